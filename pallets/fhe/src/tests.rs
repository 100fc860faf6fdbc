// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Unit tests for `pallet-fhe`, against the real consortium pallet.

use crate::{
	mock::*, Error, EvaluationKey, EvaluationKeys, Event, FailureReason, FeatureSpec, IpfsRef,
	JobId, JobKind, JobStatus, Jobs, ModelId, Models, OpenJobs, Outcome, TimeoutCursor,
	TimeoutQueue,
};
use crate::{HoldReason, JobDeposits, JobOf, ModelDeposits};
use codec::{Encode, MaxEncodedLen};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use pallet_consortium::MemberKind;
use sp_runtime::DispatchError::BadOrigin;

// ---- helpers ----

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Fhe(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn count_events(pred: impl Fn(&Event<Test>) -> bool) -> usize {
	events().iter().filter(|e| pred(e)).count()
}

fn status(job: JobId) -> JobStatus<u64, crate::CidOf<Test>> {
	Jobs::<Test>::get(job).unwrap().status
}

fn admit_evaluator(who: u64) {
	assert_ok!(Consortium::admit_member(
		RuntimeOrigin::root(),
		who,
		vec![MemberKind::Evaluator].try_into().unwrap(),
		b"Validator".to_vec().try_into().unwrap(),
		[who as u8; 32],
		None,
	));
}

fn register_model() -> ModelId {
	let id = crate::NextModelId::<Test>::get();
	assert_ok!(Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), template()));
	id
}

fn request_prediction(model: ModelId) -> JobId {
	let job = crate::NextJobId::<Test>::get();
	assert_ok!(Fhe::request_prediction(
		RuntimeOrigin::signed(ALICE),
		model,
		cid(b"bafy-alice-input"),
		hash(1)
	));
	job
}

// ---- register_evaluation_key / remove_evaluation_key ----

#[test]
fn register_evaluation_key_stores_it_with_its_block() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Fhe::register_evaluation_key(
			RuntimeOrigin::signed(ALICE),
			cid(b"bafy-server-key"),
			hash(3)
		));
		assert_eq!(
			EvaluationKeys::<Test>::get(ALICE),
			Some(EvaluationKey {
				key: IpfsRef { cid: cid(b"bafy-server-key"), hash: hash(3) },
				registered_at: 1
			})
		);
		assert_eq!(Fhe::evaluation_key(&ALICE).unwrap().key.cid, b"bafy-server-key".to_vec());
		System::assert_last_event(
			Event::EvaluationKeyRegistered {
				who: ALICE,
				cid: cid(b"bafy-server-key"),
				hash: hash(3),
			}
			.into(),
		);
	});
}

#[test]
fn register_evaluation_key_replaces_an_earlier_one() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Fhe::register_evaluation_key(
			RuntimeOrigin::signed(ALICE),
			cid(b"old"),
			hash(1)
		));
		System::set_block_number(5);
		assert_ok!(Fhe::register_evaluation_key(
			RuntimeOrigin::signed(ALICE),
			cid(b"new"),
			hash(2)
		));
		let key = EvaluationKeys::<Test>::get(ALICE).unwrap();
		assert_eq!((key.key.cid, key.registered_at), (cid(b"new"), 5));
	});
}

#[test]
fn register_evaluation_key_refuses_an_empty_cid() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::register_evaluation_key(RuntimeOrigin::signed(ALICE), cid(b""), hash(1)),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn register_evaluation_key_refuses_unsigned_origins() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::register_evaluation_key(RuntimeOrigin::none(), cid(b"k"), hash(1)),
			BadOrigin
		);
	});
}

#[test]
fn remove_evaluation_key_deletes_it() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Fhe::register_evaluation_key(RuntimeOrigin::signed(ALICE), cid(b"k"), hash(1)));
		assert_ok!(Fhe::remove_evaluation_key(RuntimeOrigin::signed(ALICE)));
		assert!(EvaluationKeys::<Test>::get(ALICE).is_none());
		System::assert_last_event(Event::EvaluationKeyRemoved { who: ALICE }.into());
	});
}

#[test]
fn remove_evaluation_key_without_one_fails() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::remove_evaluation_key(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NoEvaluationKey
		);
	});
}

// ---- register_model / retire_model ----

