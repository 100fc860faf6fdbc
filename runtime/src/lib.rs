//! # Custodia runtime
//!
//! The state transition function of Custodia, a consortium chain on which people own their
//! health records and institutions read them only through time-bounded, purpose-bound consent.
//!
//! This crate assembles the FRAME pallets of the chain:
//! - block production and finality: `pallet-timestamp`, `pallet-aura`, `pallet-grandpa`;
//! - accounts and fees: `pallet-balances`, `pallet-transaction-payment`;
//! - governance on development chains: `pallet-sudo`;
//! - the validator set: `pallet-validators` (chosen by the council, or sudo on `--dev`) drives
//!   `pallet-session`, which hands the validators' session keys to Aura and GRANDPA each session;
//! - permissioned peers: `pallet-node-authorization` holds the peer ids of the members' nodes
//!   (named by the council); its offchain worker makes every node accept only those peers;
//! - data governance: `pallet-consortium` (members and their keys), `pallet-consent` (requests,
//!   grants, revocations), `pallet-vaults` (records, shared data vaults and their expiry).
//!
//! It is compiled twice: natively (feature `std`, used by the node for genesis presets and
//! by tests) and to wasm (the blob stored on chain and executed by every node).
//! Genesis presets live in [`genesis_config_presets`]; runtime API implementations in `apis`.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` and `impl_runtime_apis` expand to deep recursion.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

use alloc::vec::Vec;

// Before `apis`: `define_benchmarks!` makes the `list_benchmarks!`/`add_benchmarks!` macros that
// the benchmark runtime API expands.
#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
#[cfg(feature = "std")]
pub use sp_runtime::BuildStorage;

/// Types the node needs without knowing the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Block header type as expected by this runtime.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Block type as expected by this runtime.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Block hash type.
	pub type Hash = <BlakeTwo256 as sp_runtime::traits::Hash>::Output;
}

impl_opaque_keys! {
	/// The session keys of a validator: Aura (block production) and GRANDPA (finality).
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// Version of the runtime; `spec_version` must increase with every runtime upgrade.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("custodia"),
	impl_name: alloc::borrow::Cow::Borrowed("custodia"),
	authoring_version: 1,
	spec_version: 100,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Target block time. Aura slots are this long; a slot with no block is skipped.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// Aura slot length; equal to the block time (one author per slot).
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks in one minute, hour and day at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// One unit of the chain's fee token (12 decimals, as polkadot.js shows by default).
pub const UNIT: Balance = 1_000_000_000_000;
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// The smallest balance an account may hold; below it the account is reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// sr25519, ed25519 or ecdsa signatures, as polkadot.js and subxt produce.
pub type Signature = MultiSignature;
/// An account is identified by the public key that signs for it.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
pub type Balance = u128;
pub type Nonce = u32;
pub type Hash = sp_core::H256;
pub type BlockNumber = u32;
pub type Address = MultiAddress<AccountId, ()>;
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// Checks applied to every signed transaction, in order.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	// Lets hardware and offline signers (Ledger, polkadot-vault) verify what they sign: with mode
	// `Enabled` the signature covers the metadata digest built into the runtime (see build.rs).
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	// Refunds unused weight declared by calls (last, so it sees the final post-dispatch info).
	frame_system::WeightReclaim<Runtime>,
);

pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// The storage migrations a runtime upgrade runs, each versioned: a no-op on a chain whose pallet
/// is at or past its target version (every chain started from this runtime's genesis).
pub type Migrations = (pallet_fhe::migrations::V0ToV1<Runtime>,);

/// Dispatches extrinsics to the pallets and runs their hooks.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(7)]
	pub type Council = pallet_collective<Instance1>;

	// Before `Session`: the session pallet's genesis asks `Validators` for the first set.
	#[runtime::pallet_index(8)]
	pub type Validators = pallet_validators;

	#[runtime::pallet_index(9)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(10)]
	pub type Consortium = pallet_consortium;

	#[runtime::pallet_index(11)]
	pub type Consent = pallet_consent;

	#[runtime::pallet_index(12)]
	pub type Vaults = pallet_vaults;

	#[runtime::pallet_index(13)]
	pub type Fhe = pallet_fhe;

	#[runtime::pallet_index(14)]
	pub type Statistics = pallet_statistics;

	// Permissioned peers: only the nodes the council named (well-known nodes) connect.
	#[runtime::pallet_index(15)]
	pub type NodeAuthorization = pallet_node_authorization;
}

#[cfg(test)]
mod tests;
