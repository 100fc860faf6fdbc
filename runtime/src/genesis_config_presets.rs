//! Genesis presets: the initial state of the development and local test chains.
//!
//! - `development`: one validator (Alice), used by `custodia-node --dev`.
//! - `local_testnet`: four validators (Alice, Bob, Charlie, Dave). GRANDPA needs more than
//!   two thirds of the voters online, so four is the smallest set that tolerates one down.
//!
//! The validators are set through `pallet-validators` and their session keys through
//! `pallet-session`, which hands them to Aura and GRANDPA; the council (sudo on `development`)
//! changes the set later (`validators.add_validator`).
//!
//! Both endow the well-known development accounts. On `development` Alice holds sudo, which
//! governs membership. `local_testnet` has no sudo key: its validators are the consortium's
//! founding members (data stewards and evaluators), and more than half of them must vote for every membership
//! change (the council); an FHE prediction is final when three of the four evaluators agree
//! (`development` keeps the runtime's quorum of one evaluator). These keys are public: never use either preset for a chain that holds
//! real health data.

use crate::{
	AccountId, BalancesConfig, ConsortiumConfig, FheConfig, RuntimeGenesisConfig, SessionConfig,
	SessionKeys, SudoConfig, ValidatorsConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use custodia_primitives::consortium::{MemberKind, X25519PublicKey};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// The development chains' consortium X25519 key: the curve's base point, i.e. the public key of
/// the secret scalar 1 — public knowledge, for test chains only.
pub const DEV_CONSORTIUM_KEY: [u8; 32] = {
	let mut key = [0u8; 32];
	key[0] = 9;
	key
};

/// Balance given to every development account: enough fees for any test.
const ENDOWMENT: u128 = 1_000_000 * UNIT;

/// A development validator: its Aura (sr25519) and GRANDPA (ed25519) keyring entries.
type DevValidator = (Sr25519Keyring, Ed25519Keyring);

/// The validator of `--dev`.
pub const DEV_VALIDATOR: DevValidator = (Sr25519Keyring::Alice, Ed25519Keyring::Alice);

/// The validators of the local test net, in authority order.
pub const LOCAL_TESTNET_VALIDATORS: [DevValidator; 4] = [
	(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
	(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
	(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
	(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
];

/// A genesis validator: its account and its session keys.
fn authority_keys((aura, grandpa): DevValidator) -> (AccountId, AuraId, GrandpaId) {
	(aura.to_account_id(), aura.public().into(), grandpa.public().into())
}

/// A founding member of a test consortium: a validator whose node, as an evaluator, computes FHE
/// predictions (and may be named a statistics aggregator) and, as a data steward, pins records.
///
/// Its envelope key is a placeholder (the account's public key bytes, whose X25519 secret nobody
/// holds), and so is its IPFS address (the loopback swarm address every validator of the local
/// net shares); a real member rotates both with `set_member_keys` before anyone relies on them.
fn founding_member(
	validator: Sr25519Keyring,
) -> (AccountId, Vec<MemberKind>, Vec<u8>, X25519PublicKey, Option<Vec<u8>>) {
	let name = alloc::format!("{validator:?} (validator)").into_bytes();
	let kinds = vec![MemberKind::DataSteward, MemberKind::Evaluator];
	(
		validator.to_account_id(),
		kinds,
		name,
		validator.public().0,
		Some(b"/ip4/127.0.0.1/tcp/4001".to_vec()),
	)
}

fn genesis(
	authorities: Vec<(AccountId, AuraId, GrandpaId)>,
	endowed: Vec<AccountId>,
	root: Option<AccountId>,
	founding_members: Vec<Sr25519Keyring>,
	result_quorum: Option<u32>,
) -> Value {
	let validators: Vec<AccountId> =
		authorities.iter().map(|(account, _, _)| account.clone()).collect();
	let session_keys: Vec<(AccountId, AccountId, SessionKeys)> = authorities
		.into_iter()
		.map(|(account, aura, grandpa)| (account.clone(), account, SessionKeys { aura, grandpa }))
		.collect();
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|account| (account, ENDOWMENT)).collect::<Vec<_>>(),
		},
		// Aura's and GRANDPA's authorities stay empty here: the session pallet gives them the
		// validators' keys at genesis and at every session after.
		validators: ValidatorsConfig { validators },
		session: SessionConfig { keys: session_keys },
		sudo: SudoConfig { key: root },
		consortium: ConsortiumConfig {
			members: founding_members.into_iter().map(founding_member).collect::<Vec<_>>(),
			consortium_key: Some(DEV_CONSORTIUM_KEY),
		},
		fhe: FheConfig { result_quorum },
	})
}

/// All well-known development accounts (Alice … Ferdie and their stashes).
fn development_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter()
		.filter(|k| *k != Sr25519Keyring::One && *k != Sr25519Keyring::Two)
		.map(|k| k.to_account_id())
		.collect()
}

/// Genesis of `--dev`: Alice alone produces and finalizes blocks, and governs by sudo.
pub fn development_genesis() -> Value {
	genesis(
		vec![authority_keys(DEV_VALIDATOR)],
		development_accounts(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		Vec::new(),
		None,
	)
}

/// Genesis of the 4-validator local test net.
pub fn local_testnet_genesis() -> Value {
	genesis(
		LOCAL_TESTNET_VALIDATORS.into_iter().map(authority_keys).collect(),
		development_accounts(),
		None,
		LOCAL_TESTNET_VALIDATORS.into_iter().map(|(aura, _)| aura).collect(),
		// A majority of the four founding evaluators: one faulty or offline evaluator can
		// neither decide a result alone nor stall one.
		Some(3),
	)
}

/// The JSON patch of a named preset, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEV_RUNTIME_PRESET => development_genesis(),
		LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		_ => return None,
	};
	Some(serde_json::to_vec(&patch).expect("a JSON value always serializes; qed"))
}

/// Names of the presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEV_RUNTIME_PRESET), PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)]
}
