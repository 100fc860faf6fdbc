//! Generic encrypted programs (PMHE's contract API: add and mult on ciphertexts, plus scalar
//! operations, comparison and select) for models that are not linear.
//!
//! A [`Program`] is a small, serialisable list of operations over 16-bit signed integers
//! encrypted under an individual's tfhe high-level keys. Each operation appends one value; the
//! first `inputs` values are the encrypted inputs. Evaluation uses the individual's server key
//! (public evaluation material) and tfhe's default ≥ 128-bit parameters with a 2⁻¹²⁸ failure
//! probability. With tfhe pinned and its FFT algorithm forced (see Cargo.toml), every evaluator
//! produces byte-identical outputs, so their hashes can be compared on chain.

use serde::{Deserialize, Serialize};
use tfhe::{
	prelude::*,
	safe_serialization::{safe_deserialize, safe_serialize},
	ClientKey, CompressedServerKey, ConfigBuilder, FheBool, FheInt16, ServerKey,
};

use crate::Error;

/// Most inputs of a program.
pub const MAX_INPUTS: usize = 32;
/// Most operations of a program (each bootstraps; this bounds an evaluation's cost).
pub const MAX_OPS: usize = 256;
/// Size limit for one serialized encrypted value.
pub const VALUE_SIZE_LIMIT: u64 = 1 << 20;

/// One operation; operands are indices of earlier values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
	Add { a: u16, b: u16 },
	Sub { a: u16, b: u16 },
	Mul { a: u16, b: u16 },
	AddScalar { a: u16, value: i16 },
	MulScalar { a: u16, value: i16 },
	Lt { a: u16, b: u16 },
	Gt { a: u16, b: u16 },
	Eq { a: u16, b: u16 },
	/// `condition ? then : otherwise`; `condition` must be a comparison result.
	Select { condition: u16, then: u16, otherwise: u16 },
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
	pub outputs: Vec<u16>,
}

/// An encrypted value: an integer or a comparison result.
#[derive(Clone)]
pub enum Value {
	Int(FheInt16),
	Bool(FheBool),
}

impl Program {
	/// Type-checks the program; returns the type of every value.
	pub fn check(&self) -> Result<Vec<ValueType>, Error> {
		let invalid = |detail: String| Error::Invalid { what: "program", detail };
		if self.inputs as usize > MAX_INPUTS || self.ops.len() > MAX_OPS {
			return Err(invalid(format!("at most {MAX_INPUTS} inputs and {MAX_OPS} operations")));
		}
		let mut types = vec![ValueType::Int; self.inputs as usize];
		for (i, op) in self.ops.iter().enumerate() {
			let ty = |index: u16| {
				types.get(index as usize).copied().ok_or_else(|| invalid(format!("operation {i} reads value {index}, which is not defined yet")))
			};
			let int = |index: u16| match ty(index)? {
				ValueType::Int => Ok(()),
				ValueType::Bool => Err(invalid(format!("operation {i} needs an integer at value {index}"))),
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
						return Err(invalid(format!("operation {i} selects on value {condition}, which is not a comparison")));
					}
					int(then)?;
					int(otherwise)?;
					ValueType::Int
				},
			};
			types.push(result);
		}
		if self.outputs.is_empty() {
			return Err(invalid("a program needs at least one output".into()));
		}
		if let Some(&bad) = self.outputs.iter().find(|&&o| o as usize >= types.len()) {
			return Err(invalid(format!("output {bad} is not a value of the program")));
		}
		Ok(types)
	}

	/// Evaluates the program on encrypted inputs with the individual's server key.
	pub fn evaluate(&self, server_key: &ServerKey, inputs: &[FheInt16]) -> Result<Vec<Value>, Error> {
		self.check()?;
		if inputs.len() != self.inputs as usize {
			return Err(Error::FeatureCountMismatch { expected: self.inputs as usize, given: inputs.len() });
		}
		// tfhe's high-level API reads the server key from thread-local state.
		tfhe::set_server_key(server_key.clone());
		let mut values: Vec<Value> = inputs.iter().cloned().map(Value::Int).collect();
		for op in &self.ops {
			let int = |i: u16| match &values[i as usize] {
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
					let Value::Bool(condition) = &values[condition as usize] else {
						unreachable!("type-checked by Program::check")
					};
					Value::Int(condition.select(int(then), int(otherwise)))
				},
			};
			values.push(value);
		}
		Ok(self.outputs.iter().map(|&o| values[o as usize].clone()).collect())
	}
}

