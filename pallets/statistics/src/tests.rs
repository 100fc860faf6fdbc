// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Unit tests for `pallet-statistics`, against the real consortium pallet and mock records.
//! Every test ends by checking the pallet's invariants (`ExtBuilder::build_and_execute`).

use crate::{
	mock::*, ActiveEpoch, AggregateShares, AggregatorEpochId, AggregatorEpochs, BatchRejection,
	BatchRejections, Batches, BudgetSpent, CohortReport, DataCategory, EnrolmentCount, Enrolments,
	EpochStatus, EpsilonMillis, Error, Event, JobDeadlines, Jobs, NextEpochId, NextJobId,
	NoiseSegment, PendingEpoch, PrivacyParameters, PrivacyParams, PublishedStatistic,
	PublishedStatistics, PurposeOfUse, RejectionReason, RejectionsOf, ReportId, ReportStatus,
	Reports, ReportsOf, SchemaField, SchemaId, SchemaOfCategory, Schemas, StatisticFailure,
	StatisticJobId, StatisticKind, StatisticKindOf, StatisticSchema, StatisticSchemaOf,
	StatisticStatus, VerifierShares, FIELD128_MODULUS, MAX_FIELD_VALUE,
};
use custodia_primitives::vaults::RecordId;
use frame_support::{assert_noop, assert_ok, traits::Hooks, BoundedVec};
use sp_core::H256;
use sp_runtime::DispatchError::BadOrigin;

// ---- helpers ----

/// The schema the default genesis registers (vital signs: systolic, pulse, age).
const VITALS: SchemaId = 0;

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Statistics(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn start_epoch(a: &[u64]) -> AggregatorEpochId {
	let epoch = NextEpochId::<Test>::get();
	assert_ok!(Statistics::start_aggregator_epoch(RuntimeOrigin::root(), aggregators(a)));
	epoch
}

fn post_keys(epoch: AggregatorEpochId, a: &[u64]) {
	for who in a {
		assert_ok!(Statistics::submit_aggregator_key(signed(*who), epoch, [*who as u8; 32]));
	}
}

fn contribution(who: u64) -> crate::ContributionOf<Test> {
	vec![who as u8; 48].try_into().unwrap()
}

fn post_contributions(epoch: AggregatorEpochId, a: &[u64]) {
	for who in a {
		assert_ok!(Statistics::submit_verify_key_contribution(
			signed(*who),
			epoch,
			contribution(*who)
		));
	}
}

/// Start an epoch with aggregators `a` and complete it: active.
fn activate(a: &[u64]) -> AggregatorEpochId {
	let epoch = start_epoch(a);
	post_keys(epoch, a);
	post_contributions(epoch, a);
	assert_eq!(ActiveEpoch::<Test>::get(), Some(epoch));
	epoch
}

/// A live record of `owner` holding vital signs.
fn vitals_record(owner: u64) -> RecordId {
	add_record(owner, &[DataCategory::VitalSigns])
}

fn submit(owner: u64, record: RecordId, id: ReportId) -> frame_support::dispatch::DispatchResult {
	Statistics::submit_report(
		signed(owner),
		record,
		VITALS,
		id,
		cid(b"bafy-report"),
		H256::repeat_byte(7),
		4_000,
	)
}

fn verifier_shares(who: u64) -> crate::VerifierSharesOf<Test> {
	vec![who as u8; 32].try_into().unwrap()
}

fn rejections(r: &[(u32, RejectionReason)]) -> RejectionsOf<Test> {
	r.iter()
		.map(|(index, reason)| BatchRejection { index: *index, reason: *reason })
		.collect::<Vec<_>>()
		.try_into()
		.unwrap()
}

/// Every aggregator in `a` posts its shares for `batch`, then confirms it; the first names
/// `rejected`.
fn settle(batch: u64, a: &[u64], rejected: &[(u32, RejectionReason)]) {
	for who in a {
		assert_ok!(Statistics::submit_verifier_shares(signed(*who), batch, verifier_shares(*who)));
	}
	for (i, who) in a.iter().enumerate() {
		let r = if i == 0 { rejections(rejected) } else { rejections(&[]) };
		assert_ok!(Statistics::confirm_batch(signed(*who), batch, r));
	}
}

fn status(report: ReportId) -> ReportStatus<u64> {
	Reports::<Test>::get(report).unwrap().status
}

/// Under an active epoch of EVAL_A and EVAL_B: each of `people` reports (report id
/// `rid(first + i)`) in this block, the batch is verified, and LAB enrols them. Returns the
/// report ids.
fn verified_reports(people: &[u64], first: u8) -> Vec<ReportId> {
	let now = System::block_number();
	let ids: Vec<ReportId> = people
		.iter()
		.enumerate()
		.map(|(i, who)| {
			let id = rid(first + i as u8);
			assert_ok!(submit(*who, vitals_record(*who), id));
			id
		})
		.collect();
	settle(now, &[EVAL_A, EVAL_B], &[]);
	for (who, id) in people.iter().zip(&ids) {
		assert_eq!(status(*id), ReportStatus::Verified { at: now });
		if !Enrolments::<Test>::contains_key(who, LAB) {
			assert_ok!(Statistics::enrol(signed(LAB), *who));
		}
	}
	ids
}

fn fields(f: &[u16]) -> crate::FieldIndicesOf<Test> {
	f.to_vec().try_into().unwrap()
}

fn request(who: u64, kind: StatisticKindOf<Test>) -> StatisticJobId {
	let job = NextJobId::<Test>::get();
	assert_ok!(Statistics::request_statistic(signed(who), VITALS, kind, PurposeOfUse::PUBHLTH));
	job
}

fn job_status(job: StatisticJobId) -> StatisticStatus<u64> {
	Jobs::<Test>::get(job).unwrap().status
}

/// A bounded schema from a genesis-style one.
fn bounded(schema: crate::GenesisSchema) -> StatisticSchemaOf<Test> {
	Statistics::bounded_schema(&schema).unwrap()
}

/// A one-field schema for `category` with the given field.
fn one_field(
	category: DataCategory,
	name: &[u8],
	max: u64,
	buckets: Option<Vec<u64>>,
) -> StatisticSchemaOf<Test> {
	bounded(StatisticSchema {
		category,
		fields: vec![SchemaField { name: name.to_vec(), unit: b"1".to_vec(), max, buckets }],
	})
}

// ---- genesis, integrity ----

#[test]
fn genesis_registers_schemas_sets_privacy_and_starts_epoch_zero_collecting_keys() {
	ExtBuilder::default()
		.with_genesis_aggregators(&[EVAL_A, EVAL_B])
		.build_and_execute(|| {
			assert_eq!(SchemaOfCategory::<Test>::get(DataCategory::VitalSigns), Some(VITALS));
			let schema = Statistics::schema(VITALS).unwrap();
			assert_eq!(schema.schema.fields.len(), 3);
			assert_eq!(schema.schema.fields[0].buckets, Some(vec![120, 140, 160]));
			assert!(!schema.superseded);
			assert_eq!(Statistics::privacy_parameters(), Some(default_privacy()));
			assert_eq!(PendingEpoch::<Test>::get(), Some(0));
			assert_eq!(ActiveEpoch::<Test>::get(), None);
			let (id, epoch) = Statistics::pending_epoch().unwrap();
			assert_eq!(id, 0);
			assert_eq!(epoch.status, EpochStatus::CollectingKeys);
			assert_eq!(
				epoch.aggregators.iter().map(|s| s.account).collect::<Vec<_>>(),
				vec![EVAL_A, EVAL_B]
			);
			// The genesis epoch completes like any other.
			post_keys(0, &[EVAL_A, EVAL_B]);
			post_contributions(0, &[EVAL_A, EVAL_B]);
			assert_eq!(Statistics::active_epoch().unwrap().0, 0);
		});
}

#[test]
fn genesis_aggregators_need_not_be_consortium_members_yet() {
	// Genesis is trusted configuration: the consortium's own genesis may come later.
	ExtBuilder::default().with_genesis_aggregators(&[50, 51]).build_and_execute(|| {
		assert_eq!(PendingEpoch::<Test>::get(), Some(0));
	});
}

#[test]
#[should_panic(expected = "genesis aggregators")]
fn genesis_refuses_a_single_aggregator() {
	ExtBuilder::default().with_genesis_aggregators(&[EVAL_A]).build();
}

#[test]
#[should_panic(expected = "genesis aggregators")]
fn genesis_refuses_an_aggregator_named_twice() {
	ExtBuilder::default().with_genesis_aggregators(&[EVAL_A, EVAL_A]).build();
}

#[test]
fn integrity_test_passes_for_the_mock() {
	ExtBuilder::empty().build().execute_with(|| {
		<Statistics as Hooks<u64>>::integrity_test();
	});
}

// ---- register_schema ----

#[test]
fn register_schema_makes_it_the_category_schema() {
	ExtBuilder::empty().build_and_execute(|| {
		let schema = one_field(DataCategory::LaboratoryResults, b"ldl", 500, Some(vec![100, 160]));
		assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), schema.clone()));
		let info = Schemas::<Test>::get(0).unwrap();
		assert_eq!(info.schema, schema);
		assert_eq!(info.registered_at, 1);
		assert!(!info.superseded);
		assert_eq!(Statistics::schema_of(DataCategory::LaboratoryResults), Some(0));
		System::assert_last_event(
			Event::SchemaRegistered {
				schema: 0,
				category: DataCategory::LaboratoryResults,
				supersedes: None,
			}
			.into(),
		);
	});
}

