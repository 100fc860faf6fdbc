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
	fhe::{EvaluationKey, JobId, JobSummary, ModelId, ModelSummary},
	statistics::{
		AggregatorEpochId, ApiEpoch, ApiPublishedStatistic, ApiReport, ApiSchema, ApiStatisticJob,
		BatchSummary, CohortReport, EpsilonMillis, PrivacyParameters, ReportId, SchemaId,
		StatisticJobId,
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
	pub trait VaultsApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// What `steward` must keep pinned now: its live records and open vaults.
		fn must_pin(steward: AccountId) -> Vec<PinItem>;
		/// What `steward` must unpin now and has not confirmed: ended vaults, retired records.
		fn must_unpin(steward: AccountId) -> Vec<PinItem>;
		/// Whether `vault` may be read now: open, before its expiry, under a live grant.
		fn is_vault_open(vault: VaultId) -> bool;
		/// How many blocks a steward must have been failing to fetch a record before it may
		/// report it unfetchable (`Vaults::report_unfetchable`).
		fn unfetchable_after() -> BlockNumber;
	}

	/// FHE prediction jobs, as evaluators, the people who request them and the public see them.
	pub trait FheApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The jobs `evaluator` should work on now, oldest first: pending jobs before their
		/// deadline to which it has not submitted an outcome.
		fn pending_jobs(evaluator: AccountId) -> Vec<JobSummary<AccountId, BlockNumber>>;
		/// A job, whatever its status.
		fn job(id: JobId) -> Option<JobSummary<AccountId, BlockNumber>>;
		/// A registered model, retired or not.
		fn model(id: ModelId) -> Option<ModelSummary<AccountId, BlockNumber>>;
		/// `who`'s registered evaluation key, with its CID as plain bytes.
		fn evaluation_key(who: AccountId) -> Option<EvaluationKey<BlockNumber, Vec<u8>>>;
	}

	/// Private cohort statistics (Prio3), as aggregators, people, institutions and the public
	/// see them.
	pub trait StatisticsApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The active aggregator epoch, if any.
		fn active_epoch() -> Option<(AggregatorEpochId, ApiEpoch<AccountId, BlockNumber>)>;
		/// The epoch being set up (collecting keys or contributions), if any.
		fn pending_epoch() -> Option<(AggregatorEpochId, ApiEpoch<AccountId, BlockNumber>)>;
		/// An aggregator epoch, whatever its status.
		fn aggregator_epoch(epoch: AggregatorEpochId) -> Option<ApiEpoch<AccountId, BlockNumber>>;
		/// A registered schema, superseded or not; field names and units as plain bytes.
		fn schema(id: SchemaId) -> Option<ApiSchema<BlockNumber>>;
		/// The current schema of a data category, if it has one.
		fn schema_of(category: DataCategory) -> Option<SchemaId>;
		/// The verification batches that wait for `aggregator` before their deadline, oldest
		/// first: for its verifier shares, or (every aggregator having posted) its confirmation.
		fn batches_awaiting(aggregator: AccountId) -> Vec<BatchSummary<AccountId, BlockNumber>>;
		/// The statistic jobs that wait for `aggregator`'s aggregate share before their
		/// deadline, oldest first.
		fn statistic_jobs_awaiting(aggregator: AccountId) -> Vec<(StatisticJobId, ApiStatisticJob<AccountId, BlockNumber>)>;
		/// A statistic job, whatever its status.
		fn statistic_job(id: StatisticJobId) -> Option<ApiStatisticJob<AccountId, BlockNumber>>;
		/// The reports a statistic job sums, ordered by report id. Call it at the job's
		/// `requested_at` block: the cohort is the one of that block. Each subject counts once
		/// (their newest verified report of the job's schema and epoch), only with a live
		/// consortium-wide grant for the job's purpose and category, and only when enrolled by an
		/// active institution other than the requester.
		fn statistic_cohort(job: StatisticJobId) -> Vec<CohortReport<AccountId>>;
		/// A published statistic, by its job.
		fn published_statistic(job: StatisticJobId) -> Option<ApiPublishedStatistic<BlockNumber>>;
		/// A report, by id, with its CID as plain bytes.
		fn report(id: ReportId) -> Option<ApiReport<AccountId, BlockNumber>>;
		/// `owner`'s reports, oldest first.
		fn reports_of(owner: AccountId) -> Vec<(ReportId, ApiReport<AccountId, BlockNumber>)>;
		/// The differential-privacy parameters, if governance set them.
		fn privacy_parameters() -> Option<PrivacyParameters<BlockNumber>>;
		/// ε `institution` has spent on (purpose, category) in the current budget period.
		fn budget_spent(institution: AccountId, purpose: PurposeOfUse, category: DataCategory) -> EpsilonMillis;
	}
}
