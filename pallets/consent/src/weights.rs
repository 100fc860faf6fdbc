// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Weights for `pallet_consent`.
//!
//! PLACEHOLDER WEIGHTS — NOT MEASURED. These numbers were written by hand, from the storage
//! accesses of each call and the measured weights of comparable polkadot-sdk pallets
//! (`pallet_proxy`, `pallet_multisig`), so that the runtime has sane, conservative values
//! before the first benchmark run. They MUST be regenerated on reference hardware before any
//! production use, with the runtime built with `--features runtime-benchmarks`:
//!
//! ```text
//! frame-omni-bencher v1 benchmark pallet \
//!     --runtime target/release/wbuild/custodia-runtime/custodia_runtime.compact.compressed.wasm \
//!     --pallet pallet_consent --extrinsic '*' \
//!     --steps 50 --repeat 20 \
//!     --output pallets/consent/src/weights.rs
//! ```

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_consent`.
pub trait WeightInfo {
	fn request() -> Weight;
	fn grant() -> Weight;
	fn deny() -> Weight;
	fn revoke() -> Weight;
	fn grant_consortium_wide() -> Weight;
	fn set_delegate() -> Weight;
	fn remove_delegate() -> Weight;
	fn withdraw_request() -> Weight;
	fn on_member_suspended() -> Weight;
	fn process_revocations(n: u32, ) -> Weight;
}

/// Weights for `pallet_consent` using the Substrate node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Consent::Requests` (r:1+P w:1+P), `Consent::PendingRequests` (r:1 w:1), `Consent::NextRequestId` (r:1 w:1), `Consortium::Members` (r:1), `Consortium::ConsortiumKey` (r:1); P = MaxPendingRequests lapsed requests dropped in the worst case
	fn request() -> Weight {
		Weight::from_parts(52_000_000, 5_000)
			.saturating_add(T::DbWeight::get().reads(20_u64))
			.saturating_add(T::DbWeight::get().writes(19_u64))
	}
	/// Storage: `Consent::Requests` (r:1 w:1), `Consent::Grants` (r:G w:1), `Consent::GrantsBySubject` (r:1 w:1), `Consent::GrantsByInstitution` (r:1 w:1), `Consent::PendingRequests` (r:1 w:1), `Consent::NextGrantId` (r:1 w:1), `Consent::Delegates` (r:1), `Consortium::Members` (r:1); G = grants read while pruning full lists
	fn grant() -> Weight {
		Weight::from_parts(61_000_000, 9_000)
			.saturating_add(T::DbWeight::get().reads(134_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	/// Storage: `Consent::Requests` (r:1 w:1), `Consent::PendingRequests` (r:1 w:1), `Consent::Delegates` (r:1)
	fn deny() -> Weight {
		Weight::from_parts(27_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Consent::Grants` (r:1 w:1), `Consent::GrantsBySubject` (r:1 w:1), `Consent::GrantsByInstitution` (r:1 w:1), `Consent::Delegates` (r:1), `Consent::CohortGrants` (r:1)
	fn revoke() -> Weight {
		Weight::from_parts(34_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	/// Storage: `Consent::CohortGrants` (r:1 w:1), `Consent::Grants` (r:1+G w:1), `Consent::GrantsBySubject` (r:1 w:1), `Consent::NextGrantId` (r:1 w:1), `Consent::Delegates` (r:1); G = grants read while pruning a full list
	fn grant_consortium_wide() -> Weight {
		Weight::from_parts(45_000_000, 6_000)
			.saturating_add(T::DbWeight::get().reads(69_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	/// Storage: `Consent::Delegates` (r:1 w:1)
	fn set_delegate() -> Weight {
		Weight::from_parts(17_000_000, 1_500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Consent::Delegates` (r:1 w:1)
	fn remove_delegate() -> Weight {
		Weight::from_parts(17_500_000, 1_500)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	/// Storage: `Consent::Requests` (r:1 w:1), `Consent::PendingRequests` (r:1 w:1)
	fn withdraw_request() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Consent::NextGrantId` (r:1), `Consent::RevokedBefore` (r:0 w:1), `Consent::RevocationQueue` (r:0 w:1)
	fn on_member_suspended() -> Weight {
		Weight::from_parts(9_000_000, 0)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// Storage: `Consent::RevocationQueue` (r:2 w:1), `Consent::GrantsByInstitution` (r:1 w:1), per grant: `Consent::Grants` (r:1 w:1), `Consent::GrantsBySubject` (r:1 w:1)
	/// The range of component `n` is `[0, 64]`.
	fn process_revocations(n: u32, ) -> Weight {
		Weight::from_parts(6_000_000, 3_500)
			// Standard Error: 4_000
			.saturating_add(Weight::from_parts(31_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2_600).saturating_mul(n.into()))
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn request() -> Weight {
		Weight::from_parts(52_000_000, 5_000)
			.saturating_add(RocksDbWeight::get().reads(20_u64))
			.saturating_add(RocksDbWeight::get().writes(19_u64))
	}
	fn grant() -> Weight {
		Weight::from_parts(61_000_000, 9_000)
			.saturating_add(RocksDbWeight::get().reads(134_u64))
			.saturating_add(RocksDbWeight::get().writes(6_u64))
	}
	fn deny() -> Weight {
		Weight::from_parts(27_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn revoke() -> Weight {
		Weight::from_parts(34_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn grant_consortium_wide() -> Weight {
		Weight::from_parts(45_000_000, 6_000)
			.saturating_add(RocksDbWeight::get().reads(69_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn set_delegate() -> Weight {
		Weight::from_parts(17_000_000, 1_500)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn remove_delegate() -> Weight {
		Weight::from_parts(17_500_000, 1_500)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn withdraw_request() -> Weight {
		Weight::from_parts(25_000_000, 4_000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn on_member_suspended() -> Weight {
		Weight::from_parts(9_000_000, 0)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn process_revocations(n: u32, ) -> Weight {
		Weight::from_parts(6_000_000, 3_500)
			// Standard Error: 4_000
			.saturating_add(Weight::from_parts(31_000_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(n.into())))
			.saturating_add(Weight::from_parts(0, 2_600).saturating_mul(n.into()))
	}
}