#[test]
fn register_schema_supersedes_the_category_previous_schema() {
	ExtBuilder::default().build_and_execute(|| {
		let schema = one_field(DataCategory::VitalSigns, b"pulse", 250, None);
		assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), schema));
		assert!(Schemas::<Test>::get(VITALS).unwrap().superseded);
		assert_eq!(Statistics::schema_of(DataCategory::VitalSigns), Some(1));
		System::assert_last_event(
			Event::SchemaRegistered {
				schema: 1,
				category: DataCategory::VitalSigns,
				supersedes: Some(VITALS),
			}
			.into(),
		);
		// Another category's schema supersedes nothing.
		let other = one_field(DataCategory::Genomics, b"variants", 10, None);
		assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), other));
		assert!(!Schemas::<Test>::get(1).unwrap().superseded);
	});
}

#[test]
fn register_schema_requires_governance() {
	ExtBuilder::empty().build_and_execute(|| {
		let schema = one_field(DataCategory::VitalSigns, b"pulse", 250, None);
		assert_noop!(Statistics::register_schema(signed(HOSPITAL), schema), BadOrigin);
	});
}

#[test]
fn register_schema_refuses_a_schema_without_fields() {
	ExtBuilder::empty().build_and_execute(|| {
		let schema =
			StatisticSchema { category: DataCategory::VitalSigns, fields: BoundedVec::new() };
		assert_noop!(
			Statistics::register_schema(RuntimeOrigin::root(), schema),
			Error::<Test>::EmptySchema
		);
	});
}

#[test]
fn register_schema_refuses_an_unnamed_field() {
	ExtBuilder::empty().build_and_execute(|| {
		let schema = one_field(DataCategory::VitalSigns, b"", 250, None);
		assert_noop!(
			Statistics::register_schema(RuntimeOrigin::root(), schema),
			Error::<Test>::EmptyFieldName
		);
	});
}

#[test]
fn register_schema_refuses_two_fields_of_one_name() {
	ExtBuilder::empty().build_and_execute(|| {
		let field = |max| SchemaField { name: b"pulse".to_vec(), unit: vec![], max, buckets: None };
		let schema = bounded(StatisticSchema {
			category: DataCategory::VitalSigns,
			fields: vec![field(250), field(300)],
		});
		assert_noop!(
			Statistics::register_schema(RuntimeOrigin::root(), schema),
			Error::<Test>::DuplicateFieldName
		);
	});
}

#[test]
fn register_schema_refuses_a_field_max_out_of_range() {
	ExtBuilder::empty().build_and_execute(|| {
		for max in [0, MAX_FIELD_VALUE + 1, u64::MAX] {
			let schema = one_field(DataCategory::VitalSigns, b"pulse", max, None);
			assert_noop!(
				Statistics::register_schema(RuntimeOrigin::root(), schema),
				Error::<Test>::FieldMaxOutOfRange
			);
		}
		// The bounds themselves are fine.
		for max in [1, MAX_FIELD_VALUE] {
			let schema = one_field(DataCategory::VitalSigns, b"pulse", max, None);
			assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), schema));
		}
	});
}

#[test]
fn register_schema_refuses_invalid_buckets() {
	ExtBuilder::empty().build_and_execute(|| {
		let invalid = [
			vec![],        // Some but empty
			vec![10, 10],  // not strictly increasing
			vec![20, 10],  // decreasing
			vec![0, 10],   // below 1
			vec![10, 101], // above max
		];
		for buckets in invalid {
			let schema = one_field(DataCategory::VitalSigns, b"age", 100, Some(buckets));
			assert_noop!(
				Statistics::register_schema(RuntimeOrigin::root(), schema),
				Error::<Test>::InvalidBuckets
			);
		}
		let schema = one_field(DataCategory::VitalSigns, b"age", 100, Some(vec![1, 50, 100]));
		assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), schema));
	});
}

// ---- start_aggregator_epoch ----

#[test]
fn start_aggregator_epoch_opens_an_epoch_collecting_keys() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		assert_eq!(PendingEpoch::<Test>::get(), Some(epoch));
		let e = AggregatorEpochs::<Test>::get(epoch).unwrap();
		assert_eq!(e.status, EpochStatus::CollectingKeys);
		assert_eq!(e.started_at, 1);
		assert_eq!(e.activated_at, None);
		assert!(e.aggregators.iter().all(|s| s.key.is_none() && s.contribution.is_none()));
		System::assert_last_event(
			Event::AggregatorEpochStarted { epoch, aggregators: aggregators(&[EVAL_A, EVAL_B]) }
				.into(),
		);
	});
}

#[test]
fn start_aggregator_epoch_cancels_the_epoch_being_set_up() {
	ExtBuilder::default().build_and_execute(|| {
		let active = activate(&[EVAL_A, EVAL_B]);
		let first = start_epoch(&[EVAL_A, EVAL_B]);
		post_keys(first, &[EVAL_A, EVAL_B]);
		let second = start_epoch(&[EVAL_B, EVAL_C]);
		assert_eq!(AggregatorEpochs::<Test>::get(first).unwrap().status, EpochStatus::Cancelled);
		assert_eq!(PendingEpoch::<Test>::get(), Some(second));
		// The active epoch stays active until the new one completes.
		assert_eq!(ActiveEpoch::<Test>::get(), Some(active));
		System::assert_has_event(Event::AggregatorEpochCancelled { epoch: first }.into());
		// A cancelled epoch takes nothing more.
		assert_noop!(
			Statistics::submit_verify_key_contribution(signed(EVAL_A), first, contribution(EVAL_A)),
			Error::<Test>::EpochNotCollectingContributions
		);
	});
}

#[test]
fn start_aggregator_epoch_requires_governance() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Statistics::start_aggregator_epoch(signed(EVAL_A), aggregators(&[EVAL_A, EVAL_B])),
			BadOrigin
		);
	});
}

#[test]
fn start_aggregator_epoch_refuses_too_few_aggregators() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Statistics::start_aggregator_epoch(RuntimeOrigin::root(), aggregators(&[EVAL_A])),
			Error::<Test>::TooFewAggregators
		);
	});
}

#[test]
fn start_aggregator_epoch_refuses_an_aggregator_named_twice() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Statistics::start_aggregator_epoch(
				RuntimeOrigin::root(),
				aggregators(&[EVAL_A, EVAL_B, EVAL_A])
			),
			Error::<Test>::DuplicateAggregator
		);
	});
}

#[test]
fn start_aggregator_epoch_refuses_accounts_that_are_not_active_evaluators() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Statistics::start_aggregator_epoch(
				RuntimeOrigin::root(),
				aggregators(&[EVAL_A, HOSPITAL])
			),
			Error::<Test>::NotActiveEvaluator
		);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), EVAL_B));
		assert_noop!(
			Statistics::start_aggregator_epoch(
				RuntimeOrigin::root(),
				aggregators(&[EVAL_A, EVAL_B])
			),
			Error::<Test>::NotActiveEvaluator
		);
	});
}

// ---- submit_aggregator_key ----

#[test]
fn the_last_key_makes_the_epoch_collect_contributions() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		assert_ok!(Statistics::submit_aggregator_key(signed(EVAL_B), epoch, [2; 32]));
		System::assert_last_event(
			Event::AggregatorKeySubmitted { epoch, aggregator: EVAL_B, key: [2; 32] }.into(),
		);
		assert_eq!(
			AggregatorEpochs::<Test>::get(epoch).unwrap().status,
			EpochStatus::CollectingKeys
		);
		assert_ok!(Statistics::submit_aggregator_key(signed(EVAL_A), epoch, [1; 32]));
		let e = AggregatorEpochs::<Test>::get(epoch).unwrap();
		assert_eq!(e.status, EpochStatus::CollectingContributions);
		assert_eq!(e.aggregators[0].key, Some([1; 32]));
		assert_eq!(e.aggregators[1].key, Some([2; 32]));
		System::assert_last_event(Event::EpochCollectingContributions { epoch }.into());
	});
}

#[test]
fn submit_aggregator_key_refuses_an_unknown_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Statistics::submit_aggregator_key(signed(EVAL_A), 9, [1; 32]),
			Error::<Test>::NoSuchEpoch
		);
	});
}

#[test]
fn submit_aggregator_key_refuses_an_epoch_not_collecting_keys() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		post_keys(epoch, &[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::submit_aggregator_key(signed(EVAL_A), epoch, [9; 32]),
			Error::<Test>::EpochNotCollectingKeys
		);
	});
}

#[test]
fn submit_aggregator_key_refuses_a_non_aggregator() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::submit_aggregator_key(signed(EVAL_C), epoch, [3; 32]),
			Error::<Test>::NotAnAggregator
		);
	});
}

#[test]
fn submit_aggregator_key_refuses_a_second_key() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		assert_ok!(Statistics::submit_aggregator_key(signed(EVAL_A), epoch, [1; 32]));
		assert_noop!(
			Statistics::submit_aggregator_key(signed(EVAL_A), epoch, [9; 32]),
			Error::<Test>::KeyAlreadySubmitted
		);
	});
}

// ---- submit_verify_key_contribution ----

