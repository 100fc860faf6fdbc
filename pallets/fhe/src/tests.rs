// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Unit tests for `pallet-fhe`, against the real consortium pallet.

use crate::{
	mock::*, CurrentEpoch, DecryptionShares, EpochId, EpochStatus, Error, EvaluationKey,
	EvaluationKeys, Event, FailureReason, FeatureSpec, HolderShare, IpfsRef, JobId, JobKind,
	JobStatus, Jobs, KeyEpochs, ModelId, Models, Outcome, PendingEpoch, PendingJobs,
	PublicationVotes, PublishedStatistics, Statistic, StatisticOf, TimeoutCursor, TimeoutQueue,
	COMMON_SEED_DOMAIN,
};
use custodia_primitives::consent::{DataCategory, PurposeOfUse};
use frame_support::{assert_noop, assert_ok};
use pallet_consortium::MemberKind;
use sp_runtime::{
	traits::{BlakeTwo256, Hash},
	DispatchError::BadOrigin,
};

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

fn epoch_status(epoch: EpochId) -> EpochStatus<u64> {
	KeyEpochs::<Test>::get(epoch).unwrap().status
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

/// Governance starts an epoch with `h` as holders; returns its id.
fn start_epoch(h: &[u64]) -> EpochId {
	let epoch = crate::NextEpochId::<Test>::get();
	assert_ok!(Fhe::start_key_epoch(RuntimeOrigin::root(), holders(h)));
	epoch
}

/// Every holder of `epoch` submits its share; returns the joint-key job.
fn complete_shares(epoch: EpochId, h: &[u64]) -> JobId {
	for (i, who) in h.iter().enumerate() {
		assert_ok!(Fhe::submit_key_share(
			RuntimeOrigin::signed(*who),
			epoch,
			cid(format!("bafy-pk-share-{i}").as_bytes()),
			hash(i as u8)
		));
	}
	match epoch_status(epoch) {
		EpochStatus::AwaitingJointKey { job } => job,
		other => panic!("epoch not awaiting its joint key: {other:?}"),
	}
}

/// A current epoch held by `h`, its joint key agreed by EVAL_A (quorum 1).
fn current_epoch(h: &[u64]) -> EpochId {
	let epoch = start_epoch(h);
	let job = complete_shares(epoch, h);
	assert_ok!(Fhe::submit_result(
		RuntimeOrigin::signed(EVAL_A),
		job,
		success(b"bafy-joint", None)
	));
	assert_eq!(CurrentEpoch::<Test>::get(), Some(epoch));
	epoch
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

fn request_statistic(statistic: StatisticOf<Test>) -> JobId {
	let job = crate::NextJobId::<Test>::get();
	assert_ok!(Fhe::request_statistic(
		RuntimeOrigin::signed(HOSPITAL),
		PurposeOfUse::PUBHLTH,
		DataCategory::WearableReadings,
		3,
		statistic
	));
	job
}

/// A count statistic under a current epoch held by EVAL_A and EVAL_B, its aggregate of 12
/// records agreed: awaiting decryption shares.
fn aggregated_count() -> JobId {
	current_epoch(&[EVAL_A, EVAL_B]);
	let job = request_statistic(Statistic::Count);
	assert_ok!(Fhe::submit_result(
		RuntimeOrigin::signed(EVAL_C),
		job,
		success(b"bafy-aggregate", Some(12))
	));
	job
}

/// `aggregated_count` with both decryption shares in: awaiting publication.
fn count_awaiting_publication() -> JobId {
	let job = aggregated_count();
	for who in [EVAL_A, EVAL_B] {
		assert_ok!(Fhe::submit_decryption_share(
			RuntimeOrigin::signed(who),
			job,
			cid(b"bafy-dec-share"),
			hash(who as u8)
		));
	}
	job
}

fn histogram(bounds: &[i64]) -> StatisticOf<Test> {
	Statistic::Histogram { bounds: bounds.to_vec().try_into().unwrap() }
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

// ---- start_key_epoch ----

#[test]
fn start_key_epoch_derives_a_public_common_seed_and_collects_shares() {
	ExtBuilder::default().build_and_execute(|| {
		let parent = System::parent_hash();
		assert_ok!(Fhe::start_key_epoch(RuntimeOrigin::root(), holders(&[EVAL_A, EVAL_B])));
		let e = KeyEpochs::<Test>::get(0).unwrap();
		let seed = BlakeTwo256::hash_of(&(COMMON_SEED_DOMAIN, parent, 0u32)).0;
		assert_eq!(e.common_seed, seed);
		assert_eq!(e.status, EpochStatus::CollectingShares);
		assert_eq!(
			e.holders.into_inner(),
			vec![
				HolderShare { holder: EVAL_A, share: None },
				HolderShare { holder: EVAL_B, share: None }
			]
		);
		assert_eq!(PendingEpoch::<Test>::get(), Some(0));
		System::assert_last_event(
			Event::KeyEpochStarted {
				epoch: 0,
				holders: holders(&[EVAL_A, EVAL_B]),
				common_seed: seed,
			}
			.into(),
		);
		assert_eq!(Fhe::key_epoch(0).unwrap().epoch.common_seed, seed);
	});
}

#[test]
fn start_key_epoch_gives_each_epoch_its_own_seed() {
	ExtBuilder::default().build_and_execute(|| {
		let a = start_epoch(&[EVAL_A]);
		let b = start_epoch(&[EVAL_A]);
		assert_ne!(
			KeyEpochs::<Test>::get(a).unwrap().common_seed,
			KeyEpochs::<Test>::get(b).unwrap().common_seed
		);
	});
}

#[test]
fn start_key_epoch_refuses_origins_other_than_governance() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::start_key_epoch(RuntimeOrigin::signed(EVAL_A), holders(&[EVAL_A])),
			BadOrigin
		);
	});
}

