// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Consortium pallet
//!
//! Who belongs to the Custodia consortium, in which roles, and with which public keys.
//!
//! - [`Config`]
//! - [`Call`]
//! - [`ConsortiumInterface`]: how other pallets ask about members
//! - [`OnMemberSuspended`]: how other pallets learn that a member lost its standing
//!
//! ## Overview
//!
//! A consortium member is an account admitted by the governance origin (sudo on a development
//! chain, a majority of members on a consortium chain). A member holds one or more
//! [`MemberKind`]s:
//!
//! - **Institution**: a hospital, laboratory, research or public-health body. Only institutions
//!   may ask individuals for consent and receive data.
//! - **Data steward**: runs an IPFS node that pins encrypted records and shared data vaults, and
//!   unpins them when they end. A steward publishes its IPFS peer id or multiaddr.
//! - **Evaluator**: a validator that evaluates encrypted (FHE) jobs.
//!
//! Every member publishes an X25519 public key: requesters seal data envelopes to it with HPKE
//! (RFC 9180). The consortium as a whole has one more X25519 key, the *consortium key*, which
//! consent requests carry as in Vanin et al. (2023).
//!
//! A member that misbehaves or whose node is compromised is **suspended**: it keeps its entry, but
//! [`ConsortiumInterface::is_active_member`] answers `false` at once, so it can no longer request
//! consent, use a grant, or act as a steward. The [`Config::OnMemberSuspended`] hook lets the
//! consent pallet revoke the member's grants (that work is spread over blocks there). Governance may
//! later **reinstate** the member — grants revoked by the suspension stay revoked — or **remove** it.
//!
//! Other pallets depend on this one only through [`ConsortiumInterface`], set as an associated
//! type of their own `Config`, so that each can be tested with a small stand-in.
//!
//! ## Interface
//!
//! ### Dispatchable functions
//!
//! For the governance origin ([`Config::GovernanceOrigin`]):
//! * [`admit_member`](Pallet::admit_member) - Admit an account with its kinds, name and keys.
//! * [`suspend_member`](Pallet::suspend_member) - Suspend an active member; its grants are revoked.
//! * [`reinstate_member`](Pallet::reinstate_member) - Make a suspended member active again.
//! * [`remove_member`](Pallet::remove_member) - Remove a member from the consortium.
//! * [`set_consortium_key`](Pallet::set_consortium_key) - Set the consortium's X25519 public key.
//!
//! For members (signed):
//! * [`set_member_keys`](Pallet::set_member_keys) - Rotate one's own X25519 key and IPFS address.
//!
//! ### Queries (plain functions, for runtime APIs)
//!
//! * [`Pallet::member`] - A member's record.
//! * [`Pallet::active_members_of_kind`] - Every active member holding one kind.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*,
	traits::{ChangeMembers, ConstU32, InitializeMembers},
	CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;

pub use pallet::*;
pub use weights::WeightInfo;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::consortium";

pub use custodia_primitives::consortium::{MemberKind, X25519PublicKey};

/// The number of distinct [`MemberKind`]s; a member holds at most this many.
pub type MaxKinds = ConstU32<3>;

/// The kinds one member holds: sorted, without duplicates, never empty.
pub type KindsOf = BoundedVec<MemberKind, MaxKinds>;

/// Whether a member may currently act.
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum MemberStatus {
	/// The member may act in every role it holds.
	#[codec(index = 0)]
	Active,
	/// The member may not act; its grants were revoked when it was suspended.
	#[codec(index = 1)]
	Suspended,
}

/// A consortium member as stored on chain.
#[derive(
	CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound())]
pub struct Member<T: Config> {
	/// The kinds the member holds: sorted, without duplicates, never empty.
	pub kinds: KindsOf,
	/// A human-readable name (UTF-8), as shown to people asked for consent.
	pub name: BoundedVec<u8, T::MaxNameLen>,
	/// The member's X25519 public key for HPKE envelopes.
	pub hpke_key: X25519PublicKey,
	/// For data stewards: the IPFS peer id or multiaddr of their node.
	pub ipfs_address: Option<BoundedVec<u8, T::MaxAddressLen>>,
	/// Whether the member may currently act.
	pub status: MemberStatus,
	/// The block at which the member was admitted.
	pub admitted_at: BlockNumberFor<T>,
	/// The block of the last change of [`Member::status`] (admission counts as one).
	pub status_since: BlockNumberFor<T>,
}

impl<T: Config> Member<T> {
	/// Whether the member holds `kind`, whatever its status.
	pub fn holds(&self, kind: MemberKind) -> bool {
		self.kinds.contains(&kind)
	}

