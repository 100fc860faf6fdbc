//! A worker role behind one small trait, each run as its own task.
//!
//! A [`Role`] does one round of its work at a block. [`run`] drives it at every new head of
//! its kind ([`Head::Best`] or [`Head::Finalized`]), or once per [`RETRY_INTERVAL`] while the
//! head stands still, so that work that failed (IPFS down) is retried. Each role handles its
//! own errors inside its round: a round never ends the task, and since every role has its own
//! task, a slow IPFS call or a long job of one role never delays another role's round.

use std::sync::Arc;

use async_trait::async_trait;
use custodia_runtime::{opaque::Block, BlockNumber};
use futures::{FutureExt, Stream, StreamExt};
use sc_client_api::BlockchainEvents;
use sp_blockchain::HeaderBackend;
use sp_core::H256;
use substrate_prometheus_endpoint::{Gauge, U64};

use crate::{LOG_TARGET, RETRY_INTERVAL};

/// One role of the worker.
#[async_trait]
pub trait Role: Send {
	/// Its name in logs and task names.
	fn name(&self) -> &'static str;

	/// One round of work at block `at`, number `now`.
	async fn round(&mut self, at: H256, now: BlockNumber);
}

/// The head a role acts at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
	/// The best block: for work that is right on every fork at the same height (unpinning what
	/// expired), so that it is done at once.
	Best,
	/// The finalized block: for work that names items a reorganisation could replace (jobs).
	Finalized,
}

/// Runs `role` at `head` until the node's notification stream ends, setting `last_block` to
/// the block of each round.
pub async fn run<C, R>(client: Arc<C>, head: Head, mut role: R, last_block: Option<Gauge<U64>>)
where
	C: HeaderBackend<Block> + BlockchainEvents<Block> + Send + Sync + 'static,
	R: Role,
{
	let mut moved: std::pin::Pin<Box<dyn Stream<Item = ()> + Send>> = match head {
		Head::Best => Box::pin(
			client
				.import_notification_stream()
				.filter(|n| futures::future::ready(n.is_new_best))
				.map(|_| ()),
		),
		Head::Finalized => Box::pin(client.finality_notification_stream().map(|_| ())),
	};
	let mut retry = tokio::time::interval(RETRY_INTERVAL);
	retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
	loop {
		tokio::select! {
			notification = moved.next() => if notification.is_none() { break },
			_ = retry.tick() => {},
		}
		// The head moved several times during a long round: one round at the newest head.
		while let Some(Some(())) = moved.next().now_or_never() {}
		let info = client.info();
		let (at, now) = match head {
			Head::Best => (info.best_hash, info.best_number),
			Head::Finalized => (info.finalized_hash, info.finalized_number),
		};
		role.round(at, now).await;
		if let Some(gauge) = &last_block {
			gauge.set(now.into());
		}
		retry.reset();
	}
	tracing::info!(target: LOG_TARGET, role = role.name(), "the node's block stream ended; the role stops");
}
