// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Benchmarks for `pallet-consent`. Every call is measured in its worst case: full lists, and
//! full lists to prune where a call prunes.

use super::*;
use crate::Pallet as Consent;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_system::RawOrigin;
use sp_runtime::traits::Bounded;

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

fn set_block<T: Config>(n: u32) {
	frame_system::Pallet::<T>::set_block_number(n.into());
}

/// The longest period allowed, starting at `start`.
fn long_period<T: Config>(start: u32) -> PeriodOf<T> {
	let start: BlockNumberFor<T> = start.into();
	Period { start, end: start.saturating_add(T::MaxPeriod::get()) }
}

/// A period of one block, `start`.
fn short_period<T: Config>(start: u32) -> PeriodOf<T> {
	Period { start: start.into(), end: (start + 1).into() }
}

fn full_scope<T: Config>() -> ScopeOf<T> {
	BoundedVec::truncate_from(DataCategory::ALL.to_vec())
}

fn institution<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("institution", i, 0);
	T::Consortium::benchmark_admit(&who, &[MemberKind::Institution]);
	// Enough for every request deposit a benchmark makes it pay: a millionth of the largest
	// balance, far above any deposit, far below overflowing the issuance.
	let plenty = BalanceOf::<T>::max_value() / 1_000_000u32.into();
	if T::Currency::balance(&who) < plenty / 2u32.into() {
		T::Currency::set_balance(&who, plenty);
	}
	who
}

fn prepare<T: Config>() -> (T::AccountId, T::AccountId) {
	T::Consortium::benchmark_set_consortium_key([1u8; 32]);
	set_block::<T>(1);
	(institution::<T>(0), account("subject", 0, 0))
}

/// Store a grant directly and index it under its subject and institution (if room).
fn filler_grant<T: Config>(
	subject: &T::AccountId,
	institution: &T::AccountId,
	period: PeriodOf<T>,
) -> GrantId {
	let id = NextGrantId::<T>::get();
	NextGrantId::<T>::put(id + 1);
	let _ = GrantsBySubject::<T>::try_mutate(subject, |l| l.try_push(id));
	let _ = GrantsByInstitution::<T>::try_mutate(institution, |l| l.try_push(id));
	Grants::<T>::insert(
		id,
		Grant {
			subject: subject.clone(),
			grantee: Grantee::Institution(institution.clone()),
			scope: full_scope::<T>(),
			purpose: PurposeOfUse::TREAT,
			period,
			request: None,
			granted_by: subject.clone(),
			granted_at: 1u32.into(),
			status: GrantStatus::Active,
		},
	);
	id
}

/// Fill `subject`'s and `institution`'s grant lists: `Max - 1` grants to or from other accounts,
/// then one grant from `subject` to `institution`, whose id is returned.
fn fill_grant_lists<T: Config>(
	subject: &T::AccountId,
	institution: &T::AccountId,
	period: PeriodOf<T>,
) -> GrantId {
	for i in 1..T::MaxGrantsPerSubject::get() {
		let other: T::AccountId = account("other institution", i, 0);
		filler_grant::<T>(subject, &other, period);
	}
	for i in 1..T::MaxGrantsPerInstitution::get() {
		let other: T::AccountId = account("other subject", i, 0);
		filler_grant::<T>(&other, institution, period);
	}
	filler_grant::<T>(subject, institution, period)
}

