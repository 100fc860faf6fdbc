// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Unit tests for `pallet-consent`.

use crate::{mock::*, *};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::DispatchError::BadOrigin;
use DataCategory::*;
use PurposeOfUse::*;

fn request_from(institution: u64, subject: u64, p: Period<u64>) -> RequestId {
	let id = NextRequestId::<Test>::get();
	assert_ok!(Consent::request(
		RuntimeOrigin::signed(institution),
		subject,
		scope(&[LaboratoryResults]),
		TREAT,
		p,
		REQUESTER_KEY,
	));
	id
}

fn request_and_grant(institution: u64, subject: u64, p: Period<u64>) -> GrantId {
	let request = request_from(institution, subject, p);
	let id = NextGrantId::<Test>::get();
	assert_ok!(Consent::grant(RuntimeOrigin::signed(subject), request, None, None));
	id
}

fn authorized(
	institution: u64,
	subject: u64,
	category: DataCategory,
	purpose: PurposeOfUse,
) -> bool {
	Consent::is_authorized(&institution, &subject, category, purpose, System::block_number())
}

// ---- request ----

#[test]
fn request_stores_every_field_of_the_payload() {
	ExtBuilder::default().build_and_execute(|| {
		System::set_block_number(3);
		assert_ok!(Consent::request(
			RuntimeOrigin::signed(HOSPITAL),
			ALICE,
			scope(&[VitalSigns, LaboratoryResults, VitalSigns]),
			TREAT,
			period(5, 105),
			REQUESTER_KEY,
		));
		let request = Requests::<Test>::get(0).unwrap();
		assert_eq!(request.institution, HOSPITAL);
		assert_eq!(request.subject, ALICE);
		// Sorted and without duplicates.
		assert_eq!(request.scope, scope(&[LaboratoryResults, VitalSigns]));
		assert_eq!(request.purpose, TREAT);
		assert_eq!(request.period, period(5, 105));
		assert_eq!(request.timestamp, GENESIS_MILLIS + 3 * BLOCK_MILLIS);
		assert_eq!(request.requested_at, 3);
		assert_eq!(request.consortium_key, CONSORTIUM_KEY);
		assert_eq!(request.institution_key, [1; 32]);
		assert_eq!(request.requester_key, REQUESTER_KEY);
		assert_eq!(request.status, RequestStatus::Pending);
		assert_eq!(PendingRequests::<Test>::get(ALICE).into_inner(), vec![0]);
		System::assert_last_event(
			Event::ConsentRequested {
				request: 0,
				institution: HOSPITAL,
				subject: ALICE,
				scope: scope(&[LaboratoryResults, VitalSigns]),
				purpose: TREAT,
				period: period(5, 105),
			}
			.into(),
		);
	});
}

#[test]
fn request_needs_an_active_institution() {
	ExtBuilder::default().build_and_execute(|| {
		for who in [STEWARD, MALLORY] {
			assert_noop!(
				Consent::request(
					RuntimeOrigin::signed(who),
					ALICE,
					scope(&[Conditions]),
					TREAT,
					period(1, 10),
					REQUESTER_KEY
				),
				Error::<Test>::NotActiveInstitution
			);
		}
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(1, 10),
				REQUESTER_KEY
			),
			Error::<Test>::NotActiveInstitution
		);
	});
}

#[test]
fn request_refuses_an_empty_scope() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				scope(&[]),
				TREAT,
				period(1, 10),
				REQUESTER_KEY
			),
			Error::<Test>::EmptyScope
		);
	});
}

#[test]
fn request_refuses_a_period_that_ends_before_it_starts() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(10, 10),
				REQUESTER_KEY
			),
			Error::<Test>::InvalidPeriod
		);
	});
}

#[test]
fn request_refuses_a_period_that_already_ended() {
	ExtBuilder::default().build_and_execute(|| {
		run_to_block(5);
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(1, 5),
				REQUESTER_KEY
			),
			Error::<Test>::PeriodEnded
		);
	});
}

#[test]
fn request_refuses_a_period_longer_than_max_period() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(1, 1_002),
				REQUESTER_KEY
			),
			Error::<Test>::PeriodTooLong
		);
	});
}

#[test]
fn request_refuses_an_all_zero_requester_key() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(1, 10),
				[0; 32]
			),
			Error::<Test>::InvalidRequesterKey
		);
	});
}

#[test]
fn request_needs_the_consortium_key() {
	ExtBuilder::default().without_consortium_key().build_and_execute(|| {
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(1, 10),
				REQUESTER_KEY
			),
			Error::<Test>::NoConsortiumKey
		);
	});
}

