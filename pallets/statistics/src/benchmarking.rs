// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Benchmarks for `pallet-statistics`. Members are made through the `runtime-benchmarks` helper
//! of `ConsortiumInterface`, records through [`RecordLookup::benchmark_record`]. Every call is
//! measured in its worst case: the longest names, CIDs and contributions, the call that
//! completes a set (and so changes a status, settles a batch or publishes a statistic), full
//! lists to append to, and the hook's work with as many reports, jobs and aggregators as allowed.

use super::*;
use crate::Pallet as Statistics;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use pallet_consortium::{ConsortiumInterface, MemberKind};
use sp_runtime::traits::{One, Saturating};

fn set_block<T: Config>(n: BlockNumberFor<T>) {
	frame_system::Pallet::<T>::set_block_number(n);
}

fn now<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number()
}

/// `S::get()` bytes of `fill`, the first four replaced by `tag` so that values differ.
fn filled<S: Get<u32>>(fill: u8, tag: u32) -> BoundedVec<u8, S> {
	let mut bytes = vec![fill; S::get() as usize];
	for (slot, b) in bytes.iter_mut().zip(tag.to_le_bytes()) {
		*slot = b;
	}
	BoundedVec::truncate_from(bytes)
}

fn governance<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
	T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

/// Active evaluator `i`.
fn evaluator<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("aggregator", i, 0);
	T::Consortium::benchmark_admit(&who, &[MemberKind::Evaluator]);
	who
}

/// Active institution `i`.
fn institution<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("institution", i, 0);
	T::Consortium::benchmark_admit(&who, &[MemberKind::Institution]);
	who
}

fn person<T: Config>(i: u32) -> T::AccountId {
	account("person", i, 0)
}

fn aggregator_list<T: Config>(a: u32) -> AggregatorsOf<T> {
	BoundedVec::truncate_from((0..a).map(evaluator::<T>).collect::<Vec<_>>())
}

/// A report id unique per (`kind`, `i`).
fn report_id(kind: u8, i: u32) -> ReportId {
	let mut id = [kind; 16];
	id[..4].copy_from_slice(&i.to_le_bytes());
	id
}

/// A schema of `category` with the longest names; field `i` has `boundaries[i]` bucket
/// boundaries (`None` for 0), and there are `MaxSchemaFields` fields.
fn schema_with<T: Config>(category: DataCategory, boundaries: &[u32]) -> StatisticSchemaOf<T> {
	let fields = (0..T::MaxSchemaFields::get())
		.map(|i| {
			let b = boundaries.get(i as usize).copied().unwrap_or(0);
			SchemaField {
				name: filled::<T::MaxNameLen>(b'n', i),
				unit: filled::<T::MaxNameLen>(b'u', i),
				max: MAX_FIELD_VALUE,
				buckets: (b > 0)
					.then(|| BoundedVec::truncate_from((1..=b as u64).collect::<Vec<_>>())),
			}
		})
		.collect::<Vec<_>>();
	StatisticSchema { category, fields: BoundedVec::truncate_from(fields) }
}

/// The largest schema: every field with `MaxBoundaries` boundaries.
fn largest_schema<T: Config>(category: DataCategory) -> StatisticSchemaOf<T> {
	let b = T::MaxBoundaries::get();
	schema_with::<T>(category, &vec![b; T::MaxSchemaFields::get() as usize])
}

/// Start an epoch of `a` aggregators and complete it (longest contributions): active.
fn active_epoch<T: Config>(a: u32) -> Result<AggregatorEpochId, BenchmarkError> {
	let aggregators = aggregator_list::<T>(a);
	let epoch = Statistics::<T>::do_start_aggregator_epoch(aggregators.clone())?;
	for (i, who) in aggregators.iter().enumerate() {
		Statistics::<T>::do_submit_aggregator_key(who.clone(), epoch, [i as u8; 32])?;
	}
	for (i, who) in aggregators.iter().enumerate() {
		Statistics::<T>::do_submit_verify_key_contribution(
			who.clone(),
			epoch,
			filled::<T::MaxContributionLen>(b'k', i as u32),
		)?;
	}
	Ok(epoch)
}

