//! Errors of the statistics engine.
//!
//! Two families: [`Error`] for everything a caller can get wrong (a schema, a measurement, a
//! configuration, bytes that are not one of our objects), and [`Rejection`] for the reasons an
//! aggregator leaves a report out of every statistic. A rejection carries a stable numeric
//! [`Rejection::code`] so the worker can put the reason on chain and clients can show it.

/// Everything that can go wrong outside the verdict on one report.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[allow(missing_docs)] // variant fields are named in each variant's message
pub enum Error {
	/// Bytes are longer than the limit for this kind of object.
	#[error("{kind} of {len} bytes exceeds the limit of {limit} bytes")]
	TooLarge { kind: &'static str, len: usize, limit: usize },
	/// Bytes end before the object does.
	#[error("{kind} is truncated: needed {needed} more bytes")]
	Truncated { kind: &'static str, needed: usize },
	/// Bytes continue after the object ends.
	#[error("{kind} has {extra} trailing bytes")]
	TrailingBytes { kind: &'static str, extra: usize },
	/// The bytes are not a Custodia statistics object.
	#[error("not a Custodia statistics object (bad magic bytes)")]
	BadMagic,
	/// The format version is not one this build reads.
	#[error(
		"format version {0} is not supported (this build reads version {1}); upgrade custodia"
	)]
	UnsupportedVersion(u8, u8),
	/// The object is of another kind than the caller expected.
	#[error("expected a {expected}, found object kind {found}")]
	WrongKind { expected: &'static str, found: u8 },
	/// A field holds a value that no valid object can hold.
	#[error("invalid {what}: {detail}")]
	Invalid { what: &'static str, detail: String },

	/// The schema is not usable (no fields, a bad range, unsorted buckets, …).
	#[error("invalid statistic schema: {0}")]
	InvalidSchema(String),
	/// A statistic names a field the schema does not have, or asks a histogram of a field
	/// without buckets.
	#[error("invalid statistic for this schema: {0}")]
	InvalidStatistic(String),
	/// The measurement does not have one value per schema field.
	#[error("the schema has {expected} fields but the measurement has {given} values")]
	MeasurementLength { expected: usize, given: usize },
	/// A value is outside the range the proof enforces; the report would be rejected by every
	/// aggregator, so it is refused before anything is sent.
	#[error("field {field} (`{name}`) = {value} is outside [0, {max}]")]
	ValueOutOfRange { field: usize, name: String, value: u64, max: u64 },
	/// Fewer than 2 or more than [`crate::MAX_AGGREGATORS`] aggregators: Prio3 is private only
	/// with at least two.
	#[error("{0} aggregators given; Prio3 needs between 2 and {max}", max = crate::MAX_AGGREGATORS)]
	AggregatorCount(usize),
	/// An aggregator index is not below the number of aggregators.
	#[error("aggregator index {index} is not below the number of aggregators {count}")]
	AggregatorIndex { index: usize, count: usize },
	/// A 32-byte string is not an X25519 public or secret key.
	#[error("aggregator {0}'s key is not an X25519 key")]
	BadKey(usize),
	/// The operating system's random number generator failed.
	#[error("the operating system's random number generator failed")]
	Randomness,
	/// HPKE sealing failed (cannot happen with valid keys; reported rather than panicking).
	#[error("HPKE seal failed: {0}")]
	Seal(String),
	/// The VDAF library refused an operation that our own checks should have prevented.
	#[error("Prio3: {0}")]
	Vdaf(String),
	/// The differential-privacy parameters are unusable (ε of zero, overflow, …).
	#[error("differential privacy: {0}")]
	Privacy(String),

	/// Verification-key agreement: an aggregator's contribution is absent.
	#[error("aggregator {from} has not published its verification-key contribution")]
	MissingContribution { from: usize },
	/// Verification-key agreement: a contribution does not open with my key (sealed to someone
	/// else, for another epoch or chain, or altered).
	#[error("aggregator {from}'s verification-key contribution does not open with my key")]
	ContributionDoesNotOpen { from: usize },
	/// Verification-key agreement: two contributions claim the same contributor.
	#[error("aggregator {from} published more than one contribution")]
	DuplicateContribution { from: usize },

	/// Aggregate shares that cannot be combined (different statistic, cohort size, ε, …).
	#[error("aggregate shares do not match: {0}")]
	SharesDisagree(String),
	/// An aggregator's aggregate share is absent: nothing is published without every share.
	#[error("the aggregate share of aggregator {0} is missing")]
	MissingAggregateShare(usize),

	/// Reading or writing the output-share store failed.
	#[error("output-share store: {0}")]
	Io(String),
}

/// Why an aggregator leaves a report out. Every variant has a stable [`code`](Rejection::code):
/// 1–9 are verdicts of the engine, 20–22 are the aggregator's own (it could not get the
/// registered bytes). Codes are never reused for another meaning.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
	/// The report bytes are not a well-formed report.
	#[error("the report is malformed")]
	Malformed,
	/// The report was made for another schema, epoch or chain than the one it is registered under.
	#[error("the report was made for another schema, epoch or chain")]
	WrongContext,
	/// The report id is not the hash of the binding the chain holds and the report's salt:
	/// typically a byte copy registered under another owner or record.
	#[error("the report id does not match its owner, record, epoch, schema and chain")]
	ReportIdMismatch,
	/// My input share does not open with my key under the chain's binding: sealed to another
	/// aggregator, or copied to another owner, record, epoch or chain.
	#[error("my input share does not open (another aggregator's, or bound to another record)")]
	ShareDoesNotOpen,
	/// The opened share (or a public share) does not decode for this schema.
	#[error("a share does not decode for this schema")]
	MalformedShare,
	/// The report is for another number of aggregators or parts than this epoch uses.
	#[error("the report has the wrong number of aggregators or parts")]
	WrongLength,
	/// A verifier share from another aggregator is malformed or for another report.
	#[error("a verifier share is malformed or belongs to another report")]
	MalformedVerifierShare,
	/// The validity proof fails: a value out of range, a histogram that is not one-hot, or
	/// shares that do not belong together.
	#[error("the validity proof fails")]
	InvalidProof,
	/// The report id was seen before in this epoch.
	#[error("the report id was already seen")]
	Replayed,

	// Reasons found before the engine sees the report: the aggregator could not get the bytes
	// that were registered. The engine never returns them; they travel in a
	// [`crate::aggregator::VerifierBatch`] so that every aggregator leaves the report out.
	/// The report object could not be fetched in time.
	#[error("the report object could not be fetched")]
	Unreachable,
	/// The report object is larger than registered or than a report may be
	/// ([`crate::report::MAX_REPORT_BYTES`]).
	#[error("the report object is too large")]
	TooLarge,
	/// The report object's content does not match its registered hash.
	#[error("the report object does not match its registered hash")]
	HashMismatch,
}

impl Rejection {
	/// A stable code for the chain and for clients (never reused for another meaning).
	pub fn code(self) -> u8 {
		match self {
			Rejection::Malformed => 1,
			Rejection::WrongContext => 2,
			Rejection::ReportIdMismatch => 3,
			Rejection::ShareDoesNotOpen => 4,
			Rejection::MalformedShare => 5,
			Rejection::WrongLength => 6,
			Rejection::MalformedVerifierShare => 7,
			Rejection::InvalidProof => 8,
			Rejection::Replayed => 9,
			Rejection::Unreachable => 20,
			Rejection::TooLarge => 21,
			Rejection::HashMismatch => 22,
		}
	}

	/// The rejection with this [`code`](Rejection::code), if any.
	pub fn from_code(code: u8) -> Option<Self> {
		Self::ALL.into_iter().find(|r| r.code() == code)
	}

	/// Every rejection, in code order.
	pub const ALL: [Rejection; 12] = [
		Rejection::Malformed,
		Rejection::WrongContext,
		Rejection::ReportIdMismatch,
		Rejection::ShareDoesNotOpen,
		Rejection::MalformedShare,
		Rejection::WrongLength,
		Rejection::MalformedVerifierShare,
		Rejection::InvalidProof,
		Rejection::Replayed,
		Rejection::Unreachable,
		Rejection::TooLarge,
		Rejection::HashMismatch,
	];
}
