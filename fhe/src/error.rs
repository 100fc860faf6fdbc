//! Errors of the FHE engine: one variant per failure, each carrying what the caller needs to
//! fix it (the offending index, value and limit, or the expected and found identifiers).

use crate::{
	params::{FeatureCount, FeatureIndex},
	program::ValueId,
	wire::Kind,
};

/// Everything that can go wrong when encrypting, evaluating or decoding.
// Not `Eq`: `InvalidScoreUnit` and `NonFiniteFeatureValue` carry the offending float.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Error {
	// --- Records and models against the parameter set's bounds ---
	/// More features than a parameter set supports.
	#[error("{given} features given, but at most {max} are supported by parameter set {params}")]
	TooManyFeatures { given: FeatureCount, max: FeatureCount, params: &'static str },
	/// A record or a model has no features at all.
	#[error("a record needs at least one feature")]
	NoFeatures,
	/// An encoded feature value is outside the range the noise budget was computed for.
	#[error("feature {index} = {value} is outside ±{limit}; quantise with a smaller scale")]
	FeatureOutOfRange { index: FeatureIndex, value: i64, limit: i64 },
	/// A model weight is outside the supported range.
	#[error(
		"weight {index} = {value} is outside ±{limit}; quantise the model with a smaller scale"
	)]
	WeightOutOfRange { index: FeatureIndex, value: i64, limit: i64 },
	/// The bias is outside the supported range.
	#[error("bias {value} is outside ±{limit}; quantise the model with a smaller scale")]
	BiasOutOfRange { value: i64, limit: i64 },
	/// A model and a record (or a model's weights and feature list) disagree on the number of
	/// features.
	#[error("the model expects {expected} features but {given} are given")]
	FeatureCountMismatch { expected: FeatureCount, given: FeatureCount },
	/// A model's encoding of a feature has an infinite or NaN offset or scale.
	#[error("feature {index} ({name}) has a non-finite offset or scale")]
	NonFiniteEncoding { index: FeatureIndex, name: String },
	/// A model's score unit (logit per unit of score) is not a positive finite number.
	#[error("score unit {score_unit} is not a positive finite number")]
	InvalidScoreUnit { score_unit: f64 },
	/// A raw feature value given for encoding is infinite or NaN.
	#[error("feature {index} ({name}) is {value}; give a finite number")]
	NonFiniteFeatureValue { index: FeatureIndex, name: String, value: f64 },

	// --- The wire format (see [`crate::wire`]) ---
	/// Bytes are longer than the largest object of this kind any known parameter set allows.
	#[error("{kind} of {len} bytes exceeds the limit of {limit} bytes")]
	TooLarge { kind: Kind, len: usize, limit: usize },
	/// Bytes end before the object does.
	#[error("{kind} is truncated: needed {needed} more bytes")]
	Truncated { kind: Kind, needed: usize },
	/// Bytes continue after the object ends.
	#[error("{kind} has {extra} trailing bytes")]
	TrailingBytes { kind: Kind, extra: usize },
	/// The bytes are not a Custodia FHE object.
	#[error("not a Custodia FHE object (bad magic bytes)")]
	BadMagic,
	/// The format version is not one this build reads.
	#[error("format version {found} is not supported (this build reads version {supported}); upgrade custodia")]
	UnsupportedVersion { found: u8, supported: u8 },
	/// The object is of another kind than the caller expected.
	#[error("wrong object: expected an object of kind \"{expected}\", found kind {found}")]
	WrongKind { expected: Kind, found: u8 },
	/// The bytes name a parameter set this build does not know.
	#[error("parameter set {found} is unknown to this build; upgrade custodia")]
	UnknownParameters { found: u8 },
	/// Two objects (or a key and an object) belong to different parameter sets.
	#[error("parameter set {found} does not match the expected {expected}")]
	WrongParameters { expected: u8, found: u8 },
	/// An encoded record declares a feature count outside 1..=max.
	#[error(
		"an encoded record declares {count} features; parameter set {params} allows 1..={max}"
	)]
	EncodedFeatureCount { count: usize, max: FeatureCount, params: &'static str },

	// --- Generic programs (see [`crate::program`]) ---
	/// A program has more inputs than [`crate::program::MAX_INPUTS`].
	#[error("the program has {given} inputs; at most {max} are allowed")]
	TooManyInputs { given: usize, max: usize },
	/// A program has more operations than [`crate::program::MAX_OPS`].
	#[error("the program has {given} operations; at most {max} are allowed")]
	TooManyOperations { given: usize, max: usize },
	/// An operation reads a value that is not defined before it.
	#[error("operation {op} reads value {value}, which is not defined yet")]
	UndefinedValue { op: usize, value: ValueId },
	/// An arithmetic or comparison operation reads a comparison result.
	#[error("operation {op} needs an integer at value {value}, but it is a comparison result")]
	NotAnInteger { op: usize, value: ValueId },
	/// A select's condition is not a comparison result.
	#[error("operation {op} selects on value {value}, which is not a comparison result")]
	NotAComparison { op: usize, value: ValueId },
	/// A program declares no output.
	#[error("a program needs at least one output")]
	NoOutputs,
	/// An output names a value the program does not compute.
	#[error("output {output} is not a value of the program (it has {values} values)")]
	UndefinedOutput { output: ValueId, values: usize },
	/// A program is evaluated on another number of inputs than it declares.
	#[error("the program takes {expected} inputs but {given} are given")]
	InputCountMismatch { expected: usize, given: usize },
	/// tfhe could not serialize or deserialize an encrypted value (malformed, too large, or of
	/// another tfhe version); its message says which.
	#[error("encrypted value: {0}")]
	EncryptedValue(String),
	/// A program has more outputs than [`crate::program::MAX_OUTPUTS`].
	#[error("the program has {given} outputs; at most {max} are allowed")]
	TooManyOutputs { given: usize, max: usize },
	/// A program's JSON is longer than [`crate::program::MAX_PROGRAM_BYTES`].
	#[error("the program is {len} bytes of JSON; at most {limit} are read")]
	ProgramTooLarge { len: usize, limit: usize },
	/// A program's bytes are not JSON of the program format.
	#[error("the program is not a JSON program (line {line}, column {column})")]
	ProgramJson { line: usize, column: usize },
	/// tfhe could not serialize or deserialize an evaluation key (malformed, too large, or of
	/// another tfhe version); its message says which.
	#[error("evaluation key: {0}")]
	EvaluationKey(String),
	/// Bytes do not start like a value list (magic bytes `CPV`, version 1).
	#[error("not a Custodia value list (bad magic bytes or version)")]
	NotAValueList,
	/// A value list is longer than its limit.
	#[error("a value list of {len} bytes exceeds the limit of {limit} bytes")]
	ValueListTooLarge { len: usize, limit: usize },
	/// A value list declares more values than allowed.
	#[error("a value list declares {given} values; at most {max} are allowed")]
	TooManyValues { given: usize, max: usize },
	/// A value list ends inside value `index`.
	#[error("the value list ends inside value {index}")]
	ValueListTruncated { index: usize },
	/// Bytes continue after a value list's last value.
	#[error("the value list has {extra} trailing bytes")]
	ValueListTrailingBytes { extra: usize },
	/// A value's kind byte is not one of [`crate::program::ValueKind`].
	#[error("value {index} is of unknown kind {found}")]
	UnknownValueKind { index: usize, found: u8 },
	/// A value is of another kind than expected here (e.g. an output where an input belongs).
	#[error("value {index} is a {found:?}, which does not belong here")]
	UnexpectedValueKind { index: usize, found: crate::program::ValueKind },
}
