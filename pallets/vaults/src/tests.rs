// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Unit tests for `pallet-vaults`, against the real consortium and consent pallets.

use crate::{
	mock::*, CloseReason, Error, Event, ExpiryCursor, ExpiryQueue, HoldReason, NextVaultId,
	PendingRecords, PendingRecordsFrom, PendingRecordsOf, PinItem, PinTarget, RecordByCid,
	RecordDeposits, RecordId, RecordOrigin, Records, RecordsOf, UnfetchableAfter,
	UnfetchableReason, UnfetchableRecords, UnfetchableReport, Unpinned, VaultId, VaultState,
	Vaults as VaultStore, VaultsOfGrant, VaultsOfRecord,
};
use codec::Encode;
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use pallet_consent::{
	ConsentInterface, DataCategory::*, GrantId, GrantStatus, Period, PurposeOfUse, RequestStatus,
	RevocationReason,
};
use sp_core::H256;
use sp_runtime::{DispatchError::BadOrigin, DispatchResult};

fn period(start: u64, end: u64) -> Period<u64> {
	Period { start, end }
}

fn hash() -> H256 {
	H256::repeat_byte(7)
}

/// Alice's lab record, a grant of lab results to the hospital for blocks 1..50, and a vault
/// open until block 20. Returns (record, grant, vault).
fn alice_shares_labs_with_hospital() -> (RecordId, GrantId, VaultId) {
	let record = record(ALICE, b"bafy-alice-labs", &[LaboratoryResults]);
	let grant = grant(HOSPITAL, ALICE, &[LaboratoryResults, VitalSigns], period(1, 50));
	let vault = NextVaultId::<Test>::get();
	assert_ok!(Vaults::open_vault(
		RuntimeOrigin::signed(ALICE),
		grant,
		record,
		cid(b"bafy-vault-for-hospital"),
		20
	));
	(record, grant, vault)
}

fn open(grant: GrantId, record: RecordId, expires_at: u64) -> VaultId {
	let vault = NextVaultId::<Test>::get();
	let name = format!("bafy-vault-{vault}");
	assert_ok!(Vaults::open_vault(
		RuntimeOrigin::signed(ALICE),
		grant,
		record,
		cid(name.as_bytes()),
		expires_at
	));
	vault
}

fn pin_targets(items: Vec<PinItem>) -> Vec<PinTarget> {
	items.into_iter().map(|i| i.target).collect()
}

// ---- register_record ----

#[test]
fn register_record_by_its_owner_pins_it() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Vaults::register_record(
			RuntimeOrigin::signed(ALICE),
			ALICE,
			cid(b"bafy-alice"),
			hash(),
			2_048,
			categories(&[VitalSigns, LaboratoryResults, VitalSigns]),
			STEWARD,
		));
		let r = Records::<Test>::get(0).unwrap();
		assert_eq!(r.owner, ALICE);
		assert_eq!(r.origin, RecordOrigin::Owner);
		assert_eq!(r.categories, categories(&[LaboratoryResults, VitalSigns]));
		assert_eq!(r.size, 2_048);
		assert_eq!(RecordByCid::<Test>::get(ALICE, cid(b"bafy-alice")), Some(0));
		assert_eq!(RecordsOf::<Test>::get(ALICE).into_inner(), vec![0]);
		assert_eq!(
			Vaults::must_pin(&STEWARD),
			vec![PinItem {
				target: PinTarget::Record(0),
				cid: b"bafy-alice".to_vec(),
				size: Some(2_048)
			}]
		);
		System::assert_last_event(
			Event::RecordRegistered {
				record: 0,
				owner: ALICE,
				origin: RecordOrigin::Owner,
				cid: cid(b"bafy-alice"),
				categories: categories(&[LaboratoryResults, VitalSigns]),
				steward: STEWARD,
			}
			.into(),
		);
	});
}

/// The hospital registers a discharge letter for Alice; returns its id.
fn hospital_proposes(name: &[u8]) -> RecordId {
	let id = crate::NextRecordId::<Test>::get();
	assert_ok!(Vaults::register_record(
		RuntimeOrigin::signed(HOSPITAL),
		ALICE,
		cid(name),
		hash(),
		900,
		categories(&[ClinicalNotes]),
		STEWARD_TWO,
	));
	id
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::RecordDeposit.into(), &who)
}

#[test]
fn register_record_by_an_institution_waits_for_the_owners_acceptance() {
	ExtBuilder.build_and_execute(|| {
		let id = hospital_proposes(b"bafy-discharge-letter");
		System::assert_last_event(
			Event::RecordPending {
				record: id,
				owner: ALICE,
				institution: HOSPITAL,
				cid: cid(b"bafy-discharge-letter"),
				categories: categories(&[ClinicalNotes]),
				steward: STEWARD_TWO,
			}
			.into(),
		);
		// Not Alice's yet: not listed, not shareable, not pinned, its CID not indexed.
		assert!(Records::<Test>::get(id).is_none());
		assert!(RecordsOf::<Test>::get(ALICE).is_empty());
		assert_eq!(PendingRecordsOf::<Test>::get(ALICE).into_inner(), vec![id]);
		assert!(Vaults::must_pin(&STEWARD_TWO).is_empty());
		assert_eq!(RecordByCid::<Test>::get(ALICE, cid(b"bafy-discharge-letter")), None);
		let grant = grant(HOSPITAL, ALICE, &[ClinicalNotes], period(1, 50));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, id, cid(b"v"), 20),
			Error::<Test>::UnknownRecord
		);

		assert_ok!(Vaults::accept_record(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(Records::<Test>::get(id).unwrap().origin, RecordOrigin::Institution(HOSPITAL));
		assert_eq!(RecordsOf::<Test>::get(ALICE).into_inner(), vec![id]);
		assert!(PendingRecords::<Test>::get(id).is_none());
		assert!(PendingRecordsOf::<Test>::get(ALICE).is_empty());
		assert_eq!(RecordByCid::<Test>::get(ALICE, cid(b"bafy-discharge-letter")), Some(id));
		assert_eq!(pin_targets(Vaults::must_pin(&STEWARD_TWO)), vec![PinTarget::Record(id)]);
		System::assert_last_event(
			Event::RecordRegistered {
				record: id,
				owner: ALICE,
				origin: RecordOrigin::Institution(HOSPITAL),
				cid: cid(b"bafy-discharge-letter"),
				categories: categories(&[ClinicalNotes]),
				steward: STEWARD_TWO,
			}
			.into(),
		);
		assert_ok!(Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, id, cid(b"v"), 20));
	});
}

#[test]
fn accept_record_by_a_delegate_is_allowed() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		let id = hospital_proposes(b"bafy-letter");
		assert_ok!(Vaults::accept_record(RuntimeOrigin::signed(CAREGIVER), id));
		assert_eq!(RecordsOf::<Test>::get(ALICE).into_inner(), vec![id]);
	});
}

