//! The evaluator: computes encrypted predictions (PMHE) and reports each result's hash.
//!
//! For every prediction job `FheApi::pending_jobs` gives it, the evaluator fetches the input
//! from IPFS (at most [`MAX_INPUT_BYTES`], checked against the hash the requester put on chain),
//! decodes it (size-limited, parameter-checked), evaluates the job's registered model on it on a
//! blocking thread, stores the encrypted score in IPFS and submits `Fhe::submit_result` with the
//! score's CID and hash. Input that is not what was registered, or cannot be decoded, is reported
//! as the job's failure with its reason ([`Severity::FailJob`]). An unreachable input or IPFS
//! daemon, or a busy node, is not a failure: the job is retried at a later round and times out
//! on chain if it never becomes available ([`Severity::RetryLater`]). A panicked evaluation is a
//! bug, logged as one and never reported as the job's fault ([`Severity::Fatal`]).
//!
//! The role acts at the finalized block: a job id names a different job on another fork, and a
//! result computed for a reverted request must never be submitted for the job that replaced it.
//!
//! Evaluation is deterministic (a linear map of ciphertext coefficients), so every honest
//! evaluator submits the same bytes and the same hash; the chain's quorum compares them.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use custodia_fhe::{
	model::{FeatureSpec, LinearModel, ModelTemplate},
	params::PERSONAL_V1,
	personal::PersonalRecord,
};
use custodia_ipfs::Ipfs;
use custodia_primitives::{
	fhe::{
		FailureReason, IpfsRef, JobId, JobKind, JobStatus, JobSummary, ModelSummary, Outcome,
		MICROS,
	},
	runtime_api::FheApi,
};
use custodia_runtime::{opaque::Block, AccountId, BlockNumber, RuntimeCall};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_core::H256;

use crate::{
	error::{Error, Severity},
	recent::RecentSubmissions,
	role::Role,
	shared::{chain_cid, Shared},
	WorkerRuntimeApi, LOG_TARGET,
};

/// The largest encrypted input the evaluator reads (a 32-feature record is 290 bytes).
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// How long the daemon may look for an input it does not hold before it gives up (the job is
/// then retried at a later round).
const INPUT_LOOKUP: Duration = Duration::from_secs(20);

/// The hash the chain uses for IPFS content ([`custodia_ipfs::content_hash`]), as the chain's
/// hash type.
pub fn content_hash(bytes: &[u8]) -> H256 {
	H256(custodia_ipfs::content_hash(bytes))
}

/// The FHE engine's model from its on-chain template; `None` when the chain's template uses a
/// parameter set or values this engine does not support.
pub fn engine_model(model: &ModelSummary<impl Sized, BlockNumber>) -> Option<LinearModel> {
	let t = &model.model.template;
	if t.parameter_set != u16::from(PERSONAL_V1.wire_id) {
		return None;
	}
	let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
	let template = ModelTemplate {
		features: t
			.features
			.iter()
			.map(|f| FeatureSpec {
				name: text(&f.name),
				unit: text(&f.unit),
				offset: f.offset_micros as f64 / MICROS as f64,
				scale: f.scale_micros as f64 / MICROS as f64,
			})
			.collect(),
		weights: t.weights.iter().map(|&w| i64::from(w)).collect(),
		bias: t.bias,
		score_unit: 1.0 / t.score_divisor.max(1) as f64,
		outcome: text(&t.output_meaning),
		provenance: text(&t.provenance),
	};
	LinearModel::new(&PERSONAL_V1, template).ok()
}

/// Computes one prediction: the encrypted score's CID and hash. `Err` sorts itself by
/// [`Error::severity`]: the job's fault, a reason to retry, or a bug.
pub async fn predict(
	ipfs: &dyn Ipfs,
	model: Option<LinearModel>,
	input: &IpfsRef<Vec<u8>>,
) -> Result<(String, H256), Error> {
	let model = model.ok_or(Error::Job(FailureReason::UnsupportedParameters))?;
	let cid = String::from_utf8_lossy(&input.cid);
	let bytes = ipfs
		.cat_checked(&cid, MAX_INPUT_BYTES as u64, INPUT_LOOKUP, input.hash.as_fixed_bytes())
		.await?;
	// FHE work runs on a blocking thread, off the async runtime's threads.
	let scored = tokio::task::spawn_blocking(move || {
		let record = PersonalRecord::from_bytes(&bytes).ok()?;
		model.evaluate(&record).ok().map(|score| score.to_bytes())
	})
	.await
	.map_err(|e| Error::Task(e.to_string()))?;
	let score = scored.ok_or(Error::Job(FailureReason::MalformedInput))?;
	let hash = content_hash(&score);
	Ok((ipfs.add(score).await?, hash))
}

