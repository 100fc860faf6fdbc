//! Aggregator side: from a report to an output share.
//!
//! For each report the chain lists in its epoch, the worker of aggregator `i`:
//! 1. checks the report id is new with a [`ReplayGuard`] (`Rejection::Replayed`);
//! 2. calls [`Aggregator::verify_init`] with the binding it rebuilt from the chain: the context
//!    must be this epoch's (`WrongContext`), the id must derive from the binding and the salt
//!    (`ReportIdMismatch`), its own envelope must open under the binding (`ShareDoesNotOpen`:
//!    sealed to another aggregator, or a copy under another owner, record, epoch or chain), and
//!    the shares must decode (`MalformedShare`, `WrongLength`). It gets a [`Pending`] state and
//!    the [`VerifierShares`] it publishes (one small message per report, all parts);
//! 3. once every aggregator's `VerifierShares` for the report is in, calls
//!    [`Aggregator::finish`]: the combined verifier message decides the validity proofs of all
//!    parts (`InvalidProof`), and the result is this aggregator's [`OutputShare`], stored with
//!    [`crate::store`].
//!
//! Every aggregator computes the same verdict from the same published verifier shares; a
//! report is counted only if all of them reach `finish` without a rejection.
//!
//! ## Batches
//! Reports are verified in batches (on Custodia: the reports registered in one block). For a
//! batch, aggregator `i` publishes one [`VerifierBatch`]: for each report, in batch order, its
//! [`VerifierShares`] or the [`Rejection`] that made it leave the report out before
//! verification (including why it could not get the registered bytes: `Unreachable`,
//! `TooLarge`, `HashMismatch`). Once every aggregator's batch is in, each decodes all of them
//! with [`VerifierBatch::decode_for`] (which checks the publisher's index, the batch length and
//! every report id) and applies the same rule to each report, [`VerifierBatch::verdict`]: the
//! rejection of the lowest-indexed aggregator that rejected it, else every aggregator's shares
//! for [`Aggregator::finish`].

use crate::{
	binding::{report_id, Binding, ReportId},
	envelope::{self, KeyPair},
	report::{Report, INPUT_SHARE_INFO},
	schema::Layout,
	vdaf::{self, VerifyState, VERIFY_KEY_LEN},
	wire::{self, Kind, Reader},
	Error, Rejection,
};
use prio::field::Field128;
use std::collections::HashSet;

/// One aggregator of one epoch.
#[derive(Debug)]
pub struct Aggregator {
	layout: Layout,
	index: usize,
	keys: KeyPair,
	verify_key: [u8; VERIFY_KEY_LEN],
	genesis: [u8; 32],
	epoch: u32,
}

/// This aggregator's state for one report between `verify_init` and `finish`.
#[derive(Clone, Debug)]
pub struct Pending {
	/// The report.
	pub report_id: ReportId,
	binding: Binding,
	states: Vec<VerifyState>,
}

/// What an aggregator publishes for one report: its verifier share of every part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierShares {
	/// The report.
	pub report_id: ReportId,
	/// The publishing aggregator's index.
	pub aggregator: u8,
	/// One encoded Prio3 verifier share per part.
	pub shares: Vec<Vec<u8>>,
}

/// This aggregator's output share of one valid report: its share of every output of the layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputShare {
	/// The report.
	pub report_id: ReportId,
	/// Field elements, [`Layout::output_len`] of them.
	pub values: Vec<Field128>,
}

/// Largest verifier share of one part.
pub const MAX_VERIFIER_SHARE_BYTES: usize = 16 * 1024;

impl Aggregator {
	/// Aggregator `index` of the epoch `(genesis, epoch)` for the schema of `layout`, with its
	/// HPKE key pair and the epoch's agreed verification key ([`crate::verify_key`]).
	pub fn new(
		layout: Layout,
		index: usize,
		keys: KeyPair,
		verify_key: [u8; VERIFY_KEY_LEN],
		genesis: [u8; 32],
		epoch: u32,
	) -> Result<Self, Error> {
		if index >= layout.aggregators {
			return Err(Error::AggregatorIndex { index, count: layout.aggregators });
		}
		Ok(Aggregator { layout, index, keys, verify_key, genesis, epoch })
	}

	/// This aggregator's index.
	pub fn index(&self) -> usize {
		self.index
	}

	/// The layout it verifies.
	pub fn layout(&self) -> &Layout {
		&self.layout
	}

