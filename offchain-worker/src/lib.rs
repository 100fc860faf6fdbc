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
//!   (`Fhe::submit_result`), or the reason the job cannot be computed.
//!
//! The worker acts at every new best block and, while IPFS is failing, retries every block
//! interval; its to-do list is always the chain's current state, so a daemon or node that was
//! down catches up without losing anything. Expiry and retirement only ever move forward with
//! the block number, so acting at the best block (not waiting for finality) is safe: a vault that
//! ended at height N has ended on every fork at height N.
//!
//! IPFS goes through the Kubo RPC API ([`ipfs`]). Metrics are exported to the node's Prometheus
//! endpoint under `custodia_worker_*`; logs use the target `custodia-worker`.

pub mod evaluator;
pub mod ipfs;
mod metrics;
pub mod signer;
pub mod steward;

use std::{sync::Arc, time::Duration};

use custodia_primitives::{
	fhe::{JobKind, Outcome},
	runtime_api::{FheApi, VaultsApi},
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
	evaluator::{Evaluator, Verdict},
	ipfs::Ipfs,
	metrics::Metrics,
	signer::Signer,
	steward::Steward,
};

/// The log target of the worker.
pub const LOG_TARGET: &str = "custodia-worker";

/// The runtime APIs the worker calls: what to pin and unpin, which jobs to compute, and what
/// it needs to sign (nonce, runtime version).
pub trait WorkerRuntimeApi:
	VaultsApi<Block, AccountId>
	+ FheApi<Block, AccountId, BlockNumber>
	+ AccountNonceApi<Block, AccountId, Nonce>
	+ Core<Block>
{
}

impl<Api> WorkerRuntimeApi for Api where
	Api: VaultsApi<Block, AccountId>
		+ FheApi<Block, AccountId, BlockNumber>
		+ AccountNonceApi<Block, AccountId, Nonce>
		+ Core<Block>
{
}

/// How often the worker retries when no block arrives (e.g. while IPFS is down).
const RETRY_INTERVAL: Duration = Duration::from_secs(6);

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
		self.steward || self.evaluator
	}
}

/// Starts the worker on `spawn` if a role is enabled. Fails if no worker key is in the keystore.
pub fn spawn<C, P>(
	params: WorkerParams,
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
	let ipfs = ipfs::IpfsNode::new(&params.ipfs_api).map_err(|e| e.to_string())?;
	let metrics = match registry {
		Some(registry) => Some(Metrics::register(registry).map_err(|e| format!("worker metrics: {e}"))?),
		None => None,
	};
	log::info!(
		target: LOG_TARGET,
		"worker started as {} (steward: {}, evaluator: {}), IPFS at {}",
		signer.account(),
		params.steward,
		params.evaluator,
		params.ipfs_api
	);
	spawn.spawn("custodia-worker", Some("custodia"), Box::pin(run(params, client, signer, ipfs, metrics)));
	Ok(())
}

async fn run<C, P>(params: WorkerParams, client: Arc<C>, signer: Signer<C, P>, ipfs: ipfs::IpfsNode, metrics: Option<Metrics>)
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	let mut imports = client.import_notification_stream().filter(|n| futures::future::ready(n.is_new_best));
	let mut steward = Steward::default();
	let mut evaluator = Evaluator::default();
	loop {
		// A new best block, or the retry interval: either way, act on the current best block.
		tokio::select! {
			notification = imports.next() => if notification.is_none() { break },
			_ = tokio::time::sleep(RETRY_INTERVAL) => {},
		}
		let info = client.info();
		if params.steward {
			steward_round(&*client, &signer, &ipfs, &mut steward, info.best_hash, info.best_number, metrics.as_ref()).await;
		}
		if params.evaluator {
			evaluator_round(&*client, &signer, &ipfs, &mut evaluator, info.best_hash, info.best_number, metrics.as_ref()).await;
		}
	}
	log::info!(target: LOG_TARGET, "block import stream ended; worker stops");
}

