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
