// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Benchmarks for `pallet-fhe`. Members are made through the `runtime-benchmarks` helper of
//! `ConsortiumInterface`; every call is measured in its worst case (longest CIDs and texts, the
//! submission that reaches the quorum, the share that completes a set).

use super::*;
use crate::Pallet as Fhe;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;

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

/// Active evaluator `i` (key holders and result submitters are drawn from them).
fn evaluator<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("evaluator", i, 0);
	T::Consortium::benchmark_admit(&who, &[MemberKind::Evaluator]);
	who
}

fn institution<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("institution", 0, 0);
	T::Consortium::benchmark_admit(&who, &[MemberKind::Institution]);
	who
}

fn setup<T: Config>() {
	frame_system::Pallet::<T>::set_block_number(block::<T>(1));
}

fn holders<T: Config>(h: u32) -> HoldersOf<T> {
	BoundedVec::truncate_from((0..h).map(evaluator::<T>).collect::<Vec<_>>())
}

/// A success outcome with the longest CID.
fn success<T: Config>(tag: u32, cohort_size: Option<u32>) -> OutcomeOf<T> {
	Outcome::Success {
		result_cid: longest_cid::<T>(tag),
		result_hash: H256::repeat_byte(9),
		cohort_size,
	}
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

/// Start an epoch held by `h` evaluators and submit every share but the last; returns the
/// epoch and its last holder.
fn epoch_missing_one_share<T: Config>(h: u32) -> Result<(EpochId, T::AccountId), BenchmarkError> {
	let hs = holders::<T>(h);
	let epoch = Fhe::<T>::do_start_key_epoch(hs.clone())?;
	let (last, rest) = hs.split_last().ok_or(BenchmarkError::Weightless)?;
	for (i, who) in rest.iter().enumerate() {
		Fhe::<T>::do_submit_key_share(
			who.clone(),
			epoch,
			longest_cid::<T>(i as u32),
			H256::zero(),
		)?;
	}
	Ok((epoch, last.clone()))
}

/// An epoch held by `h` evaluators, with its joint key agreed: current.
fn current_epoch<T: Config>(h: u32) -> Result<EpochId, BenchmarkError> {
	let (epoch, last) = epoch_missing_one_share::<T>(h)?;
	Fhe::<T>::do_submit_key_share(last, epoch, longest_cid::<T>(h), H256::zero())?;
	let EpochStatus::AwaitingJointKey { job } =
		KeyEpochs::<T>::get(epoch).ok_or(BenchmarkError::Weightless)?.status
	else {
		return Err(BenchmarkError::Weightless);
	};
	let outcome = success::<T>(7, None);
	let last = all_but_last_submit::<T>(job, &outcome)?;
	Fhe::<T>::do_submit_result(last, job, outcome)?;
	Ok(epoch)
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

fn histogram<T: Config>(b: u32) -> StatisticOf<T> {
	if b == 0 {
		Statistic::Count
	} else {
		Statistic::Histogram {
			bounds: BoundedVec::truncate_from((0..b).map(|i| i as i64 * 10).collect::<Vec<_>>()),
		}
	}
}

/// A statistic under a current epoch of `h` holders, with its aggregate agreed.
fn aggregated<T: Config>(h: u32, statistic: StatisticOf<T>) -> Result<JobId, BenchmarkError> {
	current_epoch::<T>(h)?;
	let job = Fhe::<T>::do_request_statistic(
		institution::<T>(),
		PurposeOfUse::PUBHLTH,
		DataCategory::WearableReadings,
		u16::MAX,
		statistic,
	)?;
	let outcome = success::<T>(8, Some(T::MinCohortSize::get()));
	let last = all_but_last_submit::<T>(job, &outcome)?;
	Fhe::<T>::do_submit_result(last, job, outcome)?;
	Ok(job)
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
	fn start_key_epoch(h: Linear<1, { T::MaxKeyHolders::get() }>) -> Result<(), BenchmarkError> {
		setup::<T>();
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		// Worst case: an epoch awaiting its joint key is superseded and its job cancelled.
		let (old, last) = epoch_missing_one_share::<T>(1)?;
		Fhe::<T>::do_submit_key_share(last, old, longest_cid::<T>(1), H256::zero())?;
		let hs = holders::<T>(h);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, hs);

		assert!(matches!(
			KeyEpochs::<T>::get(old).map(|e| e.status),
			Some(EpochStatus::Superseded { .. })
		));
		Ok(())
	}

	#[benchmark]
	fn submit_key_share(h: Linear<1, { T::MaxKeyHolders::get() }>) -> Result<(), BenchmarkError> {
		setup::<T>();
		// Worst case: the last share, which creates the joint-key job.
		let (epoch, last) = epoch_missing_one_share::<T>(h)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(last), epoch, longest_cid::<T>(h), H256::zero());

		assert!(matches!(
			KeyEpochs::<T>::get(epoch).map(|e| e.status),
			Some(EpochStatus::AwaitingJointKey { .. })
		));
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
		// Room for one more open job, queued in the same bucket as the others (requested by
		// other accounts: each may hold only `MaxOpenJobsPerAccount` open jobs).
		for i in 1..T::MaxPendingJobs::get() {
			Fhe::<T>::do_request_prediction(
				account("requester", i, 0),
				model,
				longest_cid::<T>(i),
				H256::zero(),
			)?;
		}
		let job = NextJobId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), model, longest_cid::<T>(0), H256::zero());

		assert_eq!(PendingJobs::<T>::get().last(), Some(&job));
		Ok(())
	}

	#[benchmark]
	fn request_statistic(
		b: Linear<0, { T::MaxHistogramBuckets::get() }>,
	) -> Result<(), BenchmarkError> {
		setup::<T>();
		current_epoch::<T>(1)?;
		let who = institution::<T>();
		let job = NextJobId::<T>::get();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(who),
			PurposeOfUse::PUBHLTH,
			DataCategory::WearableReadings,
			u16::MAX,
			histogram::<T>(b),
		);

		assert!(Jobs::<T>::contains_key(job));
		Ok(())
	}

	#[benchmark]
	fn submit_result() -> Result<(), BenchmarkError> {
		setup::<T>();
		// Worst case: the submission that agrees a joint key, retiring the current epoch.
		let previous = current_epoch::<T>(1)?;
		let (epoch, last) = epoch_missing_one_share::<T>(T::MaxKeyHolders::get())?;
		Fhe::<T>::do_submit_key_share(last, epoch, longest_cid::<T>(0), H256::zero())?;
		let EpochStatus::AwaitingJointKey { job } =
			KeyEpochs::<T>::get(epoch).ok_or(BenchmarkError::Weightless)?.status
		else {
			return Err(BenchmarkError::Weightless);
		};
		let outcome = success::<T>(1, None);
		let caller = all_but_last_submit::<T>(job, &outcome)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), job, outcome);

		assert_eq!(CurrentEpoch::<T>::get(), Some(epoch));
		assert!(matches!(
			KeyEpochs::<T>::get(previous).map(|e| e.status),
			Some(EpochStatus::Retired { .. })
		));
		Ok(())
	}

	#[benchmark]
	fn submit_decryption_share(
		h: Linear<1, { T::MaxKeyHolders::get() }>,
	) -> Result<(), BenchmarkError> {
		setup::<T>();
		let job = aggregated::<T>(h, Statistic::Count)?;
		// Worst case: the last share.
		for i in 1..h {
			Fhe::<T>::do_submit_decryption_share(
				evaluator::<T>(i),
				job,
				longest_cid::<T>(i),
				H256::zero(),
			)?;
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(evaluator::<T>(0)), job, longest_cid::<T>(0), H256::zero());

		assert_last_event::<T>(Event::DecryptionSharesComplete { job });
		Ok(())
	}

	#[benchmark]
	fn publish_statistic(
		v: Linear<1, { T::MaxHistogramBuckets::get().saturating_add(1) }>,
	) -> Result<(), BenchmarkError> {
		setup::<T>();
		let holders = T::MaxKeyHolders::get();
		let job = aggregated::<T>(holders, histogram::<T>(v - 1))?;
		for i in 0..holders {
			Fhe::<T>::do_submit_decryption_share(
				evaluator::<T>(i),
				job,
				longest_cid::<T>(i),
				H256::zero(),
			)?;
		}
		let values: ValuesOf<T> =
			BoundedVec::truncate_from((0..v).map(|i| i128::MAX - i as i128).collect::<Vec<_>>());
		// Worst case: the submission that reaches the quorum and publishes.
		let quorum = Pallet::<T>::result_quorum();
		for i in 0..quorum.saturating_sub(1) {
			Fhe::<T>::do_publish_statistic(evaluator::<T>(i), job, values.clone())?;
		}
		let caller = evaluator::<T>(quorum.saturating_sub(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), job, values);

		assert!(PublishedStatistics::<T>::contains_key(job));
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
			Fhe::<T>::do_request_prediction(
				account("requester", i, 0),
				model,
				longest_cid::<T>(i),
				H256::zero(),
			)?;
		}
		let deadline = block::<T>(1).saturating_add(T::JobTimeout::get());
		TimeoutCursor::<T>::put(deadline);
		frame_system::Pallet::<T>::set_block_number(deadline);

		#[block]
		{
			Fhe::<T>::process_timeouts(deadline);
		}

		assert!(PendingJobs::<T>::get().is_empty());
		Ok(())
	}

	impl_benchmark_test_suite!(Fhe, crate::mock::new_bench_ext(), crate::mock::Test);
}
