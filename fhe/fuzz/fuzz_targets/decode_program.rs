//! Program and encrypted-value decoders: any bytes give a value or a typed error, never a panic.
#![no_main]
use custodia_fhe::program::{Program, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	if let Ok(program) = serde_json::from_slice::<Program>(data) {
		let _ = program.check();
	}
	let _ = Value::int_from_bytes(data);
});
