//! Runtime APIs: the questions the node, polkadot.js and subxt may ask the runtime.

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use custodia_primitives::{
	consent::{DataCategory, GrantSummary, PurposeOfUse, RequestSummary},
	consortium::{MemberKind, X25519PublicKey},
	fhe, runtime_api, statistics,
	vaults::{PinItem, VaultId},
};

use super::{
	AccountId, Aura, Balance, Block, BlockNumber, Consent, Consortium, Executive, Fhe, Grandpa,
	InherentDataExt, Nonce, Runtime, RuntimeCall, RuntimeGenesisConfig, SessionKeys, Statistics,
	System, TransactionPayment, Vaults, VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	// Runs the pallets' offchain workers: pallet-node-authorization sets the node's authorized
	// peers from the well-known nodes. The node runs it after every new best block.
	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		// Without a session/staking pallet there is no key-ownership proof, so equivocation
		// reports cannot be verified on chain; the consortium handles misbehaviour by governance.
		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}

	impl runtime_api::ConsortiumApi<Block, AccountId> for Runtime {
		fn active_members(kind: MemberKind) -> Vec<AccountId> {
			Consortium::active_members_of_kind(kind)
		}

		fn consortium_key() -> Option<X25519PublicKey> {
			pallet_consortium::ConsortiumKey::<Runtime>::get()
		}
	}

	impl runtime_api::ConsentApi<Block, AccountId, BlockNumber> for Runtime {
		fn is_authorized(
			institution: AccountId,
			subject: AccountId,
			category: DataCategory,
			purpose: PurposeOfUse,
		) -> bool {
			Consent::is_authorized(&institution, &subject, category, purpose, System::block_number())
		}

		fn requests_of(subject: AccountId) -> Vec<RequestSummary<AccountId, BlockNumber>> {
			Consent::requests_of(&subject)
		}

		fn grants_of(subject: AccountId) -> Vec<GrantSummary<AccountId, BlockNumber>> {
			Consent::grants_of(&subject)
		}

		fn grants_of_institution(institution: AccountId) -> Vec<GrantSummary<AccountId, BlockNumber>> {
			Consent::grants_of_institution(&institution)
		}

		fn cohort(purpose: PurposeOfUse, category: DataCategory) -> Vec<AccountId> {
			Consent::cohort(purpose, category, System::block_number())
		}
	}

	impl runtime_api::VaultsApi<Block, AccountId, BlockNumber> for Runtime {
		fn must_pin(steward: AccountId) -> Vec<PinItem> {
			Vaults::must_pin(&steward)
		}

		fn must_unpin(steward: AccountId) -> Vec<PinItem> {
			Vaults::must_unpin(&steward)
		}

		fn is_vault_open(vault: VaultId) -> bool {
			Vaults::is_vault_open(vault, System::block_number())
		}

		fn unfetchable_after() -> BlockNumber {
			pallet_vaults::UnfetchableAfter::<Runtime>::get()
		}
	}

	impl runtime_api::FheApi<Block, AccountId, BlockNumber> for Runtime {
		fn pending_jobs(evaluator: AccountId) -> Vec<fhe::JobSummary<AccountId, BlockNumber>> {
			Fhe::pending_jobs(&evaluator)
		}

		fn job(id: fhe::JobId) -> Option<fhe::JobSummary<AccountId, BlockNumber>> {
			Fhe::job(id)
		}

		fn model(id: fhe::ModelId) -> Option<fhe::ModelSummary<AccountId, BlockNumber>> {
			Fhe::model(id)
		}

		fn evaluation_key(who: AccountId) -> Option<fhe::EvaluationKey<BlockNumber, Vec<u8>>> {
			Fhe::evaluation_key(&who)
		}
	}

	impl runtime_api::StatisticsApi<Block, AccountId, BlockNumber> for Runtime {
		fn active_epoch() -> Option<(statistics::AggregatorEpochId, statistics::AggregatorEpoch<BlockNumber, Vec<statistics::AggregatorSlot<AccountId, Vec<u8>>>>)> {
			Statistics::active_epoch()
		}

		fn pending_epoch() -> Option<(statistics::AggregatorEpochId, statistics::AggregatorEpoch<BlockNumber, Vec<statistics::AggregatorSlot<AccountId, Vec<u8>>>>)> {
			Statistics::pending_epoch()
		}

		fn aggregator_epoch(epoch: statistics::AggregatorEpochId) -> Option<statistics::AggregatorEpoch<BlockNumber, Vec<statistics::AggregatorSlot<AccountId, Vec<u8>>>>> {
			Statistics::aggregator_epoch(epoch)
		}

		fn schema(id: statistics::SchemaId) -> Option<statistics::SchemaInfo<BlockNumber, Vec<statistics::SchemaField<Vec<u8>, Vec<u64>>>>> {
			Statistics::schema(id)
		}

		fn schema_of(category: DataCategory) -> Option<statistics::SchemaId> {
			Statistics::schema_of(category)
		}

		fn batches_awaiting(aggregator: AccountId) -> Vec<statistics::BatchSummary<AccountId, BlockNumber>> {
			Statistics::batches_awaiting(&aggregator)
		}

		fn statistic_jobs_awaiting(aggregator: AccountId) -> Vec<(statistics::StatisticJobId, statistics::StatisticJob<AccountId, BlockNumber, Vec<u16>>)> {
			Statistics::statistic_jobs_awaiting(&aggregator)
		}

		fn statistic_job(id: statistics::StatisticJobId) -> Option<statistics::StatisticJob<AccountId, BlockNumber, Vec<u16>>> {
			Statistics::statistic_job(id)
		}

		fn statistic_cohort(job: statistics::StatisticJobId) -> Vec<statistics::CohortReport<AccountId>> {
			// The cohort joins consent (who consented, consortium-wide) with the statistics
			// pallet (enrolment, verified reports); neither pallet depends on the other.
			let Some(j) = Statistics::statistic_job(job) else { return Vec::new() };
			let subjects = Consent::cohort(j.purpose, j.category, System::block_number());
			Statistics::statistic_cohort(job, subjects)
		}

		fn published_statistic(job: statistics::StatisticJobId) -> Option<statistics::PublishedStatistic<BlockNumber, Vec<i128>, Vec<statistics::NoiseSegment>>> {
			Statistics::published_statistic(job)
		}

		fn report(id: statistics::ReportId) -> Option<statistics::ReportInfo<AccountId, BlockNumber, Vec<u8>>> {
			Statistics::report(id)
		}

		fn reports_of(owner: AccountId) -> Vec<(statistics::ReportId, statistics::ReportInfo<AccountId, BlockNumber, Vec<u8>>)> {
			Statistics::reports_of(&owner)
		}

		fn privacy_parameters() -> Option<statistics::PrivacyParameters<BlockNumber>> {
			Statistics::privacy_parameters()
		}

		fn budget_spent(institution: AccountId, purpose: PurposeOfUse, category: DataCategory) -> statistics::EpsilonMillis {
			Statistics::budget_spent(&institution, purpose, category)
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use crate::{Council, Validators};
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;

			let mut list = Vec::<frame_benchmarking::BenchmarkList>::new();
			list_benchmarks!(list, extra);
			(list, crate::AllPalletsWithSystem::storage_info())
		}

		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use crate::{Council, Validators};
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::Pallet as SystemBench;

			let whitelist = crate::AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<frame_benchmarking::BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}
}
