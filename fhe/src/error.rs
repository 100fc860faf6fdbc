//! Errors of the FHE engine. Each says what was wrong and, where it helps, how to fix it.

/// Everything that can go wrong when encrypting, evaluating or decoding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
	/// More features than a parameter set supports.
	#[error("{given} features given, but at most {max} are supported by parameter set {params}")]
	TooManyFeatures { given: usize, max: usize, params: &'static str },
	/// A record has no features at all.
	#[error("a record needs at least one feature")]
	NoFeatures,
	/// An encoded feature value is outside the range the noise budget was computed for.
	#[error("feature {index} = {value} is outside ±{limit}; quantise with a smaller scale")]
	FeatureOutOfRange { index: usize, value: i64, limit: i64 },
	/// A model weight is outside the supported range.
	#[error("weight {index} = {value} is outside ±{limit}; quantise the model with a smaller scale")]
	WeightOutOfRange { index: usize, value: i64, limit: i64 },
	/// The bias is outside the supported range.
	#[error("bias {value} is outside ±{limit}")]
	BiasOutOfRange { value: i64, limit: i64 },
	/// A model and a record disagree on the number of features.
	#[error("the model expects {expected} features but the record has {given}")]
	FeatureCountMismatch { expected: usize, given: usize },
	/// Bytes are longer than the caller's limit for this kind of object.
	#[error("{kind} of {len} bytes exceeds the limit of {limit} bytes")]
	TooLarge { kind: &'static str, len: usize, limit: usize },
	/// Bytes end before the object does.
	#[error("{kind} is truncated: needed {needed} more bytes")]
	Truncated { kind: &'static str, needed: usize },
	/// Bytes continue after the object ends.
	#[error("{kind} has {extra} trailing bytes")]
	TrailingBytes { kind: &'static str, extra: usize },
	/// The bytes are not a Custodia FHE object.
	#[error("not a Custodia FHE object (bad magic bytes)")]
	BadMagic,
	/// The format version is not one this build reads.
	#[error("format version {0} is not supported (this build reads version {1}); upgrade custodia")]
	UnsupportedVersion(u8, u8),
	/// The object is of another kind than the caller expected.
	#[error("expected a {expected}, found object kind {found}")]
	WrongKind { expected: &'static str, found: u8 },
	/// The object was made with a parameter set this build does not know or did not expect.
	#[error("parameter set {found} does not match the expected {expected}")]
	WrongParameters { expected: u8, found: u8 },
	/// A field holds a value that no valid object can hold.
	#[error("invalid {what}: {detail}")]
	Invalid { what: &'static str, detail: String },
}