/// The evaluator role: the chain's pending prediction jobs for this node's account.
pub struct EvaluatorRole<C, P> {
	shared: Arc<Shared<C, P>>,
	ipfs: Arc<dyn Ipfs>,
	/// Jobs this evaluator submitted an outcome to recently.
	submitted: RecentSubmissions<JobId>,
}

impl<C, P> EvaluatorRole<C, P> {
	/// The role, acting through `shared` and `ipfs`.
	pub fn new(shared: Arc<Shared<C, P>>, ipfs: Arc<dyn Ipfs>) -> Self {
		Self { shared, ipfs, submitted: RecentSubmissions::default() }
	}
}

impl<C, P> EvaluatorRole<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	/// The extrinsic for one pending job, if there is one to submit now.
	async fn work_on(
		&self,
		summary: &JobSummary<AccountId, BlockNumber>,
		at: H256,
	) -> Result<Option<RuntimeCall>, Error> {
		let job = summary.id;
		let (JobKind::Prediction { model, input }, JobStatus::Pending) =
			(&summary.job.kind, &summary.job.status)
		else {
			return Ok(None);
		};
		let api = self.shared.client.runtime_api();
		let model = api.model(at, *model).map_err(|e| Error::RuntimeApi(e.to_string()))?;
		let engine = model.as_ref().and_then(engine_model);
		let outcome = match predict(&*self.ipfs, engine, input).await {
			Ok((cid, hash)) => match chain_cid(&cid) {
				Some(result_cid) => Outcome::Success { result_cid, result_hash: hash },
				None => {
					tracing::warn!(target: LOG_TARGET, role = "evaluator", job, %cid, "the result CID is too long for the chain");
					return Ok(None);
				},
			},
			Err(e) => match e.severity() {
				Severity::FailJob(reason) => {
					tracing::info!(target: LOG_TARGET, role = "evaluator", job, ?reason, "the job cannot be computed: {e}");
					Outcome::Failure { reason }
				},
				Severity::RetryLater | Severity::Fatal => return Err(e),
			},
		};
		Ok(Some(RuntimeCall::Fhe(pallet_fhe::Call::submit_result { job, outcome })))
	}
}

#[async_trait]
impl<C, P> Role for EvaluatorRole<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: WorkerRuntimeApi,
	P: TransactionPool<Block = Block> + 'static,
{
	fn name(&self) -> &'static str {
		"evaluator"
	}

	async fn round(&mut self, at: H256, now: BlockNumber) {
		let jobs = match self
			.shared
			.client
			.runtime_api()
			.pending_jobs(at, self.shared.signer.account().clone())
		{
			Ok(jobs) => jobs,
			Err(e) => {
				tracing::warn!(target: LOG_TARGET, role = "evaluator", block = now, "FheApi failed: {e}; retrying");
				return;
			},
		};
		self.submitted.retain(&jobs.iter().map(|j| j.id).collect::<Vec<_>>());
		if let Some(m) = &self.shared.metrics {
			m.jobs_pending.set(jobs.len() as u64);
		}
		for summary in jobs {
			let job = summary.id;
			if !self.submitted.due(&job, now) {
				continue;
			}
			let call = match self.work_on(&summary, at).await {
				Ok(Some(call)) => call,
				Ok(None) => continue,
				Err(e) => {
					self.shared.failed("evaluator", format_args!("job {job}"), &e);
					continue;
				},
			};
			match self
				.shared
				.submit(call, "evaluator", format!("job {job} (finalized block {now})"))
				.await
			{
				Ok(()) => self.submitted.submitted(job, now),
				Err(e) => self.shared.failed("evaluator", format_args!("job {job}"), &e),
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	use sp_runtime::traits::{BlakeTwo256, Hash};

	#[test]
	fn content_hash_is_the_runtimes_blake2_256() {
		assert_eq!(
			format!("{:?}", content_hash(b"")),
			"0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
		);
		assert_eq!(content_hash(b"a record"), BlakeTwo256::hash(b"a record"));
	}
}