fn fill_pending<T: Config>(
	institution: &T::AccountId,
	subject: &T::AccountId,
	period: PeriodOf<T>,
) -> RequestId {
	// One request from `institution` (the last, returned) and the others from as many other
	// institutions, within `MaxPendingRequestsPerInstitution` each.
	let mut last = 0;
	let others = T::MaxPendingRequests::get().saturating_sub(1);
	for i in 0..=others {
		let from = if i == others { institution.clone() } else { self::institution::<T>(1 + i) };
		last = Consent::<T>::do_request(
			from,
			subject.clone(),
			full_scope::<T>(),
			PurposeOfUse::TREAT,
			period,
			[2u8; 32],
		)
		.unwrap_or_default();
	}
	last
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn request() {
		let (institution, subject) = prepare::<T>();
		// A full list of requests that lapse: all are dropped.
		fill_pending::<T>(&institution, &subject, short_period::<T>(1));
		set_block::<T>(2);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(institution),
			subject.clone(),
			full_scope::<T>(),
			PurposeOfUse::HRESCH,
			long_period::<T>(2),
			[3u8; 32],
		);

		assert_eq!(PendingRequests::<T>::get(&subject).len(), 1);
	}

	#[benchmark]
	fn grant() {
		let (institution, subject) = prepare::<T>();
		let request_id = fill_pending::<T>(&institution, &subject, long_period::<T>(1));
		// Full lists of grants that have ended: both are pruned.
		fill_grant_lists::<T>(&subject, &institution, short_period::<T>(1));
		set_block::<T>(2);
		let grant_id = NextGrantId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(subject.clone()), request_id, Some(full_scope::<T>()), None);

		assert_eq!(GrantsBySubject::<T>::get(&subject).into_inner(), alloc::vec![grant_id]);
	}

	#[benchmark]
	fn deny() {
		let (institution, subject) = prepare::<T>();
		let request_id = fill_pending::<T>(&institution, &subject, long_period::<T>(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(subject.clone()), request_id);

		assert_last_event::<T>(Event::ConsentDenied {
			request: request_id,
			subject: subject.clone(),
			institution,
			by: subject,
		});
	}

	#[benchmark]
	fn revoke() {
		let (institution, subject) = prepare::<T>();
		let grant_id = fill_grant_lists::<T>(&subject, &institution, long_period::<T>(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(subject), grant_id);

		assert!(matches!(
			Grants::<T>::get(grant_id).map(|g| g.status),
			Some(GrantStatus::Revoked { .. })
		));
	}

	#[benchmark]
	fn grant_consortium_wide() {
		let (institution, subject) = prepare::<T>();
		// An earlier cohort grant for the same purpose, ended.
		let earlier = fill_grant_lists::<T>(&subject, &institution, short_period::<T>(1));
		CohortGrants::<T>::insert(PurposeOfUse::PUBHLTH, &subject, earlier);
		set_block::<T>(2);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(subject.clone()),
			subject.clone(),
			full_scope::<T>(),
			PurposeOfUse::PUBHLTH,
			long_period::<T>(2),
		);

		assert_ne!(CohortGrants::<T>::get(PurposeOfUse::PUBHLTH, &subject), Some(earlier));
	}

	#[benchmark]
	fn set_delegate() {
		let subject: T::AccountId = whitelisted_caller();
		for i in 1..T::MaxDelegates::get() {
			let d: T::AccountId = account("delegate", i, 0);
			let _ = Delegates::<T>::try_mutate(&subject, |l| l.try_push(d));
		}
		let delegate: T::AccountId = account("delegate", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(subject.clone()), delegate.clone());

		assert!(Consent::<T>::acts_for(&delegate, &subject));
	}

	#[benchmark]
	fn remove_delegate() {
		let subject: T::AccountId = whitelisted_caller();
		for i in 0..T::MaxDelegates::get() {
			let d: T::AccountId = account("delegate", i, 0);
			let _ = Delegates::<T>::try_mutate(&subject, |l| l.try_push(d));
		}
		let delegate: T::AccountId =
			account("delegate", T::MaxDelegates::get().saturating_sub(1), 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(subject.clone()), delegate.clone());

		assert!(!Consent::<T>::acts_for(&delegate, &subject));
	}

	#[benchmark]
	fn withdraw_request() {
		let (institution, subject) = prepare::<T>();
		let request_id = fill_pending::<T>(&institution, &subject, long_period::<T>(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(institution.clone()), request_id);

		assert_last_event::<T>(Event::RequestWithdrawn { request: request_id, institution });
	}

	#[benchmark]
	fn on_member_suspended() {
		let (institution, _) = prepare::<T>();

		#[block]
		{
			<Consent<T> as OnMemberSuspended<T::AccountId>>::on_member_suspended(&institution);
		}

		assert!(RevocationQueue::<T>::contains_key(&institution));
	}

	#[benchmark]
	fn process_revocations(n: Linear<0, { T::MaxRevocationsPerBlock::get() }>) {
		let (institution, _) = prepare::<T>();
		for i in 0..n {
			let subject: T::AccountId = account("subject", i, 0);
			filler_grant::<T>(&subject, &institution, long_period::<T>(1));
		}
		<Consent<T> as OnMemberSuspended<T::AccountId>>::on_member_suspended(&institution);
		let now: BlockNumberFor<T> = 1u32.into();

		#[block]
		{
			Consent::<T>::process_revocation_queue(now);
		}

		assert!(GrantsByInstitution::<T>::get(&institution).is_empty());
	}

	impl_benchmark_test_suite!(Consent, crate::mock::new_bench_ext(), crate::mock::Test);
}