#[test]
fn register_model_stores_an_auditable_template() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), template()));
		let m = Models::<Test>::get(0).unwrap();
		assert_eq!(m.template, template());
		assert_eq!((m.registrant, m.registered_at, m.retired_at), (HOSPITAL, 1, None));
		System::assert_last_event(
			Event::ModelRegistered { model: 0, registrant: HOSPITAL, name: template().name }.into(),
		);
		let summary = Fhe::model(0).unwrap();
		assert_eq!(summary.model.template.name, b"heart-risk-v1".to_vec());
		assert_eq!(summary.model.template.features[1].unit, b"mg/dL".to_vec());
		assert_eq!(summary.model.template.weights, vec![52, -13]);
	});
}

#[test]
fn register_model_refuses_accounts_that_are_not_active_institutions() {
	ExtBuilder::default().build_and_execute(|| {
		for who in [ALICE, EVAL_A] {
			assert_noop!(
				Fhe::register_model(RuntimeOrigin::signed(who), template()),
				Error::<Test>::NotActiveInstitution
			);
		}
	});
}

#[test]
fn register_model_refuses_an_unnamed_model_or_feature() {
	ExtBuilder::default().build_and_execute(|| {
		let mut t = template();
		t.name = Default::default();
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), t),
			Error::<Test>::EmptyName
		);
		let mut t = template();
		t.features[0].name = Default::default();
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), t),
			Error::<Test>::EmptyName
		);
	});
}

#[test]
fn register_model_refuses_a_model_without_features() {
	ExtBuilder::default().build_and_execute(|| {
		let mut t = template();
		t.features = Default::default();
		t.weights = Default::default();
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), t),
			Error::<Test>::NoFeatures
		);
	});
}

#[test]
fn register_model_refuses_a_weight_count_unlike_the_feature_count() {
	ExtBuilder::default().build_and_execute(|| {
		let mut t = template();
		t.weights = vec![1].try_into().unwrap();
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), t),
			Error::<Test>::WeightCountMismatch
		);
	});
}

#[test]
fn register_model_refuses_two_features_of_the_same_name() {
	ExtBuilder::default().build_and_execute(|| {
		let mut t = template();
		t.features[1].name = t.features[0].name.clone();
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), t),
			Error::<Test>::DuplicateFeatureName
		);
	});
}

#[test]
fn register_model_refuses_a_zero_feature_scale_or_score_divisor() {
	ExtBuilder::default().build_and_execute(|| {
		let mut zero_scale = template();
		zero_scale.features[1] = FeatureSpec { scale_micros: 0, ..zero_scale.features[1].clone() };
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), zero_scale),
			Error::<Test>::ZeroScale
		);
		let zero_divisor = crate::ModelTemplate { score_divisor: 0, ..template() };
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), zero_divisor),
			Error::<Test>::ZeroScale
		);
	});
}

#[test]
fn register_model_refuses_a_missing_output_meaning_or_provenance() {
	ExtBuilder::default().build_and_execute(|| {
		let mut t = template();
		t.output_meaning = Default::default();
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), t),
			Error::<Test>::MissingDescription
		);
		let mut t = template();
		t.provenance = Default::default();
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(HOSPITAL), t),
			Error::<Test>::MissingDescription
		);
	});
}

#[test]
fn retire_model_by_its_registrant_stops_new_predictions() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		System::set_block_number(4);
		assert_ok!(Fhe::retire_model(RuntimeOrigin::signed(HOSPITAL), model));
		assert_eq!(Models::<Test>::get(model).unwrap().retired_at, Some(4));
		System::assert_last_event(Event::ModelRetired { model }.into());
		assert_noop!(
			Fhe::request_prediction(RuntimeOrigin::signed(ALICE), model, cid(b"in"), hash(1)),
			Error::<Test>::ModelRetired
		);
	});
}

#[test]
fn retire_model_refuses_an_unknown_model() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::retire_model(RuntimeOrigin::signed(HOSPITAL), 3),
			Error::<Test>::UnknownModel
		);
	});
}

#[test]
fn retire_model_refuses_others_than_its_registrant() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		assert_noop!(
			Fhe::retire_model(RuntimeOrigin::signed(LAB), model),
			Error::<Test>::NotModelRegistrant
		);
	});
}

#[test]
fn retire_model_refuses_a_retired_model() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		assert_ok!(Fhe::retire_model(RuntimeOrigin::signed(HOSPITAL), model));
		assert_noop!(
			Fhe::retire_model(RuntimeOrigin::signed(HOSPITAL), model),
			Error::<Test>::ModelRetired
		);
	});
}