#[test]
fn accept_record_refuses_an_unknown_or_already_answered_record() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::accept_record(RuntimeOrigin::signed(ALICE), 7),
			Error::<Test>::UnknownPendingRecord
		);
		// A record its owner registered was never pending.
		let own = record(ALICE, b"bafy-own", &[Conditions]);
		assert_noop!(
			Vaults::accept_record(RuntimeOrigin::signed(ALICE), own),
			Error::<Test>::UnknownPendingRecord
		);
		let id = hospital_proposes(b"bafy-letter");
		assert_ok!(Vaults::accept_record(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(
			Vaults::accept_record(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::UnknownPendingRecord
		);
	});
}

#[test]
fn accept_record_refuses_anyone_but_the_owner_or_a_delegate() {
	ExtBuilder.build_and_execute(|| {
		let id = hospital_proposes(b"bafy-letter");
		for who in [HOSPITAL, MALLORY, STEWARD_TWO] {
			assert_noop!(
				Vaults::accept_record(RuntimeOrigin::signed(who), id),
				Error::<Test>::NotSubjectOrDelegate
			);
		}
	});
}

#[test]
fn accept_record_refuses_while_the_steward_is_suspended() {
	ExtBuilder.build_and_execute(|| {
		let id = hospital_proposes(b"bafy-letter");
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), STEWARD_TWO));
		assert_noop!(
			Vaults::accept_record(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::NotActiveSteward
		);
	});
}

#[test]
fn accept_record_refuses_a_cid_the_owner_registered_meanwhile() {
	ExtBuilder.build_and_execute(|| {
		let id = hospital_proposes(b"bafy-letter");
		record(ALICE, b"bafy-letter", &[Conditions]);
		assert_noop!(
			Vaults::accept_record(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::CidAlreadyRegistered
		);
		// Rejecting it is still possible, and gives the hospital its deposit back.
		assert_ok!(Vaults::reject_record(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(held(HOSPITAL), 0);
	});
}

#[test]
fn accept_record_refuses_more_than_max_records_per_owner() {
	ExtBuilder.build_and_execute(|| {
		let id = hospital_proposes(b"bafy-letter");
		for i in 0..4u8 {
			record(ALICE, &[b'r', i], &[Conditions]);
		}
		assert_noop!(
			Vaults::accept_record(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::TooManyRecords
		);
	});
}

#[test]
fn reject_record_drops_it_and_releases_the_institutions_deposit() {
	ExtBuilder.build_and_execute(|| {
		let id = hospital_proposes(b"bafy-letter");
		assert!(held(HOSPITAL) > 0);
		assert_ok!(Vaults::reject_record(RuntimeOrigin::signed(ALICE), id));
		System::assert_last_event(
			Event::RecordRejected { record: id, owner: ALICE, institution: HOSPITAL }.into(),
		);
		assert_eq!(held(HOSPITAL), 0);
		assert_eq!(Balances::balance(&HOSPITAL), ENDOWMENT);
		assert!(PendingRecords::<Test>::get(id).is_none());
		assert!(RecordDeposits::<Test>::get(id).is_none());
		assert!(PendingRecordsOf::<Test>::get(ALICE).is_empty());
		assert!(Records::<Test>::get(id).is_none());
		assert_noop!(
			Vaults::accept_record(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::UnknownPendingRecord
		);
	});
}

#[test]
fn reject_record_refuses_an_unknown_record_and_strangers() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::reject_record(RuntimeOrigin::signed(ALICE), 3),
			Error::<Test>::UnknownPendingRecord
		);
		let id = hospital_proposes(b"bafy-letter");
		for who in [HOSPITAL, MALLORY] {
			assert_noop!(
				Vaults::reject_record(RuntimeOrigin::signed(who), id),
				Error::<Test>::NotSubjectOrDelegate
			);
		}
	});
}

/// The lab registers a record for Alice.
fn lab_proposes(name: &[u8]) -> DispatchResult {
	Vaults::register_record(
		RuntimeOrigin::signed(LAB),
		ALICE,
		cid(name),
		hash(),
		1,
		categories(&[Conditions]),
		STEWARD,
	)
}

#[test]
fn register_record_by_an_institution_refuses_more_than_max_pending_records() {
	ExtBuilder.build_and_execute(|| {
		hospital_proposes(b"p1");
		hospital_proposes(b"p2");
		assert_ok!(lab_proposes(b"p3"));
		// Alice's three places are taken; the lab is within its own cap of two.
		assert_eq!(PendingRecordsFrom::<Test>::get(ALICE, LAB), 1);
		assert_noop!(lab_proposes(b"p4"), Error::<Test>::TooManyPendingRecords);
	});
}

#[test]
fn register_record_by_an_institution_refuses_more_than_its_own_pending_places() {
	ExtBuilder.build_and_execute(|| {
		hospital_proposes(b"p1");
		hospital_proposes(b"p2");
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				cid(b"p3"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::TooManyPendingRecordsFromInstitution
		);
		// Another person's places are the hospital's own to take.
		assert_ok!(Vaults::register_record(
			RuntimeOrigin::signed(HOSPITAL),
			BOB,
			cid(b"p3"),
			hash(),
			1,
			categories(&[Conditions]),
			STEWARD
		));
	});
}

#[test]
fn one_institution_cannot_fill_a_persons_pending_places() {
	ExtBuilder.build_and_execute(|| {
		// The hospital tries to take every one of Alice's places.
		let first = hospital_proposes(b"p1");
		hospital_proposes(b"p2");
		assert!(Vaults::register_record(
			RuntimeOrigin::signed(HOSPITAL),
			ALICE,
			cid(b"p3"),
			hash(),
			1,
			categories(&[Conditions]),
			STEWARD
		)
		.is_err());
		// The lab's record still gets in.
		let lab = crate::NextRecordId::<Test>::get();
		assert_ok!(lab_proposes(b"lab"));
		assert_eq!(PendingRecordsOf::<Test>::get(ALICE).len(), 3);
		assert!(PendingRecords::<Test>::contains_key(lab));
		// Answering one of the hospital's records frees one of its places, and only its own.
		assert_ok!(Vaults::reject_record(RuntimeOrigin::signed(ALICE), first));
		assert_eq!(PendingRecordsFrom::<Test>::get(ALICE, HOSPITAL), 1);
		assert_ok!(Vaults::accept_record(RuntimeOrigin::signed(ALICE), lab));
		assert!(!PendingRecordsFrom::<Test>::contains_key(ALICE, LAB));
		hospital_proposes(b"p3");
		assert_eq!(PendingRecordsFrom::<Test>::get(ALICE, HOSPITAL), 2);
	});
}

// ---- deposits ----

#[test]
fn register_record_holds_a_deposit_of_base_plus_bytes_until_retirement() {
	ExtBuilder.build_and_execute(|| {
		let id = record(ALICE, b"bafy-alice", &[Conditions]);
		let stored = Records::<Test>::get(id).unwrap();
		let expected = RECORD_DEPOSIT_BASE + stored.encoded_size() as u64;
		assert_eq!(Vaults::record_deposit(&stored), expected);
		assert_eq!(held(ALICE), expected);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - expected);
		assert_eq!(RecordDeposits::<Test>::get(id).unwrap().amount, expected);

		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT);
		assert!(RecordDeposits::<Test>::get(id).is_none());
	});
}

