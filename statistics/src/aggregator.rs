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
	pub fn verify_init(&self, binding: &Binding, report: &Report) -> Result<(Pending, VerifierShares), Rejection> {
		let layout = &self.layout;
		if binding.genesis != self.genesis
			|| binding.epoch != self.epoch
			|| binding.schema != layout.schema_id
			|| report.schema != layout.schema_id
		{
			return Err(Rejection::WrongContext);
		}
		if report.sealed.len() != layout.aggregators || report.public_shares.len() != layout.parts.len() {
			return Err(Rejection::WrongLength);
		}
		if report_id(binding, &report.salt) != report.id {
			return Err(Rejection::ReportIdMismatch);
		}
		let aad = binding.aad(&report.id, self.index, layout.aggregators);
		let plaintext = envelope::open(&self.keys, INPUT_SHARE_INFO, &aad, &report.sealed[self.index])
			.ok_or(Rejection::ShareDoesNotOpen)?;
		let mut r = Reader::new("input shares", &plaintext);
		let mut states = Vec::with_capacity(layout.parts.len());
		let mut shares = Vec::with_capacity(layout.parts.len());
		for (i, part) in layout.parts.iter().enumerate() {
			let input = r.bytes32("input share", crate::report::MAX_SHARE_BYTES).map_err(|_| Rejection::MalformedShare)?;
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
	pub fn finish(&self, pending: Pending, all: &[VerifierShares]) -> Result<OutputShare, Rejection> {
		let n = self.layout.aggregators;
		let parts = self.layout.parts.len();
		let mut ordered: Vec<Option<&VerifierShares>> = vec![None; n];
		for v in all {
			let slot = ordered.get_mut(v.aggregator as usize).ok_or(Rejection::MalformedVerifierShare)?;
			if slot.is_some() || v.report_id != pending.report_id || v.shares.len() != parts {
				return Err(Rejection::MalformedVerifierShare);
			}
			*slot = Some(v);
		}
		let ordered: Vec<&VerifierShares> =
			ordered.into_iter().collect::<Option<_>>().ok_or(Rejection::MalformedVerifierShare)?;
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
		let limit = wire::HEADER_LEN + 18 + crate::report::MAX_PARTS * (4 + MAX_VERIFIER_SHARE_BYTES);
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
}
