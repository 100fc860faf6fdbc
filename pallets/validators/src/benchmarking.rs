// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Benchmarks for `pallet-validators`.

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

/// Fill the validator list to `n` accounts (the worst case of the list's read and write).
fn fill<T: Config>(n: u32) {
	let validators: Vec<T::AccountId> = (0..n).map(|i| account("validator", i, 0)).collect();
	Validators::<T>::put(ValidatorsOf::<T>::truncate_from(validators));
}

#[benchmarks(where <T as Config>::RuntimeCall: From<frame_system::Call<T>>)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_validator() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		fill::<T>(T::MaxValidators::get() - 1);
		let who: T::AccountId = whitelisted_caller();
		T::IsEligible::benchmark_make_eligible(&who);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_last_event::<T>(Event::ValidatorAdded { who });
		Ok(())
	}

	#[benchmark]
	fn remove_validator() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		fill::<T>(T::MaxValidators::get());
		// The last one: the search walks the whole list.
		let who: T::AccountId = account("validator", T::MaxValidators::get() - 1, 0);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_last_event::<T>(Event::ValidatorRemoved { who });
		Ok(())
	}

	#[benchmark]
	fn dispatch_as_root() -> Result<(), BenchmarkError> {
		let origin =
			T::RootOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let call: <T as Config>::RuntimeCall =
			frame_system::Call::<T>::remark { remark: vec![] }.into();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, Box::new(call));

		assert_last_event::<T>(Event::DispatchedAsRoot { result: Ok(()) });
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
