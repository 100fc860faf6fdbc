// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Runtime APIs: the questions clients, stewards and evaluators ask the chain.
//!
//! Every answer is for the state of the block the call is made at: "now" means that block's
//! number. Calling at the best block answers for the best block, at a finalized block for that
//! block (what the worker does, so that it never acts on a block that may be reverted).

use crate::{
	consent::{DataCategory, GrantSummary, PurposeOfUse, RequestSummary},
	consortium::{MemberKind, X25519PublicKey},
	fhe::{
		EpochId, EpochSummary, EvaluationKey, HolderShare, JobId, JobSummary, ModelId,
		ModelSummary, PublishedStatisticSummary, StatisticInput,
	},
	vaults::{PinItem, VaultId},
};
use alloc::vec::Vec;
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Who belongs to the consortium.
	pub trait ConsortiumApi<AccountId>
	where
		AccountId: Codec,
	{
		/// The active members that hold `kind`, in storage order.
		fn active_members(kind: MemberKind) -> Vec<AccountId>;
		/// The consortium's X25519 public key, which consent requests carry; `None` until
		/// governance sets one.
		fn consortium_key() -> Option<X25519PublicKey>;
	}

	/// Consent: who may read what, and what people were asked.
	pub trait ConsentApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// Whether `institution` may read `category` of `subject`'s data for `purpose` now: it is
		/// an active institution and holds a live grant (its own or consortium-wide) that covers
		/// the category and purpose.
		fn is_authorized(
			institution: AccountId,
			subject: AccountId,
			category: DataCategory,
			purpose: PurposeOfUse,
		) -> bool;
		/// The subject's unanswered consent requests, oldest first.
		fn requests_of(subject: AccountId) -> Vec<RequestSummary<AccountId, BlockNumber>>;
		/// The subject's grants that are neither revoked nor ended, oldest first.
		fn grants_of(subject: AccountId) -> Vec<GrantSummary<AccountId, BlockNumber>>;
		/// The grants to `institution` that are neither revoked nor ended, oldest first.
		fn grants_of_institution(institution: AccountId) -> Vec<GrantSummary<AccountId, BlockNumber>>;
		/// The subjects whose live consortium-wide grant for `purpose` covers `category`: a
		/// statistics cohort.
		fn cohort(purpose: PurposeOfUse, category: DataCategory) -> Vec<AccountId>;
	}

	/// Records and vaults, as data stewards and grantees see them.
	pub trait VaultsApi<AccountId>
	where
		AccountId: Codec,
	{
		/// What `steward` must keep pinned now: its live records and open vaults.
		fn must_pin(steward: AccountId) -> Vec<PinItem>;
		/// What `steward` must unpin now and has not confirmed: ended vaults, retired records.
		fn must_unpin(steward: AccountId) -> Vec<PinItem>;
		/// Whether `vault` may be read now: open, before its expiry, under a live grant.
		fn is_vault_open(vault: VaultId) -> bool;
	}

	/// FHE jobs, as evaluators, key holders, requesters and the public see them.
	pub trait FheApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The jobs `evaluator` should work on now, oldest first: jobs waiting for outcomes and
		/// statistics waiting for publication, before their deadline, to which it has not
		/// submitted in their current phase.
		fn pending_jobs(evaluator: AccountId) -> Vec<JobSummary<AccountId, BlockNumber>>;
		/// The statistic jobs, oldest first, that wait for `holder`'s decryption share: their
		/// aggregate is agreed, their key epoch includes `holder`, and it has not submitted.
		fn shares_awaited(holder: AccountId) -> Vec<JobId>;
		/// A key epoch, whatever its status.
		fn key_epoch(epoch: EpochId) -> Option<EpochSummary<AccountId, BlockNumber>>;
		/// The current key epoch: the one whose joint key records are encrypted under now.
		fn current_key_epoch() -> Option<EpochSummary<AccountId, BlockNumber>>;
		/// A job, whatever its status.
		fn job(id: JobId) -> Option<JobSummary<AccountId, BlockNumber>>;
		/// A registered model, retired or not.
		fn model(id: ModelId) -> Option<ModelSummary<AccountId, BlockNumber>>;
		/// A published statistic, by the job that computed it.
		fn published_statistic(job: JobId) -> Option<PublishedStatisticSummary<BlockNumber>>;
		/// `who`'s registered evaluation key, with its CID as plain bytes.
		fn evaluation_key(who: AccountId) -> Option<EvaluationKey<BlockNumber, Vec<u8>>>;
		/// The key epoch being set up (collecting public-key shares or awaiting its joint key),
		/// if any.
		fn pending_key_epoch() -> Option<EpochSummary<AccountId, BlockNumber>>;
		/// The decryption shares of a statistic job, one slot per holder of its key epoch in the
		/// epoch's order; empty for a job that has none.
		fn decryption_shares(job: JobId) -> Vec<HolderShare<AccountId, Vec<u8>>>;
		/// The records a statistic job aggregates. Call it at the job's `requested_at` block:
		/// the cohort is the one of that block. Empty for a job that is not a statistic.
		fn statistic_inputs(job: JobId) -> Vec<StatisticInput<AccountId>>;
	}
}
