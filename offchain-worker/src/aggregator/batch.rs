//! One verification batch, in two steps:
//!
//! 1. **Verify** ([`verify`]): for each report, in batch order, the object fetched from IPFS
//!    ([`fetch_reports`]), decoded, its id compared with the one the chain registered, checked
//!    against the replay guard, and started with `Aggregator::verify_init` under the binding
//!    rebuilt **from the chain** (genesis, the batch's epoch, the schema, the owner the chain
//!    holds, the record): this aggregator's `VerifierBatch`, shares or a rejection per report.
//! 2. **Finish** ([`finish`]), once every aggregator's batch is on chain: each decoded against
//!    the chain's report list (`VerifierBatch::decode_for`), the engine's verdict rule applied
//!    to each report (the lowest-indexed aggregator's rejection, else all shares), this
//!    aggregator's state recomputed with `verify_init` (it is deterministic, so nothing is kept
//!    between the two steps but, as a cache, the fetched bytes), `Aggregator::finish`, and the
//!    valid reports' output shares appended to the (epoch, schema) store, each once.
//!
//! Both run on a blocking thread (`verify_init` is ~0.1 ms per report per part).

use std::{
	collections::BTreeMap,
	sync::{Arc, Mutex},
	time::Duration,
};

use custodia_primitives::statistics::{
	AggregatorEpochId, BatchRejection, ReportToVerify, SchemaId,
};
use custodia_runtime::AccountId;
use custodia_statistics::{
	aggregator::{Aggregator, BatchEntry, OutputShare, VerifierBatch},
	binding::{Binding, ReportId},
	envelope::KeyPair,
	report::{Report, MAX_REPORT_BYTES},
	schema::Layout,
	Rejection,
};
use futures::{future::BoxFuture, FutureExt, StreamExt};

use super::{chain::chain_reason, state::EpochShares, Error, Severity};
use custodia_ipfs::{Error as IpfsError, Ipfs};

use crate::shared::content_hash;

/// A report's bytes, or why this aggregator could not get the registered bytes.
pub type Fetched = Result<Arc<Vec<u8>>, Rejection>;

/// What this node is in an epoch it aggregates for.
pub struct EpochContext {
	/// The epoch.
	pub epoch: AggregatorEpochId,
	/// This node's index among the epoch's aggregators.
	pub index: usize,
	/// How many aggregators the epoch has.
	pub aggregators: usize,
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// This node's key pair for the epoch.
	pub keys: KeyPair,
	/// The epoch's agreed Prio3 verification key.
	pub verify_key: [u8; 32],
}

impl EpochContext {
	/// This node as the aggregator of `layout` in the epoch.
	pub fn aggregator(&self, layout: Layout) -> Result<Aggregator, Error> {
		Ok(Aggregator::new(
			layout,
			self.index,
			self.keys.clone(),
			self.verify_key,
			self.genesis,
			self.epoch,
		)?)
	}

	/// What the chain says `report` is bound to, with the schema's engine id.
	pub fn binding(&self, schema: [u8; 32], report: &ReportToVerify<AccountId>) -> Binding {
		Binding {
			genesis: self.genesis,
			epoch: self.epoch,
			schema,
			owner: report.owner.clone().into(),
			record: report.record,
		}
	}
}

/// One schema of a batch: this node as its aggregator, and its output-share store.
#[derive(Clone)]
pub struct SchemaContext {
	/// The aggregator of the schema's layout.
	pub aggregator: Arc<Aggregator>,
	/// The (epoch, schema) store.
	pub shares: Arc<Mutex<EpochShares>>,
}

/// How report objects are fetched.
#[derive(Clone, Debug)]
pub struct FetchOptions {
	/// How long the daemon may look for one object before it counts as unreachable.
	pub lookup: Duration,
	/// Objects fetched at once.
	pub concurrency: usize,
	/// The largest object read (the chain's `MaxReportSize`; never above the engine's limit).
	pub max_bytes: usize,
}

