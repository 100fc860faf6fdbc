// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! FHE jobs: personal evaluation keys, consortium key epochs, models, evaluation jobs, their
//! agreed outcomes and published statistics.
//!
//! The chain never sees a ciphertext or a key: it stores IPFS CIDs, content hashes, bounded bytes
//! and small integers, and the evaluators (consortium members of kind `Evaluator`) do the FHE work
//! off chain.
//!
//! Stored types are generic over their bounded containers (`Cid`, `Name`, `Text`, …), as in
//! [`crate::vaults`]: the pallet instantiates them with `BoundedVec`s of its bounds, the runtime
//! APIs with plain `Vec`s (see the `*Summary` types).

use crate::{
	consent::{DataCategory, PurposeOfUse},
	vaults::{FheSection, RecordId},
};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// Identifies an evaluation job. Assigned in sequence, never reused.
pub type JobId = u64;

/// Identifies a registered model. Assigned in sequence, never reused.
pub type ModelId = u64;

/// Identifies a consortium key epoch. Assigned in sequence, never reused; a record's FHE section
/// names the epoch whose joint key encrypted it (`vaults::FheSection::key_epoch`).
pub type EpochId = u32;

/// The unit of a model's decimal fixed-point numbers: `offset_micros` and `scale_micros` are
/// millionths.
pub const MICROS: i64 = 1_000_000;

/// The purposes for which cohort statistics may be requested (HL7 v3 PurposeOfUse): public
/// health, healthcare research and population health.
pub const STATISTICS_PURPOSES: [PurposeOfUse; 3] =
	[PurposeOfUse::PUBHLTH, PurposeOfUse::HRESCH, PurposeOfUse::POPHLTH];

/// An object in IPFS: its CID and the hash of its content, to check what IPFS returns.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct IpfsRef<Cid> {
	/// The IPFS CID.
	pub cid: Cid,
	/// Hash of the content.
	pub hash: H256,
}

/// An individual's FHE evaluation material (e.g. a tfhe server key) for generic programs, stored
/// in IPFS.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct EvaluationKey<BlockNumber, Cid> {
	/// Where the key material lies, and its hash.
	pub key: IpfsRef<Cid>,
	/// The block in which it was registered.
	pub registered_at: BlockNumber,
}

/// One input feature of a model's tuple template (PMHE): what it is, in which unit, and how the
/// client turns a raw value `x` into the integer it encrypts:
/// `round((x − offset_micros / 10⁶) · scale_micros / 10⁶)` (the `custodia-fhe` engine's
/// `FeatureSpec { offset, scale }`, to six decimals).
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct FeatureSpec<Name, Text> {
	/// The feature's name (e.g. `resting_heart_rate`), unique within the model.
	pub name: Name,
	/// Its unit (UCUM where one exists, e.g. `/min`, `mm[Hg]`).
	pub unit: Text,
	/// Subtracted from the raw value before scaling (usually the training mean), in millionths of
	/// the unit.
	pub offset_micros: i64,
	/// Fixed-point units per raw unit, in millionths; never zero.
	pub scale_micros: u64,
}

/// A linear model's tuple template (PMHE): the features an individual encrypts, the public
/// weights and bias the evaluators apply, and what the score means. Readable by anyone, so that
/// medical models are auditable.
///
/// The evaluators compute the encrypted score `Σ weights[i] · x[i] + bias`; the individual
/// decrypts it and applies the link function (e.g. the sigmoid) locally.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ModelTemplate<Name, Text, Features, Weights> {
	/// The model's name.
	pub name: Name,
	/// Its input features, in encryption order: between 1 and `MaxFeatures`, names unique.
	pub features: Features,
	/// One fixed-point weight per feature, in the same order.
	pub weights: Weights,
	/// The bias, at the scale of the weighted sum.
	pub bias: i64,
	/// How the individual reads the decrypted score: the model's logit is
	/// `score / score_divisor`; never zero.
	pub score_divisor: u64,
	/// What the score means, e.g. "log-odds of heart disease; > 0 means high risk".
	pub output_meaning: Text,
	/// Where the model comes from: data set, training method, validation, publication.
	pub provenance: Text,
	/// The FHE parameter set the inputs must be encrypted with (a code the evaluators know; they
	/// fail a job with [`FailureReason::UnsupportedParameters`] otherwise).
	pub parameter_set: u16,
}