// ---- request_prediction ----

#[test]
fn request_prediction_creates_a_pending_job_queued_at_its_deadline() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		assert_ok!(Fhe::request_prediction(
			RuntimeOrigin::signed(ALICE),
			model,
			cid(b"bafy-in"),
			hash(1)
		));
		let j = Jobs::<Test>::get(0).unwrap();
		assert_eq!(
			j.kind,
			JobKind::Prediction { model, input: IpfsRef { cid: cid(b"bafy-in"), hash: hash(1) } }
		);
		assert_eq!((j.requester, j.requested_at, j.deadline), (ALICE, 1, 11));
		assert_eq!(j.status, JobStatus::Pending);
		assert_eq!(OpenJobs::<Test>::get().into_inner(), vec![0]);
		assert_eq!(TimeoutQueue::<Test>::get(11).into_inner(), vec![0]);
		System::assert_last_event(
			Event::PredictionRequested {
				job: 0,
				model,
				requester: ALICE,
				input_cid: cid(b"bafy-in"),
				input_hash: hash(1),
				deadline: 11,
			}
			.into(),
		);
	});
}

#[test]
fn request_prediction_refuses_an_unknown_model() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::request_prediction(RuntimeOrigin::signed(ALICE), 0, cid(b"in"), hash(1)),
			Error::<Test>::UnknownModel
		);
	});
}

#[test]
fn request_prediction_refuses_a_retired_model() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		assert_ok!(Fhe::retire_model(RuntimeOrigin::signed(HOSPITAL), model));
		assert_noop!(
			Fhe::request_prediction(RuntimeOrigin::signed(ALICE), model, cid(b"in"), hash(1)),
			Error::<Test>::ModelRetired
		);
	});
}

#[test]
fn request_prediction_refuses_an_empty_input_cid() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		assert_noop!(
			Fhe::request_prediction(RuntimeOrigin::signed(ALICE), model, cid(b""), hash(1)),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn request_prediction_refuses_while_the_job_list_is_full() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		for _ in 0..MaxPendingJobs::get() {
			request_prediction(model);
		}
		assert_noop!(
			Fhe::request_prediction(RuntimeOrigin::signed(ALICE), model, cid(b"in"), hash(1)),
			Error::<Test>::TooManyPendingJobs
		);
	});
}

#[test]
fn one_account_may_not_hold_more_than_its_share_of_open_jobs() {
	ExtBuilder::default().build_and_execute(|| {
		MaxOpenJobsPerAccount::set(2);
		let model = register_model();
		let first = request_prediction(model);
		request_prediction(model);
		assert_noop!(
			Fhe::request_prediction(RuntimeOrigin::signed(ALICE), model, cid(b"in"), hash(1)),
			Error::<Test>::TooManyOpenJobs
		);
		// Someone else is not affected.
		assert_ok!(Fhe::request_prediction(
			RuntimeOrigin::signed(MALLORY),
			model,
			cid(b"in"),
			hash(1)
		));
		// A finished job frees its place.
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), first, success(b"out")));
		assert_ok!(Fhe::request_prediction(
			RuntimeOrigin::signed(ALICE),
			model,
			cid(b"in"),
			hash(1)
		));
	});
}

// ---- submit_result ----

#[test]
fn submit_result_with_quorum_one_makes_a_prediction_ready() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"bafy-score")));
		assert_eq!(
			status(job),
			JobStatus::Final { result: IpfsRef { cid: cid(b"bafy-score"), hash: hash(9) }, at: 1 }
		);
		assert!(OpenJobs::<Test>::get().is_empty());
		assert!(TimeoutQueue::<Test>::get(11).is_empty());
		let evs = events();
		assert_eq!(
			evs[evs.len() - 2],
			Event::ResultSubmitted { job, evaluator: EVAL_A, outcome: success(b"bafy-score") }
		);
		System::assert_last_event(
			Event::PredictionReady {
				job,
				owner: ALICE,
				result_cid: cid(b"bafy-score"),
				result_hash: hash(9),
			}
			.into(),
		);
	});
}

