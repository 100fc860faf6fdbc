// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Test runtime for `pallet-fhe`: the real consortium and balances pallets, wired as in the
//! Custodia runtime, with a result quorum each test may change (`ResultQuorum::set`).

use crate as pallet_fhe;
use crate::{CidOf, FeatureSpec, ModelTemplate, ModelTemplateOf, Outcome, OutcomeOf};
use frame_support::{derive_impl, parameter_types};
use frame_system::EnsureRoot;
use pallet_consortium::MemberKind;
use sp_core::H256;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Consortium: pallet_consortium,
		Fhe: pallet_fhe,
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
	pub const ConsortiumMaxNameLen: u32 = 32;
	pub const MaxAddressLen: u32 = 64;
}

impl pallet_consortium::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type OnMemberSuspended = ();
	type MembershipChanged = ();
	type MaxMembers = MaxMembers;
	type MaxNameLen = ConsortiumMaxNameLen;
	type MaxAddressLen = MaxAddressLen;
	type WeightInfo = ();
}

parameter_types! {
	pub static ResultQuorum: u32 = 1;
	pub const JobTimeout: u64 = 10;
	pub const MaxTimeoutsPerBlock: u32 = 3;
	pub const MaxCidLen: u32 = 64;
	pub const MaxNameLen: u32 = 32;
	pub const MaxTextLen: u32 = 128;
	pub const MaxFeatures: u32 = 32;
	pub const MaxSubmissions: u32 = 3;
	pub const MaxPendingJobs: u32 = 8;
	// Above the whole list by default, so that one account can fill it in tests; tests of the
	// per-account limit lower it.
	pub static MaxOpenJobsPerAccount: u32 = 9;
	pub const ModelDepositBase: u64 = MODEL_DEPOSIT_BASE;
	pub const JobDepositBase: u64 = JOB_DEPOSIT_BASE;
	pub const DepositPerByte: u64 = 1;
}

/// The fixed part of a model's deposit in these tests.
pub const MODEL_DEPOSIT_BASE: u64 = 200;
/// The fixed part of a job's deposit in these tests.
pub const JOB_DEPOSIT_BASE: u64 = 100;
/// What every account from 1 to 100 but `BROKE` starts with.
pub const ENDOWMENT: u64 = 1_000_000;
/// An account without funds.
pub const BROKE: u64 = 99;

impl pallet_fhe::Config for Test {
	type Consortium = Consortium;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type ModelDepositBase = ModelDepositBase;
	type JobDepositBase = JobDepositBase;
	type DepositPerByte = DepositPerByte;
	type ResultQuorum = ResultQuorum;
	type JobTimeout = JobTimeout;
	type MaxTimeoutsPerBlock = MaxTimeoutsPerBlock;
	type MaxCidLen = MaxCidLen;
	type MaxNameLen = MaxNameLen;
	type MaxTextLen = MaxTextLen;
	type MaxFeatures = MaxFeatures;
	type MaxSubmissions = MaxSubmissions;
	type MaxPendingJobs = MaxPendingJobs;
	type MaxOpenJobsPerAccount = MaxOpenJobsPerAccount;
	type WeightInfo = ();
}

/// A hospital (institution).
pub const HOSPITAL: u64 = 1;
/// A research lab (institution).
pub const LAB: u64 = 2;
/// An evaluator (a validator).
pub const EVAL_A: u64 = 3;
/// Another evaluator.
pub const EVAL_B: u64 = 4;
/// A third evaluator.
pub const EVAL_C: u64 = 5;
/// A data steward (neither institution nor evaluator).
pub const STEWARD: u64 = 6;
/// A patient.
pub const ALICE: u64 = 10;
/// Someone else.
pub const MALLORY: u64 = 13;

pub fn cid(bytes: &[u8]) -> CidOf<Test> {
	bytes.to_vec().try_into().unwrap()
}

pub fn hash(byte: u8) -> H256 {
	H256::repeat_byte(byte)
}

/// A success outcome naming `name` as result CID.
pub fn success(name: &[u8]) -> OutcomeOf<Test> {
	Outcome::Success { result_cid: cid(name), result_hash: hash(9) }
}