/// Register the largest vital-signs schema; returns its id.
fn vitals<T: Config>() -> SchemaId {
	Statistics::<T>::insert_schema(largest_schema::<T>(DataCategory::VitalSigns)).0
}

/// Privacy parameters allowing as many statistics as the benchmarks make.
fn generous_privacy<T: Config>() {
	PrivacyParams::<T>::put(PrivacyParameters {
		epsilon_per_statistic: EpsilonMillis(1_000),
		budget_per_period: EpsilonMillis(u32::MAX),
		period: 1_000u32.into(),
	});
}

/// `who` reports on `record` now, with the longest CID.
fn report<T: Config>(
	who: &T::AccountId,
	record: RecordId,
	schema: SchemaId,
	id: ReportId,
) -> Result<(), BenchmarkError> {
	Statistics::<T>::do_submit_report(
		who.clone(),
		record,
		schema,
		id,
		filled::<T::MaxCidLen>(b'c', id[0] as u32),
		H256::repeat_byte(1),
		T::MaxReportSize::get(),
	)?;
	Ok(())
}

/// `r` people each report once now on a record of their own (people `from..from + r`).
fn reports_from_people<T: Config>(
	from: u32,
	r: u32,
	schema: SchemaId,
) -> Result<(), BenchmarkError> {
	for i in from..from.saturating_add(r) {
		let who = person::<T>(i);
		let record = T::Records::benchmark_record(&who, DataCategory::VitalSigns);
		report::<T>(&who, record, schema, report_id(1, i))?;
	}
	Ok(())
}

/// Every aggregator of `epoch` posts short verifier shares for the batch of `batch`.
fn post_all_shares<T: Config>(batch: BlockNumberFor<T>, a: u32) -> Result<(), BenchmarkError> {
	for i in 0..a {
		Statistics::<T>::do_submit_verifier_shares(
			evaluator::<T>(i),
			batch,
			BoundedVec::truncate_from(vec![i as u8; 32]),
		)?;
	}
	Ok(())
}

/// A kind with exactly `v` values over a schema made for it: a sum of `v` fields when there are
/// enough fields, else a histogram whose fields' buckets add up to `v`. Registers the schema.
fn kind_with_values<T: Config>(v: u32) -> Result<(SchemaId, StatisticKindOf<T>), BenchmarkError> {
	let fields = T::MaxSchemaFields::get();
	if v <= fields {
		let schema =
			Statistics::<T>::insert_schema(largest_schema::<T>(DataCategory::VitalSigns)).0;
		let named = BoundedVec::truncate_from((0..v as u16).collect::<Vec<_>>());
		return Ok((schema, StatisticKind::Sum(named)));
	}
	// `k` fields of `base` or `base + 1` buckets each (boundaries one fewer).
	let most = T::MaxBoundaries::get().saturating_add(1);
	let k = v.div_ceil(most);
	let (base, extra) = (v / k, v % k);
	if base < 2 || k > fields {
		return Err(BenchmarkError::Weightless);
	}
	let boundaries: Vec<u32> =
		(0..k).map(|i| if i < extra { base } else { base - 1 }).collect::<Vec<_>>();
	let schema =
		Statistics::<T>::insert_schema(schema_with::<T>(DataCategory::VitalSigns, &boundaries)).0;
	let named = BoundedVec::truncate_from((0..k as u16).collect::<Vec<_>>());
	Ok((schema, StatisticKind::Histogram(named)))
}

