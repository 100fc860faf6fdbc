// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_vaults`.
//!
//! PLACEHOLDER WEIGHTS — NOT MEASURED. These numbers were written by hand, from the storage
//! accesses of each call and the measured weights of comparable polkadot-sdk pallets
//! (`pallet_scheduler`, `pallet_fast_unstake`), so that the runtime has sane, conservative values
//! before the first benchmark run. They MUST be regenerated on reference hardware before any
//! production use, with the runtime built with `--features runtime-benchmarks`:
//!
//! ```text
//! frame-omni-bencher v1 benchmark pallet \
//!     --runtime target/release/wbuild/custodia-runtime/custodia_runtime.compact.compressed.wasm \
//!     --pallet pallet_vaults --extrinsic '*' \
//!     --steps 50 --repeat 20 \
//!     --output pallets/vaults/src/weights.rs
//! ```

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_vaults`.
pub trait WeightInfo {
	fn register_record() -> Weight;
	fn open_vault() -> Weight;
	fn close_vault() -> Weight;
	fn confirm_unpinned() -> Weight;
	fn attest_removal() -> Weight;
	fn retire_record(v: u32, ) -> Weight;
	fn process_expiries(n: u32, ) -> Weight;
	fn on_grant_revoked(v: u32, ) -> Weight;
}

/// Weights for `pallet_vaults` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Vaults::RecordByCid` (r:1 w:1), `Vaults::RecordsOf` (r:1 w:1), `Vaults::NextRecordId` (r:1 w:1), `Vaults::Records` (r:0 w:1), `Vaults::Pins` (r:0 w:1), `Consortium::Members` (r:2)
	fn register_record() -> Weight {
		Weight::from_parts(48_000_000, 4_500)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Consent::Grants` (r:2), `Consent::Delegates` (r:1), `Consent::RevokedBefore` (r:1), `Consortium::Members` (r:2), `Vaults::Records` (r:1), `Vaults::NextVaultId` (r:1 w:1), `Vaults::VaultsOfGrant` (r:1 w:1), `Vaults::VaultsOfRecord` (r:1 w:1), `Vaults::ExpiryQueue` (r:1 w:1), `Vaults::Pins` (r:0 w:1), `Vaults::Vaults` (r:0 w:1)
	fn open_vault() -> Weight {
		Weight::from_parts(72_000_000, 8_000)
			.saturating_add(T::DbWeight::get().reads(10_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
	/// Storage: `Vaults::Vaults` (r:1 w:1), `Consent::Delegates` (r:1), `Vaults::VaultsOfGrant` (r:1 w:1), `Vaults::VaultsOfRecord` (r:1 w:1), `Vaults::Pins` (r:0 w:1), `Vaults::Unpins` (r:0 w:1)
	fn close_vault() -> Weight {
		Weight::from_parts(41_000_000, 4_500)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	/// Storage: `Consortium::Members` (r:2), `Vaults::Vaults` (r:1 w:2), `Consent::Grants` (r:1), `Consent::RevokedBefore` (r:1), `Vaults::VaultsOfGrant` (r:1 w:1), `Vaults::VaultsOfRecord` (r:1 w:1), `Vaults::Pins` (r:0 w:1), `Vaults::Unpins` (r:0 w:2); worst case: the vault is ended first
	fn confirm_unpinned() -> Weight {
		Weight::from_parts(52_000_000, 4_500)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(7_u64))
	}
	/// Storage: `Vaults::Vaults` (r:1 w:2), `Consent::Grants` (r:1), `Consent::RevokedBefore` (r:1), `Consortium::Members` (r:1), `Vaults::VaultsOfGrant` (r:1 w:1), `Vaults::VaultsOfRecord` (r:1 w:1), `Vaults::Pins` (r:0 w:1), `Vaults::Unpins` (r:0 w:1); worst case: the vault is ended first
	fn attest_removal() -> Weight {
		Weight::from_parts(47_000_000, 4_500)
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `Vaults::Records` (r:1 w:1), `Consent::Delegates` (r:1), `Vaults::VaultsOfRecord` (r:1 w:1), `Vaults::RecordsOf` (r:1 w:1), `Vaults::Pins` (r:0 w:1), `Vaults::Unpins` (r:0 w:1), per vault: `Vaults::Vaults` (r:1 w:1), `Vaults::VaultsOfGrant` (r:1 w:1), `Vaults::VaultsOfRecord` (r:1 w:1), `Vaults::Pins` (w:1), `Vaults::Unpins` (w:1)
	/// The range of component `v` is `[0, MaxVaultsPerRecord]`.
	fn retire_record(v: u32, ) -> Weight {
		Weight::from_parts(38_000_000, 3_600)
			// Standard Error: 5_000
			.saturating_add(Weight::from_parts(30_000_000, 0).saturating_mul(v.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().reads((5_u64).saturating_mul(v.into())))
			.saturating_add(T::DbWeight::get().writes(3_u64))
			.saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(v.into())))
			.saturating_add(Weight::from_parts(0, 2_700).saturating_mul(v.into()))
	}
	/// Storage: `Vaults::ExpiryCursor` (r:1 w:1), `Vaults::ExpiryQueue` (r:1 w:1), per vault: `Vaults::Vaults` (r:1 w:1), `Vaults::VaultsOfGrant` (r:1 w:1), `Vaults::VaultsOfRecord` (r:1 w:1), `Vaults::Pins` (w:1), `Vaults::Unpins` (w:1)
	/// The range of component `n` is `[0, MaxExpiriesPerBlock]`.
	fn process_expiries(n: u32, ) -> Weight {
		Weight::from_parts(5_000_000, 3_600)
			// Standard Error: 5_000
			.saturating_add(Weight::from_parts(29_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2_700).saturating_mul(n.into()))
	}
	/// Storage: `Vaults::VaultsOfGrant` (r:1), per vault: `Vaults::Vaults` (r:1 w:1), `Vaults::VaultsOfGrant` (r:1 w:1), `Vaults::VaultsOfRecord` (r:1 w:1), `Vaults::Pins` (w:1), `Vaults::Unpins` (w:1)
	/// The range of component `v` is `[0, MaxVaultsPerGrant]`.
	fn on_grant_revoked(v: u32, ) -> Weight {
		Weight::from_parts(4_000_000, 3_600)
			// Standard Error: 5_000
			.saturating_add(Weight::from_parts(29_000_000, 0).saturating_mul(v.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((3_u64).saturating_mul(v.into())))
			.saturating_add(T::DbWeight::get().writes((5_u64).saturating_mul(v.into())))
			.saturating_add(Weight::from_parts(0, 2_700).saturating_mul(v.into()))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn register_record() -> Weight {
		Weight::from_parts(48_000_000, 4_500)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn open_vault() -> Weight {
		Weight::from_parts(72_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads(10_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
	}
	fn close_vault() -> Weight {
		Weight::from_parts(41_000_000, 4_500)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn confirm_unpinned() -> Weight {
		Weight::from_parts(52_000_000, 4_500)
			.saturating_add(RocksDbWeight::get().reads(8_u64))
			.saturating_add(RocksDbWeight::get().writes(7_u64))
	}
	fn attest_removal() -> Weight {
		Weight::from_parts(47_000_000, 4_500)
			.saturating_add(RocksDbWeight::get().reads(6_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn retire_record(v: u32, ) -> Weight {
		Weight::from_parts(38_000_000, 3_600)
			// Standard Error: 5_000
			.saturating_add(Weight::from_parts(30_000_000, 0).saturating_mul(v.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().reads((5_u64).saturating_mul(v.into())))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
			.saturating_add(RocksDbWeight::get().writes((5_u64).saturating_mul(v.into())))
			.saturating_add(Weight::from_parts(0, 2_700).saturating_mul(v.into()))
	}
	fn process_expiries(n: u32, ) -> Weight {
		Weight::from_parts(5_000_000, 3_600)
			// Standard Error: 5_000
			.saturating_add(Weight::from_parts(29_000_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().reads((3_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
			.saturating_add(RocksDbWeight::get().writes((5_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2_700).saturating_mul(n.into()))
	}
	fn on_grant_revoked(v: u32, ) -> Weight {
		Weight::from_parts(4_000_000, 3_600)
			// Standard Error: 5_000
			.saturating_add(Weight::from_parts(29_000_000, 0).saturating_mul(v.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().reads((3_u64).saturating_mul(v.into())))
			.saturating_add(RocksDbWeight::get().writes((5_u64).saturating_mul(v.into())))
			.saturating_add(Weight::from_parts(0, 2_700).saturating_mul(v.into()))
	}
}