	/// Whether the member holds `kind` and is active.
	pub fn is_active(&self, kind: MemberKind) -> bool {
		self.status == MemberStatus::Active && self.holds(kind)
	}
}

/// How other pallets ask about consortium members.
///
/// Implemented by [`Pallet`]; set it as an associated type of a dependent pallet's `Config`.
pub trait ConsortiumInterface<AccountId> {
	/// Whether `who` is a member holding `kind` and is not suspended.
	fn is_active_member(who: &AccountId, kind: MemberKind) -> bool;
	/// Whether `who` is a member at all (active or suspended).
	fn is_member(who: &AccountId) -> bool;
	/// The X25519 public key `who` published, if it is a member (active or suspended).
	fn hpke_key(who: &AccountId) -> Option<X25519PublicKey>;
	/// The consortium's X25519 public key, once governance has set it.
	fn consortium_key() -> Option<X25519PublicKey>;
	/// How many members hold `kind` and are not suspended.
	fn active_member_count(kind: MemberKind) -> u32;

	/// Make `who` an active member holding `kinds`, for benchmarks of dependent pallets.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_admit(who: &AccountId, kinds: &[MemberKind]);
	/// Set the consortium key, for benchmarks of dependent pallets.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_set_consortium_key(key: X25519PublicKey);
}

/// Called when a member loses its standing: it was suspended, or removed while active.
///
/// The consent pallet implements it to revoke every grant held by the member.
pub trait OnMemberSuspended<AccountId> {
	/// `who` was suspended or removed.
	fn on_member_suspended(who: &AccountId);
	/// The most weight [`Self::on_member_suspended`] may consume.
	fn weight() -> Weight;
}

impl<AccountId> OnMemberSuspended<AccountId> for () {
	fn on_member_suspended(_who: &AccountId) {}
	fn weight() -> Weight {
		Weight::zero()
	}
}

