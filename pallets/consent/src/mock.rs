// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Test runtime for `pallet-consent`: the real consortium and balances pallets, a clock driven by
//! the block number, and a stand-in for the vaults pallet that records revoked grants.

use crate as pallet_consent;
use crate::{DataCategory, GrantId, OnGrantRevoked, Period, PurposeOfUse, ScopeOf};
use core::{cell::RefCell, time::Duration};
use frame_support::{derive_impl, parameter_types, traits::UnixTime, weights::Weight};
use frame_system::EnsureRoot;
use pallet_consortium::MemberKind;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Consortium: pallet_consortium,
		Consent: pallet_consent,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

parameter_types! {
	pub const MaxMembers: u32 = 16;
	pub const MaxNameLen: u32 = 32;
	pub const MaxAddressLen: u32 = 64;
}

impl pallet_consortium::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type OnMemberSuspended = Consent;
	type MembershipChanged = ();
	type MaxMembers = MaxMembers;
	type MaxNameLen = MaxNameLen;
	type MaxAddressLen = MaxAddressLen;
	type WeightInfo = ();
}

/// Milliseconds since the Unix epoch at block 0 of the test chain.
pub const GENESIS_MILLIS: u64 = 1_700_000_000_000;
/// Milliseconds per block.
pub const BLOCK_MILLIS: u64 = 6_000;

/// A clock that reads the block number: block `n` is at `GENESIS_MILLIS + n * BLOCK_MILLIS`.
pub struct BlockClock;
impl UnixTime for BlockClock {
	fn now() -> Duration {
		Duration::from_millis(GENESIS_MILLIS + System::block_number() * BLOCK_MILLIS)
	}
}

thread_local! {
	/// Every grant reported as revoked, in order.
	pub static REVOKED: RefCell<Vec<GrantId>> = const { RefCell::new(Vec::new()) };
}

/// Stands in for the vaults pallet: records which grants were reported revoked.
pub struct RecordRevocations;
impl OnGrantRevoked for RecordRevocations {
	fn on_grant_revoked(grant: GrantId) -> Weight {
		REVOKED.with(|r| r.borrow_mut().push(grant));
		Weight::from_parts(1_000, 0)
	}
	fn weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}

/// The grants reported revoked so far.
pub fn reported_revocations() -> Vec<GrantId> {
	REVOKED.with(|r| r.borrow().clone())
}

parameter_types! {
	pub const MaxCategories: u32 = 18;
	pub const MaxPendingRequests: u32 = 3;
	pub const MaxPendingRequestsPerInstitution: u32 = 2;
	pub const MaxGrantsPerSubject: u32 = 4;
	pub const MaxGrantsPerInstitution: u32 = 5;
	pub const MaxDelegates: u32 = 2;
	pub const MaxPeriod: u64 = 1_000;
	pub const MaxRevocationsPerBlock: u32 = 2;
	pub const RequestDeposit: u64 = REQUEST_DEPOSIT_BASE;
	pub const DepositPerByte: u64 = 1;
}

/// The fixed part of a request's deposit in these tests.
pub const REQUEST_DEPOSIT_BASE: u64 = 100;
/// What every account but `BROKE_CLINIC` starts with.
pub const ENDOWMENT: u64 = 100_000;

impl pallet_consent::Config for Test {
	type Consortium = Consortium;
	type UnixTime = BlockClock;
	type OnGrantRevoked = RecordRevocations;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type RequestDeposit = RequestDeposit;
	type DepositPerByte = DepositPerByte;
	type MaxCategories = MaxCategories;
	type MaxPendingRequests = MaxPendingRequests;
	type MaxPendingRequestsPerInstitution = MaxPendingRequestsPerInstitution;
	type MaxGrantsPerSubject = MaxGrantsPerSubject;
	type MaxGrantsPerInstitution = MaxGrantsPerInstitution;
	type MaxDelegates = MaxDelegates;
	type MaxPeriod = MaxPeriod;
	type MaxRevocationsPerBlock = MaxRevocationsPerBlock;
	type WeightInfo = ();
}

/// A hospital (institution).
pub const HOSPITAL: u64 = 1;
/// A research lab (institution).
pub const LAB: u64 = 2;
/// A data steward (not an institution).
pub const STEWARD: u64 = 3;
/// A patient.
pub const ALICE: u64 = 10;
/// Another patient.
pub const BOB: u64 = 11;
/// Alice's caregiver.
pub const CAREGIVER: u64 = 12;
/// Someone else.
pub const MALLORY: u64 = 13;
/// An institution without funds.
pub const BROKE_CLINIC: u64 = 5;

/// The consortium key set at genesis.
pub const CONSORTIUM_KEY: [u8; 32] = [42; 32];
/// A requester key.
pub const REQUESTER_KEY: [u8; 32] = [77; 32];

pub fn scope(categories: &[DataCategory]) -> ScopeOf<Test> {
	categories.to_vec().try_into().unwrap()
}

pub fn period(start: u64, end: u64) -> Period<u64> {
	Period { start, end }
}

pub struct ExtBuilder {
	consortium_key: Option<[u8; 32]>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { consortium_key: Some(CONSORTIUM_KEY) }
	}
}

impl ExtBuilder {
	pub fn without_consortium_key(mut self) -> Self {
		self.consortium_key = None;
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		REVOKED.with(|r| r.borrow_mut().clear());
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: [HOSPITAL, LAB, STEWARD, ALICE, BOB, CAREGIVER, MALLORY]
				.into_iter()
				.map(|who| (who, ENDOWMENT))
				.collect(),
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		pallet_consortium::GenesisConfig::<Test> {
			members: vec![
				(
					HOSPITAL,
					vec![MemberKind::Institution],
					b"General Hospital".to_vec(),
					[1; 32],
					None,
				),
				(LAB, vec![MemberKind::Institution], b"Research Lab".to_vec(), [2; 32], None),
				(
					BROKE_CLINIC,
					vec![MemberKind::Institution],
					b"Broke Clinic".to_vec(),
					[5; 32],
					None,
				),
				(
					STEWARD,
					vec![MemberKind::DataSteward],
					b"Steward".to_vec(),
					[3; 32],
					Some(b"/ip4/127.0.0.1/tcp/4001".to_vec()),
				),
			],
			consortium_key: self.consortium_key,
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Build, run `test`, then check both pallets' invariants.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Consent::do_try_state().expect("consent invariants hold");
			Consortium::do_try_state().expect("consortium invariants hold");
		})
	}
}

/// Run blocks until `n`, with every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// `HOSPITAL` asks `ALICE` for lab results and vital signs, for treatment, blocks 1..101.
pub fn hospital_requests_from_alice() -> u64 {
	let id = crate::NextRequestId::<Test>::get();
	frame_support::assert_ok!(Consent::request(
		RuntimeOrigin::signed(HOSPITAL),
		ALICE,
		scope(&[DataCategory::LaboratoryResults, DataCategory::VitalSigns]),
		PurposeOfUse::TREAT,
		period(1, 101),
		REQUESTER_KEY,
	));
	id
}

/// `ALICE` grants `HOSPITAL`'s request in full.
pub fn alice_grants_hospital() -> u64 {
	let request = hospital_requests_from_alice();
	let id = crate::NextGrantId::<Test>::get();
	frame_support::assert_ok!(Consent::grant(RuntimeOrigin::signed(ALICE), request, None, None));
	id
}

#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	ExtBuilder::default().build()
}
