// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Records, shared data vaults and pin targets.

use crate::consent::GrantId;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// Identifies a record. Assigned in sequence, never reused.
pub type RecordId = u64;

/// Identifies a shared data vault. Assigned in sequence, never reused.
pub type VaultId = u64;

/// Who put a record on chain.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum RecordOrigin<AccountId> {
	/// The owner registered it.
	#[codec(index = 0)]
	Owner,
	/// An institution registered it for a record it originated (already encrypted to the
	/// owner's key).
	#[codec(index = 1)]
	Institution(AccountId),
}

/// A personal health record: metadata of an encrypted object in IPFS.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Record<AccountId, BlockNumber, Cid, Categories> {
	/// The person the record is about, who holds its key.
	pub owner: AccountId,
	/// Who registered it.
	pub origin: RecordOrigin<AccountId>,
	/// The IPFS CID of the encrypted record.
	pub cid: Cid,
	/// Hash of the encrypted content, to check what IPFS returns.
	pub content_hash: H256,
	/// Size of the encrypted content, in bytes.
	pub size: u64,
	/// The data categories the record holds.
	pub categories: Categories,
	/// The data steward that pins it.
	pub steward: AccountId,
	/// The block in which it was registered.
	pub registered_at: BlockNumber,
	/// The block in which its owner retired it.
	pub retired_at: Option<BlockNumber>,
	/// When its steward confirmed it was unpinned after retirement.
	pub unpinned_at: Option<BlockNumber>,
}

/// Why a vault was closed before its expiry.
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
pub enum CloseReason {
	/// The subject (or a delegate) closed it.
	#[codec(index = 0)]
	BySubject,
	/// The grantee closed it: it has read what it needed.
	#[codec(index = 1)]
	ByGrantee,
	/// The grant it was opened under was revoked (by the subject, or because the grantee was
	/// suspended).
	#[codec(index = 2)]
	GrantRevoked,
	/// The record it shares was retired by its owner.
	#[codec(index = 3)]
	RecordRetired,
}

/// Where a vault stands.
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
pub enum VaultState<BlockNumber> {
	/// The grantee may fetch the vault's CID; the steward keeps it pinned.
	#[codec(index = 0)]
	Open,
	/// Its expiry block came.
	#[codec(index = 1)]
	Expired {
		/// The block in which the expiry was processed.
		at: BlockNumber,
	},
	/// Closed before its expiry.
	#[codec(index = 2)]
	Closed {
		/// When.
		at: BlockNumber,
		/// Why.
		reason: CloseReason,
	},
}

/// A steward's confirmation that it unpinned something.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Unpinned<AccountId, BlockNumber> {
	/// The steward that confirmed.
	pub by: AccountId,
	/// When.
	pub at: BlockNumber,
}

/// A shared data vault (Vanin et al. 2023): a temporary IPFS object holding one record
/// re-encrypted for one grantee, pinned while it is open.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Vault<AccountId, BlockNumber, Cid> {
	/// The grant it was opened under.
	pub grant: GrantId,
	/// The record it shares.
	pub record: RecordId,
	/// The person whose data it holds.
	pub subject: AccountId,
	/// The institution it is shared with.
	pub grantee: AccountId,
	/// The data steward that pins it (the record's steward).
	pub steward: AccountId,
	/// The IPFS CID of the data re-encrypted for the grantee.
	pub cid: Cid,
	/// The account that opened it: the subject or a delegate.
	pub opened_by: AccountId,
	/// The block in which it was opened.
	pub opened_at: BlockNumber,
	/// The block at which it expires (never after its grant's end).
	pub expires_at: BlockNumber,
	/// Where it stands.
	pub state: VaultState<BlockNumber>,
	/// The steward's confirmation that it was unpinned.
	pub unpinned: Option<Unpinned<AccountId, BlockNumber>>,
	/// When the grantee attested it removed its copy.
	pub removal_attested_at: Option<BlockNumber>,
}

/// Something a data steward pins.
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum PinTarget {
	/// A record's encrypted object.
	#[codec(index = 0)]
	Record(RecordId),
	/// A shared data vault's object.
	#[codec(index = 1)]
	Vault(VaultId),
}

/// A pin target with its CID, as the steward queries return them.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct PinItem {
	/// What it is.
	pub target: PinTarget,
	/// Its IPFS CID.
	pub cid: Vec<u8>,
	/// The object's size in bytes as declared on chain (a record's `size`); `None` where the
	/// chain declares none (a vault's copy). A steward refuses to pin more than this.
	pub size: Option<u64>,
}
