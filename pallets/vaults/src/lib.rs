// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Vaults pallet
//!
//! Personal health record metadata and *shared data vaults*: temporary, consented copies of one
//! record re-encrypted for one institution, with their whole lifecycle on chain.
//!
//! - [`Config`]
//! - [`Call`]
//!
//! ## Overview
//!
//! Record bodies live off chain, encrypted, in IPFS; this pallet holds what the chain needs to
//! govern them (Vanin et al. 2023):
//!
//! - A **record** is `{owner, origin, CID, content hash, size, categories, steward}`. Its owner
//!   registers it, or an institution registers it for a record it originated (already encrypted
//!   to the owner's key). A record an institution registers is **pending** until its owner
//!   accepts it: until then it is not the owner's, cannot be shared, counted in statistics or
//!   predicted on, and nobody pins it; the owner may reject it instead. Its data steward keeps
//!   an accepted record pinned.
//! - Whoever registers a record pays a **storage deposit** ([`Config::RecordDepositBase`] plus
//!   [`Config::DepositPerByte`] per byte of its metadata), held with [`HoldReason::RecordDeposit`]
//!   until the record is retired or rejected. A record's CID is unique per owner only: nobody can
//!   register a CID first to keep its owner from registering it.
//! - A **vault** shares one record with one institution under one consent grant: the subject
//!   re-encrypts the record for the grant's requester key, stores it in IPFS, and opens the vault
//!   naming its CID and an expiry block no later than the grant's end. The steward pins it while
//!   it is open.
//! - A vault is **Open**, then **Expired** (its expiry block came) or **Closed** (closed early by
//!   the subject or grantee, its grant revoked, or its record retired). Expiry is processed in
//!   `on_initialize` from an ordered queue: one bucket of vault ids per expiry block and a cursor,
//!   at most [`Config::MaxExpiriesPerBlock`] steps per block; what does not fit carries over to
//!   the next block, nothing is skipped.
//! - When a vault or a retired record must go, its steward unpins it and **confirms** it on chain;
//!   the grantee **attests** that it removed its copy, naming the CID, for later audit.
//! - A record whose object its steward has failed to fetch for [`UnfetchableAfter`] blocks (a
//!   governance-set number) is **reported unfetchable** by that steward, once, with the reason
//!   ([`UnfetchableReason`]): the owner and the consortium see from an event that the record is
//!   not held, instead of the failure staying in one node's logs.
//! - Retiring a record closes every vault holding it.
//!
//! Every step emits an event, so the trail request → grant → vault → expiry → unpin → removal
//! attestation → retirement can be read back from events and storage alone.
//!
//! The pallet depends on the consortium and on consent only through
//! [`Config::Consortium`] (`pallet_consortium::ConsortiumInterface`) and [`Config::Consent`]
//! (`pallet_consent::ConsentInterface`). It implements `pallet_consent::OnGrantRevoked`, so that a
//! revoked grant closes its vaults at once.
//!
//! Every answer about a vault compares with the current block: a vault whose expiry block came, or
//! whose grant is no longer live, is never reported as to be pinned, even in the blocks before the
//! queue or a revocation reaches it in storage.
//!
//! ## Interface
//!
//! ### Dispatchable functions
//!
//! For individuals (record owners and data subjects, or their delegates):
//! * [`register_record`](Pallet::register_record) - Register a record (owners and institutions).
//! * [`accept_record`](Pallet::accept_record) - Accept a record an institution registered.
//! * [`reject_record`](Pallet::reject_record) - Reject it; its deposit goes back.
//! * [`open_vault`](Pallet::open_vault) - Share a record under a live grant until a block.
//! * [`close_vault`](Pallet::close_vault) - Close a vault early (subjects and grantees).
//! * [`retire_record`](Pallet::retire_record) - Retire a record; closes its vaults.
//!
//! For institutions:
//! * [`attest_removal`](Pallet::attest_removal) - Attest that the grantee deleted a vault's data.
//!
//! For data stewards:
//! * [`confirm_unpinned`](Pallet::confirm_unpinned) - Confirm a vault or retired record was
//!   unpinned.
//! * [`report_unfetchable`](Pallet::report_unfetchable) - Report a record whose object cannot be
//!   fetched.
//!
//! For governance ([`Config::GovernanceOrigin`]):
//! * [`set_unfetchable_after`](Pallet::set_unfetchable_after) - Set how long a steward must fail
//!   before it may report a record unfetchable.
//!
//! ### Queries (plain functions, for runtime APIs)
//!
//! * [`Pallet::must_pin`] - What a steward must keep pinned now.
//! * [`Pallet::must_unpin`] - What a steward must unpin now.
//! * [`Pallet::is_vault_open`] - Whether a vault may be read at a block.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod tests;
pub use custodia_primitives::vaults as types;
pub mod weights;

use alloc::vec::Vec;
use custodia_pallet_support::{deposit, DeadlineQueue};
use frame_support::{
	pallet_prelude::*,
	traits::fungible::{Inspect, Mutate, MutateHold},
};
use frame_system::pallet_prelude::*;
use pallet_consent::{ConsentInterface, DataCategory, GrantId, Grantee, OnGrantRevoked};
use pallet_consortium::{ConsortiumInterface, MemberKind};
use sp_core::H256;
use sp_runtime::traits::{Saturating, Zero};

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

/// The expiry queue: open vaults by expiry block ([`ExpiryQueue`], [`ExpiryCursor`]).
pub(crate) struct Expiries<T>(core::marker::PhantomData<T>);

impl<T: Config> DeadlineQueue for Expiries<T> {
	type BlockNumber = BlockNumberFor<T>;
	type Id = VaultId;
	type MaxPerBlock = T::MaxVaultsPerBlock;
	type Buckets = ExpiryQueue<T>;
	type Cursor = ExpiryCursor<T>;
}

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::vaults";

/// An IPFS CID, as bytes.
pub type CidOf<T> = BoundedVec<u8, <T as Config>::MaxCidLen>;
/// A record's categories: sorted, without duplicates, never empty.
pub type CategoriesOf<T> = BoundedVec<DataCategory, <T as Config>::MaxCategories>;
/// A record as stored.
pub type RecordOf<T> =
	Record<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, CidOf<T>, CategoriesOf<T>>;
/// A vault as stored.
pub type VaultOf<T> = Vault<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, CidOf<T>>;
/// An amount of the deposit currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
/// A record's storage deposit as stored.
pub type DepositOf<T> =
	custodia_primitives::Deposit<<T as frame_system::Config>::AccountId, BalanceOf<T>>;
/// A steward's report that a record cannot be fetched, as stored.
pub type UnfetchableReportOf<T> =
	UnfetchableReport<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

/// Why a steward cannot fetch a record's object.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum UnfetchableReason {
	/// No IPFS node the steward's daemon reached serves the CID (or the CID is malformed).
	#[codec(index = 0)]
	Unreachable,
	/// The object is larger than the size the record declares.
	#[codec(index = 1)]
	TooLarge,
	/// The object's bytes do not hash to the record's content hash.
	#[codec(index = 2)]
	HashMismatch,
}

