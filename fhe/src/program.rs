//! Generic encrypted programs (PMHE's contract API: add and mult on ciphertexts, plus scalar
//! operations, comparison and select) for models that are not linear.
//!
//! A [`Program`] is a small, serialisable list of operations over 16-bit signed integers
//! encrypted under an individual's tfhe high-level keys. Each operation appends one value; the
//! first `inputs` values are the encrypted inputs. Evaluation uses the individual's server key
//! (public evaluation material) and tfhe's default ≥ 128-bit parameters with a 2⁻¹²⁸ failure
//! probability. With tfhe pinned and its FFT algorithm forced (see Cargo.toml), every evaluator
//! produces byte-identical outputs, so their hashes can be compared on chain.
//!
//! ## Program jobs on chain
//! A person runs a program over their own data as a program job (`pallet-fhe`'s
//! `request_program`). Four objects travel through IPFS, each with a size limit the evaluators
//! enforce before decoding:
//! - the **program**, as JSON ([`Program::from_json`], at most [`MAX_PROGRAM_BYTES`], then
//!   [`Program::check`]: at most [`MAX_OPS`] operations, [`MAX_INPUTS`] inputs and
//!   [`MAX_OUTPUTS`] outputs);
//! - the **evaluation key**, the person's compressed server key
//!   ([`evaluation_key_to_bytes`], at most [`MAX_EVALUATION_KEY_BYTES`]);
//! - the **inputs**, compressed (seeded) encryptions of 16-bit integers ([`encrypt_inputs`],
//!   [`decode_inputs`]);
//! - the **outputs**, one value per program output ([`encode_outputs`], [`decrypt_outputs`]).
//!
//! Inputs and outputs are a *value list*: the magic bytes `CPV`, a format version (1), the
//! number of values (`u16`, little endian), then for each value its kind ([`ValueKind`]), its
//! length (`u32`, little endian) and tfhe's versioned safe serialization of it.

use serde::{Deserialize, Serialize};
use tfhe::{
	prelude::*,
	safe_serialization::{safe_deserialize, safe_serialize},
	CompressedFheInt16, ConfigBuilder, FheBool, FheInt16,
};

use crate::Error;

/// The tfhe keys a program's user handles: the client key (secret: encrypts inputs, decrypts
/// outputs), the compressed server key (the public evaluation key registered on chain), and the
/// server key evaluators compute with.
pub use tfhe::{ClientKey, CompressedServerKey, ServerKey};

/// Most inputs of a program.
pub const MAX_INPUTS: usize = 32;
/// Most operations of a program (each bootstraps; this bounds an evaluation's cost).
pub const MAX_OPS: usize = 256;
/// Most outputs of a program: each is a full ciphertext (about 130 KiB for an integer) in the
/// result every evaluator stores, so their number is bounded like the work.
pub const MAX_OUTPUTS: usize = 16;
/// Size limit for one serialized encrypted value.
pub const VALUE_SIZE_LIMIT: u64 = 1 << 20;
/// The largest program, as JSON, an evaluator reads: far above the largest program
/// [`Program::check`] accepts (256 operations of about 45 bytes each).
pub const MAX_PROGRAM_BYTES: usize = 64 * 1024;
/// The largest evaluation key (a compressed server key of tfhe's default parameters, which is
/// above 48 MiB) an evaluator reads and decodes.
pub const MAX_EVALUATION_KEY_BYTES: u64 = 256 << 20;
/// The largest input value list: [`MAX_INPUTS`] compressed integers with room to spare.
pub const MAX_INPUT_LIST_BYTES: usize = 256 * 1024;
/// The largest output value list: [`MAX_OUTPUTS`] values of at most [`VALUE_SIZE_LIMIT`].
pub const MAX_OUTPUT_LIST_BYTES: usize = MAX_OUTPUTS * (VALUE_SIZE_LIMIT as usize + 5) + 6;

/// The index of a value in a program: inputs first, then one value per operation. A newtype
/// so that an operand is never confused with a scalar constant (`i16`) or an operation's
/// position; serialized as the bare number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ValueId(pub u16);

