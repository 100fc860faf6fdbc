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
}