#[test]
fn the_last_contribution_activates_the_epoch_and_retires_the_previous_one() {
	ExtBuilder::default().build_and_execute(|| {
		let first = activate(&[EVAL_A, EVAL_B]);
		System::assert_last_event(Event::EpochActivated { epoch: first, retired: None }.into());
		System::set_block_number(3);
		let second = start_epoch(&[EVAL_B, EVAL_C]);
		post_keys(second, &[EVAL_B, EVAL_C]);
		assert_ok!(Statistics::submit_verify_key_contribution(
			signed(EVAL_C),
			second,
			contribution(EVAL_C)
		));
		System::assert_last_event(
			Event::VerifyKeyContributionSubmitted { epoch: second, aggregator: EVAL_C }.into(),
		);
		assert_eq!(ActiveEpoch::<Test>::get(), Some(first));
		assert_ok!(Statistics::submit_verify_key_contribution(
			signed(EVAL_B),
			second,
			contribution(EVAL_B)
		));
		System::assert_last_event(
			Event::EpochActivated { epoch: second, retired: Some(first) }.into(),
		);
		assert_eq!(ActiveEpoch::<Test>::get(), Some(second));
		assert_eq!(PendingEpoch::<Test>::get(), None);
		assert_eq!(AggregatorEpochs::<Test>::get(first).unwrap().status, EpochStatus::Retired);
		let e = AggregatorEpochs::<Test>::get(second).unwrap();
		assert_eq!(e.status, EpochStatus::Active);
		assert_eq!(e.activated_at, Some(3));
		assert_eq!(e.aggregators[1].contribution, Some(contribution(EVAL_C)));
	});
}

#[test]
fn submit_verify_key_contribution_refuses_an_unknown_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Statistics::submit_verify_key_contribution(signed(EVAL_A), 4, contribution(EVAL_A)),
			Error::<Test>::NoSuchEpoch
		);
	});
}

#[test]
fn submit_verify_key_contribution_refuses_an_empty_contribution() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		post_keys(epoch, &[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::submit_verify_key_contribution(signed(EVAL_A), epoch, BoundedVec::new()),
			Error::<Test>::EmptyContribution
		);
	});
}

#[test]
fn submit_verify_key_contribution_waits_for_every_key() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		assert_ok!(Statistics::submit_aggregator_key(signed(EVAL_A), epoch, [1; 32]));
		assert_noop!(
			Statistics::submit_verify_key_contribution(signed(EVAL_A), epoch, contribution(EVAL_A)),
			Error::<Test>::EpochNotCollectingContributions
		);
	});
}

#[test]
fn submit_verify_key_contribution_refuses_a_non_aggregator() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		post_keys(epoch, &[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::submit_verify_key_contribution(signed(EVAL_C), epoch, contribution(EVAL_C)),
			Error::<Test>::NotAnAggregator
		);
	});
}

#[test]
fn submit_verify_key_contribution_refuses_a_second_contribution() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		post_keys(epoch, &[EVAL_A, EVAL_B]);
		assert_ok!(Statistics::submit_verify_key_contribution(
			signed(EVAL_A),
			epoch,
			contribution(EVAL_A)
		));
		assert_noop!(
			Statistics::submit_verify_key_contribution(signed(EVAL_A), epoch, contribution(9)),
			Error::<Test>::ContributionAlreadySubmitted
		);
	});
}

// ---- submit_report ----

#[test]
fn submit_report_registers_it_pending_in_this_block_batch() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = activate(&[EVAL_A, EVAL_B, EVAL_C]);
		let record = vitals_record(ALICE);
		assert_ok!(submit(ALICE, record, rid(1)));
		let r = Reports::<Test>::get(rid(1)).unwrap();
		assert_eq!((r.owner, r.record, r.schema, r.epoch), (ALICE, record, VITALS, epoch));
		assert_eq!(
			(r.object.cid.clone(), r.object.hash),
			(cid(b"bafy-report"), H256::repeat_byte(7))
		);
		assert_eq!((r.size, r.batch, r.status), (4_000, 1, ReportStatus::Pending));
		assert_eq!(ReportsOf::<Test>::get(ALICE).into_inner(), vec![rid(1)]);
		let batch = Batches::<Test>::get(1).unwrap();
		assert_eq!(batch.epoch, epoch);
		assert_eq!(batch.reports.clone().into_inner(), vec![rid(1)]);
		assert_eq!(batch.shares_posted.clone().into_inner(), vec![false; 3]);
		assert_eq!(batch.confirmed.clone().into_inner(), vec![false; 3]);
		assert_eq!(batch.deadline, 1 + VerificationTimeout::get());
		System::assert_last_event(
			Event::ReportSubmitted { report: rid(1), owner: ALICE, record, schema: VITALS, epoch }
				.into(),
		);
		// A second report of the block joins the same batch.
		assert_ok!(submit(BOB, vitals_record(BOB), rid(2)));
		assert_eq!(Batches::<Test>::get(1).unwrap().reports.into_inner(), vec![rid(1), rid(2)]);
		// The next block opens a new batch.
		System::set_block_number(2);
		assert_ok!(submit(ALICE, record, rid(3)));
		assert_eq!(Batches::<Test>::get(2).unwrap().reports.into_inner(), vec![rid(3)]);
		assert_eq!(Statistics::reports_of(&ALICE).len(), 2);
		assert_eq!(Statistics::report(rid(3)).unwrap().object.cid, b"bafy-report".to_vec());
	});
}

#[test]
fn submit_report_needs_an_active_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		let record = vitals_record(ALICE);
		assert_noop!(submit(ALICE, record, rid(1)), Error::<Test>::NoActiveEpoch);
	});
}

#[test]
fn submit_report_refuses_an_unknown_record() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_noop!(submit(ALICE, 77, rid(1)), Error::<Test>::UnknownRecord);
	});
}

#[test]
fn a_report_on_someone_elses_record_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let alices = vitals_record(ALICE);
		assert_noop!(submit(MALLORY, alices, rid(1)), Error::<Test>::NotRecordOwner);
	});
}

#[test]
fn an_institution_cannot_report_on_a_record_it_registered_for_a_person() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		// HOSPITAL registered this record for ALICE (it knows the values); ALICE owns it.
		let record = vitals_record(ALICE);
		assert_noop!(submit(HOSPITAL, record, rid(1)), Error::<Test>::NotRecordOwner);
		// Only ALICE reports on it.
		assert_ok!(submit(ALICE, record, rid(1)));
	});
}

#[test]
fn submit_report_refuses_a_retired_record() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = vitals_record(ALICE);
		retire_record(record);
		assert_noop!(submit(ALICE, record, rid(1)), Error::<Test>::RecordRetired);
	});
}

#[test]
fn submit_report_refuses_an_unknown_schema() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = vitals_record(ALICE);
		assert_noop!(
			Statistics::submit_report(signed(ALICE), record, 5, rid(1), cid(b"c"), H256::zero(), 1),
			Error::<Test>::UnknownSchema
		);
	});
}

#[test]
fn submit_report_refuses_a_superseded_schema() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = vitals_record(ALICE);
		let newer = one_field(DataCategory::VitalSigns, b"pulse", 250, None);
		assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), newer));
		assert_noop!(submit(ALICE, record, rid(1)), Error::<Test>::SchemaSuperseded);
	});
}

#[test]
fn submit_report_refuses_a_record_without_the_schema_category() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = add_record(ALICE, &[DataCategory::Allergies, DataCategory::Genomics]);
		assert_noop!(submit(ALICE, record, rid(1)), Error::<Test>::CategoryNotInRecord);
	});
}

#[test]
fn a_replayed_report_id_is_refused() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let alices = vitals_record(ALICE);
		assert_ok!(submit(ALICE, alices, rid(1)));
		// Replayed in the same block, by its owner...
		assert_noop!(submit(ALICE, alices, rid(1)), Error::<Test>::ReportIdTaken);
		// ...or by another account on its own record, after verification.
		settle(1, &[EVAL_A, EVAL_B], &[]);
		System::set_block_number(2);
		let mallorys = vitals_record(MALLORY);
		assert_noop!(submit(MALLORY, mallorys, rid(1)), Error::<Test>::ReportIdTaken);
	});
}

#[test]
fn submit_report_refuses_an_empty_cid() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = vitals_record(ALICE);
		assert_noop!(
			Statistics::submit_report(
				signed(ALICE),
				record,
				VITALS,
				rid(1),
				BoundedVec::new(),
				H256::zero(),
				10
			),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn submit_report_refuses_a_size_of_zero_or_above_the_maximum() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = vitals_record(ALICE);
		for size in [0, MaxReportSize::get() + 1] {
			assert_noop!(
				Statistics::submit_report(
					signed(ALICE),
					record,
					VITALS,
					rid(1),
					cid(b"c"),
					H256::zero(),
					size
				),
				Error::<Test>::InvalidReportSize
			);
		}
		assert_ok!(Statistics::submit_report(
			signed(ALICE),
			record,
			VITALS,
			rid(1),
			cid(b"c"),
			H256::zero(),
			MaxReportSize::get()
		));
	});
}

#[test]
fn submit_report_refuses_a_full_batch() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		for (i, who) in [ALICE, BOB, CAROL, DAVE].into_iter().enumerate() {
			assert_ok!(submit(who, vitals_record(who), rid(i as u8)));
		}
		let record = vitals_record(MALLORY);
		assert_noop!(submit(MALLORY, record, rid(9)), Error::<Test>::BatchFull);
		System::set_block_number(2);
		assert_ok!(submit(MALLORY, record, rid(9)));
	});
}

#[test]
fn submit_report_refuses_more_reports_than_an_owner_may_have() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = vitals_record(ALICE);
		for i in 0..MaxReportsPerOwner::get() as u8 {
			assert_ok!(submit(ALICE, record, rid(i)));
		}
		assert_noop!(submit(ALICE, record, rid(9)), Error::<Test>::TooManyReports);
	});
}