#[test]
fn an_accepted_institution_record_keeps_the_institutions_deposit_until_retired() {
	ExtBuilder.build_and_execute(|| {
		let id = hospital_proposes(b"bafy-letter");
		let deposit = held(HOSPITAL);
		assert!(deposit > RECORD_DEPOSIT_BASE);
		assert_eq!(held(ALICE), 0);
		assert_ok!(Vaults::accept_record(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(held(HOSPITAL), deposit);
		assert_eq!(held(ALICE), 0);
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(held(HOSPITAL), 0);
		assert_eq!(Balances::balance(&HOSPITAL), ENDOWMENT);
	});
}

#[test]
fn register_record_refuses_a_signer_who_cannot_pay_the_deposit() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(BROKE),
				BROKE,
				cid(b"bafy-broke"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::InsufficientDeposit
		);
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(BROKE_CLINIC),
				ALICE,
				cid(b"bafy-from-a-broke-clinic"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::InsufficientDeposit
		);
	});
}

#[test]
fn register_record_refuses_others_than_owner_or_institution() {
	ExtBuilder.build_and_execute(|| {
		for who in [MALLORY, STEWARD] {
			assert_noop!(
				Vaults::register_record(
					RuntimeOrigin::signed(who),
					ALICE,
					cid(b"x"),
					hash(),
					1,
					categories(&[Conditions]),
					STEWARD
				),
				Error::<Test>::NotOwnerOrInstitution
			);
		}
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				cid(b"x"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::NotOwnerOrInstitution
		);
	});
}

#[test]
fn register_record_refuses_an_empty_cid() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				cid(b""),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn register_record_refuses_a_record_without_categories() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				cid(b"x"),
				hash(),
				1,
				categories(&[]),
				STEWARD
			),
			Error::<Test>::NoCategories
		);
	});
}

#[test]
fn register_record_refuses_a_steward_that_is_not_active() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				cid(b"x"),
				hash(),
				1,
				categories(&[Conditions]),
				HOSPITAL
			),
			Error::<Test>::NotActiveSteward
		);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), STEWARD));
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				cid(b"x"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::NotActiveSteward
		);
	});
}

#[test]
fn register_record_refuses_a_cid_its_owner_registered_before() {
	ExtBuilder.build_and_execute(|| {
		record(ALICE, b"bafy-same", &[Conditions]);
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				cid(b"bafy-same"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::CidAlreadyRegistered
		);
		// Nor may an institution propose it to her again.
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				cid(b"bafy-same"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::CidAlreadyRegistered
		);
	});
}

#[test]
fn a_squatters_registration_of_a_cid_does_not_stop_its_owner() {
	ExtBuilder.build_and_execute(|| {
		// Mallory saw Alice's CID on its way to the chain and registers it first as his own.
		let squatted = record(MALLORY, b"bafy-alice-labs", &[Conditions]);
		let id = record(ALICE, b"bafy-alice-labs", &[LaboratoryResults]);
		assert_ne!(squatted, id);
		assert_eq!(RecordByCid::<Test>::get(ALICE, cid(b"bafy-alice-labs")), Some(id));
		assert_eq!(RecordByCid::<Test>::get(MALLORY, cid(b"bafy-alice-labs")), Some(squatted));
		assert_eq!(RecordsOf::<Test>::get(ALICE).into_inner(), vec![id]);
	});
}

#[test]
fn register_record_refuses_more_than_max_records_per_owner() {
	ExtBuilder.build_and_execute(|| {
		for i in 0..4u8 {
			record(ALICE, &[b'r', i], &[Conditions]);
		}
		assert_noop!(
			Vaults::register_record(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				cid(b"r5"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			Error::<Test>::TooManyRecords
		);
	});
}

// ---- open_vault ----

#[test]
fn open_vault_shares_a_record_until_its_expiry() {
	ExtBuilder.build_and_execute(|| {
		let (record, grant, vault) = alice_shares_labs_with_hospital();
		let v = VaultStore::<Test>::get(vault).unwrap();
		assert_eq!(
			(v.grant, v.record, v.subject, v.grantee, v.steward),
			(grant, record, ALICE, HOSPITAL, STEWARD)
		);
		assert_eq!((v.opened_at, v.expires_at, v.state), (1, 20, VaultState::Open));
		assert_eq!(ExpiryQueue::<Test>::get(20).into_inner(), vec![vault]);
		assert_eq!(VaultsOfGrant::<Test>::get(grant).into_inner(), vec![vault]);
		assert_eq!(VaultsOfRecord::<Test>::get(record).into_inner(), vec![vault]);
		assert!(Vaults::is_vault_open(vault, 19));
		assert!(!Vaults::is_vault_open(vault, 20));
		assert_eq!(
			pin_targets(Vaults::must_pin(&STEWARD)),
			vec![PinTarget::Record(record), PinTarget::Vault(vault)]
		);
		System::assert_last_event(
			Event::VaultOpened {
				vault,
				grant,
				record,
				subject: ALICE,
				grantee: HOSPITAL,
				cid: cid(b"bafy-vault-for-hospital"),
				expires_at: 20,
			}
			.into(),
		);
	});
}

#[test]
fn open_vault_by_a_delegate_is_allowed() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		let record = record(ALICE, b"r", &[Conditions]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_ok!(Vaults::open_vault(
			RuntimeOrigin::signed(CAREGIVER),
			grant,
			record,
			cid(b"v"),
			10
		));
		assert_eq!(VaultStore::<Test>::get(0).unwrap().opened_by, CAREGIVER);
	});
}

#[test]
fn open_vault_refuses_an_unknown_grant() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), 5, record, cid(b"v"), 10),
			Error::<Test>::UnknownGrant
		);
	});
}

#[test]
fn open_vault_refuses_anyone_but_the_subject_or_a_delegate() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		for who in [HOSPITAL, MALLORY] {
			assert_noop!(
				Vaults::open_vault(RuntimeOrigin::signed(who), grant, record, cid(b"v"), 10),
				Error::<Test>::NotSubjectOrDelegate
			);
		}
	});
}

#[test]
fn open_vault_refuses_a_consortium_wide_grant() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		assert_ok!(Consent::grant_consortium_wide(
			RuntimeOrigin::signed(ALICE),
			ALICE,
			vec![Conditions].try_into().unwrap(),
			PurposeOfUse::PUBHLTH,
			period(1, 50)
		));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), 0, record, cid(b"v"), 10),
			Error::<Test>::ConsortiumWideGrant
		);
	});
}