impl core::fmt::Display for ValueId {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		self.0.fmt(f)
	}
}

impl ValueId {
	fn index(self) -> usize {
		usize::from(self.0)
	}
}

/// One operation; operands are earlier values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
	Add {
		a: ValueId,
		b: ValueId,
	},
	Sub {
		a: ValueId,
		b: ValueId,
	},
	Mul {
		a: ValueId,
		b: ValueId,
	},
	AddScalar {
		a: ValueId,
		value: i16,
	},
	MulScalar {
		a: ValueId,
		value: i16,
	},
	Lt {
		a: ValueId,
		b: ValueId,
	},
	Gt {
		a: ValueId,
		b: ValueId,
	},
	Eq {
		a: ValueId,
		b: ValueId,
	},
	/// `condition ? then : otherwise`; `condition` must be a comparison result.
	Select {
		condition: ValueId,
		then: ValueId,
		otherwise: ValueId,
	},
}

/// The type of a value in a program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
	Int,
	Bool,
}

/// A program: `inputs` encrypted integers, operations, and the indices of its outputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
	pub inputs: u16,
	pub ops: Vec<Op>,
	pub outputs: Vec<ValueId>,
}

/// An encrypted value: an integer or a comparison result.
#[derive(Clone)]
pub enum Value {
	Int(FheInt16),
	Bool(FheBool),
}

impl Program {
	/// Reads a program from its JSON (at most [`MAX_PROGRAM_BYTES`]) and type-checks it.
	pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
		if bytes.len() > MAX_PROGRAM_BYTES {
			return Err(Error::ProgramTooLarge { len: bytes.len(), limit: MAX_PROGRAM_BYTES });
		}
		let program: Program = serde_json::from_slice(bytes)
			.map_err(|e| Error::ProgramJson { line: e.line(), column: e.column() })?;
		program.check()?;
		Ok(program)
	}

	/// Type-checks the program; returns the type of every value.
	pub fn check(&self) -> Result<Vec<ValueType>, Error> {
		if usize::from(self.inputs) > MAX_INPUTS {
			return Err(Error::TooManyInputs { given: self.inputs.into(), max: MAX_INPUTS });
		}
		if self.ops.len() > MAX_OPS {
			return Err(Error::TooManyOperations { given: self.ops.len(), max: MAX_OPS });
		}
		let mut types = vec![ValueType::Int; usize::from(self.inputs)];
		for (op_index, op) in self.ops.iter().enumerate() {
			let ty = |value: ValueId| {
				types
					.get(value.index())
					.copied()
					.ok_or(Error::UndefinedValue { op: op_index, value })
			};
			let int = |value: ValueId| match ty(value)? {
				ValueType::Int => Ok(()),
				ValueType::Bool => Err(Error::NotAnInteger { op: op_index, value }),
			};
			let result = match *op {
				Op::Add { a, b } | Op::Sub { a, b } | Op::Mul { a, b } => {
					int(a)?;
					int(b)?;
					ValueType::Int
				},
				Op::AddScalar { a, .. } | Op::MulScalar { a, .. } => {
					int(a)?;
					ValueType::Int
				},
				Op::Lt { a, b } | Op::Gt { a, b } | Op::Eq { a, b } => {
					int(a)?;
					int(b)?;
					ValueType::Bool
				},
				Op::Select { condition, then, otherwise } => {
					if ty(condition)? != ValueType::Bool {
						return Err(Error::NotAComparison { op: op_index, value: condition });
					}
					int(then)?;
					int(otherwise)?;
					ValueType::Int
				},
			};
			types.push(result);
		}
		if self.outputs.is_empty() {
			return Err(Error::NoOutputs);
		}
		if self.outputs.len() > MAX_OUTPUTS {
			return Err(Error::TooManyOutputs { given: self.outputs.len(), max: MAX_OUTPUTS });
		}
		if let Some(&output) = self.outputs.iter().find(|o| o.index() >= types.len()) {
			return Err(Error::UndefinedOutput { output, values: types.len() });
		}
		Ok(types)
	}

	/// Evaluates the program on encrypted inputs with the individual's server key.
	pub fn evaluate(
		&self,
		server_key: &ServerKey,
		inputs: &[FheInt16],
	) -> Result<Vec<Value>, Error> {
		self.check()?;
		if inputs.len() != usize::from(self.inputs) {
			return Err(Error::InputCountMismatch {
				expected: self.inputs.into(),
				given: inputs.len(),
			});
		}
		// tfhe's high-level API reads the server key from thread-local state.
		tfhe::set_server_key(server_key.clone());
		let mut values: Vec<Value> = inputs.iter().cloned().map(Value::Int).collect();
		for op in &self.ops {
			let int = |value: ValueId| match &values[value.index()] {
				Value::Int(v) => v,
				Value::Bool(_) => unreachable!("type-checked by Program::check"),
			};
			let value = match *op {
				Op::Add { a, b } => Value::Int(int(a) + int(b)),
				Op::Sub { a, b } => Value::Int(int(a) - int(b)),
				Op::Mul { a, b } => Value::Int(int(a) * int(b)),
				Op::AddScalar { a, value } => Value::Int(int(a) + value),
				Op::MulScalar { a, value } => Value::Int(int(a) * value),
				Op::Lt { a, b } => Value::Bool(int(a).lt(int(b))),
				Op::Gt { a, b } => Value::Bool(int(a).gt(int(b))),
				Op::Eq { a, b } => Value::Bool(int(a).eq(int(b))),
				Op::Select { condition, then, otherwise } => {
					let Value::Bool(condition) = &values[condition.index()] else {
						unreachable!("type-checked by Program::check")
					};
					Value::Int(condition.select(int(then), int(otherwise)))
				},
			};
			values.push(value);
		}
		// The decompressed key is large: do not leave it in this thread's state.
		tfhe::unset_server_key();
		Ok(self.outputs.iter().map(|o| values[o.index()].clone()).collect())
	}
}

