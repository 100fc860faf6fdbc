//! What the aggregator reads from the chain ([`ChainView`]) and submits to it ([`Submit`]),
//! behind two small traits so that the role's logic runs against a mock chain in tests.
//!
//! This is the only module of the role that names the runtime: [`RuntimeChain`] calls
//! `StatisticsApi`, and [`runtime_call`] builds `RuntimeCall::Statistics` from a
//! [`Submission`], fitting each vector into the pallet's bounds.

use std::sync::Arc;

use async_trait::async_trait;
use custodia_primitives::{
	runtime_api::StatisticsApi,
	statistics::{
		AggregateShareSubmission, AggregatorEpoch, AggregatorEpochId, AggregatorSlot,
		BatchRejection, BatchSummary, CohortReport, HpkePublicKey, NoiseSegment, RejectionReason,
		SchemaField, SchemaId, SchemaInfo, StatisticJob, StatisticJobId,
	},
};
use custodia_runtime::{opaque::Block, AccountId, BlockNumber, RuntimeCall};
use custodia_statistics::Rejection;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;
use substrate_prometheus_endpoint::{Counter, U64};

use super::Error;
use crate::signer::Signer;

/// An aggregator epoch as the runtime API returns it.
pub type Epoch = AggregatorEpoch<BlockNumber, Vec<AggregatorSlot<AccountId, Vec<u8>>>>;
/// A schema as the runtime API returns it.
pub type ChainSchema = SchemaInfo<BlockNumber, Vec<SchemaField<Vec<u8>, Vec<u64>>>>;
/// A verification batch as the runtime API returns it.
pub type Batch = BatchSummary<AccountId, BlockNumber>;
/// A statistic job as the runtime API returns it.
pub type Job = StatisticJob<AccountId, BlockNumber, Vec<u16>>;
/// An aggregate share as the worker builds it (unbounded vectors).
pub type ShareSubmission = AggregateShareSubmission<Vec<u128>, Vec<NoiseSegment>>;

/// What the aggregator asks the chain, at a finalized block `at`.
pub trait ChainView: Send + Sync {
	/// The chain's genesis hash (reports are bound to it).
	fn genesis(&self) -> [u8; 32];
	/// The epoch being set up, if any.
	fn pending_epoch(&self, at: H256) -> Result<Option<(AggregatorEpochId, Epoch)>, Error>;
	/// The active epoch, if any.
	fn active_epoch(&self, at: H256) -> Result<Option<(AggregatorEpochId, Epoch)>, Error>;
	/// An epoch, whatever its status.
	fn aggregator_epoch(&self, at: H256, epoch: AggregatorEpochId) -> Result<Option<Epoch>, Error>;
	/// A schema, superseded or not.
	fn schema(&self, at: H256, schema: SchemaId) -> Result<Option<ChainSchema>, Error>;
	/// The batches waiting for `aggregator`'s verifier shares or confirmation, oldest first.
	fn batches_awaiting(&self, at: H256, aggregator: &AccountId) -> Result<Vec<Batch>, Error>;
	/// The statistic jobs waiting for `aggregator`'s aggregate share, oldest first.
	fn statistic_jobs_awaiting(
		&self,
		at: H256,
		aggregator: &AccountId,
	) -> Result<Vec<(StatisticJobId, Job)>, Error>;
	/// The cohort of `job` in the state of the (finalized) block `requested_at`, sorted by id.
	fn statistic_cohort(
		&self,
		job: StatisticJobId,
		requested_at: BlockNumber,
	) -> Result<Vec<CohortReport<AccountId>>, Error>;
}

/// One extrinsic of the aggregator, before it is fitted to the pallet's bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submission {
	/// `Statistics::submit_aggregator_key`: my HPKE key for an epoch.
	AggregatorKey {
		/// The epoch.
		epoch: AggregatorEpochId,
		/// My public key.
		key: HpkePublicKey,
	},
	/// `Statistics::submit_verify_key_contribution`: my sealed verify-key contribution.
	Contribution {
		/// The epoch.
		epoch: AggregatorEpochId,
		/// `custodia_statistics::verify_key::Contribution` bytes.
		contribution: Vec<u8>,
	},
	/// `Statistics::submit_verifier_shares`: my `VerifierBatch` for a batch.
	VerifierShares {
		/// The batch (the block its reports were submitted in).
		batch: BlockNumber,
		/// `custodia_statistics::aggregator::VerifierBatch` bytes.
		shares: Vec<u8>,
	},
	/// `Statistics::confirm_batch`: the reports I found invalid.
	ConfirmBatch {
		/// The batch.
		batch: BlockNumber,
		/// By index in the batch.
		rejected: Vec<BatchRejection>,
	},
	/// `Statistics::submit_aggregate_share`: my noisy share of a statistic.
	AggregateShare {
		/// The job.
		job: StatisticJobId,
		/// The share.
		share: ShareSubmission,
	},
}

