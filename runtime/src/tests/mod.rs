//! Tests of the genesis presets: each builds a valid state with the expected authorities.

mod governance;
mod node_authorization;
mod validators;

use crate::{
	genesis_config_presets::{get_preset, preset_names, DEV_VALIDATOR, LOCAL_TESTNET_VALIDATORS},
	Aura, Balances, BuildStorage, Grandpa, Runtime, RuntimeGenesisConfig,
};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;

/// Applies a preset's JSON patch to the default genesis config, as the chain-spec builder does.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// The externalities of a chain started from the named preset.
pub(crate) fn genesis_state(preset: &str) -> sp_io::TestExternalities {
	let patch = get_preset(&preset.into()).expect("preset exists");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, serde_json::from_slice(&patch).expect("preset is JSON"));
	let config: RuntimeGenesisConfig =
		serde_json::from_value(config).expect("preset patch fits the genesis config");
	config.build_storage().expect("genesis builds").into()
}

fn expected_aura(validators: &[(Sr25519Keyring, sp_keyring::Ed25519Keyring)]) -> Vec<AuraId> {
	validators.iter().map(|(aura, _)| aura.public().into()).collect()
}

fn expected_grandpa(
	validators: &[(Sr25519Keyring, sp_keyring::Ed25519Keyring)],
) -> Vec<(GrandpaId, u64)> {
	validators.iter().map(|(_, grandpa)| (grandpa.public().into(), 1)).collect()
}

#[test]
fn development_preset_has_alice_as_sole_authority_and_sudo() {
	genesis_state(DEV_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(
			pallet_aura::Authorities::<Runtime>::get().into_inner(),
			expected_aura(&[DEV_VALIDATOR])
		);
		assert_eq!(Grandpa::grandpa_authorities(), expected_grandpa(&[DEV_VALIDATOR]));
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(Sr25519Keyring::Alice.to_account_id()));
		assert!(Balances::free_balance(Sr25519Keyring::Bob.to_account_id()) > 0);
		assert_eq!(Aura::slot_duration(), crate::SLOT_DURATION);
	});
}

#[test]
fn local_testnet_preset_has_four_authorities_in_order() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let aura = pallet_aura::Authorities::<Runtime>::get().into_inner();
		assert_eq!(aura.len(), 4);
		assert_eq!(aura, expected_aura(&LOCAL_TESTNET_VALIDATORS));
		assert_eq!(Grandpa::grandpa_authorities(), expected_grandpa(&LOCAL_TESTNET_VALIDATORS));
	});
}

#[test]
fn development_accounts_are_endowed_in_both_presets() {
	for preset in [DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET] {
		genesis_state(preset).execute_with(|| {
			for who in [Sr25519Keyring::Alice, Sr25519Keyring::Ferdie, Sr25519Keyring::DaveStash] {
				assert!(
					Balances::free_balance(who.to_account_id()) >= crate::UNIT,
					"{preset}: {who:?}"
				);
			}
		});
	}
}

#[test]
fn preset_names_lists_exactly_the_two_presets() {
	let names: Vec<String> = preset_names()
		.into_iter()
		.map(|id| {
			let name: &str = id.as_ref();
			name.to_string()
		})
		.collect();
	assert_eq!(
		names,
		vec![DEV_RUNTIME_PRESET.to_string(), LOCAL_TESTNET_RUNTIME_PRESET.to_string()]
	);
}

#[test]
fn both_presets_set_the_development_consortium_key() {
	for preset in [DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET] {
		genesis_state(preset).execute_with(|| {
			assert_eq!(
				pallet_consortium::ConsortiumKey::<Runtime>::get(),
				Some(crate::genesis_config_presets::DEV_CONSORTIUM_KEY),
				"{preset}"
			);
		});
	}
}

#[test]
fn unknown_preset_is_none() {
	assert!(get_preset(&"staging".into()).is_none());
}

#[test]
fn an_fhe_result_needs_one_evaluator_on_dev_and_three_of_four_on_the_local_testnet() {
	genesis_state(DEV_RUNTIME_PRESET).execute_with(|| assert_eq!(crate::Fhe::result_quorum(), 1));
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET)
		.execute_with(|| assert_eq!(crate::Fhe::result_quorum(), 3));
}

#[test]
fn a_new_chain_starts_pallet_fhe_at_its_current_storage_version_so_its_migration_is_a_no_op() {
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade};
	for preset in [DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET] {
		genesis_state(preset).execute_with(|| {
			assert_eq!(
				crate::Fhe::on_chain_storage_version(),
				crate::Fhe::in_code_storage_version()
			);
			let before = pallet_fhe::OpenJobs::<Runtime>::get();
			crate::Migrations::on_runtime_upgrade();
			assert_eq!(pallet_fhe::OpenJobs::<Runtime>::get(), before);
			assert_eq!(crate::Fhe::on_chain_storage_version(), 1);
		});
	}
}
