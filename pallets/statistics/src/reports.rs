// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Reports and their verification batches: submission, verifier shares, confirmations, and
//! the timeout of a batch not confirmed in time.

use super::*;
use sp_runtime::traits::{CheckedSub, One, Saturating};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_submit_report(
		who: T::AccountId,
		record: RecordId,
		schema: SchemaId,
		report: ReportId,
		cid: CidOf<T>,
		content_hash: H256,
		size: u32,
	) -> DispatchResult {
		let epoch = ActiveEpoch::<T>::get().ok_or(Error::<T>::NoActiveEpoch)?;
		let facts = T::Records::record(record).ok_or(Error::<T>::UnknownRecord)?;
		ensure!(facts.owner == who, Error::<T>::NotRecordOwner);
		ensure!(!facts.retired, Error::<T>::RecordRetired);
		let info = Schemas::<T>::get(schema).ok_or(Error::<T>::UnknownSchema)?;
		ensure!(!info.superseded, Error::<T>::SchemaSuperseded);
		ensure!(facts.categories.contains(&info.schema.category), Error::<T>::CategoryNotInRecord);
		ensure!(!Reports::<T>::contains_key(report), Error::<T>::ReportIdTaken);
		ensure!(!cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(size > 0 && size <= T::MaxReportSize::get(), Error::<T>::InvalidReportSize);
		let now = Self::now();
		let mut batch = match Batches::<T>::get(now) {
			Some(batch) => {
				ensure!(batch.epoch == epoch, Error::<T>::EpochChangedInBlock);
				batch
			},
			None => {
				let flags = || {
					BoundedVec::truncate_from(alloc::vec![
						false;
						Self::aggregator_count(epoch) as usize
					])
				};
				VerificationBatch {
					epoch,
					reports: BoundedVec::new(),
					shares_posted: flags(),
					confirmed: flags(),
					deadline: now.saturating_add(T::VerificationTimeout::get()),
				}
			},
		};
		batch.reports.try_push(report).map_err(|_| Error::<T>::BatchFull)?;
		let mut mine = ReportsOf::<T>::get(&who);
		mine.try_push(report).map_err(|_| Error::<T>::TooManyReports)?;

		// All checks passed: write.
		Reports::<T>::insert(
			report,
			ReportInfo {
				owner: who.clone(),
				record,
				schema,
				epoch,
				object: IpfsRef { cid, hash: content_hash },
				size,
				batch: now,
				status: ReportStatus::Pending,
			},
		);
		ReportsOf::<T>::insert(&who, mine);
		Batches::<T>::insert(now, batch);
		Self::deposit_event(Event::ReportSubmitted { report, owner: who, record, schema, epoch });
		Ok(())
	}

	/// The batch `key`, in flight and before its deadline, and `who`'s index among its epoch's
	/// aggregators.
	fn batch_for_aggregator(
		key: BlockNumberFor<T>,
		who: &T::AccountId,
	) -> Result<(VerificationBatchOf<T>, usize), DispatchError> {
		let batch = Batches::<T>::get(key).ok_or(Error::<T>::NoSuchBatch)?;
		ensure!(Self::now() <= batch.deadline, Error::<T>::DeadlinePassed);
		let index = Self::aggregator_index(batch.epoch, who)
			.filter(|i| *i < batch.shares_posted.len() && *i < batch.confirmed.len())
			.ok_or(Error::<T>::NotAnAggregator)?;
		Ok((batch, index))
	}

	pub(crate) fn do_submit_verifier_shares(
		who: T::AccountId,
		key: BlockNumberFor<T>,
		shares: VerifierSharesOf<T>,
	) -> DispatchResult {
		let (mut batch, index) = Self::batch_for_aggregator(key, &who)?;
		ensure!(!batch.shares_posted[index], Error::<T>::SharesAlreadyPosted);
		ensure!(!shares.is_empty(), Error::<T>::EmptyShares);

		// All checks passed: write.
		batch.shares_posted[index] = true;
		VerifierShares::<T>::insert(key, index as u32, shares);
		Batches::<T>::insert(key, batch);
		Self::deposit_event(Event::VerifierSharesPosted { batch: key, aggregator: who });
		Ok(())
	}

	/// Returns the number of reports in the batch and of aggregators, for the weight.
	pub(crate) fn do_confirm_batch(
		who: T::AccountId,
		key: BlockNumberFor<T>,
		rejected: RejectionsOf<T>,
	) -> Result<(u32, u32), DispatchError> {
		let (mut batch, index) = Self::batch_for_aggregator(key, &who)?;
		ensure!(batch.shares_posted.iter().all(|p| *p), Error::<T>::SharesMissing);
		ensure!(!batch.confirmed[index], Error::<T>::AlreadyConfirmed);
		let reports = batch.reports.len() as u32;
		ensure!(rejected.iter().all(|r| r.index < reports), Error::<T>::RejectionIndexOutOfRange);
		let mut merged = BatchRejections::<T>::get(key);
		for rejection in rejected.iter() {
			if !merged.iter().any(|m| m.index == rejection.index) {
				// Distinct indices below `reports ≤ MaxReportsPerBatch`: it always fits.
				merged.try_push(*rejection).map_err(|_| Error::<T>::RejectionIndexOutOfRange)?;
			}
		}

		// All checks passed: write.
		batch.confirmed[index] = true;
		let aggregators = batch.confirmed.len() as u32;
		let complete = batch.confirmed.iter().all(|c| *c);
		Self::deposit_event(Event::BatchConfirmed {
			batch: key,
			aggregator: who,
			rejected: rejected.len() as u32,
		});
		if complete {
			Self::settle_batch(key, batch, merged);
		} else {
			Batches::<T>::insert(key, batch);
			BatchRejections::<T>::insert(key, merged);
		}
		Ok((reports, aggregators))
	}

	/// Every aggregator confirmed the batch: its pending reports become `Verified`, or
	/// `Rejected` with the first reason an aggregator gave; the batch is removed.
	fn settle_batch(
		key: BlockNumberFor<T>,
		batch: VerificationBatchOf<T>,
		rejections: RejectionsOf<T>,
	) {
		let now = Self::now();
		let mut reasons: Vec<Option<RejectionReason>> = alloc::vec![None; batch.reports.len()];
		for r in rejections.iter() {
			if let Some(slot) = reasons.get_mut(r.index as usize) {
				slot.get_or_insert(r.reason);
			}
		}
		let (mut verified, mut rejected) = (0u32, 0u32);
		for (report, reason) in batch.reports.iter().zip(reasons) {
			let Some(mut info) = Reports::<T>::get(report) else { continue };
			if info.status != ReportStatus::Pending {
				continue;
			}
			match reason {
				Some(reason) => {
					info.status = ReportStatus::Rejected { reason, at: now };
					rejected.saturating_inc();
					Self::deposit_event(Event::ReportRejected { report: *report, reason });
				},
				None => {
					info.status = ReportStatus::Verified { at: now };
					verified.saturating_inc();
				},
			}
			Reports::<T>::insert(report, info);
		}
		Self::remove_batch(key, batch.confirmed.len() as u32);
		Self::deposit_event(Event::BatchVerified { batch: key, verified, rejected });
	}

	/// Remove a batch with its verifier shares and rejections.
	fn remove_batch(key: BlockNumberFor<T>, aggregators: u32) {
		Batches::<T>::remove(key);
		BatchRejections::<T>::remove(key);
		for index in 0..aggregators {
			VerifierShares::<T>::remove(key, index);
		}
	}

	/// The batch of block `now − 1 − VerificationTimeout` passed its deadline (the previous
	/// block) without every confirmation: its pending reports are rejected with
	/// `VerificationTimeout` and the batch removed. Returns the weight used.
	pub(crate) fn process_batch_timeout(now: BlockNumberFor<T>) -> Weight {
		let Some(key) = now.checked_sub(&T::VerificationTimeout::get().saturating_add(One::one()))
		else {
			return T::WeightInfo::timeout_batch(0, 0);
		};
		let Some(batch) = Batches::<T>::get(key).filter(|b| b.deadline < now) else {
			return T::WeightInfo::timeout_batch(0, 0);
		};
		let mut rejected = 0u32;
		let reason = RejectionReason::VerificationTimeout;
		for report in batch.reports.iter() {
			Reports::<T>::mutate(report, |info| {
				if let Some(info) = info.as_mut().filter(|i| i.status == ReportStatus::Pending) {
					info.status = ReportStatus::Rejected { reason, at: now };
					rejected.saturating_inc();
					Self::deposit_event(Event::ReportRejected { report: *report, reason });
				}
			});
		}
		let aggregators = batch.confirmed.len() as u32;
		Self::remove_batch(key, aggregators);
		Self::deposit_event(Event::BatchTimedOut { batch: key, rejected });
		T::WeightInfo::timeout_batch(batch.reports.len() as u32, aggregators)
	}
}
