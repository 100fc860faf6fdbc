// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Queries for the `StatisticsApi` runtime API: plain vectors, no bounds. Each answers for the
//! state of the block it is called at; none is meant for dispatchables.

use super::*;
use alloc::collections::BTreeSet;

impl<T: Config> Pallet<T> {
	/// The active aggregator epoch, if any.
	pub fn active_epoch() -> Option<(AggregatorEpochId, EpochSummaryOf<T>)> {
		let id = ActiveEpoch::<T>::get()?;
		Self::aggregator_epoch(id).map(|e| (id, e))
	}

	/// The epoch being set up (collecting keys or contributions), if any.
	pub fn pending_epoch() -> Option<(AggregatorEpochId, EpochSummaryOf<T>)> {
		let id = PendingEpoch::<T>::get()?;
		Self::aggregator_epoch(id).map(|e| (id, e))
	}

	/// An aggregator epoch, whatever its status.
	pub fn aggregator_epoch(id: AggregatorEpochId) -> Option<EpochSummaryOf<T>> {
		AggregatorEpochs::<T>::get(id).map(|e| AggregatorEpoch {
			aggregators: e
				.aggregators
				.into_iter()
				.map(|s| AggregatorSlot {
					account: s.account,
					key: s.key,
					contribution: s.contribution.map(BoundedVec::into_inner),
				})
				.collect(),
			status: e.status,
			started_at: e.started_at,
			activated_at: e.activated_at,
		})
	}

	/// A registered schema, superseded or not.
	pub fn schema(id: SchemaId) -> Option<SchemaSummaryOf<T>> {
		Schemas::<T>::get(id).map(|info| SchemaInfo {
			schema: StatisticSchema {
				category: info.schema.category,
				fields: info
					.schema
					.fields
					.into_iter()
					.map(|f| SchemaField {
						name: f.name.into_inner(),
						unit: f.unit.into_inner(),
						max: f.max,
						buckets: f.buckets.map(BoundedVec::into_inner),
					})
					.collect(),
			},
			registered_at: info.registered_at,
			superseded: info.superseded,
		})
	}

	/// The current schema of a data category, if it has one.
	pub fn schema_of(category: DataCategory) -> Option<SchemaId> {
		SchemaOfCategory::<T>::get(category)
	}

	/// The verification batches that wait for `aggregator`, oldest first: batches of an epoch
	/// it aggregates for, up to their deadline, where it has not posted its verifier shares, or
	/// where every aggregator has posted and it has not confirmed. Each comes with its reports
	/// and the verifier shares posted so far.
	pub fn batches_awaiting(
		aggregator: &T::AccountId,
	) -> Vec<BatchSummary<T::AccountId, BlockNumberFor<T>>> {
		let now = Self::now();
		let mut waiting: Vec<(BlockNumberFor<T>, VerificationBatchOf<T>)> = Batches::<T>::iter()
			.filter(|(_, batch)| now <= batch.deadline)
			.filter(|(_, batch)| {
				let Some(index) = Self::aggregator_index(batch.epoch, aggregator) else {
					return false;
				};
				let all_posted = batch.shares_posted.iter().all(|p| *p);
				match (batch.shares_posted.get(index), batch.confirmed.get(index)) {
					(Some(posted), Some(confirmed)) => !posted || (all_posted && !confirmed),
					_ => false,
				}
			})
			.collect();
		waiting.sort_by_key(|(key, _)| *key);
		waiting
			.into_iter()
			.map(|(key, batch)| BatchSummary {
				epoch: batch.epoch,
				batch: key,
				reports: batch
					.reports
					.iter()
					.filter_map(|id| {
						Reports::<T>::get(id).map(|r| ReportToVerify {
							id: *id,
							owner: r.owner,
							record: r.record,
							schema: r.schema,
							object: IpfsRef { cid: r.object.cid.into_inner(), hash: r.object.hash },
							size: r.size,
						})
					})
					.collect(),
				verifier_shares: (0..batch.shares_posted.len() as u32)
					.map(|i| VerifierShares::<T>::get(key, i).map(BoundedVec::into_inner))
					.collect(),
				confirmed: batch.confirmed.into_inner(),
				deadline: batch.deadline,
			})
			.collect()
	}

	/// The statistic jobs that wait for `aggregator`'s share, oldest first: awaiting shares,
	/// up to their deadline, `aggregator` an aggregator of their epoch that has not submitted.
	pub fn statistic_jobs_awaiting(
		aggregator: &T::AccountId,
	) -> Vec<(StatisticJobId, JobSummaryOf<T>)> {
		let now = Self::now();
		let mut ids: Vec<StatisticJobId> =
			JobDeadlines::<T>::iter().flat_map(|(_, due)| due.into_inner()).collect();
		ids.sort_unstable();
		ids.into_iter()
			.filter_map(|id| Jobs::<T>::get(id).map(|job| (id, job)))
			.filter(|(id, job)| {
				job.status == StatisticStatus::AwaitingShares
					&& now <= job.deadline
					&& Self::aggregator_index(job.epoch, aggregator)
						.is_some_and(|index| !AggregateShares::<T>::contains_key(id, index as u32))
			})
			.map(|(id, job)| (id, Self::job_summary(job)))
			.collect()
	}