/// An aggregate share of `v` values near the modulus, with as many noise segments as allowed.
fn full_share<T: Config>(v: u32, reports: u32) -> AggregateShareOf<T> {
	let segments = v.min(MaxNoiseSegmentsOf::<T>::get()).max(1);
	let noise = (0..segments)
		.map(|i| NoiseSegment {
			values: (v / segments + u32::from(i < v % segments)) as u16,
			sensitivity: u128::MAX,
			epsilon: EpsilonMillis(1),
			total_std_dev_millis: u64::MAX,
		})
		.collect::<Vec<_>>();
	AggregateShareSubmission {
		reports,
		cohort_hash: H256::repeat_byte(3),
		values: BoundedVec::truncate_from(vec![FIELD128_MODULUS - 1; v as usize]),
		noise: BoundedVec::truncate_from(noise),
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_schema(
		f: Linear<1, { T::MaxSchemaFields::get() }>,
		b: Linear<0, { T::MaxBoundaries::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		let origin = governance::<T>()?;
		// Worst case: the category has a schema, which is superseded.
		let old = vitals::<T>();
		let mut schema = schema_with::<T>(DataCategory::VitalSigns, &vec![b; f as usize]);
		schema.fields.truncate(f as usize);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, schema);

		assert_eq!(SchemaOfCategory::<T>::get(DataCategory::VitalSigns), Some(old + 1));
		Ok(())
	}

	#[benchmark]
	fn start_aggregator_epoch(
		a: Linear<{ T::MinAggregators::get() }, { T::MaxAggregators::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		let origin = governance::<T>()?;
		// Worst case: an epoch being set up is cancelled.
		let pending = Statistics::<T>::do_start_aggregator_epoch(aggregator_list::<T>(
			T::MaxAggregators::get(),
		))?;
		let aggregators = aggregator_list::<T>(a);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, aggregators);

		assert_eq!(PendingEpoch::<T>::get(), Some(pending + 1));
		Ok(())
	}

	#[benchmark]
	fn submit_aggregator_key(
		a: Linear<{ T::MinAggregators::get() }, { T::MaxAggregators::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		let aggregators = aggregator_list::<T>(a);
		let epoch = Statistics::<T>::do_start_aggregator_epoch(aggregators.clone())?;
		// Worst case: the last key.
		let (last, rest) = aggregators.split_last().ok_or(BenchmarkError::Weightless)?;
		for (i, who) in rest.iter().enumerate() {
			Statistics::<T>::do_submit_aggregator_key(who.clone(), epoch, [i as u8; 32])?;
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), epoch, [255; 32]);

		assert_eq!(
			AggregatorEpochs::<T>::get(epoch).map(|e| e.status),
			Some(EpochStatus::CollectingContributions)
		);
		Ok(())
	}

	#[benchmark]
	fn submit_verify_key_contribution(
		a: Linear<{ T::MinAggregators::get() }, { T::MaxAggregators::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		// Worst case: the last contribution, retiring the largest active epoch.
		let previous = active_epoch::<T>(T::MaxAggregators::get())?;
		let aggregators = aggregator_list::<T>(a);
		let epoch = Statistics::<T>::do_start_aggregator_epoch(aggregators.clone())?;
		for (i, who) in aggregators.iter().enumerate() {
			Statistics::<T>::do_submit_aggregator_key(who.clone(), epoch, [i as u8; 32])?;
		}
		let (last, rest) = aggregators.split_last().ok_or(BenchmarkError::Weightless)?;
		for (i, who) in rest.iter().enumerate() {
			Statistics::<T>::do_submit_verify_key_contribution(
				who.clone(),
				epoch,
				filled::<T::MaxContributionLen>(b'k', i as u32),
			)?;
		}
		let contribution = filled::<T::MaxContributionLen>(b'k', a);

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), epoch, contribution);

		assert_eq!(ActiveEpoch::<T>::get(), Some(epoch));
		assert_eq!(
			AggregatorEpochs::<T>::get(previous).map(|e| e.status),
			Some(EpochStatus::Retired)
		);
		Ok(())
	}

	#[benchmark]
	fn submit_report() -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		active_epoch::<T>(T::MaxAggregators::get())?;
		let schema = vitals::<T>();
		let caller = person::<T>(u32::MAX);
		let record = T::Records::benchmark_record(&caller, DataCategory::VitalSigns);
		// Worst case: the caller's list and this block's batch each have room for one more.
		let earlier = T::MaxReportsPerOwner::get().saturating_sub(1);
		for i in 0..earlier {
			report::<T>(&caller, record, schema, report_id(2, i))?;
			set_block::<T>(now::<T>().saturating_add(One::one()));
		}
		reports_from_people::<T>(0, T::MaxReportsPerBatch::get().saturating_sub(1), schema)?;
		let id = report_id(3, 0);

		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			record,
			schema,
			id,
			filled::<T::MaxCidLen>(b'c', 0),
			H256::repeat_byte(2),
			T::MaxReportSize::get(),
		);

		assert_eq!(Reports::<T>::get(id).map(|r| r.owner), Some(caller));
		Ok(())
	}

	#[benchmark]
	fn submit_verifier_shares(
		s: Linear<1, { T::MaxVerifierSharesLen::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		active_epoch::<T>(T::MaxAggregators::get())?;
		let schema = vitals::<T>();
		reports_from_people::<T>(0, 1, schema)?;
		let batch = now::<T>();
		let shares = BoundedVec::truncate_from(vec![7u8; s as usize]);

		#[extrinsic_call]
		_(RawOrigin::Signed(evaluator::<T>(0)), batch, shares);

		assert!(VerifierShares::<T>::contains_key(batch, 0));
		Ok(())
	}

	#[benchmark]
	fn confirm_batch(
		r: Linear<1, { T::MaxReportsPerBatch::get() }>,
		a: Linear<{ T::MinAggregators::get() }, { T::MaxAggregators::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		active_epoch::<T>(a)?;
		let schema = vitals::<T>();
		reports_from_people::<T>(0, r, schema)?;
		let batch = now::<T>();
		post_all_shares::<T>(batch, a)?;
		// Worst case: every aggregator rejects every report; the last confirmation settles it.
		let all: RejectionsOf<T> = BoundedVec::truncate_from(
			(0..r)
				.map(|index| BatchRejection { index, reason: RejectionReason::InvalidProof })
				.collect::<Vec<_>>(),
		);
		for i in 0..a.saturating_sub(1) {
			Statistics::<T>::do_confirm_batch(evaluator::<T>(i), batch, all.clone())?;
		}
		let last = evaluator::<T>(a.saturating_sub(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(last), batch, all);

		assert!(!Batches::<T>::contains_key(batch));
		assert!(matches!(
			Reports::<T>::get(report_id(1, 0)).map(|r| r.status),
			Some(ReportStatus::Rejected { .. })
		));
		Ok(())
	}

	#[benchmark]
	fn request_statistic(
		f: Linear<1, { T::MaxSchemaFields::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		active_epoch::<T>(T::MinAggregators::get())?;
		generous_privacy::<T>();
		let schema = vitals::<T>();
		let who = institution::<T>(0);
		// Worst case: the budget was spent in an earlier period and is reset.
		Statistics::<T>::do_request_statistic(
			who.clone(),
			schema,
			StatisticKind::Count,
			PurposeOfUse::PUBHLTH,
		)?;
		set_block::<T>(2_000u32.into());
		let kind =
			StatisticKind::Histogram(BoundedVec::truncate_from((0..f as u16).collect::<Vec<_>>()));
		let job = NextJobId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(who), schema, kind, PurposeOfUse::PUBHLTH);

		assert!(Jobs::<T>::contains_key(job));
		Ok(())
	}

	#[benchmark]
	fn submit_aggregate_share(
		a: Linear<{ T::MinAggregators::get() }, { T::MaxAggregators::get() }>,
		v: Linear<
			1,
			{ T::MaxSchemaFields::get().saturating_mul(T::MaxBoundaries::get().saturating_add(1)) },
		>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		active_epoch::<T>(a)?;
		generous_privacy::<T>();
		let (schema, kind) = kind_with_values::<T>(v)?;
		let job = Statistics::<T>::do_request_statistic(
			institution::<T>(0),
			schema,
			kind,
			PurposeOfUse::PUBHLTH,
		)?;
		// Worst case: the last share, which publishes the sum of all.
		let share = full_share::<T>(v, T::MinCohortSize::get());
		for i in 0..a.saturating_sub(1) {
			Statistics::<T>::do_submit_aggregate_share(evaluator::<T>(i), job, share.clone())?;
		}
		let last = evaluator::<T>(a.saturating_sub(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(last), job, share);

		assert!(PublishedStatistics::<T>::contains_key(job));
		Ok(())
	}

	#[benchmark]
	fn set_privacy_parameters() -> Result<(), BenchmarkError> {
		let origin = governance::<T>()?;
		let params = PrivacyParameters {
			epsilon_per_statistic: EpsilonMillis(500),
			budget_per_period: EpsilonMillis(5_000),
			period: 14_400u32.into(),
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params.clone());

		assert_eq!(PrivacyParams::<T>::get(), Some(params));
		Ok(())
	}

	#[benchmark]
	fn enrol() -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		let who = person::<T>(0);
		// Worst case: the last enrolment the person may have.
		for i in 1..T::MaxEnrolmentsPerPerson::get() {
			Statistics::<T>::do_enrol(institution::<T>(i), who.clone())?;
		}
		let caller = institution::<T>(0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), who.clone());

		assert!(Enrolments::<T>::contains_key(&who, &caller));
		Ok(())
	}

	#[benchmark]
	fn unenrol() -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		let who = person::<T>(0);
		for i in 0..T::MaxEnrolmentsPerPerson::get() {
			Statistics::<T>::do_enrol(institution::<T>(i), who.clone())?;
		}
		let caller = institution::<T>(0);

		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), who.clone());

		assert!(!Enrolments::<T>::contains_key(&who, &caller));
		Ok(())
	}

	#[benchmark]
	fn timeout_batch(
		r: Linear<0, { T::MaxReportsPerBatch::get() }>,
		a: Linear<{ T::MinAggregators::get() }, { T::MaxAggregators::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		active_epoch::<T>(a)?;
		let schema = vitals::<T>();
		reports_from_people::<T>(0, r, schema)?;
		let batch = now::<T>();
		if r > 0 {
			// Every aggregator posted; none confirmed: all shares are removed.
			post_all_shares::<T>(batch, a)?;
		}
		let at = batch.saturating_add(T::VerificationTimeout::get()).saturating_add(One::one());
		set_block::<T>(at);

		#[block]
		{
			Statistics::<T>::process_batch_timeout(at);
		}

		assert!(!Batches::<T>::contains_key(batch));
		if r > 0 {
			assert!(matches!(
				Reports::<T>::get(report_id(1, 0)).map(|r| r.status),
				Some(ReportStatus::Rejected { reason: RejectionReason::VerificationTimeout, .. })
			));
		}
		Ok(())
	}

	#[benchmark]
	fn timeout_jobs(
		j: Linear<0, { T::MaxJobsPerBlock::get() }>,
		a: Linear<{ T::MinAggregators::get() }, { T::MaxAggregators::get() }>,
	) -> Result<(), BenchmarkError> {
		set_block::<T>(One::one());
		active_epoch::<T>(a)?;
		generous_privacy::<T>();
		let schema = vitals::<T>();
		let who = institution::<T>(0);
		// Every aggregator but the last submitted to every job: their shares are removed.
		let share = full_share::<T>(1, T::MinCohortSize::get());
		let mut jobs = Vec::new();
		for _ in 0..j {
			let job = Statistics::<T>::do_request_statistic(
				who.clone(),
				schema,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH,
			)?;
			for i in 0..a.saturating_sub(1) {
				Statistics::<T>::do_submit_aggregate_share(evaluator::<T>(i), job, share.clone())?;
			}
			jobs.push(job);
		}
		let at = now::<T>().saturating_add(T::StatisticTimeout::get()).saturating_add(One::one());
		set_block::<T>(at);

		#[block]
		{
			Statistics::<T>::process_job_timeouts(at);
		}

		for job in jobs {
			assert!(matches!(
				Jobs::<T>::get(job).map(|j| j.status),
				Some(StatisticStatus::Failed {
					reason: StatisticFailure::Timeout { missing: 1 },
					..
				})
			));
		}
		Ok(())
	}

	impl_benchmark_test_suite!(Statistics, crate::mock::new_bench_ext(), crate::mock::Test);
}