	/// Opens my input share of `report` under `binding` (rebuilt from the chain) and starts the
	/// verification of every part.
	pub fn verify_init(
		&self,
		binding: &Binding,
		report: &Report,
	) -> Result<(Pending, VerifierShares), Rejection> {
		let layout = &self.layout;
		if binding.genesis != self.genesis
			|| binding.epoch != self.epoch
			|| binding.schema != layout.schema_id
			|| report.schema != layout.schema_id
		{
			return Err(Rejection::WrongContext);
		}
		if report.sealed.len() != layout.aggregators
			|| report.public_shares.len() != layout.parts.len()
		{
			return Err(Rejection::WrongLength);
		}
		if report_id(binding, &report.salt) != report.id {
			return Err(Rejection::ReportIdMismatch);
		}
		let aad = binding.aad(&report.id, self.index, layout.aggregators);
		let plaintext =
			envelope::open(&self.keys, INPUT_SHARE_INFO, &aad, &report.sealed[self.index])
				.ok_or(Rejection::ShareDoesNotOpen)?;
		let mut r = Reader::new("input shares", &plaintext);
		let mut states = Vec::with_capacity(layout.parts.len());
		let mut shares = Vec::with_capacity(layout.parts.len());
		for (i, part) in layout.parts.iter().enumerate() {
			let input = r
				.bytes32("input share", crate::report::MAX_SHARE_BYTES)
				.map_err(|_| Rejection::MalformedShare)?;
			let (state, share) = vdaf::verify_init(
				part,
				&self.verify_key,
				&binding.vdaf_ctx(i),
				self.index,
				&report.id,
				&report.public_shares[i],
				input,
			)?;
			states.push(state);
			shares.push(share);
		}
		r.finish().map_err(|_| Rejection::MalformedShare)?;
		let pending = Pending { report_id: report.id, binding: *binding, states };
		Ok((pending, VerifierShares { report_id: report.id, aggregator: self.index as u8, shares }))
	}

	/// Finishes the verification of a report with every aggregator's verifier shares (any
	/// order, exactly one per aggregator): my output share, or why the report is invalid.
	pub fn finish(
		&self,
		pending: Pending,
		all: &[VerifierShares],
	) -> Result<OutputShare, Rejection> {
		let n = self.layout.aggregators;
		let parts = self.layout.parts.len();
		let mut ordered: Vec<Option<&VerifierShares>> = vec![None; n];
		for v in all {
			let slot = ordered
				.get_mut(v.aggregator as usize)
				.ok_or(Rejection::MalformedVerifierShare)?;
			if slot.is_some() || v.report_id != pending.report_id || v.shares.len() != parts {
				return Err(Rejection::MalformedVerifierShare);
			}
			*slot = Some(v);
		}
		let ordered: Vec<&VerifierShares> = ordered
			.into_iter()
			.collect::<Option<_>>()
			.ok_or(Rejection::MalformedVerifierShare)?;
		let mut values = Vec::with_capacity(self.layout.output_len);
		for (i, (part, state)) in self.layout.parts.iter().zip(pending.states).enumerate() {
			let shares: Vec<&[u8]> = ordered.iter().map(|v| v.shares[i].as_slice()).collect();
			let out = vdaf::finish(part, &pending.binding.vdaf_ctx(i), state, &shares)?;
			if out.len() != part.output_len() {
				return Err(Rejection::WrongLength);
			}
			values.extend(out);
		}
		Ok(OutputShare { report_id: pending.report_id, values })
	}
}

impl VerifierShares {
	/// The deterministic encoding (wire kind 4): report id (16) | aggregator (u8) | parts (u8) |
	/// parts × (u32 length | verifier share).
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = Vec::new();
		wire::header(&mut out, Kind::VerifierShares);
		out.extend_from_slice(&self.report_id);
		out.push(self.aggregator);
		out.push(self.shares.len() as u8);
		self.shares.iter().for_each(|s| wire::put_bytes32(&mut out, s));
		out
	}

	/// Decodes verifier shares (their contents are checked by [`Aggregator::finish`]).
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let limit =
			wire::HEADER_LEN + 18 + crate::report::MAX_PARTS * (4 + MAX_VERIFIER_SHARE_BYTES);
		let mut r = wire::open(bytes, limit, Kind::VerifierShares)?;
		let report_id = r.array()?;
		let aggregator = r.u8()?;
		let n = r.u8()? as usize;
		if n == 0 || n > crate::report::MAX_PARTS {
			return Err(Error::Invalid { what: "part count", detail: n.to_string() });
		}
		let shares = (0..n)
			.map(|_| r.bytes32("verifier share", MAX_VERIFIER_SHARE_BYTES).map(<[u8]>::to_vec))
			.collect::<Result<_, _>>()?;
		r.finish()?;
		Ok(VerifierShares { report_id, aggregator, shares })
	}
}

