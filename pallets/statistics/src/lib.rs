// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Statistics pallet
//!
//! The chain side of private cohort statistics on Prio3 (the IETF CFRG verifiable distributed
//! aggregation function): statistic schemas, aggregator epochs, reports and their verification
//! batches, statistic jobs with a differential-privacy budget, Sybil-resistant enrolment, and
//! the published sums of the aggregators' noisy shares.
//!
//! - [`Config`]
//! - [`Call`]
//! - [`RecordLookup`]: how the pallet reads records (the runtime implements it over
//!   `pallet-vaults`)
//!
//! ## Overview
//!
//! The pallet knows nothing of Prio3, HPKE or IPFS. It stores ids, CIDs, hashes and bounded
//! bytes, and the only arithmetic it does is adding `Field128` elements
//! ([`field_add`](custodia_primitives::statistics::field_add)). The cryptography is done off
//! chain: by the person's client, which makes a report, and by the **aggregators** (evaluator
//! members named per epoch by governance), which verify reports and sum them. Privacy holds
//! while any one aggregator is honest; every aggregator must take part (n of n).
//!
//! - **Schemas.** Governance registers a statistic schema per data category: the fields a
//!   report carries, each with the range its proof enforces (`0..=max`) and, for histograms,
//!   its bucket boundaries. A new schema supersedes the category's current one.
//! - **Aggregator epochs.** Governance starts an epoch naming its aggregators (active
//!   evaluators). Each posts its HPKE key for the epoch, then its verify-key contribution
//!   (sealed to every aggregator, so that neither a client nor an outsider learns the Prio3
//!   verification key): the epoch becomes **active** and the previous active epoch is retired.
//!   Starting an epoch while another is being set up cancels that one.
//! - **Reports.** A person registers a report of one of their records: the record's owner alone
//!   may (an institution knows the values of records it registered for a person, and must not
//!   add its own reports to statistics). A report id is taken once and never again: a replayed
//!   report is refused. The reports submitted in one block form one **verification batch**.
//! - **Verification.** Every aggregator posts its verifier shares for the batch; once all have,
//!   each finishes the verification and confirms the batch, naming the reports it found
//!   invalid. When all confirmed, each report is `Verified`, or `Rejected` with the first
//!   reason an aggregator gave. A batch not confirmed by every aggregator by its deadline,
//!   [`Config::VerificationTimeout`] blocks after it, is closed: its reports are rejected with
//!   `VerificationTimeout`.
//! - **Statistics.** An active institution requests a count, sum, mean or histogram of a
//!   schema's fields for a statistics purpose. The request spends ε (a governance parameter)
//!   from the institution's budget for (purpose, category) in the current period; a request past
//!   the budget is refused, which bounds what asking the same question around one person's
//!   join can reveal. The cohort is fixed at the request block ([`Pallet::statistic_cohort`]):
//!   the people with a live consortium-wide grant, each counted once with their newest verified
//!   report of the job's schema and epoch, and only when enrolled by an active institution other
//!   than the requester. Each aggregator sums the cohort's output shares, adds noise and
//!   submits its aggregate share; when all have, and they agree on the cohort and the noise, the
//!   pallet adds the shares up and publishes the sum, unless fewer than
//!   [`Config::MinCohortSize`] reports were summed. A job not complete
//!   [`Config::StatisticTimeout`] blocks after its request fails with `Timeout`. Nothing partial
//!   is ever published, and ε stays spent when a job fails (refunding it would let a requester
//!   probe for free).
//! - **Enrolment.** An active institution enrols a person it knows as a real patient. Accounts
//!   cost nothing to create, so a person counts toward a statistic only when enrolled by an
//!   active institution other than the requester: Sybil accounts of the requester count for
//!   nothing.
//!
//! ### Timeouts
//!
//! A batch submitted in block `b` has deadline `d = b + VerificationTimeout`; a job requested in
//! block `r` has deadline `d = r + StatisticTimeout`. Either takes calls up to and including
//! block `d`, and is closed in `on_initialize(d + 1)`: the hook of block `n` looks up the batch
//! of block `n − 1 − VerificationTimeout` and the jobs of deadline `n − 1`. At most one batch
//! and [`Config::MaxJobsPerBlock`] jobs are closed per block, so the hook's weight is bounded.
//! Because batches are found from `VerificationTimeout`, changing that constant needs a storage
//! migration for the batches in flight.
//!
//! The pallet depends on the consortium only through [`Config::Consortium`] and on records only
//! through [`Config::Records`].
//!
//! ## Interface
//!
//! ### Dispatchable functions
//!
//! For governance ([`Config::GovernanceOrigin`]):
//! * [`register_schema`](Pallet::register_schema) - Register a data category's statistic
//!   schema.
//! * [`start_aggregator_epoch`](Pallet::start_aggregator_epoch) - Name the aggregators of a new
//!   epoch.
//! * [`set_privacy_parameters`](Pallet::set_privacy_parameters) - Set ε per statistic, the
//!   budget and its period.
//!
//! For aggregators:
//! * [`submit_aggregator_key`](Pallet::submit_aggregator_key) - Post your HPKE key for an epoch.
//! * [`submit_verify_key_contribution`](Pallet::submit_verify_key_contribution) - Post your
//!   sealed verify-key contribution.
//! * [`submit_verifier_shares`](Pallet::submit_verifier_shares) - Post your verifier shares for a
//!   batch.
//! * [`confirm_batch`](Pallet::confirm_batch) - Confirm a batch, naming the invalid reports.
//! * [`submit_aggregate_share`](Pallet::submit_aggregate_share) - Submit your noisy share of a
//!   statistic.
//!
//! For people:
//! * [`submit_report`](Pallet::submit_report) - Register a report of one of your records.
//!
//! For institutions:
//! * [`request_statistic`](Pallet::request_statistic) - Ask for a cohort statistic.
//! * [`enrol`](Pallet::enrol) - Vouch that a person is a real patient you know.
//! * [`unenrol`](Pallet::unenrol) - Withdraw that.
//!
//! ### Queries (plain functions, for the `StatisticsApi` runtime API)
//!
//! * [`Pallet::active_epoch`], [`Pallet::pending_epoch`], [`Pallet::aggregator_epoch`] -
//!   Aggregator epochs.
//! * [`Pallet::schema`], [`Pallet::schema_of`] - Schemas.
//! * [`Pallet::batches_awaiting`], [`Pallet::statistic_jobs_awaiting`] - What an aggregator
//!   should work on now.
//! * [`Pallet::statistic_job`], [`Pallet::statistic_cohort`], [`Pallet::published_statistic`] -
//!   Statistic jobs, their cohorts and what they published.
//! * [`Pallet::report`], [`Pallet::reports_of`] - Reports.
//! * [`Pallet::privacy_parameters`], [`Pallet::budget_spent`] - The privacy budget.
//! * [`Pallet::is_enrolled_by_other`] - Whether a person counts for a requester.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod epochs;
#[cfg(any(feature = "try-runtime", feature = "std", test))]
mod invariants;
mod jobs;
#[cfg(test)]
mod mock;
mod queries;
mod reports;
#[cfg(test)]
mod tests;
pub use custodia_primitives::statistics as types;
pub mod weights;