#[test]
fn request_refuses_more_than_max_pending_requests() {
	ExtBuilder::default().build_and_execute(|| {
		request_from(HOSPITAL, ALICE, period(1, 50));
		request_from(HOSPITAL, ALICE, period(1, 50));
		request_from(LAB, ALICE, period(1, 50));
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(LAB),
				ALICE,
				scope(&[Conditions]),
				HRESCH,
				period(1, 10),
				REQUESTER_KEY
			),
			Error::<Test>::TooManyPendingRequests
		);
	});
}

#[test]
fn one_institution_cannot_fill_a_subjects_inbox() {
	ExtBuilder::default().build_and_execute(|| {
		request_from(HOSPITAL, ALICE, period(1, 50));
		request_from(HOSPITAL, ALICE, period(1, 50));
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(HOSPITAL),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(1, 50),
				REQUESTER_KEY
			),
			Error::<Test>::TooManyRequestsFromInstitution
		);
		// The inbox still has room for another institution, and the cap is per subject.
		request_from(LAB, ALICE, period(1, 50));
		request_from(HOSPITAL, BOB, period(1, 50));
	});
}

#[test]
fn requests_whose_period_ended_do_not_count_toward_the_institutions_cap() {
	ExtBuilder::default().build_and_execute(|| {
		request_from(HOSPITAL, ALICE, period(1, 10));
		request_from(HOSPITAL, ALICE, period(1, 50));
		run_to_block(10);
		let third = request_from(HOSPITAL, ALICE, period(10, 20));
		assert!(PendingRequests::<Test>::get(ALICE).contains(&third));
	});
}

#[test]
fn request_drops_lapsed_requests_when_the_list_is_full() {
	ExtBuilder::default().build_and_execute(|| {
		request_from(HOSPITAL, ALICE, period(1, 10));
		request_from(HOSPITAL, ALICE, period(1, 50));
		request_from(LAB, ALICE, period(1, 10));
		run_to_block(10);
		let fourth = request_from(LAB, ALICE, period(10, 20));
		assert_eq!(PendingRequests::<Test>::get(ALICE).into_inner(), vec![1, fourth]);
		assert_eq!(Requests::<Test>::get(0).unwrap().status, RequestStatus::Lapsed { at: 10 });
		assert_eq!(Requests::<Test>::get(2).unwrap().status, RequestStatus::Lapsed { at: 10 });
		System::assert_has_event(Event::RequestLapsed { request: 0, subject: ALICE }.into());
		System::assert_has_event(Event::RequestLapsed { request: 2, subject: ALICE }.into());
	});
}

// ---- grant ----

#[test]
fn grant_turns_a_request_into_a_live_grant() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::grant(RuntimeOrigin::signed(ALICE), request, None, None));
		let grant = Grants::<Test>::get(0).unwrap();
		assert_eq!(grant.subject, ALICE);
		assert_eq!(grant.grantee, Grantee::Institution(HOSPITAL));
		assert_eq!(grant.scope, scope(&[LaboratoryResults, VitalSigns]));
		assert_eq!(grant.period, period(1, 101));
		assert_eq!(grant.request, Some(request));
		assert_eq!(grant.status, GrantStatus::Active);
		assert_eq!(
			Requests::<Test>::get(request).unwrap().status,
			RequestStatus::Granted { grant: 0 }
		);
		assert!(PendingRequests::<Test>::get(ALICE).is_empty());
		assert_eq!(GrantsBySubject::<Test>::get(ALICE).into_inner(), vec![0]);
		assert_eq!(GrantsByInstitution::<Test>::get(HOSPITAL).into_inner(), vec![0]);
		assert!(authorized(HOSPITAL, ALICE, VitalSigns, TREAT));
		System::assert_last_event(
			Event::ConsentGranted {
				request,
				grant: 0,
				subject: ALICE,
				institution: HOSPITAL,
				scope: scope(&[LaboratoryResults, VitalSigns]),
				purpose: TREAT,
				period: period(1, 101),
				by: ALICE,
			}
			.into(),
		);
	});
}

#[test]
fn grant_may_be_narrower_and_shorter_than_the_request() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(ALICE),
			request,
			Some(scope(&[VitalSigns])),
			Some(period(5, 20))
		));
		assert!(!authorized(HOSPITAL, ALICE, VitalSigns, TREAT), "not started yet");
		run_to_block(5);
		assert!(authorized(HOSPITAL, ALICE, VitalSigns, TREAT));
		assert!(!authorized(HOSPITAL, ALICE, LaboratoryResults, TREAT), "not granted");
		assert!(!authorized(HOSPITAL, ALICE, VitalSigns, HRESCH), "other purpose");
		assert!(!authorized(LAB, ALICE, VitalSigns, TREAT), "other institution");
		run_to_block(19);
		assert!(authorized(HOSPITAL, ALICE, VitalSigns, TREAT));
		run_to_block(20);
		assert!(!authorized(HOSPITAL, ALICE, VitalSigns, TREAT), "ended by itself");
		assert_eq!(Grants::<Test>::get(0).unwrap().status, GrantStatus::Active);
	});
}

