// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Private cohort statistics on Prio3 (issue 12): statistic schemas, aggregator epochs,
//! reports, verification batches, statistic jobs and what they publish.
//!
//! The chain never sees a measurement or a share: a person's report lies in IPFS (its input
//! shares HPKE-sealed to each aggregator of the epoch); the chain holds its id, CID, hash and
//! status, the aggregators' verifier shares while a batch is being verified, their noisy
//! aggregate shares, and the published sum of those shares. Adding field elements modulo
//! [`FIELD128_MODULUS`] is the only arithmetic the runtime does: it needs no Prio3 code.
//!
//! Flow (`docs/statistics.md` has the whole protocol and `docs/threat-model.md` who it stops):
//! 1. Governance registers a [`StatisticSchema`] per data category and starts an aggregator
//!    epoch naming evaluators; each posts its epoch HPKE key, then its verify-key contribution
//!    (sealed to every aggregator): the epoch is active.
//! 2. A person registers a record, then a report for it ([`ReportStatus::Pending`]); reports
//!    submitted in one block form one verification batch.
//! 3. Each aggregator posts its verifier shares for the batch; once all have, each finishes the
//!    verification and confirms the batch with the reports it found invalid. When all confirm,
//!    the batch's reports are `Verified` or `Rejected` with a [`RejectionReason`].
//! 4. An institution requests a [`StatisticKind`] of a schema for a purpose; the cohort is fixed
//!    at the request block; each aggregator sums the output shares of the cohort's verified
//!    reports, adds differential-privacy noise and submits an [`AggregateShareSubmission`];
//!    when all have and they agree, the chain adds the shares up and publishes.

use crate::consent::{DataCategory, PurposeOfUse};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// Identifies a statistic schema. Assigned in sequence, never reused.
pub type SchemaId = u32;

/// The purposes for which cohort statistics may be requested (HL7 v3 PurposeOfUse): public
/// health, healthcare research and population health.
pub const STATISTICS_PURPOSES: [PurposeOfUse; 3] =
	[PurposeOfUse::PUBHLTH, PurposeOfUse::HRESCH, PurposeOfUse::POPHLTH];

/// Identifies an aggregator epoch. Assigned in sequence, never reused.
pub type AggregatorEpochId = u32;

/// Identifies a statistic job. Assigned in sequence, never reused.
pub type StatisticJobId = u64;

/// A report's id: 16 bytes derived from what the report is bound to (chain, epoch, schema,
/// owner, record) and a salt; also its Prio3 nonce (`custodia_statistics::binding`).
pub type ReportId = [u8; 16];

/// An X25519 public key (an aggregator's HPKE key for one epoch).
pub type HpkePublicKey = [u8; 32];

/// The modulus of Prio3's `Field128`, `2^66 · 4611686018427387897 + 1`: aggregate shares are
/// vectors of its elements. The worker's tests check it against the `prio` crate.
pub const FIELD128_MODULUS: u128 = 340_282_366_920_938_462_946_865_773_367_900_766_209;

/// Adds two elements of `Field128` (both below [`FIELD128_MODULUS`]).
pub fn field_add(a: u128, b: u128) -> u128 {
	let room = FIELD128_MODULUS - b;
	if a >= room {
		a - room
	} else {
		a + b
	}
}

/// A `Field128` element read as a signed integer: elements above half the modulus are
/// negative (noise can take a small total below zero).
pub fn field_to_signed(x: u128) -> i128 {
	if x > FIELD128_MODULUS / 2 {
		-((FIELD128_MODULUS - x) as i128)
	} else {
		x as i128
	}
}

/// Privacy-loss parameter ε as thousandths (ε = `millis` / 1000).
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct EpsilonMillis(pub u32);

/// The differential-privacy parameters governance sets.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct PrivacyParameters<BlockNumber> {
	/// ε spent by one statistic.
	pub epsilon_per_statistic: EpsilonMillis,
	/// ε one (institution, purpose, category) may spend per period.
	pub budget_per_period: EpsilonMillis,
	/// Length of a budget period, in blocks.
	pub period: BlockNumber,
}

