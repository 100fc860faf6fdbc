// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_validators`.
//!
//! NOT YET MEASURED: these are upper estimates from the storage each call touches (one read and
//! one write of a bounded list of at most `MaxValidators` = 32 account ids, plus one membership
//! read) and a compute allowance larger than `pallet_consortium`'s measured calls of the same
//! shape. Replace them with `scripts/benchmark-weights.sh pallet_validators` (benchmarks in
//! `benchmarking.rs`) on an idle machine.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_validators`.
pub trait WeightInfo {
	fn add_validator() -> Weight;
	fn remove_validator() -> Weight;
	fn dispatch_as_root() -> Weight;
}

/// Estimated weights of `pallet_validators`, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Validators::Validators` (r:1 w:1), `Consortium::Members` (r:1 w:0)
	fn add_validator() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Validators::Validators` (r:1 w:1)
	fn remove_validator() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// The dispatch itself; the inner call's weight is added by the call.
	fn dispatch_as_root() -> Weight {
		Weight::from_parts(20_000_000, 0)
	}
}

// For tests and chains that do not charge for these calls.
impl WeightInfo for () {
	fn add_validator() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(50_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn dispatch_as_root() -> Weight {
		Weight::from_parts(20_000_000, 0)
	}
}
