// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Custodia worker
//!
//! The node-side worker of `custodia-node`: a native async task (not the wasm off-chain hook)
//! where the chain, IPFS and — for evaluators — the FHE engine meet. It asks the runtime APIs
//! what to do, acts, and reports back with extrinsics signed by its own keystore key.
//!
//! Roles, chosen with command-line flags ([`WorkerParams`]):
//! - **Data steward** (`--steward`, [`steward`]): keeps pinned on its IPFS daemon every live record
//!   and open vault the chain assigns to it; when a vault ends or a record is retired it unpins,
//!   garbage-collects, and confirms with `Vaults::confirm_unpinned`.
//! - **Evaluator** (`--evaluator`, [`evaluator`], [`statistics`]): computes the jobs the chain
//!   lists for it (`FheApi::pending_jobs`) — encrypted predictions, joint keys of key epochs,
//!   encrypted cohort aggregates — and submits each result's CID and hash (`Fhe::submit_result`)
//!   or the reason the job cannot be computed; combines the decryption shares of agreed
//!   aggregates and submits the plaintext (`Fhe::publish_statistic`).
//! - **Key holder** (`--key-holder`, [`key_holder`]): makes its secret share of each key epoch it
//!   is named in and publishes the public-key share (`Fhe::submit_key_share`); decrypts its share
//!   of every agreed aggregate under such an epoch (`Fhe::submit_decryption_share`).
//! - **Statistics aggregator** (`--aggregator`, [`aggregator`]): in each Prio3 aggregator epoch
//!   that names it, posts its epoch key and verify-key contribution, verifies the batches of
//!   reports (`Statistics::submit_verifier_shares`, `Statistics::confirm_batch`), keeps the
//!   output shares, and submits its noisy share of each statistic
//!   (`Statistics::submit_aggregate_share`). It runs as its own task behind the [`role::Role`]
//!   trait, at the finalized block.
//!
//! The steward acts at every new best block: expiry and retirement only ever move forward with
//! the block number, so a vault that ended at height N has ended on every fork at height N, and
//! unpinning at once is safe. Evaluators and key holders act at the finalized block: a job id
//! names a different job on another fork, and a result computed for a reverted request must
//! never be submitted for the job that replaced it. While IPFS is failing every role retries each
//! block interval; the to-do lists are always the chain's state, so a daemon or node that was
//! down catches up without losing anything.
//!
//! IPFS goes through the Kubo RPC API ([`ipfs`]). Metrics are exported to the node's Prometheus
//! endpoint under `custodia_worker_*`; logs use the target `custodia-worker`.

pub mod aggregator;
pub mod evaluator;
pub mod ipfs;
pub mod key_holder;
mod metrics;
pub mod recent;
pub mod role;
pub mod signer;
pub mod statistics;
pub mod steward;

use std::{path::PathBuf, sync::Arc, time::Duration};