#[test]
fn submit_report_refuses_a_block_whose_batch_belongs_to_the_previous_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		let first = activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		let second = activate(&[EVAL_B, EVAL_C]);
		let record = vitals_record(BOB);
		assert_noop!(submit(BOB, record, rid(2)), Error::<Test>::EpochChangedInBlock);
		System::set_block_number(2);
		assert_ok!(submit(BOB, record, rid(2)));
		assert_eq!(Batches::<Test>::get(1).unwrap().epoch, first);
		assert_eq!(Batches::<Test>::get(2).unwrap().epoch, second);
	});
}

// ---- submit_verifier_shares ----

#[test]
fn submit_verifier_shares_stores_them_and_sets_the_flag() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		assert_ok!(Statistics::submit_verifier_shares(signed(EVAL_B), 1, verifier_shares(EVAL_B)));
		assert_eq!(VerifierShares::<Test>::get(1, 1), Some(verifier_shares(EVAL_B)));
		assert_eq!(VerifierShares::<Test>::get(1, 0), None);
		assert_eq!(Batches::<Test>::get(1).unwrap().shares_posted.into_inner(), vec![false, true]);
		System::assert_last_event(
			Event::VerifierSharesPosted { batch: 1, aggregator: EVAL_B }.into(),
		);
	});
}

#[test]
fn submit_verifier_shares_refuses_an_unknown_batch() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::submit_verifier_shares(signed(EVAL_A), 1, verifier_shares(EVAL_A)),
			Error::<Test>::NoSuchBatch
		);
	});
}

#[test]
fn submit_verifier_shares_refuses_a_batch_past_its_deadline() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		let deadline = Batches::<Test>::get(1).unwrap().deadline;
		// Up to the deadline it is taken...
		System::set_block_number(deadline);
		assert_ok!(Statistics::submit_verifier_shares(signed(EVAL_A), 1, verifier_shares(EVAL_A)));
		// ...after it not (here before the hook of the next block removed the batch).
		System::set_block_number(deadline + 1);
		assert_noop!(
			Statistics::submit_verifier_shares(signed(EVAL_B), 1, verifier_shares(EVAL_B)),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn submit_verifier_shares_refuses_a_non_aggregator_of_the_batch_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		assert_noop!(
			Statistics::submit_verifier_shares(signed(EVAL_C), 1, verifier_shares(EVAL_C)),
			Error::<Test>::NotAnAggregator
		);
	});
}

#[test]
fn submit_verifier_shares_refuses_a_second_post() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		assert_ok!(Statistics::submit_verifier_shares(signed(EVAL_A), 1, verifier_shares(EVAL_A)));
		assert_noop!(
			Statistics::submit_verifier_shares(signed(EVAL_A), 1, verifier_shares(9)),
			Error::<Test>::SharesAlreadyPosted
		);
	});
}

#[test]
fn submit_verifier_shares_refuses_empty_shares() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		assert_noop!(
			Statistics::submit_verifier_shares(signed(EVAL_A), 1, BoundedVec::new()),
			Error::<Test>::EmptyShares
		);
	});
}

// ---- confirm_batch ----

#[test]
fn the_last_confirmation_verifies_or_rejects_each_report_and_clears_the_batch() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		for (i, who) in [ALICE, BOB, CAROL].into_iter().enumerate() {
			assert_ok!(submit(who, vitals_record(who), rid(i as u8)));
		}
		for who in [EVAL_A, EVAL_B] {
			assert_ok!(Statistics::submit_verifier_shares(signed(who), 1, verifier_shares(who)));
		}
		System::set_block_number(2);
		assert_ok!(Statistics::confirm_batch(
			signed(EVAL_A),
			1,
			rejections(&[(2, RejectionReason::InvalidProof)])
		));
		System::assert_last_event(
			Event::BatchConfirmed { batch: 1, aggregator: EVAL_A, rejected: 1 }.into(),
		);
		assert_eq!(status(rid(0)), ReportStatus::Pending);
		assert_eq!(BatchRejections::<Test>::get(1).len(), 1);
		// The union of what aggregators report; the first reason for a report wins.
		assert_ok!(Statistics::confirm_batch(
			signed(EVAL_B),
			1,
			rejections(&[(0, RejectionReason::ShareDoesNotOpen), (2, RejectionReason::Malformed)])
		));
		assert_eq!(
			status(rid(0)),
			ReportStatus::Rejected { reason: RejectionReason::ShareDoesNotOpen, at: 2 }
		);
		assert_eq!(status(rid(1)), ReportStatus::Verified { at: 2 });
		assert_eq!(
			status(rid(2)),
			ReportStatus::Rejected { reason: RejectionReason::InvalidProof, at: 2 }
		);
		System::assert_has_event(
			Event::ReportRejected { report: rid(0), reason: RejectionReason::ShareDoesNotOpen }
				.into(),
		);
		System::assert_has_event(
			Event::ReportRejected { report: rid(2), reason: RejectionReason::InvalidProof }.into(),
		);
		System::assert_last_event(
			Event::BatchVerified { batch: 1, verified: 1, rejected: 2 }.into(),
		);
		assert!(Batches::<Test>::get(1).is_none());
		assert!(BatchRejections::<Test>::get(1).is_empty());
		assert_eq!(VerifierShares::<Test>::iter().count(), 0);
	});
}

#[test]
fn confirm_batch_refuses_an_unknown_batch() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::confirm_batch(signed(EVAL_A), 3, rejections(&[])),
			Error::<Test>::NoSuchBatch
		);
	});
}

#[test]
fn confirm_batch_refuses_a_batch_past_its_deadline() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		for who in [EVAL_A, EVAL_B] {
			assert_ok!(Statistics::submit_verifier_shares(signed(who), 1, verifier_shares(who)));
		}
		System::set_block_number(1 + VerificationTimeout::get() + 1);
		assert_noop!(
			Statistics::confirm_batch(signed(EVAL_A), 1, rejections(&[])),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn confirm_batch_refuses_a_non_aggregator() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		for who in [EVAL_A, EVAL_B] {
			assert_ok!(Statistics::submit_verifier_shares(signed(who), 1, verifier_shares(who)));
		}
		assert_noop!(
			Statistics::confirm_batch(signed(EVAL_C), 1, rejections(&[])),
			Error::<Test>::NotAnAggregator
		);
	});
}

#[test]
fn confirm_batch_waits_for_every_verifier_share() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		assert_ok!(Statistics::submit_verifier_shares(signed(EVAL_A), 1, verifier_shares(EVAL_A)));
		assert_noop!(
			Statistics::confirm_batch(signed(EVAL_A), 1, rejections(&[])),
			Error::<Test>::SharesMissing
		);
	});
}

#[test]
fn confirm_batch_refuses_a_second_confirmation() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		for who in [EVAL_A, EVAL_B] {
			assert_ok!(Statistics::submit_verifier_shares(signed(who), 1, verifier_shares(who)));
		}
		assert_ok!(Statistics::confirm_batch(signed(EVAL_A), 1, rejections(&[])));
		assert_noop!(
			Statistics::confirm_batch(
				signed(EVAL_A),
				1,
				rejections(&[(0, RejectionReason::InvalidProof)])
			),
			Error::<Test>::AlreadyConfirmed
		);
	});
}

#[test]
fn confirm_batch_refuses_a_rejection_past_the_batch_reports() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		for who in [EVAL_A, EVAL_B] {
			assert_ok!(Statistics::submit_verifier_shares(signed(who), 1, verifier_shares(who)));
		}
		assert_noop!(
			Statistics::confirm_batch(
				signed(EVAL_A),
				1,
				rejections(&[(1, RejectionReason::InvalidProof)])
			),
			Error::<Test>::RejectionIndexOutOfRange
		);
	});
}

#[test]
fn a_batch_of_a_retired_epoch_is_still_verified_by_its_aggregators() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		System::set_block_number(2);
		activate(&[EVAL_B, EVAL_C]);
		assert_noop!(
			Statistics::submit_verifier_shares(signed(EVAL_C), 1, verifier_shares(EVAL_C)),
			Error::<Test>::NotAnAggregator
		);
		settle(1, &[EVAL_A, EVAL_B], &[]);
		assert_eq!(status(rid(1)), ReportStatus::Verified { at: 2 });
	});
}

// ---- batch timeout ----

#[test]
fn a_batch_not_confirmed_by_its_deadline_rejects_its_reports_with_verification_timeout() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		assert_ok!(submit(BOB, vitals_record(BOB), rid(2)));
		// One aggregator posts and nothing more: the other is down.
		assert_ok!(Statistics::submit_verifier_shares(signed(EVAL_A), 1, verifier_shares(EVAL_A)));
		let deadline = 1 + VerificationTimeout::get();
		run_to_block(deadline);
		assert!(Batches::<Test>::get(1).is_some());
		assert_eq!(status(rid(1)), ReportStatus::Pending);
		run_to_block(deadline + 1);
		let timeout = RejectionReason::VerificationTimeout;
		for id in [rid(1), rid(2)] {
			assert_eq!(status(id), ReportStatus::Rejected { reason: timeout, at: deadline + 1 });
			System::assert_has_event(Event::ReportRejected { report: id, reason: timeout }.into());
		}
		System::assert_has_event(Event::BatchTimedOut { batch: 1, rejected: 2 }.into());
		assert!(Batches::<Test>::get(1).is_none());
		assert_eq!(VerifierShares::<Test>::iter().count(), 0);
		// The reports' ids stay taken.
		assert_noop!(submit(ALICE, vitals_record(ALICE), rid(1)), Error::<Test>::ReportIdTaken);
	});
}

