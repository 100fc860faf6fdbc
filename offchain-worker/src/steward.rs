//! The data steward: keeps pinned what the chain says must be pinned, unpins and garbage-collects
//! what ended, and confirms each unpin on chain.
//!
//! The chain is the only to-do list (`VaultsApi::must_pin` / `must_unpin`): a steward that was
//! down, or whose IPFS daemon was, finds everything it missed there on its next round, so nothing
//! is ever dropped. Only what the chain names is touched; other pins on the daemon are left alone.
//!
//! Every item has its own outcome. CIDs come from the chain, where anyone with a record may put
//! one that nobody serves, that is malformed, or whose object is oversized: such an item fails on
//! its own and is retried with exponential backoff ([`Backoff`]), while the rest of the round
//! goes on. Each round unpins, collects garbage and confirms first, and pins after, so an unpin
//! never waits for a slow pin.
//!
//! A record whose object the steward has been failing to fetch for the chain's threshold
//! (`VaultsApi::unfetchable_after`) is reported once with `Vaults::report_unfetchable`, naming
//! the reason ([`unfetchable_reason`]) and the block of the first failure. Only failures that
//! say something about the content count: while the steward's own daemon is down nothing is
//! blamed on a record.
//!
//! The role acts at every new best block: expiry and retirement only ever move forward with the
//! block number, so a vault that ended at height N has ended on every fork at height N, and
//! unpinning at once is safe.

use std::{
	collections::{BTreeMap, BTreeSet, HashSet},
	sync::Arc,
};

use async_trait::async_trait;
use custodia_ipfs::{Error as IpfsError, Ipfs, CONTENT_LOOKUP};
use custodia_primitives::{
	runtime_api::VaultsApi,
	vaults::{PinItem, PinTarget, RecordId},
};
use custodia_runtime::{opaque::Block, BlockNumber, RuntimeCall};
use futures::StreamExt;
use pallet_vaults::UnfetchableReason;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;

use crate::{recent::RESUBMIT_AFTER, role::Role, shared::Shared, WorkerRuntimeApi, LOG_TARGET};

/// The largest object the steward pins. `VaultsApi::must_pin` does not carry the size the chain
/// holds for a record (and a vault's object has none on chain), so this cap stands in for it:
/// an object above it is never pinned, and its item is retried with backoff.
pub const MAX_PINNED_OBJECT_BYTES: u64 = 256 * 1024 * 1024;

/// The longest wait, in blocks, before a failing item is tried again (about 6 minutes).
const MAX_BACKOFF: BlockNumber = 64;

/// What one round must do, computed from the chain's lists and what the steward knows it pinned.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
	/// CIDs to pin.
	pub pin: Vec<String>,
	/// CIDs to unpin (none of them still needed by another target).
	pub unpin: Vec<String>,
	/// Targets whose unpin to confirm on chain once `unpin` and GC are done.
	pub confirm: Vec<PinTarget>,
}

/// Plans a round: pin what is required and not pinned; unpin what ended (unless the same CID is
/// still required by another target); confirm every ended target not confirmed recently.
pub fn plan(
	must_pin: &[PinItem],
	must_unpin: &[PinItem],
	pinned: &HashSet<String>,
	confirming: &BTreeMap<PinTarget, BlockNumber>,
	now: BlockNumber,
) -> Plan {
	let required: HashSet<String> = must_pin.iter().map(cid_of).collect();
	let mut plan = Plan::default();
	for cid in &required {
		if !pinned.contains(cid) {
			plan.pin.push(cid.clone());
		}
	}
	plan.pin.sort();
	for item in must_unpin {
		if confirming.get(&item.target).is_some_and(|&at| now < at + RESUBMIT_AFTER) {
			continue;
		}
		let cid = cid_of(item);
		if !required.contains(&cid) && !plan.unpin.contains(&cid) {
			plan.unpin.push(cid);
		}
		plan.confirm.push(item.target);
	}
	plan
}

fn cid_of(item: &PinItem) -> String {
	String::from_utf8_lossy(&item.cid).into_owned()
}

/// The most bytes a steward pins for `cid`: the size the chain declared for it (the smallest, if
/// several items name the CID), never above [`MAX_PINNED_OBJECT_BYTES`]. A record whose object is
/// larger than its owner declared is refused, so no one stores more than the chain accounts for.
fn pin_limit(must_pin: &[PinItem], cid: &str) -> u64 {
	must_pin
		.iter()
		.filter(|item| item.cid == cid.as_bytes())
		.filter_map(|item| item.size)
		.min()
		.map_or(MAX_PINNED_OBJECT_BYTES, |declared| declared.min(MAX_PINNED_OBJECT_BYTES))
}