use custodia_primitives::{
	fhe::{EpochId, EpochStatus, JobId, JobKind, JobStatus, JobSummary, Outcome},
	runtime_api::{FheApi, StatisticsApi, VaultsApi},
};
use custodia_runtime::{opaque::Block, AccountId, BlockNumber, Nonce, RuntimeCall};
use frame_system_rpc_runtime_api::AccountNonceApi;
use futures::StreamExt;
use sc_client_api::BlockchainEvents;
use sc_transaction_pool_api::TransactionPool;
use sp_api::{Core, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_keystore::KeystorePtr;

use crate::{
	evaluator::Verdict,
	key_holder::ShareStore,
	metrics::Metrics,
	recent::RecentSubmissions,
	signer::Signer,
	statistics::Publication,
	steward::Steward,
};

type Hash = <Block as sp_runtime::traits::Block>::Hash;

/// The log target of the worker.
pub const LOG_TARGET: &str = "custodia-worker";

/// The runtime APIs the worker calls: what to pin and unpin, which jobs to compute, which
/// statistics batches and jobs to work on, and what it needs to sign (nonce, runtime version).
pub trait WorkerRuntimeApi:
	VaultsApi<Block, AccountId>
	+ FheApi<Block, AccountId, BlockNumber>
	+ StatisticsApi<Block, AccountId, BlockNumber>
	+ AccountNonceApi<Block, AccountId, Nonce>
	+ Core<Block>
{
}

impl<Api> WorkerRuntimeApi for Api where
	Api: VaultsApi<Block, AccountId>
		+ FheApi<Block, AccountId, BlockNumber>
		+ StatisticsApi<Block, AccountId, BlockNumber>
		+ AccountNonceApi<Block, AccountId, Nonce>
		+ Core<Block>
{
}

/// How often the worker retries when no block arrives (e.g. while IPFS is down).
pub(crate) const RETRY_INTERVAL: Duration = Duration::from_secs(6);

/// The worker's command-line flags, flattened into `custodia-node`'s.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerParams {
	/// Act as a data steward: pin what the chain assigns to this node's worker account on the
	/// IPFS daemon at `--ipfs-api`, unpin and garbage-collect what ended, confirm it on chain.
	/// The account must be a consortium member of kind DataSteward.
	#[arg(long)]
	pub steward: bool,

	/// Act as an evaluator: compute the FHE jobs (predictions, joint keys, cohort aggregates) and
	/// publish the statistics the chain lists for this node's worker account, with inputs from
	/// and results to the IPFS daemon at `--ipfs-api`. The account must be a consortium member
	/// of kind Evaluator.
	#[arg(long)]
	pub evaluator: bool,

	/// Act as a consortium key holder: make this node's secret share of every key epoch that
	/// names the worker account, publish its public-key share, and submit decryption shares of
	/// agreed statistic aggregates. The secret shares stay in `<base path>/chains/<chain>/
	/// custodia-worker/key-shares` (mode 0600): back it up like the keystore.
	#[arg(long)]
	pub key_holder: bool,

	/// Act as a statistics aggregator: in every aggregator epoch that names this node's worker
	/// account (an active evaluator), post the epoch key and verify-key contribution, verify the
	/// Prio3 reports of each batch (objects from the IPFS daemon at `--ipfs-api`), keep their
	/// output shares, and submit a noisy share of each statistic. The epoch keys and output
	/// shares stay in `<base path>/chains/<chain>/custodia-worker/aggregator` (mode 0700): back it
	/// up like the keystore. Keep `--state-pruning` above the statistic timeout: each statistic's
	/// cohort is read at its request block.
	#[arg(long)]
	pub aggregator: bool,

	/// The IPFS daemon's RPC API (Kubo's `/api/v0`).
	#[arg(long, value_name = "URL", default_value = "http://127.0.0.1:5001")]
	pub ipfs_api: String,

	/// Development and tests only: put this secret URI (e.g. `//Charlie`) into the keystore as
	/// the worker key (type `cust`). On a real node insert the key with `custodia-node key insert
	/// --key-type cust --scheme sr25519` instead, so that no secret appears on a command line.
	#[arg(long, value_name = "SURI")]
	pub worker_dev_key: Option<String>,
}

impl WorkerParams {
	/// Whether any role is enabled.
	pub fn enabled(&self) -> bool {
		self.steward || self.evaluator || self.key_holder || self.aggregator
	}
}

/// Starts the worker on `spawn` if a role is enabled. `data_dir` holds what the worker keeps
/// between restarts (a key holder's secret shares, an aggregator's epoch keys and output
/// shares). Fails if no worker key is in the keystore or a role's state cannot be opened.
pub fn spawn<C, P>(
	params: WorkerParams,
	data_dir: PathBuf,
	client: Arc<C>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	registry: Option<&substrate_prometheus_endpoint::Registry>,
	spawn: impl sp_core::traits::SpawnNamed,
) -> Result<(), String>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	if !params.enabled() {
		return Ok(());
	}
	if let Some(suri) = &params.worker_dev_key {
		keystore
			.sr25519_generate_new(signer::KEY_TYPE, Some(suri))
			.map_err(|e| format!("could not put the worker dev key into the keystore: {e}"))?;
	}
	let signer = Signer::from_keystore(client.clone(), pool, keystore).ok_or_else(|| {
		"the worker has a role but no key of type `cust` is in the keystore: insert one with \
		 `custodia-node key insert --key-type cust --scheme sr25519 --suri <secret>`"
			.to_string()
	})?;
	let signer = Arc::new(signer);
	let ipfs = ipfs::IpfsNode::new(&params.ipfs_api).map_err(|e| e.to_string())?;
	let shares = ShareStore::open(data_dir.join("key-shares")).map_err(|e| e.to_string())?;
	let metrics = match registry {
		Some(registry) => Some(Metrics::register(registry).map_err(|e| format!("worker metrics: {e}"))?),
		None => None,
	};
	log::info!(
		target: LOG_TARGET,
		"worker started as {} (steward: {}, evaluator: {}, key holder: {}, aggregator: {}), IPFS at {}",
		signer.account(),
		params.steward,
		params.evaluator,
		params.key_holder,
		params.aggregator,
		params.ipfs_api
	);
	if params.aggregator {
		use aggregator::{
			chain::{max_report_size, RuntimeChain, SignerSubmit},
			AggregatorMetrics, AggregatorOptions, AggregatorRole,
		};
		let options = AggregatorOptions::new(data_dir.join("aggregator"), max_report_size());
		let ipfs: Arc<dyn ipfs::Ipfs> = Arc::new(ipfs::IpfsNode::new(&params.ipfs_api).map_err(|e| e.to_string())?);
		let submitter = SignerSubmit::new(signer.clone(), metrics.as_ref().map(|m| m.extrinsics_submitted.clone()));
		let gauges = metrics.as_ref().map(|m| AggregatorMetrics {
			batches_awaiting: m.aggregator_batches_awaiting.clone(),
			jobs_awaiting: m.aggregator_jobs_awaiting.clone(),
		});
		let role = AggregatorRole::new(
			RuntimeChain::new(client.clone()),
			submitter,
			ipfs,
			signer.account().clone(),
			options,
			gauges,
		)
		.map_err(|e| e.to_string())?;
		spawn.spawn("custodia-aggregator", Some("custodia"), Box::pin(role::run_at_finality(client.clone(), role)));
	}
	let worker = Worker { client, signer, ipfs, shares, metrics };
	spawn.spawn("custodia-worker", Some("custodia"), Box::pin(worker.run(params)));
	Ok(())
}


