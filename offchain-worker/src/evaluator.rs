//! The evaluator: computes encrypted predictions (PMHE) and people's programs, and reports each
//! result's hash.
//!
//! For every prediction job `FheApi::pending_jobs` gives it, the evaluator fetches the input
//! from IPFS (at most [`MAX_RECORD_BYTES`], checked against the hash the requester put on chain),
//! decodes it (size-limited, parameter-checked), evaluates the job's registered model on it on a
//! blocking thread, stores the encrypted score in IPFS and submits `Fhe::submit_result` with the
//! score's CID and hash. Input that is not what was registered, or cannot be decoded, is reported
//! as the job's failure with its reason ([`Severity::FailJob`]). An unreachable input or IPFS
//! daemon, or a busy node, is not a failure: the job is retried at a later round and times out
//! on chain if it never becomes available ([`Severity::RetryLater`]). Evaluations run on the
//! blocking pool ([`on_blocking_pool`]), where a panic unwinds instead of ending the node: in a
//! program's evaluation it is the requester's key's fault and fails the job; in a prediction it is
//! a bug, logged as one and never reported as the job's fault ([`Severity::Fatal`]).
//!
//! For every program job ([`run_program`]) it fetches the program (at most
//! [`program::MAX_PROGRAM_BYTES`]) and type-checks it before anything else, so that a malformed
//! or oversized program fails the job with [`FailureReason::MalformedProgram`] or
//! [`FailureReason::ProgramTooLarge`] without fetching the rest; then the encrypted inputs and
//! the requester's evaluation key named in the job (each bounded and hash-checked, each with its
//! own failure reason), evaluates on a blocking thread with that key, and stores the encoded
//! outputs. A panic inside tfhe while evaluating with a requester's key is blamed on the key
//! ([`FailureReason::MalformedEvaluationKey`]), not retried forever.
//!
//! The role acts at the finalized block: a job id names a different job on another fork, and a
//! result computed for a reverted request must never be submitted for the job that replaced it.
//!
//! Evaluation is deterministic (a prediction is a linear map of ciphertext coefficients; a
//! program runs on the pinned tfhe with its FFT forced, and its output list is encoded
//! canonically), so every honest evaluator submits the same bytes and the same hash; the chain's
//! quorum compares them.

use std::sync::Arc;

use async_trait::async_trait;
use custodia_fhe::{
	model::{FeatureSpec, LinearModel, ModelTemplate},
	params::{MAX_RECORD_BYTES, PERSONAL_V1},
	personal::PersonalRecord,
	program::{self, Program},
};
use custodia_ipfs::{Ipfs, CONTENT_LOOKUP};
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
	shared::{chain_cid, content_hash, on_blocking_pool, Shared},
	WorkerRuntimeApi, LOG_TARGET,
};

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
		.cat_checked(&cid, MAX_RECORD_BYTES as u64, CONTENT_LOOKUP, input.hash.as_fixed_bytes())
		.await?;
	// The record is the person's: tfhe may panic on one whose ciphertexts do not fit the
	// parameters. That fails this job as a malformed input, never every round until it times out.
	let scored = on_blocking_pool(move || {
		std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
			let record = PersonalRecord::from_bytes(&bytes).ok()?;
			model.evaluate(&record).ok().map(|score| score.to_bytes())
		}))
		.ok()
		.flatten()
	})
	.await
	.map_err(|e| Error::Task(e.to_string()))?;
	let score = scored.ok_or(Error::Job(FailureReason::MalformedInput))?;
	let hash = content_hash(&score);
	Ok((ipfs.add(score).await?, hash))
}

/// Reads `object` from IPFS, at most `limit` bytes, checked against its hash. Content that is
/// not what the chain names fails the job with `mismatch`, content over the limit with
/// `too_large`; an unreachable daemon or object is retried later.
async fn fetch(
	ipfs: &dyn Ipfs,
	object: &IpfsRef<Vec<u8>>,
	limit: u64,
	mismatch: FailureReason,
	too_large: FailureReason,
) -> Result<Vec<u8>, Error> {
	let cid = String::from_utf8_lossy(&object.cid);
	ipfs.cat_checked(&cid, limit, CONTENT_LOOKUP, object.hash.as_fixed_bytes())
		.await
		.map_err(|e| match e {
			custodia_ipfs::Error::HashMismatch { .. } => Error::Job(mismatch),
			custodia_ipfs::Error::TooLarge { .. } => Error::Job(too_large),
			e => Error::Ipfs(e),
		})
}