#[test]
fn grant_by_a_delegate_is_recorded_as_theirs() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::grant(RuntimeOrigin::signed(CAREGIVER), request, None, None));
		assert_eq!(Grants::<Test>::get(0).unwrap().granted_by, CAREGIVER);
		assert!(authorized(HOSPITAL, ALICE, LaboratoryResults, TREAT));
	});
}

#[test]
fn grant_refuses_an_unknown_request() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(ALICE), 7, None, None),
			Error::<Test>::UnknownRequest
		);
	});
}

#[test]
fn grant_refuses_an_answered_request() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::deny(RuntimeOrigin::signed(ALICE), request));
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(ALICE), request, None, None),
			Error::<Test>::RequestNotPending
		);
	});
}

#[test]
fn grant_refuses_anyone_but_the_subject_or_a_delegate() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		for who in [MALLORY, HOSPITAL, BOB] {
			assert_noop!(
				Consent::grant(RuntimeOrigin::signed(who), request, None, None),
				Error::<Test>::NotSubjectOrDelegate
			);
		}
	});
}

#[test]
fn grant_refuses_a_suspended_institution() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(ALICE), request, None, None),
			Error::<Test>::InstitutionNotActive
		);
	});
}

#[test]
fn grant_refuses_an_empty_scope() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(ALICE), request, Some(scope(&[])), None),
			Error::<Test>::EmptyScope
		);
	});
}

#[test]
fn grant_refuses_a_category_that_was_not_requested() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_noop!(
			Consent::grant(
				RuntimeOrigin::signed(ALICE),
				request,
				Some(scope(&[VitalSigns, Genomics])),
				None
			),
			Error::<Test>::ScopeNotRequested
		);
	});
}

#[test]
fn grant_refuses_a_period_that_ends_before_it_starts() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(ALICE), request, None, Some(period(30, 20))),
			Error::<Test>::InvalidPeriod
		);
	});
}

#[test]
fn grant_refuses_a_period_outside_the_request() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(ALICE), request, None, Some(period(50, 150))),
			Error::<Test>::PeriodNotRequested
		);
	});
}

#[test]
fn grant_refuses_a_period_that_already_ended() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		run_to_block(5);
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(ALICE), request, None, Some(period(1, 5))),
			Error::<Test>::PeriodEnded
		);
	});
}

#[test]
fn grant_refuses_more_than_max_grants_per_subject() {
	ExtBuilder::default().build_and_execute(|| {
		for i in 0..4 {
			request_and_grant(if i % 2 == 0 { HOSPITAL } else { LAB }, ALICE, period(1, 50));
		}
		let request = request_from(LAB, ALICE, period(1, 50));
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(ALICE), request, None, None),
			Error::<Test>::TooManyGrantsForSubject
		);
	});
}

#[test]
fn grant_refuses_more_than_max_grants_per_institution() {
	ExtBuilder::default().build_and_execute(|| {
		for _ in 0..4 {
			request_and_grant(HOSPITAL, ALICE, period(1, 50));
		}
		request_and_grant(HOSPITAL, BOB, period(1, 50));
		let request = request_from(HOSPITAL, BOB, period(1, 50));
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(BOB), request, None, None),
			Error::<Test>::TooManyGrantsForInstitution
		);
	});
}

#[test]
fn grant_makes_room_by_dropping_grants_that_ended() {
	ExtBuilder::default().build_and_execute(|| {
		for _ in 0..4 {
			request_and_grant(HOSPITAL, ALICE, period(1, 20));
		}
		let request = request_from(LAB, ALICE, period(1, 50));
		run_to_block(20);
		assert_ok!(Consent::grant(RuntimeOrigin::signed(ALICE), request, None, None));
		assert_eq!(GrantsBySubject::<Test>::get(ALICE).into_inner(), vec![4]);
		// The ended grants stay in storage for the audit trail.
		assert!(Grants::<Test>::contains_key(0));
	});
}

// ---- deny ----

#[test]
fn deny_refuses_the_request_for_good() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		run_to_block(4);
		assert_ok!(Consent::deny(RuntimeOrigin::signed(ALICE), request));
		assert_eq!(Requests::<Test>::get(request).unwrap().status, RequestStatus::Denied { at: 4 });
		assert!(Consent::requests_of(&ALICE).is_empty());
		assert!(!authorized(HOSPITAL, ALICE, VitalSigns, TREAT));
		System::assert_last_event(
			Event::ConsentDenied { request, subject: ALICE, institution: HOSPITAL, by: ALICE }
				.into(),
		);
	});
}

#[test]
fn deny_refuses_an_unknown_request() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Consent::deny(RuntimeOrigin::signed(ALICE), 3), Error::<Test>::UnknownRequest);
	});
}

