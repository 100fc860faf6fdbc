// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! How other pallets use consent: grant lookups for the vaults pallet, and the revocation hook.
//! The codes and records themselves live in `custodia_primitives::consent`, shared with clients.

#[cfg(feature = "runtime-benchmarks")]
use alloc::vec::Vec;
use frame_support::weights::Weight;

pub use custodia_primitives::consent::*;

/// How other pallets (vaults, FHE jobs) check consent.
///
/// Implemented by [`crate::Pallet`]; set it as an associated type of a dependent pallet's
/// `Config`.
pub trait ConsentInterface<AccountId, BlockNumber> {
	/// A grant's terms, live or not; `None` if there is no such grant.
	fn grant_info(grant: GrantId) -> Option<GrantInfo<AccountId, BlockNumber>>;
	/// Whether the grant may be used at block `at`: not revoked, `at` inside its period, and its
	/// grantee institution (if it names one) an active member that was not suspended since.
	fn is_grant_live(grant: GrantId, at: BlockNumber) -> bool;
	/// Whether `institution` may read `category` of `subject`'s data for `purpose` at `at`.
	fn is_authorized(
		institution: &AccountId,
		subject: &AccountId,
		category: DataCategory,
		purpose: PurposeOfUse,
		at: BlockNumber,
	) -> bool;
	/// Whether `who` is `subject` or a delegate `subject` appointed.
	fn acts_for(who: &AccountId, subject: &AccountId) -> bool;

	/// Make a live grant without a request, for benchmarks of dependent pallets.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_grant(
		subject: &AccountId,
		institution: &AccountId,
		scope: Vec<DataCategory>,
		period: Period<BlockNumber>,
	) -> GrantId;
}

/// Called when a grant is revoked before its period ended (by its subject, or because its grantee
/// was suspended). The vaults pallet implements it to close the grant's vaults.
pub trait OnGrantRevoked {
	/// `grant` was revoked. Returns the weight consumed.
	fn on_grant_revoked(grant: GrantId) -> Weight;
	/// The most weight [`Self::on_grant_revoked`] may consume.
	fn weight() -> Weight;
}

impl OnGrantRevoked for () {
	fn on_grant_revoked(_grant: GrantId) -> Weight {
		Weight::zero()
	}
	fn weight() -> Weight {
		Weight::zero()
	}
}
