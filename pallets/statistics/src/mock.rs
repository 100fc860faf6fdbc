// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Test runtime for `pallet-statistics`: the real consortium pallet (two institutions, three
//! evaluators, a steward) and a stand-in for the vaults pallet that keeps records in a
//! thread-local map.

use crate as pallet_statistics;
use crate::{
	AggregateShareOf, AggregatorsOf, CidOf, DataCategory, EpsilonMillis, GenesisSchema,
	NoiseSegment, PrivacyParameters, RecordFacts, RecordLookup, ReportId, SchemaField,
	StatisticSchema,
};
use core::cell::RefCell;
use custodia_primitives::vaults::RecordId;
use frame_support::{derive_impl, parameter_types};
use frame_system::EnsureRoot;
use pallet_consortium::MemberKind;
use sp_core::H256;
use sp_runtime::BuildStorage;
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Consortium: pallet_consortium,
		Statistics: pallet_statistics,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	pub const MaxMembers: u32 = 64;
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

thread_local! {
	/// The records of the test chain, by id.
	static RECORDS: RefCell<BTreeMap<RecordId, RecordFacts<u64>>> =
		const { RefCell::new(BTreeMap::new()) };
}

/// Stands in for the vaults pallet: records live in a thread-local map.
pub struct MockRecords;
impl RecordLookup<u64> for MockRecords {
	fn record(id: RecordId) -> Option<RecordFacts<u64>> {
		RECORDS.with(|r| r.borrow().get(&id).cloned())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_record(owner: &u64, category: DataCategory) -> RecordId {
		add_record(*owner, &[category])
	}
}

/// Register a live record of `owner` holding `categories`; returns its id.
pub fn add_record(owner: u64, categories: &[DataCategory]) -> RecordId {
	RECORDS.with(|r| {
		let mut r = r.borrow_mut();
		let id = r.keys().next_back().map_or(0, |last| last + 1);
		r.insert(id, RecordFacts { owner, categories: categories.to_vec(), retired: false });
		id
	})
}

/// Retire a record.
pub fn retire_record(id: RecordId) {
	RECORDS.with(|r| {
		if let Some(facts) = r.borrow_mut().get_mut(&id) {
			facts.retired = true;
		}
	});
}

parameter_types! {
	pub const MaxAggregators: u32 = 4;
	pub const MinAggregators: u32 = 2;
	pub const MaxSchemaFields: u32 = 4;
	pub const MaxBoundaries: u32 = 4;
	pub const MaxNameLen: u32 = 16;
	pub const MaxCidLen: u32 = 64;
	pub const MaxReportSize: u32 = 8_192;
	pub const MaxReportsPerBatch: u32 = 4;
	pub const MaxVerifierSharesLen: u32 = 256;
	pub const MaxContributionLen: u32 = 64;
	pub const MaxReportsPerOwner: u32 = 3;
	pub const MaxEnrolmentsPerPerson: u32 = 2;
	pub const MaxJobsPerBlock: u32 = 2;
	// MaxSchemaFields × (MaxBoundaries + 1) + 1.
	pub const MaxStatisticValues: u32 = 21;
	pub const MinCohortSize: u32 = 3;
	pub const VerificationTimeout: u64 = 5;
	pub const StatisticTimeout: u64 = 10;
}

impl pallet_statistics::Config for Test {
	type GovernanceOrigin = EnsureRoot<u64>;
	type Consortium = Consortium;
	type Records = MockRecords;
	type MaxAggregators = MaxAggregators;
	type MinAggregators = MinAggregators;
	type MaxSchemaFields = MaxSchemaFields;
	type MaxBoundaries = MaxBoundaries;
	type MaxNameLen = MaxNameLen;
	type MaxCidLen = MaxCidLen;
	type MaxReportSize = MaxReportSize;
	type MaxReportsPerBatch = MaxReportsPerBatch;
	type MaxVerifierSharesLen = MaxVerifierSharesLen;
	type MaxContributionLen = MaxContributionLen;
	type MaxReportsPerOwner = MaxReportsPerOwner;
	type MaxEnrolmentsPerPerson = MaxEnrolmentsPerPerson;
	type MaxJobsPerBlock = MaxJobsPerBlock;
	type MaxStatisticValues = MaxStatisticValues;
	type MinCohortSize = MinCohortSize;
	type VerificationTimeout = VerificationTimeout;
	type StatisticTimeout = StatisticTimeout;
	type WeightInfo = ();
}

/// A hospital (institution).
pub const HOSPITAL: u64 = 1;
/// A research lab (institution).
pub const LAB: u64 = 2;
/// An evaluator (aggregator).
pub const EVAL_A: u64 = 3;
/// Another evaluator.
pub const EVAL_B: u64 = 4;
/// A third evaluator.
pub const EVAL_C: u64 = 5;
/// A data steward (neither institution nor evaluator).
pub const STEWARD: u64 = 6;
/// A third institution.
pub const CLINIC: u64 = 7;
/// Patients.
pub const ALICE: u64 = 10;
pub const BOB: u64 = 11;
pub const CAROL: u64 = 12;
pub const DAVE: u64 = 13;
/// Someone else.
pub const MALLORY: u64 = 20;

/// The vital-signs schema the default genesis registers as schema 0: systolic pressure
/// (histogram 120/140/160), pulse (no histogram), and age (histogram 18/65).
pub fn vitals_schema() -> GenesisSchema {
	let field = |name: &[u8], unit: &[u8], max, buckets: Option<Vec<u64>>| SchemaField {
		name: name.to_vec(),
		unit: unit.to_vec(),
		max,
		buckets,
	};
	StatisticSchema {
		category: DataCategory::VitalSigns,
		fields: vec![
			field(b"systolic", b"mm[Hg]", 300, Some(vec![120, 140, 160])),
			field(b"pulse", b"/min", 250, None),
			field(b"age", b"a", 130, Some(vec![18, 65])),
		],
	}
}

/// The default privacy parameters: ε = 1 per statistic, a budget of 2.5 per 100 blocks.
pub fn default_privacy() -> PrivacyParameters<u64> {
	PrivacyParameters {
		epsilon_per_statistic: EpsilonMillis(1_000),
		budget_per_period: EpsilonMillis(2_500),
		period: 100,
	}
}

pub fn cid(bytes: &[u8]) -> CidOf<Test> {
	bytes.to_vec().try_into().unwrap()
}

pub fn aggregators(a: &[u64]) -> AggregatorsOf<Test> {
	a.to_vec().try_into().unwrap()
}

/// A report id made of `n`.
pub fn rid(n: u8) -> ReportId {
	[n; 16]
}

/// An aggregate share: `reports` summed, cohort hash from `cohort`, the values, and one noise
/// segment over all values spending ε = 1.
pub fn share(reports: u32, cohort: u8, values: &[u128]) -> AggregateShareOf<Test> {
	crate::AggregateShareSubmission {
		reports,
		cohort_hash: H256::repeat_byte(cohort),
		values: values.to_vec().try_into().unwrap(),
		noise: vec![NoiseSegment {
			values: values.len() as u16,
			sensitivity: 1,
			epsilon: EpsilonMillis(1_000),
			total_std_dev_millis: 2_000,
		}]
		.try_into()
		.unwrap(),
	}
}

pub struct ExtBuilder {
	schemas: Vec<GenesisSchema>,
	privacy: Option<PrivacyParameters<u64>>,
	aggregators: Vec<u64>,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self {
			schemas: vec![vitals_schema()],
			privacy: Some(default_privacy()),
			aggregators: vec![],
		}
	}
}

