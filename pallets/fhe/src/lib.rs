// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # FHE pallet
//!
//! Personal predictions and programs under fully homomorphic encryption, agreed on chain: a
//! person encrypts the features of a registered model (or the inputs of their own program) under
//! their own key, evaluators compute the encrypted result, a quorum of them agrees on it, and only
//! the person can decrypt it. The pallet holds personal evaluation keys, auditable prediction
//! models, and prediction and program jobs.
//!
//! - [`Config`]
//! - [`Call`]
//!
//! ## Overview
//!
//! The pallet knows nothing of tfhe or IPFS: it stores CIDs, content hashes, bounded bytes and
//! small integers. The FHE work is done off chain by **evaluators** (active consortium members of
//! kind `Evaluator`, run by validators), which read what to do through runtime APIs and submit
//! their outcomes as signed extrinsics. No key that decrypts anything ever reaches the chain or
//! an evaluator.
//!
//! - **Evaluation keys.** Any account may register its FHE evaluation material (a tfhe server
//!   key, stored in IPFS) for generic programs run on its own encrypted data.
//! - **Models** (`models.rs`). Institutions register linear models as PMHE tuple templates
//!   (features, units, fixed-point scales, weights, bias, output meaning, provenance), readable
//!   by anyone.
//! - **Prediction jobs** (`predictions.rs`). A person asks for a model's score over an input they
//!   encrypted under their own key; evaluators compute it and submit the result's CID and hash,
//!   or why it cannot be done.
//! - **Program jobs** (`programs.rs`). A person with an evaluation key asks for a generic program
//!   (PMHE's add/mult contract API: the `custodia-fhe` engine's `Program`, JSON in IPFS) over
//!   values they encrypted under their own key; evaluators type-check it (bounded: `MAX_OPS`,
//!   `MAX_INPUTS`), run it with the person's evaluation key and submit the outputs' CID and hash,
//!   or the precise reason it cannot run (e.g. [`FailureReason::MalformedProgram`]). The
//!   evaluation key is the requester's, so a program over someone else's ciphertexts yields
//!   nothing anyone but the ciphertexts' owner could decrypt — and is garbage to them.
//! - **Agreement.** Both kinds share one job lifecycle (`jobs.rs`). An outcome is final when
//!   [`Pallet::result_quorum`] distinct evaluators submitted it identically:
//!   [`Config::ResultQuorum`], unless the chain's genesis set another value, which must be more
//!   than half of the evaluators the chain is founded with. Differing submissions emit
//!   [`Event::ResultsDisagree`], once per job; they are never resolved silently.
//! - **Timeouts.** A job not final before its deadline, [`Config::JobTimeout`] blocks after its
//!   request, times out. Timeouts are processed in `on_initialize` from an ordered queue, one
//!   bucket of job ids per deadline block and a cursor, at most [`Config::MaxTimeoutsPerBlock`]
//!   steps per block; what does not fit carries over to the next block, nothing is skipped. No
//!   call changes a job from its deadline on.
//! - **Deposits.** A model's registrant and a job's requester pay a storage deposit (a base plus
//!   [`Config::DepositPerByte`] per byte of what is stored), held with [`HoldReason`] until the
//!   model is retired or the job ends (final, failed or timed out).
//!
//! Cohort statistics are not computed here: they are Prio3 aggregations, in `pallet-statistics`.
//!
//! The `#[pallet]` module below declares config, storage, events, errors and calls; the logic
//! lives in the modules named above, the runtime APIs' queries in `queries.rs`, the invariants
//! `try_state` checks in `invariants.rs`, storage migrations in [`migrations`].
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
//! * [`request_program`](Pallet::request_program) - Ask for a program over your encrypted values.
//!
//! For institutions:
//! * [`register_model`](Pallet::register_model) - Register a model's tuple template.
//! * [`retire_model`](Pallet::retire_model) - Retire a model you registered.
//!
//! For evaluators:
//! * [`submit_result`](Pallet::submit_result) - Submit a job's outcome.
//!
//! ### Queries (plain functions, for runtime APIs)
//!
//! * [`Pallet::pending_jobs`] - What an evaluator should work on now.
//! * [`Pallet::job`], [`Pallet::model`], [`Pallet::evaluation_key`] - Jobs, models, evaluation
//!   keys.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod invariants;
mod jobs;
pub mod migrations;
#[cfg(test)]
mod mock;
mod models;
mod predictions;
mod programs;
mod queries;
#[cfg(test)]
mod tests;
pub use custodia_primitives::fhe as types;
pub mod weights;

