// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Unit tests for `pallet-consortium`.

use crate::{
	mock::*, ConsortiumInterface, Error, Event, KindsOf, MemberKind, MemberStatus, Members,
};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_runtime::DispatchError::BadOrigin;

fn kinds(k: &[MemberKind]) -> KindsOf {
	k.to_vec().try_into().unwrap()
}

fn name(n: &[u8]) -> BoundedVec<u8, MaxNameLen> {
	n.to_vec().try_into().unwrap()
}

fn address(a: &[u8]) -> Option<BoundedVec<u8, MaxAddressLen>> {
	Some(a.to_vec().try_into().unwrap())
}

fn admit(who: u64, k: &[MemberKind]) -> sp_runtime::DispatchResult {
	Consortium::admit_member(
		RuntimeOrigin::root(),
		who,
		kinds(k),
		name(b"Clinic"),
		KEY,
		address(b"/dns4/steward.example/tcp/4001"),
	)
}

#[test]
fn genesis_admits_members_and_sets_the_consortium_key() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(Members::<Test>::count(), 3);
		assert!(Consortium::is_active_member(&HOSPITAL, MemberKind::Institution));
		assert!(Consortium::is_active_member(&LAB, MemberKind::Institution));
		assert!(Consortium::is_active_member(&LAB, MemberKind::Evaluator));
		assert!(!Consortium::is_active_member(&HOSPITAL, MemberKind::DataSteward));
		assert_eq!(Consortium::consortium_key(), Some([42; 32]));
		assert_eq!(Consortium::hpke_key(&STEWARD), Some([2; 32]));
		// Kinds are stored sorted.
		assert_eq!(
			Consortium::member(&LAB).unwrap().kinds.into_inner(),
			vec![MemberKind::Institution, MemberKind::Evaluator]
		);
	});
}

#[test]
fn admit_member_stores_the_member_and_emits_an_event() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(admit(
			OUTSIDER,
			&[MemberKind::DataSteward, MemberKind::Institution, MemberKind::DataSteward]
		));
		let member = Consortium::member(&OUTSIDER).unwrap();
		assert_eq!(member.kinds, kinds(&[MemberKind::Institution, MemberKind::DataSteward]));
		assert_eq!(member.status, MemberStatus::Active);
		assert_eq!(member.hpke_key, KEY);
		assert_eq!(member.admitted_at, 1);
		assert!(Consortium::is_member(&OUTSIDER));
		System::assert_last_event(
			Event::MemberAdmitted {
				who: OUTSIDER,
				kinds: kinds(&[MemberKind::Institution, MemberKind::DataSteward]),
			}
			.into(),
		);
	});
}

#[test]
fn admit_member_needs_the_governance_origin() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::admit_member(
				RuntimeOrigin::signed(HOSPITAL),
				OUTSIDER,
				kinds(&[MemberKind::Institution]),
				name(b"Clinic"),
				KEY,
				None
			),
			BadOrigin
		);
	});
}

#[test]
fn admit_member_refuses_an_existing_member() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(admit(HOSPITAL, &[MemberKind::Institution]), Error::<Test>::AlreadyMember);
	});
}

#[test]
fn admit_member_refuses_more_than_max_members() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(admit(OUTSIDER, &[MemberKind::Institution]));
		assert_noop!(
			admit(OUTSIDER + 1, &[MemberKind::Institution]),
			Error::<Test>::TooManyMembers
		);
	});
}

#[test]
fn admit_member_refuses_a_member_without_kinds() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(admit(OUTSIDER, &[]), Error::<Test>::NoKinds);
	});
}

#[test]
fn admit_member_refuses_an_empty_name() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::admit_member(
				RuntimeOrigin::root(),
				OUTSIDER,
				kinds(&[MemberKind::Institution]),
				name(b""),
				KEY,
				None
			),
			Error::<Test>::EmptyName
		);
	});
}

#[test]
fn admit_member_refuses_an_all_zero_key() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::admit_member(
				RuntimeOrigin::root(),
				OUTSIDER,
				kinds(&[MemberKind::Institution]),
				name(b"Clinic"),
				[0; 32],
				None
			),
			Error::<Test>::InvalidHpkeKey
		);
	});
}