/// An individual's keys for programs: the client key (secret) and the compressed server key
/// (public evaluation material, stored in IPFS).
pub fn generate_keys() -> (ClientKey, CompressedServerKey) {
	let client_key = ClientKey::generate(ConfigBuilder::default().build());
	let server_key = CompressedServerKey::new(&client_key);
	(client_key, server_key)
}

/// The canonical bytes of a person's evaluation key (tfhe's versioned safe serialization of
/// the compressed server key), as registered with `register_evaluation_key`.
pub fn evaluation_key_to_bytes(key: &CompressedServerKey) -> Result<Vec<u8>, Error> {
	let mut out = Vec::new();
	safe_serialize(key, &mut out, MAX_EVALUATION_KEY_BYTES)
		.map_err(|e| Error::EvaluationKey(e.to_string()))?;
	Ok(out)
}

/// Decodes a person's evaluation key of at most [`MAX_EVALUATION_KEY_BYTES`] and makes it ready
/// to evaluate with.
pub fn evaluation_key_from_bytes(bytes: &[u8]) -> Result<ServerKey, Error> {
	let key: CompressedServerKey = safe_deserialize(bytes, MAX_EVALUATION_KEY_BYTES)
		.map_err(|e| Error::EvaluationKey(e.to_string()))?;
	Ok(key.decompress())
}

/// The bytes of a person's client key, to keep (sealed) on their machine.
pub fn client_key_to_bytes(key: &ClientKey) -> Result<Vec<u8>, Error> {
	let mut out = Vec::new();
	safe_serialize(key, &mut out, VALUE_SIZE_LIMIT)
		.map_err(|e| Error::EncryptedValue(e.to_string()))?;
	Ok(out)
}

/// A person's client key from [`client_key_to_bytes`].
pub fn client_key_from_bytes(bytes: &[u8]) -> Result<ClientKey, Error> {
	safe_deserialize(bytes, VALUE_SIZE_LIMIT).map_err(|e| Error::EncryptedValue(e.to_string()))
}

