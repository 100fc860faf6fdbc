//! Chain values as people and machines read them: JSON for `--json`, text otherwise.

use std::io::Write;

use serde_json::{json, Map, Value as Json};
use subxt::{
	dynamic::Value,
	ext::scale_value::{Composite, Primitive, ValueDef},
};

/// The items of a composite (a list or a struct's fields), in order.
pub fn items(value: &Value) -> Vec<&Value> {
	match &value.value {
		ValueDef::Composite(Composite::Unnamed(items)) => items.iter().collect(),
		ValueDef::Composite(Composite::Named(fields)) => fields.iter().map(|(_, v)| v).collect(),
		_ => Vec::new(),
	}
}

/// The integers of a list (also inside newtypes such as `BoundedVec`), e.g. a list of ids.
pub fn numbers(value: &Value) -> Vec<u64> {
	match items(value).as_slice() {
		[inner] if matches!(inner.value, ValueDef::Composite(_)) => numbers(inner),
		items => items.iter().filter_map(|v| v.as_u128()).map(|n| n as u64).collect(),
	}
}

/// The bytes of a `Vec<u8>`-like value (also inside newtypes such as `BoundedVec`).
pub fn bytes(value: &Value) -> Vec<u8> {
	match items(value).as_slice() {
		[inner] if matches!(inner.value, ValueDef::Composite(_)) => bytes(inner),
		items => items.iter().filter_map(|v| v.as_u128()).map(|b| b as u8).collect(),
	}
}

/// The text of a `Vec<u8>` holding UTF-8.
pub fn text(value: Option<&Value>) -> String {
	value
		.map(|v| String::from_utf8_lossy(&bytes(v)).into_owned())
		.unwrap_or_default()
}

/// The inner value of `Some(_)`, or `None`.
pub fn some(value: &Value) -> Option<&Value> {
	match &value.value {
		ValueDef::Variant(v) if v.name == "Some" => v.values.values().next(),
		_ => None,
	}
}

/// An unsigned integer, also inside newtypes (e.g. `EpsilonMillis(u32)`).
pub fn uint(value: &Value) -> Option<u128> {
	match items(value).as_slice() {
		[inner] => uint(inner),
		_ => value.as_u128(),
	}
}

/// A signed integer (an `i128` value, or an unsigned one that fits), also inside newtypes.
pub fn int(value: &Value) -> Option<i128> {
	match items(value).as_slice() {
		[inner] => int(inner),
		_ => value.as_i128().or_else(|| value.as_u128().and_then(|n| i128::try_from(n).ok())),
	}
}

/// An enum value's variant name and its fields, in order.
pub fn variant(value: &Value) -> Option<(&str, Vec<&Value>)> {
	match &value.value {
		ValueDef::Variant(v) => Some((
			v.name.as_str(),
			match &v.values {
				Composite::Named(fields) => fields.iter().map(|(_, v)| v).collect(),
				Composite::Unnamed(items) => items.iter().collect(),
			},
		)),
		_ => None,
	}
}

/// An account (32 bytes, also inside a newtype) as its SS58 address, else as hex.
pub fn account(value: &Value) -> String {
	let bytes = bytes(value);
	match <[u8; 32]>::try_from(bytes.as_slice()) {
		Ok(id) => subxt::utils::AccountId32(id).to_string(),
		Err(_) => format!("0x{}", hex::encode(bytes)),
	}
}

/// An integer as JSON: a number when it fits in 53 bits, else its decimal string.
pub fn int_json(n: i128) -> Json {
	if n.unsigned_abs() < (1 << 53) {
		json!(n as i64)
	} else {
		json!(n.to_string())
	}
}

