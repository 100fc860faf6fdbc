// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! FHE jobs where the person holds the key: personal evaluation keys, models, prediction and
//! program jobs and their agreed outcomes.
//!
//! The chain never sees a ciphertext or a key: it stores IPFS CIDs, content hashes, bounded bytes
//! and small integers, and the evaluators (consortium members of kind `Evaluator`) do the FHE work
//! off chain. Only the person who encrypted an input can decrypt its result. Cohort statistics are
//! not FHE jobs: they are Prio3 aggregations (see [`crate::statistics`]).
//!
//! Stored types are generic over their bounded containers (`Cid`, `Name`, `Text`, …), as in
//! [`crate::vaults`]: the pallet instantiates them with `BoundedVec`s of its bounds, the runtime
//! APIs with plain `Vec`s (see the `*Summary` types).

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// Identifies an evaluation job. Assigned in sequence, never reused.
pub type JobId = u64;

/// Identifies a registered model. Assigned in sequence, never reused.
pub type ModelId = u64;

/// The unit of a model's decimal fixed-point numbers: `offset_micros` and `scale_micros` are
/// millionths.
pub const MICROS: i64 = 1_000_000;

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
	/// The input could not be fetched from IPFS before the evaluator gave up.
	#[codec(index = 2)]
	InputUnavailable,
	/// The evaluator does not support the model's FHE parameter set.
	#[codec(index = 3)]
	UnsupportedParameters,
	/// Anything else; the evaluator's log says what.
	#[codec(index = 4)]
	Other,
	/// A program job's program was fetched and matches its hash, but is not a well-typed
	/// program: not the JSON program format, an operand defined nowhere before its operation, an
	/// operation on a value of the wrong type, or no output.
	#[codec(index = 5)]
	MalformedProgram,
	/// A program job's program is larger than evaluators accept: more operations or inputs than
	/// the engine's `MAX_OPS` / `MAX_INPUTS`, or more bytes than its program size limit.
	#[codec(index = 6)]
	ProgramTooLarge,
	/// What IPFS returned for a program job's program does not hash to the hash named on chain.
	#[codec(index = 7)]
	ProgramHashMismatch,
	/// A program job's evaluation key (the requester's, as registered when the job was
	/// requested) does not decode as a server key of the supported parameters, or exceeds the
	/// size limit.
	#[codec(index = 8)]
	MalformedEvaluationKey,
	/// What IPFS returned for a program job's evaluation key does not hash to the hash
	/// registered on chain.
	#[codec(index = 9)]
	EvaluationKeyHashMismatch,
	/// A program job's input holds another number of encrypted values than the program
	/// declares inputs.
	#[codec(index = 10)]
	InputCountMismatch,
}

/// What an evaluator submits for a job.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Outcome<Cid> {
	/// The result was computed and uploaded to IPFS.
	#[codec(index = 0)]
	Success {
		/// The result's IPFS CID: the encrypted score.
		result_cid: Cid,
		/// Hash of the result's content.
		result_hash: H256,
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
	/// What it submitted: an [`Outcome`].
	pub payload: Payload,
	/// When.
	pub at: BlockNumber,
}

/// What a job computes.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum JobKind<Cid> {
	/// A personal prediction: the model's score over an input the requester encrypted under
	/// their own key. Only the requester can decrypt the result.
	#[codec(index = 0)]
	Prediction {
		/// The model.
		model: ModelId,
		/// The encrypted input tuple.
		input: IpfsRef<Cid>,
	},
	/// A generic program (PMHE's add/mult contract API: the `custodia-fhe` engine's `Program`,
	/// as JSON in IPFS) over values the requester encrypted under their own key, evaluated with
	/// the requester's evaluation key. Only the requester can decrypt the result.
	#[codec(index = 1)]
	Program {
		/// The program.
		program: IpfsRef<Cid>,
		/// The encrypted input values.
		input: IpfsRef<Cid>,
		/// The requester's evaluation key as registered when the job was requested: every
		/// evaluator uses the same one even if the requester replaces it meanwhile.
		evaluation_key: IpfsRef<Cid>,
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
	/// The result was agreed by the quorum.
	#[codec(index = 1)]
	Final {
		/// The agreed result.
		result: IpfsRef<Cid>,
		/// When it was agreed.
		at: BlockNumber,
	},
	/// The evaluators agreed that the job cannot be done.
	#[codec(index = 2)]
	Failed {
		/// Why.
		reason: FailureReason,
		/// When.
		at: BlockNumber,
	},
	/// The job was not finished before its deadline.
	#[codec(index = 3)]
	TimedOut {
		/// When the timeout was processed.
		at: BlockNumber,
	},
}

impl<BlockNumber, Cid> JobStatus<BlockNumber, Cid> {
	/// Whether the job still waits for outcomes (and may time out).
	pub fn is_open(&self) -> bool {
		matches!(self, Self::Pending)
	}
}

/// An evaluation job.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Job<AccountId, BlockNumber, Cid, Submissions> {
	/// What it computes.
	pub kind: JobKind<Cid>,
	/// Who asked for it: the person whose input it is.
	pub requester: AccountId,
	/// The block in which it was created.
	pub requested_at: BlockNumber,
	/// The block at which it times out unless it is final before.
	pub deadline: BlockNumber,
	/// Where it stands.
	pub status: JobStatus<BlockNumber, Cid>,
	/// The evaluators' outcomes, in order of submission (one per evaluator).
	pub submissions: Submissions,
}

// ---- Summaries, as the runtime APIs return them ----

/// A model's template with plain vectors, as the runtime API returns it.
pub type ApiModelTemplate =
	ModelTemplate<Vec<u8>, Vec<u8>, Vec<FeatureSpec<Vec<u8>, Vec<u8>>>, Vec<i32>>;

/// A job with plain vectors, as the runtime API returns it.
pub type ApiJob<AccountId, BlockNumber> =
	Job<AccountId, BlockNumber, Vec<u8>, Vec<Submission<AccountId, BlockNumber, Outcome<Vec<u8>>>>>;

/// A model as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ModelSummary<AccountId, BlockNumber> {
	/// Its id.
	pub id: ModelId,
	/// The model.
	pub model: Model<AccountId, BlockNumber, ApiModelTemplate>,
}

/// A job as the runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct JobSummary<AccountId, BlockNumber> {
	/// Its id.
	pub id: JobId,
	/// The job.
	pub job: ApiJob<AccountId, BlockNumber>,
}
