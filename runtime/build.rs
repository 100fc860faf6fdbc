//! Builds the wasm blob of the runtime (embedded in the native crate as `WASM_BINARY`).

#[cfg(feature = "std")]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// Nothing to do when this crate is itself compiled to wasm by the builder above.
#[cfg(not(feature = "std"))]
fn main() {}