use alloc::vec::Vec;
use core::marker::PhantomData;
use custodia_primitives::{
	consent::{DataCategory, PurposeOfUse},
	fhe::IpfsRef,
	vaults::RecordId,
};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::*;
use sp_core::H256;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::statistics";

/// The largest `max` a schema field may have: `2^48 − 1`. Sums of a field over every report of
/// a cohort (millions) then stay far below the `Field128` modulus and fit an `i128`, and a
/// Prio3 range proof of 48 bits stays small.
pub const MAX_FIELD_VALUE: u64 = (1 << 48) - 1;

/// What the pallet needs to know of a record.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecordFacts<AccountId> {
	/// The person the record is about: the only account that may report on it.
	pub owner: AccountId,
	/// The data categories it holds.
	pub categories: Vec<DataCategory>,
	/// Whether its owner retired it: its reports no longer count.
	pub retired: bool,
}

/// Reads records. The runtime implements it over `pallet-vaults`.
pub trait RecordLookup<AccountId> {
	/// The record `id`, if it exists (retired or not).
	fn record(id: RecordId) -> Option<RecordFacts<AccountId>>;

	/// Create a live record of `owner` holding `category`, for benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_record(owner: &AccountId, category: DataCategory) -> RecordId;
}

/// An IPFS CID, as bytes.
pub type CidOf<T> = BoundedVec<u8, <T as Config>::MaxCidLen>;
/// A field's name or unit.
pub type NameOf<T> = BoundedVec<u8, <T as Config>::MaxNameLen>;
/// A field's histogram bucket boundaries.
pub type BoundariesOf<T> = BoundedVec<u64, <T as Config>::MaxBoundaries>;
/// A schema field, as stored.
pub type SchemaFieldOf<T> = SchemaField<NameOf<T>, BoundariesOf<T>>;
/// A schema's fields.
pub type FieldsOf<T> = BoundedVec<SchemaFieldOf<T>, <T as Config>::MaxSchemaFields>;
/// A statistic schema, as `register_schema` takes it.
pub type StatisticSchemaOf<T> = StatisticSchema<FieldsOf<T>>;
/// A registered schema.
pub type SchemaInfoOf<T> = SchemaInfo<BlockNumberFor<T>, FieldsOf<T>>;
/// An aggregator's verify-key contribution (one HPKE envelope per aggregator).
pub type ContributionOf<T> = BoundedVec<u8, <T as Config>::MaxContributionLen>;
/// An aggregator slot, as stored.
pub type AggregatorSlotOf<T> =
	AggregatorSlot<<T as frame_system::Config>::AccountId, ContributionOf<T>>;
/// An epoch's aggregator slots.
pub type SlotsOf<T> = BoundedVec<AggregatorSlotOf<T>, <T as Config>::MaxAggregators>;
/// An aggregator epoch, as stored.
pub type AggregatorEpochOf<T> = AggregatorEpoch<BlockNumberFor<T>, SlotsOf<T>>;
/// The aggregators `start_aggregator_epoch` takes, in Prio3 order (leader first).
pub type AggregatorsOf<T> =
	BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxAggregators>;
/// A report, as stored.
pub type ReportInfoOf<T> =
	ReportInfo<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, CidOf<T>>;
/// The reports of one batch.
pub type BatchReportsOf<T> = BoundedVec<ReportId, <T as Config>::MaxReportsPerBatch>;
/// One flag per aggregator of an epoch.
pub type FlagsOf<T> = BoundedVec<bool, <T as Config>::MaxAggregators>;
/// A verification batch, as stored.
pub type VerificationBatchOf<T> =
	VerificationBatch<BlockNumberFor<T>, BatchReportsOf<T>, FlagsOf<T>>;
/// One aggregator's verifier shares for a batch.
pub type VerifierSharesOf<T> = BoundedVec<u8, <T as Config>::MaxVerifierSharesLen>;
/// Reports found invalid in a batch.
pub type RejectionsOf<T> = BoundedVec<BatchRejection, <T as Config>::MaxReportsPerBatch>;
/// The field indices a statistic names.
pub type FieldIndicesOf<T> = BoundedVec<u16, <T as Config>::MaxSchemaFields>;
/// What `request_statistic` takes.
pub type StatisticKindOf<T> = StatisticKind<FieldIndicesOf<T>>;
/// A statistic job, as stored.
pub type StatisticJobOf<T> =
	StatisticJob<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, FieldIndicesOf<T>>;
/// An aggregate share's `Field128` elements.
pub type ShareValuesOf<T> = BoundedVec<u128, <T as Config>::MaxStatisticValues>;
/// The noise segments of a statistic.
pub type NoiseOf<T> = BoundedVec<NoiseSegment, MaxNoiseSegmentsOf<T>>;
/// An aggregator's share of a statistic, as submitted and stored.
pub type AggregateShareOf<T> = AggregateShareSubmission<ShareValuesOf<T>, NoiseOf<T>>;
/// A published statistic's values.
pub type PublishedValuesOf<T> = BoundedVec<i128, <T as Config>::MaxStatisticValues>;
/// A published statistic, as stored.
pub type PublishedStatisticOf<T> =
	PublishedStatistic<BlockNumberFor<T>, PublishedValuesOf<T>, NoiseOf<T>>;