/// Fetches one report object: its bytes, `Err(Rejected)` when the object is unreachable, too
/// large or not what was registered, any other error when the daemon itself failed.
async fn fetch_one(
	ipfs: &dyn Ipfs,
	report: &ReportToVerify<AccountId>,
	options: &FetchOptions,
) -> Result<Vec<u8>, Error> {
	let limit = options.max_bytes.min(MAX_REPORT_BYTES);
	if report.size as usize > limit {
		return Err(Error::Rejected(Rejection::TooLarge));
	}
	// A CID that is not text cannot be fetched from anywhere.
	let Ok(cid) = std::str::from_utf8(&report.object.cid) else {
		return Err(Error::Rejected(Rejection::Unreachable));
	};
	// The daemon gives up after `lookup`; the extra time covers a slow transfer.
	let call = ipfs.cat(cid, report.size.into(), options.lookup);
	let bytes = match tokio::time::timeout(options.lookup * 2, call).await {
		Err(_) => return Err(Error::Rejected(Rejection::Unreachable)),
		Ok(Err(IpfsError::TooLarge { .. })) => return Err(Error::Rejected(Rejection::TooLarge)),
		// The daemon answered that it could not get the object (not found within `lookup`).
		Ok(Err(IpfsError::Daemon { .. })) => return Err(Error::Rejected(Rejection::Unreachable)),
		Ok(Err(e)) => return Err(e.into()),
		Ok(Ok(bytes)) => bytes,
	};
	if content_hash(&bytes) != report.object.hash {
		return Err(Error::Rejected(Rejection::HashMismatch));
	}
	Ok(bytes)
}

/// A report object's bytes, or why they could not be read.
type FetchResult = Result<Vec<u8>, Error>;

/// Fetches the objects of the reports `wanted(k)` selects, `concurrency` at a time, in batch
/// order (`None` for the others). A daemon that does not answer is an error for the whole
/// batch (retried at the next round), never a reason to reject someone's report: the daemon is
/// asked for its version first, and again when every fetch failed.
pub async fn fetch_reports(
	ipfs: &dyn Ipfs,
	reports: &[ReportToVerify<AccountId>],
	wanted: impl Fn(usize) -> bool,
	options: &FetchOptions,
) -> Result<Vec<Option<Fetched>>, Error> {
	ipfs.version().await?;
	// Boxed futures in a plain vector: a stream built with a closure over borrowed reports is
	// not provably `Send` inside the role's task (rust-lang/rust#110338).
	let fetches: Vec<BoxFuture<'_, Option<FetchResult>>> = reports
		.iter()
		.enumerate()
		.map(|(k, report)| {
			let fetch = wanted(k);
			async move {
				if fetch {
					Some(fetch_one(ipfs, report, options).await)
				} else {
					None
				}
			}
			.boxed()
		})
		.collect();
	let fetched: Vec<Option<Result<Vec<u8>, Error>>> = futures::stream::iter(fetches)
		.buffered(options.concurrency.max(1))
		.collect()
		.await;
	let tried = fetched.iter().flatten().count();
	let unreachable = fetched
		.iter()
		.flatten()
		.filter(|f| matches!(f, Err(Error::Rejected(Rejection::Unreachable))))
		.count();
	if tried > 1 && unreachable == tried {
		// Every object unreachable: more likely the daemon died meanwhile.
		ipfs.version().await?;
	}
	fetched
		.into_iter()
		.map(|f| match f {
			None => Ok(None),
			Some(Ok(bytes)) => Ok(Some(Ok(Arc::new(bytes)))),
			Some(Err(e)) => match e.severity() {
				Severity::Reject(reason) => Ok(Some(Err(reason))),
				_ => Err(e),
			},
		})
		.collect()
}

/// Opens one report as this aggregator: its decoded report, or why it is left out.
fn open_report(
	context: &EpochContext,
	schemas: &BTreeMap<SchemaId, SchemaContext>,
	chain: &ReportToVerify<AccountId>,
	fetched: Option<&Fetched>,
) -> Result<(Report, Binding, Arc<Aggregator>), Rejection> {
	let bytes = fetched.ok_or(Rejection::Unreachable)?.as_ref().map_err(|r| *r)?;
	let report = Report::from_bytes(bytes).map_err(|_| Rejection::Malformed)?;
	// The chain registered this id for this object: bytes with another id are another report.
	if report.id != chain.id {
		return Err(Rejection::ReportIdMismatch);
	}
	let schema = schemas.get(&chain.schema).ok_or(Rejection::WrongContext)?;
	let binding = context.binding(schema.aggregator.layout().schema_id, chain);
	Ok((report, binding, schema.aggregator.clone()))
}

