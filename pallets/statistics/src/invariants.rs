// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! The pallet's invariants, checked by `try_state` (and after every unit test).

use super::*;
use alloc::collections::{BTreeMap, BTreeSet};
use sp_runtime::{traits::Saturating, TryRuntimeError};

impl<T: Config> Pallet<T> {
	/// Check every invariant of the pallet's storage.
	///
	/// - Schemas: ids below `NextSchemaId`; each category's current schema exists, is of that
	///   category and not superseded; every schema not superseded is its category's current one.
	/// - Epochs: ids below `NextEpochId`; `ActiveEpoch` is `Active` and the only one;
	///   `PendingEpoch` is collecting keys or contributions and the only one; aggregators are
	///   distinct; keys and contributions agree with the status.
	/// - Reports: each is listed once, in its owner's list, and every listed id exists; a
	///   pending report is in its batch (of its epoch), and every report of a batch is pending
	///   with that batch.
	/// - Batches: one flag per aggregator of their epoch; verifier shares stored exactly for the
	///   flags set; no confirmation before every share is posted, never all confirmed; deadline
	///   `batch + VerificationTimeout`; rejections name distinct indices in range; no shares or
	///   rejections without a batch.
	/// - Jobs: ids below `NextJobId`; a job is listed at its deadline exactly while it awaits
	///   shares; shares only for such jobs, for aggregators of its epoch, never all of them; a
	///   published job has its statistic stored and only those do.
	/// - Enrolments: each person's count matches their enrolments and the bound.
	/// - Privacy parameters, when set, are valid.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::check_schemas()?;
		Self::check_epochs()?;
		Self::check_reports_and_batches()?;
		Self::check_jobs()?;
		Self::check_enrolments()?;
		if let Some(params) = PrivacyParams::<T>::get() {
			Self::validate_privacy_parameters(&params)
				.map_err(|_| "invalid privacy parameters stored")?;
		}
		Ok(())
	}

	fn check_schemas() -> Result<(), TryRuntimeError> {
		let next = NextSchemaId::<T>::get();
		for (id, info) in Schemas::<T>::iter() {
			ensure!(id < next, "schema id not below NextSchemaId");
			let current = SchemaOfCategory::<T>::get(info.schema.category) == Some(id);
			ensure!(current != info.superseded, "schema superseded yet current, or the reverse");
		}
		for (category, id) in SchemaOfCategory::<T>::iter() {
			let info = Schemas::<T>::get(id).ok_or("current schema missing")?;
			ensure!(info.schema.category == category, "current schema of another category");
		}
		Ok(())
	}

	fn check_epochs() -> Result<(), TryRuntimeError> {
		let next = NextEpochId::<T>::get();
		let active = ActiveEpoch::<T>::get();
		let pending = PendingEpoch::<T>::get();
		for (id, e) in AggregatorEpochs::<T>::iter() {
			ensure!(id < next, "epoch id not below NextEpochId");
			let accounts: BTreeSet<_> = e.aggregators.iter().map(|s| &s.account).collect();
			ensure!(accounts.len() == e.aggregators.len(), "an aggregator named twice");
			let keys = e.aggregators.iter().all(|s| s.key.is_some());
			let contributions = e.aggregators.iter().all(|s| s.contribution.is_some());
			let any_contribution = e.aggregators.iter().any(|s| s.contribution.is_some());
			ensure!(
				(e.status == EpochStatus::Active) == (active == Some(id)),
				"ActiveEpoch out of sync with epoch statuses"
			);
			let collecting = matches!(
				e.status,
				EpochStatus::CollectingKeys | EpochStatus::CollectingContributions
			);
			ensure!(collecting == (pending == Some(id)), "PendingEpoch out of sync");
			match e.status {
				EpochStatus::CollectingKeys => {
					ensure!(!keys && !any_contribution, "collecting keys with all keys in");
				},
				EpochStatus::CollectingContributions => {
					ensure!(keys && !contributions, "collecting contributions out of step");
				},
				EpochStatus::Active | EpochStatus::Retired => {
					ensure!(keys && contributions, "active epoch with a key or share missing");
					ensure!(e.activated_at.is_some(), "activated epoch without its block");
				},
				EpochStatus::Cancelled => {},
			}
		}
		if let Some(id) = active {
			ensure!(AggregatorEpochs::<T>::contains_key(id), "active epoch missing");
		}
		if let Some(id) = pending {
			ensure!(AggregatorEpochs::<T>::contains_key(id), "pending epoch missing");
		}
		Ok(())
	}

	fn check_reports_and_batches() -> Result<(), TryRuntimeError> {
		let mut listed = BTreeMap::<ReportId, T::AccountId>::new();
		for (owner, ids) in ReportsOf::<T>::iter() {
			for id in ids {
				ensure!(listed.insert(id, owner.clone()).is_none(), "report listed twice");
			}
		}
		let mut in_batches = BTreeSet::<ReportId>::new();
		for (key, batch) in Batches::<T>::iter() {
			let aggregators = Self::aggregator_count(batch.epoch) as usize;
			ensure!(
				batch.shares_posted.len() == aggregators && batch.confirmed.len() == aggregators,
				"batch flags not one per aggregator"
			);
			for (index, posted) in batch.shares_posted.iter().enumerate() {
				ensure!(
					VerifierShares::<T>::contains_key(key, index as u32) == *posted,
					"verifier shares out of sync with their flags"
				);
			}
			let all_posted = batch.shares_posted.iter().all(|p| *p);
			ensure!(
				all_posted || batch.confirmed.iter().all(|c| !c),
				"confirmed before every share was posted"
			);
			ensure!(!batch.confirmed.iter().all(|c| *c), "settled batch still stored");
			ensure!(
				batch.deadline == key.saturating_add(T::VerificationTimeout::get()),
				"batch deadline not batch + VerificationTimeout"
			);
			ensure!(!batch.reports.is_empty(), "empty batch");
			for id in batch.reports.iter() {
				ensure!(in_batches.insert(*id), "report in two batches");
				let r = Reports::<T>::get(id).ok_or("batched report missing")?;
				ensure!(
					r.status == ReportStatus::Pending && r.batch == key && r.epoch == batch.epoch,
					"batched report not pending in this batch"
				);
			}
			let rejections = BatchRejections::<T>::get(key);
			let indices: BTreeSet<u32> = rejections.iter().map(|r| r.index).collect();
			ensure!(indices.len() == rejections.len(), "a report rejected twice in a batch");
			ensure!(
				indices.iter().all(|i| (*i as usize) < batch.reports.len()),
				"rejection index out of range"
			);
		}
		for (key, _, _) in VerifierShares::<T>::iter() {
			ensure!(Batches::<T>::contains_key(key), "verifier shares of no batch");
		}
		for (key, _) in BatchRejections::<T>::iter() {
			ensure!(Batches::<T>::contains_key(key), "rejections of no batch");
		}
		let mut reports = 0usize;
		for (id, r) in Reports::<T>::iter() {
			reports += 1;
			ensure!(listed.get(&id) == Some(&r.owner), "report not listed by its owner");
			ensure!(
				(r.status == ReportStatus::Pending) == in_batches.contains(&id),
				"pending report not in its batch"
			);
		}
		ensure!(reports == listed.len(), "a listed report does not exist");
		Ok(())
	}

	fn check_jobs() -> Result<(), TryRuntimeError> {
		let next = NextJobId::<T>::get();
		let mut scheduled = BTreeMap::<StatisticJobId, BlockNumberFor<T>>::new();
		for (deadline, due) in JobDeadlines::<T>::iter() {
			ensure!(!due.is_empty(), "empty deadline entry");
			for id in due {
				ensure!(scheduled.insert(id, deadline).is_none(), "job scheduled twice");
			}
		}
		for (id, job) in Jobs::<T>::iter() {
			ensure!(id < next, "job id not below NextJobId");
			let awaiting = job.status == StatisticStatus::AwaitingShares;
			ensure!(
				scheduled.get(&id) == awaiting.then_some(&job.deadline),
				"job deadline entry out of sync with its status"
			);
			ensure!(
				matches!(job.status, StatisticStatus::Published { .. })
					== PublishedStatistics::<T>::contains_key(id),
				"published status out of sync with the published statistics"
			);
			if awaiting {
				let aggregators = Self::aggregator_count(job.epoch);
				ensure!(
					!(0..aggregators).all(|i| AggregateShares::<T>::contains_key(id, i)),
					"every share in but the job not concluded"
				);
			}
		}
		ensure!(scheduled.keys().all(Jobs::<T>::contains_key), "scheduled job missing");
		for (id, index, _) in AggregateShares::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("share of no job")?;
			ensure!(job.status == StatisticStatus::AwaitingShares, "share of a concluded job");
			ensure!(index < Self::aggregator_count(job.epoch), "share of no aggregator");
		}
		Ok(())
	}

	fn check_enrolments() -> Result<(), TryRuntimeError> {
		let mut counted = BTreeMap::<T::AccountId, u32>::new();
		for (person, _, _) in Enrolments::<T>::iter() {
			*counted.entry(person).or_default() += 1;
		}
		ensure!(
			EnrolmentCount::<T>::iter().collect::<BTreeMap<_, _>>() == counted,
			"enrolment counts out of sync"
		);
		ensure!(
			counted.values().all(|n| *n <= T::MaxEnrolmentsPerPerson::get()),
			"more enrolments than allowed"
		);
		Ok(())
	}
}
