// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Tests for `pallet-validators`.

use crate::{mock::*, Error, Event, PlannedSet, Validators as ValidatorsStorage};
use frame_support::{assert_noop, assert_ok};
use pallet_session::SessionManager;
use sp_runtime::DispatchError;

fn validators() -> Vec<u64> {
	ValidatorsStorage::<Test>::get().into_inner()
}

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

#[test]
fn genesis_validators_start_the_first_sessions() {
	build_and_execute(|| {
		assert_eq!(validators(), vec![ALICE, BOB]);
		assert_eq!(
			<Validators as SessionManager<u64>>::new_session_genesis(0),
			Some(vec![ALICE, BOB])
		);
		// Nothing changed since genesis: the session pallet keeps its set.
		assert_eq!(<Validators as SessionManager<u64>>::new_session(2), None);
	})
}

#[test]
fn an_added_validator_is_planned_for_the_next_session() {
	build_and_execute(|| {
		assert_ok!(Validators::add_validator(root(), CHARLIE));
		System::assert_last_event(Event::ValidatorAdded { who: CHARLIE }.into());
		assert_eq!(validators(), vec![ALICE, BOB, CHARLIE]);

		assert_eq!(
			<Validators as SessionManager<u64>>::new_session(2),
			Some(vec![ALICE, BOB, CHARLIE])
		);
		System::assert_last_event(
			Event::NewSetPlanned { session: 2, validators: vec![ALICE, BOB, CHARLIE] }.into(),
		);
		// Planned once: the following session keeps it.
		assert_eq!(<Validators as SessionManager<u64>>::new_session(3), None);
	})
}

#[test]
fn a_removed_validator_is_left_out_of_the_next_session() {
	build_and_execute(|| {
		assert_ok!(Validators::add_validator(root(), CHARLIE));
		assert_eq!(
			<Validators as SessionManager<u64>>::new_session(2),
			Some(vec![ALICE, BOB, CHARLIE])
		);
		assert_ok!(Validators::remove_validator(root(), ALICE));
		System::assert_last_event(Event::ValidatorRemoved { who: ALICE }.into());
		assert_eq!(<Validators as SessionManager<u64>>::new_session(3), Some(vec![BOB, CHARLIE]));
	})
}

#[test]
fn a_suspended_member_stops_validating_without_a_governance_call() {
	build_and_execute(|| {
		assert_ok!(Validators::add_validator(root(), CHARLIE));
		assert_eq!(
			<Validators as SessionManager<u64>>::new_session(2),
			Some(vec![ALICE, BOB, CHARLIE])
		);
		suspend(BOB);
		assert_eq!(<Validators as SessionManager<u64>>::new_session(3), Some(vec![ALICE, CHARLIE]));
		assert_eq!(PlannedSet::<Test>::get().into_inner(), vec![ALICE, CHARLIE]);
		// Still on governance's list: reinstated, it would validate again.
		assert_eq!(validators(), vec![ALICE, BOB, CHARLIE]);
	})
}

#[test]
fn a_validator_without_session_keys_is_planned_once_it_registers_them() {
	build_and_execute(|| {
		purge_keys(CHARLIE);
		assert_ok!(Validators::add_validator(root(), CHARLIE));
		assert_eq!(<Validators as SessionManager<u64>>::new_session(2), None);
		set_keys(CHARLIE);
		assert_eq!(
			<Validators as SessionManager<u64>>::new_session(3),
			Some(vec![ALICE, BOB, CHARLIE])
		);
		// A validator that purges its keys is left out.
		purge_keys(ALICE);
		assert_eq!(<Validators as SessionManager<u64>>::new_session(4), Some(vec![BOB, CHARLIE]));
	})
}

#[test]
fn a_set_without_any_eligible_validator_is_never_planned() {
	build_and_execute(|| {
		suspend(ALICE);
		suspend(BOB);
		assert_eq!(<Validators as SessionManager<u64>>::new_session(2), None);
		assert_eq!(PlannedSet::<Test>::get().into_inner(), vec![ALICE, BOB]);
	})
}

#[test]
fn only_governance_adds_and_removes_validators() {
	build_and_execute(|| {
		assert_noop!(
			Validators::add_validator(RuntimeOrigin::signed(ALICE), CHARLIE),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Validators::remove_validator(RuntimeOrigin::signed(ALICE), BOB),
			DispatchError::BadOrigin
		);
	})
}

#[test]
fn add_validator_refuses_a_non_member() {
	build_and_execute(|| {
		assert_noop!(Validators::add_validator(root(), OUTSIDER), Error::<Test>::NotEligible);
		suspend(CHARLIE);
		assert_noop!(Validators::add_validator(root(), CHARLIE), Error::<Test>::NotEligible);
	})
}

#[test]
fn add_validator_refuses_a_validator() {
	build_and_execute(|| {
		assert_noop!(Validators::add_validator(root(), ALICE), Error::<Test>::AlreadyValidator);
	})
}

#[test]
fn add_validator_refuses_beyond_max_validators() {
	build_and_execute(|| {
		assert_ok!(Validators::add_validator(root(), CHARLIE));
		assert_noop!(Validators::add_validator(root(), DAVE), Error::<Test>::TooManyValidators);
	})
}

#[test]
fn remove_validator_refuses_a_non_validator() {
	build_and_execute(|| {
		assert_noop!(Validators::remove_validator(root(), CHARLIE), Error::<Test>::NotValidator);
	})
}

#[test]
fn remove_validator_keeps_min_validators() {
	build_and_execute(|| {
		assert_noop!(Validators::remove_validator(root(), ALICE), Error::<Test>::TooFewValidators);
	})
}

#[test]
fn dispatch_as_root_runs_the_call_as_root() {
	build_and_execute(|| {
		let call = Box::new(RuntimeCall::Validators(crate::Call::add_validator { who: CHARLIE }));
		assert_ok!(Validators::dispatch_as_root(
			RuntimeOrigin::signed(COUNCIL_SUPERMAJORITY),
			call
		));
		System::assert_last_event(Event::DispatchedAsRoot { result: Ok(()) }.into());
		assert_eq!(validators(), vec![ALICE, BOB, CHARLIE]);
	})
}

#[test]
fn dispatch_as_root_reports_the_calls_failure() {
	build_and_execute(|| {
		let call = Box::new(RuntimeCall::Validators(crate::Call::add_validator { who: OUTSIDER }));
		assert_ok!(Validators::dispatch_as_root(
			RuntimeOrigin::signed(COUNCIL_SUPERMAJORITY),
			call
		));
		System::assert_last_event(
			Event::DispatchedAsRoot { result: Err(Error::<Test>::NotEligible.into()) }.into(),
		);
	})
}

#[test]
fn dispatch_as_root_refuses_any_other_origin() {
	build_and_execute(|| {
		let call = Box::new(RuntimeCall::System(frame_system::Call::remark { remark: vec![] }));
		assert_noop!(
			Validators::dispatch_as_root(RuntimeOrigin::signed(ALICE), call.clone()),
			DispatchError::BadOrigin
		);
		// Not even Root: the runtime decides who reaches Root through this call.
		assert_noop!(Validators::dispatch_as_root(root(), call), DispatchError::BadOrigin);
	})
}