#[test]
fn open_vault_refuses_a_grant_that_is_not_live() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		// Revoked.
		let revoked = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(ALICE), revoked));
		// Not started: granted for blocks 30..50 of a request for 1..50.
		let request = pallet_consent::NextRequestId::<Test>::get();
		assert_ok!(Consent::request(
			RuntimeOrigin::signed(HOSPITAL),
			ALICE,
			vec![Conditions].try_into().unwrap(),
			PurposeOfUse::TREAT,
			period(1, 50),
			[1; 32]
		));
		let later = pallet_consent::NextGrantId::<Test>::get();
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(ALICE),
			request,
			None,
			Some(period(30, 50))
		));
		// Held by a suspended institution.
		let suspended = grant(LAB, ALICE, &[Conditions], period(1, 50));
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), LAB));
		// Ended.
		let ended = grant(HOSPITAL, ALICE, &[Conditions], period(1, 5));
		run_to_block(5);
		for g in [revoked, later, suspended, ended] {
			assert_noop!(
				Vaults::open_vault(RuntimeOrigin::signed(ALICE), g, record, cid(b"v"), 6),
				Error::<Test>::GrantNotLive
			);
		}
	});
}

#[test]
fn open_vault_refuses_an_unknown_record() {
	ExtBuilder.build_and_execute(|| {
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, 9, cid(b"v"), 10),
			Error::<Test>::UnknownRecord
		);
	});
}

#[test]
fn open_vault_refuses_someone_elses_record() {
	ExtBuilder.build_and_execute(|| {
		let bobs = record(BOB, b"bob", &[Conditions]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, bobs, cid(b"v"), 10),
			Error::<Test>::NotRecordOwner
		);
	});
}

#[test]
fn open_vault_refuses_a_retired_record() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), record));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, record, cid(b"v"), 10),
			Error::<Test>::RecordRetired
		);
	});
}

#[test]
fn open_vault_refuses_a_record_the_grant_does_not_cover() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions, Genomics]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, record, cid(b"v"), 10),
			Error::<Test>::ScopeDoesNotCover
		);
	});
}

#[test]
fn open_vault_refuses_an_empty_cid() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, record, cid(b""), 10),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn open_vault_refuses_an_expiry_that_is_not_in_the_future() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, record, cid(b"v"), 1),
			Error::<Test>::ExpiryNotInFuture
		);
	});
}

#[test]
fn open_vault_refuses_an_expiry_after_the_grant_ends() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, record, cid(b"v"), 51),
			Error::<Test>::ExpiryAfterGrantEnd
		);
		// The grant's end itself is allowed.
		assert_ok!(Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, record, cid(b"v"), 50));
	});
}

#[test]
fn open_vault_refuses_while_the_records_steward_is_suspended() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), STEWARD));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, record, cid(b"v"), 10),
			Error::<Test>::NotActiveSteward
		);
	});
}

#[test]
fn open_vault_refuses_more_than_max_vaults_per_grant() {
	ExtBuilder.build_and_execute(|| {
		let grant = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		for i in 0..3u8 {
			let r = record(ALICE, &[b'r', i], &[Conditions]);
			open(grant, r, 10 + i as u64);
		}
		let fourth = record(ALICE, b"r4", &[Conditions]);
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), grant, fourth, cid(b"v"), 20),
			Error::<Test>::TooManyVaultsForGrant
		);
	});
}

#[test]
fn open_vault_refuses_more_than_max_vaults_per_record() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		for i in 0..3u64 {
			let g =
				grant(if i % 2 == 0 { HOSPITAL } else { LAB }, ALICE, &[Conditions], period(1, 50));
			open(g, record, 10 + i);
		}
		let fourth = grant(LAB, ALICE, &[Conditions], period(1, 50));
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), fourth, record, cid(b"v"), 20),
			Error::<Test>::TooManyVaultsForRecord
		);
	});
}

#[test]
fn open_vault_refuses_a_full_expiry_block() {
	ExtBuilder.build_and_execute(|| {
		let g1 = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		let g2 = grant(LAB, ALICE, &[Conditions], period(1, 50));
		let g3 = grant(LAB, ALICE, &[Conditions], period(1, 50));
		let r1 = record(ALICE, b"r1", &[Conditions]);
		let r2 = record(ALICE, b"r2", &[Conditions]);
		let r3 = record(ALICE, b"r3", &[Conditions]);
		for (g, r) in [(g1, r1), (g1, r2), (g2, r1), (g2, r2)] {
			open(g, r, 30);
		}
		assert_noop!(
			Vaults::open_vault(RuntimeOrigin::signed(ALICE), g3, r3, cid(b"v"), 30),
			Error::<Test>::ExpiryBlockFull
		);
		assert_ok!(Vaults::open_vault(RuntimeOrigin::signed(ALICE), g3, r3, cid(b"v"), 31));
	});
}

// ---- close_vault ----

#[test]
fn close_vault_by_the_subject_ends_it_early() {
	ExtBuilder.build_and_execute(|| {
		let (_, grant, vault) = alice_shares_labs_with_hospital();
		run_to_block(4);
		assert_ok!(Vaults::close_vault(RuntimeOrigin::signed(ALICE), vault));
		assert_eq!(
			VaultStore::<Test>::get(vault).unwrap().state,
			VaultState::Closed { at: 4, reason: CloseReason::BySubject }
		);
		assert!(VaultsOfGrant::<Test>::get(grant).is_empty());
		assert_eq!(pin_targets(Vaults::must_unpin(&STEWARD)), vec![PinTarget::Vault(vault)]);
		System::assert_last_event(
			Event::VaultClosed { vault, grant, reason: CloseReason::BySubject }.into(),
		);
		// The queue later skips it.
		run_to_block(21);
		assert_eq!(
			VaultStore::<Test>::get(vault).unwrap().state,
			VaultState::Closed { at: 4, reason: CloseReason::BySubject }
		);
	});
}

#[test]
fn close_vault_by_the_grantee_records_who_closed_it() {
	ExtBuilder.build_and_execute(|| {
		let (_, grant, vault) = alice_shares_labs_with_hospital();
		assert_ok!(Vaults::close_vault(RuntimeOrigin::signed(HOSPITAL), vault));
		System::assert_last_event(
			Event::VaultClosed { vault, grant, reason: CloseReason::ByGrantee }.into(),
		);
	});
}

#[test]
fn close_vault_refuses_an_unknown_vault() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::close_vault(RuntimeOrigin::signed(ALICE), 3),
			Error::<Test>::UnknownVault
		);
	});
}

#[test]
fn close_vault_refuses_anyone_but_subject_or_grantee() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		for who in [LAB, MALLORY, STEWARD] {
			assert_noop!(
				Vaults::close_vault(RuntimeOrigin::signed(who), vault),
				Error::<Test>::NotSubjectOrGrantee
			);
		}
	});
}