/// What a value in a value list is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ValueKind {
	/// An integer as a program computes it ([`FheInt16`]).
	Int = 0,
	/// A comparison result ([`FheBool`]).
	Bool = 1,
	/// An integer as a person encrypts an input: compressed (seeded), a fraction of the size.
	CompressedInt = 2,
}

impl ValueKind {
	fn from_byte(byte: u8) -> Option<Self> {
		[Self::Int, Self::Bool, Self::CompressedInt]
			.into_iter()
			.find(|k| *k as u8 == byte)
	}
}

/// The magic bytes and format version that start a value list.
const VALUE_LIST_HEADER: [u8; 4] = *b"CPV\x01";

fn encode_list(values: &[(ValueKind, Vec<u8>)]) -> Vec<u8> {
	let mut out = VALUE_LIST_HEADER.to_vec();
	// Callers bound the count by MAX_INPUTS or MAX_OUTPUTS.
	out.extend_from_slice(&(values.len() as u16).to_le_bytes());
	for (kind, bytes) in values {
		out.push(*kind as u8);
		out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
		out.extend_from_slice(bytes);
	}
	out
}

/// Splits a value list into its values, checking its framing; at most `max` values.
fn decode_list(bytes: &[u8], max: usize) -> Result<Vec<(ValueKind, &[u8])>, Error> {
	let rest = bytes.strip_prefix(&VALUE_LIST_HEADER[..]).ok_or(Error::NotAValueList)?;
	let (count, mut rest) =
		rest.split_at_checked(2).ok_or(Error::ValueListTruncated { index: 0 })?;
	let count = usize::from(u16::from_le_bytes([count[0], count[1]]));
	if count > max {
		return Err(Error::TooManyValues { given: count, max });
	}
	let mut values = Vec::with_capacity(count);
	for index in 0..count {
		let (&kind, after) = rest.split_first().ok_or(Error::ValueListTruncated { index })?;
		let kind =
			ValueKind::from_byte(kind).ok_or(Error::UnknownValueKind { index, found: kind })?;
		let (len, after) = after.split_at_checked(4).ok_or(Error::ValueListTruncated { index })?;
		let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
		let (value, after) =
			after.split_at_checked(len).ok_or(Error::ValueListTruncated { index })?;
		values.push((kind, value));
		rest = after;
	}
	if !rest.is_empty() {
		return Err(Error::ValueListTrailingBytes { extra: rest.len() });
	}
	Ok(values)
}

/// A program's inputs, encrypted under the person's client key: a value list of compressed
/// integers.
pub fn encrypt_inputs(values: &[i16], client_key: &ClientKey) -> Result<Vec<u8>, Error> {
	if values.len() > MAX_INPUTS {
		return Err(Error::TooManyInputs { given: values.len(), max: MAX_INPUTS });
	}
	let encrypted = values
		.iter()
		.map(|&v| {
			let value = CompressedFheInt16::try_encrypt(v, client_key)
				.map_err(|e| Error::EncryptedValue(e.to_string()))?;
			let mut out = Vec::new();
			safe_serialize(&value, &mut out, VALUE_SIZE_LIMIT)
				.map_err(|e| Error::EncryptedValue(e.to_string()))?;
			Ok((ValueKind::CompressedInt, out))
		})
		.collect::<Result<Vec<_>, Error>>()?;
	Ok(encode_list(&encrypted))
}

/// Decodes a program's inputs (at most [`MAX_INPUTS`] compressed integers) for evaluation.
pub fn decode_inputs(bytes: &[u8]) -> Result<Vec<FheInt16>, Error> {
	if bytes.len() > MAX_INPUT_LIST_BYTES {
		return Err(Error::ValueListTooLarge { len: bytes.len(), limit: MAX_INPUT_LIST_BYTES });
	}
	decode_list(bytes, MAX_INPUTS)?
		.into_iter()
		.enumerate()
		.map(|(index, (kind, value))| {
			if kind != ValueKind::CompressedInt {
				return Err(Error::UnexpectedValueKind { index, found: kind });
			}
			let compressed: CompressedFheInt16 = safe_deserialize(value, VALUE_SIZE_LIMIT)
				.map_err(|e| Error::EncryptedValue(e.to_string()))?;
			Ok(compressed.decompress())
		})
		.collect()
}