#[test]
fn start_key_epoch_refuses_an_empty_holder_list() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::start_key_epoch(RuntimeOrigin::root(), holders(&[])),
			Error::<Test>::NoKeyHolders
		);
	});
}

#[test]
fn start_key_epoch_refuses_a_holder_named_twice() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::start_key_epoch(RuntimeOrigin::root(), holders(&[EVAL_A, EVAL_B, EVAL_A])),
			Error::<Test>::DuplicateKeyHolder
		);
	});
}

#[test]
fn start_key_epoch_refuses_holders_that_are_not_active_evaluators() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::start_key_epoch(RuntimeOrigin::root(), holders(&[EVAL_A, HOSPITAL])),
			Error::<Test>::HolderNotEvaluator
		);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), EVAL_B));
		assert_noop!(
			Fhe::start_key_epoch(RuntimeOrigin::root(), holders(&[EVAL_A, EVAL_B])),
			Error::<Test>::HolderNotEvaluator
		);
	});
}

#[test]
fn start_key_epoch_supersedes_an_epoch_being_set_up_and_cancels_its_joint_key_job() {
	ExtBuilder::default().build_and_execute(|| {
		let old = start_epoch(&[EVAL_A]);
		let job = complete_shares(old, &[EVAL_A]);
		let new = start_epoch(&[EVAL_A, EVAL_B]);
		assert_eq!(epoch_status(old), EpochStatus::Superseded { at: 1 });
		assert_eq!(status(job), JobStatus::Cancelled { at: 1 });
		assert!(PendingJobs::<Test>::get().is_empty());
		assert_eq!(PendingEpoch::<Test>::get(), Some(new));
		let evs = events();
		let tail = &evs[evs.len() - 3..];
		assert_eq!(tail[0], Event::JobCancelled { job });
		assert_eq!(tail[1], Event::KeyEpochSuperseded { epoch: old });
		assert!(matches!(tail[2], Event::KeyEpochStarted { epoch, .. } if epoch == new));
	});
}

#[test]
fn start_key_epoch_keeps_the_current_epoch_until_the_new_joint_key_is_agreed() {
	ExtBuilder::default().build_and_execute(|| {
		let first = current_epoch(&[EVAL_A]);
		let second = start_epoch(&[EVAL_B]);
		assert_eq!(CurrentEpoch::<Test>::get(), Some(first));
		let job = complete_shares(second, &[EVAL_B]);
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_C),
			job,
			success(b"bafy-j2", None)
		));
		assert_eq!(CurrentEpoch::<Test>::get(), Some(second));
		assert_eq!(epoch_status(first), EpochStatus::Retired { at: 1 });
		assert_eq!(epoch_status(second), EpochStatus::Current { since: 1 });
		assert_eq!(Fhe::current_key_epoch().unwrap().id, second);
		let evs = events();
		assert_eq!(evs[evs.len() - 2], Event::KeyEpochRetired { epoch: first });
		assert_eq!(
			evs[evs.len() - 1],
			Event::JointKeyAgreed { job, epoch: second, cid: cid(b"bafy-j2"), hash: hash(9) }
		);
	});
}

// ---- submit_key_share ----

#[test]
fn submit_key_share_records_it_and_the_last_creates_the_joint_key_job() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		assert_ok!(Fhe::submit_key_share(
			RuntimeOrigin::signed(EVAL_B),
			epoch,
			cid(b"pk-b"),
			hash(2)
		));
		System::assert_last_event(
			Event::KeyShareSubmitted { epoch, holder: EVAL_B, cid: cid(b"pk-b"), hash: hash(2) }
				.into(),
		);
		assert_eq!(epoch_status(epoch), EpochStatus::CollectingShares);
		assert!(PendingJobs::<Test>::get().is_empty());

		assert_ok!(Fhe::submit_key_share(
			RuntimeOrigin::signed(EVAL_A),
			epoch,
			cid(b"pk-a"),
			hash(1)
		));
		let job = 0;
		assert_eq!(epoch_status(epoch), EpochStatus::AwaitingJointKey { job });
		System::assert_last_event(Event::KeySharesComplete { epoch, job }.into());
		let j = Jobs::<Test>::get(job).unwrap();
		assert_eq!(j.kind, JobKind::JointKey { epoch });
		assert_eq!(j.requester, EVAL_A);
		assert_eq!(j.deadline, 1 + JobTimeout::get());
		assert_eq!(PendingJobs::<Test>::get().into_inner(), vec![job]);
		let shares = KeyEpochs::<Test>::get(epoch).unwrap().holders;
		assert_eq!(shares[0].share, Some(IpfsRef { cid: cid(b"pk-a"), hash: hash(1) }));
		assert_eq!(shares[1].share, Some(IpfsRef { cid: cid(b"pk-b"), hash: hash(2) }));
	});
}