/// Step 1: this aggregator's verdict on every report of a batch.
pub fn verify(
	context: &EpochContext,
	schemas: &BTreeMap<SchemaId, SchemaContext>,
	reports: &[ReportToVerify<AccountId>],
	fetched: &[Option<Fetched>],
) -> Result<VerifierBatch, Error> {
	let mut entries = Vec::with_capacity(reports.len());
	for (k, chain) in reports.iter().enumerate() {
		let verdict = rejected_if_it_panics(|| {
			let (report, binding, aggregator) =
				open_report(context, schemas, chain, fetched.get(k).and_then(Option::as_ref))?;
			// A poisoned lock still holds the ids stored before the panic.
			let shares = schemas[&chain.schema]
				.shares
				.lock()
				.unwrap_or_else(|poisoned| poisoned.into_inner());
			if shares.stored.contains(&report.id) {
				return Err(Rejection::Replayed);
			}
			drop(shares);
			aggregator.verify_init(&binding, &report).map(|(_, shares)| shares)
		});
		entries.push(match verdict {
			Ok(shares) => BatchEntry::Shares(shares),
			Err(reason) => BatchEntry::Rejected { report_id: chain.id, reason },
		});
	}
	Ok(VerifierBatch { aggregator: context.index as u8, entries })
}

/// `verdict`, one report's verification, with a panic in it counted as a malformed report. The
/// bytes Prio3 reads here are any account's: a report that made it panic must be rejected alone
/// (every aggregator rejects it alike), not fail its whole batch at every round until the batch
/// times out (F27). Runs on the blocking pool, where a panic unwinds (`on_blocking_pool`).
pub fn rejected_if_it_panics<T>(
	verdict: impl FnOnce() -> Result<T, Rejection>,
) -> Result<T, Rejection> {
	std::panic::catch_unwind(std::panic::AssertUnwindSafe(verdict))
		.unwrap_or(Err(Rejection::Malformed))
}

/// Decodes every aggregator's published batch against the chain's report list; `None` for a
/// batch that is missing or does not decode (its reports are rejected by the verdict rule).
pub fn decode_batches(
	published: &[Option<Vec<u8>>],
	reports: &[ReportToVerify<AccountId>],
) -> Vec<Option<VerifierBatch>> {
	let ids: Vec<ReportId> = reports.iter().map(|r| r.id).collect();
	published
		.iter()
		.enumerate()
		.map(|(j, bytes)| bytes.as_deref().and_then(|b| VerifierBatch::decode_for(b, j, &ids).ok()))
		.collect()
}

/// What finishing a batch gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Finished {
	/// The reports left out, by index in the batch, with the chain's reason.
	pub rejected: Vec<BatchRejection>,
	/// Valid reports.
	pub valid: usize,
	/// Of those, output shares appended now (the others were stored before a restart).
	pub appended: usize,
}

/// Step 2: finishes every report of a batch with all aggregators' batches (in aggregator
/// order, from [`decode_batches`]) and appends the valid ones' output shares to the stores.
pub fn finish(
	context: &EpochContext,
	schemas: &BTreeMap<SchemaId, SchemaContext>,
	reports: &[ReportToVerify<AccountId>],
	fetched: &[Option<Fetched>],
	batches: &[Option<VerifierBatch>],
) -> Result<Finished, Error> {
	let mut outcome = Finished::default();
	let mut outputs: BTreeMap<SchemaId, Vec<OutputShare>> = BTreeMap::new();
	for (k, chain) in reports.iter().enumerate() {
		let verdict = rejected_if_it_panics(|| {
			let all = VerifierBatch::verdict(batches, k)?;
			let (report, binding, aggregator) =
				open_report(context, schemas, chain, fetched.get(k).and_then(Option::as_ref))?;
			let (pending, _) = aggregator.verify_init(&binding, &report)?;
			aggregator.finish(pending, &all)
		});
		match verdict {
			Ok(output) => outputs.entry(chain.schema).or_default().push(output),
			Err(reason) => outcome
				.rejected
				.push(BatchRejection { index: k as u32, reason: chain_reason(reason) }),
		}
	}
	for (schema, shares) in outputs {
		outcome.valid += shares.len();
		let mut store = schemas[&schema]
			.shares
			.lock()
			.map_err(|_| Error::Task("an output-share store lock is poisoned".into()))?;
		outcome.appended += store.append_new(shares)?;
	}
	Ok(outcome)
}