/// Pins `cid` if its object is at most `limit` bytes.
async fn pin(ipfs: &dyn Ipfs, cid: &str, limit: u64) -> Result<(), IpfsError> {
	ipfs.pin_add(cid, limit, CONTENT_LOOKUP).await
}

/// Pins started at once by [`StewardRole`].
const PIN_CONCURRENCY: usize = 4;

/// Why `error` means the content behind a CID cannot be fetched, or `None` if it says nothing
/// about the content: the steward's own daemon is down, slow or misconfigured, or answered
/// something unreadable. Only the first kind may ever be reported on chain.
pub fn unfetchable_reason(error: &IpfsError) -> Option<UnfetchableReason> {
	match error {
		// The daemon looked for the content for its lookup time and found nobody serving it (or
		// could not parse the CID).
		IpfsError::Daemon { .. } => Some(UnfetchableReason::Unreachable),
		IpfsError::TooLarge { .. } => Some(UnfetchableReason::TooLarge),
		IpfsError::HashMismatch { .. } => Some(UnfetchableReason::HashMismatch),
		IpfsError::Unreachable { .. }
		| IpfsError::Timeout { .. }
		| IpfsError::BadResponse { .. }
		| IpfsError::InvalidUrl { .. } => None,
	}
}

/// When a failing CID may be tried again: after 1, 2, 4, … blocks, at most [`MAX_BACKOFF`].
#[derive(Debug, Default)]
pub struct Backoff {
	failing: BTreeMap<String, Failing>,
}

#[derive(Debug)]
struct Failing {
	failures: u32,
	next_try: BlockNumber,
	/// Since which block fetching the content has failed, and why it last failed; `None` while
	/// every failure was the daemon's own.
	unfetchable: Option<(BlockNumber, UnfetchableReason)>,
}

impl Backoff {
	/// Whether `cid` may be tried at block `now`.
	pub fn due(&self, cid: &str, now: BlockNumber) -> bool {
		self.failing.get(cid).is_none_or(|f| now >= f.next_try)
	}

	/// `cid` failed at block `now`: wait twice as long as last time before the next try.
	pub fn failed(&mut self, cid: &str, now: BlockNumber) {
		let failing = self.failing.entry(cid.to_string()).or_insert(Failing {
			failures: 0,
			next_try: now,
			unfetchable: None,
		});
		failing.failures = failing.failures.saturating_add(1);
		let wait = 1u32.checked_shl(failing.failures - 1).unwrap_or(MAX_BACKOFF).min(MAX_BACKOFF);
		failing.next_try = now.saturating_add(wait);
	}

	/// Fetching `cid` failed at block `now` with `error`: [`Backoff::failed`], and, if the error
	/// is about the content, the content counts as unfetchable from its first such failure.
	pub fn fetch_failed(&mut self, cid: &str, now: BlockNumber, error: &IpfsError) {
		self.failed(cid, now);
		if let (Some(reason), Some(failing)) =
			(unfetchable_reason(error), self.failing.get_mut(cid))
		{
			let since = failing.unfetchable.map_or(now, |(since, _)| since);
			failing.unfetchable = Some((since, reason));
		}
	}

	/// Since which block the content of `cid` has been unfetchable, and the last reason.
	pub fn unfetchable(&self, cid: &str) -> Option<(BlockNumber, UnfetchableReason)> {
		self.failing.get(cid).and_then(|f| f.unfetchable)
	}

	/// `cid` succeeded.
	pub fn succeeded(&mut self, cid: &str) {
		self.failing.remove(cid);
	}

	/// Forgets the CIDs the chain no longer names.
	pub fn retain(&mut self, named: &HashSet<String>) {
		self.failing.retain(|cid, _| named.contains(cid));
	}

	/// How many CIDs are failing.
	pub fn len(&self) -> usize {
		self.failing.len()
	}

	/// Whether no CID is failing.
	pub fn is_empty(&self) -> bool {
		self.failing.is_empty()
	}
}

/// The steward's memory between rounds. Only a cache: losing it (a restart) costs one
/// `pin/ls`, at worst one repeated confirmation, which the chain rejects harmlessly, and the
/// backoff of failing items.
#[derive(Default)]
pub struct Steward {
	pinned: Option<HashSet<String>>,
	confirming: BTreeMap<PinTarget, BlockNumber>,
	backoff: Backoff,
	/// CIDs whose pin is under way: not unpinned until it ends, so that a pin that lands after
	/// its target ended is undone by the next round instead of outliving the target.
	pinning: HashSet<String>,
	/// Records reported unfetchable (or being reported) since the start: each is reported once.
	/// After a restart a record may be reported again; the chain refuses the repeat
	/// (`AlreadyReportedUnfetchable`), which costs only the fee.
	reported: BTreeSet<RecordId>,
}

