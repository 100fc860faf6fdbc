//! What the steward and the evaluator share: the node's client, the signer and the metrics,
//! with the helpers that submit an extrinsic and log a failure by its [`Severity`].

use std::{fmt::Display, sync::Arc};

use custodia_runtime::{opaque::Block, RuntimeCall};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;

use crate::{
	error::{Error, Severity},
	metrics::Metrics,
	signer::Signer,
	WorkerRuntimeApi, LOG_TARGET,
};

/// The node's parts every role uses.
pub struct Shared<C, P> {
	/// The node's client: runtime APIs and block headers.
	pub client: Arc<C>,
	/// Signs with the worker key and submits to the local pool.
	pub signer: Arc<Signer<C, P>>,
	/// The worker's Prometheus metrics, if the node exports metrics.
	pub metrics: Option<Metrics>,
}

impl<C, P> Shared<C, P> {
	/// Logs a failed piece of `role`'s work, by severity, and counts IPFS failures.
	pub fn failed(&self, role: &'static str, work: impl Display, error: &Error) {
		if let (Some(m), Error::Ipfs(_)) = (&self.metrics, error) {
			m.ipfs_failures.inc();
		}
		match error.severity() {
			Severity::Fatal => {
				tracing::error!(target: LOG_TARGET, role, "{work}: {error} (needs the operator)")
			},
			Severity::RetryLater | Severity::FailJob(_) => {
				tracing::warn!(target: LOG_TARGET, role, "{work}: {error}; retrying at a later round")
			},
		}
	}
}

impl<C, P> Shared<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	/// Signs and submits `call` for `role`, logging the outcome as `what`.
	pub async fn submit(
		&self,
		call: RuntimeCall,
		role: &'static str,
		what: impl Display,
	) -> Result<(), Error> {
		self.signer.submit(call).await?;
		if let Some(m) = &self.metrics {
			m.extrinsics_submitted.inc();
		}
		tracing::info!(target: LOG_TARGET, role, "{what}: submitted");
		Ok(())
	}
}

/// A CID as the chain stores it (a bounded byte vector); `None` if it is too long.
pub fn chain_cid<T: TryFrom<Vec<u8>>>(cid: &str) -> Option<T> {
	cid.as_bytes().to_vec().try_into().ok()
}