/// JSON for a chain value: structs as objects, options as their content or null, unit enum
/// variants as their name, other variants as `{ name: fields }`, 32-byte arrays (accounts, hashes) as hex, byte strings that are UTF-8
/// as text, integers beyond 2^53 as strings.
pub fn to_json(value: &Value) -> Json {
	match &value.value {
		ValueDef::Composite(Composite::Named(fields)) => {
			Json::Object(fields.iter().map(|(k, v)| (k.clone(), to_json(v))).collect::<Map<_, _>>())
		},
		ValueDef::Composite(Composite::Unnamed(items)) => {
			let all_bytes =
				!items.is_empty() && items.iter().all(|v| v.as_u128().is_some_and(|n| n <= 255));
			if all_bytes && items.len() == 32 {
				return json!(format!("0x{}", hex::encode(bytes(value))));
			}
			if all_bytes {
				if let Ok(text) = String::from_utf8(bytes(value)) {
					if text.chars().all(|c| !c.is_control()) {
						return json!(text);
					}
				}
			}
			// A newtype (e.g. an account id wrapping its bytes) shows as its content.
			if items.len() == 1 && matches!(items[0].value, ValueDef::Composite(_)) {
				return to_json(&items[0]);
			}
			Json::Array(items.iter().map(to_json).collect())
		},
		// Options read as their content, or null.
		ValueDef::Variant(v) if v.name == "None" && v.values.is_empty() => Json::Null,
		ValueDef::Variant(v) if v.name == "Some" && v.values.len() == 1 => {
			to_json(v.values.values().next().expect("one value"))
		},
		ValueDef::Variant(v) => match &v.values {
			c if c.is_empty() => json!(v.name),
			Composite::Unnamed(items) if items.len() == 1 => {
				json!({ v.name.clone(): to_json(&items[0]) })
			},
			_ => {
				json!({ v.name.clone(): to_json(&Value { value: ValueDef::Composite(v.values.clone()), context: () }) })
			},
		},
		ValueDef::Primitive(p) => match p {
			Primitive::Bool(b) => json!(b),
			Primitive::Char(c) => json!(c.to_string()),
			Primitive::String(s) => json!(s),
			Primitive::U128(n) if *n < (1 << 53) => json!(*n as u64),
			Primitive::I128(n) if n.unsigned_abs() < (1 << 53) => json!(*n as i64),
			Primitive::U128(n) => json!(n.to_string()),
			Primitive::I128(n) => json!(n.to_string()),
			other => json!(format!("{other:?}")),
		},
		ValueDef::BitSequence(bits) => json!(format!("{bits:?}")),
	}
}

/// Where a command writes, like cargo's `Shell`: its **data** (the result: JSON with `--json`,
/// else lines for people) to one writer, its **status** (what it is waiting for, warnings) to
/// another. The binary uses stdout and stderr, so that `custodia … --json | jq` sees only data;
/// tests use buffers ([`Output::captured`]).
pub struct Output {
	json: bool,
	data: Box<dyn Write + Send>,
	status: Box<dyn Write + Send>,
}

impl Output {
	/// Data to stdout, status to stderr.
	pub fn stdio(json: bool) -> Self {
		Self { json, data: Box::new(std::io::stdout()), status: Box::new(std::io::stderr()) }
	}

	/// Whether data is written as JSON (`--json`).
	pub fn json(&self) -> bool {
		self.json
	}

	/// Writes `data` as JSON with `--json`, else the human `lines`. A reader that went away
	/// (`custodia … | head`) ends the output quietly.
	pub fn emit(&mut self, data: Json, lines: impl FnOnce() -> Vec<String>) {
		let text = if self.json {
			serde_json::to_string_pretty(&data).expect("JSON values serialize") + "\n"
		} else {
			lines().into_iter().map(|line| line + "\n").collect()
		};
		let _ = self.data.write_all(text.as_bytes()).and_then(|()| self.data.flush());
	}

	/// Writes raw data (e.g. a record's FHIR Bundle) as it is.
	pub fn emit_bytes(&mut self, bytes: &[u8]) {
		let _ = self.data.write_all(bytes).and_then(|()| self.data.flush());
	}

	/// Writes one status line (progress or a warning), never mixed into the data.
	pub fn status(&mut self, line: impl std::fmt::Display) {
		let _ = writeln!(self.status, "{line}");
	}