#[test]
fn submit_key_share_refuses_accounts_that_are_not_active_evaluators() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A]);
		assert_noop!(
			Fhe::submit_key_share(RuntimeOrigin::signed(HOSPITAL), epoch, cid(b"pk"), hash(1)),
			Error::<Test>::NotActiveEvaluator
		);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), EVAL_A));
		assert_noop!(
			Fhe::submit_key_share(RuntimeOrigin::signed(EVAL_A), epoch, cid(b"pk"), hash(1)),
			Error::<Test>::NotActiveEvaluator
		);
	});
}

#[test]
fn submit_key_share_refuses_an_empty_cid() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A]);
		assert_noop!(
			Fhe::submit_key_share(RuntimeOrigin::signed(EVAL_A), epoch, cid(b""), hash(1)),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn submit_key_share_refuses_an_unknown_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::submit_key_share(RuntimeOrigin::signed(EVAL_A), 7, cid(b"pk"), hash(1)),
			Error::<Test>::UnknownKeyEpoch
		);
	});
}

#[test]
fn submit_key_share_refuses_an_epoch_no_longer_collecting() {
	ExtBuilder::default().build_and_execute(|| {
		let old = start_epoch(&[EVAL_A, EVAL_B]);
		start_epoch(&[EVAL_A]);
		assert_noop!(
			Fhe::submit_key_share(RuntimeOrigin::signed(EVAL_A), old, cid(b"pk"), hash(1)),
			Error::<Test>::EpochNotCollectingShares
		);
	});
}

#[test]
fn submit_key_share_refuses_evaluators_that_are_not_holders() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A]);
		assert_noop!(
			Fhe::submit_key_share(RuntimeOrigin::signed(EVAL_C), epoch, cid(b"pk"), hash(1)),
			Error::<Test>::NotKeyHolder
		);
	});
}

#[test]
fn submit_key_share_refuses_a_second_share_from_a_holder() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		assert_ok!(Fhe::submit_key_share(
			RuntimeOrigin::signed(EVAL_A),
			epoch,
			cid(b"pk"),
			hash(1)
		));
		assert_noop!(
			Fhe::submit_key_share(RuntimeOrigin::signed(EVAL_A), epoch, cid(b"pk2"), hash(2)),
			Error::<Test>::ShareAlreadySubmitted
		);
	});
}

#[test]
fn submit_key_share_completing_an_epoch_fails_while_the_job_list_is_full() {
	ExtBuilder::default().build_and_execute(|| {
		let model = register_model();
		for _ in 0..MaxPendingJobs::get() {
			request_prediction(model);
		}
		let epoch = start_epoch(&[EVAL_A]);
		assert_noop!(
			Fhe::submit_key_share(RuntimeOrigin::signed(EVAL_A), epoch, cid(b"pk"), hash(1)),
			Error::<Test>::TooManyPendingJobs
		);
	});
}

// ---- joint-key jobs ----

#[test]
fn joint_key_agreed_makes_the_epoch_current() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		let job = complete_shares(epoch, &[EVAL_A, EVAL_B]);
		System::set_block_number(3);
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_C),
			job,
			success(b"bafy-joint", None)
		));
		let e = KeyEpochs::<Test>::get(epoch).unwrap();
		assert_eq!(e.status, EpochStatus::Current { since: 3 });
		assert_eq!(e.joint_key, Some(IpfsRef { cid: cid(b"bafy-joint"), hash: hash(9) }));
		assert_eq!(CurrentEpoch::<Test>::get(), Some(epoch));
		assert_eq!(PendingEpoch::<Test>::get(), None);
		assert_eq!(
			status(job),
			JobStatus::Final { result: IpfsRef { cid: cid(b"bafy-joint"), hash: hash(9) }, at: 3 }
		);
		assert!(TimeoutQueue::<Test>::get(1 + JobTimeout::get()).is_empty());
		System::assert_last_event(
			Event::JointKeyAgreed { job, epoch, cid: cid(b"bafy-joint"), hash: hash(9) }.into(),
		);
	});
}

#[test]
fn joint_key_failure_agreed_fails_the_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A]);
		let job = complete_shares(epoch, &[EVAL_A]);
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_B),
			job,
			Outcome::Failure { reason: FailureReason::InputUnavailable }
		));
		assert_eq!(epoch_status(epoch), EpochStatus::Failed { at: 1 });
		assert_eq!(PendingEpoch::<Test>::get(), None);
		assert_eq!(CurrentEpoch::<Test>::get(), None);
		let evs = events();
		assert_eq!(
			evs[evs.len() - 2],
			Event::JobFailed { job, reason: FailureReason::InputUnavailable }
		);
		assert_eq!(evs[evs.len() - 1], Event::KeyEpochFailed { epoch, job });
	});
}

