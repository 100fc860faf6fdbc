// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # FHE pallet
//!
//! Encrypted computation on health data, agreed on chain: personal evaluation keys, dealer-free
//! consortium key epochs, auditable prediction models, evaluation jobs whose results a quorum of
//! evaluators agrees, decryption shares, and published cohort statistics.
//!
//! - [`Config`]
//! - [`Call`]
//!
//! ## Overview
//!
//! The pallet knows nothing of tfhe or IPFS: it stores CIDs, content hashes, bounded bytes and
//! small integers. The FHE work is done off chain by **evaluators** (active consortium members of
//! kind `Evaluator`, run by validators), which read what to do through runtime APIs and submit
//! their results as signed extrinsics.
//!
//! - **Evaluation keys.** Any account may register its FHE evaluation material (stored in IPFS)
//!   for generic programs run on its own encrypted data.
//! - **Key epochs.** Governance starts a key epoch naming its key holders (active evaluators) and
//!   the pallet derives a public common seed. Each holder generates its own secret share and
//!   submits a public-key share; when every share is in, the pallet creates a *joint-key job*,
//!   and once evaluators agree on the joint public key (the sum of the shares) the epoch becomes
//!   **current** and the previous one is retired. No dealer ever holds the consortium secret key.
//! - **Models.** Institutions register linear models as PMHE tuple templates (features, units,
//!   fixed-point scales, weights, bias, output meaning, provenance), readable by anyone.
//! - **Prediction jobs.** An individual asks for a model's score over an input they encrypted
//!   under their own key; evaluators compute it and submit the result's CID and hash; only the
//!   individual can decrypt it.
//! - **Statistic jobs.** An institution asks for a count, sum, mean or histogram of a field over
//!   the cohort that consented, consortium-wide, to a statistics purpose (PUBHLTH, HRESCH,
//!   POPHLTH) for the category, taken at the request block. Evaluators agree on the encrypted
//!   aggregate and its cohort size; an aggregate of fewer than [`Config::MinCohortSize`] records
//!   fails and is never decrypted. Otherwise every holder of the job's key epoch submits a
//!   decryption share, evaluators combine them and agree on the plaintext values, and the pallet
//!   publishes them.
//! - **Agreement.** A result is final when [`Config::ResultQuorum`] distinct evaluators submitted
//!   the identical outcome (the same for published values). Differing submissions emit
//!   [`Event::ResultsDisagree`], once per job and phase; they are never resolved silently.
//! - **Timeouts.** A job not final (or published) before its deadline,
//!   [`Config::JobTimeout`] blocks after its request, times out. Timeouts are processed in
//!   `on_initialize` from an ordered queue, one bucket of job ids per deadline block and a
//!   cursor, at most [`Config::MaxTimeoutsPerBlock`] steps per block; what does not fit carries
//!   over to the next block, nothing is skipped. No call changes a job from its deadline on.
//!
//! Every transition emits an event. The pallet depends on the consortium only through
//! [`Config::Consortium`] (`pallet_consortium::ConsortiumInterface`).
//!
//! ## Interface
//!
//! ### Dispatchable functions
//!
//! For individuals (any signed account):
//! * [`register_evaluation_key`](Pallet::register_evaluation_key) - Register (or replace) your
//!   evaluation key.
//! * [`remove_evaluation_key`](Pallet::remove_evaluation_key) - Remove it.
//! * [`request_prediction`](Pallet::request_prediction) - Ask for a model's encrypted score.
//!
//! For institutions:
//! * [`register_model`](Pallet::register_model) - Register a model's tuple template.
//! * [`retire_model`](Pallet::retire_model) - Retire a model you registered.
//! * [`request_statistic`](Pallet::request_statistic) - Ask for a cohort statistic.
//!
//! For evaluators and key holders:
//! * [`submit_key_share`](Pallet::submit_key_share) - Submit your public-key share of an epoch.
//! * [`submit_result`](Pallet::submit_result) - Submit a job's outcome.
//! * [`submit_decryption_share`](Pallet::submit_decryption_share) - Submit your decryption
//!   share of an agreed aggregate.
//! * [`publish_statistic`](Pallet::publish_statistic) - Submit a statistic's plaintext values.
//!
//! For governance ([`Config::GovernanceOrigin`]):
//! * [`start_key_epoch`](Pallet::start_key_epoch) - Start a key epoch with its key holders.
//!
//! ### Queries (plain functions, for runtime APIs)
//!
//! * [`Pallet::pending_jobs`] - What an evaluator should work on now.
//! * [`Pallet::shares_awaited`] - Which statistics wait for a key holder's decryption share.
//! * [`Pallet::key_epoch`], [`Pallet::current_key_epoch`] - Key epochs.
//! * [`Pallet::job`], [`Pallet::model`], [`Pallet::published_statistic`],
//!   [`Pallet::evaluation_key`] - Jobs, models, published statistics, evaluation keys.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub use custodia_primitives::fhe as types;
pub mod weights;

use alloc::vec::Vec;
use core::marker::PhantomData;
use custodia_primitives::consent::{DataCategory, PurposeOfUse};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::*;
use pallet_consortium::{ConsortiumInterface, MemberKind};
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash, One, Saturating};

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::fhe";

/// The domain tag hashed into every key epoch's common seed.
pub const COMMON_SEED_DOMAIN: &[u8] = b"custodia/fhe/key-epoch/common-seed/v1";

/// An IPFS CID, as bytes.
pub type CidOf<T> = BoundedVec<u8, <T as Config>::MaxCidLen>;
/// A model or feature name.
pub type NameOf<T> = BoundedVec<u8, <T as Config>::MaxNameLen>;
/// A free text: a unit, an output meaning, a provenance.
pub type TextOf<T> = BoundedVec<u8, <T as Config>::MaxTextLen>;
/// A feature of a model's template, as stored.
pub type FeatureSpecOf<T> = FeatureSpec<NameOf<T>, TextOf<T>>;
/// A model's features.
pub type FeaturesOf<T> = BoundedVec<FeatureSpecOf<T>, <T as Config>::MaxFeatures>;
/// A model's weights, one per feature.
pub type WeightsOf<T> = BoundedVec<i32, <T as Config>::MaxFeatures>;
/// A model's tuple template, as stored and as `register_model` takes it.
pub type ModelTemplateOf<T> = ModelTemplate<NameOf<T>, TextOf<T>, FeaturesOf<T>, WeightsOf<T>>;
/// A registered model.
pub type ModelOf<T> =
	Model<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, ModelTemplateOf<T>>;
/// A histogram's bucket bounds.
pub type BoundsOf<T> = BoundedVec<i64, <T as Config>::MaxHistogramBuckets>;
/// A statistic, as stored.
pub type StatisticOf<T> = Statistic<BoundsOf<T>>;
/// An evaluator's outcome, as stored.
pub type OutcomeOf<T> = Outcome<CidOf<T>>;
/// A submitted outcome.
pub type SubmissionOf<T> =
	Submission<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, OutcomeOf<T>>;
/// A job's submitted outcomes.
pub type SubmissionsOf<T> = BoundedVec<SubmissionOf<T>, <T as Config>::MaxSubmissions>;
/// What a job computes, as stored.
pub type JobKindOf<T> = JobKind<CidOf<T>, BoundsOf<T>>;
/// Where a job stands, as stored.
pub type JobStatusOf<T> = JobStatus<BlockNumberFor<T>, CidOf<T>>;
/// A job, as stored.
pub type JobOf<T> = Job<
	<T as frame_system::Config>::AccountId,
	BlockNumberFor<T>,
	CidOf<T>,
	BoundsOf<T>,
	SubmissionsOf<T>,
>;
/// A statistic's plaintext values: at most `MaxHistogramBuckets + 1`.
pub type ValuesOf<T> = BoundedVec<i128, MaxValuesOf<T>>;
/// Submitted plaintext values.
pub type VoteOf<T> =
	Submission<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, ValuesOf<T>>;
/// A statistic's submitted plaintext values.
pub type VotesOf<T> = BoundedVec<VoteOf<T>, <T as Config>::MaxSubmissions>;
/// A key holder's share slot.
pub type HolderShareOf<T> = HolderShare<<T as frame_system::Config>::AccountId, CidOf<T>>;
/// The share slots of every key holder of an epoch, or of a job's epoch.
pub type HolderSharesOf<T> = BoundedVec<HolderShareOf<T>, <T as Config>::MaxKeyHolders>;
/// The key holders `start_key_epoch` takes.
pub type HoldersOf<T> =
	BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxKeyHolders>;
/// A key epoch, as stored.
pub type KeyEpochOf<T> = KeyEpoch<BlockNumberFor<T>, CidOf<T>, HolderSharesOf<T>>;
/// A published statistic, as stored.
pub type PublishedStatisticOf<T> =
	PublishedStatistic<BlockNumberFor<T>, CidOf<T>, BoundsOf<T>, ValuesOf<T>>;