#[test]
fn admit_member_refuses_a_steward_without_ipfs_address() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::admit_member(
				RuntimeOrigin::root(),
				OUTSIDER,
				kinds(&[MemberKind::DataSteward]),
				name(b"Steward Two"),
				KEY,
				None
			),
			Error::<Test>::MissingIpfsAddress
		);
	});
}

#[test]
fn suspend_member_deactivates_it_and_tells_the_hook() {
	ExtBuilder::default().build_and_execute(|| {
		System::set_block_number(5);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert!(!Consortium::is_active_member(&HOSPITAL, MemberKind::Institution));
		assert!(Consortium::is_member(&HOSPITAL));
		let member = Consortium::member(&HOSPITAL).unwrap();
		assert_eq!(member.status, MemberStatus::Suspended);
		assert_eq!(member.status_since, 5);
		assert_eq!(reported_suspensions(), vec![HOSPITAL]);
		System::assert_last_event(Event::MemberSuspended { who: HOSPITAL }.into());
	});
}

#[test]
fn suspend_member_needs_the_governance_origin() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Consortium::suspend_member(RuntimeOrigin::signed(LAB), HOSPITAL), BadOrigin);
	});
}

#[test]
fn suspend_member_refuses_a_non_member() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::suspend_member(RuntimeOrigin::root(), OUTSIDER),
			Error::<Test>::NotMember
		);
	});
}

#[test]
fn suspend_member_refuses_a_suspended_member() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_noop!(
			Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL),
			Error::<Test>::AlreadySuspended
		);
		assert_eq!(reported_suspensions(), vec![HOSPITAL]);
	});
}

#[test]
fn reinstate_member_makes_a_suspended_member_active_again() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_ok!(Consortium::reinstate_member(RuntimeOrigin::root(), HOSPITAL));
		assert!(Consortium::is_active_member(&HOSPITAL, MemberKind::Institution));
		System::assert_last_event(Event::MemberReinstated { who: HOSPITAL }.into());
	});
}

#[test]
fn reinstate_member_needs_the_governance_origin() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_noop!(
			Consortium::reinstate_member(RuntimeOrigin::signed(HOSPITAL), HOSPITAL),
			BadOrigin
		);
	});
}

#[test]
fn reinstate_member_refuses_a_non_member() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::reinstate_member(RuntimeOrigin::root(), OUTSIDER),
			Error::<Test>::NotMember
		);
	});
}

#[test]
fn reinstate_member_refuses_an_active_member() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::reinstate_member(RuntimeOrigin::root(), HOSPITAL),
			Error::<Test>::NotSuspended
		);
	});
}

#[test]
fn remove_member_deletes_an_active_member_and_tells_the_hook() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consortium::remove_member(RuntimeOrigin::root(), HOSPITAL));
		assert!(!Consortium::is_member(&HOSPITAL));
		assert_eq!(Members::<Test>::count(), 2);
		assert_eq!(reported_suspensions(), vec![HOSPITAL]);
		System::assert_last_event(Event::MemberRemoved { who: HOSPITAL }.into());
	});
}

#[test]
fn remove_member_does_not_report_a_suspended_member_twice() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_ok!(Consortium::remove_member(RuntimeOrigin::root(), HOSPITAL));
		assert_eq!(reported_suspensions(), vec![HOSPITAL]);
	});
}

#[test]
fn remove_member_needs_the_governance_origin() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::remove_member(RuntimeOrigin::signed(HOSPITAL), HOSPITAL),
			BadOrigin
		);
	});
}

#[test]
fn remove_member_refuses_a_non_member() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::remove_member(RuntimeOrigin::root(), OUTSIDER),
			Error::<Test>::NotMember
		);
	});
}

#[test]
fn set_member_keys_rotates_the_members_own_keys() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consortium::set_member_keys(
			RuntimeOrigin::signed(STEWARD),
			[77; 32],
			address(b"/ip4/10.0.0.2/tcp/4001")
		));
		let member = Consortium::member(&STEWARD).unwrap();
		assert_eq!(member.hpke_key, [77; 32]);
		assert_eq!(member.ipfs_address, address(b"/ip4/10.0.0.2/tcp/4001"));
		System::assert_last_event(
			Event::MemberKeysUpdated { who: STEWARD, hpke_key: [77; 32] }.into(),
		);
	});
}

