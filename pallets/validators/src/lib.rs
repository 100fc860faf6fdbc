// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Validators pallet
//!
//! Who produces and finalizes Custodia's blocks, decided by the consortium's governance, and the
//! council's path to Root (runtime upgrades).
//!
//! ## Overview
//!
//! Custodia is a consortium chain: its validators are nodes run by consortium members. This
//! pallet keeps the list of validators that governance chose and hands it to `pallet-session`
//! as its [`SessionManager`]; the session pallet then gives the validators' session keys (Aura
//! and GRANDPA) to the consensus pallets. A change made in session `n` is planned at the end of
//! session `n` and takes effect at the start of session `n + 2` (the session pallet queues the
//! next set one session ahead so that nodes learn the new keys before they are used).
//!
//! Only active consortium members ([`Config::IsEligible`]) may validate. A validator whose
//! membership is suspended or removed is left out of the next planned set without any further
//! governance call, so a member that lost its standing stops validating two sessions later.
//!
//! ## Interface
//!
//! ### Dispatchable functions
//!
//! - [`Pallet::add_validator`]: governance adds an active member's account to the validators.
//! - [`Pallet::remove_validator`]: governance removes a validator, keeping at least
//!   [`Config::MinValidators`].
//! - [`Pallet::dispatch_as_root`]: a Root call (e.g. `system.authorize_upgrade`) dispatched by
//!   [`Config::RootOrigin`], on Custodia two thirds of the council. Chains without a sudo key
//!   have no other way to Root.
//!
//! ### Session keys
//!
//! A validator registers its keys itself with `session.set_keys(keys, proof)`, where `keys` and
//! `proof` come from its node's `author_rotateKeysWithOwner(account)` RPC. A validator without
//! keys ([`Config::HasSessionKeys`]) is left out of the planned set until it sets them.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::{boxed::Box, vec::Vec};
use frame_support::{
	dispatch::GetDispatchInfo,
	pallet_prelude::*,
	traits::{Contains, UnfilteredDispatchable},
};
use frame_system::pallet_prelude::*;

pub use pallet::*;
pub use weights::WeightInfo;

/// Who may validate. On Custodia: an active consortium member.
pub trait Eligibility<AccountId> {
	/// Whether `who` may validate now.
	fn is_eligible(who: &AccountId) -> bool;

	/// Make `who` eligible, for benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_make_eligible(who: &AccountId);
}

/// The validators governance chose, in the order they were added.
pub type ValidatorsOf<T> =
	BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxValidators>;