#[test]
fn the_timeout_hook_leaves_settled_batches_and_other_blocks_alone() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		settle(1, &[EVAL_A, EVAL_B], &[]);
		run_to_block(2);
		assert_ok!(submit(BOB, vitals_record(BOB), rid(2)));
		run_to_block(1 + VerificationTimeout::get() + 1);
		assert_eq!(status(rid(1)), ReportStatus::Verified { at: 1 });
		assert_eq!(status(rid(2)), ReportStatus::Pending);
		assert!(!events().iter().any(|e| matches!(e, Event::BatchTimedOut { .. })));
	});
}

// ---- request_statistic ----

#[test]
fn request_statistic_opens_a_job_and_spends_epsilon() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = activate(&[EVAL_A, EVAL_B]);
		let job = request(HOSPITAL, StatisticKind::Mean(fields(&[0, 1])));
		let j = Jobs::<Test>::get(job).unwrap();
		assert_eq!(
			(j.requester, j.schema, j.category),
			(HOSPITAL, VITALS, DataCategory::VitalSigns)
		);
		assert_eq!(j.kind, StatisticKind::Mean(fields(&[0, 1])));
		assert_eq!(
			(j.purpose, j.epoch, j.epsilon),
			(PurposeOfUse::PUBHLTH, epoch, EpsilonMillis(1_000))
		);
		assert_eq!((j.requested_at, j.deadline), (1, 1 + StatisticTimeout::get()));
		assert_eq!(j.status, StatisticStatus::AwaitingShares);
		assert_eq!(JobDeadlines::<Test>::get(j.deadline).into_inner(), vec![job]);
		assert_eq!(
			BudgetSpent::<Test>::get((HOSPITAL, PurposeOfUse::PUBHLTH, DataCategory::VitalSigns)),
			Some((0, EpsilonMillis(1_000)))
		);
		System::assert_last_event(
			Event::StatisticRequested {
				job,
				requester: HOSPITAL,
				schema: VITALS,
				purpose: PurposeOfUse::PUBHLTH,
				epsilon: EpsilonMillis(1_000),
			}
			.into(),
		);
		assert_eq!(Statistics::statistic_job(job).unwrap().kind, StatisticKind::Mean(vec![0, 1]));
	});
}

#[test]
fn request_statistic_requires_an_active_institution() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		for who in [EVAL_A, ALICE] {
			assert_noop!(
				Statistics::request_statistic(
					signed(who),
					VITALS,
					StatisticKind::Count,
					PurposeOfUse::PUBHLTH
				),
				Error::<Test>::NotActiveInstitution
			);
		}
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), HOSPITAL));
		assert_noop!(
			Statistics::request_statistic(
				signed(HOSPITAL),
				VITALS,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH
			),
			Error::<Test>::NotActiveInstitution
		);
	});
}

#[test]
fn request_statistic_refuses_an_unknown_schema() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::request_statistic(
				signed(HOSPITAL),
				8,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH
			),
			Error::<Test>::UnknownSchema
		);
	});
}

#[test]
fn request_statistic_refuses_a_superseded_schema() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let newer = one_field(DataCategory::VitalSigns, b"pulse", 250, None);
		assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), newer));
		assert_noop!(
			Statistics::request_statistic(
				signed(HOSPITAL),
				VITALS,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH
			),
			Error::<Test>::SchemaSuperseded
		);
	});
}

#[test]
fn request_statistic_refuses_a_kind_that_does_not_fit_the_schema() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let invalid = [
			StatisticKind::Sum(fields(&[])),
			StatisticKind::Mean(fields(&[3])),
			StatisticKind::Sum(fields(&[1, 1])),
			StatisticKind::Histogram(fields(&[])),
			// Field 1 (pulse) has no buckets.
			StatisticKind::Histogram(fields(&[0, 1])),
		];
		for kind in invalid {
			assert_noop!(
				Statistics::request_statistic(
					signed(HOSPITAL),
					VITALS,
					kind,
					PurposeOfUse::PUBHLTH
				),
				Error::<Test>::InvalidStatistic
			);
		}
	});
}

#[test]
fn request_statistic_is_only_for_statistics_purposes() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		for purpose in [PurposeOfUse::TREAT, PurposeOfUse::HPAYMT, PurposeOfUse::CLINTRCH] {
			assert_noop!(
				Statistics::request_statistic(
					signed(HOSPITAL),
					VITALS,
					StatisticKind::Count,
					purpose
				),
				Error::<Test>::NotStatisticsPurpose
			);
		}
		for purpose in [PurposeOfUse::HRESCH, PurposeOfUse::POPHLTH] {
			assert_ok!(Statistics::request_statistic(
				signed(HOSPITAL),
				VITALS,
				StatisticKind::Count,
				purpose
			));
		}
	});
}

#[test]
fn request_statistic_needs_an_active_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		start_epoch(&[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::request_statistic(
				signed(HOSPITAL),
				VITALS,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH
			),
			Error::<Test>::NoActiveEpoch
		);
	});
}

#[test]
fn request_statistic_needs_privacy_parameters() {
	ExtBuilder::empty().build_and_execute(|| {
		let schema = bounded(vitals_schema());
		assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), schema));
		activate(&[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::request_statistic(
				signed(HOSPITAL),
				VITALS,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH
			),
			Error::<Test>::PrivacyParametersNotSet
		);
	});
}

#[test]
fn a_request_past_the_budget_is_refused_until_the_next_period() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		// Budget 2.5, ε 1: two statistics per period.
		request(HOSPITAL, StatisticKind::Count);
		System::set_block_number(2);
		request(HOSPITAL, StatisticKind::Count);
		let spent =
			|| Statistics::budget_spent(&HOSPITAL, PurposeOfUse::PUBHLTH, DataCategory::VitalSigns);
		assert_eq!(spent(), EpsilonMillis(2_000));
		// The differencing query (the same question again, after one person joined) is refused.
		System::set_block_number(99);
		assert_noop!(
			Statistics::request_statistic(
				signed(HOSPITAL),
				VITALS,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH
			),
			Error::<Test>::BudgetExhausted
		);
		// Another institution, or another purpose, has its own budget.
		request(LAB, StatisticKind::Count);
		assert_ok!(Statistics::request_statistic(
			signed(HOSPITAL),
			VITALS,
			StatisticKind::Count,
			PurposeOfUse::HRESCH
		));
		// The next period starts afresh.
		System::set_block_number(100);
		assert_eq!(spent(), EpsilonMillis(0));
		request(HOSPITAL, StatisticKind::Count);
		assert_eq!(spent(), EpsilonMillis(1_000));
		assert_eq!(
			BudgetSpent::<Test>::get((HOSPITAL, PurposeOfUse::PUBHLTH, DataCategory::VitalSigns)),
			Some((1, EpsilonMillis(1_000)))
		);
	});
}

#[test]
fn a_budget_of_one_statistic_refuses_the_second() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let params = PrivacyParameters {
			epsilon_per_statistic: EpsilonMillis(500),
			budget_per_period: EpsilonMillis(500),
			period: 1_000,
		};
		assert_ok!(Statistics::set_privacy_parameters(RuntimeOrigin::root(), params));
		request(HOSPITAL, StatisticKind::Sum(fields(&[1])));
		assert_noop!(
			Statistics::request_statistic(
				signed(HOSPITAL),
				VITALS,
				StatisticKind::Sum(fields(&[1])),
				PurposeOfUse::PUBHLTH
			),
			Error::<Test>::BudgetExhausted
		);
	});
}

#[test]
fn request_statistic_refuses_more_jobs_than_a_block_may_hold() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		request(HOSPITAL, StatisticKind::Count);
		request(HOSPITAL, StatisticKind::Count);
		assert_noop!(
			Statistics::request_statistic(
				signed(LAB),
				VITALS,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH
			),
			Error::<Test>::TooManyJobsInBlock
		);
		System::set_block_number(2);
		request(LAB, StatisticKind::Count);
	});
}

#[test]
fn value_count_follows_the_kind() {
	ExtBuilder::default().build_and_execute(|| {
		let fields_of = Schemas::<Test>::get(VITALS).unwrap().schema.fields;
		let count = |kind: StatisticKind<Vec<u16>>| Statistics::value_count(&kind, &fields_of);
		assert_eq!(count(StatisticKind::Count), Some(1));
		assert_eq!(count(StatisticKind::Sum(vec![0, 2])), Some(2));
		assert_eq!(count(StatisticKind::Mean(vec![0, 1, 2])), Some(4));
		// Systolic has 3 boundaries (4 buckets), age 2 (3 buckets).
		assert_eq!(count(StatisticKind::Histogram(vec![0, 2])), Some(7));
		assert_eq!(count(StatisticKind::Histogram(vec![2])), Some(3));
		assert_eq!(count(StatisticKind::Histogram(vec![1])), None);
	});
}

// ---- submit_aggregate_share ----

/// Three verified reports (ALICE, BOB, CAROL, enrolled by LAB) and a count requested by
/// HOSPITAL, under an epoch of EVAL_A and EVAL_B.
fn count_job() -> StatisticJobId {
	activate(&[EVAL_A, EVAL_B]);
	verified_reports(&[ALICE, BOB, CAROL], 1);
	request(HOSPITAL, StatisticKind::Count)
}

