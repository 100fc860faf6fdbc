// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Benchmarks for `pallet-fhe`. Members are made through the `runtime-benchmarks` helper of
//! `ConsortiumInterface`; every call is measured in its worst case (longest CIDs and texts, full
//! open-job lists, the submission that reaches the quorum).

use super::*;
use crate::Pallet as Fhe;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::{Inspect, Mutate};
use frame_system::RawOrigin;
use sp_runtime::traits::Bounded;

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(event.into());
}

fn block<T: Config>(n: u32) -> BlockNumberFor<T> {
	n.into()
}

fn bytes<S: Get<u32>>(fill: u8, tag: u32) -> BoundedVec<u8, S> {
	let mut bytes = vec![fill; S::get() as usize];
	for (i, b) in tag.to_le_bytes().iter().enumerate() {
		if let Some(slot) = bytes.get_mut(i) {
			*slot = *b;
		}
	}
	BoundedVec::truncate_from(bytes)
}

fn longest_cid<T: Config>(tag: u32) -> CidOf<T> {
	bytes::<T::MaxCidLen>(b'c', tag)
}

/// Give `who` enough for every deposit a benchmark makes it pay (a millionth of the largest
/// balance: far above any deposit, far below overflowing the issuance).
fn fund<T: Config>(who: &T::AccountId) {
	let plenty = BalanceOf::<T>::max_value() / 1_000_000u32.into();
	if T::Currency::balance(who) < plenty / 2u32.into() {
		T::Currency::set_balance(who, plenty);
	}
}

/// Active evaluator `i`.
fn evaluator<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("evaluator", i, 0);
	T::Consortium::benchmark_admit(&who, &[MemberKind::Evaluator]);
	who
}

fn institution<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("institution", 0, 0);
	T::Consortium::benchmark_admit(&who, &[MemberKind::Institution]);
	fund::<T>(&who);
	who
}

fn setup<T: Config>() {
	frame_system::Pallet::<T>::set_block_number(block::<T>(1));
}

/// A success outcome with the longest CID.
fn success<T: Config>(tag: u32) -> OutcomeOf<T> {
	Outcome::Success { result_cid: longest_cid::<T>(tag), result_hash: H256::repeat_byte(9) }
}

/// `ResultQuorum - 1` evaluators submit `outcome` to `job`; returns the evaluator whose
/// identical submission will reach the quorum.
fn all_but_last_submit<T: Config>(
	job: JobId,
	outcome: &OutcomeOf<T>,
) -> Result<T::AccountId, BenchmarkError> {
	let quorum = Pallet::<T>::result_quorum();
	for i in 0..quorum.saturating_sub(1) {
		Fhe::<T>::do_submit_result(evaluator::<T>(i), job, outcome.clone())?;
	}
	Ok(evaluator::<T>(quorum.saturating_sub(1)))
}

fn template<T: Config>(f: u32) -> ModelTemplateOf<T> {
	let features = (0..f)
		.map(|i| FeatureSpec {
			name: bytes::<T::MaxNameLen>(b'n', i),
			unit: bytes::<T::MaxTextLen>(b'u', i),
			offset_micros: i64::MIN,
			scale_micros: u64::MAX,
		})
		.collect::<Vec<_>>();
	ModelTemplate {
		name: bytes::<T::MaxNameLen>(b'm', 0),
		features: BoundedVec::truncate_from(features),
		weights: BoundedVec::truncate_from(vec![-7; f as usize]),
		bias: i64::MIN,
		score_divisor: u64::MAX,
		output_meaning: bytes::<T::MaxTextLen>(b'o', 0),
		provenance: bytes::<T::MaxTextLen>(b'p', 0),
		parameter_set: u16::MAX,
	}
}

fn new_model<T: Config>() -> Result<ModelId, BenchmarkError> {
	Ok(Fhe::<T>::do_register_model(institution::<T>(), template::<T>(T::MaxFeatures::get()))?)
}