/// The pallet: its configuration, storage, calls, events and errors.
#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	/// The validators pallet.
	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The origin that adds and removes validators: `EnsureRoot` (sudo) on a development
		/// chain, a majority of the council on a consortium chain — the same origin that governs
		/// membership.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The origin that may dispatch a call as Root: on Custodia two thirds of the council,
		/// a stronger majority than membership needs, since Root can replace the runtime.
		type RootOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// A call [`Pallet::dispatch_as_root`] may dispatch.
		type RuntimeCall: Parameter
			+ UnfilteredDispatchable<RuntimeOrigin = Self::RuntimeOrigin>
			+ GetDispatchInfo;

		/// Whether an account may validate: on Custodia, an active consortium member. Checked
		/// when a validator is added and again whenever a session set is planned.
		type IsEligible: Eligibility<Self::AccountId>;

		/// Whether an account has registered session keys (`session.set_keys`). A validator
		/// without keys is left out of the planned set until it registers them, and then planned
		/// at the next session change.
		type HasSessionKeys: Contains<Self::AccountId>;

		/// The most validators. At least the consensus pallets' `MaxAuthorities`: a larger set
		/// would be cut by them.
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// The fewest validators governance may leave. GRANDPA needs more than two thirds of the
		/// validators online, so a consortium chain should keep at least four.
		#[pallet::constant]
		type MinValidators: Get<u32>;

		/// Weight information for extrinsics in this pallet.
		type WeightInfo: WeightInfo;
	}

	/// The validators governance chose, in the order they were added.
	#[pallet::storage]
	pub type Validators<T: Config> = StorageValue<_, ValidatorsOf<T>, ValueQuery>;

	/// The set last handed to the session pallet: the eligible [`Validators`] with session keys
	/// at that time. A new set is handed over only when it differs, so that an unchanged set
	/// does not start a new GRANDPA authority set every session.
	#[pallet::storage]
	pub type PlannedSet<T: Config> = StorageValue<_, ValidatorsOf<T>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validators of the first sessions. Each needs session keys in the session
		/// pallet's genesis. When empty, the session pallet's genesis keys name the validators.
		pub validators: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut validators = ValidatorsOf::<T>::default();
			for who in &self.validators {
				assert!(!validators.contains(who), "duplicate genesis validator");
				validators
					.try_push(who.clone())
					.expect("more genesis validators than MaxValidators");
			}
			// Genesis validators need not be members: the development chain has no members.
			PlannedSet::<T>::put(&validators);
			Validators::<T>::put(validators);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance added a validator; it validates from the second session change on, once it
		/// has set its session keys.
		ValidatorAdded {
			/// The new validator.
			who: T::AccountId,
		},
		/// Governance removed a validator; it stops validating at the second session change.
		ValidatorRemoved {
			/// The former validator.
			who: T::AccountId,
		},
		/// A new validator set was handed to the session pallet; it takes effect at the start of
		/// session `session`.
		NewSetPlanned {
			/// The session the set will validate.
			session: u32,
			/// The validators of that session.
			validators: Vec<T::AccountId>,
		},
		/// A call was dispatched as Root by [`Config::RootOrigin`].
		DispatchedAsRoot {
			/// The call's result.
			result: DispatchResult,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is not eligible to validate: it must be an active consortium member.
		/// Admit or reinstate it first.
		NotEligible,
		/// The account is already a validator.
		AlreadyValidator,
		/// The account is not a validator. Check the account id.
		NotValidator,
		/// There are already `MaxValidators` validators. Remove one first.
		TooManyValidators,
		/// Removing the validator would leave fewer than `MinValidators`. Add another first.
		TooFewValidators,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Add `who` to the validators.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// `who` validates from the second session change on, once it has set its session keys
		/// with `session.set_keys`.
		///
		/// ## Errors
		/// - [`Error::NotEligible`]: `who` is not an active consortium member.
		/// - [`Error::AlreadyValidator`]: `who` is a validator already.
		/// - [`Error::TooManyValidators`]: the set is full.
		///
		/// ## Events
		/// [`Event::ValidatorAdded`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator())]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(T::IsEligible::is_eligible(&who), Error::<T>::NotEligible);
			let mut validators = Validators::<T>::get();
			ensure!(!validators.contains(&who), Error::<T>::AlreadyValidator);
			validators.try_push(who.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
			Validators::<T>::put(validators);
			Self::deposit_event(Event::ValidatorAdded { who });
			Ok(())
		}

		/// Remove `who` from the validators.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// `who` keeps validating until the second session change. Its session keys stay
		/// registered; it may `session.purge_keys` them.
		///
		/// ## Errors
		/// - [`Error::NotValidator`]: `who` is not a validator.
		/// - [`Error::TooFewValidators`]: fewer than `MinValidators` would remain.
		///
		/// ## Events
		/// [`Event::ValidatorRemoved`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator())]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut validators = Validators::<T>::get();
			let position =
				validators.iter().position(|v| *v == who).ok_or(Error::<T>::NotValidator)?;
			ensure!(
				validators.len() as u32 > T::MinValidators::get(),
				Error::<T>::TooFewValidators
			);
			validators.remove(position);
			Validators::<T>::put(validators);
			Self::deposit_event(Event::ValidatorRemoved { who });
			Ok(())
		}

		/// Dispatch `call` with the Root origin.
		///
		/// ## Dispatch Origin
		/// [`Config::RootOrigin`]: on Custodia a council motion carried by two thirds of the
		/// members. A runtime upgrade is `system.authorize_upgrade(code_hash)` through this call,
		/// then anyone submits the code with `system.apply_authorized_upgrade(code)`; the code
		/// itself is too heavy for a council motion.
		///
		/// ## Details
		/// The call's own failure does not fail this call: it is reported in the event, as
		/// `sudo.sudo` does, so that the motion is closed either way.
		///
		/// ## Events
		/// [`Event::DispatchedAsRoot`].
		#[pallet::call_index(2)]
		#[pallet::weight({
			let info = call.get_dispatch_info();
			(T::WeightInfo::dispatch_as_root().saturating_add(info.call_weight), info.class)
		})]
		pub fn dispatch_as_root(
			origin: OriginFor<T>,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResultWithPostInfo {
			T::RootOrigin::ensure_origin(origin)?;
			let info = call.get_dispatch_info();
			let result = call.dispatch_bypass_filter(frame_system::RawOrigin::Root.into());
			// Refund what the call did not use, as the call itself would.
			let call_weight = frame_support::dispatch::extract_actual_weight(&result, &info);
			Self::deposit_event(Event::DispatchedAsRoot {
				result: result.map(|_| ()).map_err(|e| e.error),
			});
			Ok(Some(T::WeightInfo::dispatch_as_root().saturating_add(call_weight)).into())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The validators that may validate now: [`Validators`] without those no longer eligible
	/// and those without session keys.
	pub fn eligible_validators() -> ValidatorsOf<T> {
		let mut validators = Validators::<T>::get();
		validators.retain(|v| T::IsEligible::is_eligible(v) && T::HasSessionKeys::contains(v));
		validators
	}

	/// The set for session `session`, if it differs from the last one planned.
	fn plan(session: u32) -> Option<Vec<T::AccountId>> {
		let eligible = Self::eligible_validators();
		// An empty set would halt the chain; keep the last one instead (governance has removed
		// or suspended every validator, which only a broken consortium does).
		if eligible.is_empty() || eligible == PlannedSet::<T>::get() {
			return None;
		}
		PlannedSet::<T>::put(&eligible);
		let validators = eligible.into_inner();
		Self::deposit_event(Event::NewSetPlanned { session, validators: validators.clone() });
		Some(validators)
	}

	/// Check the invariants: bounded, no duplicates, at least one validator.
	#[cfg(any(feature = "try-runtime", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let validators = Validators::<T>::get();
		ensure!(!validators.is_empty(), "no validator");
		let mut sorted = validators.clone().into_inner();
		sorted.sort();
		sorted.dedup();
		ensure!(sorted.len() == validators.len(), "duplicate validator");
		ensure!(!PlannedSet::<T>::get().is_empty(), "no planned validator");
		Ok(())
	}
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(new_index: u32) -> Option<Vec<T::AccountId>> {
		Self::plan(new_index)
	}

	fn new_session_genesis(_new_index: u32) -> Option<Vec<T::AccountId>> {
		let validators = Validators::<T>::get();
		(!validators.is_empty()).then(|| validators.into_inner())
	}

	fn end_session(_end_index: u32) {}

	fn start_session(_start_index: u32) {}
}