/// A steward's report that it cannot fetch a record's object.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct UnfetchableReport<AccountId, BlockNumber> {
	/// The steward that reported it (the record's steward).
	pub steward: AccountId,
	/// Why the object cannot be fetched.
	pub reason: UnfetchableReason,
	/// The block from which the steward has been failing to fetch it.
	pub since: BlockNumber,
	/// The block the report was made in.
	pub reported_at: BlockNumber,
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
		/// The consortium: who is an active data steward or institution.
		type Consortium: ConsortiumInterface<Self::AccountId>;

		/// Consent: grants, their terms and whether they are live.
		type Consent: ConsentInterface<Self::AccountId, BlockNumberFor<Self>>;

		/// The overarching hold reason, into which this pallet's [`HoldReason`] converts.
		type RuntimeHoldReason: From<HoldReason>;

		/// The currency storage deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The part of a record's deposit every record pays, whatever its size.
		#[pallet::constant]
		type RecordDepositBase: Get<BalanceOf<Self>>;

		/// The part of a record's deposit paid per byte of its stored metadata.
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// The most records institutions may have waiting for one person's acceptance.
		#[pallet::constant]
		type MaxPendingRecordsPerOwner: Get<u32>;

		/// The most of those places one institution may take: smaller than
		/// [`Config::MaxPendingRecordsPerOwner`], so that no single institution can fill a
		/// person's places and keep every other institution's records out.
		#[pallet::constant]
		type MaxPendingRecordsPerInstitution: Get<u32>;

		/// The longest CID, in bytes.
		#[pallet::constant]
		type MaxCidLen: Get<u32>;

		/// The most data categories one record may hold.
		#[pallet::constant]
		type MaxCategories: Get<u32>;

		/// The most records (not retired) one owner may have.
		#[pallet::constant]
		type MaxRecordsPerOwner: Get<u32>;

		/// The most open vaults under one grant.
		#[pallet::constant]
		type MaxVaultsPerGrant: Get<u32>;

		/// The most open vaults sharing one record.
		#[pallet::constant]
		type MaxVaultsPerRecord: Get<u32>;

		/// The most vaults that may expire at the same block.
		#[pallet::constant]
		type MaxVaultsPerBlock: Get<u32>;

		/// The most steps of expiry work per block (one per vault looked at, one per block
		/// bucket finished); the rest carries over to the next block.
		#[pallet::constant]
		type MaxExpiriesPerBlock: Get<u32>;

		/// Who sets [`UnfetchableAfter`].
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// [`UnfetchableAfter`] until governance sets it.
		#[pallet::constant]
		type DefaultUnfetchableAfter: Get<BlockNumberFor<Self>>;

		/// Weight information for extrinsics in this pallet.
		type WeightInfo: WeightInfo;
	}

	/// The id the next record gets.
	#[pallet::storage]
	pub type NextRecordId<T: Config> = StorageValue<_, RecordId, ValueQuery>;

	/// The id the next vault gets.
	#[pallet::storage]
	pub type NextVaultId<T: Config> = StorageValue<_, VaultId, ValueQuery>;

	/// Every record ever registered, retired or not (the audit trail).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Twox64Concat, RecordId, RecordOf<T>, OptionQuery>;

	/// The record each owner registered under each CID: an owner registers a CID once. Keyed by
	/// owner first, so that nobody else's registration of a CID can keep its owner from
	/// registering it.
	///
	/// Hashers: `Blake2_128Concat`, because account ids and CIDs are chosen by users.
	#[pallet::storage]
	pub type RecordByCid<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		CidOf<T>,
		RecordId,
		OptionQuery,
	>;

	/// Records institutions registered that their owners have neither accepted nor rejected.
	/// They move to [`Records`] when accepted and are dropped when rejected.
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type PendingRecords<T: Config> =
		StorageMap<_, Twox64Concat, RecordId, RecordOf<T>, OptionQuery>;

	/// The pending records of each owner, oldest first.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type PendingRecordsOf<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<RecordId, T::MaxPendingRecordsPerOwner>,
		ValueQuery,
	>;

	/// How many records each institution has waiting for each person's acceptance: the count of
	/// [`PendingRecordsOf`] entries the institution registered, kept so that the per-institution
	/// cap costs one read instead of one per pending record. No entry for zero.
	///
	/// Hashers: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type PendingRecordsFrom<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		u32,
		ValueQuery,
	>;

	/// The storage deposit of each record, pending or registered, until it is retired or
	/// rejected.
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type RecordDeposits<T: Config> =
		StorageMap<_, Twox64Concat, RecordId, DepositOf<T>, OptionQuery>;

	/// The records of each owner that are not retired, oldest first.
	///
	/// Hasher: `Blake2_128Concat`, because account ids are chosen by their owners.
	#[pallet::storage]
	pub type RecordsOf<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<RecordId, T::MaxRecordsPerOwner>,
		ValueQuery,
	>;

	/// Every vault ever opened, whatever its state (the audit trail).
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type Vaults<T: Config> = StorageMap<_, Twox64Concat, VaultId, VaultOf<T>, OptionQuery>;

	/// The open vaults of each grant.
	///
	/// Hasher: `Twox64Concat`, because grant ids are assigned in sequence.
	#[pallet::storage]
	pub type VaultsOfGrant<T: Config> =
		StorageMap<_, Twox64Concat, GrantId, BoundedVec<VaultId, T::MaxVaultsPerGrant>, ValueQuery>;

	/// The open vaults sharing each record.
	///
	/// Hasher: `Twox64Concat`, because record ids are assigned in sequence.
	#[pallet::storage]
	pub type VaultsOfRecord<T: Config> = StorageMap<
		_,
		Twox64Concat,
		RecordId,
		BoundedVec<VaultId, T::MaxVaultsPerRecord>,
		ValueQuery,
	>;

	/// The expiry queue: for each block, the vaults that expire at it. Buckets before
	/// [`ExpiryCursor`] have been processed and removed.
	///
	/// Hasher: `Twox64Concat`, because a block number gives no room to unbalance the trie.
	#[pallet::storage]
	pub type ExpiryQueue<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<VaultId, T::MaxVaultsPerBlock>,
		ValueQuery,
	>;

	/// The first block whose expiry bucket has not been fully processed. `None` until the first
	/// `on_initialize`.
	#[pallet::storage]
	pub type ExpiryCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, OptionQuery>;

	/// What each data steward must keep pinned: records not retired and vaults not ended in
	/// storage (see [`Pallet::must_pin`] for the answer at the current block).
	///
	/// Hashers: `Blake2_128Concat` for the steward (an account id), `Twox64Concat` for the target
	/// (ids assigned in sequence).
	#[pallet::storage]
	pub type Pins<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		PinTarget,
		(),
		OptionQuery,
	>;

	/// What each data steward must unpin and has not yet confirmed unpinned: ended vaults and
	/// retired records.
	///
	/// Hashers: as for [`Pins`].
	#[pallet::storage]
	pub type Unpins<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		PinTarget,
		(),
		OptionQuery,
	>;

	/// How many blocks a steward must have been failing to fetch a record's object before it may
	/// report it unfetchable. [`Config::DefaultUnfetchableAfter`] until governance sets it.
	#[pallet::storage]
	pub type UnfetchableAfter<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, UnfetchableAfterDefault<T>>;

	/// [`Config::DefaultUnfetchableAfter`], as the value of an empty [`UnfetchableAfter`].
	#[pallet::type_value]
	pub fn UnfetchableAfterDefault<T: Config>() -> BlockNumberFor<T> {
		T::DefaultUnfetchableAfter::get()
	}

	/// The records their steward reported unfetchable: at most one report per record (a record
	/// has one steward), so that a failing steward cannot spam events. Kept, like the record,
	/// for the audit trail.
	///
	/// Hasher: `Twox64Concat`, because ids are assigned in sequence by the pallet.
	#[pallet::storage]
	pub type UnfetchableRecords<T: Config> =
		StorageMap<_, Twox64Concat, RecordId, UnfetchableReportOf<T>, OptionQuery>;

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A record's storage deposit, held from its registration until it is retired or
		/// rejected.
		#[codec(index = 0)]
		RecordDeposit,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An institution registered a record for a person; it counts once the person accepts it.
		RecordPending {
			/// The pending record.
			record: RecordId,
			/// The person it is about, who must accept it.
			owner: T::AccountId,
			/// The institution that registered it.
			institution: T::AccountId,
			/// Its IPFS CID.
			cid: CidOf<T>,
			/// The data categories it holds.
			categories: CategoriesOf<T>,
			/// The data steward that will pin it once accepted.
			steward: T::AccountId,
		},
		/// The owner rejected a pending record: it was dropped and its deposit released.
		RecordRejected {
			/// The record.
			record: RecordId,
			/// Its owner.
			owner: T::AccountId,
			/// The institution that registered it.
			institution: T::AccountId,
		},
		/// A record was registered (by its owner, or accepted by its owner when an institution
		/// registered it).
		RecordRegistered {
			/// The new record.
			record: RecordId,
			/// The person it is about.
			owner: T::AccountId,
			/// Who registered it.
			origin: RecordOrigin<T::AccountId>,
			/// Its IPFS CID.
			cid: CidOf<T>,
			/// The data categories it holds.
			categories: CategoriesOf<T>,
			/// The data steward that pins it.
			steward: T::AccountId,
		},
		/// A vault was opened: the grantee may fetch `cid` until `expires_at`.
		VaultOpened {
			/// The new vault.
			vault: VaultId,
			/// The grant it was opened under.
			grant: GrantId,
			/// The record it shares.
			record: RecordId,
			/// The person whose data it holds.
			subject: T::AccountId,
			/// The institution it is shared with.
			grantee: T::AccountId,
			/// The IPFS CID of the re-encrypted data.
			cid: CidOf<T>,
			/// The block at which it expires.
			expires_at: BlockNumberFor<T>,
		},
		/// A vault's expiry block came; its steward must unpin it.
		VaultExpired {
			/// The vault.
			vault: VaultId,
			/// The grant it was opened under.
			grant: GrantId,
		},
		/// A vault was closed before its expiry; its steward must unpin it.
		VaultClosed {
			/// The vault.
			vault: VaultId,
			/// The grant it was opened under.
			grant: GrantId,
			/// Why.
			reason: CloseReason,
		},
		/// A data steward confirmed it unpinned a vault or a retired record.
		UnpinConfirmed {
			/// What was unpinned.
			target: PinTarget,
			/// The steward.
			steward: T::AccountId,
		},
		/// A grantee attested it removed its copy of a vault's data.
		RemovalAttested {
			/// The vault.
			vault: VaultId,
			/// The grantee.
			grantee: T::AccountId,
			/// The CID it removed.
			cid: CidOf<T>,
		},
		/// A record was retired by its owner; its vaults were closed.
		RecordRetired {
			/// The record.
			record: RecordId,
			/// Its owner.
			owner: T::AccountId,
			/// How many open vaults were closed.
			vaults_closed: u32,
		},
		/// A record's steward has failed to fetch its object for at least [`UnfetchableAfter`]
		/// blocks: the record is not held.
		RecordUnfetchable {
			/// The record's owner.
			owner: T::AccountId,
			/// The record.
			record: RecordId,
			/// Its steward, which reported it.
			steward: T::AccountId,
			/// Why the object cannot be fetched.
			reason: UnfetchableReason,
			/// The block from which the steward has been failing.
			since: BlockNumberFor<T>,
		},
		/// Governance set how long a steward must fail before it may report a record
		/// unfetchable.
		UnfetchableAfterSet {
			/// The number of blocks.
			blocks: BlockNumberFor<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only the owner, or an active institution for a record it originated, may register a
		/// record.
		NotOwnerOrInstitution,
		/// The CID is empty. Give the IPFS CID of the object.
		EmptyCid,
		/// The record names no data category. Name at least one, so that consent can cover it.
		NoCategories,
		/// The steward is not an active data steward of the consortium: choose an active one when
		/// registering; a vault cannot be opened, nor an unpin confirmed, while the record's
		/// steward is suspended.
		NotActiveSteward,
		/// The owner already has a record with this CID (a CID names its content).
		CidAlreadyRegistered,
		/// The signer's free balance cannot cover the storage deposit
		/// (`RecordDepositBase + DepositPerByte` × the record's size in bytes). Fund the account
		/// first, or retire records you no longer need: their deposits come back.
		InsufficientDeposit,
		/// The owner has `MaxPendingRecordsPerOwner` records waiting for acceptance. The owner
		/// must accept or reject one first.
		TooManyPendingRecords,
		/// This institution already has `MaxPendingRecordsPerInstitution` records waiting for
		/// this person's acceptance. Wait until the person accepts or rejects one.
		TooManyPendingRecordsFromInstitution,
		/// There is no pending record with this id: it was never registered by an institution,
		/// or was already accepted or rejected.
		UnknownPendingRecord,
		/// The owner has `MaxRecordsPerOwner` records that are not retired. Retire one first.
		TooManyRecords,
		/// There is no grant with this id.
		UnknownGrant,
		/// Only the grant's subject, or a delegate the subject appointed, may open a vault under
		/// it; only the record's owner or a delegate may retire it.
		NotSubjectOrDelegate,
		/// This grant lets any institution in, for statistics only; vaults are opened under a
		/// grant to one institution.
		ConsortiumWideGrant,
		/// The grant may not be used now: it was revoked, has not started, has ended, or its
		/// institution is suspended.
		GrantNotLive,
		/// There is no record with this id.
		UnknownRecord,
		/// The record belongs to someone other than the grant's subject.
		NotRecordOwner,
		/// The record was retired; it can no longer be shared or retired again.
		RecordRetired,
		/// The record holds a data category the grant does not cover. Share a record within the
		/// grant's scope, or ask for a wider grant.
		ScopeDoesNotCover,
		/// The expiry block is not after the current block. Choose a later block.
		ExpiryNotInFuture,
		/// The expiry block is after the grant's end. Choose a block no later than the grant's
		/// end.
		ExpiryAfterGrantEnd,
		/// The grant has `MaxVaultsPerGrant` open vaults. Close one first.
		TooManyVaultsForGrant,
		/// The record is shared in `MaxVaultsPerRecord` open vaults. Close one first.
		TooManyVaultsForRecord,
		/// `MaxVaultsPerBlock` vaults already expire at this block. Choose another expiry block.
		ExpiryBlockFull,
		/// There is no vault with this id.
		UnknownVault,
		/// Only the vault's subject (or a delegate) or its grantee may close it.
		NotSubjectOrGrantee,
		/// The vault is no longer open.
		VaultNotOpen,
		/// Only the record's data steward may confirm it unpinned this.
		NotAssignedSteward,
		/// The vault is still open: it must expire or be closed before it is unpinned or its
		/// removal attested.
		VaultStillOpen,
		/// The record is not retired, so it must stay pinned.
		RecordNotRetired,
		/// Unpinning was already confirmed.
		AlreadyUnpinned,
		/// Only the vault's grantee may attest that it removed the vault's data.
		NotGrantee,
		/// The CID given is not the vault's CID. Name the vault's CID exactly.
		CidMismatch,
		/// Removal was already attested.
		AlreadyAttested,
		/// The block given as the start of the failure is after the current block.
		FailingSinceInFuture,
		/// The block given as the start of the failure is before the record was registered (or
		/// accepted): nobody could fetch it for the steward then.
		FailingSinceBeforeRegistration,
		/// The steward has not been failing for `UnfetchableAfter` blocks yet. Keep retrying;
		/// report once that many blocks have passed since the first failure.
		NotFailingLongEnough,
		/// The record was already reported unfetchable. A steward reports a record once.
		AlreadyReportedUnfetchable,
		/// `UnfetchableAfter` must be at least one block.
		ZeroUnfetchableAfter,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_expiries(now)
		}

		fn integrity_test() {
			assert!(T::MaxExpiriesPerBlock::get() > 0, "MaxExpiriesPerBlock must be > 0");
			assert!(T::MaxVaultsPerBlock::get() > 0, "MaxVaultsPerBlock must be > 0");
			assert!(
				T::MaxPendingRecordsPerInstitution::get() > 0
					&& T::MaxPendingRecordsPerInstitution::get()
						< T::MaxPendingRecordsPerOwner::get(),
				"MaxPendingRecordsPerInstitution must be > 0 and < MaxPendingRecordsPerOwner"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a personal health record stored, encrypted, in IPFS.
		///
		/// ## Dispatch Origin
		/// Signed, by `owner`, or by an active institution for a record it originated.
		///
		/// ## Details
		/// The signer pays the record's storage deposit, held until the record is retired or
		/// rejected. A record the owner registers counts at once; one an institution registers
		/// is pending until the owner accepts it ([`Pallet::accept_record`]).
		///
		/// - `owner`: the person the record is about.
		/// - `cid`: the IPFS CID of the encrypted record.
		/// - `content_hash`: hash of the encrypted content.
		/// - `size`: its size in bytes.
		/// - `categories`: the data categories it holds (duplicates are ignored).
		/// - `steward`: the active data steward that pins it.
		///
		/// ## Errors
		/// `NotOwnerOrInstitution`, `EmptyCid`, `NoCategories`, `NotActiveSteward`,
		/// `CidAlreadyRegistered`, `TooManyRecords` (by the owner),
		/// `TooManyPendingRecordsFromInstitution` and `TooManyPendingRecords` (by an institution),
		/// `InsufficientDeposit`.
		///
		/// ## Events
		/// [`Event::RecordRegistered`] (by the owner) or [`Event::RecordPending`] (by an
		/// institution).
		#[pallet::call_index(0)]
		#[pallet::weight(
			T::WeightInfo::register_record().max(T::WeightInfo::register_pending_record())
		)]
		pub fn register_record(
			origin: OriginFor<T>,
			owner: T::AccountId,
			cid: CidOf<T>,
			content_hash: H256,
			size: u64,
			categories: CategoriesOf<T>,
			steward: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_record(who, owner, cid, content_hash, size, categories, steward)
				.map(|_| ())
		}

		/// Open a shared data vault: share one record with a grant's institution until a block.
		///
		/// ## Dispatch Origin
		/// Signed, by the grant's subject or one of the subject's delegates.
		///
		/// ## Details
		/// - `grant`: a live grant to one institution.
		/// - `record`: a record of the subject, not retired, whose categories the grant covers.
		/// - `cid`: the IPFS CID of the record re-encrypted for the grant's requester key.
		/// - `expires_at`: the block at which the vault expires, after the current block and no
		///   later than the grant's end.
		///
		/// The record's steward pins `cid` until the vault expires or is closed.
		///
		/// ## Errors
		/// `UnknownGrant`, `NotSubjectOrDelegate`, `ConsortiumWideGrant`, `GrantNotLive`,
		/// `UnknownRecord`, `NotRecordOwner`, `RecordRetired`, `ScopeDoesNotCover`, `EmptyCid`,
		/// `ExpiryNotInFuture`, `ExpiryAfterGrantEnd`, `NotActiveSteward`,
		/// `TooManyVaultsForGrant`, `TooManyVaultsForRecord`, `ExpiryBlockFull`.
		///
		/// ## Events
		/// [`Event::VaultOpened`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::open_vault())]
		pub fn open_vault(
			origin: OriginFor<T>,
			grant: GrantId,
			record: RecordId,
			cid: CidOf<T>,
			expires_at: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_open_vault(who, grant, record, cid, expires_at).map(|_| ())
		}

		/// Close a vault before its expiry.
		///
		/// ## Dispatch Origin
		/// Signed, by the vault's subject (or a delegate), or by its grantee.
		///
		/// ## Errors
		/// `UnknownVault`, `NotSubjectOrGrantee`, `VaultNotOpen`.
		///
		/// ## Events
		/// [`Event::VaultClosed`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::close_vault())]
		pub fn close_vault(origin: OriginFor<T>, vault: VaultId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let v = Vaults::<T>::get(vault).ok_or(Error::<T>::UnknownVault)?;
			let reason = if T::Consent::acts_for(&who, &v.subject) {
				CloseReason::BySubject
			} else if who == v.grantee {
				CloseReason::ByGrantee
			} else {
				return Err(Error::<T>::NotSubjectOrGrantee.into());
			};
			ensure!(v.state == VaultState::Open, Error::<T>::VaultNotOpen);

			let now = frame_system::Pallet::<T>::block_number();
			Self::end_vault(vault, v, VaultState::Closed { at: now, reason });
			Ok(())
		}

		/// Confirm that a vault that ended, or a retired record, was unpinned and garbage
		/// collected.
		///
		/// ## Dispatch Origin
		/// Signed, by the record's data steward, while it is an active steward.
		///
		/// ## Details
		/// A vault whose expiry block came, or whose grant is no longer live, may be confirmed
		/// before the expiry queue or the revocation reaches it: it is ended first (with its
		/// event).
		///
		/// ## Errors
		/// `NotActiveSteward`, `UnknownVault`, `UnknownRecord`, `NotAssignedSteward`,
		/// `VaultStillOpen`, `RecordNotRetired`, `AlreadyUnpinned`.
		///
		/// ## Events
		/// [`Event::UnpinConfirmed`], after [`Event::VaultExpired`] or [`Event::VaultClosed`]
		/// when the vault is ended first.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::confirm_unpinned())]
		pub fn confirm_unpinned(origin: OriginFor<T>, target: PinTarget) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				T::Consortium::is_active_member(&who, MemberKind::DataSteward),
				Error::<T>::NotActiveSteward
			);
			let now = frame_system::Pallet::<T>::block_number();
			match target {
				PinTarget::Vault(id) => {
					let vault = Vaults::<T>::get(id).ok_or(Error::<T>::UnknownVault)?;
					ensure!(vault.steward == who, Error::<T>::NotAssignedSteward);
					let due = Self::due_end(&vault, now);
					ensure!(
						vault.state != VaultState::Open || due.is_some(),
						Error::<T>::VaultStillOpen
					);
					ensure!(vault.unpinned.is_none(), Error::<T>::AlreadyUnpinned);

					let mut vault = match due {
						Some(state) => Self::end_vault(id, vault, state),
						None => vault,
					};
					vault.unpinned = Some(Unpinned { by: who.clone(), at: now });
					Vaults::<T>::insert(id, vault);
				},
				PinTarget::Record(id) => {
					let mut record = Records::<T>::get(id).ok_or(Error::<T>::UnknownRecord)?;
					ensure!(record.steward == who, Error::<T>::NotAssignedSteward);
					ensure!(record.retired_at.is_some(), Error::<T>::RecordNotRetired);
					ensure!(record.unpinned_at.is_none(), Error::<T>::AlreadyUnpinned);

					record.unpinned_at = Some(now);
					Records::<T>::insert(id, record);
				},
			}
			Unpins::<T>::remove(&who, target);
			Self::deposit_event(Event::UnpinConfirmed { target, steward: who });
			Ok(())
		}

		/// Attest, as the grantee, that you deleted every copy of a vault's data: a signed
		/// statement naming the CID, for later audit.
		///
		/// ## Dispatch Origin
		/// Signed, by the vault's grantee.
		///
		/// ## Details
		/// Allowed once the vault expired or was closed. A vault whose expiry block came, or whose
		/// grant is no longer live, is ended first (with its event).
		///
		/// ## Errors
		/// `UnknownVault`, `NotGrantee`, `CidMismatch`, `VaultStillOpen`, `AlreadyAttested`.
		///
		/// ## Events
		/// [`Event::RemovalAttested`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::attest_removal())]
		pub fn attest_removal(
			origin: OriginFor<T>,
			vault: VaultId,
			cid: CidOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let v = Vaults::<T>::get(vault).ok_or(Error::<T>::UnknownVault)?;
			ensure!(v.grantee == who, Error::<T>::NotGrantee);
			ensure!(v.cid == cid, Error::<T>::CidMismatch);
			let now = frame_system::Pallet::<T>::block_number();
			let due = Self::due_end(&v, now);
			ensure!(v.state != VaultState::Open || due.is_some(), Error::<T>::VaultStillOpen);
			ensure!(v.removal_attested_at.is_none(), Error::<T>::AlreadyAttested);

			let mut v = match due {
				Some(state) => Self::end_vault(vault, v, state),
				None => v,
			};
			v.removal_attested_at = Some(now);
			Vaults::<T>::insert(vault, v);
			Self::deposit_event(Event::RemovalAttested { vault, grantee: who, cid });
			Ok(())
		}

		/// Retire a record: it may no longer be shared, every vault holding it is closed, and its
		/// steward must unpin it.
		///
		/// ## Dispatch Origin
		/// Signed, by the record's owner or one of the owner's delegates.
		///
		/// ## Errors
		/// `UnknownRecord`, `NotSubjectOrDelegate`, `RecordRetired`.
		///
		/// ## Events
		/// [`Event::VaultClosed`] for each open vault, then [`Event::RecordRetired`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::retire_record(T::MaxVaultsPerRecord::get()))]
		pub fn retire_record(origin: OriginFor<T>, record: RecordId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let mut r = Records::<T>::get(record).ok_or(Error::<T>::UnknownRecord)?;
			ensure!(T::Consent::acts_for(&who, &r.owner), Error::<T>::NotSubjectOrDelegate);
			ensure!(r.retired_at.is_none(), Error::<T>::RecordRetired);

			let now = frame_system::Pallet::<T>::block_number();
			let open = VaultsOfRecord::<T>::get(record);
			let mut closed = 0u32;
			for id in open.iter() {
				if let Some(v) = Vaults::<T>::get(id) {
					if v.state == VaultState::Open {
						Self::end_vault(
							*id,
							v,
							VaultState::Closed { at: now, reason: CloseReason::RecordRetired },
						);
						closed = closed.saturating_add(1);
					}
				}
			}
			VaultsOfRecord::<T>::remove(record);
			RecordsOf::<T>::mutate_exists(&r.owner, |list| {
				if let Some(l) = list {
					l.retain(|id| *id != record);
					if l.is_empty() {
						*list = None;
					}
				}
			});
			Pins::<T>::remove(&r.steward, PinTarget::Record(record));
			Unpins::<T>::insert(&r.steward, PinTarget::Record(record), ());
			Self::release_deposit(record);
			r.retired_at = Some(now);
			let owner = r.owner.clone();
			Records::<T>::insert(record, r);
			Self::deposit_event(Event::RecordRetired { record, owner, vaults_closed: closed });
			Ok(Some(T::WeightInfo::retire_record(closed)).into())
		}

		/// Accept a record an institution registered for you: from now on it is yours, its
		/// steward pins it, and it may be shared and used for statistics and predictions.
		///
		/// ## Dispatch Origin
		/// Signed, by the record's owner or one of the owner's delegates.
		///
		/// ## Details
		/// The institution's deposit stays held until the record is retired.
		///
		/// ## Errors
		/// `UnknownPendingRecord`, `NotSubjectOrDelegate`, `NotActiveSteward`,
		/// `CidAlreadyRegistered` (the owner already has a record with this CID: reject this
		/// one), `TooManyRecords`.
		///
		/// ## Events
		/// [`Event::RecordRegistered`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::accept_record())]
		pub fn accept_record(origin: OriginFor<T>, record: RecordId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_accept_record(who, record)
		}

		/// Reject a record an institution registered for you: it is dropped and the
		/// institution's deposit released.
		///
		/// ## Dispatch Origin
		/// Signed, by the record's owner or one of the owner's delegates.
		///
		/// ## Errors
		/// `UnknownPendingRecord`, `NotSubjectOrDelegate`.
		///
		/// ## Events
		/// [`Event::RecordRejected`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::reject_record())]
		pub fn reject_record(origin: OriginFor<T>, record: RecordId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let r = PendingRecords::<T>::get(record).ok_or(Error::<T>::UnknownPendingRecord)?;
			ensure!(T::Consent::acts_for(&who, &r.owner), Error::<T>::NotSubjectOrDelegate);

			Self::unlist_pending(&r, record);
			PendingRecords::<T>::remove(record);
			Self::release_deposit(record);
			let institution = match r.origin {
				RecordOrigin::Institution(institution) => institution,
				// Only institutions' records are ever pending.
				RecordOrigin::Owner => r.owner.clone(),
			};
			Self::deposit_event(Event::RecordRejected { record, owner: r.owner, institution });
			Ok(())
		}

		/// Report that a record's object cannot be fetched: its steward has been failing to pin
		/// it since block `since`, for at least [`UnfetchableAfter`] blocks.
		///
		/// ## Dispatch Origin
		/// Signed, by the record's data steward, while it is an active steward.
		///
		/// ## Details
		/// A record is reported once: a second report is refused, whatever its reason, so that a
		/// steward failing on every retry emits one event, not one per retry. `since` must not
		/// be before the record was registered (or accepted), so no steward can skip the wait.
		///
		/// ## Errors
		/// `NotActiveSteward`, `UnknownRecord`, `NotAssignedSteward`, `RecordRetired`,
		/// `FailingSinceInFuture`, `FailingSinceBeforeRegistration`, `NotFailingLongEnough`,
		/// `AlreadyReportedUnfetchable`.
		///
		/// ## Events
		/// [`Event::RecordUnfetchable`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::report_unfetchable())]
		pub fn report_unfetchable(
			origin: OriginFor<T>,
			record: RecordId,
			reason: UnfetchableReason,
			since: BlockNumberFor<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_report_unfetchable(who, record, reason, since)
		}

		/// Set how many blocks a steward must have been failing to fetch a record's object before
		/// it may report it unfetchable ([`UnfetchableAfter`]).
		///
		/// ## Dispatch Origin
		/// [`Config::GovernanceOrigin`].
		///
		/// ## Errors
		/// `ZeroUnfetchableAfter`.
		///
		/// ## Events
		/// [`Event::UnfetchableAfterSet`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_unfetchable_after())]
		pub fn set_unfetchable_after(
			origin: OriginFor<T>,
			blocks: BlockNumberFor<T>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(!blocks.is_zero(), Error::<T>::ZeroUnfetchableAfter);
			UnfetchableAfter::<T>::put(blocks);
			Self::deposit_event(Event::UnfetchableAfterSet { blocks });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// The storage deposit for `record`: the base plus the per-byte rate times its encoded size.
	pub fn record_deposit(record: &RecordOf<T>) -> BalanceOf<T> {
		deposit::amount_for(
			T::RecordDepositBase::get(),
			T::DepositPerByte::get(),
			record.encoded_size(),
		)
	}

	/// Hold `amount` from `who` as the deposit of `record`. The last check of a call: nothing is
	/// written when it fails.
	fn hold_deposit(
		who: &T::AccountId,
		record: RecordId,
		amount: BalanceOf<T>,
	) -> Result<(), DispatchError> {
		let deposit =
			deposit::hold::<_, T::Currency>(&HoldReason::RecordDeposit.into(), who, amount)
				.map_err(|_| Error::<T>::InsufficientDeposit)?;
		RecordDeposits::<T>::insert(record, deposit);
		Ok(())
	}

	/// Release the deposit of `record`, if it has one, to whoever paid it.
	fn release_deposit(record: RecordId) {
		deposit::release::<_, T::Currency>(
			&HoldReason::RecordDeposit.into(),
			RecordDeposits::<T>::take(record),
		);
	}

	/// Drop pending `record` from its owner's list and from its institution's count.
	fn unlist_pending(pending: &RecordOf<T>, record: RecordId) {
		PendingRecordsOf::<T>::mutate_exists(&pending.owner, |list| {
			if let Some(l) = list {
				l.retain(|id| *id != record);
				if l.is_empty() {
					*list = None;
				}
			}
		});
		if let RecordOrigin::Institution(institution) = &pending.origin {
			PendingRecordsFrom::<T>::mutate_exists(&pending.owner, institution, |count| {
				*count = count.and_then(|c| c.checked_sub(1)).filter(|c| *c > 0);
			});
		}
	}

	pub(crate) fn do_register_record(
		who: T::AccountId,
		owner: T::AccountId,
		cid: CidOf<T>,
		content_hash: H256,
		size: u64,
		categories: CategoriesOf<T>,
		steward: T::AccountId,
	) -> Result<RecordId, DispatchError> {
		let origin = if who == owner {
			RecordOrigin::Owner
		} else if T::Consortium::is_active_member(&who, MemberKind::Institution) {
			RecordOrigin::Institution(who.clone())
		} else {
			return Err(Error::<T>::NotOwnerOrInstitution.into());
		};
		ensure!(!cid.is_empty(), Error::<T>::EmptyCid);
		let mut categories = categories.into_inner();
		categories.sort();
		categories.dedup();
		ensure!(!categories.is_empty(), Error::<T>::NoCategories);
		let categories: CategoriesOf<T> = BoundedVec::truncate_from(categories);
		ensure!(
			T::Consortium::is_active_member(&steward, MemberKind::DataSteward),
			Error::<T>::NotActiveSteward
		);
		let id = NextRecordId::<T>::get();
		let record = Record {
			owner: owner.clone(),
			origin: origin.clone(),
			cid: cid.clone(),
			content_hash,
			size,
			categories: categories.clone(),
			steward: steward.clone(),
			registered_at: Self::now(),
			retired_at: None,
			unpinned_at: None,
		};
		let deposit = Self::record_deposit(&record);

		match origin {
			RecordOrigin::Owner => {
				ensure!(
					!RecordByCid::<T>::contains_key(&owner, &cid),
					Error::<T>::CidAlreadyRegistered
				);
				let mut records = RecordsOf::<T>::get(&owner);
				records.try_push(id).map_err(|_| Error::<T>::TooManyRecords)?;
				Self::hold_deposit(&who, id, deposit)?;

				// All checks passed: write.
				NextRecordId::<T>::put(id.saturating_add(1));
				RecordsOf::<T>::insert(&owner, records);
				Self::list_record(id, record);
			},
			RecordOrigin::Institution(institution) => {
				// Checked again on acceptance: the owner may register the CID meanwhile.
				ensure!(
					!RecordByCid::<T>::contains_key(&owner, &cid),
					Error::<T>::CidAlreadyRegistered
				);
				let from_institution = PendingRecordsFrom::<T>::get(&owner, &institution);
				ensure!(
					from_institution < T::MaxPendingRecordsPerInstitution::get(),
					Error::<T>::TooManyPendingRecordsFromInstitution
				);
				let mut pending = PendingRecordsOf::<T>::get(&owner);
				pending.try_push(id).map_err(|_| Error::<T>::TooManyPendingRecords)?;
				Self::hold_deposit(&who, id, deposit)?;

				// All checks passed: write.
				NextRecordId::<T>::put(id.saturating_add(1));
				PendingRecordsOf::<T>::insert(&owner, pending);
				PendingRecordsFrom::<T>::insert(
					&owner,
					&institution,
					from_institution.saturating_add(1),
				);
				PendingRecords::<T>::insert(id, record);
				Self::deposit_event(Event::RecordPending {
					record: id,
					owner,
					institution,
					cid,
					categories,
					steward,
				});
			},
		}
		Ok(id)
	}

	/// Make `record` count as its owner's (already in [`RecordsOf`]): index its CID, pin it,
	/// store it and emit [`Event::RecordRegistered`].
	fn list_record(id: RecordId, record: RecordOf<T>) {
		RecordByCid::<T>::insert(&record.owner, &record.cid, id);
		Pins::<T>::insert(&record.steward, PinTarget::Record(id), ());
		Self::deposit_event(Event::RecordRegistered {
			record: id,
			owner: record.owner.clone(),
			origin: record.origin.clone(),
			cid: record.cid.clone(),
			categories: record.categories.clone(),
			steward: record.steward.clone(),
		});
		Records::<T>::insert(id, record);
	}

	pub(crate) fn do_accept_record(who: T::AccountId, id: RecordId) -> DispatchResult {
		let mut record = PendingRecords::<T>::get(id).ok_or(Error::<T>::UnknownPendingRecord)?;
		ensure!(T::Consent::acts_for(&who, &record.owner), Error::<T>::NotSubjectOrDelegate);
		ensure!(
			T::Consortium::is_active_member(&record.steward, MemberKind::DataSteward),
			Error::<T>::NotActiveSteward
		);
		ensure!(
			!RecordByCid::<T>::contains_key(&record.owner, &record.cid),
			Error::<T>::CidAlreadyRegistered
		);
		let mut records = RecordsOf::<T>::get(&record.owner);
		records.try_push(id).map_err(|_| Error::<T>::TooManyRecords)?;

		// All checks passed: write.
		Self::unlist_pending(&record, id);
		PendingRecords::<T>::remove(id);
		RecordsOf::<T>::insert(&record.owner, records);
		// It counts from now on.
		record.registered_at = Self::now();
		Self::list_record(id, record);
		Ok(())
	}

	pub(crate) fn do_report_unfetchable(
		who: T::AccountId,
		id: RecordId,
		reason: UnfetchableReason,
		since: BlockNumberFor<T>,
	) -> DispatchResult {
		ensure!(
			T::Consortium::is_active_member(&who, MemberKind::DataSteward),
			Error::<T>::NotActiveSteward
		);
		let record = Records::<T>::get(id).ok_or(Error::<T>::UnknownRecord)?;
		ensure!(record.steward == who, Error::<T>::NotAssignedSteward);
		ensure!(record.retired_at.is_none(), Error::<T>::RecordRetired);
		let now = Self::now();
		ensure!(since <= now, Error::<T>::FailingSinceInFuture);
		ensure!(since >= record.registered_at, Error::<T>::FailingSinceBeforeRegistration);
		ensure!(
			now.saturating_sub(since) >= UnfetchableAfter::<T>::get(),
			Error::<T>::NotFailingLongEnough
		);
		ensure!(!UnfetchableRecords::<T>::contains_key(id), Error::<T>::AlreadyReportedUnfetchable);

		// All checks passed: write.
		UnfetchableRecords::<T>::insert(
			id,
			UnfetchableReport { steward: who.clone(), reason, since, reported_at: now },
		);
		Self::deposit_event(Event::RecordUnfetchable {
			owner: record.owner,
			record: id,
			steward: who,
			reason,
			since,
		});
		Ok(())
	}

	fn do_open_vault(
		who: T::AccountId,
		grant: GrantId,
		record_id: RecordId,
		cid: CidOf<T>,
		expires_at: BlockNumberFor<T>,
	) -> Result<VaultId, DispatchError> {
		let info = T::Consent::grant_info(grant).ok_or(Error::<T>::UnknownGrant)?;
		ensure!(T::Consent::acts_for(&who, &info.subject), Error::<T>::NotSubjectOrDelegate);
		let grantee = match &info.grantee {
			Grantee::Institution(institution) => institution.clone(),
			Grantee::AnyMember => return Err(Error::<T>::ConsortiumWideGrant.into()),
		};
		let now = Self::now();
		ensure!(T::Consent::is_grant_live(grant, now), Error::<T>::GrantNotLive);
		let record = Records::<T>::get(record_id).ok_or(Error::<T>::UnknownRecord)?;
		ensure!(record.owner == info.subject, Error::<T>::NotRecordOwner);
		ensure!(record.retired_at.is_none(), Error::<T>::RecordRetired);
		ensure!(
			record.categories.iter().all(|c| info.scope.contains(c)),
			Error::<T>::ScopeDoesNotCover
		);
		ensure!(!cid.is_empty(), Error::<T>::EmptyCid);
		ensure!(expires_at > now, Error::<T>::ExpiryNotInFuture);
		ensure!(expires_at <= info.period.end, Error::<T>::ExpiryAfterGrantEnd);
		ensure!(
			T::Consortium::is_active_member(&record.steward, MemberKind::DataSteward),
			Error::<T>::NotActiveSteward
		);
		let id = NextVaultId::<T>::get();
		let mut of_grant = VaultsOfGrant::<T>::get(grant);
		of_grant.try_push(id).map_err(|_| Error::<T>::TooManyVaultsForGrant)?;
		let mut of_record = VaultsOfRecord::<T>::get(record_id);
		of_record.try_push(id).map_err(|_| Error::<T>::TooManyVaultsForRecord)?;
		let bucket =
			Expiries::<T>::bucket_with(expires_at, id).ok_or(Error::<T>::ExpiryBlockFull)?;

		// All checks passed: write.
		NextVaultId::<T>::put(id.saturating_add(1));
		VaultsOfGrant::<T>::insert(grant, of_grant);
		VaultsOfRecord::<T>::insert(record_id, of_record);
		Expiries::<T>::put_bucket(expires_at, bucket);
		Pins::<T>::insert(&record.steward, PinTarget::Vault(id), ());
		Vaults::<T>::insert(
			id,
			Vault {
				grant,
				record: record_id,
				subject: info.subject.clone(),
				grantee: grantee.clone(),
				steward: record.steward,
				cid: cid.clone(),
				opened_by: who,
				opened_at: now,
				expires_at,
				state: VaultState::Open,
				unpinned: None,
				removal_attested_at: None,
			},
		);
		Self::deposit_event(Event::VaultOpened {
			vault: id,
			grant,
			record: record_id,
			subject: info.subject,
			grantee,
			cid,
			expires_at,
		});
		Ok(id)
	}

	/// How an open vault must end at `now`, if it must: `Expired` once its expiry block came,
	/// `Closed { GrantRevoked }` once its grant is no longer live. `None` for a vault that is not
	/// open or may stay open.
	fn due_end(
		vault: &VaultOf<T>,
		now: BlockNumberFor<T>,
	) -> Option<VaultState<BlockNumberFor<T>>> {
		if vault.state != VaultState::Open {
			return None;
		}
		if vault.expires_at <= now {
			Some(VaultState::Expired { at: now })
		} else if !T::Consent::is_grant_live(vault.grant, now) {
			Some(VaultState::Closed { at: now, reason: CloseReason::GrantRevoked })
		} else {
			None
		}
	}

	/// End an open vault: set its state, drop it from the open-vault indexes, move it from the
	/// steward's pins to its unpins, and emit the event. The expiry bucket keeps its id (the queue
	/// skips vaults that are no longer open). Returns the stored vault.
	fn end_vault(
		id: VaultId,
		mut vault: VaultOf<T>,
		state: VaultState<BlockNumberFor<T>>,
	) -> VaultOf<T> {
		VaultsOfGrant::<T>::mutate_exists(vault.grant, |list| {
			if let Some(l) = list {
				l.retain(|v| *v != id);
				if l.is_empty() {
					*list = None;
				}
			}
		});
		VaultsOfRecord::<T>::mutate_exists(vault.record, |list| {
			if let Some(l) = list {
				l.retain(|v| *v != id);
				if l.is_empty() {
					*list = None;
				}
			}
		});
		Pins::<T>::remove(&vault.steward, PinTarget::Vault(id));
		Unpins::<T>::insert(&vault.steward, PinTarget::Vault(id), ());
		vault.state = state;
		Vaults::<T>::insert(id, &vault);
		match state {
			VaultState::Expired { .. } => {
				Self::deposit_event(Event::VaultExpired { vault: id, grant: vault.grant })
			},
			VaultState::Closed { reason, .. } => {
				Self::deposit_event(Event::VaultClosed { vault: id, grant: vault.grant, reason })
			},
			VaultState::Open => {},
		}
		vault
	}

	/// End the vaults whose expiry block came, from the expiry queue's cursor up to `now`: at
	/// most [`Config::MaxExpiriesPerBlock`] steps (one per vault id looked at, one per block's
	/// bucket finished). What does not fit carries over. Returns the weight consumed.
	fn process_expiries(now: BlockNumberFor<T>) -> Weight {
		let steps = Expiries::<T>::work_through(now, T::MaxExpiriesPerBlock::get(), |id| {
			if let Some(vault) = Vaults::<T>::get(id) {
				if vault.state == VaultState::Open {
					Self::end_vault(id, vault, VaultState::Expired { at: now });
				}
			}
		});
		T::WeightInfo::process_expiries(steps)
	}

	// ---- Queries for runtime APIs ----

	/// Whether vault `id` may be read at block `at`: open in storage, before its expiry block,
	/// and its grant live at `at`.
	pub fn is_vault_open(id: VaultId, at: BlockNumberFor<T>) -> bool {
		Vaults::<T>::get(id).is_some_and(|v| Self::vault_open_at(&v, at))
	}

	fn vault_open_at(v: &VaultOf<T>, at: BlockNumberFor<T>) -> bool {
		v.state == VaultState::Open && at < v.expires_at && T::Consent::is_grant_live(v.grant, at)
	}

	/// What `steward` must keep pinned at the current block: its records that are not retired,
	/// and its vaults that are open now. Ordered by target.
	pub fn must_pin(steward: &T::AccountId) -> Vec<PinItem> {
		let now = Self::now();
		let mut items: Vec<PinItem> = Pins::<T>::iter_key_prefix(steward)
			.filter_map(|target| match target {
				PinTarget::Record(id) => Records::<T>::get(id).map(|r| PinItem {
					target,
					size: Some(r.size),
					cid: r.cid.into_inner(),
				}),
				PinTarget::Vault(id) => Vaults::<T>::get(id)
					.filter(|v| Self::vault_open_at(v, now))
					.map(|v| PinItem { target, cid: v.cid.into_inner(), size: None }),
			})
			.collect();
		items.sort_by_key(|i| i.target);
		items
	}

	/// What `steward` must unpin at the current block and has not confirmed yet: vaults that
	/// ended (in storage, or at this block though the queue has not reached them) and retired
	/// records. Ordered by target.
	pub fn must_unpin(steward: &T::AccountId) -> Vec<PinItem> {
		let now = Self::now();
		let ended_in_storage =
			Unpins::<T>::iter_key_prefix(steward).filter_map(|target| match target {
				PinTarget::Record(id) => Records::<T>::get(id).map(|r| PinItem {
					target,
					size: Some(r.size),
					cid: r.cid.into_inner(),
				}),
				PinTarget::Vault(id) => Vaults::<T>::get(id).map(|v| PinItem {
					target,
					cid: v.cid.into_inner(),
					size: None,
				}),
			});
		let ended_now = Pins::<T>::iter_key_prefix(steward).filter_map(|target| match target {
			PinTarget::Vault(id) => Vaults::<T>::get(id)
				.filter(|v| !Self::vault_open_at(v, now))
				.map(|v| PinItem { target, cid: v.cid.into_inner(), size: None }),
			PinTarget::Record(_) => None,
		});
		let mut items: Vec<PinItem> = ended_in_storage.chain(ended_now).collect();
		items.sort_by_key(|i| i.target);
		items
	}

	/// Invariants: every open vault is queued at its expiry block, not behind the cursor, indexed
	/// under its grant and record, pinned by its steward, and its grant is not revoked in storage
	/// with its expiry within the grant; ended vaults are not indexed as open.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (id, v) in Vaults::<T>::iter() {
			let pinned = Pins::<T>::contains_key(&v.steward, PinTarget::Vault(id));
			if v.state == VaultState::Open {
				ensure!(
					Expiries::<T>::is_scheduled(v.expires_at, id),
					"open vault missing from its expiry bucket"
				);
				ensure!(
					Expiries::<T>::is_ahead_of_cursor(v.expires_at),
					"open vault behind the expiry cursor"
				);
				ensure!(
					VaultsOfGrant::<T>::get(v.grant).contains(&id),
					"open vault not under grant"
				);
				ensure!(
					VaultsOfRecord::<T>::get(v.record).contains(&id),
					"open vault not under record"
				);
				ensure!(pinned, "open vault not pinned");
				let grant = T::Consent::grant_info(v.grant).ok_or("open vault without grant")?;
				ensure!(v.expires_at <= grant.period.end, "vault outlives its grant");
			} else {
				ensure!(!pinned, "ended vault still pinned");
				ensure!(
					v.unpinned.is_some()
						|| Unpins::<T>::contains_key(&v.steward, PinTarget::Vault(id)),
					"ended vault neither unpinned nor awaiting unpin"
				);
				ensure!(
					!VaultsOfGrant::<T>::get(v.grant).contains(&id),
					"ended vault indexed under grant"
				);
			}
		}
		for (owner, list) in RecordsOf::<T>::iter() {
			for id in list.iter() {
				let r = Records::<T>::get(id).ok_or("owner index names a missing record")?;
				ensure!(r.owner == owner && r.retired_at.is_none(), "owner index out of sync");
			}
		}
		for (id, r) in PendingRecords::<T>::iter() {
			ensure!(!Records::<T>::contains_key(id), "a record both pending and registered");
			ensure!(
				PendingRecordsOf::<T>::get(&r.owner).contains(&id),
				"pending record not listed under its owner"
			);
			ensure!(RecordDeposits::<T>::contains_key(id), "pending record without a deposit");
		}
		// Each institution's count of a person's pending records is exact and within its cap.
		let mut counted = alloc::collections::BTreeMap::<(T::AccountId, T::AccountId), u32>::new();
		for (_, r) in PendingRecords::<T>::iter() {
			let RecordOrigin::Institution(institution) = r.origin else {
				return Err("a pending record registered by its owner".into());
			};
			*counted.entry((r.owner, institution)).or_default() += 1;
		}
		for (owner, institution, count) in PendingRecordsFrom::<T>::iter() {
			ensure!(
				counted.remove(&(owner, institution)) == Some(count),
				"pending count of an institution out of sync"
			);
			ensure!(
				count <= T::MaxPendingRecordsPerInstitution::get(),
				"an institution holds more pending places than its cap"
			);
		}
		ensure!(counted.is_empty(), "pending records of an institution not counted");
		ensure!(!UnfetchableAfter::<T>::get().is_zero(), "UnfetchableAfter is zero");
		for (id, report) in UnfetchableRecords::<T>::iter() {
			let r = Records::<T>::get(id).ok_or("unfetchable report of a missing record")?;
			ensure!(report.steward == r.steward, "unfetchable report by another steward");
			ensure!(
				r.registered_at <= report.since && report.since <= report.reported_at,
				"unfetchable report failing since outside the record's life"
			);
		}
		for (id, _) in RecordDeposits::<T>::iter() {
			let live = Records::<T>::get(id).is_some_and(|r| r.retired_at.is_none())
				|| PendingRecords::<T>::contains_key(id);
			ensure!(live, "deposit held for a record that was retired or rejected");
		}
		Ok(())
	}
}