#[test]
fn close_vault_refuses_a_vault_that_ended() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		assert_ok!(Vaults::close_vault(RuntimeOrigin::signed(ALICE), vault));
		assert_noop!(
			Vaults::close_vault(RuntimeOrigin::signed(ALICE), vault),
			Error::<Test>::VaultNotOpen
		);
	});
}

// ---- expiry ----

#[test]
fn a_vault_expires_in_its_expiry_block() {
	ExtBuilder.build_and_execute(|| {
		let (_, grant, vault) = alice_shares_labs_with_hospital();
		run_to_block(19);
		assert_eq!(VaultStore::<Test>::get(vault).unwrap().state, VaultState::Open);
		run_to_block(20);
		assert_eq!(VaultStore::<Test>::get(vault).unwrap().state, VaultState::Expired { at: 20 });
		assert!(!ExpiryQueue::<Test>::contains_key(20));
		assert_eq!(ExpiryCursor::<Test>::get(), Some(21));
		assert_eq!(pin_targets(Vaults::must_pin(&STEWARD)), vec![PinTarget::Record(0)]);
		assert_eq!(pin_targets(Vaults::must_unpin(&STEWARD)), vec![PinTarget::Vault(vault)]);
		System::assert_last_event(Event::VaultExpired { vault, grant }.into());
	});
}

#[test]
fn expiry_work_beyond_the_block_limit_carries_over_and_nothing_is_skipped() {
	ExtBuilder.build_and_execute(|| {
		// Four vaults expire at block 10; MaxExpiriesPerBlock is 3.
		let g1 = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		let g2 = grant(LAB, ALICE, &[Conditions], period(1, 50));
		let r1 = record(ALICE, b"r1", &[Conditions]);
		let r2 = record(ALICE, b"r2", &[Conditions]);
		let vaults: Vec<_> = [(g1, r1), (g1, r2), (g2, r1), (g2, r2)]
			.into_iter()
			.map(|(g, r)| open(g, r, 10))
			.collect();
		// And one at block 11.
		let r3 = record(ALICE, b"r3", &[Conditions]);
		let last = open(g2, r3, 11);

		run_to_block(10);
		let expired = |v: VaultId| {
			matches!(VaultStore::<Test>::get(v).unwrap().state, VaultState::Expired { .. })
		};
		assert_eq!(vaults.iter().filter(|v| expired(**v)).count(), 3);
		assert_eq!(ExpiryQueue::<Test>::get(10).len(), 1);
		assert_eq!(ExpiryCursor::<Test>::get(), Some(10));
		// Not yet processed, but already not to be pinned: queries compare with the block.
		assert!(!Vaults::is_vault_open(vaults[3], 10));
		assert!(!pin_targets(Vaults::must_pin(&STEWARD)).contains(&PinTarget::Vault(vaults[3])));
		assert!(pin_targets(Vaults::must_unpin(&STEWARD)).contains(&PinTarget::Vault(vaults[3])));

		run_to_block(11);
		assert!(vaults.iter().all(|v| expired(*v)));
		assert!(expired(last));
		assert_eq!(
			VaultStore::<Test>::get(vaults[3]).unwrap().state,
			VaultState::Expired { at: 11 }
		);
		assert_eq!(ExpiryCursor::<Test>::get(), Some(12));
	});
}

// ---- confirm_unpinned ----

#[test]
fn confirm_unpinned_records_the_stewards_confirmation() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		run_to_block(22);
		assert_ok!(Vaults::confirm_unpinned(
			RuntimeOrigin::signed(STEWARD),
			PinTarget::Vault(vault)
		));
		assert_eq!(
			VaultStore::<Test>::get(vault).unwrap().unpinned,
			Some(Unpinned { by: STEWARD, at: 22 })
		);
		assert!(Vaults::must_unpin(&STEWARD).is_empty());
		System::assert_last_event(
			Event::UnpinConfirmed { target: PinTarget::Vault(vault), steward: STEWARD }.into(),
		);
	});
}

#[test]
fn confirm_unpinned_of_a_retired_record() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), record));
		assert_eq!(pin_targets(Vaults::must_unpin(&STEWARD)), vec![PinTarget::Record(record)]);
		assert_ok!(Vaults::confirm_unpinned(
			RuntimeOrigin::signed(STEWARD),
			PinTarget::Record(record)
		));
		assert_eq!(Records::<Test>::get(record).unwrap().unpinned_at, Some(1));
		assert!(Vaults::must_unpin(&STEWARD).is_empty());
	});
}

#[test]
fn confirm_unpinned_ends_a_vault_whose_grantee_was_suspended() {
	ExtBuilder.build_and_execute(|| {
		let (_, grant, vault) = alice_shares_labs_with_hospital();
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		// Before the revocation queue runs, the vault is already not to be pinned.
		assert!(!Vaults::is_vault_open(vault, 1));
		assert_eq!(pin_targets(Vaults::must_unpin(&STEWARD)), vec![PinTarget::Vault(vault)]);
		assert_ok!(Vaults::confirm_unpinned(
			RuntimeOrigin::signed(STEWARD),
			PinTarget::Vault(vault)
		));
		assert_eq!(
			VaultStore::<Test>::get(vault).unwrap().state,
			VaultState::Closed { at: 1, reason: CloseReason::GrantRevoked }
		);
		System::assert_has_event(
			Event::VaultClosed { vault, grant, reason: CloseReason::GrantRevoked }.into(),
		);
		run_to_block(2);
		assert!(matches!(
			pallet_consent::Grants::<Test>::get(grant).unwrap().status,
			GrantStatus::Revoked { reason: RevocationReason::GranteeSuspended, .. }
		));
	});
}

#[test]
fn confirm_unpinned_needs_an_active_steward() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), record));
		assert_noop!(
			Vaults::confirm_unpinned(RuntimeOrigin::signed(HOSPITAL), PinTarget::Record(record)),
			Error::<Test>::NotActiveSteward
		);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), STEWARD));
		assert_noop!(
			Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD), PinTarget::Record(record)),
			Error::<Test>::NotActiveSteward
		);
	});
}

#[test]
fn confirm_unpinned_refuses_an_unknown_vault() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD), PinTarget::Vault(4)),
			Error::<Test>::UnknownVault
		);
	});
}

#[test]
fn confirm_unpinned_refuses_an_unknown_record() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD), PinTarget::Record(4)),
			Error::<Test>::UnknownRecord
		);
	});
}

#[test]
fn confirm_unpinned_refuses_another_steward() {
	ExtBuilder.build_and_execute(|| {
		let (record, _, vault) = alice_shares_labs_with_hospital();
		run_to_block(20);
		assert_noop!(
			Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD_TWO), PinTarget::Vault(vault)),
			Error::<Test>::NotAssignedSteward
		);
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), record));
		assert_noop!(
			Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD_TWO), PinTarget::Record(record)),
			Error::<Test>::NotAssignedSteward
		);
	});
}

