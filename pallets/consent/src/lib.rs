// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Consent pallet
//!
//! Time-bounded, purpose-bound consent to health data, answered by the person the data is about.
//!
//! - [`Config`]
//! - [`Call`]
//! - [`ConsentInterface`]: how other pallets check a grant
//! - [`OnGrantRevoked`]: how other pallets learn that a grant was revoked
//!
//! ## Overview
//!
//! This is the person-centred consent model of Vanin et al. (2023), with FHIR-aligned codes:
//!
//! - An **institution** (an active consortium member, see `pallet-consortium`) **requests**
//!   consent from a **subject**: a scope (a set of [`DataCategory`] codes, each mapped to a FHIR R4
//!   resource type and LOINC code in docs/consent.md), a purpose (an HL7 v3 [`PurposeOfUse`] code),
//!   a requested [`Period`] of blocks, and the X25519 key of the person or system that will read
//!   the data. The stored request also carries its timestamp, the consortium's key and the
//!   institution's key.
//! - The institution pays a **storage deposit** for each request ([`Config::RequestDeposit`]
//!   plus [`Config::DepositPerByte`] per byte of the stored request), held with
//!   [`HoldReason::RequestDeposit`] until the request is granted, denied, withdrawn or lapses (an
//!   unanswered request whose period ended may be withdrawn to get it back).
//! - The subject, or a **delegate** the subject appointed (a caregiver), **grants** the request
//!   (possibly for fewer categories or a shorter period than asked), **denies** it, or later
//!   **revokes** the grant.
//! - A subject may also make a **consortium-wide grant**: any active institution, one purpose
//!   (e.g. PUBHLTH statistics). This is how people join statistics cohorts.
//! - Grants **end by themselves** when their period ends. No state changes at that block: every
//!   query compares the grant's period with the block it is asked about, so every answer is right
//!   at every block.
//! - When an institution is **suspended** (or removed), every grant it holds is logically revoked
//!   at once: grants carry increasing ids and the pallet records, per institution, the first id not
//!   affected, so queries answer `false` from the same block. Storage then catches up in
//!   `on_initialize`: a queue marks each such grant `Revoked`, emits its event and tells
//!   [`Config::OnGrantRevoked`] (the vaults pallet closes the grant's vaults). The queue does at
//!   most [`Config::MaxRevocationsPerBlock`] grants per block and carries the rest over; nothing is
//!   skipped.
//!
//! The pallet depends on the consortium only through [`Config::Consortium`]
//! (`pallet_consortium::ConsortiumInterface`), and is told of suspensions through
//! `pallet_consortium::OnMemberSuspended`, which [`Pallet`] implements.
//!
//! ## Interface
//!
//! ### Dispatchable functions
//!
//! For institutions (active consortium members of kind Institution):
//! * [`request`](Pallet::request) - Ask a subject for consent.
//! * [`withdraw_request`](Pallet::withdraw_request) - Withdraw an unanswered request.
//!
//! For subjects and their delegates:
//! * [`grant`](Pallet::grant) - Grant a request, possibly narrower than asked.
//! * [`deny`](Pallet::deny) - Refuse a request.
//! * [`revoke`](Pallet::revoke) - Revoke a grant before its period ends.
//! * [`grant_consortium_wide`](Pallet::grant_consortium_wide) - Let any institution use some data
//!   for one purpose (join a cohort).
//!
//! For subjects only:
//! * [`set_delegate`](Pallet::set_delegate) - Appoint a delegate who may answer for you.
//! * [`remove_delegate`](Pallet::remove_delegate) - Dismiss a delegate.
//!
//! ### Queries (plain functions, for runtime APIs)
//!
//! * [`Pallet::is_authorized`] - May institution X read category C of subject S for purpose P at
//!   block B?
//! * [`Pallet::requests_of`] - A subject's unanswered requests.
//! * [`Pallet::grants_of`] - A subject's grants that have not ended.
//! * [`Pallet::grants_of_institution`] - An institution's grants that have not ended.
//! * [`Pallet::cohort`] - The subjects with a live consortium-wide grant for a purpose and category.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

use alloc::vec::Vec;
use custodia_pallet_support::deposit;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		UnixTime,
	},
};
use frame_system::pallet_prelude::*;
use pallet_consortium::{ConsortiumInterface, MemberKind, OnMemberSuspended, X25519PublicKey};
use sp_runtime::traits::Saturating;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::consent";

/// A scope as stored: sorted, without duplicates, never empty.
pub type ScopeOf<T> = BoundedVec<DataCategory, <T as Config>::MaxCategories>;
/// A consent request as stored.
pub type RequestOf<T> =
	ConsentRequest<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, ScopeOf<T>>;