/// One field of a statistic schema.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct SchemaField<Name, Buckets> {
	/// Its name, e.g. `age`.
	pub name: Name,
	/// Its unit (UCUM where one exists), e.g. `a` or `mm[Hg]`.
	pub unit: Name,
	/// The largest value; a report's proof enforces `0 ≤ value ≤ max`.
	pub max: u64,
	/// Histogram bucket boundaries, strictly increasing, each in `1..=max`; `None` when the field
	/// has no histogram.
	pub buckets: Option<Buckets>,
}

/// The statistic schema of a data category: the fields a report carries, in order.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct StatisticSchema<Fields> {
	/// The data category whose records carry reports of this schema.
	pub category: DataCategory,
	/// The fields.
	pub fields: Fields,
}

/// A registered schema.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct SchemaInfo<BlockNumber, Fields> {
	/// The schema.
	pub schema: StatisticSchema<Fields>,
	/// The block in which it was registered.
	pub registered_at: BlockNumber,
	/// Whether a newer schema replaced it for its category (its jobs and reports still resolve).
	pub superseded: bool,
}

/// What an institution asks for. Field indices refer to the schema's fields.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum StatisticKind<Fields> {
	/// The number of people (valid reports) in the cohort. Values: `[count]`.
	#[codec(index = 0)]
	Count,
	/// The sum of each listed field. Values: one sum per field.
	#[codec(index = 1)]
	Sum(Fields),
	/// The mean of each listed field. Values: one sum per field, then the count; the mean is
	/// their ratio.
	#[codec(index = 2)]
	Mean(Fields),
	/// The histogram of each listed field (each must have buckets). Values: the bucket counts of
	/// each field in turn (boundaries + 1 each).
	#[codec(index = 3)]
	Histogram(Fields),
}

/// Where an aggregator epoch stands.
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum EpochStatus {
	/// Waiting for every aggregator's HPKE key.
	#[codec(index = 0)]
	CollectingKeys,
	/// Waiting for every aggregator's verify-key contribution.
	#[codec(index = 1)]
	CollectingContributions,
	/// Reports are made for this epoch; statistics are computed by its aggregators.
	#[codec(index = 2)]
	Active,
	/// A newer epoch became active (jobs already requested under it still finish).
	#[codec(index = 3)]
	Retired,
	/// Replaced by another epoch before it became active.
	#[codec(index = 4)]
	Cancelled,
}

/// One aggregator of an epoch.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct AggregatorSlot<AccountId, Contribution> {
	/// The evaluator's account.
	pub account: AccountId,
	/// Its HPKE public key for this epoch, once posted.
	pub key: Option<HpkePublicKey>,
	/// Its verify-key contribution (one HPKE envelope per aggregator), once posted.
	pub contribution: Option<Contribution>,
}

/// An aggregator epoch: the evaluators that verify and aggregate reports, with their keys.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct AggregatorEpoch<BlockNumber, Slots> {
	/// The aggregators, in their Prio3 order (index 0 is the leader).
	pub aggregators: Slots,
	/// Where it stands.
	pub status: EpochStatus,
	/// The block in which governance started it.
	pub started_at: BlockNumber,
	/// The block in which it became active.
	pub activated_at: Option<BlockNumber>,
}

/// Why a report is not counted. Codes 1–9 are `custodia_statistics::Rejection::code`; the
/// others are reasons only the worker or the chain can see.
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum RejectionReason {
	/// The report bytes are not a well-formed report.
	#[codec(index = 1)]
	Malformed,
	/// Made for another schema, epoch or chain.
	#[codec(index = 2)]
	WrongContext,
	/// Its id does not match its owner, record, epoch, schema and chain: a copy.
	#[codec(index = 3)]
	ReportIdMismatch,
	/// An aggregator's input share does not open under the chain's binding: a copy, or sealed
	/// to another aggregator.
	#[codec(index = 4)]
	ShareDoesNotOpen,
	/// A share does not decode for the schema.
	#[codec(index = 5)]
	MalformedShare,
	/// Wrong number of aggregators or parts.
	#[codec(index = 6)]
	WrongLength,
	/// A verifier share is malformed or belongs to another report.
	#[codec(index = 7)]
	MalformedVerifierShare,
	/// The validity proof fails: a value out of range, a histogram that is not one-hot.
	#[codec(index = 8)]
	InvalidProof,
	/// Its id was seen before.
	#[codec(index = 9)]
	Replayed,
	/// IPFS did not deliver the object in time.
	#[codec(index = 20)]
	Unreachable,
	/// The object is larger than registered or than a report may be.
	#[codec(index = 21)]
	TooLarge,
	/// The object's content does not match its registered hash.
	#[codec(index = 22)]
	HashMismatch,
	/// Not every aggregator took part before the batch's deadline.
	#[codec(index = 23)]
	VerificationTimeout,
}