#[test]
fn confirm_unpinned_refuses_an_open_vault() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		assert_noop!(
			Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD), PinTarget::Vault(vault)),
			Error::<Test>::VaultStillOpen
		);
	});
}

#[test]
fn confirm_unpinned_refuses_a_record_that_is_not_retired() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		assert_noop!(
			Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD), PinTarget::Record(record)),
			Error::<Test>::RecordNotRetired
		);
	});
}

#[test]
fn confirm_unpinned_refuses_a_second_confirmation() {
	ExtBuilder.build_and_execute(|| {
		let (record, _, vault) = alice_shares_labs_with_hospital();
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), record));
		for target in [PinTarget::Vault(vault), PinTarget::Record(record)] {
			assert_ok!(Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD), target));
			assert_noop!(
				Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD), target),
				Error::<Test>::AlreadyUnpinned
			);
		}
	});
}

// ---- attest_removal ----

#[test]
fn attest_removal_records_the_grantees_statement() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		run_to_block(25);
		assert_ok!(Vaults::attest_removal(
			RuntimeOrigin::signed(HOSPITAL),
			vault,
			cid(b"bafy-vault-for-hospital")
		));
		assert_eq!(VaultStore::<Test>::get(vault).unwrap().removal_attested_at, Some(25));
		System::assert_last_event(
			Event::RemovalAttested {
				vault,
				grantee: HOSPITAL,
				cid: cid(b"bafy-vault-for-hospital"),
			}
			.into(),
		);
	});
}

#[test]
fn attest_removal_ends_a_vault_whose_expiry_block_came() {
	ExtBuilder.build_and_execute(|| {
		let (_, grant, vault) = alice_shares_labs_with_hospital();
		// Jump to block 20 without running the hooks, as if the queue were behind.
		System::set_block_number(20);
		assert_ok!(Vaults::attest_removal(
			RuntimeOrigin::signed(HOSPITAL),
			vault,
			cid(b"bafy-vault-for-hospital")
		));
		assert_eq!(VaultStore::<Test>::get(vault).unwrap().state, VaultState::Expired { at: 20 });
		System::assert_has_event(Event::VaultExpired { vault, grant }.into());
	});
}

#[test]
fn attest_removal_refuses_an_unknown_vault() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::attest_removal(RuntimeOrigin::signed(HOSPITAL), 0, cid(b"v")),
			Error::<Test>::UnknownVault
		);
	});
}

#[test]
fn attest_removal_refuses_anyone_but_the_grantee() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		run_to_block(20);
		assert_noop!(
			Vaults::attest_removal(
				RuntimeOrigin::signed(LAB),
				vault,
				cid(b"bafy-vault-for-hospital")
			),
			Error::<Test>::NotGrantee
		);
	});
}

#[test]
fn attest_removal_refuses_another_cid() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		run_to_block(20);
		assert_noop!(
			Vaults::attest_removal(
				RuntimeOrigin::signed(HOSPITAL),
				vault,
				cid(b"bafy-something-else")
			),
			Error::<Test>::CidMismatch
		);
	});
}

#[test]
fn attest_removal_refuses_an_open_vault() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		assert_noop!(
			Vaults::attest_removal(
				RuntimeOrigin::signed(HOSPITAL),
				vault,
				cid(b"bafy-vault-for-hospital")
			),
			Error::<Test>::VaultStillOpen
		);
	});
}

#[test]
fn attest_removal_refuses_a_second_attestation() {
	ExtBuilder.build_and_execute(|| {
		let (_, _, vault) = alice_shares_labs_with_hospital();
		assert_ok!(Vaults::close_vault(RuntimeOrigin::signed(HOSPITAL), vault));
		assert_ok!(Vaults::attest_removal(
			RuntimeOrigin::signed(HOSPITAL),
			vault,
			cid(b"bafy-vault-for-hospital")
		));
		assert_noop!(
			Vaults::attest_removal(
				RuntimeOrigin::signed(HOSPITAL),
				vault,
				cid(b"bafy-vault-for-hospital")
			),
			Error::<Test>::AlreadyAttested
		);
	});
}

// ---- retire_record ----

#[test]
fn retire_record_closes_every_vault_holding_it() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		let other = record_of_alice_b();
		let g1 = grant(HOSPITAL, ALICE, &[Conditions], period(1, 50));
		let g2 = grant(LAB, ALICE, &[Conditions], period(1, 50));
		let v1 = open(g1, record, 10);
		let v2 = open(g2, record, 12);
		let untouched = open(g1, other, 12);
		run_to_block(3);
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), record));
		for v in [v1, v2] {
			assert_eq!(
				VaultStore::<Test>::get(v).unwrap().state,
				VaultState::Closed { at: 3, reason: CloseReason::RecordRetired }
			);
		}
		assert_eq!(VaultStore::<Test>::get(untouched).unwrap().state, VaultState::Open);
		assert_eq!(Records::<Test>::get(record).unwrap().retired_at, Some(3));
		assert_eq!(RecordsOf::<Test>::get(ALICE).into_inner(), vec![other]);
		assert_eq!(
			pin_targets(Vaults::must_unpin(&STEWARD)),
			vec![PinTarget::Record(record), PinTarget::Vault(v1), PinTarget::Vault(v2)]
		);
		System::assert_last_event(
			Event::RecordRetired { record, owner: ALICE, vaults_closed: 2 }.into(),
		);
	});
}

fn record_of_alice_b() -> RecordId {
	record(ALICE, b"other", &[Conditions])
}

#[test]
fn retire_record_by_a_delegate_is_allowed() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(CAREGIVER), record));
	});
}

#[test]
fn retire_record_refuses_an_unknown_record() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Vaults::retire_record(RuntimeOrigin::signed(ALICE), 2),
			Error::<Test>::UnknownRecord
		);
	});
}

#[test]
fn retire_record_refuses_anyone_but_the_owner_or_a_delegate() {
	ExtBuilder.build_and_execute(|| {
		// Registered by the hospital, accepted by Alice: hers.
		assert_ok!(Vaults::register_record(
			RuntimeOrigin::signed(HOSPITAL),
			ALICE,
			cid(b"r"),
			hash(),
			1,
			categories(&[Conditions]),
			STEWARD
		));
		assert_ok!(Vaults::accept_record(RuntimeOrigin::signed(ALICE), 0));
		for who in [HOSPITAL, MALLORY] {
			assert_noop!(
				Vaults::retire_record(RuntimeOrigin::signed(who), 0),
				Error::<Test>::NotSubjectOrDelegate
			);
		}
	});
}

#[test]
fn retire_record_refuses_a_retired_record() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"r", &[Conditions]);
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), record));
		assert_noop!(
			Vaults::retire_record(RuntimeOrigin::signed(ALICE), record),
			Error::<Test>::RecordRetired
		);
	});
}

// ---- revocation ----