#[test]
fn publication_sums_the_shares_modulo_the_field_prime() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		verified_reports(&[ALICE, BOB, CAROL], 1);
		// Mean of three fields: three sums, then the count.
		let job = request(HOSPITAL, StatisticKind::Mean(fields(&[0, 1, 2])));
		let p = FIELD128_MODULUS;
		// Share A is p − x, share B is x + v: the sum wraps around to v. The last value sums
		// to p − 4: a small negative total.
		let a = [p - 1_000, p - 5, p - 1, 7];
		let b = [1_000 + 360, 5 + 210, 4, p - 11];
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_B), job, share(3, 1, &b)));
		System::assert_last_event(
			Event::AggregateShareSubmitted { job, aggregator: EVAL_B }.into(),
		);
		assert_eq!(job_status(job), StatisticStatus::AwaitingShares);
		System::set_block_number(4);
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &a)));
		let published = PublishedStatistics::<Test>::get(job).unwrap();
		assert_eq!(published.values.clone().into_inner(), vec![360, 210, 3, -4]);
		assert_eq!(
			(published.reports, published.epsilon, published.aggregators, published.published_at),
			(3, EpsilonMillis(1_000), 2, 4)
		);
		assert_eq!(published.noise, share(3, 1, &a).noise);
		assert_eq!(job_status(job), StatisticStatus::Published { at: 4 });
		System::assert_last_event(
			Event::StatisticPublished {
				job,
				reports: 3,
				values: published.values.clone(),
				epsilon: EpsilonMillis(1_000),
			}
			.into(),
		);
		// Shares and the deadline entry are gone; the query reads the published values.
		assert_eq!(AggregateShares::<Test>::iter().count(), 0);
		assert_eq!(JobDeadlines::<Test>::iter().count(), 0);
		assert_eq!(
			Statistics::published_statistic(job),
			Some(PublishedStatistic {
				reports: 3,
				values: vec![360, 210, 3, -4],
				epsilon: EpsilonMillis(1_000),
				aggregators: 2,
				noise: published.noise.into_inner(),
				published_at: 4,
			})
		);
	});
}

#[test]
fn shares_that_disagree_fail_the_job_and_publish_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_job();
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &[1])));
		// The other aggregator summed another cohort.
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_B), job, share(3, 2, &[2])));
		let reason = StatisticFailure::SharesDisagree;
		assert_eq!(job_status(job), StatisticStatus::Failed { reason: reason.clone(), at: 1 });
		System::assert_last_event(Event::StatisticFailed { job, reason }.into());
		assert!(PublishedStatistics::<Test>::get(job).is_none());
		assert_eq!(AggregateShares::<Test>::iter().count(), 0);
		// ε stays spent: a failed job is no free probe.
		assert_eq!(
			Statistics::budget_spent(&HOSPITAL, PurposeOfUse::PUBHLTH, DataCategory::VitalSigns),
			EpsilonMillis(1_000)
		);
	});
}

#[test]
fn shares_that_disagree_on_the_noise_or_the_count_fail_the_job() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		verified_reports(&[ALICE, BOB, CAROL], 1);
		let first = request(HOSPITAL, StatisticKind::Count);
		let second = request(LAB, StatisticKind::Count);
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), first, share(3, 1, &[1])));
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_B), first, share(4, 1, &[1])));
		let mut noisier = share(3, 1, &[1]);
		noisier.noise[0].total_std_dev_millis = 9_000;
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), second, share(3, 1, &[1])));
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_B), second, noisier));
		for job in [first, second] {
			assert!(matches!(
				job_status(job),
				StatisticStatus::Failed { reason: StatisticFailure::SharesDisagree, .. }
			));
			assert!(PublishedStatistics::<Test>::get(job).is_none());
		}
	});
}

#[test]
fn fewer_than_k_reports_fail_the_job_with_cohort_too_small() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_job();
		let k = MinCohortSize::get();
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), job, share(k - 1, 1, &[1])));
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_B), job, share(k - 1, 1, &[1])));
		let reason = StatisticFailure::CohortTooSmall { reports: k - 1 };
		assert_eq!(job_status(job), StatisticStatus::Failed { reason: reason.clone(), at: 1 });
		System::assert_last_event(Event::StatisticFailed { job, reason }.into());
		assert!(PublishedStatistics::<Test>::get(job).is_none());
	});
}

#[test]
fn submit_aggregate_share_refuses_an_unknown_job() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_noop!(
			Statistics::submit_aggregate_share(signed(EVAL_A), 5, share(3, 1, &[1])),
			Error::<Test>::NoSuchJob
		);
	});
}

#[test]
fn submit_aggregate_share_refuses_a_concluded_job() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_job();
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &[1])));
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_B), job, share(3, 1, &[2])));
		assert_noop!(
			Statistics::submit_aggregate_share(signed(EVAL_B), job, share(3, 1, &[2])),
			Error::<Test>::JobNotAwaitingShares
		);
	});
}

#[test]
fn submit_aggregate_share_refuses_a_job_past_its_deadline() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_job();
		let deadline = Jobs::<Test>::get(job).unwrap().deadline;
		System::set_block_number(deadline);
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &[1])));
		System::set_block_number(deadline + 1);
		assert_noop!(
			Statistics::submit_aggregate_share(signed(EVAL_B), job, share(3, 1, &[2])),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn submit_aggregate_share_refuses_a_non_aggregator_of_the_job_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_job();
		// EVAL_C aggregates for the next epoch, not for the job's.
		System::set_block_number(2);
		activate(&[EVAL_B, EVAL_C]);
		assert_noop!(
			Statistics::submit_aggregate_share(signed(EVAL_C), job, share(3, 1, &[1])),
			Error::<Test>::NotAnAggregator
		);
		// The job's own aggregators still finish it.
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &[1])));
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_B), job, share(3, 1, &[2])));
		assert_eq!(PublishedStatistics::<Test>::get(job).unwrap().values.into_inner(), vec![3]);
	});
}

#[test]
fn submit_aggregate_share_refuses_a_second_share() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_job();
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &[1])));
		assert_noop!(
			Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &[5])),
			Error::<Test>::ShareAlreadySubmitted
		);
	});
}

#[test]
fn submit_aggregate_share_refuses_the_wrong_number_of_values() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let count = request(HOSPITAL, StatisticKind::Count);
		let histogram = request(HOSPITAL, StatisticKind::Histogram(fields(&[0, 2])));
		assert_noop!(
			Statistics::submit_aggregate_share(signed(EVAL_A), count, share(3, 1, &[1, 2])),
			Error::<Test>::WrongValueCount
		);
		assert_noop!(
			Statistics::submit_aggregate_share(signed(EVAL_A), histogram, share(3, 1, &[1; 6])),
			Error::<Test>::WrongValueCount
		);
		assert_ok!(Statistics::submit_aggregate_share(
			signed(EVAL_A),
			histogram,
			share(3, 1, &[1; 7])
		));
	});
}

#[test]
fn submit_aggregate_share_refuses_a_value_outside_the_field() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_job();
		for value in [FIELD128_MODULUS, u128::MAX] {
			assert_noop!(
				Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &[value])),
				Error::<Test>::ValueOutOfField
			);
		}
		assert_ok!(Statistics::submit_aggregate_share(
			signed(EVAL_A),
			job,
			share(3, 1, &[FIELD128_MODULUS - 1])
		));
	});
}

#[test]
fn submit_aggregate_share_refuses_noise_that_does_not_describe_the_values() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let job = request(HOSPITAL, StatisticKind::Sum(fields(&[0, 1])));
		let segment = |values, epsilon| NoiseSegment {
			values,
			sensitivity: 300,
			epsilon: EpsilonMillis(epsilon),
			total_std_dev_millis: 1_000,
		};
		let with_noise = |noise: Vec<NoiseSegment>| {
			let mut s = share(3, 1, &[1, 2]);
			s.noise = noise.try_into().unwrap();
			s
		};
		let invalid = [
			vec![],                                 // no segment
			vec![segment(1, 500)],                  // covers too few values
			vec![segment(2, 500), segment(1, 100)], // covers too many
			vec![segment(2, 500), segment(0, 100)], // an empty segment
			vec![segment(1, 500), segment(1, 0)],   // a segment without ε
			vec![segment(1, 600), segment(1, 600)], // more ε than the job's
		];
		for noise in invalid {
			assert_noop!(
				Statistics::submit_aggregate_share(signed(EVAL_A), job, with_noise(noise)),
				Error::<Test>::InvalidNoise
			);
		}
		assert_ok!(Statistics::submit_aggregate_share(
			signed(EVAL_A),
			job,
			with_noise(vec![segment(1, 500), segment(1, 500)])
		));
	});
}

// ---- statistic timeout ----

#[test]
fn an_aggregator_missing_at_the_deadline_times_the_job_out_and_nothing_is_published() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_job();
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), job, share(3, 1, &[1])));
		let deadline = Jobs::<Test>::get(job).unwrap().deadline;
		run_to_block(deadline);
		assert_eq!(job_status(job), StatisticStatus::AwaitingShares);
		run_to_block(deadline + 1);
		let reason = StatisticFailure::Timeout { missing: 1 };
		assert_eq!(
			job_status(job),
			StatisticStatus::Failed { reason: reason.clone(), at: deadline + 1 }
		);
		System::assert_has_event(Event::StatisticFailed { job, reason }.into());
		assert!(PublishedStatistics::<Test>::get(job).is_none());
		assert_eq!(AggregateShares::<Test>::iter().count(), 0);
		assert_eq!(JobDeadlines::<Test>::iter().count(), 0);
	});
}