#[test]
fn deny_refuses_an_answered_request() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::grant(RuntimeOrigin::signed(ALICE), request, None, None));
		assert_noop!(
			Consent::deny(RuntimeOrigin::signed(ALICE), request),
			Error::<Test>::RequestNotPending
		);
	});
}

#[test]
fn deny_refuses_anyone_but_the_subject_or_a_delegate() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_noop!(
			Consent::deny(RuntimeOrigin::signed(MALLORY), request),
			Error::<Test>::NotSubjectOrDelegate
		);
	});
}

// ---- revoke ----

#[test]
fn revoke_ends_the_grant_at_once_and_tells_the_vaults() {
	ExtBuilder::default().build_and_execute(|| {
		let grant = alice_grants_hospital();
		run_to_block(6);
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(ALICE), grant));
		assert_eq!(
			Grants::<Test>::get(grant).unwrap().status,
			GrantStatus::Revoked { at: 6, reason: RevocationReason::BySubject { by: ALICE } }
		);
		assert!(!authorized(HOSPITAL, ALICE, VitalSigns, TREAT));
		assert!(GrantsBySubject::<Test>::get(ALICE).is_empty());
		assert!(GrantsByInstitution::<Test>::get(HOSPITAL).is_empty());
		assert_eq!(reported_revocations(), vec![grant]);
		System::assert_last_event(
			Event::ConsentRevoked {
				grant,
				subject: ALICE,
				grantee: Grantee::Institution(HOSPITAL),
				reason: RevocationReason::BySubject { by: ALICE },
			}
			.into(),
		);
	});
}

#[test]
fn revoke_by_a_delegate_names_the_delegate() {
	ExtBuilder::default().build_and_execute(|| {
		let grant = alice_grants_hospital();
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(CAREGIVER), grant));
		assert_eq!(
			Grants::<Test>::get(grant).unwrap().status,
			GrantStatus::Revoked { at: 1, reason: RevocationReason::BySubject { by: CAREGIVER } }
		);
	});
}

#[test]
fn revoke_refuses_an_unknown_grant() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(Consent::revoke(RuntimeOrigin::signed(ALICE), 9), Error::<Test>::UnknownGrant);
	});
}

#[test]
fn revoke_refuses_anyone_but_the_subject_or_a_delegate() {
	ExtBuilder::default().build_and_execute(|| {
		let grant = alice_grants_hospital();
		for who in [HOSPITAL, MALLORY] {
			assert_noop!(
				Consent::revoke(RuntimeOrigin::signed(who), grant),
				Error::<Test>::NotSubjectOrDelegate
			);
		}
	});
}

#[test]
fn revoke_refuses_a_revoked_grant() {
	ExtBuilder::default().build_and_execute(|| {
		let grant = alice_grants_hospital();
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(ALICE), grant));
		assert_noop!(
			Consent::revoke(RuntimeOrigin::signed(ALICE), grant),
			Error::<Test>::GrantNotActive
		);
	});
}

#[test]
fn revoke_refuses_a_grant_that_ended() {
	ExtBuilder::default().build_and_execute(|| {
		let grant = alice_grants_hospital();
		run_to_block(101);
		assert_noop!(
			Consent::revoke(RuntimeOrigin::signed(ALICE), grant),
			Error::<Test>::GrantEnded
		);
	});
}

// ---- grant_consortium_wide ----

#[test]
fn grant_consortium_wide_lets_every_active_institution_in_for_one_purpose() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::grant_consortium_wide(
			RuntimeOrigin::signed(ALICE),
			ALICE,
			scope(&[PublicHealthCaseReports]),
			PUBHLTH,
			period(1, 500),
		));
		assert_eq!(CohortGrants::<Test>::get(PUBHLTH, ALICE), Some(0));
		assert_eq!(Grants::<Test>::get(0).unwrap().grantee, Grantee::AnyMember);
		assert!(authorized(HOSPITAL, ALICE, PublicHealthCaseReports, PUBHLTH));
		assert!(authorized(LAB, ALICE, PublicHealthCaseReports, PUBHLTH));
		assert!(
			!authorized(STEWARD, ALICE, PublicHealthCaseReports, PUBHLTH),
			"not an institution"
		);
		assert!(!authorized(HOSPITAL, ALICE, PublicHealthCaseReports, TREAT), "other purpose");
		assert!(!authorized(HOSPITAL, ALICE, Genomics, PUBHLTH), "other category");
		assert_eq!(Consent::cohort(PUBHLTH, PublicHealthCaseReports, 1), vec![ALICE]);
		assert!(Consent::cohort(HRESCH, PublicHealthCaseReports, 1).is_empty());
		assert!(Consent::cohort(PUBHLTH, PublicHealthCaseReports, 500).is_empty());
		System::assert_last_event(
			Event::ConsortiumWideConsentGranted {
				grant: 0,
				subject: ALICE,
				scope: scope(&[PublicHealthCaseReports]),
				purpose: PUBHLTH,
				period: period(1, 500),
				by: ALICE,
			}
			.into(),
		);
	});
}