/// A record to report unfetchable: `Vaults::report_unfetchable`'s arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnfetchableRecord {
	/// The record.
	pub record: RecordId,
	/// Why its object cannot be fetched.
	pub reason: UnfetchableReason,
	/// The block of the first failure.
	pub since: BlockNumber,
}

/// What a round did, for logs, metrics and the confirmations to submit.
#[derive(Debug, Default)]
pub struct RoundReport {
	/// CIDs pinned.
	pub pinned: Vec<String>,
	/// CIDs unpinned and garbage-collected.
	pub unpinned: Vec<String>,
	/// Targets whose unpin may now be confirmed on chain.
	pub to_confirm: Vec<PinTarget>,
	/// CIDs that failed, with why; each is retried after its backoff.
	pub failed: Vec<(String, IpfsError)>,
	/// CIDs skipped because their backoff has not passed.
	pub waiting: usize,
}

impl Steward {
	/// What the daemon pins, read once after a start and after any doubt.
	async fn pinned(&mut self, ipfs: &dyn Ipfs) -> Result<&mut HashSet<String>, IpfsError> {
		if self.pinned.is_none() {
			self.pinned = Some(ipfs.pins().await?);
		}
		Ok(self.pinned.as_mut().expect("set above; qed"))
	}

	/// Unpins what ended, collects garbage, and returns (in [`RoundReport::to_confirm`]) the
	/// targets whose unpin may now be confirmed. An item whose unpin fails is left for a later
	/// round; the others go on. `Err` only if the daemon's pins cannot be listed.
	pub async fn unpin_ended(
		&mut self,
		ipfs: &dyn Ipfs,
		must_pin: &[PinItem],
		must_unpin: &[PinItem],
		now: BlockNumber,
	) -> Result<RoundReport, IpfsError> {
		self.forget_what_the_chain_no_longer_names(must_pin, must_unpin);
		let confirming = self.confirming.clone();
		let plan = plan(must_pin, must_unpin, self.pinned(ipfs).await?, &confirming, now);
		let mut report = RoundReport::default();
		let mut unpinned = BTreeSet::new();
		for cid in plan.unpin {
			if !self.backoff.due(&cid, now) || self.pinning.contains(&cid) {
				report.waiting += 1;
				continue;
			}
			match ipfs.pin_rm(&cid).await {
				Ok(()) => {
					self.pinned.as_mut().map(|pinned| pinned.remove(&cid));
					unpinned.insert(cid);
				},
				Err(e) => {
					self.backoff.failed(&cid, now);
					report.failed.push((cid, e));
				},
			}
		}
		if !unpinned.is_empty() {
			if let Err(e) = ipfs.gc().await {
				// Nothing is confirmed until a collection succeeds; the CIDs stay unpinned and
				// the next round collects again.
				report.failed.push(("repo/gc".into(), e));
				return Ok(report);
			}
		}
		for cid in &unpinned {
			self.backoff.succeeded(cid);
		}
		let failed: HashSet<&String> = report.failed.iter().map(|(cid, _)| cid).collect();
		for item in must_unpin.iter().filter(|item| plan.confirm.contains(&item.target)) {
			let cid = cid_of(item);
			// Confirmed if unpinned now, or kept for another target; not while failing or pinning.
			let kept = !failed.contains(&cid)
				&& self.backoff.due(&cid, now)
				&& !self.pinning.contains(&cid);
			if unpinned.contains(&cid) || kept {
				self.confirming.insert(item.target, now);
				report.to_confirm.push(item.target);
			}
		}
		report.unpinned = unpinned.into_iter().collect();
		Ok(report)
	}

	/// The CIDs to pin now: required, not pinned, not failing, not already being pinned. They
	/// count as being pinned until [`Steward::pin_ended`] is told how each went. Empty if the
	/// daemon's pins are not known (the next unpin round lists them).
	pub fn pins_to_start(&mut self, must_pin: &[PinItem], now: BlockNumber) -> Vec<String> {
		let Some(pinned) = &self.pinned else { return Vec::new() };
		let mut start = plan(must_pin, &[], pinned, &BTreeMap::new(), now).pin;
		start.retain(|cid| self.backoff.due(cid, now) && !self.pinning.contains(cid));
		self.pinning.extend(start.iter().cloned());
		start
	}

	/// How the pin of `cid`, started at or before block `now`, went.
	pub fn pin_ended(&mut self, cid: &str, outcome: &Result<(), IpfsError>, now: BlockNumber) {
		self.pinning.remove(cid);
		match outcome {
			Ok(()) => {
				self.backoff.succeeded(cid);
				if let Some(pinned) = &mut self.pinned {
					pinned.insert(cid.to_string());
				}
			},
			Err(error) => self.backoff.fetch_failed(cid, now, error),
		}
	}

