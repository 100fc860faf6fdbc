//! Who governs consortium membership: sudo on `--dev`; on the local test net, which has no sudo
//! key, more than half of the council — the active consortium members, kept in step by
//! pallet-consortium.

use super::genesis_state;
use crate::{
	AccountId, Consortium, Council, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, System,
};
use codec::Encode;
use custodia_primitives::consortium::MemberKind;
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo};
use sp_core::H256;
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve, Ferdie};
use sp_runtime::{traits::Hash, DispatchError};

pub(super) fn account(who: Sr25519Keyring) -> AccountId {
	who.to_account_id()
}

pub(super) fn admit_institution(who: Sr25519Keyring) -> RuntimeCall {
	RuntimeCall::Consortium(pallet_consortium::Call::admit_member {
		who: account(who),
		kinds: vec![MemberKind::Institution].try_into().unwrap(),
		name: b"St. Elsewhere Hospital".to_vec().try_into().unwrap(),
		hpke_key: [7; 32],
		ipfs_address: None,
	})
}

fn sorted(mut accounts: Vec<AccountId>) -> Vec<AccountId> {
	accounts.sort();
	accounts
}

/// Proposes `call` to the council as `proposer` with `threshold`, has each of `ayes` vote for
/// it (a proposer's own aye is not implied), then closes the motion. Returns the motion's hash.
pub(super) fn council_motion(
	proposer: Sr25519Keyring,
	threshold: u32,
	call: RuntimeCall,
	ayes: &[Sr25519Keyring],
) -> H256 {
	let length = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
	let index =
		pallet_collective::ProposalCount::<Runtime, crate::configs::CouncilCollective>::get();
	assert_ok!(Council::propose(
		RuntimeOrigin::signed(account(proposer)),
		threshold,
		Box::new(call),
		length
	));
	for voter in ayes {
		assert_ok!(Council::vote(RuntimeOrigin::signed(account(*voter)), hash, index, true));
	}
	assert_ok!(Council::close(
		RuntimeOrigin::signed(account(proposer)),
		hash,
		index,
		weight,
		length
	));
	hash
}

pub(super) fn executed(hash: H256) -> Option<Result<(), DispatchError>> {
	System::events().into_iter().find_map(|record| match record.event {
		RuntimeEvent::Council(pallet_collective::Event::Executed { proposal_hash, result })
			if proposal_hash == hash =>
		{
			Some(result)
		},
		_ => None,
	})
}

#[test]
fn local_testnet_has_no_sudo_and_its_validators_are_the_council_and_its_stewards() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		let validators =
			sorted(vec![account(Alice), account(Bob), account(Charlie), account(Dave)]);
		assert_eq!(
			pallet_collective::Members::<Runtime, crate::configs::CouncilCollective>::get(),
			validators
		);
		assert_eq!(sorted(Consortium::active_members_of_kind(MemberKind::Evaluator)), validators);
		// Each validator's node also pins records (the story on the local net relies on it).
		assert_eq!(sorted(Consortium::active_members_of_kind(MemberKind::DataSteward)), validators);
	});
}

#[test]
fn a_council_majority_admits_a_member_who_then_joins_the_council() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let hash = council_motion(Alice, 3, admit_institution(Eve), &[Alice, Bob, Charlie]);

		assert_eq!(executed(hash), Some(Ok(())));
		let member = Consortium::member(&account(Eve)).expect("Eve was admitted");
		assert!(member.is_active(MemberKind::Institution));
		assert!(pallet_collective::Members::<Runtime, crate::configs::CouncilCollective>::get()
			.contains(&account(Eve)));
	});
}

#[test]
fn half_of_the_council_is_not_enough() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		// Two of four: the motion passes its own threshold, but the call needs more than half.
		let hash = council_motion(Alice, 2, admit_institution(Eve), &[Alice, Bob]);

		assert_eq!(executed(hash), Some(Err(DispatchError::BadOrigin)));
		assert!(Consortium::member(&account(Eve)).is_none());
	});
}

#[test]
fn on_the_local_testnet_no_single_account_governs() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		assert_noop!(
			crate::Sudo::sudo(
				RuntimeOrigin::signed(account(Alice)),
				Box::new(admit_institution(Eve))
			),
			pallet_sudo::Error::<Runtime>::RequireSudo
		);
		assert_noop!(
			Consortium::admit_member(
				RuntimeOrigin::signed(account(Alice)),
				account(Eve),
				vec![MemberKind::Institution].try_into().unwrap(),
				b"Clinic".to_vec().try_into().unwrap(),
				[7; 32],
				None
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn on_dev_sudo_admits_members_and_the_council_follows() {
	genesis_state(DEV_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		assert_ok!(crate::Sudo::sudo(
			RuntimeOrigin::signed(account(Alice)),
			Box::new(admit_institution(Ferdie))
		));
		assert!(Consortium::member(&account(Ferdie)).is_some());
		assert_eq!(
			pallet_collective::Members::<Runtime, crate::configs::CouncilCollective>::get(),
			vec![account(Ferdie)]
		);
	});
}