#[test]
fn revoking_a_grant_closes_its_vaults_at_once() {
	ExtBuilder.build_and_execute(|| {
		let (_, grant, vault) = alice_shares_labs_with_hospital();
		run_to_block(5);
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(ALICE), grant));
		assert_eq!(
			VaultStore::<Test>::get(vault).unwrap().state,
			VaultState::Closed { at: 5, reason: CloseReason::GrantRevoked }
		);
		System::assert_has_event(
			Event::VaultClosed { vault, grant, reason: CloseReason::GrantRevoked }.into(),
		);
	});
}

#[test]
fn suspending_the_grantee_closes_its_vaults_through_the_revocation_queue() {
	ExtBuilder.build_and_execute(|| {
		let (_, grant, vault) = alice_shares_labs_with_hospital();
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert!(!Vaults::is_vault_open(vault, 1));
		assert!(!Consent::is_authorized(
			&HOSPITAL,
			&ALICE,
			LaboratoryResults,
			PurposeOfUse::TREAT,
			1
		));
		run_to_block(2);
		assert_eq!(
			VaultStore::<Test>::get(vault).unwrap().state,
			VaultState::Closed { at: 2, reason: CloseReason::GrantRevoked }
		);
		assert!(matches!(
			pallet_consent::Grants::<Test>::get(grant).unwrap().status,
			GrantStatus::Revoked { .. }
		));
	});
}

#[test]
fn every_call_needs_a_signed_origin() {
	ExtBuilder.build_and_execute(|| {
		let none = || RuntimeOrigin::none();
		assert_noop!(
			Vaults::register_record(
				none(),
				ALICE,
				cid(b"x"),
				hash(),
				1,
				categories(&[Conditions]),
				STEWARD
			),
			BadOrigin
		);
		assert_noop!(Vaults::open_vault(none(), 0, 0, cid(b"v"), 10), BadOrigin);
		assert_noop!(Vaults::close_vault(none(), 0), BadOrigin);
		assert_noop!(Vaults::confirm_unpinned(none(), PinTarget::Vault(0)), BadOrigin);
		assert_noop!(Vaults::attest_removal(none(), 0, cid(b"v")), BadOrigin);
		assert_noop!(Vaults::retire_record(none(), 0), BadOrigin);
		assert_noop!(
			Vaults::report_unfetchable(none(), 0, UnfetchableReason::Unreachable, 0),
			BadOrigin
		);
		assert_noop!(Vaults::set_unfetchable_after(none(), 3), BadOrigin);
	});
}

// ---- the audit trail ----

#[test]
fn the_audit_trail_of_one_vault_reads_back_from_events_and_storage() {
	ExtBuilder.build_and_execute(|| {
		let record = record(ALICE, b"bafy-alice-labs", &[LaboratoryResults]);
		let vault_cid = cid(b"bafy-labs-for-hospital");

		// Block 1: the hospital asks.
		assert_ok!(Consent::request(
			RuntimeOrigin::signed(HOSPITAL),
			ALICE,
			vec![LaboratoryResults, VitalSigns].try_into().unwrap(),
			PurposeOfUse::TREAT,
			period(1, 60),
			[77; 32],
		));
		// Block 2: Alice grants lab results only, for blocks 2..40.
		run_to_block(2);
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(ALICE),
			0,
			Some(vec![LaboratoryResults].try_into().unwrap()),
			Some(period(2, 40))
		));
		// Block 3: Alice opens a vault until block 30.
		run_to_block(3);
		assert_ok!(Vaults::open_vault(
			RuntimeOrigin::signed(ALICE),
			0,
			record,
			vault_cid.clone(),
			30
		));
		// Block 30: the vault expires. Block 31: the steward confirms the unpin. Block 32: the
		// hospital attests removal.
		run_to_block(31);
		assert_ok!(Vaults::confirm_unpinned(RuntimeOrigin::signed(STEWARD), PinTarget::Vault(0)));
		run_to_block(32);
		assert_ok!(Vaults::attest_removal(RuntimeOrigin::signed(HOSPITAL), 0, vault_cid.clone()));

		// Read the trail back from events: every event about request 0, grant 0 or vault 0.
		let trail: Vec<RuntimeEvent> = System::events()
			.into_iter()
			.map(|r| r.event)
			.filter(|e| match e {
				RuntimeEvent::Consent(pallet_consent::Event::ConsentRequested {
					request, ..
				}) => *request == 0,
				RuntimeEvent::Consent(pallet_consent::Event::ConsentGranted { grant, .. }) => {
					*grant == 0
				},
				RuntimeEvent::Vaults(
					Event::VaultOpened { vault, .. }
					| Event::VaultExpired { vault, .. }
					| Event::VaultClosed { vault, .. }
					| Event::RemovalAttested { vault, .. },
				) => *vault == 0,
				RuntimeEvent::Vaults(Event::UnpinConfirmed { target, .. }) => {
					*target == PinTarget::Vault(0)
				},
				_ => false,
			})
			.collect();
		assert_eq!(
			trail,
			vec![
				RuntimeEvent::Consent(pallet_consent::Event::ConsentRequested {
					request: 0,
					institution: HOSPITAL,
					subject: ALICE,
					scope: vec![LaboratoryResults, VitalSigns].try_into().unwrap(),
					purpose: PurposeOfUse::TREAT,
					period: period(1, 60),
				}),
				RuntimeEvent::Consent(pallet_consent::Event::ConsentGranted {
					request: 0,
					grant: 0,
					subject: ALICE,
					institution: HOSPITAL,
					scope: vec![LaboratoryResults].try_into().unwrap(),
					purpose: PurposeOfUse::TREAT,
					period: period(2, 40),
					by: ALICE,
				}),
				RuntimeEvent::Vaults(Event::VaultOpened {
					vault: 0,
					grant: 0,
					record,
					subject: ALICE,
					grantee: HOSPITAL,
					cid: vault_cid.clone(),
					expires_at: 30,
				}),
				RuntimeEvent::Vaults(Event::VaultExpired { vault: 0, grant: 0 }),
				RuntimeEvent::Vaults(Event::UnpinConfirmed {
					target: PinTarget::Vault(0),
					steward: STEWARD
				}),
				RuntimeEvent::Vaults(Event::RemovalAttested {
					vault: 0,
					grantee: HOSPITAL,
					cid: vault_cid.clone()
				}),
			]
		);

		// And from storage, with the block of every step.
		let request = pallet_consent::Requests::<Test>::get(0).unwrap();
		assert_eq!(request.requested_at, 1);
		assert_eq!(request.status, RequestStatus::Granted { grant: 0 });
		assert_eq!(
			(request.consortium_key, request.institution_key, request.requester_key),
			([42; 32], [1; 32], [77; 32])
		);
		let grant = Consent::grant_info(0).unwrap();
		assert_eq!(grant.period, period(2, 40));
		let stored_grant = pallet_consent::Grants::<Test>::get(0).unwrap();
		assert_eq!((stored_grant.request, stored_grant.granted_at), (Some(0), 2));
		let vault = VaultStore::<Test>::get(0).unwrap();
		assert_eq!((vault.grant, vault.record, vault.cid.clone()), (0, record, vault_cid));
		assert_eq!(vault.opened_at, 3);
		assert_eq!(vault.expires_at, 30);
		assert_eq!(vault.state, VaultState::Expired { at: 30 });
		assert_eq!(vault.unpinned, Some(Unpinned { by: STEWARD, at: 31 }));
		assert_eq!(vault.removal_attested_at, Some(32));
		assert!(Vaults::must_unpin(&STEWARD).is_empty());
	});
}