/// Open prediction jobs of `model` until `room` places are left in the open-job list, all
/// queued in the same bucket. Each is requested by another account: an account may hold only
/// `MaxOpenJobsPerAccount` open jobs.
fn fill_open_jobs<T: Config>(model: ModelId, room: u32) -> Result<(), BenchmarkError> {
	for i in room..T::MaxPendingJobs::get() {
		let requester: T::AccountId = account("requester", i, 0);
		fund::<T>(&requester);
		Fhe::<T>::do_request_prediction(requester, model, longest_cid::<T>(i), H256::zero())?;
	}
	Ok(())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_evaluation_key() {
		setup::<T>();
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), longest_cid::<T>(0), H256::repeat_byte(1));

		assert!(EvaluationKeys::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn remove_evaluation_key() -> Result<(), BenchmarkError> {
		setup::<T>();
		let caller: T::AccountId = whitelisted_caller();
		Fhe::<T>::register_evaluation_key(
			RawOrigin::Signed(caller.clone()).into(),
			longest_cid::<T>(0),
			H256::repeat_byte(1),
		)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()));

		assert!(!EvaluationKeys::<T>::contains_key(&caller));
		Ok(())
	}

	#[benchmark]
	fn register_model(f: Linear<1, { T::MaxFeatures::get() }>) {
		setup::<T>();
		let who = institution::<T>();
		let model = NextModelId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(who), template::<T>(f));

		assert!(Models::<T>::contains_key(model));
	}

	#[benchmark]
	fn retire_model() -> Result<(), BenchmarkError> {
		setup::<T>();
		let model = new_model::<T>()?;

		#[extrinsic_call]
		_(RawOrigin::Signed(institution::<T>()), model);

		assert_last_event::<T>(Event::ModelRetired { model });
		Ok(())
	}

	#[benchmark]
	fn request_prediction() -> Result<(), BenchmarkError> {
		setup::<T>();
		let model = new_model::<T>()?;
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		fill_open_jobs::<T>(model, 1)?;
		let job = NextJobId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), model, longest_cid::<T>(0), H256::zero());

		assert_eq!(OpenJobs::<T>::get().last(), Some(&job));
		Ok(())
	}

	#[benchmark]
	fn request_program() -> Result<(), BenchmarkError> {
		setup::<T>();
		// Worst case: longest CIDs, and one place left in the open-job list.
		let model = new_model::<T>()?;
		let caller: T::AccountId = whitelisted_caller();
		fund::<T>(&caller);
		Fhe::<T>::register_evaluation_key(
			RawOrigin::Signed(caller.clone()).into(),
			longest_cid::<T>(2),
			H256::repeat_byte(1),
		)?;
		fill_open_jobs::<T>(model, 1)?;
		let job = NextJobId::<T>::get();
		let program = IpfsRef { cid: longest_cid::<T>(0), hash: H256::repeat_byte(2) };
		let input = IpfsRef { cid: longest_cid::<T>(1), hash: H256::repeat_byte(3) };

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), program, input);

		assert!(matches!(Jobs::<T>::get(job).map(|j| j.kind), Some(JobKind::Program { .. })));
		Ok(())
	}

	#[benchmark]
	fn submit_result() -> Result<(), BenchmarkError> {
		setup::<T>();
		// Worst case: the submission that reaches the quorum and closes the oldest of a full
		// open-job list, all queued in one bucket.
		let model = new_model::<T>()?;
		let job = NextJobId::<T>::get();
		fill_open_jobs::<T>(model, 0)?;
		let outcome = success::<T>(1);
		let caller = all_but_last_submit::<T>(job, &outcome)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), job, outcome);

		assert!(matches!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Final { .. })));
		Ok(())
	}

	#[benchmark]
	fn process_timeouts(
		n: Linear<0, { T::MaxTimeoutsPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		setup::<T>();
		let model = new_model::<T>()?;
		let jobs = n.min(T::MaxPendingJobs::get());
		for i in 0..jobs {
			let requester: T::AccountId = account("requester", i, 0);
			fund::<T>(&requester);
			Fhe::<T>::do_request_prediction(requester, model, longest_cid::<T>(i), H256::zero())?;
		}
		let deadline = block::<T>(1).saturating_add(T::JobTimeout::get());
		TimeoutCursor::<T>::put(deadline);
		frame_system::Pallet::<T>::set_block_number(deadline);

		#[block]
		{
			Fhe::<T>::process_timeouts(deadline);
		}

		assert!(OpenJobs::<T>::get().is_empty());
		Ok(())
	}

	impl_benchmark_test_suite!(Fhe, crate::mock::new_bench_ext(), crate::mock::Test);
}