	/// The records in `must_pin` whose object has been unfetchable for at least `threshold`
	/// blocks at block `now` and that were not reported yet. Each counts as reported from now
	/// on; [`Steward::report_failed`] allows it again.
	pub fn unfetchable_to_report(
		&mut self,
		must_pin: &[PinItem],
		threshold: BlockNumber,
		now: BlockNumber,
	) -> Vec<UnfetchableRecord> {
		let mut due = Vec::new();
		for item in must_pin {
			let PinTarget::Record(record) = item.target else { continue };
			let Some((since, reason)) = self.backoff.unfetchable(&cid_of(item)) else { continue };
			if now.saturating_sub(since) >= threshold && self.reported.insert(record) {
				due.push(UnfetchableRecord { record, reason, since });
			}
		}
		due
	}

	/// The pin of `cid` ended without an outcome (its task failed): it may start again at once.
	pub fn pin_abandoned(&mut self, cid: &str) {
		self.pinning.remove(cid);
	}

	/// A report could not be submitted: allow it again next round.
	pub fn report_failed(&mut self, record: RecordId) {
		self.reported.remove(&record);
	}

	/// Pins what is required and not pinned yet, each CID on its own (one at a time, in this
	/// task): one that fails is retried after its backoff, the others go on. `Err` only if the
	/// daemon's pins cannot be listed. [`StewardRole`] runs the same pins on a task of their own.
	pub async fn pin_required(
		&mut self,
		ipfs: &dyn Ipfs,
		must_pin: &[PinItem],
		now: BlockNumber,
	) -> Result<RoundReport, IpfsError> {
		self.pinned(ipfs).await?;
		let mut report = RoundReport::default();
		for cid in self.pins_to_start(must_pin, now) {
			let outcome = pin(ipfs, &cid, pin_limit(must_pin, &cid)).await;
			self.pin_ended(&cid, &outcome, now);
			match outcome {
				Ok(()) => report.pinned.push(cid),
				Err(e) => report.failed.push((cid, e)),
			}
		}
		Ok(report)
	}

	/// A confirmation could not be submitted: allow it again next round.
	pub fn confirmation_failed(&mut self, target: &PinTarget) {
		self.confirming.remove(target);
	}

	/// A call failed in a way that leaves what the daemon pins uncertain: read it again.
	pub fn forget_pins(&mut self) {
		self.pinned = None;
	}

	/// How many CIDs are failing.
	pub fn failing(&self) -> usize {
		self.backoff.len()
	}

	fn forget_what_the_chain_no_longer_names(
		&mut self,
		must_pin: &[PinItem],
		must_unpin: &[PinItem],
	) {
		// Confirmations the chain has accepted left `must_unpin`.
		let ended: BTreeSet<PinTarget> = must_unpin.iter().map(|i| i.target).collect();
		self.confirming.retain(|target, _| ended.contains(target));
		let named: HashSet<String> = must_pin.iter().chain(must_unpin).map(cid_of).collect();
		self.backoff.retain(&named);
		let live: BTreeSet<RecordId> = must_pin
			.iter()
			.filter_map(|item| match item.target {
				PinTarget::Record(id) => Some(id),
				PinTarget::Vault(_) => None,
			})
			.collect();
		self.reported.retain(|record| live.contains(record));
	}
}

/// The pins a [`StewardRole`] has under way, on a task of their own.
type PinBatch = tokio::task::JoinHandle<Vec<(String, Result<(), IpfsError>)>>;

/// The steward role: this node's account's pins and unpins, at the best block.
///
/// Unpins, garbage collection and confirmations run in the round; pins run on a task of their
/// own ([`PIN_CONCURRENCY`] at a time), collected by a later round, so a pin that waits for
/// content nobody serves never delays an unpin.
pub struct StewardRole<C, P> {
	shared: Arc<Shared<C, P>>,
	ipfs: Arc<dyn Ipfs>,
	steward: Steward,
	/// The pins under way, with their CIDs, if any.
	pinning: Option<(Vec<String>, PinBatch)>,
}

impl<C, P> StewardRole<C, P> {
	/// The role, acting through `shared` and `ipfs`.
	pub fn new(shared: Arc<Shared<C, P>>, ipfs: Arc<dyn Ipfs>) -> Self {
		Self { shared, ipfs, steward: Steward::default(), pinning: None }
	}

