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
//! - **Evaluator** (`--evaluator`, [`evaluator`]): computes the encrypted predictions the chain
//!   lists for it (`FheApi::pending_jobs`) and submits each result's CID and hash
//!   (`Fhe::submit_result`) or the reason the job cannot be computed.
//! - **Statistics aggregator** (`--aggregator`, [`aggregator`]): in each Prio3 aggregator epoch
//!   that names it, posts its epoch key and verify-key contribution, verifies the batches of
//!   reports (`Statistics::submit_verifier_shares`, `Statistics::confirm_batch`), keeps the
//!   output shares, and submits its noisy share of each statistic
//!   (`Statistics::submit_aggregate_share`). It runs as its own task behind the [`role::Role`]
//!   trait, at the finalized block.
//!
//! The steward acts at every new best block: expiry and retirement only ever move forward with
//! the block number, so a vault that ended at height N has ended on every fork at height N, and
//! unpinning at once is safe. Evaluators and aggregators act at the finalized block: a job id
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
mod metrics;
pub mod recent;
pub mod role;
pub mod signer;
pub mod steward;

use std::{path::PathBuf, sync::Arc, time::Duration};

use custodia_primitives::{
	fhe::{JobId, JobKind, JobStatus, JobSummary, Outcome},
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

use crate::{evaluator::Verdict, metrics::Metrics, recent::RecentSubmissions, signer::Signer, steward::Steward};

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

	/// Act as an evaluator: compute the encrypted predictions the chain lists for this node's
	/// worker account, with inputs from and results to the IPFS daemon at `--ipfs-api`. The
	/// account must be a consortium member of kind Evaluator.
	#[arg(long)]
	pub evaluator: bool,

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
		self.steward || self.evaluator || self.aggregator
	}
}

/// Starts the worker on `spawn` if a role is enabled. `data_dir` holds what the worker keeps
/// between restarts (an aggregator's epoch keys and output shares). Fails if no worker key is
/// in the keystore or a role's state cannot be opened.
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
	let metrics = match registry {
		Some(registry) => Some(Metrics::register(registry).map_err(|e| format!("worker metrics: {e}"))?),
		None => None,
	};
	log::info!(
		target: LOG_TARGET,
		"worker started as {} (steward: {}, evaluator: {}, aggregator: {}), IPFS at {}",
		signer.account(),
		params.steward,
		params.evaluator,
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
	let worker = Worker { client, signer, ipfs, metrics };
	spawn.spawn("custodia-worker", Some("custodia"), Box::pin(worker.run(params)));
	Ok(())
}

/// The worker's parts, shared by its roles' rounds.
struct Worker<C, P> {
	client: Arc<C>,
	signer: Arc<Signer<C, P>>,
	ipfs: ipfs::IpfsNode,
	metrics: Option<Metrics>,
}

/// What the roles remember between rounds.
#[derive(Default)]
struct Memory {
	steward: Steward,
	/// Jobs this evaluator submitted an outcome to.
	jobs: RecentSubmissions<JobId>,
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
		// A role acts when its own head moved (best → steward; finalized → evaluator) or, failing that, once per retry interval: work that failed (IPFS down) is
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
			if params.evaluator && due(&mut jobs_ran, finalized_moved) {
				self.evaluator_round(&mut memory.jobs, info.finalized_hash, info.finalized_number).await;
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
		let job = summary.id;
		let (JobKind::Prediction { model, input }, JobStatus::Pending) = (&summary.job.kind, &summary.job.status) else {
			return Ok(None);
		};
		let engine = self.client.runtime_api().model(at, *model).ok().flatten().as_ref().and_then(evaluator::engine_model);
		let verdict = evaluator::predict(&self.ipfs, engine, input).await?;
		log::info!(target: LOG_TARGET, "job {job}: {verdict:?}");
		let outcome = match verdict {
			Verdict::Computed { cid, hash } => match chain_cid(&cid) {
				Some(result_cid) => Outcome::Success { result_cid, result_hash: hash },
				None => {
					log::warn!(target: LOG_TARGET, "job {job}: result CID {cid} is too long for the chain");
					return Ok(None);
				},
			},
			Verdict::Failed(reason) => Outcome::Failure { reason },
		};
		Ok(Some(RuntimeCall::Fhe(pallet_fhe::Call::submit_result { job, outcome })))
	}
}