impl Submission {
	/// What it is, for logs.
	pub fn what(&self) -> String {
		match self {
			Submission::AggregatorKey { epoch, .. } => format!("aggregator key of epoch {epoch}"),
			Submission::Contribution { epoch, .. } => {
				format!("verify-key contribution to epoch {epoch}")
			},
			Submission::VerifierShares { batch, .. } => format!("verifier shares of batch {batch}"),
			Submission::ConfirmBatch { batch, .. } => format!("confirmation of batch {batch}"),
			Submission::AggregateShare { job, .. } => {
				format!("aggregate share of statistic job {job}")
			},
		}
	}
}

/// Where the aggregator's extrinsics go.
#[async_trait]
pub trait Submit: Send + Sync {
	/// Signs and submits `submission`.
	async fn submit(&self, submission: Submission) -> Result<(), Error>;
}

/// The chain's reason for an engine rejection (same code, by construction of both enums).
pub fn chain_reason(rejection: Rejection) -> RejectionReason {
	match rejection {
		Rejection::Malformed => RejectionReason::Malformed,
		Rejection::WrongContext => RejectionReason::WrongContext,
		Rejection::ReportIdMismatch => RejectionReason::ReportIdMismatch,
		Rejection::ShareDoesNotOpen => RejectionReason::ShareDoesNotOpen,
		Rejection::MalformedShare => RejectionReason::MalformedShare,
		Rejection::WrongLength => RejectionReason::WrongLength,
		Rejection::MalformedVerifierShare => RejectionReason::MalformedVerifierShare,
		Rejection::InvalidProof => RejectionReason::InvalidProof,
		Rejection::Replayed => RejectionReason::Replayed,
		Rejection::Unreachable => RejectionReason::Unreachable,
		Rejection::TooLarge => RejectionReason::TooLarge,
		Rejection::HashMismatch => RejectionReason::HashMismatch,
	}
}

/// The runtime call of a submission; [`Error::ChainBound`] when a vector does not fit the
/// pallet's bound (the runtime and this build disagree).
pub fn runtime_call(submission: Submission) -> Result<RuntimeCall, Error> {
	use pallet_statistics::Call;
	let call = match submission {
		Submission::AggregatorKey { epoch, key } => Call::submit_aggregator_key { epoch, key },
		Submission::Contribution { epoch, contribution } => Call::submit_verify_key_contribution {
			epoch,
			contribution: contribution
				.try_into()
				.map_err(|_| Error::ChainBound("a verify-key contribution"))?,
		},
		Submission::VerifierShares { batch, shares } => Call::submit_verifier_shares {
			batch,
			shares: shares.try_into().map_err(|_| Error::ChainBound("a verifier batch"))?,
		},
		Submission::ConfirmBatch { batch, rejected } => Call::confirm_batch {
			batch,
			rejected: rejected.try_into().map_err(|_| Error::ChainBound("a batch's rejections"))?,
		},
		Submission::AggregateShare { job, share } => Call::submit_aggregate_share {
			job,
			share: AggregateShareSubmission {
				reports: share.reports,
				cohort_hash: share.cohort_hash,
				values: share
					.values
					.try_into()
					.map_err(|_| Error::ChainBound("an aggregate share's values"))?,
				noise: share
					.noise
					.try_into()
					.map_err(|_| Error::ChainBound("an aggregate share's noise segments"))?,
			},
		},
	};
	Ok(RuntimeCall::Statistics(call))
}

/// The largest report object the runtime accepts (`pallet_statistics::Config::MaxReportSize`).
pub fn max_report_size() -> usize {
	use sp_core::Get;
	<<custodia_runtime::Runtime as pallet_statistics::Config>::MaxReportSize as Get<u32>>::get()
		as usize
}

/// The node's client as a [`ChainView`].
pub struct RuntimeChain<C> {
	client: Arc<C>,
}