	/// An output into two buffers, returned with it: (data, status).
	#[cfg(test)]
	pub fn captured(json: bool) -> (Self, Captured, Captured) {
		let (data, status) = (Captured::default(), Captured::default());
		(
			Self { json, data: Box::new(data.clone()), status: Box::new(status.clone()) },
			data,
			status,
		)
	}
}

/// A buffer shared with an [`Output`] in tests.
#[cfg(test)]
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl Captured {
	/// What was written, as text.
	pub fn text(&self) -> String {
		String::from_utf8(self.0.lock().unwrap().clone()).expect("UTF-8 output")
	}
}

#[cfg(test)]
impl Write for Captured {
	fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
		self.0.lock().unwrap().extend_from_slice(bytes);
		Ok(bytes.len())
	}

	fn flush(&mut self) -> std::io::Result<()> {
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn data_and_status_go_to_their_own_writers() {
		let (mut out, data, status) = Output::captured(false);
		out.status("waiting for the evaluators…");
		out.emit(json!({ "job": 3 }), || vec!["job 3 done".into(), "score 0.7".into()]);
		assert_eq!(data.text(), "job 3 done\nscore 0.7\n");
		assert_eq!(status.text(), "waiting for the evaluators…\n");

		let (mut out, data, status) = Output::captured(true);
		out.emit(json!({ "job": 3 }), || unreachable!("no text lines with --json"));
		assert_eq!(serde_json::from_str::<Json>(&data.text()).unwrap(), json!({ "job": 3 }));
		assert_eq!(status.text(), "");
	}

	#[test]
	fn chain_values_become_readable_json() {
		let value = Value::named_composite([
			("id", Value::u128(7)),
			("who", Value::unnamed_composite([Value::from_bytes([1u8; 32])])),
			("name", Value::from_bytes(b"General Hospital")),
			("purpose", Value::unnamed_variant("TREAT", [])),
			(
				"status",
				Value::unnamed_variant(
					"Denied",
					[Value::named_composite([("at", Value::u128(12))])],
				),
			),
			("big", Value::u128(u128::MAX)),
			(
				"unpinned",
				Value::unnamed_variant("Some", [Value::named_composite([("at", Value::u128(9))])]),
			),
			("attested", Value::unnamed_variant("None", [])),
		]);
		assert_eq!(
			to_json(&value),
			json!({
				"id": 7,
				"who": format!("0x{}", "01".repeat(32)),
				"name": "General Hospital",
				"purpose": "TREAT",
				"status": { "Denied": { "at": 12 } },
				"big": u128::MAX.to_string(),
				"unpinned": { "at": 9 },
				"attested": null,
			})
		);
		assert_eq!(
			some(&Value::unnamed_variant("Some", [Value::u128(3)])).and_then(|v| v.as_u128()),
			Some(3)
		);
		assert!(some(&Value::unnamed_variant("None", [])).is_none());
		let ids =
			Value::unnamed_composite([Value::unnamed_composite([Value::u128(3), Value::u128(5)])]);
		assert_eq!(numbers(&ids), vec![3, 5]);
		let bounded = Value::unnamed_composite([Value::from_bytes(b"bafy")]);
		assert_eq!(text(Some(&bounded)), "bafy");
		assert_eq!(uint(&Value::unnamed_composite([Value::u128(500)])), Some(500));
		assert_eq!(int(&Value::i128(-3)), Some(-3));
		assert_eq!(int(&Value::u128(3)), Some(3));
		let rejected = Value::named_variant(
			"Rejected",
			[("reason", Value::unnamed_variant("InvalidProof", [])), ("at", Value::u128(9))],
		);
		let (name, fields) = variant(&rejected).unwrap();
		assert_eq!((name, fields.len(), fields[1].as_u128()), ("Rejected", 2, Some(9)));
		assert_eq!(
			account(&Value::unnamed_composite([Value::from_bytes([0u8; 32])])),
			"5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM"
		);
		assert_eq!(int_json(-5), json!(-5));
		assert_eq!(int_json(1 << 60), json!((1i128 << 60).to_string()));
	}
}
