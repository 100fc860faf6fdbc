//! The validator set by governance (issue 16): the council adds and removes validators through
//! `pallet-validators`, a suspended member drops out by itself, `pallet-session` hands the set to
//! Aura and GRANDPA two sessions later, and two thirds of the council reach Root.

use super::{
	genesis_state,
	governance::{account, admit_institution, council_motion, executed},
};
use crate::{Grandpa, Runtime, RuntimeCall, RuntimeOrigin, Session, System, Validators};
use frame_support::{assert_noop, traits::OnFinalize};
use sp_core::H256;
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{
	Ed25519Keyring,
	Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve},
};
use sp_runtime::DispatchError;

/// Ends the current session at the next block, as `PeriodicSessions` would, and lets GRANDPA
/// enact the change it scheduled (delay 0).
fn next_session() {
	let now = System::block_number() + 1;
	System::set_block_number(now);
	Session::rotate_session();
	Grandpa::on_finalize(now);
}

fn aura_authorities() -> Vec<sp_consensus_aura::sr25519::AuthorityId> {
	pallet_aura::Authorities::<Runtime>::get().into_inner()
}

fn grandpa_authorities() -> Vec<sp_consensus_grandpa::AuthorityId> {
	Grandpa::grandpa_authorities().into_iter().map(|(key, _)| key).collect()
}

fn aura_of(who: &[Sr25519Keyring]) -> Vec<sp_consensus_aura::sr25519::AuthorityId> {
	who.iter().map(|k| k.public().into()).collect()
}

fn grandpa_of(who: &[Ed25519Keyring]) -> Vec<sp_consensus_grandpa::AuthorityId> {
	who.iter().map(|k| k.public().into()).collect()
}

fn remove_validator(who: Sr25519Keyring) -> RuntimeCall {
	RuntimeCall::Validators(pallet_validators::Call::remove_validator { who: account(who) })
}

fn add_validator(who: Sr25519Keyring) -> RuntimeCall {
	RuntimeCall::Validators(pallet_validators::Call::add_validator { who: account(who) })
}

fn as_root(call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Validators(pallet_validators::Call::dispatch_as_root { call: Box::new(call) })
}

#[test]
fn the_genesis_validators_are_the_session_validators_and_authorities() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		let four = vec![account(Alice), account(Bob), account(Charlie), account(Dave)];
		assert_eq!(pallet_session::Validators::<Runtime>::get(), four);
		assert_eq!(pallet_validators::Validators::<Runtime>::get().into_inner(), four);
	});
	genesis_state(DEV_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(pallet_session::Validators::<Runtime>::get(), vec![account(Alice)]);
	});
}

#[test]
fn a_validator_the_council_removes_stops_being_an_authority_two_sessions_later() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let motion = council_motion(Alice, 3, remove_validator(Dave), &[Alice, Bob, Charlie]);
		assert_eq!(executed(motion), Some(Ok(())));

		next_session();
		assert_eq!(
			aura_authorities(),
			aura_of(&[Alice, Bob, Charlie, Dave]),
			"queued, not yet active"
		);
		next_session();
		assert_eq!(aura_authorities(), aura_of(&[Alice, Bob, Charlie]));
		assert_eq!(
			grandpa_authorities(),
			grandpa_of(&[Ed25519Keyring::Alice, Ed25519Keyring::Bob, Ed25519Keyring::Charlie])
		);
	});
}

#[test]
fn a_suspended_member_stops_validating_without_a_motion_on_validators() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let suspend = RuntimeCall::Consortium(pallet_consortium::Call::suspend_member {
			who: account(Charlie),
		});
		assert_eq!(executed(council_motion(Alice, 3, suspend, &[Alice, Bob, Dave])), Some(Ok(())));

		next_session();
		next_session();
		assert_eq!(aura_authorities(), aura_of(&[Alice, Bob, Dave]));
		// Still on governance's list: reinstated, Charlie would validate again.
		assert!(pallet_validators::Validators::<Runtime>::get().contains(&account(Charlie)));
	});
}

#[test]
fn only_an_active_member_can_be_added_and_a_majority_adds_one() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let refused = council_motion(Alice, 3, add_validator(Eve), &[Alice, Bob, Charlie]);
		assert_eq!(
			executed(refused),
			Some(Err(pallet_validators::Error::<Runtime>::NotEligible.into()))
		);
		assert_eq!(
			executed(council_motion(Alice, 3, admit_institution(Eve), &[Alice, Bob, Charlie])),
			Some(Ok(()))
		);
		// `executed` finds a motion by its call's hash: forget the refused one.
		System::reset_events();
		let added = council_motion(Alice, 3, add_validator(Eve), &[Alice, Bob, Charlie]);
		assert_eq!(executed(added), Some(Ok(())));
		assert!(pallet_validators::Validators::<Runtime>::get().contains(&account(Eve)));
		// Without session keys Eve is not planned until she registers them
		// (tests/validators.test.mjs registers them from her node).
		next_session();
		next_session();
		assert!(!pallet_validators::PlannedSet::<Runtime>::get().contains(&account(Eve)));
		assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 4);
		assert_eq!(aura_authorities(), aura_of(&[Alice, Bob, Charlie, Dave]));
	});
}

#[test]
fn a_single_member_cannot_change_validators_or_reach_root() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		assert_noop!(
			Validators::remove_validator(RuntimeOrigin::signed(account(Alice)), account(Dave)),
			DispatchError::BadOrigin
		);
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		assert_noop!(
			Validators::dispatch_as_root(RuntimeOrigin::signed(account(Alice)), Box::new(remark)),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn two_thirds_of_the_council_authorize_a_runtime_upgrade_and_a_bare_majority_cannot() {
	genesis_state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		// A fifth member: three ayes of five are a majority but not two thirds.
		assert_eq!(
			executed(council_motion(Alice, 3, admit_institution(Eve), &[Alice, Bob, Charlie])),
			Some(Ok(()))
		);
		let code_hash = H256::repeat_byte(7);
		let authorize =
			|| as_root(RuntimeCall::System(frame_system::Call::authorize_upgrade { code_hash }));

		let majority = council_motion(Alice, 3, authorize(), &[Alice, Bob, Charlie]);
		assert_eq!(executed(majority), Some(Err(DispatchError::BadOrigin)));
		assert!(System::authorized_upgrade().is_none());

		System::reset_events();
		let supermajority = council_motion(Alice, 4, authorize(), &[Alice, Bob, Charlie, Dave]);
		assert_eq!(executed(supermajority), Some(Ok(())));
		assert_eq!(System::authorized_upgrade().map(|a| *a.code_hash()), Some(code_hash));
	});
}