	fn log(&mut self, report: &RoundReport, now: BlockNumber) {
		for cid in &report.unpinned {
			tracing::info!(target: LOG_TARGET, role = "steward", block = now, %cid, "unpinned and garbage-collected");
		}
		for cid in &report.pinned {
			tracing::info!(target: LOG_TARGET, role = "steward", block = now, %cid, "pinned");
		}
		for (cid, error) in &report.failed {
			if let Some(m) = &self.shared.metrics {
				m.ipfs_failures.inc();
			}
			if matches!(error, IpfsError::Unreachable { .. } | IpfsError::Timeout { .. }) {
				// A daemon that stopped may have lost or kept anything: list its pins again.
				self.steward.forget_pins();
			}
			tracing::warn!(target: LOG_TARGET, role = "steward", block = now, %cid, %error, "pin failed; retrying after a backoff");
		}
	}

	fn list_failed(&mut self, error: IpfsError, now: BlockNumber) {
		if let Some(m) = &self.shared.metrics {
			m.ipfs_failures.inc();
		}
		tracing::warn!(target: LOG_TARGET, role = "steward", block = now, %error, "cannot list the daemon's pins; retrying");
	}

	/// Takes the outcomes of a finished pin batch into the steward's memory.
	async fn collect_pins(&mut self, now: BlockNumber) {
		if !self.pinning.as_ref().is_some_and(|(_, batch)| batch.is_finished()) {
			return;
		}
		let (cids, batch) = self.pinning.take().expect("checked above; qed");
		let outcomes = match batch.await {
			Ok(outcomes) => outcomes,
			Err(error) => {
				// The task was cancelled (the node is stopping) or, where no panic hook ends the
				// process first (this crate's tests; the node's does), panicked: never an IPFS
				// failure, so neither counted nor backed off as one; the next round starts the
				// same pins again.
				tracing::error!(target: LOG_TARGET, role = "steward", block = now, %error, "the pin task failed");
				for cid in &cids {
					self.steward.pin_abandoned(cid);
				}
				return;
			},
		};
		let mut report = RoundReport::default();
		for (cid, outcome) in outcomes {
			self.steward.pin_ended(&cid, &outcome, now);
			match outcome {
				Ok(()) => report.pinned.push(cid),
				Err(e) => report.failed.push((cid, e)),
			}
		}
		self.log(&report, now);
	}

	/// Starts pinning what is required and not pinned, unless pins are still under way.
	fn start_pins(&mut self, must_pin: &[PinItem], now: BlockNumber) {
		if self.pinning.is_some() {
			return;
		}
		let cids = self.steward.pins_to_start(must_pin, now);
		if cids.is_empty() {
			return;
		}
		let ipfs = self.ipfs.clone();
		let work: Vec<(String, u64)> =
			cids.iter().map(|cid| (cid.clone(), pin_limit(must_pin, cid))).collect();
		let batch = tokio::spawn(async move {
			futures::stream::iter(work)
				.map(|(cid, limit)| {
					let ipfs = ipfs.clone();
					async move {
						let outcome = pin(&*ipfs, &cid, limit).await;
						(cid, outcome)
					}
				})
				.buffer_unordered(PIN_CONCURRENCY)
				.collect::<Vec<_>>()
				.await
		});
		self.pinning = Some((cids, batch));
	}
}

#[async_trait]
impl<C, P> Role for StewardRole<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	fn name(&self) -> &'static str {
		"steward"
	}

	async fn round(&mut self, at: H256, now: BlockNumber) {
		self.collect_pins(now).await;
		let api = self.shared.client.runtime_api();
		let me = self.shared.signer.account().clone();
		let lists = api
			.must_pin(at, me.clone())
			.and_then(|pin| api.must_unpin(at, me).map(|unpin| (pin, unpin)));
		let (must_pin, must_unpin) = match lists {
			Ok(lists) => lists,
			Err(e) => {
				tracing::warn!(target: LOG_TARGET, role = "steward", block = now, error = %e, "VaultsApi failed; retrying");
				return;
			},
		};
		if let Some(m) = &self.shared.metrics {
			m.pins_required.set(must_pin.len() as u64);
			m.unpins_pending.set(must_unpin.len() as u64);
		}
		match self.steward.unpin_ended(&*self.ipfs, &must_pin, &must_unpin, now).await {
			Ok(report) => {
				self.log(&report, now);
				for target in report.to_confirm {
					let call =
						RuntimeCall::Vaults(pallet_vaults::Call::confirm_unpinned { target });
					let what = format!("unpin confirmation of {target:?} (block {now})");
					if let Err(e) = self.shared.submit(call, "steward", what).await {
						self.shared.failed(
							"steward",
							format_args!("unpin confirmation of {target:?}"),
							&e,
						);
						self.steward.confirmation_failed(&target);
					}
				}
			},
			Err(e) => return self.list_failed(e, now),
		}
		self.report_unfetchable(at, &must_pin, now).await;
		self.start_pins(&must_pin, now);
	}
}

