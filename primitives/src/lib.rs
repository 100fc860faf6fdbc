// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Custodia primitives
//!
//! The types the Custodia runtime, its node-side worker and its clients share, and the runtime
//! APIs through which they ask the chain questions without decoding raw storage.
//!
//! - [`consortium`]: member roles and keys.
//! - [`consent`]: purpose codes (HL7 v3 PurposeOfUse), data categories (FHIR R4 / LOINC), periods,
//!   requests and grants.
//! - [`vaults`]: records, shared data vaults and what data stewards pin.
//! - [`fhe`]: evaluation keys, models and prediction jobs (FHE under the person's own key).
//! - [`statistics`]: private cohort statistics on Prio3: schemas, aggregator epochs, reports,
//!   verification batches, statistic jobs and published statistics.
//! - [`runtime_api`]: `ConsortiumApi`, `ConsentApi`, `VaultsApi`, `FheApi` and `StatisticsApi`.
//!
//! This crate is `no_std` and knows nothing of FHE or IPFS: records carry CIDs, hashes and
//! descriptors, never ciphertexts.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod consent;
pub mod consortium;
pub mod fhe;
pub mod runtime_api;
pub mod statistics;
pub mod vaults;

/// A storage deposit: what `depositor` has on hold while an item it created stays in storage,
/// released when the item ends. Kept with the item so that the amount released is exactly the
/// amount held, whatever the runtime's deposit constants are by then.
#[derive(
	Clone,
	PartialEq,
	Eq,
	codec::Encode,
	codec::Decode,
	codec::DecodeWithMemTracking,
	codec::MaxEncodedLen,
	scale_info::TypeInfo,
	Debug,
)]
pub struct Deposit<AccountId, Balance> {
	/// Who paid it, and gets it back.
	pub depositor: AccountId,
	/// How much is on hold.
	pub amount: Balance,
}