#[test]
fn joint_key_job_timing_out_fails_the_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = start_epoch(&[EVAL_A]);
		let job = complete_shares(epoch, &[EVAL_A]);
		run_to_block(1 + JobTimeout::get());
		assert_eq!(status(job), JobStatus::TimedOut { at: 11 });
		assert_eq!(epoch_status(epoch), EpochStatus::Failed { at: 11 });
		assert_eq!(PendingEpoch::<Test>::get(), None);
		let evs = events();
		assert_eq!(evs[evs.len() - 2], Event::JobTimedOut { job });
		assert_eq!(evs[evs.len() - 1], Event::KeyEpochFailed { epoch, job });
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
		assert_eq!(PendingJobs::<Test>::get().into_inner(), vec![0]);
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
		assert_ok!(Fhe::request_prediction(RuntimeOrigin::signed(MALLORY), model, cid(b"in"), hash(1)));
		// A finished job frees its place.
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), first, success(b"out", None)));
		assert_ok!(Fhe::request_prediction(RuntimeOrigin::signed(ALICE), model, cid(b"in"), hash(1)));
	});
}

// ---- request_statistic ----

#[test]
fn request_statistic_names_the_current_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		let epoch = current_epoch(&[EVAL_A]);
		let job = crate::NextJobId::<Test>::get();
		assert_ok!(Fhe::request_statistic(
			RuntimeOrigin::signed(LAB),
			PurposeOfUse::HRESCH,
			DataCategory::LaboratoryResults,
			2,
			histogram(&[100, 200])
		));
		let j = Jobs::<Test>::get(job).unwrap();
		assert_eq!(
			j.kind,
			JobKind::Statistic {
				purpose: PurposeOfUse::HRESCH,
				category: DataCategory::LaboratoryResults,
				field: 2,
				statistic: histogram(&[100, 200]),
				epoch,
			}
		);
		assert_eq!(j.requester, LAB);
		System::assert_last_event(
			Event::StatisticRequested {
				job,
				requester: LAB,
				purpose: PurposeOfUse::HRESCH,
				category: DataCategory::LaboratoryResults,
				field: 2,
				statistic: histogram(&[100, 200]),
				epoch,
				deadline: 11,
			}
			.into(),
		);
	});
}

#[test]
fn request_statistic_refuses_accounts_that_are_not_active_institutions() {
	ExtBuilder::default().build_and_execute(|| {
		current_epoch(&[EVAL_A]);
		assert_noop!(
			Fhe::request_statistic(
				RuntimeOrigin::signed(ALICE),
				PurposeOfUse::PUBHLTH,
				DataCategory::VitalSigns,
				0,
				Statistic::Count
			),
			Error::<Test>::NotActiveInstitution
		);
	});
}

#[test]
fn request_statistic_refuses_purposes_other_than_statistics() {
	ExtBuilder::default().build_and_execute(|| {
		current_epoch(&[EVAL_A]);
		for purpose in [PurposeOfUse::TREAT, PurposeOfUse::HOPERAT] {
			assert_noop!(
				Fhe::request_statistic(
					RuntimeOrigin::signed(HOSPITAL),
					purpose,
					DataCategory::VitalSigns,
					0,
					Statistic::Count
				),
				Error::<Test>::PurposeNotForStatistics
			);
		}
	});
}

#[test]
fn request_statistic_refuses_empty_or_unordered_histogram_bounds() {
	ExtBuilder::default().build_and_execute(|| {
		current_epoch(&[EVAL_A]);
		for bounds in [&[][..], &[5, 5][..], &[7, 3][..]] {
			assert_noop!(
				Fhe::request_statistic(
					RuntimeOrigin::signed(HOSPITAL),
					PurposeOfUse::PUBHLTH,
					DataCategory::VitalSigns,
					0,
					histogram(bounds)
				),
				Error::<Test>::InvalidHistogramBounds
			);
		}
	});
}

#[test]
fn request_statistic_refuses_without_a_current_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		start_epoch(&[EVAL_A]);
		assert_noop!(
			Fhe::request_statistic(
				RuntimeOrigin::signed(HOSPITAL),
				PurposeOfUse::PUBHLTH,
				DataCategory::VitalSigns,
				0,
				Statistic::Sum
			),
			Error::<Test>::NoCurrentKeyEpoch
		);
	});
}

#[test]
fn request_statistic_refuses_while_the_job_list_is_full() {
	ExtBuilder::default().build_and_execute(|| {
		current_epoch(&[EVAL_A]);
		for _ in 0..MaxPendingJobs::get() {
			request_statistic(Statistic::Mean);
		}
		assert_noop!(
			Fhe::request_statistic(
				RuntimeOrigin::signed(HOSPITAL),
				PurposeOfUse::PUBHLTH,
				DataCategory::VitalSigns,
				0,
				Statistic::Sum
			),
			Error::<Test>::TooManyPendingJobs
		);
	});
}

// ---- submit_result ----

