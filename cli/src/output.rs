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

/// The bytes of a `Vec<u8>`-like value (also inside newtypes such as `BoundedVec`).
fn bytes(value: &Value) -> Vec<u8> {
	match items(value).as_slice() {
		[inner] if matches!(inner.value, ValueDef::Composite(_)) => bytes(inner),
		items => items.iter().filter_map(|v| v.as_u128()).map(|b| b as u8).collect(),
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
		assert_eq!(int_json(-5), json!(-5));
		assert_eq!(int_json(1 << 60), json!((1i128 << 60).to_string()));
	}
}