#[test]
fn submit_result_with_quorum_two_waits_for_a_second_identical_outcome() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"bafy-score")));
		assert_eq!(status(job), JobStatus::Pending);
		assert_eq!(Jobs::<Test>::get(job).unwrap().submissions.len(), 1);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"bafy-score")));
		assert!(matches!(status(job), JobStatus::Final { .. }));
		assert_eq!(count_events(|e| matches!(e, Event::PredictionReady { .. })), 1);
		assert_eq!(count_events(|e| matches!(e, Event::ResultsDisagree { .. })), 0);
	});
}

#[test]
fn submit_result_reports_a_disagreement_once_and_never_resolves_it_silently() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"x")));
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"y")));
		System::assert_last_event(Event::ResultsDisagree { job }.into());
		assert_eq!(status(job), JobStatus::Pending);
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_C),
			job,
			Outcome::Failure { reason: FailureReason::Other }
		));
		assert_eq!(count_events(|e| matches!(e, Event::ResultsDisagree { .. })), 1);
		assert_eq!(status(job), JobStatus::Pending);
		assert_eq!(Fhe::job(job).unwrap().job.submissions.len(), 3);
	});
}

#[test]
fn submit_result_agrees_on_the_outcome_that_reaches_the_quorum_after_a_disagreement() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"x")));
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"y")));
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_C), job, success(b"y")));
		assert_eq!(
			status(job),
			JobStatus::Final { result: IpfsRef { cid: cid(b"y"), hash: hash(9) }, at: 1 }
		);
		assert_eq!(count_events(|e| matches!(e, Event::ResultsDisagree { .. })), 1);
	});
}

#[test]
fn submit_result_agreed_failure_fails_the_job() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		let reason = FailureReason::InputHashMismatch;
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_A),
			job,
			Outcome::Failure { reason }
		));
		assert_eq!(status(job), JobStatus::Failed { reason, at: 1 });
		assert!(OpenJobs::<Test>::get().is_empty());
		System::assert_last_event(Event::JobFailed { job, reason }.into());
	});
}

#[test]
fn submit_result_refuses_accounts_that_are_not_active_evaluators() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(HOSPITAL), job, success(b"r")),
			Error::<Test>::NotActiveEvaluator
		);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), EVAL_A));
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r")),
			Error::<Test>::NotActiveEvaluator
		);
	});
}

#[test]
fn submit_result_refuses_an_unknown_job() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), 9, success(b"r")),
			Error::<Test>::UnknownJob
		);
	});
}

#[test]
fn submit_result_refuses_a_job_whose_outcome_is_final() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r")));
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"r")),
			Error::<Test>::JobNotPending
		);
	});
}

#[test]
fn submit_result_refuses_a_job_past_its_deadline() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		System::set_block_number(11);
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r")),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn submit_result_refuses_a_duplicate_submission() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r")));
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r")),
			Error::<Test>::DuplicateSubmission
		);
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"other")),
			Error::<Test>::DuplicateSubmission
		);
	});
}

#[test]
fn submit_result_refuses_a_success_with_an_empty_cid() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"")),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn submit_result_refuses_more_than_max_submissions() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(3);
		admit_evaluator(20);
		let job = request_prediction(register_model());
		for (who, name) in [(EVAL_A, b"x"), (EVAL_B, b"y"), (EVAL_C, b"z")] {
			assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(who), job, success(name)));
		}
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(20), job, success(b"x")),
			Error::<Test>::TooManySubmissions
		);
	});
}

// ---- timeouts ----

#[test]
fn timeouts_carry_over_to_the_next_block_and_skip_nothing() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		let jobs: Vec<JobId> = (0..5).map(|_| request_prediction(model)).collect();
		// One finishes in time: it leaves the queue.
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), jobs[2], success(b"r")));
		assert_eq!(TimeoutQueue::<Test>::get(11).len(), 4);

		// Block 11: the budget (3 steps) times out three jobs; one carries over.
		run_to_block(11);
		let timed_out = |j: JobId| matches!(status(j), JobStatus::TimedOut { .. });
		assert_eq!(jobs.iter().filter(|j| timed_out(**j)).count(), 3);
		assert_eq!(TimeoutQueue::<Test>::get(11).into_inner(), vec![jobs[4]]);
		assert_eq!(TimeoutCursor::<Test>::get(), Some(11));
		assert_eq!(OpenJobs::<Test>::get().into_inner(), vec![jobs[4]]);
		assert_eq!(count_events(|e| matches!(e, Event::JobTimedOut { .. })), 3);
		check_all_invariants();

		// Block 12: the rest.
		run_to_block(12);
		assert_eq!(status(jobs[4]), JobStatus::TimedOut { at: 12 });
		assert!(matches!(status(jobs[2]), JobStatus::Final { .. }));
		assert!(OpenJobs::<Test>::get().is_empty());
		assert_eq!(TimeoutQueue::<Test>::iter().count(), 0);
		assert_eq!(TimeoutCursor::<Test>::get(), Some(13));
		System::assert_last_event(Event::JobTimedOut { job: jobs[4] }.into());
	});
}

