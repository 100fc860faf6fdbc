//! The chains built into the node: `dev` (one validator) and `local` (four validators).
//!
//! Both take their genesis state from the runtime's presets, so the node and the runtime
//! cannot disagree on it; `scripts/export-chain-specs.sh` writes them to `chain-spec/`.

use custodia_runtime::WASM_BINARY;
use sc_service::ChainType;
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};

/// Chain specification of a Custodia chain (no client extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// What polkadot.js shows for balances and addresses.
fn properties() -> sc_service::Properties {
	let mut properties = sc_service::Properties::new();
	properties.insert("tokenSymbol".into(), "CUST".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	let wasm = WASM_BINARY.ok_or_else(|| {
		"The runtime's wasm blob is missing: build the node without SKIP_WASM_BUILD".to_string()
	})?;
	Ok(ChainSpec::builder(wasm, None)
		.with_name(name)
		.with_id(id)
		.with_protocol_id("custodia")
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `--dev`/`--chain dev`: Alice alone authors and finalizes.
pub fn development() -> Result<ChainSpec, String> {
	from_preset("Custodia Development", "custodia_dev", ChainType::Development, DEV_RUNTIME_PRESET)
}

/// `--chain local`: Alice, Bob, Charlie and Dave author and finalize.
pub fn local_testnet() -> Result<ChainSpec, String> {
	from_preset(
		"Custodia Local Testnet",
		"custodia_local",
		ChainType::Local,
		LOCAL_TESTNET_RUNTIME_PRESET,
	)
}