#[test]
fn grant_consortium_wide_does_not_let_in_a_suspended_institution() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::grant_consortium_wide(
			RuntimeOrigin::signed(ALICE),
			ALICE,
			scope(&[PublicHealthCaseReports]),
			PUBHLTH,
			period(1, 500),
		));
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), LAB));
		assert!(!authorized(LAB, ALICE, PublicHealthCaseReports, PUBHLTH));
		assert!(authorized(HOSPITAL, ALICE, PublicHealthCaseReports, PUBHLTH));
		run_to_block(3);
		// The cohort grant itself is not revoked by one institution's suspension.
		assert_eq!(Grants::<Test>::get(0).unwrap().status, GrantStatus::Active);
	});
}

#[test]
fn grant_consortium_wide_may_replace_an_ended_cohort_grant() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::grant_consortium_wide(
			RuntimeOrigin::signed(ALICE),
			ALICE,
			scope(&[Conditions]),
			HRESCH,
			period(1, 10)
		));
		run_to_block(10);
		assert_ok!(Consent::grant_consortium_wide(
			RuntimeOrigin::signed(ALICE),
			ALICE,
			scope(&[Genomics]),
			HRESCH,
			period(10, 20)
		));
		assert_eq!(CohortGrants::<Test>::get(HRESCH, ALICE), Some(1));
	});
}

#[test]
fn grant_consortium_wide_refuses_anyone_but_the_subject_or_a_delegate() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::grant_consortium_wide(
				RuntimeOrigin::signed(MALLORY),
				ALICE,
				scope(&[Conditions]),
				HRESCH,
				period(1, 10)
			),
			Error::<Test>::NotSubjectOrDelegate
		);
	});
}

#[test]
fn grant_consortium_wide_refuses_an_empty_scope() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::grant_consortium_wide(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				scope(&[]),
				HRESCH,
				period(1, 10)
			),
			Error::<Test>::EmptyScope
		);
	});
}

#[test]
fn grant_consortium_wide_refuses_a_period_that_ends_before_it_starts() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::grant_consortium_wide(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				scope(&[Conditions]),
				HRESCH,
				period(9, 2)
			),
			Error::<Test>::InvalidPeriod
		);
	});
}

#[test]
fn grant_consortium_wide_refuses_a_period_that_already_ended() {
	ExtBuilder::default().build_and_execute(|| {
		run_to_block(10);
		assert_noop!(
			Consent::grant_consortium_wide(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				scope(&[Conditions]),
				HRESCH,
				period(1, 10)
			),
			Error::<Test>::PeriodEnded
		);
	});
}

#[test]
fn grant_consortium_wide_refuses_a_period_longer_than_max_period() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::grant_consortium_wide(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				scope(&[Conditions]),
				HRESCH,
				period(1, 2_000)
			),
			Error::<Test>::PeriodTooLong
		);
	});
}

#[test]
fn grant_consortium_wide_refuses_a_second_cohort_grant_for_the_same_purpose() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::grant_consortium_wide(
			RuntimeOrigin::signed(ALICE),
			ALICE,
			scope(&[Conditions]),
			HRESCH,
			period(1, 10)
		));
		assert_noop!(
			Consent::grant_consortium_wide(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				scope(&[Genomics]),
				HRESCH,
				period(1, 10)
			),
			Error::<Test>::AlreadyInCohort
		);
	});
}

#[test]
fn grant_consortium_wide_refuses_more_than_max_grants_per_subject() {
	ExtBuilder::default().build_and_execute(|| {
		for purpose in [HRESCH, PUBHLTH, POPHLTH, CLINTRCH] {
			assert_ok!(Consent::grant_consortium_wide(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				scope(&[Conditions]),
				purpose,
				period(1, 10)
			));
		}
		assert_noop!(
			Consent::grant_consortium_wide(
				RuntimeOrigin::signed(ALICE),
				ALICE,
				scope(&[Conditions]),
				HOPERAT,
				period(1, 10)
			),
			Error::<Test>::TooManyGrantsForSubject
		);
	});
}

#[test]
fn revoking_a_consortium_wide_grant_leaves_the_cohort() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::grant_consortium_wide(
			RuntimeOrigin::signed(ALICE),
			ALICE,
			scope(&[Conditions]),
			HRESCH,
			period(1, 10)
		));
		assert_ok!(Consent::revoke(RuntimeOrigin::signed(ALICE), 0));
		assert_eq!(CohortGrants::<Test>::get(HRESCH, ALICE), None);
		assert!(Consent::cohort(HRESCH, Conditions, 1).is_empty());
		assert!(!authorized(LAB, ALICE, Conditions, HRESCH));
	});
}