// ---- queries ----

#[test]
fn pending_jobs_lists_what_an_evaluator_has_not_submitted_to_oldest_first() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		let model = register_model();
		let first = request_prediction(model);
		let second = request_prediction(model);
		let ids =
			|v: Vec<crate::JobSummary<u64, u64>>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
		assert_eq!(ids(Fhe::pending_jobs(&EVAL_A)), vec![first, second]);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), first, success(b"r")));
		assert_eq!(ids(Fhe::pending_jobs(&EVAL_A)), vec![second]);
		assert_eq!(ids(Fhe::pending_jobs(&EVAL_B)), vec![first, second]);
		assert!(Fhe::pending_jobs(&HOSPITAL).is_empty());
		let summary = &Fhe::pending_jobs(&EVAL_B)[0];
		assert_eq!(
			summary.job.kind,
			JobKind::Prediction {
				model,
				input: IpfsRef { cid: b"bafy-alice-input".to_vec(), hash: hash(1) }
			}
		);
		// From its deadline on, a job is no longer offered.
		System::set_block_number(11);
		assert!(Fhe::pending_jobs(&EVAL_B).is_empty());
	});
}

// ---- full flows ----

#[test]
fn a_prediction_goes_from_request_to_ready_for_its_owner() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		let model = register_model();
		assert_eq!(Fhe::model(model).unwrap().model.template.features.len(), 2);
		let job = request_prediction(model);
		for who in [EVAL_A, EVAL_B] {
			assert_eq!(Fhe::pending_jobs(&who)[0].id, job);
			run_to_block(System::block_number() + 1);
			assert_ok!(Fhe::submit_result(
				RuntimeOrigin::signed(who),
				job,
				success(b"bafy-encrypted-score")
			));
		}
		let summary = Fhe::job(job).unwrap();
		assert_eq!(
			summary.job.status,
			JobStatus::Final {
				result: IpfsRef { cid: b"bafy-encrypted-score".to_vec(), hash: hash(9) },
				at: 3
			}
		);
		assert_eq!(summary.job.requester, ALICE);
		assert!(Fhe::pending_jobs(&EVAL_C).is_empty());
		System::assert_last_event(
			Event::PredictionReady {
				job,
				owner: ALICE,
				result_cid: cid(b"bafy-encrypted-score"),
				result_hash: hash(9),
			}
			.into(),
		);
		// Nothing times out later.
		run_to_block(15);
		assert!(matches!(status(job), JobStatus::Final { .. }));
	});
}

// ---- the chain's result quorum ----

#[test]
fn a_genesis_result_quorum_overrides_the_configured_one() {
	ExtBuilder::with_genesis_result_quorum(2).build_and_execute(|| {
		assert_eq!(ResultQuorum::get(), 1);
		assert_eq!(Fhe::result_quorum(), 2);
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"bafy-score")));
		assert_eq!(status(job), JobStatus::Pending);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"bafy-score")));
		assert!(matches!(status(job), JobStatus::Final { .. }));
	});
	ExtBuilder::default().build_and_execute(|| assert_eq!(Fhe::result_quorum(), 1));
}

#[test]
#[should_panic(expected = "result_quorum must be between 1 and MaxSubmissions")]
fn a_genesis_result_quorum_of_zero_is_refused() {
	ExtBuilder::with_genesis_result_quorum(0).build();
}

#[test]
#[should_panic(expected = "the result quorum must be more than half of the genesis evaluators")]
fn a_chain_founded_with_three_evaluators_refuses_a_quorum_of_one() {
	// The configured quorum (1) applies when the genesis sets none: one evaluator of three
	// could make any prediction final.
	ExtBuilder::founded_with_evaluators(None).build();
}