/// A report registered on chain.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ReportInfo<AccountId, BlockNumber, Cid> {
	/// The person (the record's owner), who submitted it.
	pub owner: AccountId,
	/// The record it reports on.
	pub record: crate::vaults::RecordId,
	/// The schema it follows.
	pub schema: SchemaId,
	/// The aggregator epoch its shares are sealed to.
	pub epoch: AggregatorEpochId,
	/// The report object in IPFS.
	pub object: crate::fhe::IpfsRef<Cid>,
	/// Its size in bytes.
	pub size: u32,
	/// The block it was submitted in: its verification batch.
	pub batch: BlockNumber,
	/// Where its verification stands.
	pub status: ReportStatus<BlockNumber>,
}

/// Where a report's verification stands.
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum ReportStatus<BlockNumber> {
	/// Its batch is being verified.
	#[codec(index = 0)]
	Pending,
	/// Every aggregator verified it: it counts in statistics from block `at` on.
	#[codec(index = 1)]
	Verified {
		/// When.
		at: BlockNumber,
	},
	/// Left out of every statistic.
	#[codec(index = 2)]
	Rejected {
		/// Why.
		reason: RejectionReason,
		/// When.
		at: BlockNumber,
	},
}

/// One report an aggregator finds invalid in a batch (by its index in the batch).
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct BatchRejection {
	/// The report's index in the batch.
	pub index: u32,
	/// Why.
	pub reason: RejectionReason,
}

/// A verification batch: the reports submitted in one block under one epoch.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct VerificationBatch<BlockNumber, Reports, Flags> {
	/// The epoch whose aggregators verify it (the epoch active when its reports were submitted).
	pub epoch: AggregatorEpochId,
	/// The reports, in submission order.
	pub reports: Reports,
	/// Per aggregator (epoch order): whether it posted its verifier shares.
	pub shares_posted: Flags,
	/// Per aggregator: whether it confirmed the batch.
	pub confirmed: Flags,
	/// After this block the batch's pending reports are rejected with `VerificationTimeout`.
	pub deadline: BlockNumber,
}

/// The noise one segment of a published statistic carries: each aggregator adds discrete
/// Laplace noise of scale `sensitivity / ε_segment` to these values.
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct NoiseSegment {
	/// How many of the statistic's values (in order) this segment covers.
	pub values: u16,
	/// The L1 sensitivity of the segment.
	pub sensitivity: u128,
	/// ε of the segment, in thousandths (the statistic's ε divided among its segments).
	pub epsilon: EpsilonMillis,
	/// Standard deviation of the total noise of each value (all aggregators' draws), in
	/// thousandths.
	pub total_std_dev_millis: u64,
}

/// One aggregator's share of a statistic: what it submits.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct AggregateShareSubmission<Values, Noise> {
	/// Number of verified reports summed.
	pub reports: u32,
	/// BLAKE2b-256 of the summed report ids, sorted, concatenated: every aggregator must have
	/// summed the same cohort.
	pub cohort_hash: H256,
	/// The noisy share, `Field128` elements in the statistic's value order.
	pub values: Values,
	/// The noise added, per segment.
	pub noise: Noise,
}

/// Why a statistic job failed.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum StatisticFailure {
	/// Fewer verified reports than the smallest cohort allowed (k).
	#[codec(index = 0)]
	CohortTooSmall {
		/// Reports the aggregators summed.
		reports: u32,
	},
	/// The aggregators' shares disagree on the cohort, the number of reports or the noise.
	#[codec(index = 1)]
	SharesDisagree,
	/// Not every aggregator submitted before the deadline.
	#[codec(index = 2)]
	Timeout {
		/// How many aggregators had not submitted.
		missing: u32,
	},
}

