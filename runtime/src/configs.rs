//! Configuration of each pallet of the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, EitherOfDiverse, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{traits::One, Perbill};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Consent, Consortium, Council, Hash,
	Nonce, PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
	RuntimeOrigin, RuntimeTask, System, Timestamp, Vaults, DAYS, EXISTENTIAL_DEPOSIT, HOURS,
	MINUTES, SLOT_DURATION, VERSION,
};

/// Share of a block available to normal (non-operational) extrinsics.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// Most authorities the consortium may have; far above the 4-validator test net.
const MAX_AUTHORITIES: u32 = 32;

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per six-second block leaves room for import on slow validators.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks, of which normal extrinsics may fill `NORMAL_DISPATCH_RATIO`.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	/// The generic Substrate SS58 prefix, so polkadot.js shows the familiar `5…` addresses.
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	// Nodes store state in ParityDB, so its read/write costs are the ones to charge.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	// No staking: there are no nominators and no equivocation reports to verify yet.
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// A consortium chain has no fee market: the multiplier stays at one.
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

/// The most consortium members, and so the most voters of the members' council.
pub const MAX_CONSORTIUM_MEMBERS: u32 = 64;

parameter_types! {
	/// How long a council motion stays open for votes.
	pub const CouncilMotionDuration: BlockNumber = 3 * DAYS;
	/// The heaviest call a council motion may dispatch: half a block.
	pub MaxCouncilProposalWeight: Weight =
		Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

/// The council: every active consortium member, one vote each. Its membership is not set by
/// anyone directly: pallet-consortium announces the active members whenever they change.
pub type CouncilCollective = pallet_collective::Instance1;

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = CouncilMotionDuration;
	type MaxProposals = ConstU32<32>;
	type MaxMembers = ConstU32<MAX_CONSORTIUM_MEMBERS>;
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = pallet_collective::weights::SubstrateWeight<Runtime>;
	// Membership follows pallet-consortium; setting it by hand would let the two disagree.
	type SetMembersOrigin = frame_system::EnsureNever<()>;
	type MaxProposalWeight = MaxCouncilProposalWeight;
	type DisapproveOrigin = frame_system::EnsureRoot<AccountId>;
	type KillOrigin = frame_system::EnsureRoot<AccountId>;
	type Consideration = ();
}

/// Who admits, suspends, reinstates and removes members: sudo where a chain has a sudo key
/// (`--dev`), otherwise more than half of the council (the local and consortium chains have
/// no sudo key).
pub type ConsortiumGovernance = EitherOfDiverse<
	frame_system::EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionMoreThan<AccountId, CouncilCollective, 1, 2>,
>;

impl pallet_consortium::Config for Runtime {
	type GovernanceOrigin = ConsortiumGovernance;
	type OnMemberSuspended = Consent;
	type MembershipChanged = Council;
	type MaxMembers = ConstU32<MAX_CONSORTIUM_MEMBERS>;
	type MaxNameLen = ConstU32<64>;
	type MaxAddressLen = ConstU32<128>;
	type WeightInfo = pallet_consortium::weights::SubstrateWeight<Runtime>;
}

impl pallet_consent::Config for Runtime {
	type Consortium = Consortium;
	type UnixTime = Timestamp;
	type OnGrantRevoked = Vaults;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type RequestDeposit = StorageDepositBase;
	type DepositPerByte = StorageDepositPerByte;
	type MaxCategories = ConstU32<32>;
	type MaxPendingRequests = ConstU32<32>;
	// 4 of a person's 32 inbox slots per institution: 8 institutions can always reach them.
	type MaxPendingRequestsPerInstitution = ConstU32<4>;
	type MaxGrantsPerSubject = ConstU32<64>;
	type MaxGrantsPerInstitution = ConstU32<256>;
	type MaxDelegates = ConstU32<4>;
	/// A consent lasts at most a year.
	type MaxPeriod = ConstU32<{ 365 * DAYS }>;
	type MaxRevocationsPerBlock = ConstU32<32>;
	type WeightInfo = pallet_consent::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// What every stored item's deposit starts at (a record, a consent request, a prediction
	/// job, a model): a hundredth of a unit, about 100,000 times the fee of a small call, so
	/// that filling storage costs far more than it does today, yet a funded person (10 units in
	/// the story, 1,000 in the tests) can create hundreds of items.
	pub const StorageDepositBase: Balance = crate::UNIT / 100;
	/// What every byte of a stored item adds to its deposit: 10 µunits (a 300-byte record adds
	/// 3 milli-units).
	pub const StorageDepositPerByte: Balance = crate::MILLI_UNIT / 100;
}

