//! The client's metadata file, `cli/metadata/custodia.scale`, must be what this runtime
//! describes now: the `custodia` client generates its typed calls, events, storage addresses and
//! enums (e.g. the data categories) from that file at compile time (subxt's static code
//! generation), so a stale file would let the client drift from the chain. Regenerate it with
//! `scripts/export-metadata.sh` after any change to the runtime's calls, events, storage or types.

/// The metadata version the client is generated from (V16, the newest subxt 0.50 reads).
const VERSION: u32 = 16;

/// The committed file, relative to this crate: in the checkout cargo runs the test from, not the
/// one the binary was compiled in (cargo's fingerprints ignore where the workspace is, so a test
/// binary built in one clone is reused by another).
fn committed() -> std::path::PathBuf {
	std::env::var_os("CARGO_MANIFEST_DIR")
		.map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), std::path::PathBuf::from)
		.join("../cli/metadata/custodia.scale")
}

/// The runtime's metadata as the node serves it (`Metadata_metadata_at_version`): SCALE-encoded
/// `RuntimeMetadataPrefixed`, the format `#[subxt::subxt(runtime_metadata_path)]` reads.
fn current() -> Vec<u8> {
	custodia_runtime::Runtime::metadata_at_version(VERSION)
		.unwrap_or_else(|| panic!("the runtime offers no V{VERSION} metadata"))
		.to_vec()
}

#[test]
fn client_metadata_is_up_to_date() {
	let current = current();
	let path = committed();
	// `scripts/export-metadata.sh` runs this test with the variable set to write the file.
	if std::env::var_os("CUSTODIA_EXPORT_METADATA").is_some() {
		std::fs::write(&path, &current).expect("cli/metadata/ is writable");
		return;
	}
	let committed = std::fs::read(&path).unwrap_or_else(|e| {
		panic!("{}: {e}; write it with scripts/export-metadata.sh", path.display())
	});
	// Not assert_eq!: the files are hundreds of kilobytes.
	assert!(
		committed == current,
		"cli/metadata/custodia.scale ({} bytes) is not the runtime's metadata ({} bytes): \
		 regenerate it with scripts/export-metadata.sh, then rebuild the client (cd cli && cargo build --locked)",
		committed.len(),
		current.len()
	);
}