/// Why a program that was fetched cannot run: too large (more operations, inputs or outputs
/// than the engine's limits, or more bytes), or malformed (anything else `Program::from_json`
/// refuses).
pub fn program_failure(error: &custodia_fhe::Error) -> FailureReason {
	use custodia_fhe::Error as E;
	match error {
		E::TooManyInputs { .. }
		| E::TooManyOperations { .. }
		| E::TooManyOutputs { .. }
		| E::ProgramTooLarge { .. } => FailureReason::ProgramTooLarge,
		_ => FailureReason::MalformedProgram,
	}
}

/// Evaluates a program on already fetched bytes: the encoded outputs, or the job's failure.
/// Runs tfhe: call it on a blocking thread.
pub fn evaluate_program(
	program: &Program,
	input: &[u8],
	evaluation_key: &[u8],
) -> Result<Vec<u8>, FailureReason> {
	let inputs = program::decode_inputs(input).map_err(|_| FailureReason::MalformedInput)?;
	if inputs.len() != usize::from(program.inputs) {
		return Err(FailureReason::InputCountMismatch);
	}
	// The key is the requester's: tfhe may panic on one whose parts do not fit together. That
	// is the key's fault, reported as such, never a reason to retry it every round.
	std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
		let server_key = program::evaluation_key_from_bytes(evaluation_key)
			.map_err(|_| FailureReason::MalformedEvaluationKey)?;
		let outputs = program.evaluate(&server_key, &inputs).map_err(|e| match e {
			custodia_fhe::Error::InputCountMismatch { .. } => FailureReason::InputCountMismatch,
			e => program_failure(&e),
		})?;
		program::encode_outputs(&outputs).map_err(|_| FailureReason::Other)
	}))
	.unwrap_or(Err(FailureReason::MalformedEvaluationKey))
}

/// Runs one program job: the encrypted outputs' CID and hash. `Err` sorts itself by
/// [`Error::severity`], as for [`predict`].
pub async fn run_program(
	ipfs: &dyn Ipfs,
	program: &IpfsRef<Vec<u8>>,
	input: &IpfsRef<Vec<u8>>,
	evaluation_key: &IpfsRef<Vec<u8>>,
) -> Result<(String, H256), Error> {
	use FailureReason as F;
	// The program first: a malformed or oversized one fails before the large key is read.
	let bytes = fetch(
		ipfs,
		program,
		program::MAX_PROGRAM_BYTES as u64,
		F::ProgramHashMismatch,
		F::ProgramTooLarge,
	)
	.await?;
	let program = Program::from_json(&bytes).map_err(|e| Error::Job(program_failure(&e)))?;
	let input = fetch(
		ipfs,
		input,
		program::MAX_INPUT_LIST_BYTES as u64,
		F::InputHashMismatch,
		F::MalformedInput,
	)
	.await?;
	let key = fetch(
		ipfs,
		evaluation_key,
		program::MAX_EVALUATION_KEY_BYTES,
		F::EvaluationKeyHashMismatch,
		F::MalformedEvaluationKey,
	)
	.await?;
	// On the blocking pool, where a panic unwinds into `evaluate_program`'s catch (the key's
	// fault) instead of ending the node.
	let outputs = on_blocking_pool(move || evaluate_program(&program, &input, &key))
		.await
		.map_err(|e| Error::Task(e.to_string()))?
		.map_err(Error::Job)?;
	let hash = content_hash(&outputs);
	Ok((ipfs.add(outputs).await?, hash))
}