parameter_types! {
	/// How long a steward must fail to fetch a record before it may report it unfetchable, until
	/// governance sets another value (`Vaults::set_unfetchable_after`): one hour, well past the
	/// steward's longest backoff (64 blocks), so a daemon restart or a slow peer is not reported.
	pub const VaultsUnfetchableAfter: BlockNumber = HOURS;
}

impl pallet_vaults::Config for Runtime {
	type Consortium = Consortium;
	type Consent = Consent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type RecordDepositBase = StorageDepositBase;
	type DepositPerByte = StorageDepositPerByte;
	type MaxPendingRecordsPerOwner = ConstU32<16>;
	// A quarter of a person's places: four institutions can each fill their share, none all.
	type MaxPendingRecordsPerInstitution = ConstU32<4>;
	type MaxCidLen = ConstU32<128>;
	type MaxCategories = ConstU32<32>;
	type MaxRecordsPerOwner = ConstU32<256>;
	type MaxVaultsPerGrant = ConstU32<16>;
	type MaxVaultsPerRecord = ConstU32<16>;
	type MaxVaultsPerBlock = ConstU32<64>;
	type MaxExpiriesPerBlock = ConstU32<64>;
	type GovernanceOrigin = ConsortiumGovernance;
	type DefaultUnfetchableAfter = VaultsUnfetchableAfter;
	type WeightInfo = pallet_vaults::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Distinct evaluators that must submit the identical outcome for a job (a prediction or a
	/// program) to be final, unless genesis sets more: one, for the single-validator `--dev`
	/// chain; the local net's genesis sets 3 of 4 (more than half of the evaluators, which
	/// pallet-fhe's genesis checks).
	pub const FheResultQuorum: u32 = 1;
	/// A job (prediction or program) not final this many blocks after its request times out:
	/// one hour.
	pub const FheJobTimeout: BlockNumber = HOURS;
}

impl pallet_fhe::Config for Runtime {
	type Consortium = Consortium;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type ModelDepositBase = StorageDepositBase;
	type JobDepositBase = StorageDepositBase;
	type DepositPerByte = StorageDepositPerByte;
	type ResultQuorum = FheResultQuorum;
	type JobTimeout = FheJobTimeout;
	type MaxTimeoutsPerBlock = ConstU32<64>;
	type MaxCidLen = ConstU32<128>;
	type MaxNameLen = ConstU32<64>;
	type MaxTextLen = ConstU32<512>;
	type MaxFeatures = ConstU32<32>;
	type MaxSubmissions = ConstU32<16>;
	type MaxPendingJobs = ConstU32<256>;
	type MaxOpenJobsPerAccount = ConstU32<4>;
	type WeightInfo = pallet_fhe::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// The smallest number of verified reports a statistic may be published over (k). It is
	/// compared with what the aggregators actually summed, and only people enrolled by an
	/// institution other than the requester are summed, so free accounts cannot fill it.
	pub const StatisticsMinCohortSize: u32 = 10;
	/// A verification batch not confirmed by every aggregator this many blocks after its
	/// reports were submitted rejects them (`VerificationTimeout`): ten minutes.
	pub const StatisticsVerificationTimeout: BlockNumber = 10 * MINUTES;
	/// A statistic without every aggregator's share this many blocks after its request fails
	/// with `Timeout`: three minutes (30 blocks). Aggregators only read their stored output
	/// shares and the chain, so a job needs a few blocks; an aggregator that is down must not
	/// hold a statistic for longer than this.
	pub const StatisticsJobTimeout: BlockNumber = 3 * MINUTES;
}

/// Records as the statistics pallet sees them: owner, categories and whether retired.
pub struct VaultRecords;

impl pallet_statistics::RecordLookup<AccountId> for VaultRecords {
	fn record(
		id: custodia_primitives::vaults::RecordId,
	) -> Option<pallet_statistics::RecordFacts<AccountId>> {
		pallet_vaults::Records::<Runtime>::get(id).map(|r| pallet_statistics::RecordFacts {
			owner: r.owner,
			categories: r.categories.into_inner(),
			retired: r.retired_at.is_some(),
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_record(
		owner: &AccountId,
		category: custodia_primitives::consent::DataCategory,
	) -> custodia_primitives::vaults::RecordId {
		pallet_vaults::Pallet::<Runtime>::benchmark_record(owner, category)
	}
}

impl pallet_statistics::Config for Runtime {
	type GovernanceOrigin = ConsortiumGovernance;
	type Consortium = Consortium;
	type Records = VaultRecords;
	type MaxAggregators = ConstU32<32>;
	type MinAggregators = ConstU32<2>;
	type MaxSchemaFields = ConstU32<64>;
	type MaxBoundaries = ConstU32<63>;
	type MaxNameLen = ConstU32<64>;
	type MaxCidLen = ConstU32<128>;
	type MaxReportSize = ConstU32<{ 64 * 1024 }>;
	type MaxReportsPerBatch = ConstU32<256>;
	type MaxVerifierSharesLen = ConstU32<{ 1024 * 1024 }>;
	type MaxContributionLen = ConstU32<4096>;
	type MaxReportsPerOwner = ConstU32<64>;
	type MaxEnrolmentsPerPerson = ConstU32<8>;
	type MaxJobsPerBlock = ConstU32<16>;
	type MaxStatisticValues = ConstU32<{ 64 * 64 + 1 }>;
	type MinCohortSize = StatisticsMinCohortSize;
	type VerificationTimeout = StatisticsVerificationTimeout;
	type StatisticTimeout = StatisticsJobTimeout;
	type WeightInfo = pallet_statistics::weights::SubstrateWeight<Runtime>;
}

// --- Validator set and sessions (issue 16) ---

parameter_types! {
	/// A session lasts ten blocks (one minute): a validator added or removed by the council
	/// validates, or stops, within two sessions, about two minutes. Rotating costs one
	/// storage comparison per validator when nothing changed.
	pub const SessionPeriod: BlockNumber = MINUTES;
	/// Sessions start at block 0.
	pub const SessionOffset: BlockNumber = 0;
}

/// Sessions of [`SessionPeriod`] blocks.
pub type Sessions = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	// A validator is identified by its account; `set_keys` is open to any account, and only
	// the accounts `Validators` plans are used.
	type ValidatorId = AccountId;
	type ValidatorIdOf = sp_runtime::traits::ConvertInto;
	type ShouldEndSession = Sessions;
	type NextSessionRotation = Sessions;
	type SessionManager = crate::Validators;
	type SessionHandler =
		<crate::SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = crate::SessionKeys;
	// No slashing or offence reports on a consortium chain: misbehaviour is handled by
	// governance removing the validator.
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	// Only accounts governance planned ever use their keys, so registering keys needs no
	// deposit beyond the call's fee.
	type KeyDeposit = ConstU128<0>;
}

/// An account may validate while it is an active consortium member (of any kind).
pub struct ActiveConsortiumMember;

impl pallet_validators::Eligibility<AccountId> for ActiveConsortiumMember {
	fn is_eligible(who: &AccountId) -> bool {
		pallet_consortium::Members::<Runtime>::get(who)
			.is_some_and(|m| m.status == pallet_consortium::MemberStatus::Active)
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_make_eligible(who: &AccountId) {
		use pallet_consortium::ConsortiumInterface;
		Consortium::benchmark_admit(who, &[custodia_primitives::consortium::MemberKind::Evaluator]);
	}
}

/// Accounts whose session keys `pallet-session` holds (`session.set_keys`).
pub struct RegisteredSessionKeys;

impl frame_support::traits::Contains<AccountId> for RegisteredSessionKeys {
	fn contains(who: &AccountId) -> bool {
		pallet_session::NextKeys::<Runtime>::contains_key(who)
	}
}

/// The council's path to Root (runtime upgrades): at least two thirds of the members, more than
/// the simple majority that governs membership and validators.
pub type CouncilSupermajority =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>;

impl pallet_validators::Config for Runtime {
	type GovernanceOrigin = ConsortiumGovernance;
	type RootOrigin = CouncilSupermajority;
	type RuntimeCall = RuntimeCall;
	type IsEligible = ActiveConsortiumMember;
	type HasSessionKeys = RegisteredSessionKeys;
	type MaxValidators = ConstU32<MAX_AUTHORITIES>;
	// Governance may not empty the set; the dev chain has a single validator.
	type MinValidators = ConstU32<1>;
	type WeightInfo = pallet_validators::weights::SubstrateWeight<Runtime>;
}

// --- Permissioned peers (issue 16) ---

/// Each member may name a few nodes (a validator, an RPC node, a steward's node).
const MAX_WELL_KNOWN_NODES: u32 = 4 * MAX_CONSORTIUM_MEMBERS;

impl pallet_node_authorization::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type MaxWellKnownNodes = ConstU32<MAX_WELL_KNOWN_NODES>;
	// A libp2p peer id of an ed25519 key is 38 bytes; room for other key types.
	type MaxPeerIdLength = ConstU32<128>;
	// The same majority that admits members and validators names the nodes that may connect;
	// sudo on `--dev`. Naming a node is what lets a new member's node sync at all.
	type AddOrigin = ConsortiumGovernance;
	type RemoveOrigin = ConsortiumGovernance;
	type SwapOrigin = ConsortiumGovernance;
	type ResetOrigin = ConsortiumGovernance;
	// The pallet ships no benchmarked weights; its default is a fixed 50 µs per call, far
	// above the two storage writes the governance calls do.
	type WeightInfo = ();
}