/// An evaluation key, as stored.
pub type EvaluationKeyOf<T> = EvaluationKey<BlockNumberFor<T>, CidOf<T>>;

/// The most values a statistic publishes: `MaxHistogramBuckets + 1` (a histogram with that many
/// bounds has one more bucket).
pub struct MaxValuesOf<T>(PhantomData<T>);
impl<T: Config> Get<u32> for MaxValuesOf<T> {
	fn get() -> u32 {
		T::MaxHistogramBuckets::get().saturating_add(1)
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
		/// The consortium: who is an active institution or evaluator.
		type Consortium: ConsortiumInterface<Self::AccountId>;

		/// The origin that starts key epochs: `EnsureRoot` (sudo) on a development chain, a
		/// majority of members on a consortium chain.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// How many distinct evaluators must submit the identical outcome (or identical values)
		/// for it to be final, unless the chain's genesis sets another value
		/// ([`GenesisConfig::result_quorum`], see [`Pallet::result_quorum`]). 1 suits a
		/// development chain with one evaluator; a consortium chain needs more than the number
		/// of evaluators that may be faulty.
		#[pallet::constant]
		type ResultQuorum: Get<u32>;

		/// The smallest cohort a statistic may be decrypted for (k-anonymity threshold): an
		/// agreed aggregate over fewer records fails with `CohortTooSmall`.
		#[pallet::constant]
		type MinCohortSize: Get<u32>;

		/// How many blocks after its request a job times out unless it is final (or published).
		#[pallet::constant]
		type JobTimeout: Get<BlockNumberFor<Self>>;

		/// The most steps of timeout work per block (one per job looked at, one per block bucket
		/// finished); the rest carries over to the next block.
		#[pallet::constant]
		type MaxTimeoutsPerBlock: Get<u32>;

		/// The longest CID, in bytes.
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// The longest model or feature name, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// The longest free text (unit, output meaning, provenance), in bytes.
		#[pallet::constant]
		type MaxTextLen: Get<u32>;

		/// The most features a model may have.
		#[pallet::constant]
		type MaxFeatures: Get<u32>;

		/// The most outcomes (or value submissions) one job may collect: at least
		/// `ResultQuorum`.
		#[pallet::constant]
		type MaxSubmissions: Get<u32>;

		/// The most key holders of one key epoch.
		#[pallet::constant]
		type MaxKeyHolders: Get<u32>;

		/// The most jobs that may be open (not final, failed, published or timed out) at once.
		#[pallet::constant]
		type MaxPendingJobs: Get<u32>;

		/// The most prediction and statistic jobs one account may have open at once, so that no
		/// account can fill [`Config::MaxPendingJobs`] and lock everyone else out.
		#[pallet::constant]
		type MaxOpenJobsPerAccount: Get<u32>;

		/// The most bucket bounds of a histogram (it then has one more bucket).
		#[pallet::constant]
		type MaxHistogramBuckets: Get<u32>;

		/// Weight information for extrinsics in this pallet.
		type WeightInfo: WeightInfo;
	}

	/// Each account's FHE evaluation key, for generic programs over its own data.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type EvaluationKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, EvaluationKeyOf<T>, OptionQuery>;

	/// The id the next key epoch gets.
	#[pallet::storage]
	pub type NextEpochId<T: Config> = StorageValue<_, EpochId, ValueQuery>;

	/// Every key epoch ever started, whatever its status (the audit trail).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type KeyEpochs<T: Config> =
		StorageMap<_, Twox64Concat, EpochId, KeyEpochOf<T>, OptionQuery>;

	/// The current key epoch, once one has a joint key.
	#[pallet::storage]
	pub type CurrentEpoch<T: Config> = StorageValue<_, EpochId, OptionQuery>;

	/// The key epoch being set up (collecting shares or awaiting its joint key), if any.
	#[pallet::storage]
	pub type PendingEpoch<T: Config> = StorageValue<_, EpochId, OptionQuery>;