/// The worker's parts, shared by its roles' rounds.
struct Worker<C, P> {
	client: Arc<C>,
	signer: Arc<Signer<C, P>>,
	ipfs: ipfs::IpfsNode,
	shares: ShareStore,
	metrics: Option<Metrics>,
}

/// What the roles remember between rounds.
#[derive(Default)]
struct Memory {
	steward: Steward,
	/// Jobs this evaluator submitted an outcome or values to.
	jobs: RecentSubmissions<JobId>,
	/// Key epochs this key holder submitted its public-key share to.
	key_shares: RecentSubmissions<EpochId>,
	/// Statistic jobs this key holder submitted its decryption share to.
	decryption_shares: RecentSubmissions<JobId>,
}

/// A CID as the chain stores it (a bounded byte vector); `None` if it is too long.
fn chain_cid<T: TryFrom<Vec<u8>>>(cid: &str) -> Option<T> {
	cid.as_bytes().to_vec().try_into().ok()
}

impl<C, P> Worker<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	async fn run(self, params: WorkerParams) {
		let mut imports = self.client.import_notification_stream().filter(|n| futures::future::ready(n.is_new_best));
		let mut finality = self.client.finality_notification_stream();
		let mut memory = Memory::default();
		// A role acts when its own head moved (best → steward; finalized → evaluator and key
		// holder) or, failing that, once per retry interval: work that failed (IPFS down) is
		// retried even while finality stalls, without running every role at every wake.
		let mut retry = tokio::time::interval(RETRY_INTERVAL);
		retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
		let (mut steward_ran, mut jobs_ran) = (None::<std::time::Instant>, None::<std::time::Instant>);
		let due = |ran: &mut Option<std::time::Instant>, moved: bool| {
			let due = moved || ran.is_none_or(|at| at.elapsed() >= RETRY_INTERVAL);
			if due {
				*ran = Some(std::time::Instant::now());
			}
			due
		};
		loop {
			let (best_moved, finalized_moved) = tokio::select! {
				notification = imports.next() => if notification.is_none() { break } else { (true, false) },
				notification = finality.next() => if notification.is_none() { break } else { (false, true) },
				_ = retry.tick() => (false, false),
			};
			let info = self.client.info();
			if params.steward && due(&mut steward_ran, best_moved) {
				self.steward_round(&mut memory.steward, info.best_hash, info.best_number).await;
			}
			if (params.evaluator || params.key_holder) && due(&mut jobs_ran, finalized_moved) {
				if params.evaluator {
					self.evaluator_round(&mut memory.jobs, info.finalized_hash, info.finalized_number).await;
				}
				if params.key_holder {
					self.key_holder_round(&mut memory, info.finalized_hash, info.finalized_number).await;
				}
			}
			if let Some(m) = &self.metrics {
				m.last_block.set(info.best_number as u64);
			}
		}
		log::info!(target: LOG_TARGET, "block import stream ended; worker stops");
	}

	/// Signs and submits `call`; logs the outcome as `what`. Whether it reached the pool.
	async fn submit(&self, call: RuntimeCall, what: impl std::fmt::Display) -> bool {
		match self.signer.submit(call).await {
			Ok(()) => {
				if let Some(m) = &self.metrics {
					m.extrinsics_submitted.inc();
				}
				log::info!(target: LOG_TARGET, "{what}: submitted");
				true
			},
			Err(e) => {
				log::warn!(target: LOG_TARGET, "{what}: could not submit: {e}");
				false
			},
		}
	}

	fn ipfs_failed(&self, what: impl std::fmt::Display, e: impl std::fmt::Display) {
		if let Some(m) = &self.metrics {
			m.ipfs_failures.inc();
		}
		log::warn!(target: LOG_TARGET, "{what}: {e}; retrying at the next block");
	}

	async fn steward_round(&self, steward: &mut Steward, at: Hash, now: BlockNumber) {
		let api = self.client.runtime_api();
		let me = self.signer.account().clone();
		let lists = api.must_pin(at, me.clone()).and_then(|pin| api.must_unpin(at, me).map(|unpin| (pin, unpin)));
		let (must_pin, must_unpin) = match lists {
			Ok(lists) => lists,
			Err(e) => {
				log::warn!(target: LOG_TARGET, "VaultsApi failed at block {now}: {e}");
				return;
			},
		};
		if let Some(m) = &self.metrics {
			m.pins_required.set(must_pin.len() as u64);
			m.unpins_pending.set(must_unpin.len() as u64);
		}
		let report = match steward.round(&self.ipfs, &must_pin, &must_unpin, now).await {
			Ok(report) => report,
			Err(e) => {
				let what = format!("steward ({} to pin, {} to unpin)", must_pin.len(), must_unpin.len());
				return self.ipfs_failed(what, e);
			},
		};
		for target in report.to_confirm {
			let call = RuntimeCall::Vaults(pallet_vaults::Call::confirm_unpinned { target });
			if !self.submit(call, format!("unpin confirmation of {target:?} (block {now})")).await {
				steward.confirmation_failed(&target);
			}
		}
	}

	async fn evaluator_round(&self, recent: &mut RecentSubmissions<JobId>, at: Hash, now: BlockNumber) {
		let jobs = match self.client.runtime_api().pending_jobs(at, self.signer.account().clone()) {
			Ok(jobs) => jobs,
			Err(e) => {
				log::warn!(target: LOG_TARGET, "FheApi failed at block {now}: {e}");
				return;
			},
		};
		recent.retain(&jobs.iter().map(|j| j.id).collect::<Vec<_>>());
		if let Some(m) = &self.metrics {
			m.jobs_pending.set(jobs.len() as u64);
		}
		for summary in jobs {
			if !recent.due(&summary.id, now) {
				continue;
			}
			match self.work_on(&summary, at).await {
				Ok(Some(call)) =>
					if self.submit(call, format!("job {} (finalized block {now})", summary.id)).await {
						recent.submitted(summary.id, now);
					},
				Ok(None) => {},
				Err(e) => self.ipfs_failed(format!("job {}", summary.id), e),
			}
		}
	}

	/// The evaluator's extrinsic for one pending job, if it can make one now; `Err` when IPFS
	/// failed (retry at the next block).
	async fn work_on(&self, summary: &JobSummary<AccountId, BlockNumber>, at: Hash) -> Result<Option<RuntimeCall>, ipfs::IpfsError> {
		let api = self.client.runtime_api();
		let job = summary.id;
		let verdict = match (&summary.job.kind, &summary.job.status) {
			(JobKind::Prediction { model, input }, JobStatus::Pending) => {
				let engine = api.model(at, *model).ok().flatten().as_ref().and_then(evaluator::engine_model);
				evaluator::predict(&self.ipfs, engine, input).await?
			},
			(JobKind::JointKey { epoch }, JobStatus::Pending) => match api.key_epoch(at, *epoch) {
				Ok(Some(epoch)) => statistics::joint_key(&self.ipfs, &epoch).await?,
				other => {
					log::warn!(target: LOG_TARGET, "job {job}: key epoch {epoch} unreadable: {other:?}");
					return Ok(None);
				},
			},
			(JobKind::Statistic { field, statistic, .. }, JobStatus::Pending) => {
				// The cohort is the one of the request block: ask that block's state.
				let requested_at = summary.job.requested_at;
				let inputs = self
					.client
					.hash(requested_at)
					.map_err(|e| e.to_string())
					.and_then(|hash| hash.ok_or_else(|| "no such block".into()))
					.and_then(|hash| api.statistic_inputs(hash, job).map_err(|e| e.to_string()));
				match inputs {
					Ok(inputs) => statistics::aggregate(&self.ipfs, statistic, *field, inputs).await?,
					Err(e) => {
						log::warn!(target: LOG_TARGET, "job {job}: the cohort at block {requested_at} is unreadable (state pruned?): {e}");
						return Ok(None);
					},
				}
			},
			(JobKind::Statistic { field, statistic, .. }, JobStatus::AwaitingPublication { aggregate, .. }) => {
				let shares = api.decryption_shares(at, job).unwrap_or_default();
				return match statistics::publication(&self.ipfs, statistic, *field, aggregate, &shares).await? {
					Publication::Values(values) => match values.try_into() {
						Ok(values) => Ok(Some(RuntimeCall::Fhe(pallet_fhe::Call::publish_statistic { job, values }))),
						Err(_) => Ok(None),
					},
					Publication::Impossible(why) => {
						log::warn!(target: LOG_TARGET, "job {job}: cannot publish: {why}");
						Ok(None)
					},
				};
			},
			_ => return Ok(None),
		};
		log::info!(target: LOG_TARGET, "job {job}: {verdict:?}");
		let outcome = match verdict {
			Verdict::Computed { cid, hash, cohort_size } => match chain_cid(&cid) {
				Some(result_cid) => Outcome::Success { result_cid, result_hash: hash, cohort_size },
				None => {
					log::warn!(target: LOG_TARGET, "job {job}: result CID {cid} is too long for the chain");
					return Ok(None);
				},
			},
			Verdict::Failed(reason) => Outcome::Failure { reason },
		};
		Ok(Some(RuntimeCall::Fhe(pallet_fhe::Call::submit_result { job, outcome })))
	}

	async fn key_holder_round(&self, memory: &mut Memory, at: Hash, now: BlockNumber) {
		let api = self.client.runtime_api();
		let me = self.signer.account().clone();

		// The public-key share of the epoch being set up, if it names this holder.
		match api.pending_key_epoch(at) {
			Ok(Some(epoch)) if matches!(epoch.epoch.status, EpochStatus::CollectingShares) => {
				memory.key_shares.retain(&[epoch.id]);
				let index = epoch.epoch.holders.iter().position(|h| h.holder == me && h.share.is_none());
				if let Some(index) = index.filter(|_| memory.key_shares.due(&epoch.id, now)) {
					let seed = statistics::engine_seed(&epoch.epoch.common_seed);
					match key_holder::key_share(&self.ipfs, &self.shares, epoch.id, index as u16, seed).await {
						Ok((cid, hash)) => {
							let Some(cid) = chain_cid(&cid) else { return };
							let call = RuntimeCall::Fhe(pallet_fhe::Call::submit_key_share { epoch: epoch.id, cid, hash });
							if self.submit(call, format!("key share of epoch {} (finalized block {now})", epoch.id)).await {
								memory.key_shares.submitted(epoch.id, now);
							}
						},
						Err(e) => self.ipfs_failed(format!("key share of epoch {}", epoch.id), e),
					}
				}
			},
			Ok(_) => {},
			Err(e) => log::warn!(target: LOG_TARGET, "FheApi failed at block {now}: {e}"),
		}

		// Decryption shares of agreed aggregates.
		let awaited = match api.shares_awaited(at, me) {
			Ok(awaited) => awaited,
			Err(e) => return log::warn!(target: LOG_TARGET, "FheApi failed at block {now}: {e}"),
		};
		memory.decryption_shares.retain(&awaited);
		if let Some(m) = &self.metrics {
			m.shares_awaited.set(awaited.len() as u64);
		}
		for job in awaited {
			if !memory.decryption_shares.due(&job, now) {
				continue;
			}
			let Some(summary) = api.job(at, job).ok().flatten() else { continue };
			let (JobKind::Statistic { field, epoch, .. }, JobStatus::AwaitingShares { aggregate, .. }) =
				(&summary.job.kind, &summary.job.status)
			else {
				continue;
			};
			match key_holder::decryption_share(&self.ipfs, &self.shares, *epoch, *field, aggregate).await {
				Ok((cid, hash)) => {
					let Some(cid) = chain_cid(&cid) else { continue };
					let call = RuntimeCall::Fhe(pallet_fhe::Call::submit_decryption_share { job, cid, hash });
					if self.submit(call, format!("decryption share of job {job} (finalized block {now})")).await {
						memory.decryption_shares.submitted(job, now);
					}
				},
				Err(e) => self.ipfs_failed(format!("decryption share of job {job}"), e),
			}
		}
	}
}