/// A registered model.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Model<AccountId, BlockNumber, Template> {
	/// The template.
	pub template: Template,
	/// The institution that registered it.
	pub registrant: AccountId,
	/// The block in which it was registered.
	pub registered_at: BlockNumber,
	/// The block in which its registrant retired it; no new predictions after that.
	pub retired_at: Option<BlockNumber>,
}

/// What a statistic job computes over a field of the cohort's records.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Statistic<Bounds> {
	/// The number of records with the field. Published as one value.
	#[codec(index = 0)]
	Count,
	/// The sum of the field. Published as one value.
	#[codec(index = 1)]
	Sum,
	/// The mean of the field. Published as two values, `[sum, count]`, so that every evaluator
	/// publishes the same exact integers; the reader divides.
	#[codec(index = 2)]
	Mean,
	/// How many values fall in each bucket. `bounds` are strictly increasing; with `b` bounds
	/// there are `b + 1` buckets, `(-∞, bounds[0])`, `[bounds[0], bounds[1])`, …,
	/// `[bounds[b-1], +∞)`, published as one count each.
	#[codec(index = 3)]
	Histogram {
		/// The bucket bounds.
		bounds: Bounds,
	},
}

impl<Bounds: AsRef<[i64]>> Statistic<Bounds> {
	/// How many values a publication of this statistic holds.
	pub fn value_count(&self) -> u32 {
		match self {
			Self::Count | Self::Sum => 1,
			Self::Mean => 2,
			Self::Histogram { bounds } => (bounds.as_ref().len() as u32).saturating_add(1),
		}
	}
}

/// Why evaluators could not produce a result. The worker reports the first that applies.
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
pub enum FailureReason {
	/// The input was fetched and matches its hash, but does not decode as a ciphertext of the
	/// expected shape (wrong wire format, wrong number of features or fields, size limit
	/// exceeded).
	#[codec(index = 0)]
	MalformedInput,
	/// What IPFS returned for the input does not hash to the hash named on chain.
	#[codec(index = 1)]
	InputHashMismatch,
	/// The input (or a key share, or a cohort record) could not be fetched from IPFS before the
	/// evaluator gave up.
	#[codec(index = 2)]
	InputUnavailable,
	/// The evaluator does not support the model's or the key epoch's FHE parameter set.
	#[codec(index = 3)]
	UnsupportedParameters,
	/// The statistic's cohort has fewer than `MinCohortSize` members; nothing is decrypted.
	/// The pallet also fails a job with this reason when the agreed cohort size is too small.
	#[codec(index = 4)]
	CohortTooSmall,
	/// Anything else; the evaluator's log says what.
	#[codec(index = 5)]
	Other,
}

/// What an evaluator submits for a job.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Outcome<Cid> {
	/// The result was computed and uploaded to IPFS.
	#[codec(index = 0)]
	Success {
		/// The result's IPFS CID: the encrypted score, the encrypted aggregate, or the joint
		/// public key.
		result_cid: Cid,
		/// Hash of the result's content.
		result_hash: H256,
		/// For statistics only: how many records the aggregate sums.
		cohort_size: Option<u32>,
	},
	/// The job cannot be done.
	#[codec(index = 1)]
	Failure {
		/// Why.
		reason: FailureReason,
	},
}

/// One evaluator's submission.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Submission<AccountId, BlockNumber, Payload> {
	/// The evaluator.
	pub evaluator: AccountId,
	/// What it submitted: an [`Outcome`], or a statistic's plaintext values.
	pub payload: Payload,
	/// When.
	pub at: BlockNumber,
}