	/// This chain's result quorum, when its genesis set one (one runtime serves the development
	/// chain and the consortium chains); otherwise [`Config::ResultQuorum`] applies.
	#[pallet::storage]
	pub type GenesisResultQuorum<T: Config> = StorageValue<_, u32, OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The chain's result quorum, between 1 and `MaxSubmissions`; `None` keeps
		/// [`Config::ResultQuorum`]. Either way it must be more than half of the evaluators
		/// the chain is founded with (`pallet-consortium`'s genesis), so that a minority of
		/// evaluators can never make a prediction final.
		pub result_quorum: Option<u32>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(quorum) = self.result_quorum {
				assert!(
					quorum > 0 && quorum <= T::MaxSubmissions::get(),
					"result_quorum must be between 1 and MaxSubmissions"
				);
				GenesisResultQuorum::<T>::put(quorum);
			}
			// A chain founded with evaluators must not let a minority of them decide a
			// prediction: more than half must agree. (A development chain starts with none and
			// admits its single evaluator later.) The consortium's genesis is built first: it
			// comes before this pallet in the runtime.
			let evaluators = T::Consortium::active_member_count(MemberKind::Evaluator);
			let quorum = Pallet::<T>::result_quorum();
			assert!(
				evaluators == 0 || quorum.saturating_mul(2) > evaluators,
				"the result quorum must be more than half of the genesis evaluators"
			);
		}
	}

	/// The id the next model gets.
	#[pallet::storage]
	pub type NextModelId<T: Config> = StorageValue<_, ModelId, ValueQuery>;

	/// Every model ever registered, retired or not.
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelOf<T>, OptionQuery>;

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// Every job ever created, whatever its status (the audit trail).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobOf<T>, OptionQuery>;

	/// The open jobs (pending, awaiting shares or awaiting publication), oldest first.
	#[pallet::storage]
	pub type PendingJobs<T: Config> =
		StorageValue<_, BoundedVec<JobId, T::MaxPendingJobs>, ValueQuery>;

	/// How many prediction and statistic jobs each account has open (absent: none).
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by the people who create them.
	#[pallet::storage]
	pub type OpenJobsOf<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, OptionQuery>;

	/// The timeout queue: for each block, the open jobs whose deadline it is. A job leaves its
	/// bucket when it closes; buckets before [`TimeoutCursor`] have been processed and removed.
	///
	/// Hasher: `Twox64Concat`, because a block number gives no room to unbalance the trie.
	#[pallet::storage]
	pub type TimeoutQueue<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, T::MaxPendingJobs>,
		ValueQuery,
	>;

	/// The first block whose timeout bucket has not been fully processed. `None` until the first
	/// `on_initialize`.
	#[pallet::storage]
	pub type TimeoutCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, OptionQuery>;

	/// The decryption-share slots of each statistic whose aggregate was agreed: one per holder
	/// of its key epoch, in the epoch's order. Kept after publication, for audit.
	///
	/// Hasher: `Twox64Concat`, because job ids are assigned in sequence.
	#[pallet::storage]
	pub type DecryptionShares<T: Config> =
		StorageMap<_, Twox64Concat, JobId, HolderSharesOf<T>, ValueQuery>;

	/// The plaintext values evaluators submitted for each statistic awaiting (or past)
	/// publication. Kept after publication, for audit.
	///
	/// Hasher: `Twox64Concat`, because job ids are assigned in sequence.
	#[pallet::storage]
	pub type PublicationVotes<T: Config> =
		StorageMap<_, Twox64Concat, JobId, VotesOf<T>, ValueQuery>;

	/// Every published statistic, by the job that computed it: readable by the public.
	///
	/// Hasher: `Twox64Concat`, because job ids are assigned in sequence.
	#[pallet::storage]
	pub type PublishedStatistics<T: Config> =
		StorageMap<_, Twox64Concat, JobId, PublishedStatisticOf<T>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account registered (or replaced) its evaluation key.
		EvaluationKeyRegistered {
			/// The account.
			who: T::AccountId,
			/// The IPFS CID of the key material.
			cid: CidOf<T>,
			/// Its hash.
			hash: H256,
		},
		/// An account removed its evaluation key.
		EvaluationKeyRemoved {
			/// The account.
			who: T::AccountId,
		},
		/// Governance started a key epoch: each holder must now submit its public-key share,
		/// made with `common_seed`.
		KeyEpochStarted {
			/// The new epoch.
			epoch: EpochId,
			/// Its key holders.
			holders: HoldersOf<T>,
			/// The public common seed of the shares' mask.
			common_seed: [u8; 32],
		},
		/// A key epoch being set up was superseded by a newer one.
		KeyEpochSuperseded {
			/// The superseded epoch.
			epoch: EpochId,
		},
		/// A key holder submitted its public-key share.
		KeyShareSubmitted {
			/// The epoch.
			epoch: EpochId,
			/// The holder.
			holder: T::AccountId,
			/// The IPFS CID of the share.
			cid: CidOf<T>,
			/// Its hash.
			hash: H256,
		},
		/// Every holder of an epoch submitted its share: a joint-key job was created.
		KeySharesComplete {
			/// The epoch.
			epoch: EpochId,
			/// The joint-key job.
			job: JobId,
		},
		/// The evaluators agreed on an epoch's joint public key: the epoch is current.
		JointKeyAgreed {
			/// The job.
			job: JobId,
			/// The epoch, now current.
			epoch: EpochId,
			/// The IPFS CID of the joint public key.
			cid: CidOf<T>,
			/// Its hash.
			hash: H256,
		},
		/// A key epoch was retired: a newer one became current.
		KeyEpochRetired {
			/// The retired epoch.
			epoch: EpochId,
		},
		/// A key epoch's joint-key job failed or timed out; governance must start a new epoch.
		KeyEpochFailed {
			/// The epoch.
			epoch: EpochId,
			/// The joint-key job.
			job: JobId,
		},
		/// An institution registered a model.
		ModelRegistered {
			/// The new model.
			model: ModelId,
			/// The institution.
			registrant: T::AccountId,
			/// Its name.
			name: NameOf<T>,
		},
		/// A model was retired by its registrant: no new predictions.
		ModelRetired {
			/// The model.
			model: ModelId,
		},
		/// An individual asked for a prediction.
		PredictionRequested {
			/// The new job.
			job: JobId,
			/// The model.
			model: ModelId,
			/// The individual, who alone can decrypt the result.
			requester: T::AccountId,
			/// The IPFS CID of the encrypted input.
			input_cid: CidOf<T>,
			/// Its hash.
			input_hash: H256,
			/// The block at which the job times out.
			deadline: BlockNumberFor<T>,
		},
		/// An institution asked for a cohort statistic.
		StatisticRequested {
			/// The new job.
			job: JobId,
			/// The institution.
			requester: T::AccountId,
			/// The purpose the cohort consented to.
			purpose: PurposeOfUse,
			/// The data category aggregated.
			category: DataCategory,
			/// The field of the records' FHE sections.
			field: u16,
			/// What is computed.
			statistic: StatisticOf<T>,
			/// The key epoch the records are encrypted under.
			epoch: EpochId,
			/// The block at which the job times out.
			deadline: BlockNumberFor<T>,
		},
		/// An evaluator submitted a job's outcome.
		ResultSubmitted {
			/// The job.
			job: JobId,
			/// The evaluator.
			evaluator: T::AccountId,
			/// What it submitted.
			outcome: OutcomeOf<T>,
		},
		/// Evaluators submitted different outcomes (or values) for a job: emitted once per job
		/// and phase, when the second distinct submission arrives. The job stays open until one
		/// outcome reaches the quorum or the job times out.
		ResultsDisagree {
			/// The job.
			job: JobId,
		},
		/// A prediction's result was agreed: its requester may fetch and decrypt it.
		PredictionReady {
			/// The job.
			job: JobId,
			/// The requester, who alone can decrypt it.
			owner: T::AccountId,
			/// The IPFS CID of the encrypted score.
			result_cid: CidOf<T>,
			/// Its hash.
			result_hash: H256,
		},
		/// A statistic's encrypted aggregate was agreed: its key holders must now submit their
		/// decryption shares.
		StatisticAggregated {
			/// The job.
			job: JobId,
			/// The IPFS CID of the encrypted aggregate.
			aggregate_cid: CidOf<T>,
			/// Its hash.
			aggregate_hash: H256,
			/// How many records it sums.
			cohort_size: u32,
		},
		/// A job failed: its evaluators agreed it cannot be done, or its cohort was too small.
		JobFailed {
			/// The job.
			job: JobId,
			/// Why.
			reason: FailureReason,
		},
		/// A key holder submitted its decryption share of a statistic's aggregate.
		DecryptionShareSubmitted {
			/// The job.
			job: JobId,
			/// The holder.
			holder: T::AccountId,
			/// The IPFS CID of the share.
			cid: CidOf<T>,
			/// Its hash.
			hash: H256,
		},
		/// Every decryption share of a statistic is in: evaluators must now publish its values.
		DecryptionSharesComplete {
			/// The job.
			job: JobId,
		},
		/// An evaluator submitted a statistic's plaintext values.
		StatisticValuesSubmitted {
			/// The job.
			job: JobId,
			/// The evaluator.
			evaluator: T::AccountId,
			/// The values.
			values: ValuesOf<T>,
		},
		/// A statistic's values were agreed and published.
		StatisticPublished {
			/// The job.
			job: JobId,
			/// How many records they summarise.
			cohort_size: u32,
			/// The values.
			values: ValuesOf<T>,
		},
		/// A job was not finished before its deadline.
		JobTimedOut {
			/// The job.
			job: JobId,
		},
		/// A joint-key job was cancelled because its epoch was superseded.
		JobCancelled {
			/// The job.
			job: JobId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The CID is empty. Give the IPFS CID of the object.
		EmptyCid,
		/// You have no evaluation key to remove. Register one first.
		NoEvaluationKey,
		/// A key epoch needs at least one key holder. Name the evaluators that will hold shares.
		NoKeyHolders,
		/// An account is named twice as key holder. Name each holder once.
		DuplicateKeyHolder,
		/// A key holder is not an active evaluator of the consortium. Name only active
		/// evaluators (admit or reinstate them first).
		HolderNotEvaluator,
		/// There is no key epoch with this id.
		UnknownKeyEpoch,
		/// You are not a key holder of this epoch (or of the job's epoch). Only the holders named
		/// when the epoch was started submit shares.
		NotKeyHolder,
		/// The epoch no longer collects public-key shares: all are in, or it was superseded.
		EpochNotCollectingShares,
		/// You already submitted this share; a share is submitted once.
		ShareAlreadySubmitted,
		/// `MaxPendingJobs` jobs are open. Wait for some to finish or time out, then try again.
		TooManyPendingJobs,
		/// You already have `MaxOpenJobsPerAccount` prediction or statistic jobs open. Wait for
		/// one to finish or time out, then try again.
		TooManyOpenJobs,
		/// Only an active institution of the consortium may do this.
		NotActiveInstitution,
		/// The model or one of its features has an empty name. Name every one.
		EmptyName,
		/// The model has no feature. Give at least one (and at most `MaxFeatures`).
		NoFeatures,
		/// The model does not have exactly one weight per feature. Give as many weights as
		/// features, in the same order.
		WeightCountMismatch,
		/// Two features have the same name. Name each feature once.
		DuplicateFeatureName,
		/// A feature's `scale_micros` or the model's `score_divisor` is zero, which would make
		/// every input or every score meaningless. Give the scale the quantisation used.
		ZeroScale,
		/// The model's output meaning or provenance is empty. Say what the score means and where
		/// the model comes from, so that it can be audited.
		MissingDescription,
		/// There is no model with this id.
		UnknownModel,
		/// Only the institution that registered the model may retire it.
		NotModelRegistrant,
		/// The model was retired: it takes no new predictions and cannot be retired again.
		ModelRetired,
		/// Statistics may only be requested for PUBHLTH, HRESCH or POPHLTH, the purposes people
		/// join cohorts for.
		PurposeNotForStatistics,
		/// A histogram's bounds are empty or not strictly increasing. Give at least one bound, in
		/// increasing order, without repeats.
		InvalidHistogramBounds,
		/// No key epoch is current, so there is no key records are encrypted under. Governance
		/// must start one and its holders complete it first.
		NoCurrentKeyEpoch,
		/// Only an active evaluator of the consortium may do this.
		NotActiveEvaluator,
		/// There is no job with this id.
		UnknownJob,
		/// The job takes no more outcomes: its outcome was agreed, or it failed, timed out or was
		/// cancelled.
		JobNotPending,
		/// The job's deadline has come: it takes nothing more and will time out.
		DeadlinePassed,
		/// You already submitted for this job (in this phase). Each evaluator submits once.
		DuplicateSubmission,
		/// A success must give a cohort size for a statistic, and only for a statistic.
		CohortSizeMismatch,
		/// The job has `MaxSubmissions` submissions without agreement; it will time out.
		TooManySubmissions,
		/// The job is not a statistic whose aggregate was agreed and awaits decryption shares.
		NotAwaitingShares,
		/// The job is not a statistic whose decryption shares are all in and awaits publication.
		NotAwaitingPublication,
		/// The number of values does not match the statistic: 1 for count and sum, 2 (sum,
		/// count) for mean, one per bucket (bounds + 1) for a histogram.
		WrongValueCount,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_timeouts(now)
		}

		fn integrity_test() {
			assert!(T::ResultQuorum::get() > 0, "ResultQuorum must be > 0");
			assert!(
				T::ResultQuorum::get() <= T::MaxSubmissions::get(),
				"ResultQuorum must be <= MaxSubmissions"
			);
			assert!(T::MaxTimeoutsPerBlock::get() > 0, "MaxTimeoutsPerBlock must be > 0");
			assert!(T::MaxPendingJobs::get() > 0, "MaxPendingJobs must be > 0");
			assert!(T::MaxKeyHolders::get() > 0, "MaxKeyHolders must be > 0");
			assert!(T::MaxFeatures::get() > 0, "MaxFeatures must be > 0");
			assert!(T::JobTimeout::get() > BlockNumberFor::<T>::zero(), "JobTimeout must be > 0");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register your FHE evaluation key (e.g. a tfhe server key), stored in IPFS, so that
		/// evaluators can run generic programs over your encrypted data. Replaces any key you
		/// registered before.
		///
		/// ## Dispatch Origin
		/// Signed, by anyone.
		///
		/// ## Details
		/// - `cid`: the IPFS CID of the key material.
		/// - `hash`: the hash of its content.
		///
		/// ## Errors
		/// `EmptyCid`.
		///
		/// ## Events
		/// [`Event::EvaluationKeyRegistered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_evaluation_key())]
		pub fn register_evaluation_key(
			origin: OriginFor<T>,
			cid: CidOf<T>,
			hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!cid.is_empty(), Error::<T>::EmptyCid);
			EvaluationKeys::<T>::insert(
				&who,
				EvaluationKey {
					key: IpfsRef { cid: cid.clone(), hash },
					registered_at: Self::now(),
				},
			);
			Self::deposit_event(Event::EvaluationKeyRegistered { who, cid, hash });
			Ok(())
		}

		/// Remove your evaluation key.
		///
		/// ## Dispatch Origin
		/// Signed, by an account that registered one.
		///
		/// ## Errors
		/// `NoEvaluationKey`.
		///
		/// ## Events
		/// [`Event::EvaluationKeyRemoved`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_evaluation_key())]
		pub fn remove_evaluation_key(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(EvaluationKeys::<T>::contains_key(&who), Error::<T>::NoEvaluationKey);
			EvaluationKeys::<T>::remove(&who);
			Self::deposit_event(Event::EvaluationKeyRemoved { who });
			Ok(())
		}

		/// Start a consortium key epoch: its holders each generate a secret share and submit a
		/// public-key share made with the epoch's common seed.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// - `holders`: the key holders, active evaluators, each named once. Decrypting a
		///   statistic needs a share from every one of them.
		///
		/// The common seed is `blake2_256(COMMON_SEED_DOMAIN ‖ parent hash ‖ epoch id)`. It is
		/// public: it only needs to be the same for every holder and chosen by none of them.
		///
		/// An epoch still being set up (collecting shares or awaiting its joint key) is
		/// superseded, and its joint-key job cancelled. The current epoch stays current until
		/// the new one's joint key is agreed.
		///
		/// ## Errors
		/// `BadOrigin`, `NoKeyHolders`, `DuplicateKeyHolder`, `HolderNotEvaluator`.
		///
		/// ## Events
		/// [`Event::JobCancelled`] and [`Event::KeyEpochSuperseded`] for an epoch superseded,
		/// then [`Event::KeyEpochStarted`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::start_key_epoch(holders.len() as u32))]
		pub fn start_key_epoch(origin: OriginFor<T>, holders: HoldersOf<T>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_start_key_epoch(holders).map(|_| ())
		}

		/// Submit your public-key share of a key epoch.
		///
		/// ## Dispatch Origin
		/// Signed, by a key holder of the epoch that is an active evaluator.
		///
		/// ## Details
		/// - `epoch`: an epoch collecting shares.
		/// - `cid`, `hash`: the IPFS CID of your public-key share and its hash.
		///
		/// The last share creates the joint-key job.
		///
		/// ## Errors
		/// `NotActiveEvaluator`, `EmptyCid`, `UnknownKeyEpoch`, `EpochNotCollectingShares`,
		/// `NotKeyHolder`, `ShareAlreadySubmitted`, `TooManyPendingJobs`.
		///
		/// ## Events
		/// [`Event::KeyShareSubmitted`], then [`Event::KeySharesComplete`] for the last share.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::submit_key_share(T::MaxKeyHolders::get()))]
		pub fn submit_key_share(
			origin: OriginFor<T>,
			epoch: EpochId,
			cid: CidOf<T>,
			hash: H256,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let holders = Self::do_submit_key_share(who, epoch, cid, hash)?;
			Ok(Some(T::WeightInfo::submit_key_share(holders)).into())
		}

		/// Register a linear prediction model: its tuple template, readable by anyone.
		///
		/// ## Dispatch Origin
		/// Signed, by an active institution.
		///
		/// ## Details
		/// - `template`: a non-empty name; 1 to `MaxFeatures` features with non-empty, distinct
		///   names and a non-zero `scale_micros`; one weight per feature; a bias; a non-zero
		///   `score_divisor`; a
		///   non-empty output meaning and provenance; the FHE parameter set code.
		///
		/// ## Errors
		/// `NotActiveInstitution`, `EmptyName`, `NoFeatures`, `WeightCountMismatch`,
		/// `DuplicateFeatureName`, `ZeroScale`, `MissingDescription`.
		///
		/// ## Events
		/// [`Event::ModelRegistered`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::register_model(template.features.len() as u32))]
		pub fn register_model(
			origin: OriginFor<T>,
			template: ModelTemplateOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_model(who, template).map(|_| ())
		}

		/// Retire a model: it takes no new predictions. Jobs already requested complete.
		///
		/// ## Dispatch Origin
		/// Signed, by the institution that registered it.
		///
		/// ## Errors
		/// `UnknownModel`, `NotModelRegistrant`, `ModelRetired`.
		///
		/// ## Events
		/// [`Event::ModelRetired`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::retire_model())]
		pub fn retire_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut m = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
			ensure!(m.registrant == who, Error::<T>::NotModelRegistrant);
			ensure!(m.retired_at.is_none(), Error::<T>::ModelRetired);
			m.retired_at = Some(Self::now());
			Models::<T>::insert(model, m);
			Self::deposit_event(Event::ModelRetired { model });
			Ok(())
		}

		/// Ask for a model's score over your input, encrypted under your own key. Only you can
		/// decrypt the result.
		///
		/// ## Dispatch Origin
		/// Signed, by anyone (the subject whose input it is).
		///
		/// ## Details
		/// - `model`: a model that is not retired.
		/// - `input_cid`, `input_hash`: the IPFS CID of the encrypted input tuple (features in the
		///   model's order and scales) and its hash.
		///
		/// ## Errors
		/// `UnknownModel`, `ModelRetired`, `EmptyCid`, `TooManyPendingJobs`.
		///
		/// ## Events
		/// [`Event::PredictionRequested`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::request_prediction())]
		pub fn request_prediction(
			origin: OriginFor<T>,
			model: ModelId,
			input_cid: CidOf<T>,
			input_hash: H256,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_prediction(who, model, input_cid, input_hash).map(|_| ())
		}

		/// Ask for a statistic of a field over the cohort that consented, consortium-wide, to
		/// `purpose` for `category`.
		///
		/// ## Dispatch Origin
		/// Signed, by an active institution.
		///
		/// ## Details
		/// - `purpose`: PUBHLTH, HRESCH or POPHLTH.
		/// - `category`: the data category whose records are aggregated.
		/// - `field`: the index of the field in the records' FHE sections.
		/// - `statistic`: count, sum, mean, or a histogram with strictly increasing bounds.
		///
		/// The cohort is taken at the request block (evaluators read it through the consent
		/// runtime API at that block); the records must be encrypted under the current key
		/// epoch, whose holders will decrypt the aggregate.
		///
		/// ## Errors
		/// `NotActiveInstitution`, `PurposeNotForStatistics`, `InvalidHistogramBounds`,
		/// `NoCurrentKeyEpoch`, `TooManyPendingJobs`.
		///
		/// ## Events
		/// [`Event::StatisticRequested`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::request_statistic(Pallet::<T>::bounds_len(statistic)))]
		pub fn request_statistic(
			origin: OriginFor<T>,
			purpose: PurposeOfUse,
			category: DataCategory,
			field: u16,
			statistic: StatisticOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_statistic(who, purpose, category, field, statistic).map(|_| ())
		}

		/// Submit your outcome for a pending job.
		///
		/// ## Dispatch Origin
		/// Signed, by an active evaluator.
		///
		/// ## Details
		/// - `job`: a pending job, before its deadline, you have not submitted to.
		/// - `outcome`: `Success` with the result's CID and hash (and, for a statistic only, the
		///   cohort size), or `Failure` with a reason.
		///
		/// When [`Config::ResultQuorum`] evaluators have submitted the identical outcome it is
		/// final: a prediction is ready; a statistic's aggregate is agreed (or, below
		/// [`Config::MinCohortSize`] records, the job fails with `CohortTooSmall`); a joint key
		/// makes its epoch current. An agreed failure fails the job. The second distinct outcome
		/// emits [`Event::ResultsDisagree`].
		///
		/// ## Errors
		/// `NotActiveEvaluator`, `UnknownJob`, `JobNotPending`, `DeadlinePassed`,
		/// `DuplicateSubmission`, `EmptyCid`, `CohortSizeMismatch`, `TooManySubmissions`.
		///
		/// ## Events
		/// [`Event::ResultSubmitted`]; [`Event::ResultsDisagree`] on the first disagreement;
		/// on agreement [`Event::PredictionReady`], [`Event::StatisticAggregated`],
		/// [`Event::JointKeyAgreed`] (after [`Event::KeyEpochRetired`] for the previous epoch) or
		/// [`Event::JobFailed`] (then [`Event::KeyEpochFailed`] for a joint key).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::submit_result())]
		pub fn submit_result(
			origin: OriginFor<T>,
			job: JobId,
			outcome: OutcomeOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_submit_result(who, job, outcome)
		}

		/// Submit your decryption share of a statistic's agreed aggregate.
		///
		/// ## Dispatch Origin
		/// Signed, by a key holder of the job's epoch that is an active evaluator.
		///
		/// ## Details
		/// - `job`: a statistic awaiting decryption shares, before its deadline.
		/// - `cid`, `hash`: the IPFS CID of your flooded partial decryption and its hash.
		///
		/// The last share makes the statistic await publication.
		///
		/// ## Errors
		/// `NotActiveEvaluator`, `EmptyCid`, `UnknownJob`, `NotAwaitingShares`,
		/// `DeadlinePassed`, `NotKeyHolder`, `ShareAlreadySubmitted`.
		///
		/// ## Events
		/// [`Event::DecryptionShareSubmitted`], then [`Event::DecryptionSharesComplete`] for the
		/// last share.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::submit_decryption_share(T::MaxKeyHolders::get()))]
		pub fn submit_decryption_share(
			origin: OriginFor<T>,
			job: JobId,
			cid: CidOf<T>,
			hash: H256,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let holders = Self::do_submit_decryption_share(who, job, cid, hash)?;
			Ok(Some(T::WeightInfo::submit_decryption_share(holders)).into())
		}

		/// Submit a statistic's plaintext values, combined from its decryption shares.
		///
		/// ## Dispatch Origin
		/// Signed, by an active evaluator.
		///
		/// ## Details
		/// - `job`: a statistic awaiting publication, before its deadline, you have not
		///   submitted values for.
		/// - `values`: 1 value for count and sum, 2 (sum, count) for mean, one count per bucket
		///   for a histogram.
		///
		/// When [`Config::ResultQuorum`] evaluators have submitted identical values they are
		/// published. The second distinct submission emits [`Event::ResultsDisagree`].
		///
		/// ## Errors
		/// `NotActiveEvaluator`, `UnknownJob`, `NotAwaitingPublication`, `DeadlinePassed`,
		/// `WrongValueCount`, `DuplicateSubmission`, `TooManySubmissions`.
		///
		/// ## Events
		/// [`Event::StatisticValuesSubmitted`]; [`Event::ResultsDisagree`] on the first
		/// disagreement; [`Event::StatisticPublished`] on agreement.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::publish_statistic(values.len() as u32))]
		pub fn publish_statistic(
			origin: OriginFor<T>,
			job: JobId,
			values: ValuesOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_publish_statistic(who, job, values)
		}
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// How many distinct evaluators must submit the identical outcome or values: the chain's
	/// genesis value, or [`Config::ResultQuorum`].
	pub fn result_quorum() -> u32 {
		GenesisResultQuorum::<T>::get().unwrap_or_else(T::ResultQuorum::get)
	}

	fn bounds_len(statistic: &StatisticOf<T>) -> u32 {
		match statistic {
			Statistic::Histogram { bounds } => bounds.len() as u32,
			_ => 0,
		}
	}

	fn ensure_evaluator(who: &T::AccountId) -> DispatchResult {
		ensure!(
			T::Consortium::is_active_member(who, MemberKind::Evaluator),
			Error::<T>::NotActiveEvaluator
		);
		Ok(())
	}

	/// The common seed of epoch `id`: public, the same for every holder, chosen by none.
	fn common_seed(id: EpochId) -> [u8; 32] {
		let parent = frame_system::Pallet::<T>::parent_hash();
		BlakeTwo256::hash_of(&(COMMON_SEED_DOMAIN, parent, id)).0
	}

	pub(crate) fn do_start_key_epoch(holders: HoldersOf<T>) -> Result<EpochId, DispatchError> {
		ensure!(!holders.is_empty(), Error::<T>::NoKeyHolders);
		let mut sorted = holders.clone().into_inner();
		sorted.sort();
		sorted.dedup();
		ensure!(sorted.len() == holders.len(), Error::<T>::DuplicateKeyHolder);
		ensure!(
			holders.iter().all(|h| T::Consortium::is_active_member(h, MemberKind::Evaluator)),
			Error::<T>::HolderNotEvaluator
		);

		// All checks passed: write.
		let now = Self::now();
		if let Some(previous) = PendingEpoch::<T>::take() {
			if let Some(mut e) = KeyEpochs::<T>::get(previous) {
				if let EpochStatus::AwaitingJointKey { job } = e.status {
					if let Some(j) = Jobs::<T>::get(job) {
						if j.status.is_open() {
							Self::close_job(job, j, JobStatus::Cancelled { at: now }, true);
							Self::deposit_event(Event::JobCancelled { job });
						}
					}
				}
				e.status = EpochStatus::Superseded { at: now };
				KeyEpochs::<T>::insert(previous, e);
				Self::deposit_event(Event::KeyEpochSuperseded { epoch: previous });
			}
		}
		let id = NextEpochId::<T>::get();
		let common_seed = Self::common_seed(id);
		NextEpochId::<T>::put(id.saturating_add(1));
		PendingEpoch::<T>::put(id);
		let slots = holders.iter().map(|h| HolderShare { holder: h.clone(), share: None });
		KeyEpochs::<T>::insert(
			id,
			KeyEpoch {
				common_seed,
				holders: BoundedVec::truncate_from(slots.collect()),
				joint_key: None,
				started_at: now,
				status: EpochStatus::CollectingShares,
			},
		);
		Self::deposit_event(Event::KeyEpochStarted { epoch: id, holders, common_seed });
		Ok(id)
	}

	/// Returns the number of holders of the epoch, for the weight.
	pub(crate) fn do_submit_key_share(
		who: T::AccountId,
		epoch: EpochId,
		cid: CidOf<T>,
		hash: H256,
	) -> Result<u32, DispatchError> {
		Self::ensure_evaluator(&who)?;
		ensure!(!cid.is_empty(), Error::<T>::EmptyCid);
		let mut e = KeyEpochs::<T>::get(epoch).ok_or(Error::<T>::UnknownKeyEpoch)?;
		ensure!(e.status == EpochStatus::CollectingShares, Error::<T>::EpochNotCollectingShares);
		let slot =
			e.holders.iter_mut().find(|s| s.holder == who).ok_or(Error::<T>::NotKeyHolder)?;
		ensure!(slot.share.is_none(), Error::<T>::ShareAlreadySubmitted);
		slot.share = Some(IpfsRef { cid: cid.clone(), hash });
		let holders = e.holders.len() as u32;
		let complete = e.holders.iter().all(|s| s.share.is_some());
		// `open_job` checks before it writes: nothing is written if it fails.
		let job = if complete {
			let job = Self::open_job(JobKind::JointKey { epoch }, who.clone())?;
			e.status = EpochStatus::AwaitingJointKey { job };
			Some(job)
		} else {
			None
		};
		KeyEpochs::<T>::insert(epoch, e);
		Self::deposit_event(Event::KeyShareSubmitted { epoch, holder: who, cid, hash });
		if let Some(job) = job {
			Self::deposit_event(Event::KeySharesComplete { epoch, job });
		}
		Ok(holders)
	}

	pub(crate) fn do_register_model(
		who: T::AccountId,
		template: ModelTemplateOf<T>,
	) -> Result<ModelId, DispatchError> {
		ensure!(
			T::Consortium::is_active_member(&who, MemberKind::Institution),
			Error::<T>::NotActiveInstitution
		);
		ensure!(!template.name.is_empty(), Error::<T>::EmptyName);
		ensure!(!template.features.is_empty(), Error::<T>::NoFeatures);
		ensure!(template.weights.len() == template.features.len(), Error::<T>::WeightCountMismatch);
		ensure!(template.features.iter().all(|f| !f.name.is_empty()), Error::<T>::EmptyName);
		let mut names: Vec<&[u8]> = template.features.iter().map(|f| f.name.as_slice()).collect();
		names.sort();
		names.dedup();
		ensure!(names.len() == template.features.len(), Error::<T>::DuplicateFeatureName);
		ensure!(
			template.features.iter().all(|f| f.scale_micros > 0) && template.score_divisor > 0,
			Error::<T>::ZeroScale
		);
		ensure!(
			!template.output_meaning.is_empty() && !template.provenance.is_empty(),
			Error::<T>::MissingDescription
		);

		let id = NextModelId::<T>::get();
		NextModelId::<T>::put(id.saturating_add(1));
		let name = template.name.clone();
		Models::<T>::insert(
			id,
			Model {
				template,
				registrant: who.clone(),
				registered_at: Self::now(),
				retired_at: None,
			},
		);
		Self::deposit_event(Event::ModelRegistered { model: id, registrant: who, name });
		Ok(id)
	}

	pub(crate) fn do_request_prediction(
		who: T::AccountId,
		model: ModelId,
		input_cid: CidOf<T>,
		input_hash: H256,
	) -> Result<JobId, DispatchError> {
		let m = Models::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
		ensure!(m.retired_at.is_none(), Error::<T>::ModelRetired);
		ensure!(!input_cid.is_empty(), Error::<T>::EmptyCid);
		let input = IpfsRef { cid: input_cid.clone(), hash: input_hash };
		let job = Self::open_job(JobKind::Prediction { model, input }, who.clone())?;
		let deadline = Self::now().saturating_add(T::JobTimeout::get());
		Self::deposit_event(Event::PredictionRequested {
			job,
			model,
			requester: who,
			input_cid,
			input_hash,
			deadline,
		});
		Ok(job)
	}

	pub(crate) fn do_request_statistic(
		who: T::AccountId,
		purpose: PurposeOfUse,
		category: DataCategory,
		field: u16,
		statistic: StatisticOf<T>,
	) -> Result<JobId, DispatchError> {
		ensure!(
			T::Consortium::is_active_member(&who, MemberKind::Institution),
			Error::<T>::NotActiveInstitution
		);
		ensure!(STATISTICS_PURPOSES.contains(&purpose), Error::<T>::PurposeNotForStatistics);
		if let Statistic::Histogram { bounds } = &statistic {
			ensure!(
				!bounds.is_empty() && bounds.windows(2).all(|w| w[0] < w[1]),
				Error::<T>::InvalidHistogramBounds
			);
		}
		let epoch = CurrentEpoch::<T>::get().ok_or(Error::<T>::NoCurrentKeyEpoch)?;
		let kind =
			JobKind::Statistic { purpose, category, field, statistic: statistic.clone(), epoch };
		let job = Self::open_job(kind, who.clone())?;
		let deadline = Self::now().saturating_add(T::JobTimeout::get());
		Self::deposit_event(Event::StatisticRequested {
			job,
			requester: who,
			purpose,
			category,
			field,
			statistic,
			epoch,
			deadline,
		});
		Ok(job)
	}

	/// Create a pending job, listed as open and queued at its deadline. Checks before it
	/// writes: on error nothing was written.
	fn open_job(kind: JobKindOf<T>, requester: T::AccountId) -> Result<JobId, DispatchError> {
		let now = Self::now();
		let deadline = now.saturating_add(T::JobTimeout::get());
		let id = NextJobId::<T>::get();
		// Joint-key jobs are the pallet's own; only requests people make count against them.
		let counted = !matches!(kind, JobKind::JointKey { .. });
		let open = OpenJobsOf::<T>::get(&requester).unwrap_or(0);
		ensure!(!counted || open < T::MaxOpenJobsPerAccount::get(), Error::<T>::TooManyOpenJobs);
		let mut pending = PendingJobs::<T>::get();
		pending.try_push(id).map_err(|_| Error::<T>::TooManyPendingJobs)?;
		let mut bucket = TimeoutQueue::<T>::get(deadline);
		// A bucket holds only open jobs, so it cannot be fuller than the open-job list.
		bucket.try_push(id).map_err(|_| Error::<T>::TooManyPendingJobs)?;

		NextJobId::<T>::put(id.saturating_add(1));
		if counted {
			OpenJobsOf::<T>::insert(&requester, open.saturating_add(1));
		}
		PendingJobs::<T>::put(pending);
		TimeoutQueue::<T>::insert(deadline, bucket);
		Jobs::<T>::insert(
			id,
			Job {
				kind,
				requester,
				requested_at: now,
				deadline,
				status: JobStatus::Pending,
				submissions: BoundedVec::new(),
			},
		);
		Ok(id)
	}

	/// Close a job with a terminal `status`: drop it from the open-job list and, if `unqueue`,
	/// from its timeout bucket (the timeout queue drops it itself).
	fn close_job(id: JobId, mut job: JobOf<T>, status: JobStatusOf<T>, unqueue: bool) {
		PendingJobs::<T>::mutate(|list| list.retain(|j| *j != id));
		if !matches!(job.kind, JobKind::JointKey { .. }) {
			OpenJobsOf::<T>::mutate_exists(&job.requester, |open| {
				*open = open.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
			});
		}
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
	}

	/// Whether adding `new` to `earlier` submissions makes them disagree for the first time.
	fn first_disagreement<P: PartialEq>(earlier: &[&P], new: &P) -> bool {
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
		Self::ensure_evaluator(&who)?;
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.status == JobStatus::Pending, Error::<T>::JobNotPending);
		let now = Self::now();
		ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
		ensure!(
			!job.submissions.iter().any(|s| s.evaluator == who),
			Error::<T>::DuplicateSubmission
		);
		if let Outcome::Success { result_cid, cohort_size, .. } = &outcome {
			ensure!(!result_cid.is_empty(), Error::<T>::EmptyCid);
			let is_statistic = matches!(job.kind, JobKind::Statistic { .. });
			ensure!(cohort_size.is_some() == is_statistic, Error::<T>::CohortSizeMismatch);
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

	/// Apply an agreed outcome to a pending job.
	fn agree_outcome(id: JobId, job: JobOf<T>, outcome: OutcomeOf<T>, now: BlockNumberFor<T>) {
		let (result_cid, result_hash, cohort_size) = match outcome {
			Outcome::Failure { reason } => return Self::fail_job(id, job, reason, now),
			Outcome::Success { result_cid, result_hash, cohort_size } => {
				(result_cid, result_hash, cohort_size)
			}
		};
		let result = IpfsRef { cid: result_cid.clone(), hash: result_hash };
		match job.kind.clone() {
			JobKind::Prediction { .. } => {
				let owner = job.requester.clone();
				Self::close_job(id, job, JobStatus::Final { result, at: now }, true);
				Self::deposit_event(Event::PredictionReady {
					job: id,
					owner,
					result_cid,
					result_hash,
				});
			}
			JobKind::Statistic { epoch, .. } => {
				let cohort_size = cohort_size.unwrap_or_default();
				if cohort_size < T::MinCohortSize::get() {
					return Self::fail_job(id, job, FailureReason::CohortTooSmall, now);
				}
				let slots = KeyEpochs::<T>::get(epoch)
					.map(|e| {
						e.holders.into_iter().map(|s| HolderShare { holder: s.holder, share: None })
					})
					.map(|slots| BoundedVec::truncate_from(slots.collect::<Vec<_>>()))
					.unwrap_or_default();
				DecryptionShares::<T>::insert(id, slots);
				let mut job = job;
				job.status = JobStatus::AwaitingShares { aggregate: result, cohort_size };
				Jobs::<T>::insert(id, job);
				Self::deposit_event(Event::StatisticAggregated {
					job: id,
					aggregate_cid: result_cid,
					aggregate_hash: result_hash,
					cohort_size,
				});
			}
			JobKind::JointKey { epoch } => {
				Self::close_job(
					id,
					job,
					JobStatus::Final { result: result.clone(), at: now },
					true,
				);
				if let Some(mut e) = KeyEpochs::<T>::get(epoch) {
					if e.status == (EpochStatus::AwaitingJointKey { job: id }) {
						if let Some(previous) = CurrentEpoch::<T>::get() {
							KeyEpochs::<T>::mutate(previous, |p| {
								if let Some(p) = p {
									p.status = EpochStatus::Retired { at: now };
								}
							});
							Self::deposit_event(Event::KeyEpochRetired { epoch: previous });
						}
						e.joint_key = Some(result);
						e.status = EpochStatus::Current { since: now };
						KeyEpochs::<T>::insert(epoch, e);
						CurrentEpoch::<T>::put(epoch);
						PendingEpoch::<T>::kill();
					}
				}
				Self::deposit_event(Event::JointKeyAgreed {
					job: id,
					epoch,
					cid: result_cid,
					hash: result_hash,
				});
			}
		}
	}

	fn fail_job(id: JobId, job: JobOf<T>, reason: FailureReason, now: BlockNumberFor<T>) {
		let kind = job.kind.clone();
		Self::close_job(id, job, JobStatus::Failed { reason, at: now }, true);
		Self::deposit_event(Event::JobFailed { job: id, reason });
		if let JobKind::JointKey { epoch } = kind {
			Self::epoch_failed(epoch, id, now);
		}
	}

	/// A joint-key job failed or timed out: its epoch, if still awaiting it, fails.
	fn epoch_failed(epoch: EpochId, job: JobId, now: BlockNumberFor<T>) {
		if let Some(mut e) = KeyEpochs::<T>::get(epoch) {
			if e.status == (EpochStatus::AwaitingJointKey { job }) {
				e.status = EpochStatus::Failed { at: now };
				KeyEpochs::<T>::insert(epoch, e);
				if PendingEpoch::<T>::get() == Some(epoch) {
					PendingEpoch::<T>::kill();
				}
				Self::deposit_event(Event::KeyEpochFailed { epoch, job });
			}
		}
	}

	/// Returns the number of holders of the job's epoch, for the weight.
	pub(crate) fn do_submit_decryption_share(
		who: T::AccountId,
		id: JobId,
		cid: CidOf<T>,
		hash: H256,
	) -> Result<u32, DispatchError> {
		Self::ensure_evaluator(&who)?;
		ensure!(!cid.is_empty(), Error::<T>::EmptyCid);
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let JobStatus::AwaitingShares { aggregate, cohort_size } = job.status.clone() else {
			return Err(Error::<T>::NotAwaitingShares.into());
		};
		ensure!(Self::now() < job.deadline, Error::<T>::DeadlinePassed);
		let mut shares = DecryptionShares::<T>::get(id);
		let slot = shares.iter_mut().find(|s| s.holder == who).ok_or(Error::<T>::NotKeyHolder)?;
		ensure!(slot.share.is_none(), Error::<T>::ShareAlreadySubmitted);
		slot.share = Some(IpfsRef { cid: cid.clone(), hash });
		let holders = shares.len() as u32;
		let complete = shares.iter().all(|s| s.share.is_some());

		// All checks passed: write.
		DecryptionShares::<T>::insert(id, shares);
		Self::deposit_event(Event::DecryptionShareSubmitted { job: id, holder: who, cid, hash });
		if complete {
			job.status = JobStatus::AwaitingPublication { aggregate, cohort_size };
			Jobs::<T>::insert(id, job);
			Self::deposit_event(Event::DecryptionSharesComplete { job: id });
		}
		Ok(holders)
	}

	pub(crate) fn do_publish_statistic(
		who: T::AccountId,
		id: JobId,
		values: ValuesOf<T>,
	) -> DispatchResult {
		Self::ensure_evaluator(&who)?;
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let JobStatus::AwaitingPublication { aggregate, cohort_size } = job.status.clone() else {
			return Err(Error::<T>::NotAwaitingPublication.into());
		};
		let JobKind::Statistic { purpose, category, field, statistic, epoch } = job.kind.clone()
		else {
			return Err(Error::<T>::NotAwaitingPublication.into());
		};
		let now = Self::now();
		ensure!(now < job.deadline, Error::<T>::DeadlinePassed);
		ensure!(values.len() as u32 == statistic.value_count(), Error::<T>::WrongValueCount);
		let mut votes = PublicationVotes::<T>::get(id);
		ensure!(!votes.iter().any(|v| v.evaluator == who), Error::<T>::DuplicateSubmission);
		let earlier: Vec<&ValuesOf<T>> = votes.iter().map(|v| &v.payload).collect();
		let disagrees = Self::first_disagreement(&earlier, &values);
		let agreeing = earlier.iter().filter(|p| ***p == values).count() as u32 + 1;
		votes
			.try_push(Submission { evaluator: who.clone(), payload: values.clone(), at: now })
			.map_err(|_| Error::<T>::TooManySubmissions)?;

		// All checks passed: write.
		PublicationVotes::<T>::insert(id, votes);
		Self::deposit_event(Event::StatisticValuesSubmitted {
			job: id,
			evaluator: who,
			values: values.clone(),
		});
		if disagrees {
			Self::deposit_event(Event::ResultsDisagree { job: id });
		}
		if agreeing >= Self::result_quorum() {
			let requested_at = job.requested_at;
			PublishedStatistics::<T>::insert(
				id,
				PublishedStatistic {
					purpose,
					category,
					field,
					statistic,
					cohort_size,
					values: values.clone(),
					aggregate,
					epoch,
					requested_at,
					published_at: now,
				},
			);
			Self::close_job(id, job, JobStatus::Published { at: now }, true);
			Self::deposit_event(Event::StatisticPublished { job: id, cohort_size, values });
		}
		Ok(())
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
						let kind = job.kind.clone();
						Self::close_job(*id, job, JobStatus::TimedOut { at: now }, false);
						Self::deposit_event(Event::JobTimedOut { job: *id });
						if let JobKind::JointKey { epoch } = kind {
							Self::epoch_failed(epoch, *id, now);
						}
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

	// ---- Queries for runtime APIs ----

	/// The jobs `evaluator` should work on now, oldest first: pending jobs and statistics
	/// awaiting publication, before their deadline, to which it has not submitted in their
	/// current phase. Empty for an account that is not an active evaluator.
	pub fn pending_jobs(
		evaluator: &T::AccountId,
	) -> Vec<JobSummary<T::AccountId, BlockNumberFor<T>>> {
		if !T::Consortium::is_active_member(evaluator, MemberKind::Evaluator) {
			return Vec::new();
		}
		let now = Self::now();
		PendingJobs::<T>::get()
			.into_iter()
			.filter_map(|id| Jobs::<T>::get(id).map(|job| (id, job)))
			.filter(|(id, job)| {
				now < job.deadline
					&& match job.status {
						JobStatus::Pending => {
							!job.submissions.iter().any(|s| &s.evaluator == evaluator)
						}
						JobStatus::AwaitingPublication { .. } => !PublicationVotes::<T>::get(id)
							.iter()
							.any(|v| &v.evaluator == evaluator),
						_ => false,
					}
			})
			.map(|(id, job)| Self::job_summary(id, job))
			.collect()
	}

	/// The statistic jobs, oldest first, that wait for `holder`'s decryption share: aggregate
	/// agreed, before their deadline, `holder` a holder of their epoch that has not submitted.
	pub fn shares_awaited(holder: &T::AccountId) -> Vec<JobId> {
		let now = Self::now();
		PendingJobs::<T>::get()
			.into_iter()
			.filter(|id| {
				Jobs::<T>::get(id).is_some_and(|job| {
					now < job.deadline
						&& matches!(job.status, JobStatus::AwaitingShares { .. })
						&& DecryptionShares::<T>::get(id)
							.iter()
							.any(|s| &s.holder == holder && s.share.is_none())
				})
			})
			.collect()
	}

	/// A key epoch, whatever its status.
	pub fn key_epoch(id: EpochId) -> Option<EpochSummary<T::AccountId, BlockNumberFor<T>>> {
		KeyEpochs::<T>::get(id).map(|e| EpochSummary {
			id,
			epoch: KeyEpoch {
				common_seed: e.common_seed,
				holders: e.holders.into_iter().map(Self::plain_share).collect(),
				joint_key: e.joint_key.map(Self::plain_ref),
				started_at: e.started_at,
				status: e.status,
			},
		})
	}

	/// The current key epoch, if one has a joint key.
	pub fn current_key_epoch() -> Option<EpochSummary<T::AccountId, BlockNumberFor<T>>> {
		CurrentEpoch::<T>::get().and_then(Self::key_epoch)
	}

	/// The key epoch being set up (collecting shares or awaiting its joint key), if any.
	pub fn pending_key_epoch() -> Option<EpochSummary<T::AccountId, BlockNumberFor<T>>> {
		PendingEpoch::<T>::get().and_then(Self::key_epoch)
	}

	/// A statistic's decryption-share slots, one per holder of its epoch in the epoch's order;
	/// empty before its aggregate is agreed.
	pub fn decryption_shares(job: JobId) -> Vec<HolderShare<T::AccountId, Vec<u8>>> {
		DecryptionShares::<T>::get(job)
			.into_iter()
			.map(Self::plain_share)
			.collect()
	}

	/// A job, whatever its status.
	pub fn job(id: JobId) -> Option<JobSummary<T::AccountId, BlockNumberFor<T>>> {
		Jobs::<T>::get(id).map(|job| Self::job_summary(id, job))
	}

	/// A model, retired or not.
	pub fn model(id: ModelId) -> Option<ModelSummary<T::AccountId, BlockNumberFor<T>>> {
		Models::<T>::get(id).map(|m| {
			let t = m.template;
			ModelSummary {
				id,
				model: Model {
					template: ModelTemplate {
						name: t.name.into_inner(),
						features: t
							.features
							.into_iter()
							.map(|f| FeatureSpec {
								name: f.name.into_inner(),
								unit: f.unit.into_inner(),
								offset_micros: f.offset_micros,
								scale_micros: f.scale_micros,
							})
							.collect(),
						weights: t.weights.into_inner(),
						bias: t.bias,
						score_divisor: t.score_divisor,
						output_meaning: t.output_meaning.into_inner(),
						provenance: t.provenance.into_inner(),
						parameter_set: t.parameter_set,
					},
					registrant: m.registrant,
					registered_at: m.registered_at,
					retired_at: m.retired_at,
				},
			}
		})
	}

	/// A published statistic, by the job that computed it.
	pub fn published_statistic(job: JobId) -> Option<PublishedStatisticSummary<BlockNumberFor<T>>> {
		PublishedStatistics::<T>::get(job).map(|p| PublishedStatisticSummary {
			job,
			statistic: PublishedStatistic {
				purpose: p.purpose,
				category: p.category,
				field: p.field,
				statistic: Self::plain_statistic(p.statistic),
				cohort_size: p.cohort_size,
				values: p.values.into_inner(),
				aggregate: Self::plain_ref(p.aggregate),
				epoch: p.epoch,
				requested_at: p.requested_at,
				published_at: p.published_at,
			},
		})
	}

	/// `who`'s evaluation key, if it registered one.
	pub fn evaluation_key(who: &T::AccountId) -> Option<EvaluationKey<BlockNumberFor<T>, Vec<u8>>> {
		EvaluationKeys::<T>::get(who)
			.map(|k| EvaluationKey { key: Self::plain_ref(k.key), registered_at: k.registered_at })
	}

	fn plain_ref(r: IpfsRef<CidOf<T>>) -> IpfsRef<Vec<u8>> {
		IpfsRef { cid: r.cid.into_inner(), hash: r.hash }
	}

	fn plain_share(s: HolderShareOf<T>) -> HolderShare<T::AccountId, Vec<u8>> {
		HolderShare { holder: s.holder, share: s.share.map(Self::plain_ref) }
	}

	fn plain_statistic(s: StatisticOf<T>) -> Statistic<Vec<i64>> {
		match s {
			Statistic::Count => Statistic::Count,
			Statistic::Sum => Statistic::Sum,
			Statistic::Mean => Statistic::Mean,
			Statistic::Histogram { bounds } => Statistic::Histogram { bounds: bounds.into_inner() },
		}
	}

	fn plain_outcome(o: OutcomeOf<T>) -> Outcome<Vec<u8>> {
		match o {
			Outcome::Success { result_cid, result_hash, cohort_size } => {
				Outcome::Success { result_cid: result_cid.into_inner(), result_hash, cohort_size }
			}
			Outcome::Failure { reason } => Outcome::Failure { reason },
		}
	}

	fn job_summary(id: JobId, job: JobOf<T>) -> JobSummary<T::AccountId, BlockNumberFor<T>> {
		let kind = match job.kind {
			JobKind::Prediction { model, input } => {
				JobKind::Prediction { model, input: Self::plain_ref(input) }
			}
			JobKind::Statistic { purpose, category, field, statistic, epoch } => {
				JobKind::Statistic {
					purpose,
					category,
					field,
					statistic: Self::plain_statistic(statistic),
					epoch,
				}
			}
			JobKind::JointKey { epoch } => JobKind::JointKey { epoch },
		};
		let status = match job.status {
			JobStatus::Pending => JobStatus::Pending,
			JobStatus::AwaitingShares { aggregate, cohort_size } => {
				JobStatus::AwaitingShares { aggregate: Self::plain_ref(aggregate), cohort_size }
			}
			JobStatus::AwaitingPublication { aggregate, cohort_size } => {
				JobStatus::AwaitingPublication {
					aggregate: Self::plain_ref(aggregate),
					cohort_size,
				}
			}
			JobStatus::Final { result, at } => {
				JobStatus::Final { result: Self::plain_ref(result), at }
			}
			JobStatus::Published { at } => JobStatus::Published { at },
			JobStatus::Failed { reason, at } => JobStatus::Failed { reason, at },
			JobStatus::TimedOut { at } => JobStatus::TimedOut { at },
			JobStatus::Cancelled { at } => JobStatus::Cancelled { at },
		};
		JobSummary {
			id,
			job: Job {
				kind,
				requester: job.requester,
				requested_at: job.requested_at,
				deadline: job.deadline,
				status,
				submissions: job
					.submissions
					.into_iter()
					.map(|s| Submission {
						evaluator: s.evaluator,
						payload: Self::plain_outcome(s.payload),
						at: s.at,
					})
					.collect(),
			},
		}
	}

	/// Invariants: the open-job list is increasing and holds exactly the open jobs; every open
	/// job is queued at its deadline, not behind the cursor, and every queued job is open; no
	/// pending outcome (nor awaiting-publication values) reached the quorum; submitters are
	/// distinct; an aggregated statistic has one share slot per holder of its epoch; a published
	/// statistic is stored; the current and pending epochs have the right status and the
	/// current one a joint key; an epoch awaiting its joint key names an open joint-key job.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let pending = PendingJobs::<T>::get();
		ensure!(pending.windows(2).all(|w| w[0] < w[1]), "open-job list not increasing");
		let mut open_per_account = alloc::collections::BTreeMap::<T::AccountId, u32>::new();
		for id in pending.iter() {
			let job = Jobs::<T>::get(id).ok_or("open job missing")?;
			if !matches!(job.kind, JobKind::JointKey { .. }) {
				*open_per_account.entry(job.requester).or_default() += 1;
			}
		}
		ensure!(
			OpenJobsOf::<T>::iter().collect::<alloc::collections::BTreeMap<_, _>>() == open_per_account,
			"per-account open-job counts out of sync"
		);
		let cursor = TimeoutCursor::<T>::get();
		let quorum = Self::result_quorum() as usize;
		for (id, job) in Jobs::<T>::iter() {
			ensure!(job.status.is_open() == pending.contains(&id), "open-job list out of sync");
			let queued = TimeoutQueue::<T>::get(job.deadline).contains(&id);
			ensure!(queued == job.status.is_open(), "timeout queue out of sync");
			if job.status.is_open() {
				ensure!(cursor.map_or(true, |c| job.deadline >= c), "open job behind the cursor");
			}
			let mut who: Vec<_> = job.submissions.iter().map(|s| s.evaluator.clone()).collect();
			who.sort();
			who.dedup();
			ensure!(who.len() == job.submissions.len(), "an evaluator submitted twice");
			if job.status == JobStatus::Pending {
				for s in job.submissions.iter() {
					let same = job.submissions.iter().filter(|o| o.payload == s.payload).count();
					ensure!(same < quorum, "pending job with an agreed outcome");
				}
			}
			match &job.status {
				JobStatus::AwaitingShares { .. } | JobStatus::AwaitingPublication { .. } => {
					let JobKind::Statistic { epoch, .. } = &job.kind else {
						return Err("only statistics await shares or publication".into());
					};
					let e = KeyEpochs::<T>::get(epoch).ok_or("statistic without its epoch")?;
					let slots = DecryptionShares::<T>::get(id);
					ensure!(
						slots.iter().map(|s| &s.holder).eq(e.holders.iter().map(|s| &s.holder)),
						"share slots differ from the epoch's holders"
					);
					let all = slots.iter().all(|s| s.share.is_some());
					ensure!(
						all == matches!(job.status, JobStatus::AwaitingPublication { .. }),
						"share completeness out of sync with status"
					);
				}
				JobStatus::Published { .. } => {
					ensure!(PublishedStatistics::<T>::contains_key(id), "published but not stored");
				}
				_ => {}
			}
			if matches!(job.status, JobStatus::AwaitingPublication { .. }) {
				let votes = PublicationVotes::<T>::get(id);
				for v in votes.iter() {
					let same = votes.iter().filter(|o| o.payload == v.payload).count();
					ensure!(same < quorum, "awaiting publication with agreed values");
				}
			}
		}
		for (deadline, bucket) in TimeoutQueue::<T>::iter() {
			for id in bucket.iter() {
				let job = Jobs::<T>::get(id).ok_or("queued job missing")?;
				ensure!(job.deadline == deadline && job.status.is_open(), "queued job not open");
			}
		}
		if let Some(current) = CurrentEpoch::<T>::get() {
			let e = KeyEpochs::<T>::get(current).ok_or("current epoch missing")?;
			ensure!(matches!(e.status, EpochStatus::Current { .. }), "current epoch not Current");
			ensure!(e.joint_key.is_some(), "current epoch without joint key");
		}
		let mut currents = 0;
		for (id, e) in KeyEpochs::<T>::iter() {
			match e.status {
				EpochStatus::Current { .. } => currents += 1,
				EpochStatus::CollectingShares | EpochStatus::AwaitingJointKey { .. } => {
					ensure!(PendingEpoch::<T>::get() == Some(id), "epoch being set up not pending");
				}
				_ => {}
			}
			if let EpochStatus::AwaitingJointKey { job } = e.status {
				let j = Jobs::<T>::get(job).ok_or("joint-key job missing")?;
				ensure!(
					j.status.is_open() && j.kind == JobKind::JointKey { epoch: id },
					"epoch awaits a job that is not its open joint-key job"
				);
			}
		}
		ensure!(currents <= 1, "more than one current epoch");
		if let Some(p) = PendingEpoch::<T>::get() {
			let e = KeyEpochs::<T>::get(p).ok_or("pending epoch missing")?;
			ensure!(
				matches!(
					e.status,
					EpochStatus::CollectingShares | EpochStatus::AwaitingJointKey { .. }
				),
				"pending epoch not being set up"
			);
		}
		Ok(())
	}
}
