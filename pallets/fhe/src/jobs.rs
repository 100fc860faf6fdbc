// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! The job lifecycle every job kind shares (predictions and programs): a job opens pending,
//! held by its requester's deposit, listed as open and queued at its deadline; evaluators
//! submit outcomes; the first outcome submitted identically by [`Pallet::result_quorum`]
//! evaluators closes it (final or failed), or the timeout queue closes it at its deadline.
//! Closing releases the deposit and drops the job from the open-job list, its requester's count
//! and its timeout bucket. Only the request (what a kind checks before [`Pallet::open_job`])
//! and the event announcing a final result differ between kinds.

use super::*;
use custodia_pallet_support::deposit;

/// The timeout queue: open jobs by deadline ([`TimeoutQueue`], [`TimeoutCursor`]).
pub(crate) struct Timeouts<T>(core::marker::PhantomData<T>);

impl<T: Config> DeadlineQueue for Timeouts<T> {
	type BlockNumber = BlockNumberFor<T>;
	type Id = JobId;
	type MaxPerBlock = T::MaxPendingJobs;
	type Buckets = TimeoutQueue<T>;
	type Cursor = TimeoutCursor<T>;
}

impl<T: Config> Pallet<T> {
	/// Create a pending job, listed as open, counted against its requester and queued at its
	/// deadline. Checks before it writes: on error nothing was written.
	pub(crate) fn open_job(
		kind: JobKindOf<T>,
		requester: T::AccountId,
	) -> Result<JobId, DispatchError> {
		let now = Self::now();
		let deadline = now.saturating_add(T::JobTimeout::get());
		let id = NextJobId::<T>::get();
		let open = OpenJobCount::<T>::get(&requester).unwrap_or(0);
		ensure!(open < T::MaxOpenJobsPerAccount::get(), Error::<T>::TooManyOpenJobs);
		let mut pending = OpenJobs::<T>::get();
		pending.try_push(id).map_err(|_| Error::<T>::TooManyPendingJobs)?;
		// A bucket holds only open jobs, so it cannot be fuller than the open-job list.
		let bucket =
			Timeouts::<T>::bucket_with(deadline, id).ok_or(Error::<T>::TooManyPendingJobs)?;
		let job = Job {
			kind,
			requester: requester.clone(),
			requested_at: now,
			deadline,
			status: JobStatus::Pending,
			submissions: BoundedVec::new(),
		};
		// Priced at the job's largest size: it grows by up to `MaxSubmissions` outcomes.
		let amount = Self::deposit_for(T::JobDepositBase::get(), JobOf::<T>::max_encoded_len());
		// The last check: nothing is written when it fails.
		let deposit = Self::hold_deposit(&requester, amount, HoldReason::JobDeposit)?;

		NextJobId::<T>::put(id.saturating_add(1));
		OpenJobCount::<T>::insert(&requester, open.saturating_add(1));
		OpenJobs::<T>::put(pending);
		Timeouts::<T>::put_bucket(deadline, bucket);
		JobDeposits::<T>::insert(id, deposit);
		Jobs::<T>::insert(id, job);
		Ok(id)
	}

	/// `base` plus [`Config::DepositPerByte`] for each of `bytes`.
	pub fn deposit_for(base: BalanceOf<T>, bytes: usize) -> BalanceOf<T> {
		deposit::amount_for(base, T::DepositPerByte::get(), bytes)
	}

	/// Hold `amount` from `who` for `reason`: the deposit to record with the item.
	pub(crate) fn hold_deposit(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		reason: HoldReason,
	) -> Result<DepositOf<T>, DispatchError> {
		deposit::hold::<_, T::Currency>(&reason.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientDeposit.into())
	}

	/// Give a deposit back to whoever paid it.
	pub(crate) fn release_deposit(deposit: Option<DepositOf<T>>, reason: HoldReason) {
		deposit::release::<_, T::Currency>(&reason.into(), deposit);
	}