/// A grant as stored.
pub type GrantOf<T> = Grant<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, ScopeOf<T>>;
/// A period in blocks.
pub type PeriodOf<T> = Period<BlockNumberFor<T>>;
/// An amount of the deposit currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A request's storage deposit as stored.
pub type DepositOf<T> =
	custodia_primitives::Deposit<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

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
		/// The consortium: who is an active institution, and the keys requests carry.
		type Consortium: ConsortiumInterface<Self::AccountId>;

		/// Wall-clock time, for the timestamp requests carry (`pallet_timestamp::Pallet` in a
		/// runtime).
		type UnixTime: UnixTime;

		/// Told when a grant is revoked before its period ended (the vaults pallet closes the
		/// grant's vaults).
		type OnGrantRevoked: OnGrantRevoked;

		/// The overarching hold reason, into which this pallet's [`HoldReason`] converts.
		type RuntimeHoldReason: From<HoldReason>;

		/// The currency storage deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The part of a request's deposit every request pays, whatever its size.
		#[pallet::constant]
		type RequestDeposit: Get<BalanceOf<Self>>;

		/// The part of a request's deposit paid per byte of the stored request.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// The most data categories one scope may hold (at least the number of
		/// [`DataCategory`] codes, 18, so that a scope may name them all).
		#[pallet::constant]
		type MaxCategories: Get<u32>;

		/// The most unanswered requests one subject may have.
		#[pallet::constant]
		type MaxPendingRequests: Get<u32>;

		/// The most unanswered requests one institution may have waiting for one subject (at most
		/// `MaxPendingRequests`): no institution can fill a person's inbox and so shut the other
		/// institutions out of it.
		#[pallet::constant]
		type MaxPendingRequestsPerInstitution: Get<u32>;

		/// The most grants (not revoked, not yet ended) one subject may have given.
		#[pallet::constant]
		type MaxGrantsPerSubject: Get<u32>;

		/// The most grants (not revoked, not yet ended) one institution may hold.
		#[pallet::constant]
		type MaxGrantsPerInstitution: Get<u32>;

		/// The most delegates one subject may appoint.
		#[pallet::constant]
		type MaxDelegates: Get<u32>;

		/// The longest period, in blocks, a request or grant may span.
		#[pallet::constant]
		type MaxPeriod: Get<BlockNumberFor<Self>>;

		/// The most grants revoked per block because of suspensions (the rest waits for the next
		/// block).
		#[pallet::constant]
		type MaxRevocationsPerBlock: Get<u32>;

		/// Weight information for extrinsics in this pallet.
		type WeightInfo: WeightInfo;
	}

	/// The id the next request gets.
	#[pallet::storage]
	pub type NextRequestId<T: Config> = StorageValue<_, RequestId, ValueQuery>;

	/// The id the next grant gets. Grant ids only grow: a grant with a higher id was made later.
	#[pallet::storage]
	pub type NextGrantId<T: Config> = StorageValue<_, GrantId, ValueQuery>;

	/// Every consent request ever made, answered or not (the audit trail).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type Requests<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, RequestOf<T>, OptionQuery>;

	/// The storage deposit of each unanswered request.
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type RequestDeposits<T: Config> =
		StorageMap<_, Twox64Concat, RequestId, DepositOf<T>, OptionQuery>;

	/// The unanswered requests of each subject, oldest first.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type PendingRequests<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<RequestId, T::MaxPendingRequests>,
		ValueQuery,
	>;

	/// Every grant ever made, revoked or not (the audit trail).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type Grants<T: Config> = StorageMap<_, Twox64Concat, GrantId, GrantOf<T>, OptionQuery>;

	/// The grants each subject gave that are not revoked, oldest first. Grants that ended by
	/// themselves are dropped lazily, when room is needed.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type GrantsBySubject<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<GrantId, T::MaxGrantsPerSubject>,
		ValueQuery,
	>;

	/// The grants each institution holds that are not revoked, in increasing id order. Grants
	/// that ended by themselves are dropped lazily, when room is needed.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type GrantsByInstitution<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<GrantId, T::MaxGrantsPerInstitution>,
		ValueQuery,
	>;

	/// The consortium-wide grant of each subject for each purpose (at most one that has not
	/// ended): the statistics cohorts.
	///
	/// Hashers: `Twox64Concat` for the purpose (a small fixed set of codes), `Blake2_128Concat` for
	/// the subject (chosen by its owner).
	#[pallet::storage]
	pub type CohortGrants<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		PurposeOfUse,
		Blake2_128Concat,
		T::AccountId,
		GrantId,
		OptionQuery,
	>;

	/// The delegates each subject appointed.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type Delegates<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<T::AccountId, T::MaxDelegates>,
		ValueQuery,
	>;

	/// For each institution that was ever suspended or removed: every grant to it with a lower id
	/// is revoked, whether or not the revocation queue has reached it yet.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type RevokedBefore<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, GrantId, OptionQuery>;

	/// Institutions whose grants below the given id still have to be marked revoked in storage.
	/// Worked through in `on_initialize`, at most [`Config::MaxRevocationsPerBlock`] grants per
	/// block.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type RevocationQueue<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, GrantId, OptionQuery>;

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A consent request's storage deposit, held from the institution until the request is
		/// answered, withdrawn or lapses.
		#[codec(index = 0)]
		RequestDeposit,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An institution asked a subject for consent.
		ConsentRequested {
			/// The new request.
			request: RequestId,
			/// The institution asking.
			institution: T::AccountId,
			/// The person asked.
			subject: T::AccountId,
			/// The data categories asked for.
			scope: ScopeOf<T>,
			/// Why.
			purpose: PurposeOfUse,
			/// For how long.
			period: PeriodOf<T>,
		},
		/// The subject (or a delegate) granted a request.
		ConsentGranted {
			/// The request answered.
			request: RequestId,
			/// The new grant.
			grant: GrantId,
			/// The person whose data it covers.
			subject: T::AccountId,
			/// The institution that may use it.
			institution: T::AccountId,
			/// The data categories granted (perhaps fewer than asked).
			scope: ScopeOf<T>,
			/// The only purpose it may be used for.
			purpose: PurposeOfUse,
			/// When it may be used (perhaps shorter than asked).
			period: PeriodOf<T>,
			/// The account that granted it: the subject or a delegate.
			by: T::AccountId,
		},
		/// The subject (or a delegate) let any institution use some data for one purpose.
		ConsortiumWideConsentGranted {
			/// The new grant.
			grant: GrantId,
			/// The person whose data it covers.
			subject: T::AccountId,
			/// The data categories granted.
			scope: ScopeOf<T>,
			/// The only purpose it may be used for.
			purpose: PurposeOfUse,
			/// When it may be used.
			period: PeriodOf<T>,
			/// The account that granted it: the subject or a delegate.
			by: T::AccountId,
		},
		/// The subject (or a delegate) refused a request.
		ConsentDenied {
			/// The request refused.
			request: RequestId,
			/// The person asked.
			subject: T::AccountId,
			/// The institution that asked.
			institution: T::AccountId,
			/// The account that refused: the subject or a delegate.
			by: T::AccountId,
		},
		/// The institution withdrew an unanswered request.
		RequestWithdrawn {
			/// The request withdrawn.
			request: RequestId,
			/// The institution that withdrew it.
			institution: T::AccountId,
		},
		/// An unanswered request's period ended; it was dropped from the subject's list.
		RequestLapsed {
			/// The request dropped.
			request: RequestId,
			/// The person it was addressed to.
			subject: T::AccountId,
		},
		/// A grant was revoked before its period ended.
		ConsentRevoked {
			/// The grant revoked.
			grant: GrantId,
			/// The person whose data it covered.
			subject: T::AccountId,
			/// Who could use it.
			grantee: Grantee<T::AccountId>,
			/// Why it was revoked.
			reason: RevocationReason<T::AccountId>,
		},
		/// A subject appointed a delegate, who may now grant, deny and revoke for them.
		DelegateAppointed {
			/// The person.
			subject: T::AccountId,
			/// The delegate.
			delegate: T::AccountId,
		},
		/// A subject dismissed a delegate.
		DelegateRemoved {
			/// The person.
			subject: T::AccountId,
			/// The former delegate.
			delegate: T::AccountId,
		},
		/// An institution was suspended or removed: every grant to it with an id below `before` is
		/// revoked now, and will be marked so in storage over the next blocks.
		SuspensionRevocationQueued {
			/// The institution.
			institution: T::AccountId,
			/// The first grant id not affected.
			before: GrantId,
		},
		/// Every grant revoked by an institution's suspension is now marked so in storage.
		SuspensionRevocationCompleted {
			/// The institution.
			institution: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only an active consortium institution may ask for consent. Ask governance to admit or
		/// reinstate the institution.
		NotActiveInstitution,
		/// The institution's free balance cannot cover the request's storage deposit
		/// (`RequestDeposit + DepositPerByte` × the request's size). Fund the account, or
		/// withdraw requests whose period ended: their deposits come back.
		InsufficientDeposit,
		/// The scope names no data category. Name at least one.
		EmptyScope,
		/// The period's start is not before its end. Give a start block lower than the end block.
		InvalidPeriod,
		/// The period has already ended at the current block. Give an end block in the future.
		PeriodEnded,
		/// The period is longer than `MaxPeriod` blocks. Ask for a shorter period.
		PeriodTooLong,
		/// The requester key is all zeros, which is not a usable X25519 public key.
		InvalidRequesterKey,
		/// The consortium key has not been set yet, so a request cannot carry it. Governance sets
		/// it with `Consortium::set_consortium_key`.
		NoConsortiumKey,
		/// The subject has `MaxPendingRequests` unanswered requests. Wait until the subject
		/// answers some, or until their periods end.
		TooManyPendingRequests,
		/// This institution already has `MaxPendingRequestsPerInstitution` unanswered requests
		/// waiting for this subject. Withdraw one, or wait until the subject answers or their
		/// periods end.
		TooManyRequestsFromInstitution,
		/// There is no request with this id.
		UnknownRequest,
		/// The request has already been granted, denied, withdrawn or has lapsed.
		RequestNotPending,
		/// Only the subject, or a delegate the subject appointed, may answer for the subject.
		NotSubjectOrDelegate,
		/// Only the institution that made the request may withdraw it.
		NotRequester,
		/// The institution that asked is no longer an active member, so it may not receive a
		/// grant. Deny the request instead.
		InstitutionNotActive,
		/// The granted scope names a category the request did not ask for. A grant may only be
		/// narrower than the request.
		ScopeNotRequested,
		/// The granted period is not inside the requested period. A grant may only be shorter.
		PeriodNotRequested,
		/// The subject has `MaxGrantsPerSubject` grants that neither ended nor were revoked.
		/// Revoke one first.
		TooManyGrantsForSubject,
		/// The institution holds `MaxGrantsPerInstitution` grants that neither ended nor were
		/// revoked. The institution must wait until some end.
		TooManyGrantsForInstitution,
		/// There is no grant with this id.
		UnknownGrant,
		/// The grant was already revoked.
		GrantNotActive,
		/// The grant's period has already ended; there is nothing left to revoke.
		GrantEnded,
		/// The subject already has a consortium-wide grant for this purpose that has not ended.
		/// Revoke it first to change its scope or period.
		AlreadyInCohort,
		/// A subject cannot appoint themselves as their own delegate.
		CannotDelegateToSelf,
		/// This account is already one of the subject's delegates.
		AlreadyDelegate,
		/// The subject has `MaxDelegates` delegates. Remove one first.
		TooManyDelegates,
		/// This account is not one of the subject's delegates.
		NotDelegate,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_revocation_queue(now)
		}

		fn integrity_test() {
			assert!(
				T::MaxCategories::get() as usize >= DataCategory::ALL.len(),
				"MaxCategories must let a scope name every data category"
			);
			assert!(T::MaxRevocationsPerBlock::get() > 0, "MaxRevocationsPerBlock must be > 0");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Ask a subject for consent to some of their data.
		///
		/// ## Dispatch Origin
		/// Signed, by an active consortium institution.
		///
		/// ## Details
		/// - `subject`: the person whose data is asked for.
		/// - `scope`: the data categories asked for (duplicates are ignored).
		/// - `purpose`: why (HL7 PurposeOfUse).
		/// - `period`: the blocks during which access is wanted (start included, end excluded), at
		///   most `MaxPeriod` long.
		/// - `requester_key`: the X25519 key of the person or system that will read the data.
		///
		/// The stored request also carries the current timestamp, the consortium's key and the
		/// institution's key. If the subject's list of unanswered requests is full, requests
		/// whose period ended are dropped from it first (each with a `RequestLapsed` event, and
		/// its deposit released). The institution pays the request's storage deposit, held until
		/// the request is answered, withdrawn or lapses.
		///
		/// ## Errors
		/// `NotActiveInstitution`, `EmptyScope`, `InvalidPeriod`, `PeriodEnded`, `PeriodTooLong`,
		/// `InvalidRequesterKey`, `NoConsortiumKey`, `TooManyRequestsFromInstitution`,
		/// `TooManyPendingRequests`, `InsufficientDeposit`.
		///
		/// ## Events
		/// [`Event::ConsentRequested`], after any [`Event::RequestLapsed`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::request())]
		pub fn request(
			origin: OriginFor<T>,
			subject: T::AccountId,
			scope: ScopeOf<T>,
			purpose: PurposeOfUse,
			period: PeriodOf<T>,
			requester_key: X25519PublicKey,
		) -> DispatchResult {
			let institution = ensure_signed(origin)?;
			Self::do_request(institution, subject, scope, purpose, period, requester_key)
				.map(|_| ())
		}

		/// Grant a consent request, possibly narrower than asked.
		///
		/// ## Dispatch Origin
		/// Signed, by the subject or one of the subject's delegates.
		///
		/// ## Details
		/// - `request`: the request to grant.
		/// - `scope`: `None` to grant every category asked for, or a subset of them.
		/// - `period`: `None` to grant the period asked for, or a period inside it.
		///
		/// From the grant's start block until its end block, the institution may use it for the
		/// request's purpose only. It ends by itself at its end block. If the subject's or the
		/// institution's list of grants is full, grants whose period ended are dropped from it
		/// first.
		///
		/// ## Errors
		/// `UnknownRequest`, `RequestNotPending`, `NotSubjectOrDelegate`, `InstitutionNotActive`,
		/// `EmptyScope`, `ScopeNotRequested`, `InvalidPeriod`, `PeriodNotRequested`,
		/// `PeriodEnded`, `TooManyGrantsForSubject`, `TooManyGrantsForInstitution`.
		///
		/// ## Events
		/// [`Event::ConsentGranted`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::grant())]
		pub fn grant(
			origin: OriginFor<T>,
			request: RequestId,
			scope: Option<ScopeOf<T>>,
			period: Option<PeriodOf<T>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_grant(who, request, scope, period).map(|_| ())
		}

		/// Refuse a consent request.
		///
		/// ## Dispatch Origin
		/// Signed, by the subject or one of the subject's delegates.
		///
		/// ## Errors
		/// `UnknownRequest`, `RequestNotPending`, `NotSubjectOrDelegate`.
		///
		/// ## Events
		/// [`Event::ConsentDenied`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::deny())]
		pub fn deny(origin: OriginFor<T>, request: RequestId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut req = Requests::<T>::get(request).ok_or(Error::<T>::UnknownRequest)?;
			ensure!(req.status == RequestStatus::Pending, Error::<T>::RequestNotPending);
			ensure!(Self::acts_for(&who, &req.subject), Error::<T>::NotSubjectOrDelegate);

			let now = frame_system::Pallet::<T>::block_number();
			req.status = RequestStatus::Denied { at: now };
			Self::remove_pending(&req.subject, request);
			let (subject, institution) = (req.subject.clone(), req.institution.clone());
			Requests::<T>::insert(request, req);
			Self::deposit_event(Event::ConsentDenied { request, subject, institution, by: who });
			Ok(())
		}

		/// Revoke a grant before its period ends.
		///
		/// ## Dispatch Origin
		/// Signed, by the subject or one of the subject's delegates.
		///
		/// ## Details
		/// The grant can no longer be used from this block on, and every shared data vault opened
		/// under it is closed.
		///
		/// ## Errors
		/// `UnknownGrant`, `NotSubjectOrDelegate`, `GrantNotActive`, `GrantEnded`.
		///
		/// ## Events
		/// [`Event::ConsentRevoked`] (after the vaults pallet's events for closed vaults).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::revoke().saturating_add(T::OnGrantRevoked::weight()))]
		pub fn revoke(origin: OriginFor<T>, grant: GrantId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let g = Grants::<T>::get(grant).ok_or(Error::<T>::UnknownGrant)?;
			ensure!(Self::acts_for(&who, &g.subject), Error::<T>::NotSubjectOrDelegate);
			ensure!(g.status == GrantStatus::Active, Error::<T>::GrantNotActive);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(!g.period.has_ended(now), Error::<T>::GrantEnded);

			Self::revoke_grant(grant, g, RevocationReason::BySubject { by: who }, true);
			Ok(())
		}

		/// Let any active consortium institution use some of your data for one purpose: join the
		/// statistics cohort for that purpose.
		///
		/// ## Dispatch Origin
		/// Signed, by the subject or one of the subject's delegates.
		///
		/// ## Details
		/// - `subject`: the person whose data it covers.
		/// - `scope`: the data categories covered (duplicates are ignored).
		/// - `purpose`: the only purpose it may be used for, e.g. PUBHLTH or HRESCH.
		/// - `period`: when it may be used, at most `MaxPeriod` blocks.
		///
		/// A subject has at most one consortium-wide grant per purpose that has not ended.
		///
		/// ## Errors
		/// `NotSubjectOrDelegate`, `EmptyScope`, `InvalidPeriod`, `PeriodEnded`, `PeriodTooLong`,
		/// `AlreadyInCohort`, `TooManyGrantsForSubject`.
		///
		/// ## Events
		/// [`Event::ConsortiumWideConsentGranted`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::grant_consortium_wide())]
		pub fn grant_consortium_wide(
			origin: OriginFor<T>,
			subject: T::AccountId,
			scope: ScopeOf<T>,
			purpose: PurposeOfUse,
			period: PeriodOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_grant_consortium_wide(who, subject, scope, purpose, period).map(|_| ())
		}

		/// Appoint a delegate (e.g. a caregiver) who may grant, deny and revoke consent, open and
		/// close vaults, and retire records for you.
		///
		/// ## Dispatch Origin
		/// Signed, by the subject.
		///
		/// ## Errors
		/// `CannotDelegateToSelf`, `AlreadyDelegate`, `TooManyDelegates`.
		///
		/// ## Events
		/// [`Event::DelegateAppointed`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_delegate())]
		pub fn set_delegate(origin: OriginFor<T>, delegate: T::AccountId) -> DispatchResult {
			let subject = ensure_signed(origin)?;
			ensure!(subject != delegate, Error::<T>::CannotDelegateToSelf);
			let mut delegates = Delegates::<T>::get(&subject);
			ensure!(!delegates.contains(&delegate), Error::<T>::AlreadyDelegate);
			delegates.try_push(delegate.clone()).map_err(|_| Error::<T>::TooManyDelegates)?;

			Delegates::<T>::insert(&subject, delegates);
			Self::deposit_event(Event::DelegateAppointed { subject, delegate });
			Ok(())
		}

		/// Dismiss a delegate.
		///
		/// ## Dispatch Origin
		/// Signed, by the subject.
		///
		/// ## Errors
		/// `NotDelegate`.
		///
		/// ## Events
		/// [`Event::DelegateRemoved`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::remove_delegate())]
		pub fn remove_delegate(origin: OriginFor<T>, delegate: T::AccountId) -> DispatchResult {
			let subject = ensure_signed(origin)?;
			let mut delegates = Delegates::<T>::get(&subject);
			let position =
				delegates.iter().position(|d| *d == delegate).ok_or(Error::<T>::NotDelegate)?;

			delegates.remove(position);
			if delegates.is_empty() {
				Delegates::<T>::remove(&subject);
			} else {
				Delegates::<T>::insert(&subject, delegates);
			}
			Self::deposit_event(Event::DelegateRemoved { subject, delegate });
			Ok(())
		}

		/// Withdraw a request the subject has not answered yet (also one whose period ended
		/// unanswered): its deposit is released.
		///
		/// ## Dispatch Origin
		/// Signed, by the institution that made the request (suspended or not).
		///
		/// ## Errors
		/// `UnknownRequest`, `NotRequester`, `RequestNotPending`.
		///
		/// ## Events
		/// [`Event::RequestWithdrawn`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::withdraw_request())]
		pub fn withdraw_request(origin: OriginFor<T>, request: RequestId) -> DispatchResult {
			let institution = ensure_signed(origin)?;
			let mut req = Requests::<T>::get(request).ok_or(Error::<T>::UnknownRequest)?;
			ensure!(req.institution == institution, Error::<T>::NotRequester);
			ensure!(req.status == RequestStatus::Pending, Error::<T>::RequestNotPending);

			let now = frame_system::Pallet::<T>::block_number();
			req.status = RequestStatus::Withdrawn { at: now };
			Self::remove_pending(&req.subject, request);
			Requests::<T>::insert(request, req);
			Self::deposit_event(Event::RequestWithdrawn { request, institution });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// Sort and deduplicate a scope; fail with [`Error::EmptyScope`] when empty.
	fn normalize_scope(scope: ScopeOf<T>) -> Result<ScopeOf<T>, Error<T>> {
		let mut scope = scope.into_inner();
		scope.sort();
		scope.dedup();
		ensure!(!scope.is_empty(), Error::<T>::EmptyScope);
		// Never longer than the input, so it always fits.
		Ok(BoundedVec::truncate_from(scope))
	}

	/// Check a new period: well formed, not ended, not too long.
	fn ensure_valid_period(period: &PeriodOf<T>, now: BlockNumberFor<T>) -> Result<(), Error<T>> {
		ensure!(period.start < period.end, Error::<T>::InvalidPeriod);
		ensure!(!period.has_ended(now), Error::<T>::PeriodEnded);
		ensure!(
			period.end.saturating_sub(period.start) <= T::MaxPeriod::get(),
			Error::<T>::PeriodTooLong
		);
		Ok(())
	}

	/// Whether `who` is `subject` or one of `subject`'s delegates.
	pub fn acts_for(who: &T::AccountId, subject: &T::AccountId) -> bool {
		who == subject || Delegates::<T>::get(subject).contains(who)
	}

	/// Whether a grant neither was revoked nor has ended at `now`: it still counts against the
	/// subject's and institution's limits.
	fn is_outstanding(grant: &GrantOf<T>, now: BlockNumberFor<T>) -> bool {
		grant.status == GrantStatus::Active && !grant.period.has_ended(now)
	}

	/// Push `id` onto a grant list; if the list is full, first drop the grants that are no longer
	/// outstanding. Keeps the order of the list. Does not write storage.
	fn push_grant_pruning<S: Get<u32>>(
		list: &mut BoundedVec<GrantId, S>,
		id: GrantId,
		now: BlockNumberFor<T>,
	) -> Result<(), ()> {
		if list.len() >= S::get() as usize {
			list.retain(|g| Grants::<T>::get(g).is_some_and(|g| Self::is_outstanding(&g, now)));
		}
		list.try_push(id).map_err(|_| ())
	}

	/// Whether grant `id` may be used at block `at`.
	fn grant_is_live(id: GrantId, grant: &GrantOf<T>, at: BlockNumberFor<T>) -> bool {
		if grant.status != GrantStatus::Active || !grant.period.contains(at) {
			return false;
		}
		match &grant.grantee {
			Grantee::Institution(institution) => {
				RevokedBefore::<T>::get(institution).is_none_or(|before| id >= before)
					&& T::Consortium::is_active_member(institution, MemberKind::Institution)
			},
			Grantee::AnyMember => true,
		}
	}

	/// Drop `request` from the subject's unanswered requests and release its deposit: every
	/// way a request stops waiting (granted, denied, withdrawn) goes through here.
	fn remove_pending(subject: &T::AccountId, request: RequestId) {
		PendingRequests::<T>::mutate_exists(subject, |pending| {
			if let Some(list) = pending {
				list.retain(|r| *r != request);
				if list.is_empty() {
					*pending = None;
				}
			}
		});
		Self::release_deposit(request);
	}

	/// The storage deposit for `request`: the base plus the per-byte rate times its encoded
	/// size.
	pub fn request_deposit(request: &RequestOf<T>) -> BalanceOf<T> {
		deposit::amount_for(
			T::RequestDeposit::get(),
			T::DepositPerByte::get(),
			request.encoded_size(),
		)
	}

	/// Give a request's deposit back to the institution that paid it.
	fn release_deposit(request: RequestId) {
		deposit::release::<_, T::Currency>(
			&HoldReason::RequestDeposit.into(),
			RequestDeposits::<T>::take(request),
		);
	}

	fn do_request(
		institution: T::AccountId,
		subject: T::AccountId,
		scope: ScopeOf<T>,
		purpose: PurposeOfUse,
		period: PeriodOf<T>,
		requester_key: X25519PublicKey,
	) -> Result<RequestId, DispatchError> {
		ensure!(
			T::Consortium::is_active_member(&institution, MemberKind::Institution),
			Error::<T>::NotActiveInstitution
		);
		let scope = Self::normalize_scope(scope)?;
		let now = Self::now();
		Self::ensure_valid_period(&period, now)?;
		ensure!(requester_key != [0u8; 32], Error::<T>::InvalidRequesterKey);
		let consortium_key = T::Consortium::consortium_key().ok_or(Error::<T>::NoConsortiumKey)?;
		// An active member always has a key on record.
		let institution_key =
			T::Consortium::hpke_key(&institution).ok_or(Error::<T>::NotActiveInstitution)?;

		let id = NextRequestId::<T>::get();
		let mut pending = PendingRequests::<T>::get(&subject);
		let mut lapsed = Vec::new();
		if pending.len() >= T::MaxPendingRequests::get() as usize {
			pending.retain(|r| {
				let keep = Requests::<T>::get(r).is_some_and(|req| !req.period.has_ended(now));
				if !keep {
					lapsed.push(*r);
				}
				keep
			});
		}
		// Requests whose period ended no longer count: the subject can no longer grant them.
		let waiting_from_institution = pending
			.iter()
			.filter(|r| {
				Requests::<T>::get(r)
					.is_some_and(|req| req.institution == institution && !req.period.has_ended(now))
			})
			.count();
		ensure!(
			waiting_from_institution < T::MaxPendingRequestsPerInstitution::get() as usize,
			Error::<T>::TooManyRequestsFromInstitution
		);
		pending.try_push(id).map_err(|_| Error::<T>::TooManyPendingRequests)?;
		let timestamp = u64::try_from(T::UnixTime::now().as_millis()).unwrap_or(u64::MAX);
		let request = ConsentRequest {
			institution: institution.clone(),
			subject: subject.clone(),
			scope: scope.clone(),
			purpose,
			period,
			timestamp,
			requested_at: now,
			consortium_key,
			institution_key,
			requester_key,
			status: RequestStatus::Pending,
		};
		let amount = Self::request_deposit(&request);
		// The last check: nothing is written when it fails.
		let deposit = deposit::hold::<_, T::Currency>(
			&HoldReason::RequestDeposit.into(),
			&institution,
			amount,
		)
		.map_err(|_| Error::<T>::InsufficientDeposit)?;

		// All checks passed: write.
		for r in lapsed {
			Requests::<T>::mutate(r, |req| {
				if let Some(req) = req {
					req.status = RequestStatus::Lapsed { at: now };
				}
			});
			Self::release_deposit(r);
			Self::deposit_event(Event::RequestLapsed { request: r, subject: subject.clone() });
		}
		NextRequestId::<T>::put(id.saturating_add(1));
		PendingRequests::<T>::insert(&subject, pending);
		RequestDeposits::<T>::insert(id, deposit);
		Requests::<T>::insert(id, request);
		Self::deposit_event(Event::ConsentRequested {
			request: id,
			institution,
			subject,
			scope,
			purpose,
			period,
		});
		Ok(id)
	}

	fn do_grant(
		who: T::AccountId,
		request: RequestId,
		scope: Option<ScopeOf<T>>,
		period: Option<PeriodOf<T>>,
	) -> Result<GrantId, DispatchError> {
		let mut req = Requests::<T>::get(request).ok_or(Error::<T>::UnknownRequest)?;
		ensure!(req.status == RequestStatus::Pending, Error::<T>::RequestNotPending);
		ensure!(Self::acts_for(&who, &req.subject), Error::<T>::NotSubjectOrDelegate);
		ensure!(
			T::Consortium::is_active_member(&req.institution, MemberKind::Institution),
			Error::<T>::InstitutionNotActive
		);
		let scope = match scope {
			Some(scope) => {
				let scope = Self::normalize_scope(scope)?;
				ensure!(scope.iter().all(|c| req.scope.contains(c)), Error::<T>::ScopeNotRequested);
				scope
			},
			None => req.scope.clone(),
		};
		let period = match period {
			Some(period) => {
				ensure!(period.start < period.end, Error::<T>::InvalidPeriod);
				ensure!(period.within(&req.period), Error::<T>::PeriodNotRequested);
				period
			},
			None => req.period,
		};
		let now = Self::now();
		ensure!(!period.has_ended(now), Error::<T>::PeriodEnded);

		let id = NextGrantId::<T>::get();
		let mut by_subject = GrantsBySubject::<T>::get(&req.subject);
		Self::push_grant_pruning(&mut by_subject, id, now)
			.map_err(|_| Error::<T>::TooManyGrantsForSubject)?;
		let mut by_institution = GrantsByInstitution::<T>::get(&req.institution);
		Self::push_grant_pruning(&mut by_institution, id, now)
			.map_err(|_| Error::<T>::TooManyGrantsForInstitution)?;

		// All checks passed: write.
		NextGrantId::<T>::put(id.saturating_add(1));
		GrantsBySubject::<T>::insert(&req.subject, by_subject);
		GrantsByInstitution::<T>::insert(&req.institution, by_institution);
		Self::remove_pending(&req.subject, request);
		Grants::<T>::insert(
			id,
			Grant {
				subject: req.subject.clone(),
				grantee: Grantee::Institution(req.institution.clone()),
				scope: scope.clone(),
				purpose: req.purpose,
				period,
				request: Some(request),
				granted_by: who.clone(),
				granted_at: now,
				status: GrantStatus::Active,
			},
		);
		req.status = RequestStatus::Granted { grant: id };
		let (subject, institution, purpose) =
			(req.subject.clone(), req.institution.clone(), req.purpose);
		Requests::<T>::insert(request, req);
		Self::deposit_event(Event::ConsentGranted {
			request,
			grant: id,
			subject,
			institution,
			scope,
			purpose,
			period,
			by: who,
		});
		Ok(id)
	}

	fn do_grant_consortium_wide(
		who: T::AccountId,
		subject: T::AccountId,
		scope: ScopeOf<T>,
		purpose: PurposeOfUse,
		period: PeriodOf<T>,
	) -> Result<GrantId, DispatchError> {
		ensure!(Self::acts_for(&who, &subject), Error::<T>::NotSubjectOrDelegate);
		let scope = Self::normalize_scope(scope)?;
		let now = Self::now();
		Self::ensure_valid_period(&period, now)?;
		let previous = CohortGrants::<T>::get(purpose, &subject);
		if let Some(previous) = previous {
			ensure!(
				!Grants::<T>::get(previous).is_some_and(|g| Self::is_outstanding(&g, now)),
				Error::<T>::AlreadyInCohort
			);
		}
		let id = NextGrantId::<T>::get();
		let mut by_subject = GrantsBySubject::<T>::get(&subject);
		Self::push_grant_pruning(&mut by_subject, id, now)
			.map_err(|_| Error::<T>::TooManyGrantsForSubject)?;

		// All checks passed: write.
		NextGrantId::<T>::put(id.saturating_add(1));
		GrantsBySubject::<T>::insert(&subject, by_subject);
		CohortGrants::<T>::insert(purpose, &subject, id);
		Grants::<T>::insert(
			id,
			Grant {
				subject: subject.clone(),
				grantee: Grantee::AnyMember,
				scope: scope.clone(),
				purpose,
				period,
				request: None,
				granted_by: who.clone(),
				granted_at: now,
				status: GrantStatus::Active,
			},
		);
		Self::deposit_event(Event::ConsortiumWideConsentGranted {
			grant: id,
			subject,
			scope,
			purpose,
			period,
			by: who,
		});
		Ok(id)
	}

	/// Mark grant `id` revoked, drop it from the indexes, tell [`Config::OnGrantRevoked`] and emit
	/// the event. `from_institution_index` is false when the caller maintains that index itself.
	/// Returns the weight the hook consumed.
	fn revoke_grant(
		id: GrantId,
		mut grant: GrantOf<T>,
		reason: RevocationReason<T::AccountId>,
		from_institution_index: bool,
	) -> Weight {
		let now = Self::now();
		GrantsBySubject::<T>::mutate_exists(&grant.subject, |list| {
			if let Some(l) = list {
				l.retain(|g| *g != id);
				if l.is_empty() {
					*list = None;
				}
			}
		});
		match &grant.grantee {
			Grantee::Institution(institution) => {
				if from_institution_index {
					GrantsByInstitution::<T>::mutate_exists(institution, |list| {
						if let Some(l) = list {
							l.retain(|g| *g != id);
							if l.is_empty() {
								*list = None;
							}
						}
					});
				}
			},
			Grantee::AnyMember => {
				if CohortGrants::<T>::get(grant.purpose, &grant.subject) == Some(id) {
					CohortGrants::<T>::remove(grant.purpose, &grant.subject);
				}
			},
		}
		grant.status = GrantStatus::Revoked { at: now, reason: reason.clone() };
		let (subject, grantee) = (grant.subject.clone(), grant.grantee.clone());
		Grants::<T>::insert(id, grant);
		let hook_weight = T::OnGrantRevoked::on_grant_revoked(id);
		Self::deposit_event(Event::ConsentRevoked { grant: id, subject, grantee, reason });
		hook_weight
	}

	/// Work through the revocation queue: at most [`Config::MaxRevocationsPerBlock`] steps (one
	/// step per grant looked at, one per institution finished). Returns the weight consumed.
	fn process_revocation_queue(now: BlockNumberFor<T>) -> Weight {
		let budget = T::MaxRevocationsPerBlock::get();
		let mut steps = 0u32;
		let mut hook_weight = Weight::zero();
		while steps < budget {
			let Some((institution, before)) = RevocationQueue::<T>::iter().next() else { break };
			let list = GrantsByInstitution::<T>::get(&institution);
			let affected = list.iter().take_while(|g| **g < before).count();
			let mut done = 0usize;
			while done < affected && steps < budget {
				// `done < affected <= list.len()`, so the index exists.
				let id = list[done];
				// Grants that ended by themselves are only dropped from the index.
				if let Some(grant) = Grants::<T>::get(id) {
					if Self::is_outstanding(&grant, now) {
						hook_weight = hook_weight.saturating_add(Self::revoke_grant(
							id,
							grant,
							RevocationReason::GranteeSuspended,
							false,
						));
					}
				}
				done += 1;
				steps += 1;
			}
			let mut remaining = list.into_inner();
			let rest = remaining.split_off(done);
			if rest.is_empty() {
				GrantsByInstitution::<T>::remove(&institution);
			} else {
				GrantsByInstitution::<T>::insert(&institution, BoundedVec::truncate_from(rest));
			}
			if done == affected {
				RevocationQueue::<T>::remove(&institution);
				Self::deposit_event(Event::SuspensionRevocationCompleted { institution });
				steps += 1;
			} else {
				break;
			}
		}
		T::WeightInfo::process_revocations(steps).saturating_add(hook_weight)
	}

	// ---- Queries for runtime APIs ----

	/// Whether `institution` may read `category` of `subject`'s data for `purpose` at block
	/// `at`: through a grant to it, or a consortium-wide grant, that is live at `at`. The
	/// institution must be an active consortium institution in the state queried.
	pub fn is_authorized(
		institution: &T::AccountId,
		subject: &T::AccountId,
		category: DataCategory,
		purpose: PurposeOfUse,
		at: BlockNumberFor<T>,
	) -> bool {
		if !T::Consortium::is_active_member(institution, MemberKind::Institution) {
			return false;
		}
		GrantsBySubject::<T>::get(subject).iter().any(|id| {
			Grants::<T>::get(id).is_some_and(|g| {
				g.purpose == purpose
					&& g.scope.contains(&category)
					&& match &g.grantee {
						Grantee::Institution(i) => i == institution,
						Grantee::AnyMember => true,
					} && Self::grant_is_live(*id, &g, at)
			})
		})
	}

	/// A subject's unanswered requests, oldest first.
	pub fn requests_of(
		subject: &T::AccountId,
	) -> Vec<RequestSummary<T::AccountId, BlockNumberFor<T>>> {
		PendingRequests::<T>::get(subject)
			.into_iter()
			.filter_map(|id| {
				Requests::<T>::get(id)
					.map(|r| RequestSummary { id, request: r.map_scope(|s| s.into_inner()) })
			})
			.collect()
	}

	fn summaries(
		ids: impl IntoIterator<Item = GrantId>,
	) -> Vec<GrantSummary<T::AccountId, BlockNumberFor<T>>> {
		let now = Self::now();
		ids.into_iter()
			.filter_map(|id| Grants::<T>::get(id).map(|g| (id, g)))
			.filter(|(_, g)| Self::is_outstanding(g, now))
			.map(|(id, g)| {
				let live = Self::grant_is_live(id, &g, now);
				GrantSummary { id, grant: g.map_scope(|s| s.into_inner()), live }
			})
			.collect()
	}

	/// The grants a subject gave that are neither revoked nor ended at the current block (live,
	/// or not started yet), oldest first. `live` tells whether each may be used now.
	pub fn grants_of(subject: &T::AccountId) -> Vec<GrantSummary<T::AccountId, BlockNumberFor<T>>> {
		Self::summaries(GrantsBySubject::<T>::get(subject))
	}

	/// The grants to an institution that are neither revoked nor ended at the current block,
	/// oldest first. `live` tells whether each may be used now (false for every grant of a
	/// suspended institution).
	pub fn grants_of_institution(
		institution: &T::AccountId,
	) -> Vec<GrantSummary<T::AccountId, BlockNumberFor<T>>> {
		Self::summaries(GrantsByInstitution::<T>::get(institution))
	}

	/// The subjects whose consortium-wide grant for `purpose` covers `category` and is live at
	/// `at`: a statistics cohort. Reads every cohort member of the purpose: for runtime APIs and
	/// off-chain use, not for dispatchables.
	pub fn cohort(
		purpose: PurposeOfUse,
		category: DataCategory,
		at: BlockNumberFor<T>,
	) -> Vec<T::AccountId> {
		CohortGrants::<T>::iter_prefix(purpose)
			.filter(|(_, id)| {
				Grants::<T>::get(id).is_some_and(|g| {
					g.scope.contains(&category) && Self::grant_is_live(*id, &g, at)
				})
			})
			.map(|(subject, _)| subject)
			.collect()
	}

	/// Invariants: indexes point at existing, non-revoked grants of the right subject and
	/// grantee; institution indexes are increasing; pending lists hold pending requests; queued
	/// institutions have a revocation mark.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (subject, list) in GrantsBySubject::<T>::iter() {
			for id in list.iter() {
				let g = Grants::<T>::get(id).ok_or("subject index names a missing grant")?;
				ensure!(g.subject == subject, "subject index names another subject's grant");
				ensure!(g.status == GrantStatus::Active, "subject index names a revoked grant");
			}
		}
		for (institution, list) in GrantsByInstitution::<T>::iter() {
			ensure!(list.windows(2).all(|w| w[0] < w[1]), "institution index is not increasing");
			for id in list.iter() {
				let g = Grants::<T>::get(id).ok_or("institution index names a missing grant")?;
				ensure!(
					g.grantee == Grantee::Institution(institution.clone()),
					"institution index names another grantee's grant"
				);
				ensure!(g.status == GrantStatus::Active, "institution index names a revoked grant");
			}
		}
		for (purpose, subject, id) in CohortGrants::<T>::iter() {
			let g = Grants::<T>::get(id).ok_or("cohort names a missing grant")?;
			ensure!(
				g.subject == subject && g.purpose == purpose && g.grantee == Grantee::AnyMember,
				"cohort entry does not match its grant"
			);
		}
		for (subject, list) in PendingRequests::<T>::iter() {
			for id in list.iter() {
				let r = Requests::<T>::get(id).ok_or("pending list names a missing request")?;
				ensure!(r.subject == subject, "pending list names another subject's request");
				ensure!(
					r.status == RequestStatus::Pending,
					"pending list names an answered request"
				);
				ensure!(
					RequestDeposits::<T>::get(id).is_some_and(|d| d.depositor == r.institution),
					"pending request without its institution's deposit"
				);
			}
		}
		for (id, _) in RequestDeposits::<T>::iter() {
			ensure!(
				Requests::<T>::get(id).is_some_and(|r| r.status == RequestStatus::Pending),
				"deposit held for a request that stopped waiting"
			);
		}
		for (institution, before) in RevocationQueue::<T>::iter() {
			ensure!(
				RevokedBefore::<T>::get(&institution).is_some_and(|b| b >= before),
				"queued institution has no revocation mark"
			);
		}
		let next = NextGrantId::<T>::get();
		for (id, _) in Grants::<T>::iter() {
			ensure!(id < next, "grant id not below NextGrantId");
		}
		Ok(())
	}
}

