// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Custodia worker
//!
//! The node-side worker of `custodia-node`: native async tasks (not the wasm off-chain hook)
//! where the chain, IPFS and — for evaluators and aggregators — the FHE and statistics engines
//! meet. Each role asks the runtime APIs what to do, acts, and reports back with extrinsics
//! signed by the worker's own keystore key ([`signer`]).
//!
//! Roles, chosen with command-line flags ([`WorkerParams`]), each a [`role::Role`] on its own
//! task, so that a slow IPFS call or a long job of one role never delays another's round:
//! - **Data steward** (`--steward`, [`steward`], at the best block): keeps pinned on its IPFS
//!   daemon every live record and open vault the chain assigns to it; when a vault ends or a
//!   record is retired it unpins, garbage-collects, and confirms with `Vaults::confirm_unpinned`.
//!   Each item succeeds or fails on its own, with backoff.
//! - **Evaluator** (`--evaluator`, [`evaluator`], at the finalized block): computes the encrypted
//!   predictions and people's programs the chain lists for it (`FheApi::pending_jobs`) and
//!   submits each result's CID and hash (`Fhe::submit_result`) or the reason the job cannot be
//!   computed.
//! - **Statistics aggregator** (`--aggregator`, [`aggregator`], at the finalized block): in each
//!   Prio3 aggregator epoch that names it, posts its epoch key and verify-key contribution,
//!   verifies the batches of reports, keeps the output shares, and submits its noisy share of
//!   each statistic.
//!
//! Failures are sorted by what the worker does about them ([`error::Severity`],
//! [`aggregator::Severity`]): retry later (IPFS down, a busy node: never reported on chain), fail
//! the job with a reason, or fatal (a bug or a misconfiguration: logged, never blamed on the
//! job). The to-do lists are always the chain's state, so a daemon or node that was down
//! catches up without losing anything.
//!
//! IPFS goes through [`custodia_ipfs`]. Metrics are exported to the node's Prometheus endpoint
//! under `custodia_worker_*`; logs use the target `custodia-worker`, with the role as a field.

pub mod aggregator;
pub mod error;
pub mod evaluator;
#[cfg(test)]
mod memory_ipfs;
mod metrics;
pub mod recent;
pub mod role;
pub mod shared;
pub mod signer;
pub mod steward;

use std::{path::PathBuf, sync::Arc, time::Duration};

use custodia_ipfs::{Ipfs, Kubo, KuboOptions};
use custodia_primitives::runtime_api::{FheApi, StatisticsApi, VaultsApi};
use custodia_runtime::{opaque::Block, AccountId, BlockNumber, Nonce};
use frame_system_rpc_runtime_api::AccountNonceApi;
use sc_client_api::BlockchainEvents;
use sc_transaction_pool_api::TransactionPool;
use sp_api::{Core, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_keystore::KeystorePtr;

use crate::{
	evaluator::EvaluatorRole, metrics::Metrics, role::Head, shared::Shared, signer::Signer,
	steward::StewardRole,
};

/// The log target of the worker.
pub const LOG_TARGET: &str = "custodia-worker";

/// The runtime APIs the worker calls: what to pin and unpin, which jobs to compute, which
/// statistics batches and jobs to work on, and what it needs to sign (nonce, runtime version).
pub trait WorkerRuntimeApi:
	VaultsApi<Block, AccountId, BlockNumber>
	+ FheApi<Block, AccountId, BlockNumber>
	+ StatisticsApi<Block, AccountId, BlockNumber>
	+ AccountNonceApi<Block, AccountId, Nonce>
	+ Core<Block>
{
}

impl<Api> WorkerRuntimeApi for Api where
	Api: VaultsApi<Block, AccountId, BlockNumber>
		+ FheApi<Block, AccountId, BlockNumber>
		+ StatisticsApi<Block, AccountId, BlockNumber>
		+ AccountNonceApi<Block, AccountId, Nonce>
		+ Core<Block>
{
}

/// How often a role retries while its head stands still (e.g. finality stalls while IPFS is
/// down).
pub(crate) const RETRY_INTERVAL: Duration = Duration::from_secs(6);

/// The worker's command-line flags, flattened into `custodia-node`'s.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerParams {
	/// Act as a data steward: pin what the chain assigns to this node's worker account on the
	/// IPFS daemon at `--ipfs-api`, unpin and garbage-collect what ended, confirm it on chain.
	/// The account must be a consortium member of kind DataSteward.
	#[arg(long)]
	pub steward: bool,

	/// Act as an evaluator: compute the encrypted predictions and programs the chain lists for
	/// this node's worker account, with inputs from and results to the IPFS daemon at
	/// `--ipfs-api`. The account must be a consortium member of kind Evaluator.
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

	/// Refuses `--worker-dev-key` unless the chain is a development or local one: a well-known
	/// development secret must never sign for a member of a real consortium.
	pub fn check_dev_key(&self, development_chain: bool) -> Result<(), SpawnError> {
		match (&self.worker_dev_key, development_chain) {
			(Some(_), false) => Err(SpawnError::DevKeyOnLiveChain),
			_ => Ok(()),
		}
	}
}