/// Where a statistic job stands.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum StatisticStatus<BlockNumber> {
	/// Waiting for the aggregators' shares.
	#[codec(index = 0)]
	AwaitingShares,
	/// Published (see `PublishedStatistic`).
	#[codec(index = 1)]
	Published {
		/// When.
		at: BlockNumber,
	},
	/// Failed; nothing was published.
	#[codec(index = 2)]
	Failed {
		/// Why.
		reason: StatisticFailure,
		/// When.
		at: BlockNumber,
	},
}

/// A statistic job.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct StatisticJob<AccountId, BlockNumber, Fields> {
	/// The institution that asked.
	pub requester: AccountId,
	/// The schema whose reports are summed.
	pub schema: SchemaId,
	/// The schema's category.
	pub category: DataCategory,
	/// What is asked.
	pub kind: StatisticKind<Fields>,
	/// The purpose the cohort consented to.
	pub purpose: PurposeOfUse,
	/// The aggregator epoch whose aggregators compute it.
	pub epoch: AggregatorEpochId,
	/// ε it spends.
	pub epsilon: EpsilonMillis,
	/// The block whose state defines the cohort.
	pub requested_at: BlockNumber,
	/// After this block a job still awaiting shares fails with `Timeout`.
	pub deadline: BlockNumber,
	/// Where it stands.
	pub status: StatisticStatus<BlockNumber>,
}

/// A published statistic: the sum of every aggregator's noisy share.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct PublishedStatistic<BlockNumber, Values, Noise> {
	/// Number of verified reports summed (compared with k).
	pub reports: u32,
	/// The noisy values, in the order [`StatisticKind`] documents.
	pub values: Values,
	/// ε spent.
	pub epsilon: EpsilonMillis,
	/// Number of aggregators (each added its own noise).
	pub aggregators: u32,
	/// The noise each segment carries.
	pub noise: Noise,
	/// When it was published.
	pub published_at: BlockNumber,
}

/// A report of a statistic's cohort, as the aggregators read it at the request block.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct CohortReport<AccountId> {
	/// The person.
	pub subject: AccountId,
	/// The report.
	pub report: ReportId,
}

/// A report to verify, as an aggregator reads it: what it needs to rebuild the binding and
/// fetch the object.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ReportToVerify<AccountId> {
	/// The report's id.
	pub id: ReportId,
	/// Its owner.
	pub owner: AccountId,
	/// Its record.
	pub record: crate::vaults::RecordId,
	/// Its schema.
	pub schema: SchemaId,
	/// The report object in IPFS.
	pub object: crate::fhe::IpfsRef<Vec<u8>>,
	/// Its size in bytes.
	pub size: u32,
}

/// A verification batch as an aggregator reads it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct BatchSummary<AccountId, BlockNumber> {
	/// The epoch.
	pub epoch: AggregatorEpochId,
	/// The block the reports were submitted in.
	pub batch: BlockNumber,
	/// The reports, in batch order.
	pub reports: Vec<ReportToVerify<AccountId>>,
	/// Each aggregator's posted verifier shares (epoch order), `None` until posted.
	pub verifier_shares: Vec<Option<Vec<u8>>>,
	/// Per aggregator: whether it confirmed.
	pub confirmed: Vec<bool>,
	/// The batch's deadline.
	pub deadline: BlockNumber,
}

// ---- As the runtime APIs return them: bounded vectors as plain ones ----

/// An aggregator epoch, its slots' contributions as plain bytes.
pub type ApiEpoch<AccountId, BlockNumber> =
	AggregatorEpoch<BlockNumber, Vec<AggregatorSlot<AccountId, Vec<u8>>>>;
/// A schema, its fields' names and units as plain bytes.
pub type ApiSchema<BlockNumber> = SchemaInfo<BlockNumber, Vec<SchemaField<Vec<u8>, Vec<u64>>>>;
/// A statistic job, its fields as a plain vector.
pub type ApiStatisticJob<AccountId, BlockNumber> = StatisticJob<AccountId, BlockNumber, Vec<u16>>;
/// A published statistic, its values and noise segments as plain vectors.
pub type ApiPublishedStatistic<BlockNumber> =
	PublishedStatistic<BlockNumber, Vec<i128>, Vec<NoiseSegment>>;
/// A report, its CID as plain bytes.
pub type ApiReport<AccountId, BlockNumber> = ReportInfo<AccountId, BlockNumber, Vec<u8>>;
