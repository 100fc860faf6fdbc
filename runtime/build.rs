//! Builds the wasm blob of the runtime (embedded in the native crate as `WASM_BINARY`).

/// With `metadata-hash`, the builder also computes the RFC-0078 digest of the runtime's metadata
/// and compiles it into the runtime, where `CheckMetadataHash` reads it. The symbol and decimals
/// are part of that digest, so they must equal the chain spec's `tokenSymbol` and
/// `tokenDecimals` (node/src/chain_spec.rs) that wallets show.
#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_metadata_hash("CUST", 12)
		.build();
}

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// Nothing to do when this crate is itself compiled to wasm by the builder above.
#[cfg(not(feature = "std"))]
fn main() {}