/// Everything the worker needs from the node.
pub struct WorkerOptions<C, P> {
	/// The roles and the IPFS daemon, from the command line.
	pub params: WorkerParams,
	/// Whether the chain spec's chain type is Development or Local (`--worker-dev-key` is
	/// refused otherwise).
	pub development_chain: bool,
	/// What the worker keeps between restarts (an aggregator's epoch keys and output shares).
	pub data_dir: PathBuf,
	/// The node's client.
	pub client: Arc<C>,
	/// The node's transaction pool.
	pub pool: Arc<P>,
	/// The node's keystore, holding the worker key (type `cust`).
	pub keystore: KeystorePtr,
	/// The node's Prometheus registry, if it exports metrics.
	pub registry: Option<substrate_prometheus_endpoint::Registry>,
}

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
	/// `--worker-dev-key` on a chain that is neither a development nor a local one.
	#[error(
		"--worker-dev-key is refused: this chain's spec is neither a development nor a local chain. Insert the \
		 worker key with `custodia-node key insert --key-type cust --scheme sr25519` instead"
	)]
	DevKeyOnLiveChain,
	/// The keystore refused the development key.
	#[error("could not put the worker dev key into the keystore: {0}")]
	Keystore(String),
	/// A role is enabled but the keystore holds no worker key.
	#[error(
		"the worker has a role but no key of type `cust` is in the keystore: insert one with \
		 `custodia-node key insert --key-type cust --scheme sr25519`"
	)]
	NoWorkerKey,
	/// `--ipfs-api` is not usable.
	#[error(transparent)]
	Ipfs(#[from] custodia_ipfs::Error),
	/// The worker's metrics could not be registered.
	#[error("worker metrics: {0}")]
	Metrics(#[from] substrate_prometheus_endpoint::PrometheusError),
	/// The aggregator's state could not be opened.
	#[error(transparent)]
	Aggregator(#[from] aggregator::Error),
}

/// Starts each enabled role on its own task of `spawner`. Fails if `--worker-dev-key` is given
/// on a chain that is not a development or local one, if no worker key is in the keystore, or
/// if a role's state cannot be opened.
pub fn spawn<C, P>(
	options: WorkerOptions<C, P>,
	spawner: impl sp_core::traits::SpawnNamed,
) -> Result<(), SpawnError>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ BlockchainEvents<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	let WorkerOptions { params, development_chain, data_dir, client, pool, keystore, registry } =
		options;
	if !params.enabled() {
		return Ok(());
	}
	params.check_dev_key(development_chain)?;
	if let Some(suri) = &params.worker_dev_key {
		keystore
			.sr25519_generate_new(signer::KEY_TYPE, Some(suri))
			.map_err(|e| SpawnError::Keystore(e.to_string()))?;
	}
	let signer = Arc::new(
		Signer::from_keystore(client.clone(), pool, keystore).ok_or(SpawnError::NoWorkerKey)?,
	);
	let ipfs: Arc<dyn Ipfs> = Arc::new(Kubo::new(&params.ipfs_api, KuboOptions::default())?);
	let metrics = registry.as_ref().map(Metrics::register).transpose()?;
	tracing::info!(
		target: LOG_TARGET,
		account = %signer.account(),
		steward = params.steward,
		evaluator = params.evaluator,
		aggregator = params.aggregator,
		ipfs = %params.ipfs_api,
		"worker started",
	);
	let last_block = metrics.as_ref().map(|m| m.last_block.clone());
	if params.aggregator {
		use aggregator::{
			chain::{max_report_size, RuntimeChain, SignerSubmit},
			AggregatorMetrics, AggregatorOptions, AggregatorRole,
		};
		let options = AggregatorOptions::new(data_dir.join("aggregator"), max_report_size());
		let submitter = SignerSubmit::new(
			signer.clone(),
			metrics.as_ref().map(|m| m.extrinsics_submitted.clone()),
		);
		let gauges = metrics.as_ref().map(|m| AggregatorMetrics {
			batches_awaiting: m.aggregator_batches_awaiting.clone(),
			jobs_awaiting: m.aggregator_jobs_awaiting.clone(),
		});
		let role = AggregatorRole::new(
			RuntimeChain::new(client.clone()),
			submitter,
			ipfs.clone(),
			signer.account().clone(),
			options,
			gauges,
		)?;
		let task = role::run(client.clone(), Head::Finalized, role, last_block.clone());
		spawner.spawn("custodia-aggregator", Some("custodia"), Box::pin(task));
	}
	let shared = Arc::new(Shared { client: client.clone(), signer, metrics });
	if params.steward {
		let task = role::run(
			client.clone(),
			Head::Best,
			StewardRole::new(shared.clone(), ipfs.clone()),
			last_block.clone(),
		);
		spawner.spawn("custodia-steward", Some("custodia"), Box::pin(task));
	}
	if params.evaluator {
		let task = role::run(client, Head::Finalized, EvaluatorRole::new(shared, ipfs), last_block);
		spawner.spawn("custodia-evaluator", Some("custodia"), Box::pin(task));
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use clap::Parser;

	use super::*;

	#[derive(Parser)]
	struct Cli {
		#[command(flatten)]
		worker: WorkerParams,
	}

	#[test]
	fn the_dev_key_is_refused_unless_the_chain_is_a_development_or_local_one() {
		let cli = Cli::parse_from(["node", "--steward", "--worker-dev-key", "//Charlie"]);
		assert!(matches!(cli.worker.check_dev_key(false), Err(SpawnError::DevKeyOnLiveChain)));
		assert!(cli.worker.check_dev_key(true).is_ok());
		let message = cli.worker.check_dev_key(false).unwrap_err().to_string();
		assert!(
			message.contains("--worker-dev-key") && message.contains("key insert"),
			"{message}"
		);
		// Without the flag, any chain.
		let cli = Cli::parse_from(["node", "--steward"]);
		assert!(cli.worker.check_dev_key(false).is_ok());
	}
}