/// One aggregator's published verdicts on one batch of reports (wire kind 8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierBatch {
	/// The publishing aggregator's index.
	pub aggregator: u8,
	/// One entry per report, in batch order.
	pub entries: Vec<BatchEntry>,
}

/// What an aggregator published for one report of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchEntry {
	/// Its verifier shares (their `aggregator` is the batch's).
	Shares(VerifierShares),
	/// It left the report out, for this reason.
	Rejected {
		/// The report.
		report_id: ReportId,
		/// Why.
		reason: Rejection,
	},
}

impl BatchEntry {
	/// The report the entry is about.
	pub fn report_id(&self) -> &ReportId {
		match self {
			BatchEntry::Shares(v) => &v.report_id,
			BatchEntry::Rejected { report_id, .. } => report_id,
		}
	}
}

/// Largest encoded [`VerifierBatch`]. A chain that stores batches must accept at least this.
pub const MAX_VERIFIER_BATCH_BYTES: usize = 1 << 20;
/// Most reports in one [`VerifierBatch`].
pub const MAX_BATCH_REPORTS: usize = 4096;
/// Smallest encoded entry: report id and tag.
const MIN_ENTRY_BYTES: usize = 16 + 1;

impl VerifierBatch {
	/// The deterministic encoding (wire kind 8):
	/// ```text
	/// aggregator (u8) | reports (u32) | reports × entry
	/// entry: report id (16) | tag (u8)
	///        tag 0: parts (u8) | parts × (u32 length | verifier share)
	///        tag c ≠ 0: the report is rejected with `Rejection::from_code(c)`
	/// ```
	/// Fails with [`Error::TooLarge`] beyond [`MAX_VERIFIER_BATCH_BYTES`] (nobody could decode
	/// it), and with [`Error::Invalid`] when an entry's shares name another aggregator or
	/// have no or too many parts.
	pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
		if self.entries.len() > MAX_BATCH_REPORTS {
			return Err(Error::Invalid {
				what: "verifier batch",
				detail: format!("{} reports", self.entries.len()),
			});
		}
		let mut out = Vec::new();
		wire::header(&mut out, Kind::VerifierBatch);
		out.push(self.aggregator);
		wire::put_u32(&mut out, self.entries.len() as u32);
		for entry in &self.entries {
			out.extend_from_slice(entry.report_id());
			match entry {
				BatchEntry::Shares(v) => {
					if v.aggregator != self.aggregator {
						return Err(Error::Invalid {
							what: "verifier batch",
							detail: format!(
								"shares of aggregator {} in the batch of {}",
								v.aggregator, self.aggregator
							),
						});
					}
					if v.shares.is_empty() || v.shares.len() > crate::report::MAX_PARTS {
						return Err(Error::Invalid {
							what: "part count",
							detail: v.shares.len().to_string(),
						});
					}
					out.push(0);
					out.push(v.shares.len() as u8);
					v.shares.iter().for_each(|s| wire::put_bytes32(&mut out, s));
				},
				BatchEntry::Rejected { reason, .. } => out.push(reason.code()),
			}
			if out.len() > MAX_VERIFIER_BATCH_BYTES {
				break;
			}
		}
		if out.len() > MAX_VERIFIER_BATCH_BYTES {
			return Err(Error::TooLarge {
				kind: Kind::VerifierBatch.name(),
				len: out.len(),
				limit: MAX_VERIFIER_BATCH_BYTES,
			});
		}
		Ok(out)
	}

	/// Decodes a batch (structure only: what it says about which reports is checked by
	/// [`VerifierBatch::decode_for`], the shares by [`Aggregator::finish`]).
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let mut r = wire::open(bytes, MAX_VERIFIER_BATCH_BYTES, Kind::VerifierBatch)?;
		let aggregator = r.u8()?;
		let n = r.u32()? as usize;
		if n > MAX_BATCH_REPORTS || n.saturating_mul(MIN_ENTRY_BYTES) > bytes.len() {
			return Err(Error::Invalid {
				what: "verifier batch",
				detail: format!("{n} reports in {} bytes", bytes.len()),
			});
		}
		let mut entries = Vec::with_capacity(n);
		for _ in 0..n {
			let report_id = r.array()?;
			let entry = match r.u8()? {
				0 => {
					let parts = r.u8()? as usize;
					if parts == 0 || parts > crate::report::MAX_PARTS {
						return Err(Error::Invalid {
							what: "part count",
							detail: parts.to_string(),
						});
					}
					let shares = (0..parts)
						.map(|_| {
							r.bytes32("verifier share", MAX_VERIFIER_SHARE_BYTES)
								.map(<[u8]>::to_vec)
						})
						.collect::<Result<_, _>>()?;
					BatchEntry::Shares(VerifierShares { report_id, aggregator, shares })
				},
				code => {
					let reason = Rejection::from_code(code).ok_or_else(|| Error::Invalid {
						what: "rejection code",
						detail: code.to_string(),
					})?;
					BatchEntry::Rejected { report_id, reason }
				},
			};
			entries.push(entry);
		}
		r.finish()?;
		Ok(VerifierBatch { aggregator, entries })
	}

	/// Decodes the batch aggregator `aggregator` published for the reports `reports` (in batch
	/// order): it must name that aggregator and have one entry per report, for that report.
	pub fn decode_for(
		bytes: &[u8],
		aggregator: usize,
		reports: &[ReportId],
	) -> Result<Self, Error> {
		let batch = Self::from_bytes(bytes)?;
		let invalid = |detail: String| Err(Error::Invalid { what: "verifier batch", detail });
		if batch.aggregator as usize != aggregator {
			return invalid(format!(
				"published by aggregator {aggregator} but names aggregator {}",
				batch.aggregator
			));
		}
		if batch.entries.len() != reports.len() {
			return invalid(format!(
				"{} entries for {} reports",
				batch.entries.len(),
				reports.len()
			));
		}
		if let Some(k) = batch.entries.iter().zip(reports).position(|(e, id)| e.report_id() != id) {
			return invalid(format!("entry {k} is for another report"));
		}
		Ok(batch)
	}

	/// The verdict of every aggregator on report `k` of a batch, from all their batches in
	/// aggregator order, each decoded with [`VerifierBatch::decode_for`] (`None`: missing or
	/// undecodable): going through the aggregators in order, the first that has no usable
	/// batch (`MalformedVerifierShare`) or left the report out (its reason) decides; otherwise
	/// every aggregator's verifier shares go to [`Aggregator::finish`]. Every aggregator
	/// applies this same rule to the same published bytes, so all reach the same verdict
	/// before `finish`.
	pub fn verdict(
		batches: &[Option<VerifierBatch>],
		k: usize,
	) -> Result<Vec<VerifierShares>, Rejection> {
		let mut all = Vec::with_capacity(batches.len());
		for batch in batches {
			match batch.as_ref().and_then(|b| b.entries.get(k)) {
				Some(BatchEntry::Shares(v)) => all.push(v.clone()),
				Some(BatchEntry::Rejected { reason, .. }) => return Err(*reason),
				None => return Err(Rejection::MalformedVerifierShare),
			}
		}
		Ok(all)
	}
}