// ---- delegates ----

#[test]
fn set_delegate_lets_a_caregiver_answer_for_the_subject() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		assert!(Consent::acts_for(&CAREGIVER, &ALICE));
		assert!(!Consent::acts_for(&CAREGIVER, &BOB));
		System::assert_last_event(
			Event::DelegateAppointed { subject: ALICE, delegate: CAREGIVER }.into(),
		);
	});
}

#[test]
fn set_delegate_refuses_the_subject_itself() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::set_delegate(RuntimeOrigin::signed(ALICE), ALICE),
			Error::<Test>::CannotDelegateToSelf
		);
	});
}

#[test]
fn set_delegate_refuses_a_delegate_twice() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		assert_noop!(
			Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER),
			Error::<Test>::AlreadyDelegate
		);
	});
}

#[test]
fn set_delegate_refuses_more_than_max_delegates() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), BOB));
		assert_noop!(
			Consent::set_delegate(RuntimeOrigin::signed(ALICE), MALLORY),
			Error::<Test>::TooManyDelegates
		);
	});
}

#[test]
fn remove_delegate_takes_the_power_back() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consent::set_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		assert_ok!(Consent::remove_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER));
		System::assert_last_event(
			Event::DelegateRemoved { subject: ALICE, delegate: CAREGIVER }.into(),
		);
		assert!(!Consent::acts_for(&CAREGIVER, &ALICE));
		assert!(!Delegates::<Test>::contains_key(ALICE));
		let request = hospital_requests_from_alice();
		assert_noop!(
			Consent::grant(RuntimeOrigin::signed(CAREGIVER), request, None, None),
			Error::<Test>::NotSubjectOrDelegate
		);
	});
}

#[test]
fn remove_delegate_refuses_an_account_that_is_not_a_delegate() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::remove_delegate(RuntimeOrigin::signed(ALICE), CAREGIVER),
			Error::<Test>::NotDelegate
		);
	});
}

// ---- withdraw_request ----

#[test]
fn withdraw_request_removes_an_unanswered_request() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::withdraw_request(RuntimeOrigin::signed(HOSPITAL), request));
		assert_eq!(
			Requests::<Test>::get(request).unwrap().status,
			RequestStatus::Withdrawn { at: 1 }
		);
		assert!(Consent::requests_of(&ALICE).is_empty());
		System::assert_last_event(
			Event::RequestWithdrawn { request, institution: HOSPITAL }.into(),
		);
	});
}

#[test]
fn withdraw_request_refuses_an_unknown_request() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::withdraw_request(RuntimeOrigin::signed(HOSPITAL), 0),
			Error::<Test>::UnknownRequest
		);
	});
}

#[test]
fn withdraw_request_refuses_another_institution() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_noop!(
			Consent::withdraw_request(RuntimeOrigin::signed(LAB), request),
			Error::<Test>::NotRequester
		);
	});
}

#[test]
fn withdraw_request_refuses_an_answered_request() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::deny(RuntimeOrigin::signed(ALICE), request));
		assert_noop!(
			Consent::withdraw_request(RuntimeOrigin::signed(HOSPITAL), request),
			Error::<Test>::RequestNotPending
		);
	});
}

#[test]
fn every_call_needs_a_signed_origin() {
	ExtBuilder::default().build_and_execute(|| {
		let none = || RuntimeOrigin::none();
		assert_noop!(
			Consent::request(
				none(),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(1, 10),
				REQUESTER_KEY
			),
			BadOrigin
		);
		assert_noop!(Consent::grant(none(), 0, None, None), BadOrigin);
		assert_noop!(Consent::deny(none(), 0), BadOrigin);
		assert_noop!(Consent::revoke(none(), 0), BadOrigin);
		assert_noop!(
			Consent::grant_consortium_wide(
				none(),
				ALICE,
				scope(&[Conditions]),
				TREAT,
				period(1, 10)
			),
			BadOrigin
		);
		assert_noop!(Consent::set_delegate(none(), CAREGIVER), BadOrigin);
		assert_noop!(Consent::remove_delegate(none(), CAREGIVER), BadOrigin);
		assert_noop!(Consent::withdraw_request(none(), 0), BadOrigin);
	});
}

// ---- suspension ----