/// The evaluator role: the chain's pending prediction and program jobs for this node's account.
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
		if summary.job.status != JobStatus::Pending {
			return Ok(None);
		}
		let computed = match &summary.job.kind {
			JobKind::Prediction { model, input } => {
				let api = self.shared.client.runtime_api();
				let model = api.model(at, *model).map_err(|e| Error::RuntimeApi(e.to_string()))?;
				let engine = model.as_ref().and_then(engine_model);
				predict(&*self.ipfs, engine, input).await
			},
			JobKind::Program { program, input, evaluation_key } => {
				run_program(&*self.ipfs, program, input, evaluation_key).await
			},
		};
		let outcome = match computed {
			Ok((cid, hash)) => match chain_cid(&cid) {
				Some(result_cid) => Outcome::Success { result_cid, result_hash: hash },
				None => {
					tracing::warn!(target: LOG_TARGET, role = "evaluator", job, %cid, "the result CID is too long for the chain");
					return Ok(None);
				},
			},
			Err(e) => match e.severity() {
				Severity::FailJob(reason) => {
					tracing::info!(target: LOG_TARGET, role = "evaluator", job, ?reason, error = %e, "the job cannot be computed");
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
				tracing::warn!(target: LOG_TARGET, role = "evaluator", block = now, error = %e, "FheApi failed; retrying");
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

	use crate::memory_ipfs::MemoryIpfs;

	/// `(a + b) · c`.
	const PROGRAM: &[u8] =
		br#"{"inputs":3,"ops":[{"op":"add","a":0,"b":1},{"op":"mul","a":3,"b":2}],"outputs":[4]}"#;

	fn failure(result: Result<(String, H256), Error>) -> FailureReason {
		match result {
			Err(Error::Job(reason)) => reason,
			Err(e) => panic!("expected the job's failure, got {e}"),
			Ok(_) => panic!("expected the job's failure, got a result"),
		}
	}

	#[tokio::test]
	async fn evaluators_agree_byte_for_byte_on_a_programs_result() {
		let ipfs = MemoryIpfs::default();
		let (client_key, server_key) = program::generate_keys();
		let key = ipfs.put(&program::evaluation_key_to_bytes(&server_key).unwrap());
		let input = ipfs.put(&program::encrypt_inputs(&[2, 3, 7], &client_key).unwrap());
		let code = ipfs.put(PROGRAM);
		// Two evaluators, each on its own: the same CID and hash.
		let first = run_program(&ipfs, &code, &input, &key).await.unwrap();
		let second = run_program(&ipfs, &code, &input, &key).await.unwrap();
		assert_eq!(first, second);
		let outputs = ipfs.get(&first.0);
		assert_eq!(content_hash(&outputs), first.1);
		assert_eq!(program::decrypt_outputs(&outputs, &client_key).unwrap(), vec![35]);

		// Inputs that are not the program's, and a key that is not a key: precise reasons.
		let two = ipfs.put(&program::encrypt_inputs(&[2, 3], &client_key).unwrap());
		let result = run_program(&ipfs, &code, &two, &key).await;
		assert_eq!(failure(result), FailureReason::InputCountMismatch);
		let garbage = ipfs.put(b"not a ciphertext list");
		let result = run_program(&ipfs, &code, &garbage, &key).await;
		assert_eq!(failure(result), FailureReason::MalformedInput);
		let not_a_key = ipfs.put(b"not a key");
		let result = run_program(&ipfs, &code, &input, &not_a_key).await;
		assert_eq!(failure(result), FailureReason::MalformedEvaluationKey);
		let forged = IpfsRef { cid: key.cid.clone(), hash: H256::repeat_byte(1) };
		let result = run_program(&ipfs, &code, &input, &forged).await;
		assert_eq!(failure(result), FailureReason::EvaluationKeyHashMismatch);
	}

	#[tokio::test]
	async fn a_malformed_or_oversized_program_fails_before_anything_else_is_read() {
		let ipfs = MemoryIpfs::default();
		// Neither is in IPFS: reading them would be a daemon error, not the job's failure.
		let absent = IpfsRef { cid: b"absent".to_vec(), hash: H256::zero() };
		let run = |program: IpfsRef<Vec<u8>>| {
			let (ipfs, absent) = (&ipfs, absent.clone());
			async move { failure(run_program(ipfs, &program, &absent, &absent).await) }
		};
		assert_eq!(run(ipfs.put(b"{not json")).await, FailureReason::MalformedProgram);
		let ill_typed = br#"{"inputs":1,"ops":[{"op":"add","a":0,"b":9}],"outputs":[1]}"#;
		assert_eq!(run(ipfs.put(ill_typed)).await, FailureReason::MalformedProgram);
		let ops = vec![r#"{"op":"add_scalar","a":0,"value":1}"#; program::MAX_OPS + 1].join(",");
		let long = format!(r#"{{"inputs":1,"ops":[{ops}],"outputs":[0]}}"#);
		assert_eq!(run(ipfs.put(long.as_bytes())).await, FailureReason::ProgramTooLarge);
		let huge = vec![b' '; program::MAX_PROGRAM_BYTES + 1];
		assert_eq!(run(ipfs.put(&huge)).await, FailureReason::ProgramTooLarge);
		let forged = IpfsRef { cid: ipfs.put(PROGRAM).cid, hash: H256::repeat_byte(7) };
		assert_eq!(run(forged).await, FailureReason::ProgramHashMismatch);
		// A well-formed program goes on to read its input: absent here, so retried later.
		let result = run_program(&ipfs, &ipfs.put(PROGRAM), &absent, &absent).await;
		assert!(matches!(result.map_err(|e| e.severity()), Err(Severity::RetryLater)));
	}
}