	/// Close a job with a terminal `status`: drop it from the open-job list and its requester's
	/// count and, if `unqueue`, from its timeout bucket (the timeout queue drops it itself).
	fn close_job(id: JobId, mut job: JobOf<T>, status: JobStatusOf<T>, unqueue: bool) {
		OpenJobs::<T>::mutate(|list| list.retain(|j| *j != id));
		OpenJobCount::<T>::mutate_exists(&job.requester, |open| {
			*open = open.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
		});
		if unqueue {
			Timeouts::<T>::unschedule(job.deadline, id);
		}
		job.status = status;
		Jobs::<T>::insert(id, job);
		Self::release_deposit(JobDeposits::<T>::take(id), HoldReason::JobDeposit);
	}

	/// Whether adding `new` to `earlier` submissions makes them disagree for the first time.
	fn first_disagreement(earlier: &[&OutcomeOf<T>], new: &OutcomeOf<T>) -> bool {
		match earlier.split_first() {
			Some((first, rest)) => rest.iter().all(|p| p == first) && *first != new,
			None => false,
		}
	}

	pub(crate) fn do_submit_result(
		who: T::AccountId,
		id: JobId,
		outcome: OutcomeOf<T>,
	) -> DispatchResult {
		ensure!(
			T::Consortium::is_active_member(&who, MemberKind::Evaluator),
			Error::<T>::NotActiveEvaluator
		);
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.status == JobStatus::Pending, Error::<T>::JobNotPending);
		let now = Self::now();
		ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
		ensure!(
			!job.submissions.iter().any(|s| s.evaluator == who),
			Error::<T>::DuplicateSubmission
		);
		if let Outcome::Success { result_cid, .. } = &outcome {
			ensure!(!result_cid.is_empty(), Error::<T>::EmptyCid);
		}
		let earlier: Vec<&OutcomeOf<T>> = job.submissions.iter().map(|s| &s.payload).collect();
		let disagrees = Self::first_disagreement(&earlier, &outcome);
		let agreeing = earlier.iter().filter(|p| ***p == outcome).count() as u32 + 1;
		job.submissions
			.try_push(Submission { evaluator: who.clone(), payload: outcome.clone(), at: now })
			.map_err(|_| Error::<T>::TooManySubmissions)?;

		// All checks passed: write.
		Self::deposit_event(Event::ResultSubmitted {
			job: id,
			evaluator: who,
			outcome: outcome.clone(),
		});
		if disagrees {
			Self::deposit_event(Event::ResultsDisagree { job: id });
		}
		if agreeing >= Self::result_quorum() {
			Self::agree_outcome(id, job, outcome, now);
		} else {
			Jobs::<T>::insert(id, job);
		}
		Ok(())
	}

	/// Close a pending job with its agreed outcome.
	fn agree_outcome(id: JobId, job: JobOf<T>, outcome: OutcomeOf<T>, now: BlockNumberFor<T>) {
		match outcome {
			Outcome::Success { result_cid, result_hash } => {
				let owner = job.requester.clone();
				let is_program = matches!(job.kind, JobKind::Program { .. });
				let result = IpfsRef { cid: result_cid.clone(), hash: result_hash };
				Self::close_job(id, job, JobStatus::Final { result, at: now }, true);
				Self::deposit_event(if is_program {
					Event::ProgramResultReady { job: id, owner, result_cid, result_hash }
				} else {
					Event::PredictionReady { job: id, owner, result_cid, result_hash }
				});
			},
			Outcome::Failure { reason } => {
				Self::close_job(id, job, JobStatus::Failed { reason, at: now }, true);
				Self::deposit_event(Event::JobFailed { job: id, reason });
			},
		}
	}

	/// Close the jobs whose deadline came, from the timeout queue's cursor up to `now`: at most
	/// [`Config::MaxTimeoutsPerBlock`] steps (one per job id looked at, one per block's bucket
	/// finished). What does not fit carries over. Returns the weight consumed.
	pub(crate) fn process_timeouts(now: BlockNumberFor<T>) -> Weight {
		let steps = Timeouts::<T>::work_through(now, T::MaxTimeoutsPerBlock::get(), |id| {
			if let Some(job) = Jobs::<T>::get(id) {
				if job.status.is_open() {
					Self::close_job(id, job, JobStatus::TimedOut { at: now }, false);
					Self::deposit_event(Event::JobTimedOut { job: id });
				}
			}
		});
		T::WeightInfo::process_timeouts(steps)
	}
}