/// What a job computes.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum JobKind<Cid, Bounds> {
	/// A personal prediction: the model's score over an input the requester encrypted under
	/// their own key. Only the requester can decrypt the result.
	#[codec(index = 0)]
	Prediction {
		/// The model.
		model: ModelId,
		/// The encrypted input tuple.
		input: IpfsRef<Cid>,
	},
	/// A cohort statistic over the FHE sections of the cohort's records. The cohort is the
	/// subjects whose consortium-wide grant for `purpose` covers `category`, live at the job's
	/// `requested_at` block (the consent runtime API's `cohort`, called at that block).
	#[codec(index = 1)]
	Statistic {
		/// The purpose of use, one of [`STATISTICS_PURPOSES`].
		purpose: PurposeOfUse,
		/// The data category whose records are aggregated.
		category: DataCategory,
		/// The index of the field in the records' FHE sections.
		field: u16,
		/// What is computed.
		statistic: Statistic<Bounds>,
		/// The key epoch whose joint key the records are encrypted under, and whose holders
		/// decrypt the aggregate.
		epoch: EpochId,
	},
	/// The joint public key of a key epoch: the sum of its holders' public-key shares. Created by
	/// the pallet when every holder submitted its share.
	#[codec(index = 2)]
	JointKey {
		/// The epoch.
		epoch: EpochId,
	},
}

/// Where a job stands.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum JobStatus<BlockNumber, Cid> {
	/// Waiting for evaluators' outcomes.
	#[codec(index = 0)]
	Pending,
	/// A statistic whose encrypted aggregate was agreed; waiting for the decryption share of every
	/// holder of its key epoch.
	#[codec(index = 1)]
	AwaitingShares {
		/// The agreed encrypted aggregate.
		aggregate: IpfsRef<Cid>,
		/// How many records it sums.
		cohort_size: u32,
	},
	/// A statistic whose decryption shares are all in; waiting for evaluators to combine them and
	/// publish the plaintext values.
	#[codec(index = 2)]
	AwaitingPublication {
		/// The agreed encrypted aggregate.
		aggregate: IpfsRef<Cid>,
		/// How many records it sums.
		cohort_size: u32,
	},
	/// A prediction or joint key whose result was agreed.
	#[codec(index = 3)]
	Final {
		/// The agreed result.
		result: IpfsRef<Cid>,
		/// When it was agreed.
		at: BlockNumber,
	},
	/// A statistic whose values were agreed and published (see the published statistics).
	#[codec(index = 4)]
	Published {
		/// When.
		at: BlockNumber,
	},
	/// The evaluators agreed that the job cannot be done, or the agreed cohort was too small.
	#[codec(index = 5)]
	Failed {
		/// Why.
		reason: FailureReason,
		/// When.
		at: BlockNumber,
	},
	/// The job was not finished before its deadline.
	#[codec(index = 6)]
	TimedOut {
		/// When the timeout was processed.
		at: BlockNumber,
	},
	/// A joint-key job whose epoch was superseded by a newer one before its key was agreed.
	#[codec(index = 7)]
	Cancelled {
		/// When.
		at: BlockNumber,
	},
}

impl<BlockNumber, Cid> JobStatus<BlockNumber, Cid> {
	/// Whether the job still waits for something (and may time out).
	pub fn is_open(&self) -> bool {
		matches!(
			self,
			Self::Pending | Self::AwaitingShares { .. } | Self::AwaitingPublication { .. }
		)
	}
}

/// An evaluation job.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Job<AccountId, BlockNumber, Cid, Bounds, Submissions> {
	/// What it computes.
	pub kind: JobKind<Cid, Bounds>,
	/// Who asked for it: the subject of a prediction, the institution of a statistic; for a
	/// joint-key job (which the pallet creates), the holder whose share completed the epoch.
	pub requester: AccountId,
	/// The block in which it was created (the cohort of a statistic is taken at this block).
	pub requested_at: BlockNumber,
	/// The block at which it times out unless it is final or published before.
	pub deadline: BlockNumber,
	/// Where it stands.
	pub status: JobStatus<BlockNumber, Cid>,
	/// The evaluators' outcomes, in order of submission (one per evaluator).
	pub submissions: Submissions,
}

/// A decryption share, or a public-key share, from one key holder.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct HolderShare<AccountId, Cid> {
	/// The key holder.
	pub holder: AccountId,
	/// Its share, once submitted.
	pub share: Option<IpfsRef<Cid>>,
}