/// A valid two-feature heart-risk template.
pub fn template() -> ModelTemplateOf<Test> {
	let feature = |name: &[u8], unit: &[u8], offset_micros, scale_micros| FeatureSpec {
		name: name.to_vec().try_into().unwrap(),
		unit: unit.to_vec().try_into().unwrap(),
		offset_micros,
		scale_micros,
	};
	ModelTemplate {
		name: b"heart-risk-v1".to_vec().try_into().unwrap(),
		features: vec![
			feature(b"age", b"a", 54_400_000, 113_000_000),
			feature(b"cholesterol", b"mg/dL", 246_700_000, 19_800_000),
		]
		.try_into()
		.unwrap(),
		weights: vec![52, -13].try_into().unwrap(),
		bias: -4_200,
		score_divisor: 1_048_576,
		output_meaning: b"log-odds of heart disease, scale 2^8".to_vec().try_into().unwrap(),
		provenance: b"UCI Cleveland, logistic regression, 5-fold CV".to_vec().try_into().unwrap(),
		parameter_set: 1,
	}
}

/// The evaluators of every test chain.
pub const EVALUATORS: [u64; 3] = [EVAL_A, EVAL_B, EVAL_C];

#[derive(Default)]
pub struct ExtBuilder {
	genesis_result_quorum: Option<u32>,
	/// Whether the evaluators are founding members (in the consortium's genesis). Otherwise
	/// governance admits them in block 1, as on a development chain.
	founding_evaluators: bool,
}

impl ExtBuilder {
	/// A chain whose genesis sets its result quorum.
	pub fn with_genesis_result_quorum(quorum: u32) -> Self {
		Self { genesis_result_quorum: Some(quorum), ..Default::default() }
	}

	/// A chain founded with the three evaluators, whose genesis sets `quorum` (or keeps the
	/// configured one).
	pub fn founded_with_evaluators(quorum: Option<u32>) -> Self {
		Self { genesis_result_quorum: quorum, founding_evaluators: true }
	}

	pub fn build(self) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: (1..=100).filter(|who| *who != BROKE).map(|who| (who, ENDOWMENT)).collect(),
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let member = |who: u64, kind: MemberKind, name: &[u8]| {
			(who, vec![kind], name.to_vec(), [who as u8; 32], None)
		};
		let mut consortium = pallet_consortium::GenesisConfig::<Test> {
			members: vec![
				member(HOSPITAL, MemberKind::Institution, b"General Hospital"),
				member(LAB, MemberKind::Institution, b"Research Lab"),
				(
					STEWARD,
					vec![MemberKind::DataSteward],
					b"Steward".to_vec(),
					[6; 32],
					Some(b"/ip4/127.0.0.1/tcp/4001".to_vec()),
				),
			],
			consortium_key: Some([42; 32]),
		};
		if self.founding_evaluators {
			consortium
				.members
				.extend(EVALUATORS.map(|e| member(e, MemberKind::Evaluator, b"Validator")));
		}
		consortium.assimilate_storage(&mut storage).unwrap();
		pallet_fhe::GenesisConfig::<Test> {
			result_quorum: self.genesis_result_quorum,
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		let founding_evaluators = self.founding_evaluators;
		ext.execute_with(|| {
			System::set_block_number(1);
			if !founding_evaluators {
				for e in EVALUATORS {
					frame_support::assert_ok!(Consortium::admit_member(
						RuntimeOrigin::root(),
						e,
						vec![MemberKind::Evaluator].try_into().unwrap(),
						b"Validator".to_vec().try_into().unwrap(),
						[e as u8; 32],
						None,
					));
				}
				System::reset_events();
			}
			ResultQuorum::set(1);
			MaxOpenJobsPerAccount::set(9);
		});
		ext
	}

	/// Build, run `test`, then check the invariants of both pallets.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			check_all_invariants();
		})
	}
}

pub fn check_all_invariants() {
	Fhe::do_try_state().expect("fhe invariants hold");
	Consortium::do_try_state().expect("consortium invariants hold");
}

/// Run blocks until `n`, with every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	ExtBuilder::default().build()
}