/// A member at genesis: account, kinds, display name (UTF-8 bytes), X25519 key and, for data
/// stewards, an IPFS peer id or multiaddr.
pub type GenesisMember<AccountId> =
	(AccountId, Vec<MemberKind>, Vec<u8>, X25519PublicKey, Option<Vec<u8>>);

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_system::pallet_prelude::*;

	/// The in-code storage version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The origin that admits, suspends, reinstates and removes members and sets the
		/// consortium key: `EnsureRoot` (sudo) on a development chain, a majority of members on a
		/// consortium chain.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Told when a member is suspended or removed while active (the consent pallet revokes the
		/// member's grants).
		type OnMemberSuspended: OnMemberSuspended<Self::AccountId>;

		/// Told the sorted set of active members at genesis and whenever it changes, so that a
		/// collective of the members can vote on governance (`pallet-collective` implements
		/// both traits). `()` when nothing follows membership.
		type MembershipChanged: ChangeMembers<Self::AccountId> + InitializeMembers<Self::AccountId>;

		/// The most members the consortium may have.
		#[pallet::constant]
		type MaxMembers: Get<u32>;

		/// The longest display name, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// The longest IPFS peer id or multiaddr, in bytes.
		#[pallet::constant]
		type MaxAddressLen: Get<u32>;

		/// Weight information for extrinsics in this pallet.
		type WeightInfo: WeightInfo;
	}

	/// The consortium members, active or suspended.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by the people who create them,
	/// and the key must be recoverable to list members.
	#[pallet::storage]
	pub type Members<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, Member<T>, OptionQuery>;

	/// The consortium's X25519 public key, carried by every consent request.
	#[pallet::storage]
	pub type ConsortiumKey<T: Config> = StorageValue<_, X25519PublicKey, OptionQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Members at genesis.
		pub members: Vec<GenesisMember<T::AccountId>>,
		/// The consortium's X25519 public key at genesis.
		pub consortium_key: Option<X25519PublicKey>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (who, kinds, name, hpke_key, address) in &self.members {
				let kinds = Pallet::<T>::normalize_kinds(kinds.clone())
					.expect("genesis member kinds must be non-empty");
				let name: BoundedVec<u8, T::MaxNameLen> =
					name.clone().try_into().expect("genesis member name too long");
				let address: Option<BoundedVec<u8, T::MaxAddressLen>> = address
					.clone()
					.map(|a| a.try_into().expect("genesis member IPFS address too long"));
				Pallet::<T>::ensure_admissible(who, &kinds, &name, hpke_key, &address)
					.expect("invalid genesis member");
				Pallet::<T>::insert_member(who.clone(), kinds, name, *hpke_key, address);
			}
			if let Some(key) = self.consortium_key {
				ConsortiumKey::<T>::put(key);
			}
			let active = Pallet::<T>::active_accounts_sorted();
			if !active.is_empty() {
				T::MembershipChanged::initialize_members(&active);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account was admitted to the consortium.
		MemberAdmitted {
			/// The new member.
			who: T::AccountId,
			/// The kinds it holds.
			kinds: KindsOf,
		},
		/// A member was suspended: it may no longer act, and its grants are being revoked.
		MemberSuspended {
			/// The suspended member.
			who: T::AccountId,
		},
		/// A suspended member was made active again. Grants revoked by its suspension stay revoked.
		MemberReinstated {
			/// The reinstated member.
			who: T::AccountId,
		},
		/// A member was removed from the consortium.
		MemberRemoved {
			/// The former member.
			who: T::AccountId,
		},
		/// A member replaced its X25519 key and/or its IPFS address.
		MemberKeysUpdated {
			/// The member.
			who: T::AccountId,
			/// Its new X25519 public key.
			hpke_key: X25519PublicKey,
		},
		/// The consortium's X25519 public key was set.
		ConsortiumKeySet {
			/// The new key.
			key: X25519PublicKey,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a member. Use `reinstate_member` for a suspended member, or
		/// `remove_member` first to admit it again with other kinds.
		AlreadyMember,
		/// The account is not a member. Check the account id, or admit it first.
		NotMember,
		/// The consortium has `MaxMembers` members. Remove a member before admitting another.
		TooManyMembers,
		/// No kind was given. A member must hold at least one of Institution, DataSteward,
		/// Evaluator.
		NoKinds,
		/// The display name is empty. Give the name people will see when asked for consent.
		EmptyName,
		/// The X25519 key is all zeros, which is not a usable public key. Give the member's real
		/// 32-byte X25519 public key.
		InvalidHpkeKey,
		/// A data steward must publish its IPFS peer id or multiaddr. Pass `ipfs_address`.
		MissingIpfsAddress,
		/// The member is already suspended.
		AlreadySuspended,
		/// The member is active, not suspended; there is nothing to reinstate.
		NotSuspended,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Admit an account to the consortium.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// - `who`: the account to admit.
		/// - `kinds`: the roles it holds (at least one; duplicates are ignored).
		/// - `name`: the display name (UTF-8) shown to people asked for consent.
		/// - `hpke_key`: its X25519 public key for HPKE envelopes.
		/// - `ipfs_address`: its IPFS peer id or multiaddr; required for data stewards.
		///
		/// ## Errors
		/// `AlreadyMember`, `TooManyMembers`, `NoKinds`, `EmptyName`, `InvalidHpkeKey`,
		/// `MissingIpfsAddress`.
		///
		/// ## Events
		/// [`Event::MemberAdmitted`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::admit_member())]
		pub fn admit_member(
			origin: OriginFor<T>,
			who: T::AccountId,
			kinds: KindsOf,
			name: BoundedVec<u8, T::MaxNameLen>,
			hpke_key: X25519PublicKey,
			ipfs_address: Option<BoundedVec<u8, T::MaxAddressLen>>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let kinds = Self::normalize_kinds(kinds.into_inner())?;
			Self::ensure_admissible(&who, &kinds, &name, &hpke_key, &ipfs_address)?;

			let before = Self::active_accounts_sorted();
			Self::insert_member(who.clone(), kinds.clone(), name, hpke_key, ipfs_address);
			Self::announce_membership(&before);
			Self::deposit_event(Event::MemberAdmitted { who, kinds });
			Ok(())
		}

		/// Suspend an active member.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// The member can no longer act from this block on. [`Config::OnMemberSuspended`] is told,
		/// so that its grants are revoked (spread over the next blocks) and its vaults closed.
		///
		/// ## Errors
		/// `NotMember`, `AlreadySuspended`.
		///
		/// ## Events
		/// [`Event::MemberSuspended`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::suspend_member().saturating_add(T::OnMemberSuspended::weight()))]
		pub fn suspend_member(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut member = Members::<T>::get(&who).ok_or(Error::<T>::NotMember)?;
			ensure!(member.status == MemberStatus::Active, Error::<T>::AlreadySuspended);

			let before = Self::active_accounts_sorted();
			member.status = MemberStatus::Suspended;
			member.status_since = frame_system::Pallet::<T>::block_number();
			Members::<T>::insert(&who, member);
			Self::announce_membership(&before);
			T::OnMemberSuspended::on_member_suspended(&who);
			Self::deposit_event(Event::MemberSuspended { who });
			Ok(())
		}

		/// Make a suspended member active again.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// Grants revoked by the suspension stay revoked: individuals must consent again.
		///
		/// ## Errors
		/// `NotMember`, `NotSuspended`.
		///
		/// ## Events
		/// [`Event::MemberReinstated`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::reinstate_member())]
		pub fn reinstate_member(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let mut member = Members::<T>::get(&who).ok_or(Error::<T>::NotMember)?;
			ensure!(member.status == MemberStatus::Suspended, Error::<T>::NotSuspended);

			let before = Self::active_accounts_sorted();
			member.status = MemberStatus::Active;
			member.status_since = frame_system::Pallet::<T>::block_number();
			Members::<T>::insert(&who, member);
			Self::announce_membership(&before);
			Self::deposit_event(Event::MemberReinstated { who });
			Ok(())
		}

		/// Remove a member from the consortium.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// If the member was active, [`Config::OnMemberSuspended`] is told, as for a suspension, so
		/// that its grants are revoked. A suspended member's grants were revoked already.
		///
		/// ## Errors
		/// `NotMember`.
		///
		/// ## Events
		/// [`Event::MemberRemoved`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_member().saturating_add(T::OnMemberSuspended::weight()))]
		pub fn remove_member(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			let member = Members::<T>::get(&who).ok_or(Error::<T>::NotMember)?;

			let before = Self::active_accounts_sorted();
			Members::<T>::remove(&who);
			Self::announce_membership(&before);
			if member.status == MemberStatus::Active {
				T::OnMemberSuspended::on_member_suspended(&who);
			}
			Self::deposit_event(Event::MemberRemoved { who });
			Ok(())
		}

		/// Replace one's own X25519 key and IPFS address (key rotation).
		///
		/// ## Dispatch Origin
		/// Signed, by a member (active or suspended: a suspended member rotates keys after a
		/// compromise, before governance reinstates it).
		///
		/// ## Details
		/// Consent requests made earlier keep the key they were made with. A data steward must keep
		/// an IPFS address.
		///
		/// ## Errors
		/// `NotMember`, `InvalidHpkeKey`, `MissingIpfsAddress`.
		///
		/// ## Events
		/// [`Event::MemberKeysUpdated`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_member_keys())]
		pub fn set_member_keys(
			origin: OriginFor<T>,
			hpke_key: X25519PublicKey,
			ipfs_address: Option<BoundedVec<u8, T::MaxAddressLen>>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut member = Members::<T>::get(&who).ok_or(Error::<T>::NotMember)?;
			ensure!(hpke_key != [0u8; 32], Error::<T>::InvalidHpkeKey);
			ensure!(
				!member.holds(MemberKind::DataSteward) || ipfs_address.is_some(),
				Error::<T>::MissingIpfsAddress
			);

			member.hpke_key = hpke_key;
			member.ipfs_address = ipfs_address;
			Members::<T>::insert(&who, member);
			Self::deposit_event(Event::MemberKeysUpdated { who, hpke_key });
			Ok(())
		}

		/// Set the consortium's X25519 public key.
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Details
		/// Consent requests made from now on carry this key; earlier ones keep theirs.
		///
		/// ## Errors
		/// `InvalidHpkeKey`.
		///
		/// ## Events
		/// [`Event::ConsortiumKeySet`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_consortium_key())]
		pub fn set_consortium_key(origin: OriginFor<T>, key: X25519PublicKey) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(key != [0u8; 32], Error::<T>::InvalidHpkeKey);

			ConsortiumKey::<T>::put(key);
			Self::deposit_event(Event::ConsortiumKeySet { key });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Sort and deduplicate `kinds`; fail with [`Error::NoKinds`] when empty.
	fn normalize_kinds(mut kinds: Vec<MemberKind>) -> Result<KindsOf, Error<T>> {
		kinds.sort();
		kinds.dedup();
		ensure!(!kinds.is_empty(), Error::<T>::NoKinds);
		// At most three distinct kinds exist, so this always fits.
		KindsOf::try_from(kinds).map_err(|_| Error::<T>::NoKinds)
	}

	/// Every check `admit_member` makes, without touching storage.
	fn ensure_admissible(
		who: &T::AccountId,
		kinds: &KindsOf,
		name: &BoundedVec<u8, T::MaxNameLen>,
		hpke_key: &X25519PublicKey,
		ipfs_address: &Option<BoundedVec<u8, T::MaxAddressLen>>,
	) -> Result<(), Error<T>> {
		ensure!(!Members::<T>::contains_key(who), Error::<T>::AlreadyMember);
		ensure!(Members::<T>::count() < T::MaxMembers::get(), Error::<T>::TooManyMembers);
		ensure!(!kinds.is_empty(), Error::<T>::NoKinds);
		ensure!(!name.is_empty(), Error::<T>::EmptyName);
		ensure!(*hpke_key != [0u8; 32], Error::<T>::InvalidHpkeKey);
		ensure!(
			!kinds.contains(&MemberKind::DataSteward) || ipfs_address.is_some(),
			Error::<T>::MissingIpfsAddress
		);
		Ok(())
	}

	fn insert_member(
		who: T::AccountId,
		kinds: KindsOf,
		name: BoundedVec<u8, T::MaxNameLen>,
		hpke_key: X25519PublicKey,
		ipfs_address: Option<BoundedVec<u8, T::MaxAddressLen>>,
	) {
		let now = frame_system::Pallet::<T>::block_number();
		Members::<T>::insert(
			who,
			Member::<T> {
				kinds,
				name,
				hpke_key,
				ipfs_address,
				status: MemberStatus::Active,
				admitted_at: now,
				status_since: now,
			},
		);
	}

	/// Every active member, sorted: the voters of a members' collective. Bounded by
	/// `MaxMembers`.
	pub fn active_accounts_sorted() -> Vec<T::AccountId> {
		let mut active: Vec<T::AccountId> = Members::<T>::iter()
			.filter(|(_, member)| member.status == MemberStatus::Active)
			.map(|(who, _)| who)
			.collect();
		active.sort();
		active
	}

	/// Tell [`Config::MembershipChanged`] the active members, if they differ from `before`.
	fn announce_membership(before: &[T::AccountId]) {
		let after = Self::active_accounts_sorted();
		if after != before {
			T::MembershipChanged::set_members_sorted(&after, before);
		}
	}

	/// A member's record, active or suspended.
	pub fn member(who: &T::AccountId) -> Option<Member<T>> {
		Members::<T>::get(who)
	}

	/// Every active member holding `kind`. Reads every member: for runtime APIs and off-chain
	/// use, not for dispatchables.
	pub fn active_members_of_kind(kind: MemberKind) -> Vec<T::AccountId> {
		Members::<T>::iter()
			.filter(|(_, member)| member.is_active(kind))
			.map(|(who, _)| who)
			.collect()
	}

	/// Invariants: kinds sorted, unique and non-empty; names non-empty; stewards have an
	/// address; at most `MaxMembers` members.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut counted = 0u32;
		for (_, member) in Members::<T>::iter() {
			counted = counted.saturating_add(1);
			ensure!(!member.kinds.is_empty(), "a member holds no kind");
			ensure!(
				member.kinds.windows(2).all(|w| w[0] < w[1]),
				"member kinds are not sorted and unique"
			);
			ensure!(!member.name.is_empty(), "a member has an empty name");
			ensure!(
				!member.holds(MemberKind::DataSteward) || member.ipfs_address.is_some(),
				"a data steward has no IPFS address"
			);
		}
		ensure!(counted == Members::<T>::count(), "member counter is out of sync");
		ensure!(counted <= T::MaxMembers::get(), "more than MaxMembers members");
		Ok(())
	}
}

