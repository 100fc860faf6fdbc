// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Test runtime for `pallet-validators`.

use crate as pallet_validators;
use core::cell::RefCell;
use frame_support::{derive_impl, ord_parameter_types, parameter_types, traits::Contains};
use frame_system::{EnsureRoot, EnsureSignedBy};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Validators: pallet_validators,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// The genesis validators.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
/// An active member, not a validator at genesis.
pub const CHARLIE: u64 = 3;
/// Another active member.
pub const DAVE: u64 = 4;
/// Not a member.
pub const OUTSIDER: u64 = 10;
/// Stands for a two-thirds council majority.
pub const COUNCIL_SUPERMAJORITY: u64 = 100;

thread_local! {
	/// The active consortium members.
	pub static MEMBERS: RefCell<Vec<u64>> = RefCell::new(vec![ALICE, BOB, CHARLIE, DAVE]);
}

/// Suspend (or remove) `who` from the stand-in consortium.
pub fn suspend(who: u64) {
	MEMBERS.with(|m| m.borrow_mut().retain(|x| *x != who));
}

/// Active members of the stand-in consortium.
pub struct ActiveMembers;
impl crate::Eligibility<u64> for ActiveMembers {
	fn is_eligible(who: &u64) -> bool {
		MEMBERS.with(|m| m.borrow().contains(who))
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_make_eligible(who: &u64) {
		MEMBERS.with(|m| m.borrow_mut().push(*who));
	}
}

thread_local! {
	/// The accounts that registered session keys.
	pub static KEYS: RefCell<Vec<u64>> = RefCell::new(vec![ALICE, BOB, CHARLIE, DAVE, OUTSIDER]);
}

/// Forget `who`'s session keys, as `session.purge_keys` would.
pub fn purge_keys(who: u64) {
	KEYS.with(|k| k.borrow_mut().retain(|x| *x != who));
}

/// Register session keys for `who`.
pub fn set_keys(who: u64) {
	KEYS.with(|k| k.borrow_mut().push(who));
}

/// Accounts with session keys, standing in for the session pallet.
pub struct WithKeys;
impl Contains<u64> for WithKeys {
	fn contains(who: &u64) -> bool {
		KEYS.with(|k| k.borrow().contains(who))
	}
}

parameter_types! {
	pub const MaxValidators: u32 = 3;
	pub const MinValidators: u32 = 2;
}

ord_parameter_types! {
	pub const Supermajority: u64 = COUNCIL_SUPERMAJORITY;
}

impl pallet_validators::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type RootOrigin = EnsureSignedBy<Supermajority, u64>;
	type RuntimeCall = RuntimeCall;
	type IsEligible = ActiveMembers;
	type HasSessionKeys = WithKeys;
	type MaxValidators = MaxValidators;
	type MinValidators = MinValidators;
	type WeightInfo = ();
}

/// A chain whose genesis validators are Alice and Bob.
pub fn new_test_ext() -> sp_io::TestExternalities {
	MEMBERS.with(|m| *m.borrow_mut() = vec![ALICE, BOB, CHARLIE, DAVE]);
	KEYS.with(|k| *k.borrow_mut() = vec![ALICE, BOB, CHARLIE, DAVE, OUTSIDER]);
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_validators::GenesisConfig::<Test> { validators: vec![ALICE, BOB] }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Run `test` on a fresh chain, then check the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Validators::do_try_state().expect("invariants hold");
	})
}

#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	new_test_ext()
}
