// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Test runtime for `pallet-vaults`: the real consortium, consent and balances pallets, wired as
//! in the Custodia runtime, and a clock driven by the block number.

use crate as pallet_vaults;
use crate::{CategoriesOf, CidOf};
use core::time::Duration;
use frame_support::{derive_impl, parameter_types, traits::UnixTime};
use frame_system::EnsureRoot;
use pallet_consent::{DataCategory, Period, PurposeOfUse};
use pallet_consortium::MemberKind;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Consortium: pallet_consortium,
		Consent: pallet_consent,
		Vaults: pallet_vaults,
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

/// A clock that reads the block number (6 s blocks).
pub struct BlockClock;
impl UnixTime for BlockClock {
	fn now() -> Duration {
		Duration::from_millis(1_700_000_000_000 + System::block_number() * 6_000)
	}
}

parameter_types! {
	pub const ConsentMaxCategories: u32 = 18;
	pub const MaxPendingRequests: u32 = 8;
	pub const MaxGrantsPerSubject: u32 = 16;
	pub const MaxGrantsPerInstitution: u32 = 16;
	pub const MaxDelegates: u32 = 2;
	pub const MaxPeriod: u64 = 1_000;
	pub const MaxRevocationsPerBlock: u32 = 2;
}

impl pallet_consent::Config for Test {
	type Consortium = Consortium;
	type UnixTime = BlockClock;
	type OnGrantRevoked = Vaults;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type RequestDeposit = RecordDepositBase;
	type DepositPerByte = DepositPerByte;
	type MaxCategories = ConsentMaxCategories;
	type MaxPendingRequests = MaxPendingRequests;
	// As many as the whole inbox: these tests are not about the per-institution limit.
	type MaxPendingRequestsPerInstitution = MaxPendingRequests;
	type MaxGrantsPerSubject = MaxGrantsPerSubject;
	type MaxGrantsPerInstitution = MaxGrantsPerInstitution;
	type MaxDelegates = MaxDelegates;
	type MaxPeriod = MaxPeriod;
	type MaxRevocationsPerBlock = MaxRevocationsPerBlock;
	type WeightInfo = ();
}

parameter_types! {
	pub const MaxCidLen: u32 = 64;
	pub const MaxCategories: u32 = 18;
	pub const MaxRecordsPerOwner: u32 = 4;
	pub const MaxVaultsPerGrant: u32 = 3;
	pub const MaxVaultsPerRecord: u32 = 3;
	pub const MaxVaultsPerBlock: u32 = 4;
	pub const MaxExpiriesPerBlock: u32 = 3;
	pub const RecordDepositBase: u64 = RECORD_DEPOSIT_BASE;
	pub const DepositPerByte: u64 = 1;
	pub const MaxPendingRecordsPerOwner: u32 = 3;
	pub const MaxPendingRecordsPerInstitution: u32 = 2;
	pub const DefaultUnfetchableAfter: u64 = 10;
}

/// The fixed part of a record's deposit in these tests.
pub const RECORD_DEPOSIT_BASE: u64 = 100;
/// What every account but `BROKE` starts with.
pub const ENDOWMENT: u64 = 100_000;

impl pallet_vaults::Config for Test {
	type Consortium = Consortium;
	type Consent = Consent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type RecordDepositBase = RecordDepositBase;
	type DepositPerByte = DepositPerByte;
	type MaxPendingRecordsPerOwner = MaxPendingRecordsPerOwner;
	type MaxPendingRecordsPerInstitution = MaxPendingRecordsPerInstitution;
	type MaxCidLen = MaxCidLen;
	type MaxCategories = MaxCategories;
	type MaxRecordsPerOwner = MaxRecordsPerOwner;
	type MaxVaultsPerGrant = MaxVaultsPerGrant;
	type MaxVaultsPerRecord = MaxVaultsPerRecord;
	type MaxVaultsPerBlock = MaxVaultsPerBlock;
	type MaxExpiriesPerBlock = MaxExpiriesPerBlock;
	type GovernanceOrigin = EnsureRoot<u64>;
	type DefaultUnfetchableAfter = DefaultUnfetchableAfter;
	type WeightInfo = ();
}

/// A hospital (institution).
pub const HOSPITAL: u64 = 1;
/// A research lab (institution).
pub const LAB: u64 = 2;
/// A data steward.
pub const STEWARD: u64 = 3;
/// Another data steward.
pub const STEWARD_TWO: u64 = 4;
/// A patient.
pub const ALICE: u64 = 10;
/// Another patient.
pub const BOB: u64 = 11;
/// Alice's caregiver.
pub const CAREGIVER: u64 = 12;
/// Someone else.
pub const MALLORY: u64 = 13;
/// A patient without funds.
pub const BROKE: u64 = 14;
/// A third institution, without funds.
pub const BROKE_CLINIC: u64 = 5;

pub fn cid(bytes: &[u8]) -> CidOf<Test> {
	bytes.to_vec().try_into().unwrap()
}

pub fn categories(c: &[DataCategory]) -> CategoriesOf<Test> {
	c.to_vec().try_into().unwrap()
}

#[derive(Default)]
pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: [HOSPITAL, LAB, STEWARD, STEWARD_TWO, ALICE, BOB, CAREGIVER, MALLORY]
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
					b"Steward One".to_vec(),
					[3; 32],
					Some(b"/ip4/127.0.0.1/tcp/4001".to_vec()),
				),
				(
					STEWARD_TWO,
					vec![MemberKind::DataSteward],
					b"Steward Two".to_vec(),
					[4; 32],
					Some(b"/ip4/127.0.0.1/tcp/4002".to_vec()),
				),
			],
			consortium_key: Some([42; 32]),
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Build, run `test`, then check the invariants of all three pallets.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			check_all_invariants();
		})
	}
}

pub fn check_all_invariants() {
	Vaults::do_try_state().expect("vaults invariants hold");
	Consent::do_try_state().expect("consent invariants hold");
	Consortium::do_try_state().expect("consortium invariants hold");
}

/// Run blocks until `n`, with every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// `institution` asks `subject` for `scope` for treatment over `period`, and `subject` grants it.
pub fn grant(institution: u64, subject: u64, scope: &[DataCategory], period: Period<u64>) -> u64 {
	let request = pallet_consent::NextRequestId::<Test>::get();
	frame_support::assert_ok!(Consent::request(
		RuntimeOrigin::signed(institution),
		subject,
		scope.to_vec().try_into().unwrap(),
		PurposeOfUse::TREAT,
		period,
		[77; 32],
	));
	let id = pallet_consent::NextGrantId::<Test>::get();
	frame_support::assert_ok!(Consent::grant(RuntimeOrigin::signed(subject), request, None, None));
	id
}

/// `owner` registers a record of `cats` stewarded by `STEWARD`.
pub fn record(owner: u64, name: &[u8], cats: &[DataCategory]) -> u64 {
	let id = crate::NextRecordId::<Test>::get();
	frame_support::assert_ok!(Vaults::register_record(
		RuntimeOrigin::signed(owner),
		owner,
		cid(name),
		sp_core::H256::repeat_byte(7),
		1_024,
		categories(cats),
		STEWARD,
	));
	id
}

#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	ExtBuilder.build()
}
