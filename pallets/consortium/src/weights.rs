// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_consortium`.
//!
//! PLACEHOLDER WEIGHTS — NOT MEASURED. These numbers were written by hand, from the storage
//! accesses of each call and the measured weights of comparable polkadot-sdk pallets
//! (`pallet_membership`, `pallet_identity`), so that the runtime has sane, conservative values
//! before the first benchmark run. They MUST be regenerated on reference hardware before any
//! production use, with the runtime built with `--features runtime-benchmarks`:
//!
//! ```text
//! frame-omni-bencher v1 benchmark pallet \
//!     --runtime target/release/wbuild/custodia-runtime/custodia_runtime.compact.compressed.wasm \
//!     --pallet pallet_consortium --extrinsic '*' \
//!     --steps 50 --repeat 20 \
//!     --output pallets/consortium/src/weights.rs
//! ```

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_consortium`.
pub trait WeightInfo {
	fn admit_member() -> Weight;
	fn suspend_member() -> Weight;
	fn reinstate_member() -> Weight;
	fn remove_member() -> Weight;
	fn set_member_keys() -> Weight;
	fn set_consortium_key() -> Weight;
}

/// Weights for `pallet_consortium` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Consortium::Members` (r:1 w:1), `Consortium::CounterForMembers` (r:1 w:1)
	fn admit_member() -> Weight {
		Weight::from_parts(18_500_000, 3_820)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Consortium::Members` (r:1 w:1)
	fn suspend_member() -> Weight {
		Weight::from_parts(14_200_000, 3_820)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Consortium::Members` (r:1 w:1)
	fn reinstate_member() -> Weight {
		Weight::from_parts(14_000_000, 3_820)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Consortium::Members` (r:1 w:1), `Consortium::CounterForMembers` (r:1 w:1)
	fn remove_member() -> Weight {
		Weight::from_parts(16_900_000, 3_820)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Consortium::Members` (r:1 w:1)
	fn set_member_keys() -> Weight {
		Weight::from_parts(15_100_000, 3_820)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Consortium::ConsortiumKey` (r:0 w:1)
	fn set_consortium_key() -> Weight {
		Weight::from_parts(7_300_000, 0)
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn admit_member() -> Weight {
		Weight::from_parts(18_500_000, 3_820)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn suspend_member() -> Weight {
		Weight::from_parts(14_200_000, 3_820)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn reinstate_member() -> Weight {
		Weight::from_parts(14_000_000, 3_820)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn remove_member() -> Weight {
		Weight::from_parts(16_900_000, 3_820)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn set_member_keys() -> Weight {
		Weight::from_parts(15_100_000, 3_820)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn set_consortium_key() -> Weight {
		Weight::from_parts(7_300_000, 0)
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
}