use alloc::vec::Vec;
use custodia_pallet_support::DeadlineQueue;
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate, MutateHold},
};
use frame_system::pallet_prelude::*;
use pallet_consortium::{ConsortiumInterface, MemberKind};
use sp_core::H256;
use sp_runtime::traits::Saturating;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::fhe";

/// An IPFS CID, as bytes.
pub type CidOf<T> = BoundedVec<u8, <T as Config>::MaxCidLen>;
/// An amount of the deposit currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A storage deposit as stored.
pub type DepositOf<T> =
	custodia_primitives::Deposit<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
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
/// An evaluator's outcome, as stored.
pub type OutcomeOf<T> = Outcome<CidOf<T>>;
/// A submitted outcome.
pub type SubmissionOf<T> =
	Submission<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, OutcomeOf<T>>;
/// A job's submitted outcomes.
pub type SubmissionsOf<T> = BoundedVec<SubmissionOf<T>, <T as Config>::MaxSubmissions>;
/// What a job computes, as stored.
pub type JobKindOf<T> = JobKind<CidOf<T>>;
/// Where a job stands, as stored.
pub type JobStatusOf<T> = JobStatus<BlockNumberFor<T>, CidOf<T>>;
/// A job, as stored.
pub type JobOf<T> =
	Job<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, CidOf<T>, SubmissionsOf<T>>;