// ---- unfetchable records ----

/// Alice's record, stewarded by `STEWARD`, registered at block 1; the chain then runs to the
/// first block at which a steward failing since block 1 may report it (the default threshold).
fn alices_record_gone_for_the_threshold() -> RecordId {
	let id = record(ALICE, b"bafy-gone", &[Conditions]);
	run_to_block(1 + UnfetchableAfter::<Test>::get());
	id
}

fn report(who: u64, record: RecordId, since: u64) -> DispatchResult {
	Vaults::report_unfetchable(
		RuntimeOrigin::signed(who),
		record,
		UnfetchableReason::Unreachable,
		since,
	)
}

#[test]
fn report_unfetchable_tells_the_owner_once_the_steward_failed_for_the_threshold() {
	ExtBuilder.build_and_execute(|| {
		let id = alices_record_gone_for_the_threshold();
		assert_ok!(Vaults::report_unfetchable(
			RuntimeOrigin::signed(STEWARD),
			id,
			UnfetchableReason::TooLarge,
			1,
		));
		System::assert_last_event(
			Event::RecordUnfetchable {
				owner: ALICE,
				record: id,
				steward: STEWARD,
				reason: UnfetchableReason::TooLarge,
				since: 1,
			}
			.into(),
		);
		assert_eq!(
			UnfetchableRecords::<Test>::get(id),
			Some(UnfetchableReport {
				steward: STEWARD,
				reason: UnfetchableReason::TooLarge,
				since: 1,
				reported_at: 11,
			})
		);
		// The record stays Alice's and her steward's to pin: the report only makes it visible.
		assert_eq!(pin_targets(Vaults::must_pin(&STEWARD)), vec![PinTarget::Record(id)]);
	});
}

#[test]
fn report_unfetchable_refuses_a_second_report_of_a_record() {
	ExtBuilder.build_and_execute(|| {
		let id = alices_record_gone_for_the_threshold();
		assert_ok!(report(STEWARD, id, 1));
		run_to_block(30);
		assert_noop!(report(STEWARD, id, 1), Error::<Test>::AlreadyReportedUnfetchable);
		assert_noop!(report(STEWARD, id, 15), Error::<Test>::AlreadyReportedUnfetchable);
	});
}

#[test]
fn report_unfetchable_refuses_before_the_threshold() {
	ExtBuilder.build_and_execute(|| {
		let id = alices_record_gone_for_the_threshold();
		// Failing since block 2: one block short at block 11.
		assert_noop!(report(STEWARD, id, 2), Error::<Test>::NotFailingLongEnough);
		run_to_block(12);
		assert_ok!(report(STEWARD, id, 2));
	});
}

#[test]
fn report_unfetchable_refuses_a_failure_from_the_future_or_before_the_record() {
	ExtBuilder.build_and_execute(|| {
		run_to_block(5);
		let id = record(ALICE, b"bafy-late", &[Conditions]);
		run_to_block(40);
		assert_noop!(report(STEWARD, id, 41), Error::<Test>::FailingSinceInFuture);
		// The record exists since block 5: nobody failed to fetch it before.
		assert_noop!(report(STEWARD, id, 4), Error::<Test>::FailingSinceBeforeRegistration);
		assert_noop!(report(STEWARD, id, 0), Error::<Test>::FailingSinceBeforeRegistration);
		assert_ok!(report(STEWARD, id, 5));
	});
}

#[test]
fn report_unfetchable_counts_an_accepted_record_from_its_acceptance() {
	ExtBuilder.build_and_execute(|| {
		let id = hospital_proposes(b"bafy-letter");
		run_to_block(20);
		// Pending, nobody pins it: there is no record to report yet.
		assert_noop!(report(STEWARD_TWO, id, 1), Error::<Test>::UnknownRecord);
		assert_ok!(Vaults::accept_record(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(report(STEWARD_TWO, id, 19), Error::<Test>::FailingSinceBeforeRegistration);
		run_to_block(30);
		assert_ok!(report(STEWARD_TWO, id, 20));
	});
}

#[test]
fn report_unfetchable_needs_the_records_active_steward() {
	ExtBuilder.build_and_execute(|| {
		let id = alices_record_gone_for_the_threshold();
		for who in [ALICE, MALLORY, HOSPITAL] {
			assert_noop!(report(who, id, 1), Error::<Test>::NotActiveSteward);
		}
		assert_noop!(report(STEWARD_TWO, id, 1), Error::<Test>::NotAssignedSteward);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), STEWARD));
		assert_noop!(report(STEWARD, id, 1), Error::<Test>::NotActiveSteward);
	});
}

#[test]
fn report_unfetchable_refuses_an_unknown_or_retired_record() {
	ExtBuilder.build_and_execute(|| {
		let id = alices_record_gone_for_the_threshold();
		assert_noop!(report(STEWARD, id + 1, 1), Error::<Test>::UnknownRecord);
		assert_ok!(Vaults::retire_record(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(report(STEWARD, id, 1), Error::<Test>::RecordRetired);
	});
}

#[test]
fn set_unfetchable_after_by_governance_changes_how_long_a_steward_waits() {
	ExtBuilder.build_and_execute(|| {
		let id = record(ALICE, b"bafy-gone", &[Conditions]);
		run_to_block(4);
		assert_noop!(report(STEWARD, id, 1), Error::<Test>::NotFailingLongEnough);
		assert_ok!(Vaults::set_unfetchable_after(RuntimeOrigin::root(), 3));
		System::assert_last_event(Event::UnfetchableAfterSet { blocks: 3 }.into());
		assert_eq!(UnfetchableAfter::<Test>::get(), 3);
		assert_ok!(report(STEWARD, id, 1));
	});
}

#[test]
fn set_unfetchable_after_refuses_others_than_governance_and_zero() {
	ExtBuilder.build_and_execute(|| {
		for who in [ALICE, STEWARD, HOSPITAL] {
			assert_noop!(Vaults::set_unfetchable_after(RuntimeOrigin::signed(who), 3), BadOrigin);
		}
		assert_noop!(
			Vaults::set_unfetchable_after(RuntimeOrigin::root(), 0),
			Error::<Test>::ZeroUnfetchableAfter
		);
		assert_eq!(UnfetchableAfter::<Test>::get(), DefaultUnfetchableAfter::get());
	});
}