#[test]
fn set_member_keys_works_for_a_suspended_member() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_ok!(Consortium::set_member_keys(RuntimeOrigin::signed(HOSPITAL), [5; 32], None));
		assert_eq!(Consortium::hpke_key(&HOSPITAL), Some([5; 32]));
	});
}

#[test]
fn set_member_keys_refuses_a_non_member() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::set_member_keys(RuntimeOrigin::signed(OUTSIDER), KEY, None),
			Error::<Test>::NotMember
		);
	});
}

#[test]
fn set_member_keys_refuses_an_all_zero_key() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::set_member_keys(RuntimeOrigin::signed(HOSPITAL), [0; 32], None),
			Error::<Test>::InvalidHpkeKey
		);
	});
}

#[test]
fn set_member_keys_refuses_to_drop_a_stewards_ipfs_address() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::set_member_keys(RuntimeOrigin::signed(STEWARD), KEY, None),
			Error::<Test>::MissingIpfsAddress
		);
	});
}

#[test]
fn set_consortium_key_replaces_the_key() {
	ExtBuilder::empty().build_and_execute(|| {
		assert_eq!(Consortium::consortium_key(), None);
		assert_ok!(Consortium::set_consortium_key(RuntimeOrigin::root(), [8; 32]));
		assert_eq!(Consortium::consortium_key(), Some([8; 32]));
		System::assert_last_event(Event::ConsortiumKeySet { key: [8; 32] }.into());
	});
}

#[test]
fn set_consortium_key_needs_the_governance_origin() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::set_consortium_key(RuntimeOrigin::signed(LAB), [8; 32]),
			BadOrigin
		);
	});
}

#[test]
fn set_consortium_key_refuses_an_all_zero_key() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consortium::set_consortium_key(RuntimeOrigin::root(), [0; 32]),
			Error::<Test>::InvalidHpkeKey
		);
	});
}

#[test]
fn active_members_of_kind_lists_only_active_holders() {
	ExtBuilder::default().build_and_execute(|| {
		let mut institutions = Consortium::active_members_of_kind(MemberKind::Institution);
		institutions.sort();
		assert_eq!(institutions, vec![HOSPITAL, LAB]);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_eq!(Consortium::active_members_of_kind(MemberKind::Institution), vec![LAB]);
		assert_eq!(Consortium::active_members_of_kind(MemberKind::DataSteward), vec![STEWARD]);
		run_to_block(3);
		assert_eq!(Consortium::active_members_of_kind(MemberKind::Evaluator), vec![LAB]);
	});
}

#[test]
fn the_active_member_set_is_announced_at_genesis_and_on_every_change() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(announced_membership(), (vec![HOSPITAL, STEWARD, LAB], 0));

		assert_ok!(admit(OUTSIDER, &[MemberKind::Institution]));
		assert_eq!(announced_membership(), (vec![HOSPITAL, STEWARD, LAB, OUTSIDER], 1));

		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), STEWARD));
		assert_eq!(announced_membership(), (vec![HOSPITAL, LAB, OUTSIDER], 2));

		assert_ok!(Consortium::reinstate_member(RuntimeOrigin::root(), STEWARD));
		assert_eq!(announced_membership(), (vec![HOSPITAL, STEWARD, LAB, OUTSIDER], 3));

		// Removing a suspended member leaves the active set as it is: nothing more to announce.
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), LAB));
		assert_ok!(Consortium::remove_member(RuntimeOrigin::root(), LAB));
		assert_eq!(announced_membership(), (vec![HOSPITAL, STEWARD, OUTSIDER], 4));

		assert_ok!(Consortium::remove_member(RuntimeOrigin::root(), OUTSIDER));
		assert_eq!(announced_membership(), (vec![HOSPITAL, STEWARD], 5));
	});
}

#[test]
fn a_refused_change_announces_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(admit(HOSPITAL, &[MemberKind::Institution]), Error::<Test>::AlreadyMember);
		assert_noop!(
			Consortium::reinstate_member(RuntimeOrigin::root(), HOSPITAL),
			Error::<Test>::NotSuspended
		);
		assert_eq!(announced_membership(), (vec![HOSPITAL, STEWARD, LAB], 0));
	});
}