/// The report ids an aggregator has already taken in an epoch: a replayed id is refused.
#[derive(Clone, Debug, Default)]
pub struct ReplayGuard {
	seen: HashSet<ReportId>,
}

impl ReplayGuard {
	/// An empty guard (one per epoch; refill it from the store after a restart).
	pub fn new() -> Self {
		Self::default()
	}

	/// Takes `id`, or refuses it with [`Rejection::Replayed`] if it was taken before.
	pub fn check_and_insert(&mut self, id: &ReportId) -> Result<(), Rejection> {
		if self.seen.insert(*id) {
			Ok(())
		} else {
			Err(Rejection::Replayed)
		}
	}

	/// Whether `id` was taken.
	pub fn contains(&self, id: &ReportId) -> bool {
		self.seen.contains(id)
	}

	/// How many ids were taken.
	pub fn len(&self) -> usize {
		self.seen.len()
	}

	/// Whether no id was taken.
	pub fn is_empty(&self) -> bool {
		self.seen.is_empty()
	}
}

/// A guard that has taken `ids`, e.g. [`crate::store::OutputShareStore::report_ids`] after a
/// restart.
impl FromIterator<ReportId> for ReplayGuard {
	fn from_iter<I: IntoIterator<Item = ReportId>>(ids: I) -> Self {
		ReplayGuard { seen: ids.into_iter().collect() }
	}
}