#[test]
fn a_chain_founded_with_three_evaluators_needs_two_of_them_to_agree() {
	ExtBuilder::founded_with_evaluators(Some(2)).build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"bafy-score")));
		assert_eq!(status(job), JobStatus::Pending);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"bafy-score")));
		assert!(matches!(status(job), JobStatus::Final { .. }));
	});
}
// ---- deposits ----

fn held(reason: HoldReason, who: u64) -> u64 {
	Balances::balance_on_hold(&reason.into(), &who)
}

fn job_deposit() -> u64 {
	JOB_DEPOSIT_BASE + JobOf::<Test>::max_encoded_len() as u64
}

#[test]
fn register_model_holds_a_deposit_until_the_model_is_retired() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		let expected =
			MODEL_DEPOSIT_BASE + Models::<Test>::get(model).unwrap().encoded_size() as u64;
		assert_eq!(held(HoldReason::ModelDeposit, HOSPITAL), expected);
		assert_eq!(Balances::balance(&HOSPITAL), ENDOWMENT - expected);
		assert_eq!(ModelDeposits::<Test>::get(model).unwrap().amount, expected);

		assert_ok!(Fhe::retire_model(RuntimeOrigin::signed(HOSPITAL), model));
		assert_eq!(held(HoldReason::ModelDeposit, HOSPITAL), 0);
		assert_eq!(Balances::balance(&HOSPITAL), ENDOWMENT);
		assert!(ModelDeposits::<Test>::get(model).is_none());
	});
}

#[test]
fn register_model_refuses_an_institution_that_cannot_pay_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		assert_ok!(Consortium::admit_member(
			RuntimeOrigin::root(),
			BROKE,
			vec![MemberKind::Institution].try_into().unwrap(),
			b"Broke Clinic".to_vec().try_into().unwrap(),
			[BROKE as u8; 32],
			None,
		));
		assert_noop!(
			Fhe::register_model(RuntimeOrigin::signed(BROKE), template()),
			Error::<Test>::InsufficientDeposit
		);
	});
}

#[test]
fn request_prediction_holds_a_deposit_released_when_the_job_is_final() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		let job = request_prediction(model);
		assert_eq!(held(HoldReason::JobDeposit, ALICE), job_deposit());
		assert_eq!(JobDeposits::<Test>::get(job).unwrap().depositor, ALICE);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"out")));
		assert!(matches!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Final { .. }));
		assert_eq!(held(HoldReason::JobDeposit, ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT);
		assert!(JobDeposits::<Test>::get(job).is_none());
	});
}

#[test]
fn a_failed_job_releases_its_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		let job = request_prediction(model);
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_A),
			job,
			Outcome::Failure { reason: FailureReason::InputHashMismatch }
		));
		assert!(matches!(Jobs::<Test>::get(job).unwrap().status, JobStatus::Failed { .. }));
		assert_eq!(held(HoldReason::JobDeposit, ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT);
	});
}

#[test]
fn a_timed_out_job_releases_its_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		let job = request_prediction(model);
		assert_eq!(held(HoldReason::JobDeposit, ALICE), job_deposit());
		run_to_block(1 + JobTimeout::get());
		assert!(matches!(Jobs::<Test>::get(job).unwrap().status, JobStatus::TimedOut { .. }));
		assert_eq!(held(HoldReason::JobDeposit, ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT);
	});
}

#[test]
fn request_prediction_refuses_a_requester_who_cannot_pay_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		assert_noop!(
			Fhe::request_prediction(RuntimeOrigin::signed(BROKE), model, cid(b"in"), hash(1)),
			Error::<Test>::InsufficientDeposit
		);
	});
}

// ---- request_program ----

fn program_ref() -> IpfsRef<crate::CidOf<Test>> {
	IpfsRef { cid: cid(b"bafy-program"), hash: hash(5) }
}

fn program_input() -> IpfsRef<crate::CidOf<Test>> {
	IpfsRef { cid: cid(b"bafy-values"), hash: hash(6) }
}

fn register_key(who: u64) {
	assert_ok!(Fhe::register_evaluation_key(
		RuntimeOrigin::signed(who),
		cid(b"bafy-server-key"),
		hash(3)
	));
}

fn request_program(who: u64) -> JobId {
	let job = crate::NextJobId::<Test>::get();
	assert_ok!(Fhe::request_program(RuntimeOrigin::signed(who), program_ref(), program_input()));
	job
}