impl<C, P> StewardRole<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	/// Reports on chain each record whose object has been unfetchable for the chain's threshold.
	async fn report_unfetchable(&mut self, at: H256, must_pin: &[PinItem], now: BlockNumber) {
		let threshold = match self.shared.client.runtime_api().unfetchable_after(at) {
			Ok(threshold) => threshold,
			Err(e) => {
				tracing::warn!(target: LOG_TARGET, role = "steward", block = now, error = %e, "VaultsApi::unfetchable_after failed; retrying");
				return;
			},
		};
		for UnfetchableRecord { record, reason, since } in
			self.steward.unfetchable_to_report(must_pin, threshold, now)
		{
			let call = RuntimeCall::Vaults(pallet_vaults::Call::report_unfetchable {
				record,
				reason,
				since,
			});
			let what = format!("record {record} unfetchable ({reason:?} since block {since})");
			if let Err(e) = self.shared.submit(call, "steward", what).await {
				self.shared.failed("steward", format_args!("report of record {record}"), &e);
				self.steward.report_failed(record);
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::{sync::Mutex, time::Duration};

	/// A daemon that serves every CID but [`POISON`], which nobody serves and which it cannot
	/// even unpin (a malformed CID); it records the calls it gets.
	#[derive(Default)]
	struct PoisonedIpfs {
		pinned: Mutex<HashSet<String>>,
		calls: Mutex<Vec<String>>,
	}

	const POISON: &str = "Qm0Poison";

	impl PoisonedIpfs {
		fn call(&self, call: String) {
			self.calls.lock().unwrap().push(call);
		}
	}

	#[async_trait]
	impl Ipfs for PoisonedIpfs {
		async fn version(&self) -> Result<String, IpfsError> {
			Ok("poisoned".into())
		}
		async fn add(&self, _: Vec<u8>) -> Result<String, IpfsError> {
			unreachable!("a steward never adds")
		}
		async fn cat(&self, _: &str, _: u64, _: Duration) -> Result<Vec<u8>, IpfsError> {
			unreachable!("a steward never reads")
		}
		async fn pin_add(&self, cid: &str, _: u64, _: Duration) -> Result<(), IpfsError> {
			self.call(format!("pin {cid}"));
			if cid == POISON {
				return Err(IpfsError::Daemon {
					call: "cat",
					message: "context deadline exceeded".into(),
				});
			}
			self.pinned.lock().unwrap().insert(cid.into());
			Ok(())
		}
		async fn pin_rm(&self, cid: &str) -> Result<(), IpfsError> {
			self.call(format!("unpin {cid}"));
			if cid == POISON {
				return Err(IpfsError::Daemon { call: "pin/rm", message: "invalid path".into() });
			}
			self.pinned.lock().unwrap().remove(cid);
			Ok(())
		}
		async fn pins(&self) -> Result<HashSet<String>, IpfsError> {
			Ok(self.pinned.lock().unwrap().clone())
		}
		async fn gc(&self) -> Result<(), IpfsError> {
			self.call("gc".into());
			Ok(())
		}
	}

	#[tokio::test]
	async fn a_poisoned_cid_fails_alone_and_the_rest_of_the_round_goes_on() {
		let ipfs = PoisonedIpfs::default();
		ipfs.pinned
			.lock()
			.unwrap()
			.extend(["QmEnded1".to_string(), "QmEnded2".to_string()]);
		let must_pin = [
			item(PinTarget::Record(1), POISON),
			item(PinTarget::Record(2), "QmGood1"),
			item(PinTarget::Vault(3), "QmGood2"),
		];
		let must_unpin = [
			item(PinTarget::Vault(4), "QmEnded1"),
			item(PinTarget::Record(5), POISON),
			item(PinTarget::Vault(6), "QmEnded2"),
		];
		let mut steward = Steward::default();

		let unpins = steward.unpin_ended(&ipfs, &must_pin, &must_unpin, 10).await.unwrap();
		// The poisoned CID is still required by record 1, so it is not unpinned, and its ended
		// target is confirmed like any other kept CID; both ended vaults are unpinned, collected
		// and confirmed in this round.
		assert_eq!(unpins.unpinned, ["QmEnded1", "QmEnded2"]);
		assert_eq!(
			unpins.to_confirm,
			[PinTarget::Vault(4), PinTarget::Record(5), PinTarget::Vault(6)]
		);
		let pins = steward.pin_required(&ipfs, &must_pin, 10).await.unwrap();
		assert_eq!(pins.pinned, ["QmGood1", "QmGood2"]);
		assert_eq!(pins.failed.len(), 1);
		assert_eq!(pins.failed[0].0, POISON);
		assert_eq!(
			*ipfs.pinned.lock().unwrap(),
			HashSet::from(["QmGood1".to_string(), "QmGood2".to_string()])
		);
		// Unpins and their garbage collection come before any pin.
		let calls = ipfs.calls.lock().unwrap().clone();
		assert_eq!(
			calls,
			[
				"unpin QmEnded1",
				"unpin QmEnded2",
				"gc",
				"pin Qm0Poison",
				"pin QmGood1",
				"pin QmGood2"
			]
		);
	}

	#[tokio::test]
	async fn an_unpin_that_fails_holds_back_only_its_own_confirmation() {
		let ipfs = PoisonedIpfs::default();
		ipfs.pinned.lock().unwrap().extend([POISON.to_string(), "QmEnded".to_string()]);
		let must_unpin = [item(PinTarget::Vault(1), POISON), item(PinTarget::Vault(2), "QmEnded")];
		let mut steward = Steward::default();
		let report = steward.unpin_ended(&ipfs, &[], &must_unpin, 10).await.unwrap();
		assert_eq!(report.unpinned, ["QmEnded"]);
		assert_eq!(report.to_confirm, [PinTarget::Vault(2)]);
		assert_eq!(report.failed.len(), 1);
		assert_eq!(steward.failing(), 1);
	}

	#[tokio::test]
	async fn a_failing_cid_is_retried_with_exponential_backoff() {
		let ipfs = PoisonedIpfs::default();
		let must_pin = [item(PinTarget::Record(1), POISON)];
		let mut steward = Steward::default();
		let mut tried_at = Vec::new();
		for now in 10..50 {
			if !steward.pin_required(&ipfs, &must_pin, now).await.unwrap().failed.is_empty() {
				tried_at.push(now);
			}
		}
		assert_eq!(tried_at, [10, 11, 13, 17, 25, 41]);
		// The chain stopped naming it: forgotten.
		steward.unpin_ended(&ipfs, &[], &[], 50).await.unwrap();
		assert_eq!(steward.failing(), 0);
	}

	#[tokio::test]
	async fn a_record_unfetchable_for_the_threshold_is_reported_once_with_its_reason() {
		let ipfs = PoisonedIpfs::default();
		let must_pin = [
			item(PinTarget::Record(1), POISON),
			item(PinTarget::Record(2), "QmGood"),
			// A vault naming the poisoned CID: only records are reported.
			item(PinTarget::Vault(3), POISON),
		];
		let mut steward = Steward::default();
		let mut reports = Vec::new();
		for now in 10..60 {
			steward.pin_required(&ipfs, &must_pin, now).await.unwrap();
			for report in steward.unfetchable_to_report(&must_pin, 20, now) {
				reports.push((now, report));
			}
		}
		// First failure at block 10, retried with backoff; reported at 10 + 20, once.
		assert_eq!(
			reports,
			[(
				30,
				UnfetchableRecord { record: 1, reason: UnfetchableReason::Unreachable, since: 10 }
			)]
		);
		// A report that could not be submitted is made again at the next round.
		steward.report_failed(1);
		assert_eq!(steward.unfetchable_to_report(&must_pin, 20, 60).len(), 1);
		assert!(steward.unfetchable_to_report(&must_pin, 20, 61).is_empty());
	}

	#[test]
	fn a_daemon_that_is_down_is_never_blamed_on_a_record() {
		let must_pin = [item(PinTarget::Record(7), "QmFar")];
		let mut steward = Steward { pinned: Some(HashSet::new()), ..Default::default() };
		let down = Err(IpfsError::Unreachable { call: "cat", detail: "connection refused".into() });
		let slow = Err(IpfsError::Timeout { call: "pin/add", after: Duration::from_secs(30) });
		for now in 0..200 {
			steward.pins_to_start(&must_pin, now);
			steward.pin_ended("QmFar", if now % 2 == 0 { &down } else { &slow }, now);
		}
		assert!(steward.unfetchable_to_report(&must_pin, 20, 200).is_empty());
		// The daemon is back and the content too large: the clock starts now.
		let too_large = Err(IpfsError::TooLarge { cid: "QmFar".into(), limit: 1_024 });
		steward.pin_ended("QmFar", &too_large, 200);
		assert!(steward.unfetchable_to_report(&must_pin, 20, 219).is_empty());
		assert_eq!(
			steward.unfetchable_to_report(&must_pin, 20, 220),
			[UnfetchableRecord { record: 7, reason: UnfetchableReason::TooLarge, since: 200 }]
		);
	}

	#[test]
	fn a_pin_whose_task_failed_starts_again_at_once_and_is_never_an_ipfs_failure() {
		let must_pin = [item(PinTarget::Record(5), "QmAgain")];
		let mut steward = Steward { pinned: Some(HashSet::new()), ..Default::default() };
		assert_eq!(steward.pins_to_start(&must_pin, 10), ["QmAgain"]);
		// Under way: not started twice.
		assert!(steward.pins_to_start(&must_pin, 11).is_empty());
		steward.pin_abandoned("QmAgain");
		assert_eq!(steward.failing(), 0);
		assert_eq!(steward.pins_to_start(&must_pin, 11), ["QmAgain"]);
	}

	#[test]
	fn a_record_fetched_before_the_threshold_is_not_reported() {
		let must_pin = [item(PinTarget::Record(4), "QmLate")];
		let mut steward = Steward { pinned: Some(HashSet::new()), ..Default::default() };
		let missing =
			Err(IpfsError::Daemon { call: "cat", message: "context deadline exceeded".into() });
		steward.pin_ended("QmLate", &missing, 10);
		steward.pin_ended("QmLate", &Ok(()), 25);
		assert!(steward.unfetchable_to_report(&must_pin, 20, 40).is_empty());
	}

	#[test]
	fn the_backoff_never_exceeds_its_cap() {
		let mut backoff = Backoff::default();
		for _ in 0..40 {
			backoff.failed("QmX", 100);
		}
		assert!(!backoff.due("QmX", 100 + MAX_BACKOFF - 1));
		assert!(backoff.due("QmX", 100 + MAX_BACKOFF));
		backoff.succeeded("QmX");
		assert!(backoff.due("QmX", 0) && backoff.is_empty());
	}

	fn item(target: PinTarget, cid: &str) -> PinItem {
		PinItem { target, cid: cid.as_bytes().to_vec(), size: None }
	}

	#[test]
	fn a_pin_is_limited_to_the_size_the_chain_declared() {
		let record =
			|id, cid: &str, size| PinItem { size: Some(size), ..item(PinTarget::Record(id), cid) };
		let must_pin =
			[record(1, "QmA", 1_024), record(2, "QmA", 4_096), item(PinTarget::Vault(3), "QmB")];
		// Two records naming one CID: the smaller declaration wins.
		assert_eq!(pin_limit(&must_pin, "QmA"), 1_024);
		// A vault's copy has no size on chain: the steward's own cap.
		assert_eq!(pin_limit(&must_pin, "QmB"), MAX_PINNED_OBJECT_BYTES);
		// A declaration above the cap does not lift it.
		assert_eq!(pin_limit(&[record(4, "QmC", u64::MAX)], "QmC"), MAX_PINNED_OBJECT_BYTES);
	}

	#[test]
	fn pins_only_what_is_required_and_missing() {
		let pinned = HashSet::from(["QmA".to_string()]);
		let plan = plan(
			&[item(PinTarget::Record(1), "QmA"), item(PinTarget::Vault(1), "QmB")],
			&[],
			&pinned,
			&BTreeMap::new(),
			10,
		);
		assert_eq!(plan, Plan { pin: vec!["QmB".into()], unpin: vec![], confirm: vec![] });
	}

	#[test]
	fn unpins_and_confirms_what_ended() {
		let pinned = HashSet::from(["QmV".to_string()]);
		let plan = plan(&[], &[item(PinTarget::Vault(7), "QmV")], &pinned, &BTreeMap::new(), 10);
		assert_eq!(
			plan,
			Plan { pin: vec![], unpin: vec!["QmV".into()], confirm: vec![PinTarget::Vault(7)] }
		);
	}

	#[test]
	fn a_cid_still_required_by_another_target_is_confirmed_but_kept() {
		let plan = plan(
			&[item(PinTarget::Vault(2), "QmSame")],
			&[item(PinTarget::Vault(1), "QmSame")],
			&HashSet::from(["QmSame".to_string()]),
			&BTreeMap::new(),
			10,
		);
		assert_eq!(plan, Plan { pin: vec![], unpin: vec![], confirm: vec![PinTarget::Vault(1)] });
	}

	#[test]
	fn a_recent_confirmation_is_not_repeated_until_it_is_overdue() {
		let ended = [item(PinTarget::Vault(3), "QmV")];
		let confirming = BTreeMap::from([(PinTarget::Vault(3), 10)]);
		let soon = plan(&[], &ended, &HashSet::new(), &confirming, 10 + RESUBMIT_AFTER - 1);
		assert_eq!(soon, Plan::default());
		let overdue = plan(&[], &ended, &HashSet::new(), &confirming, 10 + RESUBMIT_AFTER);
		assert_eq!(overdue.confirm, vec![PinTarget::Vault(3)]);
	}
}