/// Where a consortium key epoch stands.
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
pub enum EpochStatus<BlockNumber> {
	/// Waiting for every holder's public-key share.
	#[codec(index = 0)]
	CollectingShares,
	/// Every share is in; evaluators compute the joint key in a job.
	#[codec(index = 1)]
	AwaitingJointKey {
		/// The joint-key job.
		job: JobId,
	},
	/// Its joint key is the consortium key: records are encrypted and statistics requested under
	/// it.
	#[codec(index = 2)]
	Current {
		/// Since when.
		since: BlockNumber,
	},
	/// A newer epoch became current. Statistics already requested under it still complete.
	#[codec(index = 3)]
	Retired {
		/// When.
		at: BlockNumber,
	},
	/// Governance started a newer epoch before this one's joint key was agreed.
	#[codec(index = 4)]
	Superseded {
		/// When.
		at: BlockNumber,
	},
	/// Its joint-key job failed or timed out; governance must start a new epoch.
	#[codec(index = 5)]
	Failed {
		/// When.
		at: BlockNumber,
	},
}

/// A consortium key epoch: a dealer-free cohort key (see `custodia-fhe`'s `cohort` module).
/// Every holder generates its own secret share and publishes a public-key share made with the
/// common seed; the joint public key is their sum; decryption needs every holder's share.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct KeyEpoch<BlockNumber, Cid, Holders> {
	/// The common random seed of the public-key shares' mask. Public: it only needs to be the same
	/// for every holder and chosen by none of them.
	pub common_seed: [u8; 32],
	/// The key holders, in the order given, each with its public-key share once submitted.
	pub holders: Holders,
	/// The agreed joint public key, once computed.
	pub joint_key: Option<IpfsRef<Cid>>,
	/// The block in which governance started it.
	pub started_at: BlockNumber,
	/// Where it stands.
	pub status: EpochStatus<BlockNumber>,
}

/// A statistic as published, readable by the public.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct PublishedStatistic<BlockNumber, Cid, Bounds, Values> {
	/// The purpose the cohort consented to.
	pub purpose: PurposeOfUse,
	/// The data category aggregated.
	pub category: DataCategory,
	/// The field of the records' FHE sections.
	pub field: u16,
	/// What was computed.
	pub statistic: Statistic<Bounds>,
	/// How many records the aggregate summed (at least `MinCohortSize`).
	pub cohort_size: u32,
	/// The values (see [`Statistic`] for their meaning).
	pub values: Values,
	/// The agreed encrypted aggregate they decrypt, for audit.
	pub aggregate: IpfsRef<Cid>,
	/// The key epoch whose holders decrypted it.
	pub epoch: EpochId,
	/// The block in which the job was requested (the cohort's block).
	pub requested_at: BlockNumber,
	/// The block in which the values were published.
	pub published_at: BlockNumber,
}

// ---- Summaries, as the runtime APIs return them ----

/// A model as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ModelSummary<AccountId, BlockNumber> {
	/// Its id.
	pub id: ModelId,
	/// The model.
	pub model: Model<
		AccountId,
		BlockNumber,
		ModelTemplate<Vec<u8>, Vec<u8>, Vec<FeatureSpec<Vec<u8>, Vec<u8>>>, Vec<i32>>,
	>,
}

/// A job as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct JobSummary<AccountId, BlockNumber> {
	/// Its id.
	pub id: JobId,
	/// The job.
	pub job: Job<
		AccountId,
		BlockNumber,
		Vec<u8>,
		Vec<i64>,
		Vec<Submission<AccountId, BlockNumber, Outcome<Vec<u8>>>>,
	>,
}

/// A key epoch as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct EpochSummary<AccountId, BlockNumber> {
	/// Its id.
	pub id: EpochId,
	/// The epoch.
	pub epoch: KeyEpoch<BlockNumber, Vec<u8>, Vec<HolderShare<AccountId, Vec<u8>>>>,
}

/// A published statistic as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct PublishedStatisticSummary<BlockNumber> {
	/// The job that computed it.
	pub job: JobId,
	/// The statistic.
	pub statistic: PublishedStatistic<BlockNumber, Vec<u8>, Vec<i64>, Vec<i128>>,
}

/// A record a statistic aggregates, as the runtime API returns it: for each member of the
/// statistic's cohort, their newest live record that holds the statistic's category and has an
/// FHE section under the statistic's key epoch.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct StatisticInput<AccountId> {
	/// The cohort member.
	pub subject: AccountId,
	/// The record.
	pub record: RecordId,
	/// The record's IPFS object (CID and content hash); the FHE section lies inside it.
	pub object: IpfsRef<Vec<u8>>,
	/// Where the FHE section lies in the object, and its layout.
	pub section: FheSection,
}