#[test]
fn submit_result_with_quorum_one_makes_a_prediction_ready() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_A),
			job,
			success(b"bafy-score", None)
		));
		assert_eq!(
			status(job),
			JobStatus::Final { result: IpfsRef { cid: cid(b"bafy-score"), hash: hash(9) }, at: 1 }
		);
		assert!(PendingJobs::<Test>::get().is_empty());
		assert!(TimeoutQueue::<Test>::get(11).is_empty());
		let evs = events();
		assert_eq!(
			evs[evs.len() - 2],
			Event::ResultSubmitted {
				job,
				evaluator: EVAL_A,
				outcome: success(b"bafy-score", None)
			}
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
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_A),
			job,
			success(b"bafy-score", None)
		));
		assert_eq!(status(job), JobStatus::Pending);
		assert_eq!(Jobs::<Test>::get(job).unwrap().submissions.len(), 1);
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_B),
			job,
			success(b"bafy-score", None)
		));
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
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"x", None)));
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"y", None)));
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
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"x", None)));
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"y", None)));
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_C), job, success(b"y", None)));
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
		assert!(PendingJobs::<Test>::get().is_empty());
		System::assert_last_event(Event::JobFailed { job, reason }.into());
	});
}

#[test]
fn submit_result_fails_a_statistic_whose_cohort_is_too_small() {
	ExtBuilder::default().build_and_execute(|| {
		current_epoch(&[EVAL_A]);
		let job = request_statistic(Statistic::Count);
		let small = MinCohortSize::get() - 1;
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_B),
			job,
			success(b"bafy-aggregate", Some(small))
		));
		assert_eq!(status(job), JobStatus::Failed { reason: FailureReason::CohortTooSmall, at: 1 });
		assert!(DecryptionShares::<Test>::get(job).is_empty());
		assert!(Fhe::shares_awaited(&EVAL_A).is_empty());
		System::assert_last_event(
			Event::JobFailed { job, reason: FailureReason::CohortTooSmall }.into(),
		);
	});
}

#[test]
fn submit_result_agreed_aggregate_awaits_every_holders_decryption_share() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		assert_eq!(
			status(job),
			JobStatus::AwaitingShares {
				aggregate: IpfsRef { cid: cid(b"bafy-aggregate"), hash: hash(9) },
				cohort_size: 12
			}
		);
		assert_eq!(
			DecryptionShares::<Test>::get(job).into_inner(),
			vec![
				HolderShare { holder: EVAL_A, share: None },
				HolderShare { holder: EVAL_B, share: None }
			]
		);
		assert_eq!(Fhe::shares_awaited(&EVAL_A), vec![job]);
		assert!(Fhe::shares_awaited(&EVAL_C).is_empty());
		System::assert_last_event(
			Event::StatisticAggregated {
				job,
				aggregate_cid: cid(b"bafy-aggregate"),
				aggregate_hash: hash(9),
				cohort_size: 12,
			}
			.into(),
		);
	});
}

#[test]
fn submit_result_refuses_accounts_that_are_not_active_evaluators() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(HOSPITAL), job, success(b"r", None)),
			Error::<Test>::NotActiveEvaluator
		);
		assert_ok!(Consortium::suspend_member(RuntimeOrigin::root(), EVAL_A));
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r", None)),
			Error::<Test>::NotActiveEvaluator
		);
	});
}

#[test]
fn submit_result_refuses_an_unknown_job() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), 9, success(b"r", None)),
			Error::<Test>::UnknownJob
		);
	});
}

#[test]
fn submit_result_refuses_a_job_whose_outcome_is_final() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r", None)));
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"r", None)),
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
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r", None)),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn submit_result_refuses_a_duplicate_submission() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r", None)));
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"r", None)),
			Error::<Test>::DuplicateSubmission
		);
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"other", None)),
			Error::<Test>::DuplicateSubmission
		);
	});
}

#[test]
fn submit_result_refuses_a_success_with_an_empty_cid() {
	ExtBuilder::default().build_and_execute(|| {
		let job = request_prediction(register_model());
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"", None)),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn submit_result_refuses_a_cohort_size_on_a_prediction_and_its_absence_on_a_statistic() {
	ExtBuilder::default().build_and_execute(|| {
		let prediction = request_prediction(register_model());
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), prediction, success(b"r", Some(9))),
			Error::<Test>::CohortSizeMismatch
		);
		current_epoch(&[EVAL_A]);
		let statistic = request_statistic(Statistic::Sum);
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), statistic, success(b"r", None)),
			Error::<Test>::CohortSizeMismatch
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
			assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(who), job, success(name, None)));
		}
		assert_noop!(
			Fhe::submit_result(RuntimeOrigin::signed(20), job, success(b"x", None)),
			Error::<Test>::TooManySubmissions
		);
	});
}

// ---- submit_decryption_share ----

#[test]
fn submit_decryption_share_records_it_and_the_last_awaits_publication() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		assert_ok!(Fhe::submit_decryption_share(
			RuntimeOrigin::signed(EVAL_B),
			job,
			cid(b"dec-b"),
			hash(2)
		));
		System::assert_last_event(
			Event::DecryptionShareSubmitted {
				job,
				holder: EVAL_B,
				cid: cid(b"dec-b"),
				hash: hash(2),
			}
			.into(),
		);
		assert!(matches!(status(job), JobStatus::AwaitingShares { .. }));
		assert_eq!(Fhe::shares_awaited(&EVAL_A), vec![job]);
		assert!(Fhe::shares_awaited(&EVAL_B).is_empty());

		assert_ok!(Fhe::submit_decryption_share(
			RuntimeOrigin::signed(EVAL_A),
			job,
			cid(b"dec-a"),
			hash(1)
		));
		assert!(matches!(status(job), JobStatus::AwaitingPublication { cohort_size: 12, .. }));
		assert!(Fhe::shares_awaited(&EVAL_A).is_empty());
		System::assert_last_event(Event::DecryptionSharesComplete { job }.into());
	});
}

