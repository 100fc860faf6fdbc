//! # Custodia pallet support
//!
//! What more than one Custodia pallet needs, written once:
//!
//! - [`deadline_queue`]: ids due at a block (a vault's expiry, a job's timeout), worked through
//!   by `on_initialize` under a per-block budget, with the rest carried over. Used by
//!   `pallet-vaults` (expiry queue) and `pallet-fhe` (timeout queue).
//! - [`deposit`]: storage deposits — the base plus a per-byte rate — held from the account that
//!   stores something and released to it when the item ends. Used by `pallet-vaults` (records),
//!   `pallet-consent` (requests) and `pallet-fhe` (jobs and models).
//!
//! Nothing here owns storage: each pallet keeps its own storage items (their names and hashers
//! are part of its metadata) and hands them to these helpers as types.

#![cfg_attr(not(feature = "std"), no_std)]

pub mod deadline_queue;
pub mod deposit;

pub use deadline_queue::DeadlineQueue;