	/// A statistic job, whatever its status.
	pub fn statistic_job(id: StatisticJobId) -> Option<JobSummaryOf<T>> {
		Jobs::<T>::get(id).map(Self::job_summary)
	}

	fn job_summary(job: StatisticJobOf<T>) -> JobSummaryOf<T> {
		let kind = match job.kind {
			StatisticKind::Count => StatisticKind::Count,
			StatisticKind::Sum(f) => StatisticKind::Sum(f.into_inner()),
			StatisticKind::Mean(f) => StatisticKind::Mean(f.into_inner()),
			StatisticKind::Histogram(f) => StatisticKind::Histogram(f.into_inner()),
		};
		StatisticJob {
			requester: job.requester,
			schema: job.schema,
			category: job.category,
			kind,
			purpose: job.purpose,
			epoch: job.epoch,
			epsilon: job.epsilon,
			requested_at: job.requested_at,
			deadline: job.deadline,
			status: job.status,
		}
	}

	/// The reports statistic job `job` sums, ordered by report id. `subjects` is the job's
	/// consent cohort, which the runtime reads from the consent pallet (the people with a live
	/// consortium-wide grant for the job's purpose and category at its request block); call
	/// this at the job's `requested_at` block.
	///
	/// A subject counts only when enrolled by an active institution other than the requester
	/// (Sybil accounts of the requester count for nothing), and then once, with their newest
	/// report of the job's schema and epoch that was verified by the request block and whose
	/// record they own and have not retired.
	pub fn statistic_cohort(
		job: StatisticJobId,
		subjects: impl IntoIterator<Item = T::AccountId>,
	) -> Vec<CohortReport<T::AccountId>> {
		let Some(job) = Jobs::<T>::get(job) else { return Vec::new() };
		let subjects: BTreeSet<T::AccountId> = subjects.into_iter().collect();
		let mut cohort: Vec<CohortReport<T::AccountId>> = subjects
			.into_iter()
			.filter(|subject| Self::is_enrolled_by_other(subject, &job.requester))
			.filter_map(|subject| {
				let report = ReportsOf::<T>::get(&subject).into_iter().rev().find(|id| {
					Reports::<T>::get(id).is_some_and(|r| {
						r.owner == subject
							&& r.schema == job.schema
							&& r.epoch == job.epoch
							&& matches!(r.status, ReportStatus::Verified { at } if at <= job.requested_at)
							&& T::Records::record(r.record)
								.is_some_and(|f| f.owner == subject && !f.retired)
					})
				})?;
				Some(CohortReport { subject, report })
			})
			.collect();
		cohort.sort_by_key(|c| c.report);
		cohort
	}

	/// A published statistic, by its job.
	pub fn published_statistic(job: StatisticJobId) -> Option<PublishedSummaryOf<T>> {
		PublishedStatistics::<T>::get(job).map(|p| PublishedStatistic {
			reports: p.reports,
			values: p.values.into_inner(),
			epsilon: p.epsilon,
			aggregators: p.aggregators,
			noise: p.noise.into_inner(),
			published_at: p.published_at,
		})
	}

	/// A report, by id.
	pub fn report(id: ReportId) -> Option<ReportSummaryOf<T>> {
		Reports::<T>::get(id).map(Self::report_summary)
	}

	/// `owner`'s reports, oldest first.
	pub fn reports_of(owner: &T::AccountId) -> Vec<(ReportId, ReportSummaryOf<T>)> {
		ReportsOf::<T>::get(owner)
			.into_iter()
			.filter_map(|id| Reports::<T>::get(id).map(|r| (id, Self::report_summary(r))))
			.collect()
	}

	fn report_summary(r: ReportInfoOf<T>) -> ReportSummaryOf<T> {
		ReportInfo {
			owner: r.owner,
			record: r.record,
			schema: r.schema,
			epoch: r.epoch,
			object: IpfsRef { cid: r.object.cid.into_inner(), hash: r.object.hash },
			size: r.size,
			batch: r.batch,
			status: r.status,
		}
	}

	/// The differential-privacy parameters, if set.
	pub fn privacy_parameters() -> Option<PrivacyParameters<BlockNumberFor<T>>> {
		PrivacyParams::<T>::get()
	}

	/// The ε `institution` has spent on (purpose, category) in the current budget period.
	pub fn budget_spent(
		institution: &T::AccountId,
		purpose: PurposeOfUse,
		category: DataCategory,
	) -> EpsilonMillis {
		let Some(params) = PrivacyParams::<T>::get() else { return EpsilonMillis(0) };
		let period = Self::period_index(Self::now(), &params);
		BudgetSpent::<T>::get((institution.clone(), purpose, category))
			.filter(|(p, _)| *p == period)
			.map_or(EpsilonMillis(0), |(_, spent)| spent)
	}
}
