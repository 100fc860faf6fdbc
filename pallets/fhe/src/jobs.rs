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
		let open = OpenJobsOf::<T>::get(&requester).unwrap_or(0);
		ensure!(open < T::MaxOpenJobsPerAccount::get(), Error::<T>::TooManyOpenJobs);
		let mut pending = PendingJobs::<T>::get();
		pending.try_push(id).map_err(|_| Error::<T>::TooManyPendingJobs)?;
		let mut bucket = TimeoutQueue::<T>::get(deadline);
		// A bucket holds only open jobs, so it cannot be fuller than the open-job list.
		bucket.try_push(id).map_err(|_| Error::<T>::TooManyPendingJobs)?;
		let job = Job {
			kind,
			requester: requester.clone(),
			requested_at: now,
			deadline,
			status: JobStatus::Pending,
			submissions: BoundedVec::new(),
		};
		// Priced at the job's largest size: it grows by up to `MaxSubmissions` outcomes.
		let deposit = Self::deposit_for(T::JobDepositBase::get(), JobOf::<T>::max_encoded_len());
		// The last check: nothing is written when it fails.
		Self::hold_deposit(&requester, deposit, HoldReason::JobDeposit)?;

		NextJobId::<T>::put(id.saturating_add(1));
		OpenJobsOf::<T>::insert(&requester, open.saturating_add(1));
		PendingJobs::<T>::put(pending);
		TimeoutQueue::<T>::insert(deadline, bucket);
		JobDeposits::<T>::insert(id, DepositOf::<T> { depositor: requester, amount: deposit });
		Jobs::<T>::insert(id, job);
		Ok(id)
	}

	/// `base` plus [`Config::DepositPerByte`] for each of `bytes`.
	pub fn deposit_for(base: BalanceOf<T>, bytes: usize) -> BalanceOf<T> {
		let bytes: BalanceOf<T> = u32::try_from(bytes).unwrap_or(u32::MAX).into();
		base.saturating_add(T::DepositPerByte::get().saturating_mul(bytes))
	}

	pub(crate) fn hold_deposit(
		who: &T::AccountId,
		amount: BalanceOf<T>,
		reason: HoldReason,
	) -> DispatchResult {
		T::Currency::hold(&reason.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientDeposit.into())
	}

	/// Give a deposit back to whoever paid it.
	pub(crate) fn release_deposit(deposit: Option<DepositOf<T>>, reason: HoldReason) {
		if let Some(deposit) = deposit {
			// Best effort: the hold is only smaller if it was slashed, and then the rest is all
			// there is to give back.
			let _ = T::Currency::release(
				&reason.into(),
				&deposit.depositor,
				deposit.amount,
				Precision::BestEffort,
			);
		}
	}

	/// Close a job with a terminal `status`: drop it from the open-job list and its requester's
	/// count and, if `unqueue`, from its timeout bucket (the timeout queue drops it itself).
	fn close_job(id: JobId, mut job: JobOf<T>, status: JobStatusOf<T>, unqueue: bool) {
		PendingJobs::<T>::mutate(|list| list.retain(|j| *j != id));
		OpenJobsOf::<T>::mutate_exists(&job.requester, |open| {
			*open = open.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
		});
		if unqueue {
			TimeoutQueue::<T>::mutate_exists(job.deadline, |bucket| {
				if let Some(b) = bucket {
					b.retain(|j| *j != id);
					if b.is_empty() {
						*bucket = None;
					}
				}
			});
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

	/// Work through the timeout queue from the cursor up to `now`: at most
	/// [`Config::MaxTimeoutsPerBlock`] steps (one per job id looked at, one per bucket finished).
	/// What does not fit carries over. Returns the weight consumed.
	pub(crate) fn process_timeouts(now: BlockNumberFor<T>) -> Weight {
		let budget = T::MaxTimeoutsPerBlock::get();
		let mut cursor = TimeoutCursor::<T>::get().unwrap_or(now);
		let mut steps = 0u32;
		while cursor <= now && steps < budget {
			let bucket = TimeoutQueue::<T>::get(cursor);
			let room = budget.saturating_sub(steps) as usize;
			let take = bucket.len().min(room);
			for id in bucket.iter().take(take) {
				if let Some(job) = Jobs::<T>::get(id) {
					if job.status.is_open() {
						Self::close_job(*id, job, JobStatus::TimedOut { at: now }, false);
						Self::deposit_event(Event::JobTimedOut { job: *id });
					}
				}
			}
			steps = steps.saturating_add(take as u32);
			if take < bucket.len() {
				let rest = bucket.into_inner().split_off(take);
				TimeoutQueue::<T>::insert(cursor, BoundedVec::truncate_from(rest));
				break;
			}
			if !bucket.is_empty() {
				TimeoutQueue::<T>::remove(cursor);
			}
			cursor = cursor.saturating_add(One::one());
			steps = steps.saturating_add(1);
		}
		TimeoutCursor::<T>::put(cursor);
		T::WeightInfo::process_timeouts(steps)
	}
}