/// A schema as the genesis config takes it: plain vectors.
pub type GenesisSchema = StatisticSchema<Vec<SchemaField<Vec<u8>, Vec<u64>>>>;
/// An aggregator epoch as queries return it: plain vectors.
pub type EpochSummaryOf<T> = AggregatorEpoch<
	BlockNumberFor<T>,
	Vec<AggregatorSlot<<T as frame_system::Config>::AccountId, Vec<u8>>>,
>;
/// A registered schema as queries return it: names, units and boundaries as plain vectors.
pub type SchemaSummaryOf<T> = SchemaInfo<BlockNumberFor<T>, Vec<SchemaField<Vec<u8>, Vec<u64>>>>;
/// A statistic job as queries return it.
pub type JobSummaryOf<T> =
	StatisticJob<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, Vec<u16>>;
/// A report as queries return it, its CID as plain bytes.
pub type ReportSummaryOf<T> =
	ReportInfo<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, Vec<u8>>;
/// A published statistic as queries return it.
pub type PublishedSummaryOf<T> =
	PublishedStatistic<BlockNumberFor<T>, Vec<i128>, Vec<NoiseSegment>>;

/// The most noise segments of a statistic: `MaxSchemaFields + 1` (a mean has one per field and
/// one for its count).
pub struct MaxNoiseSegmentsOf<T>(PhantomData<T>);
impl<T: Config> Get<u32> for MaxNoiseSegmentsOf<T> {
	fn get() -> u32 {
		T::MaxSchemaFields::get().saturating_add(1)
	}
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The origin that registers schemas, starts aggregator epochs and sets the privacy
		/// parameters: `EnsureRoot` (sudo) on a development chain, a majority of members on a
		/// consortium chain.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The consortium: who is an active institution or evaluator.
		type Consortium: pallet_consortium::ConsortiumInterface<Self::AccountId>;

		/// The records reports are made of: their owner, categories and whether retired.
		type Records: RecordLookup<Self::AccountId>;

		/// The most aggregators of one epoch (Prio3 allows up to 254).
		#[pallet::constant]
		type MaxAggregators: Get<u32>;

		/// The fewest aggregators of an epoch. Privacy holds while one aggregator is honest, so
		/// at least 2.
		#[pallet::constant]
		type MinAggregators: Get<u32>;

		/// The most fields of a schema.
		#[pallet::constant]
		type MaxSchemaFields: Get<u32>;

		/// The most histogram bucket boundaries of a field (it then has one more bucket).
		#[pallet::constant]
		type MaxBoundaries: Get<u32>;

		/// The longest field name or unit, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// The longest CID, in bytes.
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// The largest report object, in bytes.
		#[pallet::constant]
		type MaxReportSize: Get<u32>;

		/// The most reports of one verification batch (one block).
		#[pallet::constant]
		type MaxReportsPerBatch: Get<u32>;

		/// The most bytes of verifier shares one aggregator posts for one batch.
		#[pallet::constant]
		type MaxVerifierSharesLen: Get<u32>;

		/// The most bytes of one aggregator's verify-key contribution.
		#[pallet::constant]
		type MaxContributionLen: Get<u32>;

		/// The most reports one person may have registered.
		#[pallet::constant]
		type MaxReportsPerOwner: Get<u32>;

		/// The most institutions that may enrol one person.
		#[pallet::constant]
		type MaxEnrolmentsPerPerson: Get<u32>;

		/// The most statistic jobs that may share a deadline (be requested in one block).
		#[pallet::constant]
		type MaxJobsPerBlock: Get<u32>;

		/// The most values of a statistic (and of an aggregate share): at least
		/// `MaxSchemaFields × (MaxBoundaries + 1)`, the largest histogram.
		#[pallet::constant]
		type MaxStatisticValues: Get<u32>;

		/// The smallest number of verified reports a statistic may be published for (k). The
		/// aggregators' own count of the reports they summed is compared with it.
		#[pallet::constant]
		type MinCohortSize: Get<u32>;

		/// How many blocks after its submission block a verification batch takes shares and
		/// confirmations. Changing it needs a migration of the batches in flight.
		#[pallet::constant]
		type VerificationTimeout: Get<BlockNumberFor<Self>>;

		/// How many blocks after its request a statistic job takes aggregate shares.
		#[pallet::constant]
		type StatisticTimeout: Get<BlockNumberFor<Self>>;