/// A program's outputs as one value list (deterministic: the same values give the same bytes).
pub fn encode_outputs(values: &[Value]) -> Result<Vec<u8>, Error> {
	if values.len() > MAX_OUTPUTS {
		return Err(Error::TooManyOutputs { given: values.len(), max: MAX_OUTPUTS });
	}
	let encoded = values
		.iter()
		.map(|v| {
			let kind = match v {
				Value::Int(_) => ValueKind::Int,
				Value::Bool(_) => ValueKind::Bool,
			};
			Ok((kind, v.to_bytes()?))
		})
		.collect::<Result<Vec<_>, Error>>()?;
	Ok(encode_list(&encoded))
}

/// Decrypts a program's outputs with the person's client key: integers as themselves,
/// comparison results as 0/1.
pub fn decrypt_outputs(bytes: &[u8], client_key: &ClientKey) -> Result<Vec<i16>, Error> {
	if bytes.len() > MAX_OUTPUT_LIST_BYTES {
		return Err(Error::ValueListTooLarge { len: bytes.len(), limit: MAX_OUTPUT_LIST_BYTES });
	}
	decode_list(bytes, MAX_OUTPUTS)?
		.into_iter()
		.enumerate()
		.map(|(index, (kind, value))| {
			let value = match kind {
				ValueKind::Int => Value::Int(Value::int_from_bytes(value)?),
				ValueKind::Bool => Value::Bool(
					safe_deserialize(value, VALUE_SIZE_LIMIT)
						.map_err(|e| Error::EncryptedValue(e.to_string()))?,
				),
				ValueKind::CompressedInt => {
					return Err(Error::UnexpectedValueKind { index, found: kind })
				},
			};
			Ok(value.decrypt(client_key))
		})
		.collect()
}

/// A new evaluation key for `client_key` (tfhe's server-key generation is randomised: each
/// call gives other bytes, all of which evaluate alike).
pub fn evaluation_key_for(client_key: &ClientKey) -> CompressedServerKey {
	CompressedServerKey::new(client_key)
}

