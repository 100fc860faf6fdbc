// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Benchmarks for `pallet-consortium`.

use super::*;
use crate::Pallet as Consortium;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

fn longest_name<T: Config>() -> BoundedVec<u8, T::MaxNameLen> {
	BoundedVec::truncate_from(vec![b'n'; T::MaxNameLen::get() as usize])
}

fn longest_address<T: Config>() -> BoundedVec<u8, T::MaxAddressLen> {
	BoundedVec::truncate_from(vec![b'a'; T::MaxAddressLen::get() as usize])
}

fn all_kinds() -> KindsOf {
	BoundedVec::truncate_from(vec![
		MemberKind::Institution,
		MemberKind::DataSteward,
		MemberKind::Evaluator,
	])
}

/// Admit `who` holding every kind, as governance would.
fn admit<T: Config>(who: &T::AccountId) {
	Consortium::<T>::insert_member(
		who.clone(),
		all_kinds(),
		longest_name::<T>(),
		[1u8; 32],
		Some(longest_address::<T>()),
	);
}

/// Fills the consortium with active members up to one short of `MaxMembers`: governance calls
/// re-read every member to announce the active set, so a full consortium is their worst case.
fn fill_but_one<T: Config>() {
	for i in 1..T::MaxMembers::get() {
		admit::<T>(&account("other", i, 0));
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn admit_member() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let who: T::AccountId = account("member", 0, 0);
		fill_but_one::<T>();

		#[extrinsic_call]
		_(
			origin as T::RuntimeOrigin,
			who.clone(),
			all_kinds(),
			longest_name::<T>(),
			[1u8; 32],
			Some(longest_address::<T>()),
		);

		assert_last_event::<T>(Event::MemberAdmitted { who, kinds: all_kinds() });
		Ok(())
	}

	#[benchmark]
	fn suspend_member() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let who: T::AccountId = account("member", 0, 0);
		fill_but_one::<T>();
		admit::<T>(&who);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_last_event::<T>(Event::MemberSuspended { who });
		Ok(())
	}

	#[benchmark]
	fn reinstate_member() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let who: T::AccountId = account("member", 0, 0);
		fill_but_one::<T>();
		admit::<T>(&who);
		Members::<T>::mutate(&who, |m| {
			if let Some(m) = m {
				m.status = MemberStatus::Suspended;
			}
		});

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_last_event::<T>(Event::MemberReinstated { who });
		Ok(())
	}

	#[benchmark]
	fn remove_member() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let who: T::AccountId = account("member", 0, 0);
		fill_but_one::<T>();
		admit::<T>(&who);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_last_event::<T>(Event::MemberRemoved { who });
		Ok(())
	}

	#[benchmark]
	fn set_member_keys() {
		let who: T::AccountId = whitelisted_caller();
		admit::<T>(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), [2u8; 32], Some(longest_address::<T>()));

		assert_last_event::<T>(Event::MemberKeysUpdated { who, hpke_key: [2u8; 32] });
	}

	#[benchmark]
	fn set_consortium_key() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, [3u8; 32]);

		assert_last_event::<T>(Event::ConsortiumKeySet { key: [3u8; 32] });
		Ok(())
	}

	impl_benchmark_test_suite!(Consortium, crate::mock::new_bench_ext(), crate::mock::Test);
}