#[test]
fn suspension_revokes_every_grant_at_once_and_in_storage_over_blocks() {
	ExtBuilder::default().build_and_execute(|| {
		let g0 = request_and_grant(HOSPITAL, ALICE, period(1, 100));
		let g1 = request_and_grant(HOSPITAL, BOB, period(1, 100));
		let g2 = request_and_grant(HOSPITAL, ALICE, period(1, 100));
		let lab_grant = request_and_grant(LAB, ALICE, period(1, 100));

		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		System::assert_has_event(
			Event::SuspensionRevocationQueued { institution: HOSPITAL, before: 4 }.into(),
		);
		// Queries answer at once, before storage caught up.
		assert!(!authorized(HOSPITAL, ALICE, LaboratoryResults, TREAT));
		assert!(!authorized(HOSPITAL, BOB, LaboratoryResults, TREAT));
		assert!(!Consent::is_grant_live(g0, 1));
		assert!(Consent::grants_of_institution(&HOSPITAL).iter().all(|g| !g.live));
		assert!(authorized(LAB, ALICE, LaboratoryResults, TREAT));

		// MaxRevocationsPerBlock = 2: two grants in block 2, the third in block 3.
		run_to_block(2);
		assert_eq!(reported_revocations(), vec![g0, g1]);
		assert!(RevocationQueue::<Test>::contains_key(HOSPITAL));
		run_to_block(3);
		assert_eq!(reported_revocations(), vec![g0, g1, g2]);
		assert!(!RevocationQueue::<Test>::contains_key(HOSPITAL));
		System::assert_last_event(
			Event::SuspensionRevocationCompleted { institution: HOSPITAL }.into(),
		);
		for g in [g0, g1, g2] {
			assert_eq!(
				Grants::<Test>::get(g).unwrap().status,
				GrantStatus::Revoked {
					at: if g == g2 { 3 } else { 2 },
					reason: RevocationReason::GranteeSuspended
				}
			);
		}
		assert_eq!(Grants::<Test>::get(lab_grant).unwrap().status, GrantStatus::Active);
		assert!(GrantsByInstitution::<Test>::get(HOSPITAL).is_empty());
		assert_eq!(GrantsBySubject::<Test>::get(ALICE).into_inner(), vec![lab_grant]);
	});
}

#[test]
fn a_reinstated_institution_does_not_get_its_old_grants_back() {
	ExtBuilder::default().build_and_execute(|| {
		let old = request_and_grant(HOSPITAL, ALICE, period(1, 100));
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_ok!(Consortium::reinstate_member(RuntimeOrigin::root(), HOSPITAL));
		assert!(!Consent::is_grant_live(old, 1), "revoked by the suspension");
		assert!(!authorized(HOSPITAL, ALICE, LaboratoryResults, TREAT));

		let new = request_and_grant(HOSPITAL, ALICE, period(1, 100));
		assert!(authorized(HOSPITAL, ALICE, LaboratoryResults, TREAT));
		run_to_block(5);
		assert!(matches!(Grants::<Test>::get(old).unwrap().status, GrantStatus::Revoked { .. }));
		assert_eq!(Grants::<Test>::get(new).unwrap().status, GrantStatus::Active);
		assert!(Consent::is_grant_live(new, 5));
		assert_eq!(GrantsByInstitution::<Test>::get(HOSPITAL).into_inner(), vec![new]);
	});
}

#[test]
fn removing_an_institution_revokes_its_grants() {
	ExtBuilder::default().build_and_execute(|| {
		let grant = alice_grants_hospital();
		assert_ok!(Consortium::remove_member(RuntimeOrigin::root(), HOSPITAL));
		assert!(!authorized(HOSPITAL, ALICE, LaboratoryResults, TREAT));
		run_to_block(2);
		assert_eq!(reported_revocations(), vec![grant]);
	});
}

#[test]
fn suspension_only_drops_grants_that_already_ended() {
	ExtBuilder::default().build_and_execute(|| {
		let ended = request_and_grant(HOSPITAL, ALICE, period(1, 3));
		run_to_block(3);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		run_to_block(4);
		assert_eq!(Grants::<Test>::get(ended).unwrap().status, GrantStatus::Active);
		assert!(reported_revocations().is_empty());
		assert!(!RevocationQueue::<Test>::contains_key(HOSPITAL));
	});
}

// ---- queries ----

#[test]
fn queries_list_requests_and_grants_that_have_not_ended() {
	ExtBuilder::default().build_and_execute(|| {
		let pending = request_from(LAB, ALICE, period(1, 60));
		let short = request_and_grant(HOSPITAL, ALICE, period(1, 10));
		let later = {
			let request = request_from(HOSPITAL, ALICE, period(1, 100));
			let id = NextGrantId::<Test>::get();
			assert_ok!(Consent::grant(
				RuntimeOrigin::signed(ALICE),
				request,
				None,
				Some(period(20, 100))
			));
			id
		};

		let requests = Consent::requests_of(&ALICE);
		assert_eq!(requests.len(), 1);
		assert_eq!(requests[0].id, pending);
		assert_eq!(requests[0].request.scope, vec![LaboratoryResults]);

		let grants = Consent::grants_of(&ALICE);
		assert_eq!(
			grants.iter().map(|g| (g.id, g.live)).collect::<Vec<_>>(),
			vec![(short, true), (later, false)]
		);
		assert_eq!(Consent::grants_of_institution(&HOSPITAL).len(), 2);
		assert!(Consent::grants_of_institution(&LAB).is_empty());

		run_to_block(20);
		let grants = Consent::grants_of(&ALICE);
		assert_eq!(grants.iter().map(|g| (g.id, g.live)).collect::<Vec<_>>(), vec![(later, true)]);
		assert!(Consent::grant_info(later).is_some());
	});
}