/// An individual's keys for programs: the client key (secret) and the compressed server key
/// (public evaluation material, stored in IPFS).
pub fn generate_keys() -> (ClientKey, CompressedServerKey) {
	let client_key = ClientKey::generate(ConfigBuilder::default().build());
	let server_key = CompressedServerKey::new(&client_key);
	(client_key, server_key)
}

impl Value {
	/// Canonical bytes of the value (tfhe's versioned safe serialization).
	pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
		let mut out = Vec::new();
		let result = match self {
			Value::Int(v) => safe_serialize(v, &mut out, VALUE_SIZE_LIMIT),
			Value::Bool(v) => safe_serialize(v, &mut out, VALUE_SIZE_LIMIT),
		};
		result.map_err(|e| Error::Invalid { what: "encrypted value", detail: e.to_string() })?;
		Ok(out)
	}

	/// Decodes an integer value of at most [`VALUE_SIZE_LIMIT`] bytes.
	pub fn int_from_bytes(bytes: &[u8]) -> Result<FheInt16, Error> {
		safe_deserialize(bytes, VALUE_SIZE_LIMIT).map_err(|e| Error::Invalid { what: "encrypted integer", detail: e.to_string() })
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

	fn sample() -> Program {
		// v2 = x + y; v3 = 7·v2; v4 = x·y; v5 = v3 > v4; v6 = v5 ? v3 : v4
		Program {
			inputs: 2,
			ops: vec![
				Op::Add { a: 0, b: 1 },
				Op::MulScalar { a: 2, value: 7 },
				Op::Mul { a: 0, b: 1 },
				Op::Gt { a: 3, b: 4 },
				Op::Select { condition: 5, then: 3, otherwise: 4 },
			],
			outputs: vec![6, 5],
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
	}

	#[test]
	fn programs_round_trip_through_json() {
		let json = serde_json::to_string(&sample()).unwrap();
		assert!(json.contains(r#"{"op":"mul_scalar","a":2,"value":7}"#));
		assert_eq!(serde_json::from_str::<Program>(&json).unwrap(), sample());
	}

	#[test]
	fn ill_typed_programs_are_rejected_before_evaluation() {
		let undefined = Program { inputs: 1, ops: vec![Op::Add { a: 0, b: 1 }], outputs: vec![1] };
		assert!(matches!(undefined.check(), Err(Error::Invalid { what: "program", .. })));
		let select_on_int = Program { inputs: 2, ops: vec![Op::Select { condition: 0, then: 0, otherwise: 1 }], outputs: vec![2] };
		assert!(select_on_int.check().is_err());
		let add_bool = Program { inputs: 2, ops: vec![Op::Lt { a: 0, b: 1 }, Op::Add { a: 2, b: 0 }], outputs: vec![3] };
		assert!(add_bool.check().is_err());
		let no_output = Program { inputs: 1, ops: vec![], outputs: vec![] };
		assert!(no_output.check().is_err());
		let bad_output = Program { inputs: 1, ops: vec![], outputs: vec![1] };
		assert!(bad_output.check().is_err());
		assert_eq!(sample().check().unwrap().len(), 7);
	}

	#[test]
	fn malformed_value_bytes_are_errors() {
		assert!(Value::int_from_bytes(b"not a ciphertext").is_err());
		assert!(Value::int_from_bytes(&[]).is_err());
	}
}
