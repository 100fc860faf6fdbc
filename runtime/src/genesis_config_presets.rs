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
//! Both name their validators' nodes as the well-known nodes of `pallet-node-authorization` (the
//! only peers a node accepts), with the fixed development node keys `scripts/local-net.sh` and
//! `scripts/run.sh` pass (`--node-key`): node key `i` belongs to validator `i` (Alice is 1), and
//! on `development` node key 2 to Bob's second node.
//!
//! Both endow the well-known development accounts. On `development` Alice holds sudo, which
//! governs membership. `local_testnet` has no sudo key: its validators are the consortium's
//! founding members (data stewards and evaluators), and more than half of them must vote for every membership
//! change (the council); an FHE prediction is final when three of the four evaluators agree
//! (`development` keeps the runtime's quorum of one evaluator). These keys are public: never use either preset for a chain that holds
//! real health data.

use crate::{
	AccountId, BalancesConfig, ConsortiumConfig, FheConfig, NodeAuthorizationConfig,
	RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig, ValidatorsConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use custodia_primitives::consortium::{MemberKind, X25519PublicKey};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::OpaquePeerId;
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

/// The ed25519 public keys of the development node keys 1 to 4 (`--node-key` 0x…01 to 0x…04,
/// the 32-byte secrets `i` big-endian): the nodes of Alice, Bob, Charlie and Dave. Their
/// secrets are public knowledge; test chains only.
pub const DEV_NODE_PUBLIC_KEYS: [[u8; 32]; 4] = [
	[
		0x4c, 0xb5, 0xab, 0xf6, 0xad, 0x79, 0xfb, 0xf5, 0xab, 0xbc, 0xca, 0xfc, 0xc2, 0x69, 0xd8,
		0x5c, 0xd2, 0x65, 0x1e, 0xd4, 0xb8, 0x85, 0xb5, 0x86, 0x9f, 0x24, 0x1a, 0xed, 0xf0, 0xa5,
		0xba, 0x29,
	],
	[
		0x74, 0x22, 0xb9, 0x88, 0x75, 0x98, 0x06, 0x8e, 0x32, 0xc4, 0x44, 0x8a, 0x94, 0x9a, 0xdb,
		0x29, 0x0d, 0x0f, 0x4e, 0x35, 0xb9, 0xe0, 0x1b, 0x0e, 0xe5, 0xf1, 0xa1, 0xe6, 0x00, 0xfe,
		0x26, 0x74,
	],
	[
		0xf3, 0x81, 0x62, 0x6e, 0x41, 0xe7, 0x02, 0x7e, 0xa4, 0x31, 0xbf, 0xe3, 0x00, 0x9e, 0x94,
		0xbd, 0xd2, 0x5a, 0x74, 0x6b, 0xee, 0xc4, 0x68, 0x94, 0x8d, 0x6c, 0x3c, 0x7c, 0x5d, 0xc9,
		0xa5, 0x4b,
	],
	[
		0xfd, 0x50, 0xb8, 0xe3, 0xb1, 0x44, 0xea, 0x24, 0x4f, 0xbf, 0x77, 0x37, 0xf5, 0x50, 0xbc,
		0x8d, 0xd0, 0xc2, 0x65, 0x0b, 0xbc, 0x1a, 0xad, 0xa8, 0x33, 0xca, 0x17, 0xff, 0x8d, 0xbf,
		0x32, 0x9b,
	],
];

/// The libp2p peer id of a node with ed25519 key `public`: the key's protobuf encoding inlined
/// in an identity multihash, the bytes behind the `12D3KooW…` string a node logs.
pub fn ed25519_peer_id(public: &[u8; 32]) -> OpaquePeerId {
	// Identity multihash (0x00) of 36 bytes: protobuf key type Ed25519 (0x08 0x01), data (0x12)
	// of 32 bytes (0x20).
	let mut bytes = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
	bytes.extend_from_slice(public);
	OpaquePeerId(bytes)
}

/// The well-known nodes of a development chain: node key `i + 1` owned by `owners[i]`.
fn dev_well_known_nodes(owners: &[Sr25519Keyring]) -> Vec<(OpaquePeerId, AccountId)> {
	owners
		.iter()
		.zip(DEV_NODE_PUBLIC_KEYS.iter())
		.map(|(owner, public)| (ed25519_peer_id(public), owner.to_account_id()))
		.collect()
}

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
	well_known_nodes: Vec<(OpaquePeerId, AccountId)>,
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
		node_authorization: NodeAuthorizationConfig { nodes: well_known_nodes },
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
		// Alice's validator and the second node `scripts/run.sh` starts (Bob's aggregator).
		dev_well_known_nodes(&[Sr25519Keyring::Alice, Sr25519Keyring::Bob]),
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
		dev_well_known_nodes(&LOCAL_TESTNET_VALIDATORS.map(|(aura, _)| aura)),
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

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::Pair;

	/// The constants are the public halves of the node keys the scripts pass (`--node-key`
	/// `printf '%064x' i`). That their peer ids are the ones the nodes use shows end to end:
	/// the local net's nodes connect only if they are (tests/validators.test.mjs).
	#[test]
	fn dev_node_keys_match_the_scripts_node_keys() {
		for (i, public) in DEV_NODE_PUBLIC_KEYS.iter().enumerate() {
			let mut secret = [0u8; 32];
			secret[31] = i as u8 + 1;
			assert_eq!(&sp_core::ed25519::Pair::from_seed(&secret).public().0, public);
		}
		let alice = ed25519_peer_id(&DEV_NODE_PUBLIC_KEYS[0]);
		assert_eq!(alice.0.len(), 38);
		assert_eq!(
			alice.0[..6],
			[0x00, 0x24, 0x08, 0x01, 0x12, 0x20],
			"an identity multihash of an ed25519 protobuf key"
		);
	}
}