#[test]
fn is_authorized_answers_for_any_block() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::grant(
			RuntimeOrigin::signed(ALICE),
			request,
			None,
			Some(period(10, 20))
		));
		let ask = |at| Consent::is_authorized(&HOSPITAL, &ALICE, VitalSigns, TREAT, at);
		assert!(!ask(9));
		assert!(ask(10));
		assert!(ask(19));
		assert!(!ask(20));
	});
}

#[test]
fn codes_map_to_fhir_and_loinc() {
	assert_eq!(DataCategory::ALL.len(), 18);
	assert_eq!(PurposeOfUse::ALL.len(), 12);
	assert_eq!(VitalSigns.loinc(), Some("8716-3"));
	assert_eq!(Allergies.fhir_resource(), "AllergyIntolerance");
	assert_eq!(PUBHLTH.code(), "PUBHLTH");
	// Codec indices follow the declaration order documented in docs/consent.md.
	for (i, c) in DataCategory::ALL.iter().enumerate() {
		assert_eq!(codec::Encode::encode(c), vec![i as u8]);
	}
	for (i, p) in PurposeOfUse::ALL.iter().enumerate() {
		assert_eq!(codec::Encode::encode(p), vec![i as u8]);
	}
}

// ---- deposits ----

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::RequestDeposit.into(), &who)
}

/// Asserts that `institution` has every unit of its endowment back, nothing held.
fn all_back(institution: u64) {
	assert_eq!(held(institution), 0);
	assert_eq!(Balances::balance(&institution), ENDOWMENT);
}

#[test]
fn request_holds_a_deposit_of_base_plus_bytes_from_the_institution() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		let stored = Requests::<Test>::get(request).unwrap();
		let expected = REQUEST_DEPOSIT_BASE + stored.encoded_size() as u64;
		assert_eq!(Consent::request_deposit(&stored), expected);
		assert_eq!(held(HOSPITAL), expected);
		assert_eq!(Balances::balance(&HOSPITAL), ENDOWMENT - expected);
		assert_eq!(
			RequestDeposits::<Test>::get(request),
			Some(DepositOf::<Test> { depositor: HOSPITAL, amount: expected })
		);
		assert_eq!(held(ALICE), 0);
	});
}

#[test]
fn a_granted_request_releases_its_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		alice_grants_hospital();
		all_back(HOSPITAL);
		assert!(RequestDeposits::<Test>::iter().next().is_none());
	});
}

#[test]
fn a_denied_request_releases_its_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		let request = hospital_requests_from_alice();
		assert_ok!(Consent::deny(RuntimeOrigin::signed(ALICE), request));
		all_back(HOSPITAL);
	});
}

#[test]
fn a_withdrawn_request_releases_its_deposit_even_after_its_period_ended() {
	ExtBuilder::default().build_and_execute(|| {
		let request = request_from(HOSPITAL, ALICE, period(1, 10));
		run_to_block(20);
		assert!(held(HOSPITAL) > 0);
		assert_ok!(Consent::withdraw_request(RuntimeOrigin::signed(HOSPITAL), request));
		all_back(HOSPITAL);
	});
}

#[test]
fn a_lapsed_request_releases_its_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		request_from(HOSPITAL, ALICE, period(1, 10));
		request_from(HOSPITAL, ALICE, period(1, 10));
		request_from(LAB, ALICE, period(1, 10));
		run_to_block(10);
		// A full inbox of requests whose period ended: the next request drops them all.
		let fourth = request_from(LAB, ALICE, period(10, 20));
		assert_eq!(PendingRequests::<Test>::get(ALICE).into_inner(), vec![fourth]);
		all_back(HOSPITAL);
		let fourth_deposit = RequestDeposits::<Test>::get(fourth).unwrap().amount;
		assert_eq!(held(LAB), fourth_deposit);
		assert_eq!(Balances::balance(&LAB), ENDOWMENT - fourth_deposit);
	});
}

#[test]
fn request_refuses_an_institution_that_cannot_pay_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Consent::request(
				RuntimeOrigin::signed(BROKE_CLINIC),
				ALICE,
				scope(&[LaboratoryResults]),
				TREAT,
				period(1, 10),
				REQUESTER_KEY,
			),
			Error::<Test>::InsufficientDeposit
		);
	});
}