impl<T: Config> ConsortiumInterface<T::AccountId> for Pallet<T> {
	fn is_active_member(who: &T::AccountId, kind: MemberKind) -> bool {
		Members::<T>::get(who).is_some_and(|m| m.is_active(kind))
	}

	fn is_member(who: &T::AccountId) -> bool {
		Members::<T>::contains_key(who)
	}

	fn hpke_key(who: &T::AccountId) -> Option<X25519PublicKey> {
		Members::<T>::get(who).map(|m| m.hpke_key)
	}

	fn consortium_key() -> Option<X25519PublicKey> {
		ConsortiumKey::<T>::get()
	}

	fn active_member_count(kind: MemberKind) -> u32 {
		Members::<T>::iter_values().filter(|m| m.is_active(kind)).count() as u32
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_admit(who: &T::AccountId, kinds: &[MemberKind]) {
		let kinds = Self::normalize_kinds(kinds.to_vec()).unwrap_or_default();
		let name: BoundedVec<u8, T::MaxNameLen> =
			alloc::vec![b'b'; T::MaxNameLen::get() as usize].try_into().unwrap_or_default();
		let address: BoundedVec<u8, T::MaxAddressLen> =
			alloc::vec![b'a'; T::MaxAddressLen::get() as usize]
				.try_into()
				.unwrap_or_default();
		Self::insert_member(who.clone(), kinds, name, [7u8; 32], Some(address));
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_set_consortium_key(key: X25519PublicKey) {
		ConsortiumKey::<T>::put(key);
	}
}
