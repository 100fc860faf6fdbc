// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Statistic jobs (request, aggregate shares, publication, timeout), the privacy budget and
//! enrolment.

use super::*;
use custodia_primitives::statistics::STATISTICS_PURPOSES;
use pallet_consortium::{ConsortiumInterface, MemberKind};
use sp_runtime::traits::{CheckedDiv, CheckedSub, One, Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// The number of fields a statistic names (for the weight).
	pub(crate) fn kind_fields(kind: &StatisticKindOf<T>) -> u32 {
		match kind {
			StatisticKind::Count => 0,
			StatisticKind::Sum(f) | StatisticKind::Mean(f) | StatisticKind::Histogram(f) => {
				f.len() as u32
			},
		}
	}

	/// The number of values of statistic `kind` over a schema with `fields`, or `None` when the
	/// kind does not fit the schema: no field named for a sum, mean or histogram, an index out
	/// of range or named twice, a histogram of a field without buckets, or more values than
	/// `MaxStatisticValues`.
	pub fn value_count(
		kind: &StatisticKind<impl AsRef<[u16]>>,
		fields: &[SchemaFieldOf<T>],
	) -> Option<u32> {
		let named = match kind {
			StatisticKind::Count => return Some(1),
			StatisticKind::Sum(f) | StatisticKind::Mean(f) | StatisticKind::Histogram(f) => {
				f.as_ref()
			},
		};
		if named.is_empty() || named.iter().any(|i| *i as usize >= fields.len()) {
			return None;
		}
		let mut distinct = named.to_vec();
		distinct.sort_unstable();
		distinct.dedup();
		if distinct.len() != named.len() {
			return None;
		}
		let count = match kind {
			StatisticKind::Count => 1,
			StatisticKind::Sum(_) => named.len() as u32,
			StatisticKind::Mean(_) => named.len() as u32 + 1,
			StatisticKind::Histogram(_) => {
				let mut total = 0u32;
				for i in named {
					let buckets = fields.get(*i as usize)?.buckets.as_ref()?;
					total = total.saturating_add(buckets.len() as u32 + 1);
				}
				total
			},
		};
		(count <= T::MaxStatisticValues::get()).then_some(count)
	}

	/// Check privacy parameters: ε > 0, budget ≥ ε, period > 0.
	pub(crate) fn validate_privacy_parameters(
		params: &PrivacyParameters<BlockNumberFor<T>>,
	) -> DispatchResult {
		ensure!(
			params.epsilon_per_statistic.0 > 0
				&& params.budget_per_period >= params.epsilon_per_statistic
				&& !params.period.is_zero(),
			Error::<T>::InvalidPrivacyParameters
		);
		Ok(())
	}

	/// The budget period block `at` falls in: `at / period`.
	pub(crate) fn period_index(
		at: BlockNumberFor<T>,
		params: &PrivacyParameters<BlockNumberFor<T>>,
	) -> BlockNumberFor<T> {
		at.checked_div(&params.period).unwrap_or_default()
	}

	pub(crate) fn do_request_statistic(
		who: T::AccountId,
		schema: SchemaId,
		kind: StatisticKindOf<T>,
		purpose: PurposeOfUse,
	) -> Result<StatisticJobId, DispatchError> {
		ensure!(
			T::Consortium::is_active_member(&who, MemberKind::Institution),
			Error::<T>::NotActiveInstitution
		);
		let info = Schemas::<T>::get(schema).ok_or(Error::<T>::UnknownSchema)?;
		ensure!(!info.superseded, Error::<T>::SchemaSuperseded);
		Self::value_count(&kind, &info.schema.fields).ok_or(Error::<T>::InvalidStatistic)?;
		ensure!(STATISTICS_PURPOSES.contains(&purpose), Error::<T>::NotStatisticsPurpose);
		let epoch = ActiveEpoch::<T>::get().ok_or(Error::<T>::NoActiveEpoch)?;
		let params = PrivacyParams::<T>::get().ok_or(Error::<T>::PrivacyParametersNotSet)?;
		let now = Self::now();
		let category = info.schema.category;
		let period = Self::period_index(now, &params);
		let budget_key = (who.clone(), purpose, category);
		let spent = BudgetSpent::<T>::get(&budget_key)
			.filter(|(p, _)| *p == period)
			.map_or(0, |(_, spent)| spent.0);
		let epsilon = params.epsilon_per_statistic;
		let spent = spent
			.checked_add(epsilon.0)
			.filter(|total| *total <= params.budget_per_period.0)
			.ok_or(Error::<T>::BudgetExhausted)?;
		let deadline = now.saturating_add(T::StatisticTimeout::get());
		let id = NextJobId::<T>::get();
		let mut due = JobDeadlines::<T>::get(deadline);
		due.try_push(id).map_err(|_| Error::<T>::TooManyJobsInBlock)?;

		// All checks passed: write.
		NextJobId::<T>::put(id.saturating_add(1));
		BudgetSpent::<T>::insert(&budget_key, (period, EpsilonMillis(spent)));
		JobDeadlines::<T>::insert(deadline, due);
		Jobs::<T>::insert(
			id,
			StatisticJob {
				requester: who.clone(),
				schema,
				category,
				kind,
				purpose,
				epoch,
				epsilon,
				requested_at: now,
				deadline,
				status: StatisticStatus::AwaitingShares,
			},
		);
		Self::deposit_event(Event::StatisticRequested {
			job: id,
			requester: who,
			schema,
			purpose,
			epsilon,
		});
		Ok(id)
	}

	/// Whether noise segments describe `values` values of a job spending `epsilon`: they cover
	/// the values exactly, each at least one value with a positive ε, and spend at most
	/// `epsilon` together.
	fn noise_fits(noise: &[NoiseSegment], values: usize, epsilon: EpsilonMillis) -> bool {
		let covered: u64 = noise.iter().map(|s| s.values as u64).sum();
		let spent: u64 = noise.iter().map(|s| s.epsilon.0 as u64).sum();
		noise.iter().all(|s| s.values > 0 && s.epsilon.0 > 0)
			&& covered == values as u64
			&& spent <= epsilon.0 as u64
	}

	/// Returns the number of aggregators of the job's epoch, for the weight.
	pub(crate) fn do_submit_aggregate_share(
		who: T::AccountId,
		id: StatisticJobId,
		share: AggregateShareOf<T>,
	) -> Result<u32, DispatchError> {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::NoSuchJob)?;
		ensure!(job.status == StatisticStatus::AwaitingShares, Error::<T>::JobNotAwaitingShares);
		ensure!(Self::now() <= job.deadline, Error::<T>::DeadlinePassed);
		let index =
			Self::aggregator_index(job.epoch, &who).ok_or(Error::<T>::NotAnAggregator)? as u32;
		ensure!(!AggregateShares::<T>::contains_key(id, index), Error::<T>::ShareAlreadySubmitted);
		let expected = Schemas::<T>::get(job.schema)
			.and_then(|s| Self::value_count(&job.kind, &s.schema.fields))
			.ok_or(Error::<T>::WrongValueCount)?;
		ensure!(share.values.len() as u32 == expected, Error::<T>::WrongValueCount);
		ensure!(share.values.iter().all(|v| *v < FIELD128_MODULUS), Error::<T>::ValueOutOfField);
		ensure!(
			Self::noise_fits(&share.noise, share.values.len(), job.epsilon),
			Error::<T>::InvalidNoise
		);

		// All checks passed: write.
		AggregateShares::<T>::insert(id, index, share);
		Self::deposit_event(Event::AggregateShareSubmitted { job: id, aggregator: who });
		let aggregators = Self::aggregator_count(job.epoch);
		if (0..aggregators).all(|i| AggregateShares::<T>::contains_key(id, i)) {
			Self::conclude_job(id, job, aggregators);
		}
		Ok(aggregators)
	}

	/// Every aggregator submitted its share: publish their sum, or fail the job when they
	/// disagree or the cohort is below k. The shares are removed either way.
	fn conclude_job(id: StatisticJobId, mut job: StatisticJobOf<T>, aggregators: u32) {
		let now = Self::now();
		let shares: Vec<AggregateShareOf<T>> =
			(0..aggregators).filter_map(|i| AggregateShares::<T>::take(id, i)).collect();
		Self::unschedule_job(id, job.deadline);
		let Some((first, rest)) = shares.split_first() else { return };
		let agree = rest.iter().all(|s| {
			s.reports == first.reports
				&& s.cohort_hash == first.cohort_hash
				&& s.noise == first.noise
		});
		let failure = if !agree {
			Some(StatisticFailure::SharesDisagree)
		} else if first.reports < T::MinCohortSize::get() {
			Some(StatisticFailure::CohortTooSmall { reports: first.reports })
		} else {
			None
		};
		if let Some(reason) = failure {
			job.status = StatisticStatus::Failed { reason: reason.clone(), at: now };
			Jobs::<T>::insert(id, job);
			Self::deposit_event(Event::StatisticFailed { job: id, reason });
			return;
		}
		let mut sums = alloc::vec![0u128; first.values.len()];
		for share in &shares {
			for (sum, value) in sums.iter_mut().zip(share.values.iter()) {
				*sum = field_add(*sum, *value);
			}
		}
		let values: PublishedValuesOf<T> =
			BoundedVec::truncate_from(sums.into_iter().map(field_to_signed).collect::<Vec<_>>());
		PublishedStatistics::<T>::insert(
			id,
			PublishedStatistic {
				reports: first.reports,
				values: values.clone(),
				epsilon: job.epsilon,
				aggregators,
				noise: first.noise.clone(),
				published_at: now,
			},
		);
		job.status = StatisticStatus::Published { at: now };
		let (reports, epsilon) = (first.reports, job.epsilon);
		Jobs::<T>::insert(id, job);
		Self::deposit_event(Event::StatisticPublished { job: id, reports, values, epsilon });
	}

	/// Drop a concluded job from its deadline's entry.
	fn unschedule_job(id: StatisticJobId, deadline: BlockNumberFor<T>) {
		JobDeadlines::<T>::mutate_exists(deadline, |due| {
			if let Some(list) = due {
				list.retain(|j| *j != id);
				if list.is_empty() {
					*due = None;
				}
			}
		});
	}

	/// The jobs whose deadline was the previous block and that still await shares fail with
	/// `Timeout`, naming how many aggregators had not submitted; their shares are removed.
	/// Returns the weight used.
	pub(crate) fn process_job_timeouts(now: BlockNumberFor<T>) -> Weight {
		let Some(deadline) = now.checked_sub(&One::one()) else {
			return T::WeightInfo::timeout_jobs(0, 0);
		};
		let due = JobDeadlines::<T>::take(deadline);
		let mut most_aggregators = 0u32;
		for id in due.iter() {
			let Some(mut job) = Jobs::<T>::get(id) else { continue };
			if job.status != StatisticStatus::AwaitingShares {
				continue;
			}
			let aggregators = Self::aggregator_count(job.epoch);
			most_aggregators = most_aggregators.max(aggregators);
			let mut missing = 0u32;
			for index in 0..aggregators {
				if AggregateShares::<T>::take(id, index).is_none() {
					missing.saturating_inc();
				}
			}
			let reason = StatisticFailure::Timeout { missing };
			job.status = StatisticStatus::Failed { reason: reason.clone(), at: now };
			Jobs::<T>::insert(id, job);
			Self::deposit_event(Event::StatisticFailed { job: *id, reason });
		}
		T::WeightInfo::timeout_jobs(due.len() as u32, most_aggregators)
	}

	pub(crate) fn do_enrol(institution: T::AccountId, person: T::AccountId) -> DispatchResult {
		ensure!(
			T::Consortium::is_active_member(&institution, MemberKind::Institution),
			Error::<T>::NotActiveInstitution
		);
		ensure!(!Enrolments::<T>::contains_key(&person, &institution), Error::<T>::AlreadyEnrolled);
		let count = EnrolmentCount::<T>::get(&person);
		ensure!(count < T::MaxEnrolmentsPerPerson::get(), Error::<T>::TooManyEnrolments);

		// All checks passed: write.
		Enrolments::<T>::insert(&person, &institution, Self::now());
		EnrolmentCount::<T>::insert(&person, count.saturating_add(1));
		Self::deposit_event(Event::Enrolled { person, institution });
		Ok(())
	}

	pub(crate) fn do_unenrol(institution: T::AccountId, person: T::AccountId) -> DispatchResult {
		ensure!(Enrolments::<T>::contains_key(&person, &institution), Error::<T>::NotEnrolled);

		// All checks passed: write.
		Enrolments::<T>::remove(&person, &institution);
		EnrolmentCount::<T>::mutate_exists(&person, |count| {
			*count = count.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
		});
		Self::deposit_event(Event::Unenrolled { person, institution });
		Ok(())
	}

	/// Whether `person` is enrolled by an active institution other than `requester`: only then
	/// does the person count toward `requester`'s statistics.
	pub fn is_enrolled_by_other(person: &T::AccountId, requester: &T::AccountId) -> bool {
		Enrolments::<T>::iter_key_prefix(person).any(|institution| {
			&institution != requester
				&& T::Consortium::is_active_member(&institution, MemberKind::Institution)
		})
	}
}