#[test]
fn request_program_opens_a_job_with_the_requesters_evaluation_key() {
	ExtBuilder::default().build_and_execute(|| {
		register_key(ALICE);
		let job = request_program(ALICE);
		let key = IpfsRef { cid: cid(b"bafy-server-key"), hash: hash(3) };
		let stored = Jobs::<Test>::get(job).unwrap();
		assert_eq!(
			stored.kind,
			JobKind::Program {
				program: program_ref(),
				input: program_input(),
				evaluation_key: key.clone()
			}
		);
		assert_eq!((stored.requester, stored.deadline), (ALICE, 11));
		assert_eq!(stored.status, JobStatus::Pending);
		assert_eq!(OpenJobs::<Test>::get().into_inner(), vec![job]);
		assert_eq!(TimeoutQueue::<Test>::get(11).into_inner(), vec![job]);
		assert_eq!(held(HoldReason::JobDeposit, ALICE), job_deposit());
		System::assert_last_event(
			Event::ProgramRequested {
				job,
				requester: ALICE,
				program: program_ref(),
				input: program_input(),
				evaluation_key: key,
				deadline: 11,
			}
			.into(),
		);
		// Evaluators read the job's kind through the runtime API's summary.
		let listed = Fhe::pending_jobs(&EVAL_A);
		assert_eq!(listed.len(), 1);
		assert!(matches!(
			&listed[0].job.kind,
			JobKind::Program { program, .. } if program.cid == b"bafy-program".to_vec()
		));
	});
}

#[test]
fn request_program_refuses_an_account_without_an_evaluation_key() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::request_program(RuntimeOrigin::signed(ALICE), program_ref(), program_input()),
			Error::<Test>::NoEvaluationKey
		);
		// A removed key counts as none.
		register_key(ALICE);
		assert_ok!(Fhe::remove_evaluation_key(RuntimeOrigin::signed(ALICE)));
		assert_noop!(
			Fhe::request_program(RuntimeOrigin::signed(ALICE), program_ref(), program_input()),
			Error::<Test>::NoEvaluationKey
		);
	});
}

#[test]
fn request_program_refuses_an_empty_program_or_input_cid() {
	ExtBuilder::default().build_and_execute(|| {
		register_key(ALICE);
		let empty = IpfsRef { cid: cid(b""), hash: hash(5) };
		assert_noop!(
			Fhe::request_program(RuntimeOrigin::signed(ALICE), empty.clone(), program_input()),
			Error::<Test>::EmptyCid
		);
		assert_noop!(
			Fhe::request_program(RuntimeOrigin::signed(ALICE), program_ref(), empty),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn request_program_refuses_unsigned_origins() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::request_program(RuntimeOrigin::none(), program_ref(), program_input()),
			BadOrigin
		);
	});
}

#[test]
fn request_program_refuses_while_the_job_list_is_full() {
	ExtBuilder::default().build_and_execute(|| {
		register_key(ALICE);
		let model = register_model();
		for _ in 0..MaxPendingJobs::get() {
			request_prediction(model);
		}
		assert_noop!(
			Fhe::request_program(RuntimeOrigin::signed(ALICE), program_ref(), program_input()),
			Error::<Test>::TooManyPendingJobs
		);
	});
}

#[test]
fn programs_and_predictions_share_an_accounts_open_job_cap() {
	ExtBuilder::default().build_and_execute(|| {
		MaxOpenJobsPerAccount::set(2);
		register_key(ALICE);
		request_prediction(register_model());
		request_program(ALICE);
		assert_noop!(
			Fhe::request_program(RuntimeOrigin::signed(ALICE), program_ref(), program_input()),
			Error::<Test>::TooManyOpenJobs
		);
	});
}

#[test]
fn request_program_refuses_a_requester_who_cannot_pay_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		register_key(BROKE);
		assert_noop!(
			Fhe::request_program(RuntimeOrigin::signed(BROKE), program_ref(), program_input()),
			Error::<Test>::InsufficientDeposit
		);
	});
}