#[test]
fn submit_decryption_share_refuses_accounts_that_are_not_active_evaluators() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		assert_noop!(
			Fhe::submit_decryption_share(RuntimeOrigin::signed(MALLORY), job, cid(b"d"), hash(1)),
			Error::<Test>::NotActiveEvaluator
		);
	});
}

#[test]
fn submit_decryption_share_refuses_an_empty_cid() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		assert_noop!(
			Fhe::submit_decryption_share(RuntimeOrigin::signed(EVAL_A), job, cid(b""), hash(1)),
			Error::<Test>::EmptyCid
		);
	});
}

#[test]
fn submit_decryption_share_refuses_an_unknown_job() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::submit_decryption_share(RuntimeOrigin::signed(EVAL_A), 4, cid(b"d"), hash(1)),
			Error::<Test>::UnknownJob
		);
	});
}

#[test]
fn submit_decryption_share_refuses_a_job_not_awaiting_shares() {
	ExtBuilder::default().build_and_execute(|| {
		current_epoch(&[EVAL_A]);
		let pending = request_statistic(Statistic::Count);
		assert_noop!(
			Fhe::submit_decryption_share(
				RuntimeOrigin::signed(EVAL_A),
				pending,
				cid(b"d"),
				hash(1)
			),
			Error::<Test>::NotAwaitingShares
		);
		let prediction = request_prediction(register_model());
		assert_noop!(
			Fhe::submit_decryption_share(
				RuntimeOrigin::signed(EVAL_A),
				prediction,
				cid(b"d"),
				hash(1)
			),
			Error::<Test>::NotAwaitingShares
		);
	});
}

#[test]
fn submit_decryption_share_refuses_a_job_past_its_deadline() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		System::set_block_number(11);
		assert_noop!(
			Fhe::submit_decryption_share(RuntimeOrigin::signed(EVAL_A), job, cid(b"d"), hash(1)),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn submit_decryption_share_refuses_evaluators_that_do_not_hold_the_jobs_epoch() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		assert_noop!(
			Fhe::submit_decryption_share(RuntimeOrigin::signed(EVAL_C), job, cid(b"d"), hash(1)),
			Error::<Test>::NotKeyHolder
		);
	});
}

#[test]
fn submit_decryption_share_refuses_a_second_share_from_a_holder() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		assert_ok!(Fhe::submit_decryption_share(
			RuntimeOrigin::signed(EVAL_A),
			job,
			cid(b"d"),
			hash(1)
		));
		assert_noop!(
			Fhe::submit_decryption_share(RuntimeOrigin::signed(EVAL_A), job, cid(b"d2"), hash(2)),
			Error::<Test>::ShareAlreadySubmitted
		);
	});
}

// ---- publish_statistic ----

#[test]
fn publish_statistic_with_quorum_one_publishes_the_values() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_awaiting_publication();
		System::set_block_number(4);
		assert_ok!(Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_C), job, values(&[12])));
		assert_eq!(status(job), JobStatus::Published { at: 4 });
		let p = PublishedStatistics::<Test>::get(job).unwrap();
		assert_eq!(
			(p.purpose, p.category, p.field),
			(PurposeOfUse::PUBHLTH, DataCategory::WearableReadings, 3)
		);
		assert_eq!((p.cohort_size, p.values.into_inner(), p.published_at), (12, vec![12], 4));
		assert_eq!(p.aggregate.cid, cid(b"bafy-aggregate"));
		assert!(PendingJobs::<Test>::get().is_empty());
		System::assert_last_event(
			Event::StatisticPublished { job, cohort_size: 12, values: values(&[12]) }.into(),
		);
	});
}

#[test]
fn publish_statistic_with_quorum_two_reports_a_disagreement_once() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_awaiting_publication();
		ResultQuorum::set(2);
		assert_ok!(Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_A), job, values(&[12])));
		assert!(matches!(status(job), JobStatus::AwaitingPublication { .. }));
		assert_ok!(Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_B), job, values(&[13])));
		System::assert_last_event(Event::ResultsDisagree { job }.into());
		assert_ok!(Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_C), job, values(&[12])));
		assert_eq!(PublishedStatistics::<Test>::get(job).unwrap().values.into_inner(), vec![12]);
		assert_eq!(count_events(|e| matches!(e, Event::ResultsDisagree { .. })), 1);
		assert_eq!(PublicationVotes::<Test>::get(job).len(), 3);
	});
}

#[test]
fn publish_statistic_refuses_accounts_that_are_not_active_evaluators() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_awaiting_publication();
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(HOSPITAL), job, values(&[12])),
			Error::<Test>::NotActiveEvaluator
		);
	});
}

