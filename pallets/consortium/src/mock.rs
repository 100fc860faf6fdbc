// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Test runtime for `pallet-consortium`.

use crate as pallet_consortium;
use crate::{MemberKind, OnMemberSuspended};
use core::cell::RefCell;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ChangeMembers, InitializeMembers},
	weights::Weight,
};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Consortium: pallet_consortium,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

thread_local! {
	/// Every account the consortium reported as suspended, in order.
	pub static SUSPENDED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Records what the consortium reports, standing in for the consent pallet.
pub struct RecordSuspensions;
impl OnMemberSuspended<u64> for RecordSuspensions {
	fn on_member_suspended(who: &u64) {
		SUSPENDED.with(|s| s.borrow_mut().push(*who));
	}
	fn weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}

/// The accounts the consortium reported as suspended so far.
pub fn reported_suspensions() -> Vec<u64> {
	SUSPENDED.with(|s| s.borrow().clone())
}

thread_local! {
	/// The active members as last announced to `MembershipChanged`, and how often they were.
	pub static ANNOUNCED: RefCell<(Vec<u64>, u32)> = const { RefCell::new((Vec::new(), 0)) };
}

/// Stands in for a members' collective: remembers the member set it was told.
pub struct RecordMembership;
impl ChangeMembers<u64> for RecordMembership {
	fn change_members_sorted(_incoming: &[u64], _outgoing: &[u64], new: &[u64]) {
		ANNOUNCED.with(|a| {
			let mut a = a.borrow_mut();
			a.0 = new.to_vec();
			a.1 += 1;
		});
	}
}
impl InitializeMembers<u64> for RecordMembership {
	fn initialize_members(members: &[u64]) {
		ANNOUNCED.with(|a| *a.borrow_mut() = (members.to_vec(), 0));
	}
}

/// The member set last announced, and how many changes were announced after genesis.
pub fn announced_membership() -> (Vec<u64>, u32) {
	ANNOUNCED.with(|a| a.borrow().clone())
}

parameter_types! {
	pub const MaxMembers: u32 = 4;
	pub const MaxNameLen: u32 = 32;
	pub const MaxAddressLen: u32 = 64;
}

impl pallet_consortium::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type OnMemberSuspended = RecordSuspensions;
	type MembershipChanged = RecordMembership;
	type MaxMembers = MaxMembers;
	type MaxNameLen = MaxNameLen;
	type MaxAddressLen = MaxAddressLen;
	type WeightInfo = ();
}

/// A hospital, admitted at genesis.
pub const HOSPITAL: u64 = 1;
/// A data steward, admitted at genesis.
pub const STEWARD: u64 = 2;
/// A validator that is also a research institution, admitted at genesis.
pub const LAB: u64 = 3;
/// An account that is not a member.
pub const OUTSIDER: u64 = 10;

/// A valid X25519 key for tests.
pub const KEY: [u8; 32] = [9u8; 32];

pub struct ExtBuilder {
	members: Vec<crate::GenesisMember<u64>>,
	consortium_key: Option<[u8; 32]>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			members: vec![
				(
					HOSPITAL,
					vec![MemberKind::Institution],
					b"General Hospital".to_vec(),
					[1; 32],
					None,
				),
				(
					STEWARD,
					vec![MemberKind::DataSteward],
					b"Steward One".to_vec(),
					[2; 32],
					Some(b"/ip4/127.0.0.1/tcp/4001".to_vec()),
				),
				(
					LAB,
					vec![MemberKind::Evaluator, MemberKind::Institution],
					b"Research Lab".to_vec(),
					[3; 32],
					None,
				),
			],
			consortium_key: Some([42; 32]),
		}
	}
}

impl ExtBuilder {
	/// Start without any member and without a consortium key.
	pub fn empty() -> Self {
		Self { members: vec![], consortium_key: None }
	}

	pub fn build(self) -> sp_io::TestExternalities {
		SUSPENDED.with(|s| s.borrow_mut().clear());
		ANNOUNCED.with(|a| *a.borrow_mut() = (Vec::new(), 0));
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_consortium::GenesisConfig::<Test> {
			members: self.members,
			consortium_key: self.consortium_key,
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Build, run `test`, then check the pallet's invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Consortium::do_try_state().expect("invariants hold");
		})
	}
}

/// Run blocks until `n`, with every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	ExtBuilder::empty().build()
}