#[test]
fn the_timeout_hook_closes_every_job_of_the_deadline_and_leaves_concluded_ones() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let silent = request(HOSPITAL, StatisticKind::Count);
		let done = request(LAB, StatisticKind::Count);
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), done, share(3, 1, &[1])));
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_B), done, share(3, 1, &[2])));
		run_to_block(1 + StatisticTimeout::get() + 1);
		assert!(matches!(
			job_status(silent),
			StatisticStatus::Failed { reason: StatisticFailure::Timeout { missing: 2 }, .. }
		));
		assert_eq!(job_status(done), StatisticStatus::Published { at: 1 });
	});
}

// ---- set_privacy_parameters ----

#[test]
fn set_privacy_parameters_stores_them() {
	ExtBuilder::empty().build_and_execute(|| {
		let params = PrivacyParameters {
			epsilon_per_statistic: EpsilonMillis(250),
			budget_per_period: EpsilonMillis(1_000),
			period: 14_400,
		};
		assert_ok!(Statistics::set_privacy_parameters(RuntimeOrigin::root(), params.clone()));
		assert_eq!(PrivacyParams::<Test>::get(), Some(params.clone()));
		System::assert_last_event(Event::PrivacyParametersSet { params }.into());
	});
}

#[test]
fn set_privacy_parameters_requires_governance() {
	ExtBuilder::empty().build_and_execute(|| {
		assert_noop!(
			Statistics::set_privacy_parameters(signed(HOSPITAL), default_privacy()),
			BadOrigin
		);
	});
}

#[test]
fn set_privacy_parameters_refuses_invalid_parameters() {
	ExtBuilder::empty().build_and_execute(|| {
		let params = |epsilon, budget, period| PrivacyParameters {
			epsilon_per_statistic: EpsilonMillis(epsilon),
			budget_per_period: EpsilonMillis(budget),
			period,
		};
		for invalid in [params(0, 1_000, 10), params(1_000, 999, 10), params(1_000, 1_000, 0)] {
			assert_noop!(
				Statistics::set_privacy_parameters(RuntimeOrigin::root(), invalid),
				Error::<Test>::InvalidPrivacyParameters
			);
		}
		assert_ok!(Statistics::set_privacy_parameters(RuntimeOrigin::root(), params(1, 1, 1)));
	});
}

// ---- enrol / unenrol ----

#[test]
fn enrol_and_unenrol_record_who_vouches_for_a_person() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Statistics::enrol(signed(LAB), ALICE));
		assert_eq!(Enrolments::<Test>::get(ALICE, LAB), Some(1));
		assert_eq!(EnrolmentCount::<Test>::get(ALICE), 1);
		System::assert_last_event(Event::Enrolled { person: ALICE, institution: LAB }.into());
		assert_ok!(Statistics::enrol(signed(HOSPITAL), ALICE));
		assert_eq!(EnrolmentCount::<Test>::get(ALICE), 2);
		assert_ok!(Statistics::unenrol(signed(LAB), ALICE));
		assert_eq!(Enrolments::<Test>::get(ALICE, LAB), None);
		assert_eq!(EnrolmentCount::<Test>::get(ALICE), 1);
		System::assert_last_event(Event::Unenrolled { person: ALICE, institution: LAB }.into());
		assert_ok!(Statistics::unenrol(signed(HOSPITAL), ALICE));
		assert!(!EnrolmentCount::<Test>::contains_key(ALICE));
	});
}

#[test]
fn enrol_requires_an_active_institution() {
	ExtBuilder::default().build_and_execute(|| {
		for who in [EVAL_A, MALLORY] {
			assert_noop!(
				Statistics::enrol(signed(who), ALICE),
				Error::<Test>::NotActiveInstitution
			);
		}
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), LAB));
		assert_noop!(Statistics::enrol(signed(LAB), ALICE), Error::<Test>::NotActiveInstitution);
	});
}

#[test]
fn enrol_refuses_a_second_enrolment_by_the_same_institution() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Statistics::enrol(signed(LAB), ALICE));
		assert_noop!(Statistics::enrol(signed(LAB), ALICE), Error::<Test>::AlreadyEnrolled);
	});
}

#[test]
fn enrol_refuses_more_institutions_than_allowed() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Statistics::enrol(signed(LAB), ALICE));
		assert_ok!(Statistics::enrol(signed(HOSPITAL), ALICE));
		assert_noop!(Statistics::enrol(signed(CLINIC), ALICE), Error::<Test>::TooManyEnrolments);
	});
}

#[test]
fn unenrol_refuses_a_person_not_enrolled_by_the_caller() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Statistics::enrol(signed(LAB), ALICE));
		assert_noop!(Statistics::unenrol(signed(HOSPITAL), ALICE), Error::<Test>::NotEnrolled);
	});
}

#[test]
fn a_suspended_institution_may_still_unenrol() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Statistics::enrol(signed(LAB), ALICE));
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), LAB));
		assert_ok!(Statistics::unenrol(signed(LAB), ALICE));
	});
}

// ---- statistic_cohort: Sybil resistance and the choice of report ----

#[test]
fn sybils_and_people_vouched_for_only_by_the_requester_are_not_in_the_cohort() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let ids: Vec<ReportId> = [ALICE, BOB, CAROL, DAVE]
			.iter()
			.enumerate()
			.map(|(i, who)| {
				let id = rid(i as u8 + 1);
				assert_ok!(submit(*who, vitals_record(*who), id));
				id
			})
			.collect();
		settle(1, &[EVAL_A, EVAL_B], &[]);
		// ALICE is enrolled by LAB: she counts for HOSPITAL.
		assert_ok!(Statistics::enrol(signed(LAB), ALICE));
		// BOB is enrolled only by HOSPITAL, the requester: its own Sybil, say.
		assert_ok!(Statistics::enrol(signed(HOSPITAL), BOB));
		// CAROL is enrolled by nobody: a free account.
		// DAVE is enrolled by CLINIC, which is then suspended.
		assert_ok!(Statistics::enrol(signed(CLINIC), DAVE));
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), CLINIC));
		let job = request(HOSPITAL, StatisticKind::Count);
		let cohort = Statistics::statistic_cohort(job, [DAVE, CAROL, BOB, ALICE, ALICE]);
		assert_eq!(cohort, vec![CohortReport { subject: ALICE, report: ids[0] }]);
		assert!(Statistics::is_enrolled_by_other(&BOB, &LAB));
		assert!(!Statistics::is_enrolled_by_other(&BOB, &HOSPITAL));
		assert!(!Statistics::is_enrolled_by_other(&CAROL, &LAB));
		assert!(!Statistics::is_enrolled_by_other(&DAVE, &HOSPITAL));
		// For LAB's own request, ALICE (enrolled only by LAB) no longer counts, BOB does.
		let lab_job = request(LAB, StatisticKind::Count);
		let cohort = Statistics::statistic_cohort(lab_job, [ALICE, BOB, CAROL, DAVE]);
		assert_eq!(cohort, vec![CohortReport { subject: BOB, report: ids[1] }]);
	});
}

#[test]
fn the_cohort_takes_each_person_newest_report_verified_by_the_request() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = vitals_record(ALICE);
		assert_ok!(Statistics::enrol(signed(LAB), ALICE));
		assert_ok!(submit(ALICE, record, rid(1)));
		settle(1, &[EVAL_A, EVAL_B], &[]);
		System::set_block_number(2);
		assert_ok!(submit(ALICE, record, rid(2)));
		settle(2, &[EVAL_A, EVAL_B], &[]);
		System::set_block_number(3);
		// The newest is still pending at the request.
		assert_ok!(submit(ALICE, record, rid(3)));
		let job = request(HOSPITAL, StatisticKind::Count);
		let alice = |report| vec![CohortReport { subject: ALICE, report }];
		assert_eq!(Statistics::statistic_cohort(job, [ALICE]), alice(rid(2)));
		// Verified after the request block: it does not count for this job.
		System::set_block_number(4);
		settle(3, &[EVAL_A, EVAL_B], &[]);
		assert_eq!(Statistics::statistic_cohort(job, [ALICE]), alice(rid(2)));
		// A later request takes it.
		let later = request(HOSPITAL, StatisticKind::Count);
		assert_eq!(Statistics::statistic_cohort(later, [ALICE]), alice(rid(3)));
	});
}

#[test]
fn rejected_reports_retired_records_and_other_epochs_or_schemas_are_left_out() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		for who in [ALICE, BOB, CAROL] {
			assert_ok!(Statistics::enrol(signed(LAB), who));
		}
		let bobs = vitals_record(BOB);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		assert_ok!(submit(BOB, bobs, rid(2)));
		assert_ok!(submit(CAROL, vitals_record(CAROL), rid(3)));
		settle(1, &[EVAL_A, EVAL_B], &[(0, RejectionReason::ReportIdMismatch)]);
		retire_record(bobs);
		let job = request(HOSPITAL, StatisticKind::Count);
		assert_eq!(
			Statistics::statistic_cohort(job, [ALICE, BOB, CAROL]),
			vec![CohortReport { subject: CAROL, report: rid(3) }]
		);
		// Under a new schema, reports of the old one do not count.
		let newer = one_field(DataCategory::VitalSigns, b"pulse", 250, None);
		assert_ok!(Statistics::register_schema(RuntimeOrigin::root(), newer));
		let request_newer = |who| {
			let job = NextJobId::<Test>::get();
			assert_ok!(Statistics::request_statistic(
				signed(who),
				1,
				StatisticKind::Count,
				PurposeOfUse::PUBHLTH
			));
			job
		};
		let job = request_newer(HOSPITAL);
		assert!(Statistics::statistic_cohort(job, [ALICE, BOB, CAROL]).is_empty());
		// CAROL reports under the new schema; then a new epoch becomes active: under it,
		// reports of the old epoch do not count.
		System::set_block_number(2);
		assert_ok!(Statistics::submit_report(
			signed(CAROL),
			vitals_record(CAROL),
			1,
			rid(4),
			cid(b"bafy-report"),
			H256::zero(),
			100
		));
		settle(2, &[EVAL_A, EVAL_B], &[]);
		let before = request_newer(CLINIC);
		assert_eq!(
			Statistics::statistic_cohort(before, [CAROL]),
			vec![CohortReport { subject: CAROL, report: rid(4) }]
		);
		activate(&[EVAL_B, EVAL_C]);
		let after = request_newer(CLINIC);
		assert!(Statistics::statistic_cohort(after, [CAROL]).is_empty());
		assert!(Statistics::statistic_cohort(99, [CAROL]).is_empty());
	});
}