impl Value {
	/// Canonical bytes of the value (tfhe's versioned safe serialization).
	pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
		let mut out = Vec::new();
		let result = match self {
			Value::Int(v) => safe_serialize(v, &mut out, VALUE_SIZE_LIMIT),
			Value::Bool(v) => safe_serialize(v, &mut out, VALUE_SIZE_LIMIT),
		};
		result.map_err(|e| Error::EncryptedValue(e.to_string()))?;
		Ok(out)
	}

	/// Decodes an integer value of at most [`VALUE_SIZE_LIMIT`] bytes.
	pub fn int_from_bytes(bytes: &[u8]) -> Result<FheInt16, Error> {
		safe_deserialize(bytes, VALUE_SIZE_LIMIT).map_err(|e| Error::EncryptedValue(e.to_string()))
	}

	/// Decrypts with the individual's client key: integers as themselves, booleans as 0/1.
	pub fn decrypt(&self, client_key: &ClientKey) -> i16 {
		match self {
			Value::Int(v) => v.decrypt(client_key),
			Value::Bool(v) => i16::from(v.decrypt(client_key)),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const fn v(index: u16) -> ValueId {
		ValueId(index)
	}

	fn sample() -> Program {
		// v2 = x + y; v3 = 7·v2; v4 = x·y; v5 = v3 > v4; v6 = v5 ? v3 : v4
		Program {
			inputs: 2,
			ops: vec![
				Op::Add { a: v(0), b: v(1) },
				Op::MulScalar { a: v(2), value: 7 },
				Op::Mul { a: v(0), b: v(1) },
				Op::Gt { a: v(3), b: v(4) },
				Op::Select { condition: v(5), then: v(3), otherwise: v(4) },
			],
			outputs: vec![v(6), v(5)],
		}
	}

	#[test]
	fn evaluates_like_plaintext_and_twice_to_identical_bytes() {
		let (client_key, compressed) = generate_keys();
		let server_key = compressed.decompress();
		let inputs = [FheInt16::encrypt(5i16, &client_key), FheInt16::encrypt(-3i16, &client_key)];
		let program = sample();
		let first = program.evaluate(&server_key, &inputs).unwrap();
		let second = program.evaluate(&server_key, &inputs).unwrap();
		let decrypted: Vec<i16> = first.iter().map(|v| v.decrypt(&client_key)).collect();
		assert_eq!(decrypted, vec![14, 1]);
		for (a, b) in first.iter().zip(&second) {
			assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
		}
		let decoded = Value::int_from_bytes(&first[0].to_bytes().unwrap()).unwrap();
		let decrypted: i16 = decoded.decrypt(&client_key);
		assert_eq!(decrypted, 14);
		assert!(matches!(
			program.evaluate(&server_key, &inputs[..1]),
			Err(Error::InputCountMismatch { expected: 2, given: 1 })
		));
	}

	#[test]
	fn a_program_job_runs_from_bytes_to_bytes_identically_twice() {
		let (client_key, compressed) = generate_keys();
		let key_bytes = evaluation_key_to_bytes(&compressed).unwrap();
		assert!(key_bytes.len() as u64 <= MAX_EVALUATION_KEY_BYTES, "{}", key_bytes.len());
		// (a + b) * c, and whether it exceeds 20.
		let json = br#"{"inputs":3,"ops":[{"op":"add","a":0,"b":1},{"op":"mul","a":3,"b":2},
			{"op":"add_scalar","a":4,"value":-20},{"op":"gt","a":4,"b":2}],"outputs":[4,6]}"#;
		let program = Program::from_json(json).unwrap();
		let inputs = encrypt_inputs(&[2, 3, 7], &client_key).unwrap();
		assert!(inputs.len() <= MAX_INPUT_LIST_BYTES, "{}", inputs.len());
		let run = || {
			let server_key = evaluation_key_from_bytes(&key_bytes).unwrap();
			let values = program.evaluate(&server_key, &decode_inputs(&inputs).unwrap()).unwrap();
			encode_outputs(&values).unwrap()
		};
		let (first, second) = (run(), run());
		eprintln!(
			"evaluation key {} bytes, inputs {} bytes, outputs {} bytes",
			key_bytes.len(),
			inputs.len(),
			first.len()
		);
		assert_eq!(first, second);
		assert!(first.len() <= MAX_OUTPUT_LIST_BYTES);
		assert_eq!(decrypt_outputs(&first, &client_key).unwrap(), vec![35, 1]);
		let restored = client_key_from_bytes(&client_key_to_bytes(&client_key).unwrap()).unwrap();
		assert_eq!(decrypt_outputs(&first, &restored).unwrap(), vec![35, 1]);
		// Outputs are not inputs.
		assert!(matches!(
			decode_inputs(&first),
			Err(Error::UnexpectedValueKind { index: 0, found: ValueKind::Int })
		));
	}

	#[test]
	fn malformed_programs_and_value_lists_are_typed_errors() {
		assert!(matches!(
			Program::from_json(b"{\"inputs\": 1, \"ops\": ["),
			Err(Error::ProgramJson { line: 1, .. })
		));
		assert_eq!(
			Program::from_json(&vec![b' '; MAX_PROGRAM_BYTES + 1]),
			Err(Error::ProgramTooLarge { len: MAX_PROGRAM_BYTES + 1, limit: MAX_PROGRAM_BYTES })
		);
		assert_eq!(
			Program::from_json(br#"{"inputs":1,"ops":[{"op":"add","a":0,"b":5}],"outputs":[1]}"#),
			Err(Error::UndefinedValue { op: 0, value: v(5) })
		);
		let many = Program { inputs: 1, ops: vec![], outputs: vec![v(0); MAX_OUTPUTS + 1] };
		assert_eq!(
			many.check(),
			Err(Error::TooManyOutputs { given: MAX_OUTPUTS + 1, max: MAX_OUTPUTS })
		);
		assert_eq!(decode_inputs(b"nope").err(), Some(Error::NotAValueList));
		assert_eq!(decode_inputs(b"CPV\x01").err(), Some(Error::ValueListTruncated { index: 0 }));
		assert_eq!(
			decode_inputs(b"CPV\x01\x01\x00\x02\x09\x00\x00\x00ab").err(),
			Some(Error::ValueListTruncated { index: 0 })
		);
		assert_eq!(
			decode_inputs(b"CPV\x01\x00\x00x").err(),
			Some(Error::ValueListTrailingBytes { extra: 1 })
		);
		assert_eq!(
			decode_inputs(b"CPV\x01\x01\x00\x07\x00\x00\x00\x00").err(),
			Some(Error::UnknownValueKind { index: 0, found: 7 })
		);
		assert_eq!(
			decode_inputs(b"CPV\x01\xff\xff").err(),
			Some(Error::TooManyValues { given: 65535, max: MAX_INPUTS })
		);
		assert!(matches!(
			decode_inputs(b"CPV\x01\x01\x00\x02\x02\x00\x00\x00ab"),
			Err(Error::EncryptedValue(_))
		));
		assert!(matches!(evaluation_key_from_bytes(b"not a key"), Err(Error::EvaluationKey(_))));
	}

	#[test]
	fn programs_round_trip_through_json() {
		let json = serde_json::to_string(&sample()).unwrap();
		assert!(json.contains(r#"{"op":"mul_scalar","a":2,"value":7}"#));
		assert_eq!(serde_json::from_str::<Program>(&json).unwrap(), sample());
	}

	#[test]
	fn ill_typed_programs_are_rejected_before_evaluation() {
		let undefined =
			Program { inputs: 1, ops: vec![Op::Add { a: v(0), b: v(1) }], outputs: vec![v(1)] };
		assert_eq!(undefined.check(), Err(Error::UndefinedValue { op: 0, value: v(1) }));
		let select_on_int = Program {
			inputs: 2,
			ops: vec![Op::Select { condition: v(0), then: v(0), otherwise: v(1) }],
			outputs: vec![v(2)],
		};
		assert_eq!(select_on_int.check(), Err(Error::NotAComparison { op: 0, value: v(0) }));
		let add_bool = Program {
			inputs: 2,
			ops: vec![Op::Lt { a: v(0), b: v(1) }, Op::Add { a: v(2), b: v(0) }],
			outputs: vec![v(3)],
		};
		assert_eq!(add_bool.check(), Err(Error::NotAnInteger { op: 1, value: v(2) }));
		let no_output = Program { inputs: 1, ops: vec![], outputs: vec![] };
		assert_eq!(no_output.check(), Err(Error::NoOutputs));
		let bad_output = Program { inputs: 1, ops: vec![], outputs: vec![v(1)] };
		assert_eq!(bad_output.check(), Err(Error::UndefinedOutput { output: v(1), values: 1 }));
		let wide = Program { inputs: MAX_INPUTS as u16 + 1, ops: vec![], outputs: vec![v(0)] };
		assert_eq!(
			wide.check(),
			Err(Error::TooManyInputs { given: MAX_INPUTS + 1, max: MAX_INPUTS })
		);
		let long = Program {
			inputs: 1,
			ops: vec![Op::AddScalar { a: v(0), value: 1 }; MAX_OPS + 1],
			outputs: vec![v(0)],
		};
		assert_eq!(
			long.check(),
			Err(Error::TooManyOperations { given: MAX_OPS + 1, max: MAX_OPS })
		);
		assert_eq!(sample().check().unwrap().len(), 7);
	}

	#[test]
	fn malformed_value_bytes_are_errors() {
		assert!(matches!(
			Value::int_from_bytes(b"not a ciphertext"),
			Err(Error::EncryptedValue(_))
		));
		assert!(matches!(Value::int_from_bytes(&[]), Err(Error::EncryptedValue(_))));
	}
}
