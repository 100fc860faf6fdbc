//! A worker role behind one small trait, run as its own task.
//!
//! A [`Role`] does one round of its work at a block; [`run_at_finality`] drives it at every
//! finalized block, or once per [`RETRY_INTERVAL`](crate::RETRY_INTERVAL) while finality
//! stalls, so that work that failed (IPFS down) is retried. Each role handles its own errors
//! inside its round: a round never ends the task. (The steward and the evaluator still run in
//! the worker's shared loop in `lib.rs`; new roles use this.)

use std::sync::Arc;

use async_trait::async_trait;
use custodia_runtime::{opaque::Block, BlockNumber};
use futures::{FutureExt, StreamExt};
use sc_client_api::BlockchainEvents;
use sp_blockchain::HeaderBackend;
use sp_core::H256;

use crate::{LOG_TARGET, RETRY_INTERVAL};

/// One role of the worker.
#[async_trait]
pub trait Role: Send {
	/// Its name in logs.
	fn name(&self) -> &'static str;

	/// One round of work at block `at`, number `now`.
	async fn round(&mut self, at: H256, now: BlockNumber);
}

/// Runs `role` at the finalized head until the node's finality stream ends.
pub async fn run_at_finality<C, R>(client: Arc<C>, mut role: R)
where
	C: HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync + 'static,
	R: Role,
{
	let mut finality = client.finality_notification_stream();
	let mut retry = tokio::time::interval(RETRY_INTERVAL);
	retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
	loop {
		tokio::select! {
			notification = finality.next() => if notification.is_none() { break },
			_ = retry.tick() => {},
		}
		// Finality moved several times during a long round: one round at the newest head.
		while let Some(Some(_)) = finality.next().now_or_never() {}
		let info = client.info();
		role.round(info.finalized_hash, info.finalized_number).await;
		retry.reset();
	}
	tracing::info!(target: LOG_TARGET, role = role.name(), "finality stream ended; the role stops");
}