#[test]
fn the_cohort_is_ordered_by_report_id() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		// Report ids in the reverse order of the accounts.
		for (who, id) in [(ALICE, 9), (BOB, 5), (CAROL, 1)] {
			assert_ok!(submit(who, vitals_record(who), rid(id)));
			assert_ok!(Statistics::enrol(signed(LAB), who));
		}
		settle(1, &[EVAL_A, EVAL_B], &[]);
		let job = request(HOSPITAL, StatisticKind::Count);
		assert_eq!(
			Statistics::statistic_cohort(job, [ALICE, BOB, CAROL]),
			vec![
				CohortReport { subject: CAROL, report: rid(1) },
				CohortReport { subject: BOB, report: rid(5) },
				CohortReport { subject: ALICE, report: rid(9) },
			]
		);
	});
}

// ---- queries ----

#[test]
fn batches_awaiting_lists_what_each_aggregator_still_owes() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let record = vitals_record(ALICE);
		assert_ok!(submit(ALICE, record, rid(1)));
		System::set_block_number(2);
		assert_ok!(submit(BOB, vitals_record(BOB), rid(2)));
		let batches =
			|who| Statistics::batches_awaiting(&who).iter().map(|b| b.batch).collect::<Vec<_>>();
		assert_eq!(batches(EVAL_A), vec![1, 2]);
		assert_eq!(batches(EVAL_C), Vec::<u64>::new());
		let summary = &Statistics::batches_awaiting(&EVAL_A)[0];
		assert_eq!(summary.reports.len(), 1);
		assert_eq!(summary.reports[0].id, rid(1));
		assert_eq!((summary.reports[0].owner, summary.reports[0].record), (ALICE, record));
		assert_eq!(summary.reports[0].object.cid, b"bafy-report".to_vec());
		assert_eq!(summary.verifier_shares, vec![None, None]);
		assert_eq!(summary.deadline, 1 + VerificationTimeout::get());
		// EVAL_A posted for batch 1: it waits for EVAL_B before confirming.
		assert_ok!(Statistics::submit_verifier_shares(signed(EVAL_A), 1, verifier_shares(EVAL_A)));
		assert_eq!(batches(EVAL_A), vec![2]);
		assert_eq!(batches(EVAL_B), vec![1, 2]);
		assert_ok!(Statistics::submit_verifier_shares(signed(EVAL_B), 1, verifier_shares(EVAL_B)));
		// Every share in: both must confirm, and see every share.
		assert_eq!(batches(EVAL_A), vec![1, 2]);
		let summary = &Statistics::batches_awaiting(&EVAL_A)[0];
		assert_eq!(
			summary.verifier_shares,
			vec![
				Some(verifier_shares(EVAL_A).into_inner()),
				Some(verifier_shares(EVAL_B).into_inner())
			]
		);
		assert_ok!(Statistics::confirm_batch(signed(EVAL_A), 1, rejections(&[])));
		assert_eq!(batches(EVAL_A), vec![2]);
		assert_eq!(Statistics::batches_awaiting(&EVAL_B)[0].confirmed, vec![true, false]);
		// Past its deadline a batch waits for nobody.
		System::set_block_number(2 + VerificationTimeout::get() + 1);
		assert_eq!(batches(EVAL_B), Vec::<u64>::new());
	});
}

#[test]
fn statistic_jobs_awaiting_lists_the_jobs_an_aggregator_has_not_answered() {
	ExtBuilder::default().build_and_execute(|| {
		activate(&[EVAL_A, EVAL_B]);
		let first = request(HOSPITAL, StatisticKind::Count);
		System::set_block_number(2);
		let second = request(HOSPITAL, StatisticKind::Sum(fields(&[1])));
		let jobs = |who| {
			Statistics::statistic_jobs_awaiting(&who)
				.into_iter()
				.map(|(id, _)| id)
				.collect::<Vec<_>>()
		};
		assert_eq!(jobs(EVAL_A), vec![first, second]);
		assert_eq!(jobs(EVAL_C), Vec::<StatisticJobId>::new());
		assert_ok!(Statistics::submit_aggregate_share(signed(EVAL_A), first, share(3, 1, &[1])));
		assert_eq!(jobs(EVAL_A), vec![second]);
		assert_eq!(jobs(EVAL_B), vec![first, second]);
		let (_, job) = &Statistics::statistic_jobs_awaiting(&EVAL_B)[1];
		assert_eq!(job.kind, StatisticKind::Sum(vec![1]));
		System::set_block_number(1 + StatisticTimeout::get() + 1);
		assert_eq!(jobs(EVAL_B), vec![second]);
	});
}

#[test]
fn epoch_and_schema_queries_return_plain_values() {
	ExtBuilder::default().build_and_execute(|| {
		assert_eq!(Statistics::active_epoch(), None);
		assert_eq!(Statistics::pending_epoch(), None);
		let epoch = activate(&[EVAL_A, EVAL_B]);
		let (id, e) = Statistics::active_epoch().unwrap();
		assert_eq!(id, epoch);
		assert_eq!(e.aggregators[1].contribution, Some(vec![EVAL_B as u8; 48]));
		assert_eq!(e.aggregators[0].key, Some([EVAL_A as u8; 32]));
		assert_eq!(Statistics::aggregator_epoch(epoch), Some(e));
		assert_eq!(Statistics::aggregator_epoch(9), None);
		let schema = Statistics::schema(VITALS).unwrap();
		assert_eq!(schema.schema.fields[1].name, b"pulse".to_vec());
		assert_eq!(schema.schema.fields[1].buckets, None);
		assert_eq!(Statistics::schema(7), None);
		assert_eq!(Statistics::schema_of(DataCategory::Genomics), None);
		assert_eq!(Statistics::statistic_job(3), None);
		assert_eq!(Statistics::published_statistic(3), None);
		assert_eq!(Statistics::report(rid(3)), None);
		assert!(Statistics::reports_of(&ALICE).is_empty());
	});
}

#[test]
fn budget_spent_is_zero_without_privacy_parameters() {
	ExtBuilder::empty().build_and_execute(|| {
		assert_eq!(
			Statistics::budget_spent(&HOSPITAL, PurposeOfUse::PUBHLTH, DataCategory::VitalSigns),
			EpsilonMillis(0)
		);
	});
}

// ---- invariants ----

#[test]
fn try_state_detects_a_pending_report_missing_from_its_batch() {
	ExtBuilder::default().build().execute_with(|| {
		activate(&[EVAL_A, EVAL_B]);
		assert_ok!(submit(ALICE, vitals_record(ALICE), rid(1)));
		assert_ok!(submit(BOB, vitals_record(BOB), rid(2)));
		check_all_invariants();
		Batches::<Test>::mutate(1, |b| {
			b.as_mut().unwrap().reports.retain(|r| *r != rid(2));
		});
		assert!(Statistics::do_try_state().is_err());
	});
}

#[test]
fn try_state_detects_an_active_epoch_that_is_not_active() {
	ExtBuilder::default().build().execute_with(|| {
		let epoch = activate(&[EVAL_A, EVAL_B]);
		AggregatorEpochs::<Test>::mutate(epoch, |e| {
			e.as_mut().unwrap().status = EpochStatus::Retired
		});
		assert!(Statistics::do_try_state().is_err());
	});
}

#[test]
fn try_state_detects_a_job_missing_from_its_deadline() {
	ExtBuilder::default().build().execute_with(|| {
		activate(&[EVAL_A, EVAL_B]);
		let job = request(HOSPITAL, StatisticKind::Count);
		check_all_invariants();
		JobDeadlines::<Test>::remove(Jobs::<Test>::get(job).unwrap().deadline);
		assert!(Statistics::do_try_state().is_err());
	});
}

#[test]
fn try_state_detects_enrolment_counts_out_of_sync() {
	ExtBuilder::default().build().execute_with(|| {
		assert_ok!(Statistics::enrol(signed(LAB), ALICE));
		check_all_invariants();
		EnrolmentCount::<Test>::insert(ALICE, 2);
		assert!(Statistics::do_try_state().is_err());
	});
}

#[test]
fn try_state_detects_a_collecting_epoch_that_is_not_pending() {
	ExtBuilder::default().build().execute_with(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		check_all_invariants();
		PendingEpoch::<Test>::kill();
		assert!(Statistics::do_try_state().is_err());
		PendingEpoch::<Test>::put(epoch);
		assert!(Statistics::do_try_state().is_ok());
	});
}