impl<C> RuntimeChain<C> {
	/// Reads through `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

fn api(e: sp_api::ApiError) -> Error {
	Error::RuntimeApi(e.to_string())
}

impl<C> ChainView for RuntimeChain<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync,
	C::Api: StatisticsApi<Block, AccountId, BlockNumber>,
{
	fn genesis(&self) -> [u8; 32] {
		self.client.info().genesis_hash.to_fixed_bytes()
	}

	fn pending_epoch(&self, at: H256) -> Result<Option<(AggregatorEpochId, Epoch)>, Error> {
		self.client.runtime_api().pending_epoch(at).map_err(api)
	}

	fn active_epoch(&self, at: H256) -> Result<Option<(AggregatorEpochId, Epoch)>, Error> {
		self.client.runtime_api().active_epoch(at).map_err(api)
	}

	fn aggregator_epoch(&self, at: H256, epoch: AggregatorEpochId) -> Result<Option<Epoch>, Error> {
		self.client.runtime_api().aggregator_epoch(at, epoch).map_err(api)
	}

	fn schema(&self, at: H256, schema: SchemaId) -> Result<Option<ChainSchema>, Error> {
		self.client.runtime_api().schema(at, schema).map_err(api)
	}

	fn batches_awaiting(&self, at: H256, aggregator: &AccountId) -> Result<Vec<Batch>, Error> {
		self.client.runtime_api().batches_awaiting(at, aggregator.clone()).map_err(api)
	}

	fn statistic_jobs_awaiting(
		&self,
		at: H256,
		aggregator: &AccountId,
	) -> Result<Vec<(StatisticJobId, Job)>, Error> {
		self.client
			.runtime_api()
			.statistic_jobs_awaiting(at, aggregator.clone())
			.map_err(api)
	}

	fn statistic_cohort(
		&self,
		job: StatisticJobId,
		requested_at: BlockNumber,
	) -> Result<Vec<CohortReport<AccountId>>, Error> {
		let unavailable = |detail: String| Error::StateUnavailable { block: requested_at, detail };
		let hash = self
			.client
			.hash(requested_at)
			.map_err(|e| unavailable(e.to_string()))?
			.ok_or_else(|| unavailable("no such block".into()))?;
		self.client
			.runtime_api()
			.statistic_cohort(hash, job)
			.map_err(|e| unavailable(e.to_string()))
	}
}

/// Submits with the worker's keystore key.
pub struct SignerSubmit<C, P> {
	signer: Arc<Signer<C, P>>,
	submitted: Option<Counter<U64>>,
}

impl<C, P> SignerSubmit<C, P> {
	/// Submits through `signer`, counting extrinsics in `submitted`.
	pub fn new(signer: Arc<Signer<C, P>>, submitted: Option<Counter<U64>>) -> Self {
		Self { signer, submitted }
	}
}

#[async_trait]
impl<C, P> Submit for SignerSubmit<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, custodia_runtime::Nonce>
		+ sp_api::Core<Block>,
	P: sc_transaction_pool_api::TransactionPool<Block = Block> + 'static,
{
	async fn submit(&self, submission: Submission) -> Result<(), Error> {
		self.signer.submit(runtime_call(submission)?).await?;
		if let Some(counter) = &self.submitted {
			counter.inc();
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;

	#[test]
	fn engine_rejections_keep_their_code_on_chain() {
		for rejection in Rejection::ALL {
			assert_eq!(chain_reason(rejection).encode(), vec![rejection.code()], "{rejection:?}");
		}
	}

	#[test]
	fn every_submission_becomes_a_statistics_call_within_the_pallet_s_bounds() {
		let share = ShareSubmission {
			reports: 3,
			cohort_hash: H256::repeat_byte(1),
			values: vec![1, 2],
			noise: vec![],
		};
		for submission in [
			Submission::AggregatorKey { epoch: 1, key: [2; 32] },
			Submission::Contribution { epoch: 1, contribution: vec![0; 200] },
			Submission::VerifierShares { batch: 9, shares: vec![0; 1 << 20] },
			Submission::ConfirmBatch {
				batch: 9,
				rejected: vec![BatchRejection { index: 0, reason: RejectionReason::InvalidProof }],
			},
			Submission::AggregateShare { job: 4, share },
		] {
			assert!(matches!(runtime_call(submission), Ok(RuntimeCall::Statistics(_))));
		}
		let too_big = Submission::VerifierShares { batch: 9, shares: vec![0; (1 << 20) + 1] };
		assert!(matches!(runtime_call(too_big), Err(Error::ChainBound(_))));
		assert!(max_report_size() >= 1024);
	}
}
