// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! The pallet's invariants, checked by `try_state` (and after every unit test).

use super::*;

impl<T: Config> Pallet<T> {
	/// Invariants: the open-job list is increasing and holds exactly the open jobs, and the
	/// per-account counts match it; every open job is queued at its deadline, not behind the
	/// cursor, and every queued job is open; submitters are distinct; no pending job has an
	/// outcome that reached the quorum.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let pending = OpenJobs::<T>::get();
		ensure!(pending.windows(2).all(|w| w[0] < w[1]), "open-job list not increasing");
		let mut open_per_account = alloc::collections::BTreeMap::<T::AccountId, u32>::new();
		for id in pending.iter() {
			let job = Jobs::<T>::get(id).ok_or("open job missing")?;
			*open_per_account.entry(job.requester).or_default() += 1;
		}
		ensure!(
			OpenJobCount::<T>::iter().collect::<alloc::collections::BTreeMap<_, _>>()
				== open_per_account,
			"per-account open-job counts out of sync"
		);
		let quorum = Self::result_quorum() as usize;
		for (id, job) in Jobs::<T>::iter() {
			ensure!(job.status.is_open() == pending.contains(&id), "open-job list out of sync");
			let queued = jobs::Timeouts::<T>::is_scheduled(job.deadline, id);
			ensure!(queued == job.status.is_open(), "timeout queue out of sync");
			if job.status.is_open() {
				ensure!(
					jobs::Timeouts::<T>::is_ahead_of_cursor(job.deadline),
					"open job behind the cursor"
				);
			}
			let mut who: Vec<_> = job.submissions.iter().map(|s| s.evaluator.clone()).collect();
			who.sort();
			who.dedup();
			ensure!(who.len() == job.submissions.len(), "an evaluator submitted twice");
			if job.status.is_open() {
				for s in job.submissions.iter() {
					let same = job.submissions.iter().filter(|o| o.payload == s.payload).count();
					ensure!(same < quorum, "pending job with an agreed outcome");
				}
			}
		}
		for (deadline, bucket) in TimeoutQueue::<T>::iter() {
			for id in bucket.iter() {
				let job = Jobs::<T>::get(id).ok_or("queued job missing")?;
				ensure!(job.deadline == deadline && job.status.is_open(), "queued job not open");
			}
		}
		for (id, deposit) in JobDeposits::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or("deposit held for a missing job")?;
			ensure!(job.status.is_open(), "deposit held for a job that ended");
			ensure!(deposit.depositor == job.requester, "job deposit held from another account");
		}
		for (id, _) in ModelDeposits::<T>::iter() {
			let model = Models::<T>::get(id).ok_or("deposit held for a missing model")?;
			ensure!(model.retired_at.is_none(), "deposit held for a retired model");
		}
		Ok(())
	}
}
