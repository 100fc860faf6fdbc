//! What the roles share: the node's client, the signer and the metrics, with the helpers that
//! submit an extrinsic and log a failure by its [`Severity`]; the chain's forms of a CID and a
//! content hash; and the blocking pool the heavy computations run on.

use std::{fmt::Display, sync::Arc};

use custodia_runtime::{opaque::Block, RuntimeCall};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;
use tokio::task::JoinError;

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
				tracing::error!(target: LOG_TARGET, role, %work, %error, "failed; needs the operator")
			},
			Severity::RetryLater | Severity::FailJob(_) => {
				tracing::warn!(target: LOG_TARGET, role, %work, %error, "failed; retrying at a later round")
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
		tracing::info!(target: LOG_TARGET, role, %what, "submitted");
		Ok(())
	}
}

/// A CID as the chain stores it (a bounded byte vector); `None` if it is too long.
pub fn chain_cid<T: TryFrom<Vec<u8>>>(cid: &str) -> Option<T> {
	cid.as_bytes().to_vec().try_into().ok()
}

/// The hash the chain uses for IPFS content ([`custodia_ipfs::content_hash`]), as the chain's
/// hash type.
pub fn content_hash(bytes: &[u8]) -> H256 {
	H256(custodia_ipfs::content_hash(bytes))
}

/// Runs `work` on tokio's blocking pool, off the threads that drive the roles' rounds: the FHE
/// evaluations and the Prio3 verifications, which take seconds and read bytes others supplied.
///
/// The node's panic hook (`sp_panic_handler`, installed by `sc-cli`) ends the whole process on a
/// panic in any thread that has not opted out. `work` opts out, so that a panic in it — tfhe's on
/// a requester's malformed evaluation key, say — unwinds into the `Err` of this call, where the
/// caller fails the job or logs a bug, instead of stopping every evaluator of the network at once.
pub async fn on_blocking_pool<T: Send + 'static>(
	work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, JoinError> {
	tokio::task::spawn_blocking(move || {
		let _unwind = sp_panic_handler::AbortGuard::force_unwind();
		work()
	})
	.await
}

#[cfg(test)]
mod tests {
	use sp_runtime::traits::{BlakeTwo256, Hash};

	use super::*;

	#[test]
	fn content_hash_is_the_runtimes_blake2_256() {
		assert_eq!(
			format!("{:?}", content_hash(b"")),
			"0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
		);
		assert_eq!(content_hash(b"a record"), BlakeTwo256::hash(b"a record"));
	}

	#[tokio::test]
	async fn the_blocking_pool_returns_the_works_value_or_its_panic() {
		assert_eq!(on_blocking_pool(|| 6 * 7).await.unwrap(), 42);
		let panicked = on_blocking_pool(|| -> u8 { panic!("a bug in the work") }).await;
		assert!(panicked.unwrap_err().is_panic());
	}
}