impl<T: Config> OnMemberSuspended<T::AccountId> for Pallet<T> {
	fn on_member_suspended(who: &T::AccountId) {
		let before = NextGrantId::<T>::get();
		RevokedBefore::<T>::insert(who, before);
		RevocationQueue::<T>::insert(who, before);
		Self::deposit_event(Event::SuspensionRevocationQueued { institution: who.clone(), before });
	}

	fn weight() -> Weight {
		T::WeightInfo::on_member_suspended()
	}
}

impl<T: Config> ConsentInterface<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
	fn grant_info(grant: GrantId) -> Option<GrantInfo<T::AccountId, BlockNumberFor<T>>> {
		Grants::<T>::get(grant).map(|g| GrantInfo {
			subject: g.subject,
			grantee: g.grantee,
			scope: g.scope.into_inner(),
			purpose: g.purpose,
			period: g.period,
		})
	}

	fn is_grant_live(grant: GrantId, at: BlockNumberFor<T>) -> bool {
		Grants::<T>::get(grant).is_some_and(|g| Self::grant_is_live(grant, &g, at))
	}

	fn is_authorized(
		institution: &T::AccountId,
		subject: &T::AccountId,
		category: DataCategory,
		purpose: PurposeOfUse,
		at: BlockNumberFor<T>,
	) -> bool {
		Pallet::<T>::is_authorized(institution, subject, category, purpose, at)
	}

	fn acts_for(who: &T::AccountId, subject: &T::AccountId) -> bool {
		Pallet::<T>::acts_for(who, subject)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_grant(
		subject: &T::AccountId,
		institution: &T::AccountId,
		scope: Vec<DataCategory>,
		period: PeriodOf<T>,
	) -> GrantId {
		let id = NextGrantId::<T>::get();
		NextGrantId::<T>::put(id.saturating_add(1));
		let _ = GrantsBySubject::<T>::try_mutate(subject, |l| l.try_push(id));
		let _ = GrantsByInstitution::<T>::try_mutate(institution, |l| l.try_push(id));
		Grants::<T>::insert(
			id,
			Grant {
				subject: subject.clone(),
				grantee: Grantee::Institution(institution.clone()),
				scope: BoundedVec::truncate_from(scope),
				purpose: PurposeOfUse::TREAT,
				period,
				request: None,
				granted_by: subject.clone(),
				granted_at: Self::now(),
				status: GrantStatus::Active,
			},
		);
		id
	}
}
