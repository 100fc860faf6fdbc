//! Program and encrypted-value decoders: any bytes give a value or a typed error, never a panic.
#![no_main]
use custodia_fhe::program::{self, Program, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	if let Ok(program) = serde_json::from_slice::<Program>(data) {
		let _ = program.check();
	}
	// What an evaluator runs on a program job's objects: the bounded JSON reader with its type
	// check, and the value-list decoder of the inputs.
	let _ = Program::from_json(data);
	let _ = program::decode_inputs(data);
	let _ = Value::int_from_bytes(data);
});