impl ExtBuilder {
	/// A chain without any schema, privacy parameters or epoch.
	pub fn empty() -> Self {
		Self { schemas: vec![], privacy: None, aggregators: vec![] }
	}

	/// Genesis starts epoch 0 with these aggregators.
	pub fn with_genesis_aggregators(mut self, a: &[u64]) -> Self {
		self.aggregators = a.to_vec();
		self
	}

	pub fn build(self) -> sp_io::TestExternalities {
		RECORDS.with(|r| r.borrow_mut().clear());
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		let member = |who: u64, kind: MemberKind, name: &[u8]| {
			(who, vec![kind], name.to_vec(), [who as u8; 32], None)
		};
		pallet_consortium::GenesisConfig::<Test> {
			members: vec![
				member(HOSPITAL, MemberKind::Institution, b"General Hospital"),
				member(LAB, MemberKind::Institution, b"Research Lab"),
				member(CLINIC, MemberKind::Institution, b"Clinic"),
				member(EVAL_A, MemberKind::Evaluator, b"Validator A"),
				member(EVAL_B, MemberKind::Evaluator, b"Validator B"),
				member(EVAL_C, MemberKind::Evaluator, b"Validator C"),
				(
					STEWARD,
					vec![MemberKind::DataSteward],
					b"Steward".to_vec(),
					[6; 32],
					Some(b"/ip4/127.0.0.1/tcp/4001".to_vec()),
				),
			],
			consortium_key: Some([42; 32]),
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		pallet_statistics::GenesisConfig::<Test> {
			schemas: self.schemas,
			privacy_parameters: self.privacy,
			aggregators: self.aggregators,
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| System::set_block_number(1));
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
	Statistics::do_try_state().expect("statistics invariants hold");
	Consortium::do_try_state().expect("consortium invariants hold");
}

/// Run blocks until `n`, with every pallet's hooks.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	ExtBuilder::empty().build()
}