#[test]
fn publish_statistic_refuses_an_unknown_job() {
	ExtBuilder::default().build_and_execute(|| {
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_A), 5, values(&[12])),
			Error::<Test>::UnknownJob
		);
	});
}

#[test]
fn publish_statistic_refuses_a_statistic_still_awaiting_shares() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_A), job, values(&[12])),
			Error::<Test>::NotAwaitingPublication
		);
	});
}

#[test]
fn publish_statistic_refuses_a_job_past_its_deadline() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_awaiting_publication();
		System::set_block_number(11);
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_A), job, values(&[12])),
			Error::<Test>::DeadlinePassed
		);
	});
}

#[test]
fn publish_statistic_refuses_a_value_count_unlike_the_statistic() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_awaiting_publication();
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_A), job, values(&[12, 1])),
			Error::<Test>::WrongValueCount
		);
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_A), job, values(&[])),
			Error::<Test>::WrongValueCount
		);
	});
}

#[test]
fn publish_statistic_refuses_a_duplicate_submission() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_awaiting_publication();
		ResultQuorum::set(2);
		assert_ok!(Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_A), job, values(&[12])));
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_A), job, values(&[12])),
			Error::<Test>::DuplicateSubmission
		);
	});
}

#[test]
fn publish_statistic_refuses_more_than_max_submissions() {
	ExtBuilder::default().build_and_execute(|| {
		let job = count_awaiting_publication();
		ResultQuorum::set(3);
		admit_evaluator(20);
		for (who, v) in [(EVAL_A, 1), (EVAL_B, 2), (EVAL_C, 3)] {
			assert_ok!(Fhe::publish_statistic(RuntimeOrigin::signed(who), job, values(&[v])));
		}
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(20), job, values(&[1])),
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
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), jobs[2], success(b"r", None)));
		assert_eq!(TimeoutQueue::<Test>::get(11).len(), 4);

		// Block 11: the budget (3 steps) times out three jobs; one carries over.
		run_to_block(11);
		let timed_out = |j: JobId| matches!(status(j), JobStatus::TimedOut { .. });
		assert_eq!(jobs.iter().filter(|j| timed_out(**j)).count(), 3);
		assert_eq!(TimeoutQueue::<Test>::get(11).into_inner(), vec![jobs[4]]);
		assert_eq!(TimeoutCursor::<Test>::get(), Some(11));
		assert_eq!(PendingJobs::<Test>::get().into_inner(), vec![jobs[4]]);
		assert_eq!(count_events(|e| matches!(e, Event::JobTimedOut { .. })), 3);
		check_all_invariants();

		// Block 12: the rest.
		run_to_block(12);
		assert_eq!(status(jobs[4]), JobStatus::TimedOut { at: 12 });
		assert!(matches!(status(jobs[2]), JobStatus::Final { .. }));
		assert!(PendingJobs::<Test>::get().is_empty());
		assert_eq!(TimeoutQueue::<Test>::iter().count(), 0);
		assert_eq!(TimeoutCursor::<Test>::get(), Some(13));
		System::assert_last_event(Event::JobTimedOut { job: jobs[4] }.into());
	});
}

#[test]
fn timeouts_reach_statistics_awaiting_shares_or_publication() {
	ExtBuilder::default().build_and_execute(|| {
		let awaiting_shares = aggregated_count();
		let awaiting_publication = request_statistic(Statistic::Sum);
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_C),
			awaiting_publication,
			success(b"agg", Some(40))
		));
		for who in [EVAL_A, EVAL_B] {
			assert_ok!(Fhe::submit_decryption_share(
				RuntimeOrigin::signed(who),
				awaiting_publication,
				cid(b"d"),
				hash(1)
			));
		}
		run_to_block(11);
		assert_eq!(status(awaiting_shares), JobStatus::TimedOut { at: 11 });
		assert_eq!(status(awaiting_publication), JobStatus::TimedOut { at: 11 });
		assert!(Fhe::shares_awaited(&EVAL_A).is_empty());
		assert!(Fhe::pending_jobs(&EVAL_C).is_empty());
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
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), first, success(b"r", None)));
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
				success(b"bafy-encrypted-score", None)
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

