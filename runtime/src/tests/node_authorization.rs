//! Permissioned peers (issue 16): the genesis presets name the development nodes, and only the
//! council majority (sudo on `--dev`) names or removes a node.

use super::{
	genesis_state,
	governance::{account, council_motion, executed},
};
use crate::{
	genesis_config_presets::{ed25519_peer_id, DEV_NODE_PUBLIC_KEYS},
	NodeAuthorization, Runtime, RuntimeCall, RuntimeOrigin, System,
};
use frame_support::{assert_noop, assert_ok};
use sp_core::OpaquePeerId;
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve};
use sp_runtime::DispatchError;

/// A node key nobody uses: the peer id of the ed25519 public key 0x05…05.
fn eves_node() -> OpaquePeerId {
	ed25519_peer_id(&[5; 32])
}

fn add_node(node: OpaquePeerId, owner: Sr25519Keyring) -> RuntimeCall {
	RuntimeCall::NodeAuthorization(pallet_node_authorization::Call::add_well_known_node {
		node,
		owner: account(owner).into(),
	})
}

fn well_known(node: &OpaquePeerId) -> bool {
	pallet_node_authorization::WellKnownNodes::<Runtime>::get().contains(node)
}

#[test]
fn the_presets_name_each_development_node_and_its_owner() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(pallet_node_authorization::WellKnownNodes::<Runtime>::get().len(), 4);
		for (public, owner) in DEV_NODE_PUBLIC_KEYS.iter().zip([Alice, Bob, Charlie, Dave]) {
			let node = ed25519_peer_id(public);
			assert!(well_known(&node), "{owner:?}'s node");
			assert_eq!(
				pallet_node_authorization::Owners::<Runtime>::get(&node),
				Some(account(owner))
			);
		}
	});
	genesis_state(DEV_RUNTIME_PRESET).execute_with(|| {
		let nodes = pallet_node_authorization::WellKnownNodes::<Runtime>::get();
		let expected: Vec<_> = DEV_NODE_PUBLIC_KEYS[..2].iter().map(ed25519_peer_id).collect();
		assert_eq!(nodes.into_iter().collect::<Vec<_>>(), {
			let mut sorted = expected;
			sorted.sort();
			sorted
		});
	});
}

#[test]
fn a_single_member_or_half_the_council_cannot_name_a_node() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		assert_noop!(
			NodeAuthorization::add_well_known_node(
				RuntimeOrigin::signed(account(Alice)),
				eves_node(),
				account(Eve).into()
			),
			DispatchError::BadOrigin
		);
		let half = council_motion(Alice, 2, add_node(eves_node(), Eve), &[Alice, Bob]);
		assert_eq!(executed(half), Some(Err(DispatchError::BadOrigin)));
		assert!(!well_known(&eves_node()));
	});
}

#[test]
fn a_council_majority_names_and_removes_a_node() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let added = council_motion(Alice, 3, add_node(eves_node(), Eve), &[Alice, Bob, Charlie]);
		assert_eq!(executed(added), Some(Ok(())));
		assert!(well_known(&eves_node()));
		assert_eq!(
			pallet_node_authorization::Owners::<Runtime>::get(eves_node()),
			Some(account(Eve))
		);

		let remove = RuntimeCall::NodeAuthorization(
			pallet_node_authorization::Call::remove_well_known_node { node: eves_node() },
		);
		assert_eq!(executed(council_motion(Bob, 3, remove, &[Alice, Bob, Dave])), Some(Ok(())));
		assert!(!well_known(&eves_node()));
	});
	// Sudo governs the dev chain.
	genesis_state(DEV_RUNTIME_PRESET).execute_with(|| {
		assert_ok!(NodeAuthorization::add_well_known_node(
			RuntimeOrigin::root(),
			eves_node(),
			account(Eve).into()
		));
		assert!(well_known(&eves_node()));
	});
}