		/// Weight information for extrinsics and hooks of this pallet.
		type WeightInfo: WeightInfo;
	}

	/// The id the next schema gets.
	#[pallet::storage]
	pub type NextSchemaId<T: Config> = StorageValue<_, SchemaId, ValueQuery>;

	/// Every schema ever registered, superseded or not (old reports and jobs still refer to
	/// them).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type Schemas<T: Config> =
		StorageMap<_, Twox64Concat, SchemaId, SchemaInfoOf<T>, OptionQuery>;

	/// The current schema of each data category that has one.
	///
	/// Hasher: `Twox64Concat`, because the categories are a small fixed set.
	#[pallet::storage]
	pub type SchemaOfCategory<T: Config> =
		StorageMap<_, Twox64Concat, DataCategory, SchemaId, OptionQuery>;

	/// The id the next aggregator epoch gets.
	#[pallet::storage]
	pub type NextEpochId<T: Config> = StorageValue<_, AggregatorEpochId, ValueQuery>;

	/// Every aggregator epoch ever started, whatever its status (the audit trail).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type AggregatorEpochs<T: Config> =
		StorageMap<_, Twox64Concat, AggregatorEpochId, AggregatorEpochOf<T>, OptionQuery>;

	/// The active epoch: reports are made for it and statistics requested under it.
	#[pallet::storage]
	pub type ActiveEpoch<T: Config> = StorageValue<_, AggregatorEpochId, OptionQuery>;

	/// The epoch being set up (collecting keys or contributions), if any.
	#[pallet::storage]
	pub type PendingEpoch<T: Config> = StorageValue<_, AggregatorEpochId, OptionQuery>;

	/// Every report ever registered, by id. A report id is never taken twice: this map is the
	/// replay defence.
	///
	/// Hasher: `Blake2_128Concat`, because report ids are chosen by the people who submit them.
	#[pallet::storage]
	pub type Reports<T: Config> =
		StorageMap<_, Blake2_128Concat, ReportId, ReportInfoOf<T>, OptionQuery>;

	/// Each person's reports, oldest first.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type ReportsOf<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<ReportId, T::MaxReportsPerOwner>,
		ValueQuery,
	>;

	/// The verification batches in flight, by the block their reports were submitted in. A
	/// batch is removed when every aggregator confirmed it, or when it times out.
	///
	/// Hasher: `Twox64Concat`, because a block number gives no room to unbalance the trie.
	#[pallet::storage]
	pub type Batches<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, VerificationBatchOf<T>, OptionQuery>;

	/// The verifier shares each aggregator posted for a batch in flight, by (batch, aggregator
	/// index in the epoch). Removed with the batch.
	///
	/// Hashers: `Twox64Concat`, a block number and a small index.
	#[pallet::storage]
	pub type VerifierShares<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		Twox64Concat,
		u32,
		VerifierSharesOf<T>,
		OptionQuery,
	>;

	/// The reports of a batch in flight that some aggregator found invalid: the union of what
	/// the confirming aggregators named, the first reason given for a report winning. Removed
	/// with the batch.
	///
	/// Hasher: `Twox64Concat`, because a block number gives no room to unbalance the trie.
	#[pallet::storage]
	pub type BatchRejections<T: Config> =
		StorageMap<_, Twox64Concat, BlockNumberFor<T>, RejectionsOf<T>, ValueQuery>;

	/// The id the next statistic job gets.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, StatisticJobId, ValueQuery>;

	/// Every statistic job ever requested, whatever its status (the audit trail).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type Jobs<T: Config> =
		StorageMap<_, Twox64Concat, StatisticJobId, StatisticJobOf<T>, OptionQuery>;

	/// The aggregate shares submitted for a job awaiting shares, by (job, aggregator index in
	/// the job's epoch). Removed when the job is published, fails or times out.
	///
	/// Hashers: `Twox64Concat`, an id assigned in sequence and a small index.
	#[pallet::storage]
	pub type AggregateShares<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		StatisticJobId,
		Twox64Concat,
		u32,
		AggregateShareOf<T>,
		OptionQuery,
	>;

	/// Every published statistic, by its job: readable by the public.
	///
	/// Hasher: `Twox64Concat`, because job ids are assigned in sequence.
	#[pallet::storage]
	pub type PublishedStatistics<T: Config> =
		StorageMap<_, Twox64Concat, StatisticJobId, PublishedStatisticOf<T>, OptionQuery>;

	/// The jobs awaiting shares, by deadline. A job leaves its entry when it is published or
	/// fails; the entry of block `d` is taken in `on_initialize(d + 1)`.
	///
	/// Hasher: `Twox64Concat`, because a block number gives no room to unbalance the trie.
	#[pallet::storage]
	pub type JobDeadlines<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<StatisticJobId, T::MaxJobsPerBlock>,
		ValueQuery,
	>;

	/// The differential-privacy parameters, once governance (or genesis) set them.
	#[pallet::storage]
	pub type PrivacyParams<T: Config> =
		StorageValue<_, PrivacyParameters<BlockNumberFor<T>>, OptionQuery>;

	/// The ε each (institution, purpose, category) spent, with the budget period it was spent
	/// in (`block / period`); a stored period other than the current one means nothing spent.
	///
	/// Hasher: `Blake2_128Concat`, because the key holds an account id.
	#[pallet::storage]
	pub type BudgetSpent<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		(T::AccountId, PurposeOfUse, DataCategory),
		(BlockNumberFor<T>, EpsilonMillis),
		OptionQuery,
	>;

	/// Who enrolled whom: (person, institution) → the block of enrolment.
	///
	/// Hashers: `Blake2_128Concat`, because account ids are chosen by their owners (and the
	/// person's prefix must be iterable).
	#[pallet::storage]
	pub type Enrolments<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		BlockNumberFor<T>,
		OptionQuery,
	>;

	/// How many institutions enrolled each person (absent: none).
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type EnrolmentCount<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Schemas registered at genesis, in order (a later one for a category supersedes an
		/// earlier one).
		pub schemas: Vec<GenesisSchema>,
		/// The differential-privacy parameters at genesis.
		pub privacy_parameters: Option<PrivacyParameters<BlockNumberFor<T>>>,
		/// The aggregators of epoch 0, started at genesis (collecting keys) when non-empty.
		/// They are not checked against the consortium: genesis is trusted configuration, and
		/// the consortium's own genesis may be built after this one.
		pub aggregators: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for schema in &self.schemas {
				let schema = Pallet::<T>::bounded_schema(schema)
					.expect("a genesis schema exceeds the pallet's bounds");
				Pallet::<T>::validate_schema(&schema).expect("invalid genesis schema");
				Pallet::<T>::insert_schema(schema);
			}
			if let Some(params) = &self.privacy_parameters {
				Pallet::<T>::validate_privacy_parameters(params)
					.expect("invalid genesis privacy parameters");
				PrivacyParams::<T>::put(params.clone());
			}
			if !self.aggregators.is_empty() {
				let aggregators: AggregatorsOf<T> = self
					.aggregators
					.clone()
					.try_into()
					.expect("more genesis aggregators than MaxAggregators");
				Pallet::<T>::check_aggregator_list(&aggregators)
					.expect("genesis aggregators: too few, or one named twice");
				Pallet::<T>::open_epoch(aggregators);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance registered a statistic schema for a data category.
		SchemaRegistered {
			/// The new schema.
			schema: SchemaId,
			/// Its category.
			category: DataCategory,
			/// The category's previous schema, now superseded.
			supersedes: Option<SchemaId>,
		},
		/// Governance started an aggregator epoch: each aggregator must now post its HPKE key.
		AggregatorEpochStarted {
			/// The new epoch.
			epoch: AggregatorEpochId,
			/// Its aggregators, in Prio3 order.
			aggregators: AggregatorsOf<T>,
		},
		/// An epoch being set up was cancelled by a newer one.
		AggregatorEpochCancelled {
			/// The cancelled epoch.
			epoch: AggregatorEpochId,
		},
		/// An aggregator posted its HPKE key for an epoch.
		AggregatorKeySubmitted {
			/// The epoch.
			epoch: AggregatorEpochId,
			/// The aggregator.
			aggregator: T::AccountId,
			/// Its key.
			key: HpkePublicKey,
		},
		/// Every key of an epoch is in: each aggregator must now post its verify-key
		/// contribution, sealed to every aggregator's key.
		EpochCollectingContributions {
			/// The epoch.
			epoch: AggregatorEpochId,
		},
		/// An aggregator posted its verify-key contribution.
		VerifyKeyContributionSubmitted {
			/// The epoch.
			epoch: AggregatorEpochId,
			/// The aggregator.
			aggregator: T::AccountId,
		},
		/// Every contribution of an epoch is in: it is active.
		EpochActivated {
			/// The epoch, now active.
			epoch: AggregatorEpochId,
			/// The previously active epoch, now retired.
			retired: Option<AggregatorEpochId>,
		},
		/// A person registered a report; it awaits verification in the batch of this block.
		ReportSubmitted {
			/// The report.
			report: ReportId,
			/// Its owner.
			owner: T::AccountId,
			/// The record it reports on.
			record: RecordId,
			/// Its schema.
			schema: SchemaId,
			/// The epoch it is sealed to.
			epoch: AggregatorEpochId,
		},
		/// An aggregator posted its verifier shares for a batch.
		VerifierSharesPosted {
			/// The batch (its submission block).
			batch: BlockNumberFor<T>,
			/// The aggregator.
			aggregator: T::AccountId,
		},
		/// An aggregator confirmed a batch.
		BatchConfirmed {
			/// The batch.
			batch: BlockNumberFor<T>,
			/// The aggregator.
			aggregator: T::AccountId,
			/// How many reports it found invalid.
			rejected: u32,
		},
		/// A report is left out of every statistic.
		ReportRejected {
			/// The report.
			report: ReportId,
			/// Why.
			reason: RejectionReason,
		},
		/// Every aggregator confirmed a batch: its reports are verified or rejected.
		BatchVerified {
			/// The batch.
			batch: BlockNumberFor<T>,
			/// How many reports were verified.
			verified: u32,
			/// How many were rejected.
			rejected: u32,
		},
		/// A batch was not confirmed by every aggregator by its deadline: its reports were
		/// rejected with `VerificationTimeout`.
		BatchTimedOut {
			/// The batch.
			batch: BlockNumberFor<T>,
			/// How many reports were rejected.
			rejected: u32,
		},
		/// An institution requested a statistic.
		StatisticRequested {
			/// The new job.
			job: StatisticJobId,
			/// The institution.
			requester: T::AccountId,
			/// The schema.
			schema: SchemaId,
			/// The purpose the cohort consented to.
			purpose: PurposeOfUse,
			/// The ε it spends.
			epsilon: EpsilonMillis,
		},
		/// An aggregator submitted its share of a statistic.
		AggregateShareSubmitted {
			/// The job.
			job: StatisticJobId,
			/// The aggregator.
			aggregator: T::AccountId,
		},
		/// A statistic was published: the sum of every aggregator's noisy share.
		StatisticPublished {
			/// The job.
			job: StatisticJobId,
			/// How many verified reports were summed.
			reports: u32,
			/// The noisy values.
			values: PublishedValuesOf<T>,
			/// The ε spent.
			epsilon: EpsilonMillis,
		},
		/// A statistic job failed; nothing was published.
		StatisticFailed {
			/// The job.
			job: StatisticJobId,
			/// Why.
			reason: StatisticFailure,
		},
		/// Governance set the differential-privacy parameters.
		PrivacyParametersSet {
			/// The new parameters.
			params: PrivacyParameters<BlockNumberFor<T>>,
		},
		/// An institution enrolled a person.
		Enrolled {
			/// The person.
			person: T::AccountId,
			/// The institution.
			institution: T::AccountId,
		},
		/// An institution withdrew a person's enrolment.
		Unenrolled {
			/// The person.
			person: T::AccountId,
			/// The institution.
			institution: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The schema has no field. Give at least one (and at most `MaxSchemaFields`).
		EmptySchema,
		/// A field has an empty name. Name every field.
		EmptyFieldName,
		/// Two fields have the same name. Name each field once.
		DuplicateFieldName,
		/// A field's `max` is 0 or above `2^48 − 1`. Give the largest value the field may take,
		/// between 1 and `2^48 − 1`.
		FieldMaxOutOfRange,
		/// A field's bucket boundaries are empty, not strictly increasing, or outside
		/// `1..=max`. Give at least one boundary, increasing, each between 1 and the field's
		/// `max`; or `None` for a field without a histogram.
		InvalidBuckets,
		/// An epoch needs at least `MinAggregators` aggregators. Name more evaluators.
		TooFewAggregators,
		/// An account is named twice as aggregator. Name each once.
		DuplicateAggregator,
		/// An aggregator is not an active evaluator of the consortium. Name only active
		/// evaluators (admit or reinstate them first).
		NotActiveEvaluator,
		/// There is no aggregator epoch with this id.
		NoSuchEpoch,
		/// The epoch does not collect keys: all are in, or it was cancelled.
		EpochNotCollectingKeys,
		/// You are not an aggregator of this epoch (or of the batch's or job's epoch). Only the
		/// aggregators governance named take part.
		NotAnAggregator,
		/// You already posted your key for this epoch; a key is posted once.
		KeyAlreadySubmitted,
		/// The epoch does not collect verify-key contributions: it still waits for keys, all
		/// contributions are in, or it was cancelled.
		EpochNotCollectingContributions,
		/// You already posted your contribution for this epoch; it is posted once.
		ContributionAlreadySubmitted,
		/// The contribution is empty. Post your contribution sealed to every aggregator.
		EmptyContribution,
		/// No aggregator epoch is active, so no report can be made and no statistic computed.
		/// Governance must start an epoch and its aggregators complete it first.
		NoActiveEpoch,
		/// There is no record with this id. Register the record first.
		UnknownRecord,
		/// You do not own this record. Only the person a record is about may report on it.
		NotRecordOwner,
		/// The record was retired: it takes no more reports.
		RecordRetired,
		/// There is no schema with this id.
		UnknownSchema,
		/// A newer schema replaced this one for its category. Use the category's current
		/// schema (`schema_of`).
		SchemaSuperseded,
		/// The record does not hold the schema's data category.
		CategoryNotInRecord,
		/// A report with this id was registered before. Report ids are never reused: make a new
		/// report (with a new salt).
		ReportIdTaken,
		/// The CID is empty. Give the IPFS CID of the report object.
		EmptyCid,
		/// The report's size is 0 or above `MaxReportSize`. Give the object's size in bytes.
		InvalidReportSize,
		/// This block's batch holds `MaxReportsPerBatch` reports. Submit in a later block.
		BatchFull,
		/// You have `MaxReportsPerOwner` reports registered and cannot add more.
		TooManyReports,
		/// A new aggregator epoch became active in this block after this block's batch was
		/// opened under the previous one. Submit in the next block.
		EpochChangedInBlock,
		/// There is no verification batch in flight for this block: it was confirmed, timed
		/// out, or never had a report.
		NoSuchBatch,
		/// The deadline of the batch or job has passed: it takes nothing more and is being
		/// closed.
		DeadlinePassed,
		/// You already posted your verifier shares for this batch; they are posted once.
		SharesAlreadyPosted,
		/// The verifier shares are empty.
		EmptyShares,
		/// Not every aggregator has posted its verifier shares yet. Confirm once all have.
		SharesMissing,
		/// You already confirmed this batch; a batch is confirmed once per aggregator.
		AlreadyConfirmed,
		/// A rejection names an index past the batch's reports. Name reports by their index in
		/// the batch.
		RejectionIndexOutOfRange,
		/// Only an active institution of the consortium may do this.
		NotActiveInstitution,
		/// The statistic does not fit the schema: no field named for a sum, mean or histogram,
		/// a field index out of range or named twice, a histogram of a field without buckets,
		/// or more values than `MaxStatisticValues`.
		InvalidStatistic,
		/// Statistics may only be requested for PUBHLTH, HRESCH or POPHLTH, the purposes people
		/// join cohorts for.
		NotStatisticsPurpose,
		/// Governance has not set the differential-privacy parameters yet.
		PrivacyParametersNotSet,
		/// This statistic would spend more ε than your budget for this purpose and category
		/// has left in the current period. Wait for the next period.
		BudgetExhausted,
		/// `MaxJobsPerBlock` statistics were requested in this block. Request in a later block.
		TooManyJobsInBlock,
		/// There is no statistic job with this id.
		NoSuchJob,
		/// The job takes no more shares: it was published, failed or timed out.
		JobNotAwaitingShares,
		/// You already submitted your share of this job; a share is submitted once.
		ShareAlreadySubmitted,
		/// The share does not have the statistic's number of values: 1 for a count, one per
		/// field for a sum, one per field then the count for a mean, one per bucket of each
		/// field for a histogram.
		WrongValueCount,
		/// A value is not a `Field128` element (it is not below the modulus).
		ValueOutOfField,
		/// The noise segments do not describe the values: they must cover them exactly, in
		/// order, each at least one value with a positive ε, and together spend no more than
		/// the job's ε.
		InvalidNoise,
		/// The privacy parameters are invalid: ε per statistic must be positive, the budget at
		/// least ε, and the period positive.
		InvalidPrivacyParameters,
		/// You already enrolled this person.
		AlreadyEnrolled,
		/// This person is enrolled by `MaxEnrolmentsPerPerson` institutions already.
		TooManyEnrolments,
		/// You have not enrolled this person.
		NotEnrolled,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Close the batch and the jobs whose deadline was the previous block (see the crate
		/// documentation, "Timeouts").
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_batch_timeout(now).saturating_add(Self::process_job_timeouts(now))
		}

		fn integrity_test() {
			assert!(T::MinAggregators::get() >= 2, "MinAggregators must be >= 2 (privacy)");
			assert!(
				T::MinAggregators::get() <= T::MaxAggregators::get(),
				"MinAggregators must be <= MaxAggregators"
			);
			assert!(T::MaxAggregators::get() <= 254, "Prio3 takes at most 254 aggregators");
			assert!(T::MaxSchemaFields::get() > 0, "MaxSchemaFields must be > 0");
			assert!(
				T::MaxSchemaFields::get() <= u16::MAX as u32,
				"field indices are u16: MaxSchemaFields must fit"
			);
			assert!(
				T::MaxStatisticValues::get() as u64
					>= T::MaxSchemaFields::get() as u64 * (T::MaxBoundaries::get() as u64 + 1),
				"MaxStatisticValues must hold the largest histogram"
			);
			assert!(T::MaxReportsPerBatch::get() > 0, "MaxReportsPerBatch must be > 0");
			assert!(T::MaxJobsPerBlock::get() > 0, "MaxJobsPerBlock must be > 0");
			assert!(T::MinCohortSize::get() > 0, "MinCohortSize must be > 0");
			assert!(
				T::VerificationTimeout::get() > BlockNumberFor::<T>::zero(),
				"VerificationTimeout must be > 0"
			);
			assert!(
				T::StatisticTimeout::get() > BlockNumberFor::<T>::zero(),
				"StatisticTimeout must be > 0"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register the statistic schema of a data category: the fields its reports carry.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// - `schema`: the category and 1 to `MaxSchemaFields` fields, each with a non-empty
		///   name distinct from the others, a unit, a `max` between 1 and `2^48 − 1` (a report's
		///   proof enforces `0 ≤ value ≤ max`) and, for a field that has a histogram, bucket
		///   boundaries strictly increasing, each in `1..=max`.
		///
		/// The category's current schema, if any, is superseded: it takes no new reports or
		/// requests, while its reports and jobs still resolve.
		///
		/// ## Errors
		/// `BadOrigin`, `EmptySchema`, `EmptyFieldName`, `DuplicateFieldName`,
		/// `FieldMaxOutOfRange`, `InvalidBuckets`.
		///
		/// ## Events
		/// [`Event::SchemaRegistered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_schema(
			schema.fields.len() as u32,
			Pallet::<T>::most_boundaries(schema),
		))]
		pub fn register_schema(
			origin: OriginFor<T>,
			schema: StatisticSchemaOf<T>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_register_schema(schema).map(|_| ())
		}

		/// Start an aggregator epoch: its aggregators each post an HPKE key, then a verify-key
		/// contribution, and the epoch becomes active.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// - `aggregators`: `MinAggregators` to `MaxAggregators` active evaluators, each named
		///   once, in Prio3 order (the first is the leader).
		///
		/// An epoch still being set up is cancelled. The active epoch stays active until the
		/// new one is complete; then it is retired (its jobs still finish).
		///
		/// ## Errors
		/// `BadOrigin`, `TooFewAggregators`, `DuplicateAggregator`, `NotActiveEvaluator`.
		///
		/// ## Events
		/// [`Event::AggregatorEpochCancelled`] for an epoch cancelled, then
		/// [`Event::AggregatorEpochStarted`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::start_aggregator_epoch(aggregators.len() as u32))]
		pub fn start_aggregator_epoch(
			origin: OriginFor<T>,
			aggregators: AggregatorsOf<T>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_start_aggregator_epoch(aggregators).map(|_| ())
		}

		/// Post your HPKE public key for an epoch: reports' input shares and the other
		/// aggregators' contributions are sealed to it.
		///
		/// ## Dispatch Origin
		/// Signed, by an aggregator of the epoch.
		///
		/// ## Details
		/// - `epoch`: an epoch collecting keys.
		/// - `key`: your X25519 public key for this epoch.
		///
		/// The last key makes the epoch collect contributions.
		///
		/// ## Errors
		/// `NoSuchEpoch`, `EpochNotCollectingKeys`, `NotAnAggregator`, `KeyAlreadySubmitted`.
		///
		/// ## Events
		/// [`Event::AggregatorKeySubmitted`], then [`Event::EpochCollectingContributions`] for
		/// the last key.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::submit_aggregator_key(T::MaxAggregators::get()))]
		pub fn submit_aggregator_key(
			origin: OriginFor<T>,
			epoch: AggregatorEpochId,
			key: HpkePublicKey,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let aggregators = Self::do_submit_aggregator_key(who, epoch, key)?;
			Ok(Some(T::WeightInfo::submit_aggregator_key(aggregators)).into())
		}

		/// Post your verify-key contribution for an epoch: your random share of the Prio3
		/// verification key, sealed to every aggregator's epoch key, so that the aggregators
		/// agree on the key and nobody else learns it.
		///
		/// ## Dispatch Origin
		/// Signed, by an aggregator of the epoch.
		///
		/// ## Details
		/// - `epoch`: an epoch collecting contributions.
		/// - `contribution`: the sealed contribution, non-empty.
		///
		/// The last contribution activates the epoch and retires the previously active one.
		///
		/// ## Errors
		/// `NoSuchEpoch`, `EmptyContribution`, `EpochNotCollectingContributions`,
		/// `NotAnAggregator`, `ContributionAlreadySubmitted`.
		///
		/// ## Events
		/// [`Event::VerifyKeyContributionSubmitted`], then [`Event::EpochActivated`] for the
		/// last contribution.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::submit_verify_key_contribution(T::MaxAggregators::get()))]
		pub fn submit_verify_key_contribution(
			origin: OriginFor<T>,
			epoch: AggregatorEpochId,
			contribution: ContributionOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let aggregators = Self::do_submit_verify_key_contribution(who, epoch, contribution)?;
			Ok(Some(T::WeightInfo::submit_verify_key_contribution(aggregators)).into())
		}

		/// Register a report of one of your records: a Prio3 report of the record's statistic
		/// fields, made for the active epoch, stored in IPFS.
		///
		/// ## Dispatch Origin
		/// Signed, by the record's owner.
		///
		/// ## Details
		/// - `record`: a record you own that is not retired and holds the schema's category.
		/// - `schema`: the category's current schema.
		/// - `report`: the report's id, never used before (it binds the report to you, the
		///   record, the epoch, the schema and the chain; the aggregators check it).
		/// - `cid`, `content_hash`, `size`: the report object in IPFS, its hash and its size in
		///   bytes (1 to `MaxReportSize`).
		///
		/// The report joins this block's verification batch, opened (with deadline
		/// `now + VerificationTimeout`) by the block's first report.
		///
		/// ## Errors
		/// `NoActiveEpoch`, `UnknownRecord`, `NotRecordOwner`, `RecordRetired`,
		/// `UnknownSchema`, `SchemaSuperseded`, `CategoryNotInRecord`, `ReportIdTaken`,
		/// `EmptyCid`, `InvalidReportSize`, `EpochChangedInBlock`, `BatchFull`,
		/// `TooManyReports`.
		///
		/// ## Events
		/// [`Event::ReportSubmitted`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::submit_report())]
		pub fn submit_report(
			origin: OriginFor<T>,
			record: RecordId,
			schema: SchemaId,
			report: ReportId,
			cid: CidOf<T>,
			content_hash: H256,
			size: u32,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_report(who, record, schema, report, cid, content_hash, size)
		}

		/// Post your verifier shares for a verification batch: one per report, in batch order
		/// (the encoding is the aggregators' business).
		///
		/// ## Dispatch Origin
		/// Signed, by an aggregator of the batch's epoch.
		///
		/// ## Details
		/// - `batch`: the block the batch's reports were submitted in; up to its deadline.
		/// - `shares`: your verifier shares, non-empty.
		///
		/// ## Errors
		/// `NoSuchBatch`, `DeadlinePassed`, `NotAnAggregator`, `SharesAlreadyPosted`,
		/// `EmptyShares`.
		///
		/// ## Events
		/// [`Event::VerifierSharesPosted`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::submit_verifier_shares(shares.len() as u32))]
		pub fn submit_verifier_shares(
			origin: OriginFor<T>,
			batch: BlockNumberFor<T>,
			shares: VerifierSharesOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_verifier_shares(who, batch, shares)
		}

		/// Confirm a verification batch once every aggregator's verifier shares are posted,
		/// naming the reports you found invalid.
		///
		/// ## Dispatch Origin
		/// Signed, by an aggregator of the batch's epoch.
		///
		/// ## Details
		/// - `batch`: a batch in flight, up to its deadline, whose verifier shares are all
		///   posted, and that you have not confirmed.
		/// - `rejected`: the reports you found invalid, by index in the batch, with the reason.
		///   A report any aggregator names is rejected, with the first reason given for it.
		///
		/// The last confirmation settles the batch: each report is `Verified` or `Rejected`,
		/// and the batch's shares are removed.
		///
		/// ## Errors
		/// `NoSuchBatch`, `DeadlinePassed`, `NotAnAggregator`, `SharesMissing`,
		/// `AlreadyConfirmed`, `RejectionIndexOutOfRange`.
		///
		/// ## Events
		/// [`Event::BatchConfirmed`]; for the last confirmation [`Event::ReportRejected`] per
		/// rejected report, then [`Event::BatchVerified`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::confirm_batch(
			T::MaxReportsPerBatch::get(),
			T::MaxAggregators::get(),
		))]
		pub fn confirm_batch(
			origin: OriginFor<T>,
			batch: BlockNumberFor<T>,
			rejected: RejectionsOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let (reports, aggregators) = Self::do_confirm_batch(who, batch, rejected)?;
			Ok(Some(T::WeightInfo::confirm_batch(reports, aggregators)).into())
		}

		/// Ask for a statistic of a schema's fields over the cohort that consented,
		/// consortium-wide, to `purpose` for the schema's category.
		///
		/// ## Dispatch Origin
		/// Signed, by an active institution.
		///
		/// ## Details
		/// - `schema`: a current (not superseded) schema.
		/// - `kind`: a count; or a sum, mean or histogram of distinct fields of the schema (a
		///   histogram only of fields with buckets).
		/// - `purpose`: PUBHLTH, HRESCH or POPHLTH.
		///
		/// The request spends ε per statistic from your budget for (purpose, category) in the
		/// current period (`block / period`), even if the job later fails. The cohort is the
		/// one of this block; the active epoch's aggregators compute it by
		/// `now + StatisticTimeout`.
		///
		/// ## Errors
		/// `NotActiveInstitution`, `UnknownSchema`, `SchemaSuperseded`, `InvalidStatistic`,
		/// `NotStatisticsPurpose`, `NoActiveEpoch`, `PrivacyParametersNotSet`,
		/// `BudgetExhausted`, `TooManyJobsInBlock`.
		///
		/// ## Events
		/// [`Event::StatisticRequested`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::request_statistic(Pallet::<T>::kind_fields(kind)))]
		pub fn request_statistic(
			origin: OriginFor<T>,
			schema: SchemaId,
			kind: StatisticKindOf<T>,
			purpose: PurposeOfUse,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_statistic(who, schema, kind, purpose).map(|_| ())
		}

		/// Submit your noisy aggregate share of a statistic.
		///
		/// ## Dispatch Origin
		/// Signed, by an aggregator of the job's epoch.
		///
		/// ## Details
		/// - `job`: a job awaiting shares, up to its deadline, you have not submitted to.
		/// - `share`: the number of verified reports you summed, the hash of their sorted ids,
		///   your noisy share (`Field128` elements: 1 for a count, one per field for a sum, one
		///   per field then the count for a mean, one per bucket of each field for a
		///   histogram), and the noise you added per segment.
		///
		/// When every aggregator has submitted: if the shares disagree on the reports, the
		/// cohort hash or the noise, the job fails with `SharesDisagree`; if fewer than
		/// [`Config::MinCohortSize`] reports were summed, with `CohortTooSmall`; otherwise the
		/// shares are added up modulo the `Field128` prime and published (values above half
		/// the modulus read as negative). The shares are removed either way.
		///
		/// ## Errors
		/// `NoSuchJob`, `JobNotAwaitingShares`, `DeadlinePassed`, `NotAnAggregator`,
		/// `ShareAlreadySubmitted`, `WrongValueCount`, `ValueOutOfField`, `InvalidNoise`.
		///
		/// ## Events
		/// [`Event::AggregateShareSubmitted`]; for the last share [`Event::StatisticPublished`]
		/// or [`Event::StatisticFailed`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::submit_aggregate_share(
			T::MaxAggregators::get(),
			share.values.len() as u32,
		))]
		pub fn submit_aggregate_share(
			origin: OriginFor<T>,
			job: StatisticJobId,
			share: AggregateShareOf<T>,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let values = share.values.len() as u32;
			let aggregators = Self::do_submit_aggregate_share(who, job, share)?;
			Ok(Some(T::WeightInfo::submit_aggregate_share(aggregators, values)).into())
		}

		/// Set the differential-privacy parameters: ε per statistic, the budget per
		/// (institution, purpose, category) and the length of a budget period.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// - `params`: ε per statistic > 0, budget ≥ ε, period > 0 blocks.
		///
		/// Budgets are counted per period index `block / period`: a new period length changes
		/// the index, and what was spent counts only where the index is unchanged.
		///
		/// ## Errors
		/// `BadOrigin`, `InvalidPrivacyParameters`.
		///
		/// ## Events
		/// [`Event::PrivacyParametersSet`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_privacy_parameters())]
		pub fn set_privacy_parameters(
			origin: OriginFor<T>,
			params: PrivacyParameters<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::validate_privacy_parameters(&params)?;
			PrivacyParams::<T>::put(params.clone());
			Self::deposit_event(Event::PrivacyParametersSet { params });
			Ok(())
		}

		/// Enrol a person: vouch that the account is a real patient you know. A person counts
		/// toward a statistic only when enrolled by an active institution other than the one
		/// that asks.
		///
		/// ## Dispatch Origin
		/// Signed, by an active institution.
		///
		/// ## Details
		/// - `person`: an account you have not enrolled, enrolled by fewer than
		///   `MaxEnrolmentsPerPerson` institutions.
		///
		/// ## Errors
		/// `NotActiveInstitution`, `AlreadyEnrolled`, `TooManyEnrolments`.
		///
		/// ## Events
		/// [`Event::Enrolled`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::enrol())]
		pub fn enrol(origin: OriginFor<T>, person: T::AccountId) -> DispatchResult {
			let institution = ensure_signed(origin)?;
			Self::do_enrol(institution, person)
		}

		/// Withdraw your enrolment of a person.
		///
		/// ## Dispatch Origin
		/// Signed, by the institution that enrolled the person (active or not).
		///
		/// ## Errors
		/// `NotEnrolled`.
		///
		/// ## Events
		/// [`Event::Unenrolled`].
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::unenrol())]
		pub fn unenrol(origin: OriginFor<T>, person: T::AccountId) -> DispatchResult {
			let institution = ensure_signed(origin)?;
			Self::do_unenrol(institution, person)
		}
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// The position of `who` among the aggregators of `epoch`.
	fn aggregator_index(epoch: AggregatorEpochId, who: &T::AccountId) -> Option<usize> {
		AggregatorEpochs::<T>::get(epoch)?
			.aggregators
			.iter()
			.position(|s| &s.account == who)
	}

	/// The number of aggregators of `epoch` (0 for an unknown epoch).
	fn aggregator_count(epoch: AggregatorEpochId) -> u32 {
		AggregatorEpochs::<T>::get(epoch).map_or(0, |e| e.aggregators.len() as u32)
	}
}