#[test]
fn a_statistic_goes_from_request_through_shares_to_publication() {
	ExtBuilder::default().build_and_execute(|| {
		ResultQuorum::set(2);
		// Key epoch: two holders, joint key agreed by two evaluators.
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		let key_job = complete_shares(epoch, &[EVAL_A, EVAL_B]);
		for who in [EVAL_A, EVAL_C] {
			assert_ok!(Fhe::submit_result(
				RuntimeOrigin::signed(who),
				key_job,
				success(b"jk", None)
			));
		}
		assert_eq!(Fhe::current_key_epoch().unwrap().epoch.joint_key.unwrap().cid, b"jk".to_vec());

		// Request a mean, agree the aggregate.
		run_to_block(2);
		let job = request_statistic(Statistic::Mean);
		for who in [EVAL_B, EVAL_C] {
			assert_ok!(Fhe::submit_result(
				RuntimeOrigin::signed(who),
				job,
				success(b"bafy-agg", Some(30))
			));
		}
		assert!(matches!(status(job), JobStatus::AwaitingShares { cohort_size: 30, .. }));
		assert!(Fhe::pending_jobs(&EVAL_A).is_empty());

		// Every holder's decryption share.
		for who in [EVAL_A, EVAL_B] {
			assert_eq!(Fhe::shares_awaited(&who), vec![job]);
			assert_ok!(Fhe::submit_decryption_share(
				RuntimeOrigin::signed(who),
				job,
				cid(b"bafy-dec"),
				hash(who as u8)
			));
		}
		assert!(matches!(status(job), JobStatus::AwaitingPublication { .. }));
		assert_eq!(Fhe::pending_jobs(&EVAL_A)[0].id, job);

		// Publication: [sum, count], agreed by two.
		run_to_block(3);
		for who in [EVAL_A, EVAL_C] {
			assert_ok!(Fhe::publish_statistic(
				RuntimeOrigin::signed(who),
				job,
				values(&[2_190, 30])
			));
		}
		let published = Fhe::published_statistic(job).unwrap().statistic;
		assert_eq!(published.statistic, Statistic::Mean);
		assert_eq!((published.cohort_size, published.values), (30, vec![2_190, 30]));
		assert_eq!(
			(published.epoch, published.requested_at, published.published_at),
			(epoch, 2, 3)
		);
		assert_eq!(status(job), JobStatus::Published { at: 3 });
		assert!(PendingJobs::<Test>::get().is_empty());
		System::assert_last_event(
			Event::StatisticPublished { job, cohort_size: 30, values: values(&[2_190, 30]) }.into(),
		);
	});
}

#[test]
fn a_histogram_publishes_one_count_per_bucket() {
	ExtBuilder::default().build_and_execute(|| {
		current_epoch(&[EVAL_A]);
		let job = request_statistic(histogram(&[60, 100]));
		assert_ok!(Fhe::submit_result(
			RuntimeOrigin::signed(EVAL_B),
			job,
			success(b"agg", Some(9))
		));
		assert_ok!(Fhe::submit_decryption_share(
			RuntimeOrigin::signed(EVAL_A),
			job,
			cid(b"d"),
			hash(1)
		));
		assert_noop!(
			Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_B), job, values(&[2, 7])),
			Error::<Test>::WrongValueCount
		);
		assert_ok!(Fhe::publish_statistic(RuntimeOrigin::signed(EVAL_B), job, values(&[2, 5, 2])));
		assert_eq!(Fhe::published_statistic(job).unwrap().statistic.values, vec![2, 5, 2]);
	});
}

// ---- The chain's result quorum and the worker's queries ----

#[test]
fn a_genesis_result_quorum_overrides_the_configured_one() {
	ExtBuilder::with_genesis_result_quorum(2).build_and_execute(|| {
		assert_eq!(ResultQuorum::get(), 1);
		assert_eq!(Fhe::result_quorum(), 2);
		let job = request_prediction(register_model());
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"bafy-score", None)));
		assert_eq!(status(job), JobStatus::Pending);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"bafy-score", None)));
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
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"bafy-score", None)));
		assert_eq!(status(job), JobStatus::Pending);
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_B), job, success(b"bafy-score", None)));
		assert!(matches!(status(job), JobStatus::Final { .. }));
	});
}

#[test]
fn pending_key_epoch_is_the_epoch_being_set_up() {
	ExtBuilder::default().build_and_execute(|| {
		assert!(Fhe::pending_key_epoch().is_none());
		let epoch = start_epoch(&[EVAL_A, EVAL_B]);
		let pending = Fhe::pending_key_epoch().unwrap();
		assert_eq!(pending.id, epoch);
		assert_eq!(pending.epoch.holders.iter().map(|h| h.holder).collect::<Vec<_>>(), vec![EVAL_A, EVAL_B]);
		let job = complete_shares(epoch, &[EVAL_A, EVAL_B]);
		assert!(matches!(Fhe::pending_key_epoch().unwrap().epoch.status, EpochStatus::AwaitingJointKey { .. }));
		assert_ok!(Fhe::submit_result(RuntimeOrigin::signed(EVAL_A), job, success(b"bafy-joint", None)));
		assert!(Fhe::pending_key_epoch().is_none());
		assert_eq!(Fhe::current_key_epoch().unwrap().id, epoch);
	});
}

#[test]
fn decryption_shares_lists_one_slot_per_holder_in_epoch_order() {
	ExtBuilder::default().build_and_execute(|| {
		let job = aggregated_count();
		let slots = Fhe::decryption_shares(job);
		assert_eq!(slots.iter().map(|s| (s.holder, s.share.is_some())).collect::<Vec<_>>(), vec![(EVAL_A, false), (EVAL_B, false)]);
		assert_ok!(Fhe::submit_decryption_share(RuntimeOrigin::signed(EVAL_B), job, cid(b"bafy-dec-b"), hash(7)));
		let slots = Fhe::decryption_shares(job);
		assert_eq!(slots[1].share.as_ref().map(|s| (s.cid.clone(), s.hash)), Some((b"bafy-dec-b".to_vec(), hash(7))));
		assert!(slots[0].share.is_none());
		assert!(Fhe::decryption_shares(job + 1).is_empty());
	});
}