/// An evaluation key, as stored.
pub type EvaluationKeyOf<T> = EvaluationKey<BlockNumberFor<T>, CidOf<T>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The consortium: who is an active institution or evaluator.
		type Consortium: ConsortiumInterface<Self::AccountId>;

		/// The overarching hold reason, into which this pallet's [`HoldReason`] converts.
		type RuntimeHoldReason: From<HoldReason>;

		/// The currency storage deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The part of a model's deposit every model pays, whatever its size.
		#[pallet::constant]
		type ModelDepositBase: Get<BalanceOf<Self>>;

		/// The part of a job's deposit every job pays, whatever its size.
		#[pallet::constant]
		type JobDepositBase: Get<BalanceOf<Self>>;

		/// The part of a deposit paid per byte of the stored model or job.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// How many distinct evaluators must submit the identical outcome for it to be final,
		/// unless the chain's genesis sets another value ([`GenesisConfig::result_quorum`], see
		/// [`Pallet::result_quorum`]). 1 suits a development chain with one evaluator; a
		/// consortium chain needs more than the number of evaluators that may be faulty.
		#[pallet::constant]
		type ResultQuorum: Get<u32>;

		/// How many blocks after its request a job times out unless it is final.
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

		/// The most outcomes one job may collect: at least `ResultQuorum`.
		#[pallet::constant]
		type MaxSubmissions: Get<u32>;

		/// The most jobs that may be open (pending: not final, failed or timed out) at once.
		#[pallet::constant]
		type MaxPendingJobs: Get<u32>;

		/// The most jobs (predictions and programs) one account may have open at once, so that no
		/// account can fill [`Config::MaxPendingJobs`] and lock everyone else out.
		#[pallet::constant]
		type MaxOpenJobsPerAccount: Get<u32>;

		/// Weight information for extrinsics in this pallet.
		type WeightInfo: WeightInfo;
	}

	/// Each account's FHE evaluation key, for generic programs over its own data.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type EvaluationKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, EvaluationKeyOf<T>, OptionQuery>;

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

	/// The storage deposit of each model not retired.
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type ModelDeposits<T: Config> =
		StorageMap<_, Twox64Concat, ModelId, DepositOf<T>, OptionQuery>;

	/// The storage deposit of each open job.
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type JobDeposits<T: Config> = StorageMap<_, Twox64Concat, JobId, DepositOf<T>, OptionQuery>;

	/// The open jobs (status `Pending`), oldest first.
	#[pallet::storage]
	pub type OpenJobs<T: Config> =
		StorageValue<_, BoundedVec<JobId, T::MaxPendingJobs>, ValueQuery>;

	/// How many jobs each account has open (absent: none).
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by the people who create them.
	#[pallet::storage]
	pub type OpenJobCount<T: Config> =
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

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A model's storage deposit, held until the model is retired.
		#[codec(index = 0)]
		ModelDeposit,
		/// A job's storage deposit, held until the job is final, fails or times out.
		#[codec(index = 1)]
		JobDeposit,
	}

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
		/// An individual asked for a program over their own encrypted values.
		ProgramRequested {
			/// The new job.
			job: JobId,
			/// The individual, whose evaluation key the program runs with and who alone can
			/// decrypt the result.
			requester: T::AccountId,
			/// The program (JSON) in IPFS, and its hash.
			program: IpfsRef<CidOf<T>>,
			/// The encrypted input values in IPFS, and their hash.
			input: IpfsRef<CidOf<T>>,
			/// The requester's evaluation key the evaluators use.
			evaluation_key: IpfsRef<CidOf<T>>,
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
		/// Evaluators submitted different outcomes for a job: emitted once per job, when the
		/// second distinct submission arrives. The job stays open until one outcome reaches the
		/// quorum or the job times out.
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
		/// A program's result was agreed: its requester may fetch and decrypt it.
		ProgramResultReady {
			/// The job.
			job: JobId,
			/// The requester, who alone can decrypt it.
			owner: T::AccountId,
			/// The IPFS CID of the encrypted outputs.
			result_cid: CidOf<T>,
			/// Its hash.
			result_hash: H256,
		},
		/// A job failed: its evaluators agreed it cannot be done.
		JobFailed {
			/// The job.
			job: JobId,
			/// Why.
			reason: FailureReason,
		},
		/// A job was not finished before its deadline.
		JobTimedOut {
			/// The job.
			job: JobId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The CID is empty. Give the IPFS CID of the object.
		EmptyCid,
		/// Your free balance cannot cover the storage deposit (the base plus `DepositPerByte` ×
		/// the size of the model or job). Fund the account first; deposits come back when the
		/// model is retired or the job ends.
		InsufficientDeposit,
		/// You have no evaluation key (to remove, or to run a program with). Register one first
		/// with `register_evaluation_key`.
		NoEvaluationKey,
		/// `MaxPendingJobs` jobs are open. Wait for some to finish or time out, then try again.
		TooManyPendingJobs,
		/// You already have `MaxOpenJobsPerAccount` jobs (predictions and programs) open. Wait for
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
		/// Only an active evaluator of the consortium may do this.
		NotActiveEvaluator,
		/// There is no job with this id.
		UnknownJob,
		/// The job takes no more outcomes: its outcome was agreed, or it failed or timed out.
		JobNotPending,
		/// The job's deadline has come: it takes nothing more and will time out.
		DeadlinePassed,
		/// You already submitted an outcome for this job. Each evaluator submits once.
		DuplicateSubmission,
		/// The job has `MaxSubmissions` submissions without agreement; it will time out.
		TooManySubmissions,
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

		/// Register a linear prediction model: its tuple template, readable by anyone.
		///
		/// ## Dispatch Origin
		/// Signed, by an active institution.
		///
		/// ## Details
		/// The registrant pays the model's storage deposit, held until it retires the model.
		/// - `template`: a non-empty name; 1 to `MaxFeatures` features with non-empty, distinct
		///   names and a non-zero `scale_micros`; one weight per feature; a bias; a non-zero
		///   `score_divisor`; a non-empty output meaning and provenance; the FHE parameter set
		///   code.
		///
		/// ## Errors
		/// `NotActiveInstitution`, `EmptyName`, `NoFeatures`, `WeightCountMismatch`,
		/// `DuplicateFeatureName`, `ZeroScale`, `MissingDescription`, `InsufficientDeposit`.
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

		/// Retire a model: it takes no new predictions. Jobs already requested complete. Its
		/// storage deposit is released.
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
			Self::do_retire_model(who, model)
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
		/// The requester pays the job's storage deposit, held until the job is final, fails or
		/// times out.
		///
		/// ## Errors
		/// `UnknownModel`, `ModelRetired`, `EmptyCid`, `TooManyOpenJobs`, `TooManyPendingJobs`,
		/// `InsufficientDeposit`.
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

		/// Submit your outcome for a pending job.
		///
		/// ## Dispatch Origin
		/// Signed, by an active evaluator.
		///
		/// ## Details
		/// - `job`: a pending job, before its deadline, you have not submitted to.
		/// - `outcome`: `Success` with the CID and hash of the encrypted score, or `Failure` with
		///   a reason.
		///
		/// When [`Pallet::result_quorum`] evaluators have submitted the identical outcome it is
		/// final: a success makes the prediction ready for its requester, a failure fails the
		/// job. The second distinct outcome emits [`Event::ResultsDisagree`].
		///
		/// ## Errors
		/// `NotActiveEvaluator`, `UnknownJob`, `JobNotPending`, `DeadlinePassed`,
		/// `DuplicateSubmission`, `EmptyCid`, `TooManySubmissions`.
		///
		/// ## Events
		/// [`Event::ResultSubmitted`]; [`Event::ResultsDisagree`] on the first disagreement;
		/// [`Event::PredictionReady`] or [`Event::JobFailed`] on agreement.
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

		/// Ask for a program over values you encrypted under your own key, evaluated with your
		/// registered evaluation key. Only you can decrypt the result.
		///
		/// ## Dispatch Origin
		/// Signed, by an account with a registered evaluation key.
		///
		/// ## Details
		/// - `program`: the IPFS CID and hash of the program, the `custodia-fhe` engine's
		///   `Program` as JSON (at most `MAX_OPS` operations and `MAX_INPUTS` inputs).
		/// - `input`: the IPFS CID and hash of the encrypted input values, one per program input,
		///   encrypted under the key whose evaluation key you registered.
		///
		/// The job uses the evaluation key registered now, even if you replace it before the
		/// job ends. The requester pays the job's storage deposit, held until the job is final,
		/// fails or times out. Evaluators fail a malformed or oversized program with its reason
		/// ([`FailureReason::MalformedProgram`], [`FailureReason::ProgramTooLarge`], …).
		///
		/// ## Errors
		/// `EmptyCid`, `NoEvaluationKey`, `TooManyOpenJobs`, `TooManyPendingJobs`,
		/// `InsufficientDeposit`.
		///
		/// ## Events
		/// [`Event::ProgramRequested`]; later [`Event::ProgramResultReady`], [`Event::JobFailed`]
		/// or [`Event::JobTimedOut`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::request_program())]
		pub fn request_program(
			origin: OriginFor<T>,
			program: IpfsRef<CidOf<T>>,
			input: IpfsRef<CidOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_program(who, program, input).map(|_| ())
		}
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// How many distinct evaluators must submit the identical outcome: the chain's genesis
	/// value, or [`Config::ResultQuorum`].
	pub fn result_quorum() -> u32 {
		GenesisResultQuorum::<T>::get().unwrap_or_else(T::ResultQuorum::get)
	}
}