async fn steward_round<C, P>(
	client: &C,
	signer: &Signer<C, P>,
	ipfs: &dyn Ipfs,
	steward: &mut Steward,
	at: <Block as sp_runtime::traits::Block>::Hash,
	now: BlockNumber,
	metrics: Option<&Metrics>,
) where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	let api = client.runtime_api();
	let lists = api
		.must_pin(at, signer.account().clone())
		.and_then(|pin| api.must_unpin(at, signer.account().clone()).map(|unpin| (pin, unpin)));
	let (must_pin, must_unpin) = match lists {
		Ok(lists) => lists,
		Err(e) => {
			log::warn!(target: LOG_TARGET, "VaultsApi failed at block {now}: {e}");
			return;
		},
	};
	if let Some(m) = metrics {
		m.pins_required.set(must_pin.len() as u64);
		m.unpins_pending.set(must_unpin.len() as u64);
	}
	let report = match steward.round(ipfs, &must_pin, &must_unpin, now).await {
		Ok(report) => report,
		Err(e) => {
			if let Some(m) = metrics {
				m.ipfs_failures.inc();
			}
			log::warn!(target: LOG_TARGET, "IPFS: {e}; retrying at the next block ({} to pin, {} to unpin)", must_pin.len(), must_unpin.len());
			return;
		},
	};
	for target in report.to_confirm {
		let call = RuntimeCall::Vaults(pallet_vaults::Call::confirm_unpinned { target });
		match signer.submit(call).await {
			Ok(()) => {
				if let Some(m) = metrics {
					m.extrinsics_submitted.inc();
				}
				log::info!(target: LOG_TARGET, "confirming unpin of {target:?} (block {now})");
			},
			Err(e) => {
				steward.confirmation_failed(&target);
				log::warn!(target: LOG_TARGET, "could not submit the unpin confirmation of {target:?}: {e}");
			},
		}
	}
	if let Some(m) = metrics {
		m.last_block.set(now as u64);
	}
}

async fn evaluator_round<C, P>(
	client: &C,
	signer: &Signer<C, P>,
	ipfs: &dyn Ipfs,
	evaluator: &mut Evaluator,
	at: <Block as sp_runtime::traits::Block>::Hash,
	now: BlockNumber,
	metrics: Option<&Metrics>,
) where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	let api = client.runtime_api();
	let jobs = match api.pending_jobs(at, signer.account().clone()) {
		Ok(jobs) => jobs,
		Err(e) => {
			log::warn!(target: LOG_TARGET, "FheApi failed at block {now}: {e}");
			return;
		},
	};
	evaluator.retain(&jobs.iter().map(|j| j.id).collect::<Vec<_>>());
	if let Some(m) = metrics {
		m.jobs_pending.set(jobs.len() as u64);
	}
	for summary in jobs {
		let JobKind::Prediction { model, input } = &summary.job.kind else { continue };
		if !evaluator.due(summary.id, now) {
			continue;
		}
		let engine = api.model(at, *model).ok().flatten().as_ref().and_then(evaluator::engine_model);
		let verdict = match evaluator::predict(ipfs, engine, input).await {
			Ok(verdict) => verdict,
			Err(e) => {
				if let Some(m) = metrics {
					m.ipfs_failures.inc();
				}
				log::warn!(target: LOG_TARGET, "job {}: {e}; retrying at the next block", summary.id);
				continue;
			},
		};
		let outcome = match &verdict {
			Verdict::Scored { cid, hash } => match cid.as_bytes().to_vec().try_into() {
				Ok(result_cid) => Outcome::Success { result_cid, result_hash: *hash, cohort_size: None },
				Err(_) => {
					log::warn!(target: LOG_TARGET, "job {}: result CID {cid} is too long for the chain", summary.id);
					continue;
				},
			},
			Verdict::Failed(reason) => Outcome::Failure { reason: *reason },
		};
		let call = RuntimeCall::Fhe(pallet_fhe::Call::submit_result { job: summary.id, outcome });
		match signer.submit(call).await {
			Ok(()) => {
				evaluator.submitted(summary.id, now);
				if let Some(m) = metrics {
					m.extrinsics_submitted.inc();
				}
				log::info!(target: LOG_TARGET, "job {}: submitted {verdict:?} (block {now})", summary.id);
			},
			Err(e) => log::warn!(target: LOG_TARGET, "job {}: could not submit the result: {e}", summary.id),
		}
	}
}