#[test]
fn a_programs_agreed_result_is_ready_for_its_owner_and_releases_the_deposit() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		register_key(ALICE);
		let job = request_program(ALICE);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"bafy-out")));
		assert_eq!(status(job), JobStatus::Pending);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"bafy-out")));
		assert_eq!(
			status(job),
			JobStatus::Final { result: IpfsRef { cid: cid(b"bafy-out"), hash: hash(9) }, at: 1 }
		);
		System::assert_last_event(
			Event::ProgramResultReady {
				job,
				owner: ALICE,
				result_cid: cid(b"bafy-out"),
				result_hash: hash(9),
			}
			.into(),
		);
		assert_eq!(count_events(|e| matches!(e, Event::PredictionReady { .. })), 0);
		assert_eq!(held(HoldReason::JobDeposit, ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT);
	});
}

#[test]
fn a_malformed_program_fails_its_job_with_the_reason_and_the_next_job_runs() {
	ExtBuilder::default().build_and_execute(|| {
		register_key(ALICE);
		let bad = request_program(ALICE);
		let good = request_program(ALICE);
		let reason = FailureReason::MalformedProgram;
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_A),
			bad,
			Outcome::Failure { reason }
		));
		assert!(matches!(status(bad), JobStatus::Failed { reason: r, .. } if r == reason));
		System::assert_last_event(Event::JobFailed { job: bad, reason }.into());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), good, success(b"out")));
		assert!(matches!(status(good), JobStatus::Final { .. }));
	});
}

#[test]
fn a_program_job_keeps_the_key_registered_when_it_was_requested() {
	ExtBuilder::default().build_and_execute(|| {
		register_key(ALICE);
		let job = request_program(ALICE);
		assert_ok!(Fhe::register_evaluation_key(
			RuntimeOrigin::signed(ALICE),
			cid(b"bafy-new-key"),
			hash(4)
		));
		let JobKind::Program { evaluation_key, .. } = Jobs::<Test>::get(job).unwrap().kind else {
			panic!("a program job");
		};
		assert_eq!(evaluation_key, IpfsRef { cid: cid(b"bafy-server-key"), hash: hash(3) });
	});
}

#[test]
fn a_program_job_times_out_like_a_prediction() {
	ExtBuilder::default().build_and_execute(|| {
		register_key(ALICE);
		let job = request_program(ALICE);
		run_to_block(1 + JobTimeout::get());
		assert!(matches!(status(job), JobStatus::TimedOut { .. }));
		assert_eq!(held(HoldReason::JobDeposit, ALICE), 0);
		assert!(OpenJobs::<Test>::get().is_empty());
	});
}

// ---- migrations ----

#[test]
fn v0_to_v1_moves_the_open_job_items_to_their_new_names_once() {
	use crate::{migrations::V0ToV1, OpenJobCount, Pallet};
	use frame_support::{
		storage::{migration::move_prefix, storage_prefix, unhashed, StoragePrefixedMap},
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		let jobs = [request_prediction(model), request_prediction(model)];
		// The state as version 0 of the pallet left it: the same values under the old names.
		let old_list = storage_prefix(b"Fhe", b"PendingJobs");
		let old_counts = storage_prefix(b"Fhe", b"OpenJobsOf");
		let list = unhashed::get_raw(&OpenJobs::<Test>::hashed_key()).unwrap();
		unhashed::kill(&OpenJobs::<Test>::hashed_key());
		unhashed::put_raw(&old_list, &list);
		move_prefix(&OpenJobCount::<Test>::final_prefix(), &old_counts);
		StorageVersion::new(0).put::<Pallet<Test>>();
		assert!(OpenJobs::<Test>::get().is_empty());
		assert_eq!(OpenJobCount::<Test>::get(ALICE), None);

		V0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(OpenJobs::<Test>::get().into_inner(), jobs);
		assert_eq!(OpenJobCount::<Test>::get(ALICE), Some(2));
		assert_eq!(unhashed::get_raw(&old_list), None);
		assert_eq!(unhashed::get_raw(&old_counts), None);
		assert_eq!(Pallet::<Test>::on_chain_storage_version(), 1);

		// Once at version 1 it does nothing, even with a value under an old name again.
		let before = OpenJobs::<Test>::get();
		let stray = vec![1, 2, 3];
		unhashed::put_raw(&old_list, &stray);
		V0ToV1::<Test>::on_runtime_upgrade();
		assert_eq!(OpenJobs::<Test>::get(), before);
		assert_eq!(OpenJobCount::<Test>::get(ALICE), Some(2));
		assert_eq!(unhashed::get_raw(&old_list), Some(stray), "left where it was");
		unhashed::kill(&old_list);
	});
}