impl<T: Config> OnGrantRevoked for Pallet<T> {
	fn on_grant_revoked(grant: GrantId) -> Weight {
		let now = Self::now();
		let open = VaultsOfGrant::<T>::get(grant);
		let mut closed = 0u32;
		for id in open.iter() {
			if let Some(v) = Vaults::<T>::get(id) {
				if v.state == VaultState::Open {
					Self::end_vault(
						*id,
						v,
						VaultState::Closed { at: now, reason: CloseReason::GrantRevoked },
					);
					closed = closed.saturating_add(1);
				}
			}
		}
		T::WeightInfo::on_grant_revoked(closed)
	}

	fn weight() -> Weight {
		T::WeightInfo::on_grant_revoked(T::MaxVaultsPerGrant::get())
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> Pallet<T> {
	/// Registers a live record of `owner` holding `category`, with no pin, for the benchmarks
	/// of pallets that read records (pallet-statistics).
	pub fn benchmark_record(owner: &T::AccountId, category: DataCategory) -> RecordId {
		let id = NextRecordId::<T>::get();
		NextRecordId::<T>::put(id.saturating_add(1));
		let cid: CidOf<T> =
			BoundedVec::truncate_from(alloc::vec![b'b'; T::MaxCidLen::get() as usize]);
		Records::<T>::insert(
			id,
			Record {
				owner: owner.clone(),
				origin: RecordOrigin::Owner,
				cid,
				content_hash: H256::repeat_byte(1),
				size: 1,
				categories: BoundedVec::truncate_from(alloc::vec![category]),
				steward: owner.clone(),
				registered_at: Self::now(),
				retired_at: None,
				unpinned_at: None,
			},
		);
		id
	}
}
