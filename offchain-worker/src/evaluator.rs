//! The evaluator: computes encrypted predictions (PMHE) and reports each result's hash.
//!
//! For every prediction job `FheApi::pending_jobs` gives it, the evaluator fetches the input
//! from IPFS, checks its hash against the one the requester put on chain, decodes it (size-limited,
//! parameter-checked), evaluates the job's registered model on it on a blocking thread, stores
//! the encrypted score in IPFS and submits `Fhe::submit_result` with the score's CID and hash.
//! A wrong hash or undecodable input is reported as the job's failure, with its reason. An
//! unreachable input or IPFS daemon is not a failure: the job is retried at the next block and
//! times out on chain if it never becomes available.
//!
//! Evaluation is deterministic (a linear map of ciphertext coefficients), so every honest
//! evaluator submits the same bytes and the same hash; the chain's quorum compares them.

use custodia_fhe::{
	model::{FeatureSpec, LinearModel, ModelTemplate},
	params::PERSONAL_V1,
	personal::PersonalRecord,
};
use custodia_primitives::fhe::{FailureReason, IpfsRef, ModelSummary, MICROS};
use custodia_runtime::BlockNumber;
use sp_core::H256;
use sp_runtime::traits::{BlakeTwo256, Hash};

use crate::ipfs::{Ipfs, IpfsError};

/// The largest encrypted input the evaluator reads (a 32-feature record is 290 bytes).
const MAX_INPUT_BYTES: usize = 64 * 1024;

/// What the evaluator concluded about one job.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
	/// The encrypted score is in IPFS under `cid`; `hash` is the hash of its bytes.
	Computed { cid: String, hash: H256 },
	/// The job cannot be computed, for this reason (reported on chain).
	Failed(FailureReason),
}

/// Fetches `object` from IPFS: `Ok(None)` when the bytes do not hash to the hash on chain,
/// `Err` when IPFS cannot deliver them now (retry later).
async fn fetch_checked(ipfs: &dyn Ipfs, object: &IpfsRef<Vec<u8>>) -> Result<Option<Vec<u8>>, IpfsError> {
	let bytes = ipfs.cat(&String::from_utf8_lossy(&object.cid)).await?;
	Ok((content_hash(&bytes) == object.hash).then_some(bytes))
}

/// Stores a result in IPFS; its CID and hash.
async fn store(ipfs: &dyn Ipfs, bytes: Vec<u8>) -> Result<(String, H256), IpfsError> {
	let hash = content_hash(&bytes);
	Ok((ipfs.add(bytes).await?, hash))
}

/// Runs FHE work on a blocking thread, off the async runtime's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, IpfsError> {
	tokio::task::spawn_blocking(work)
		.await
		.map_err(|e| IpfsError::Unavailable(format!("FHE task failed: {e}")))
}

/// The hash the chain uses for IPFS content: BLAKE2b-256 of the bytes.
pub fn content_hash(bytes: &[u8]) -> H256 {
	BlakeTwo256::hash(bytes)
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

/// Computes one prediction: `Err` means "try again later" (IPFS unavailable).
pub async fn predict(ipfs: &dyn Ipfs, model: Option<LinearModel>, input: &IpfsRef<Vec<u8>>) -> Result<Verdict, IpfsError> {
	let Some(model) = model else { return Ok(Verdict::Failed(FailureReason::UnsupportedParameters)) };
	let Some(bytes) = fetch_checked(ipfs, input).await? else {
		return Ok(Verdict::Failed(FailureReason::InputHashMismatch));
	};
	let scored = blocking(move || {
		let record = PersonalRecord::from_bytes(&bytes, MAX_INPUT_BYTES).ok()?;
		model.evaluate(&record).ok().map(|score| score.to_bytes())
	})
	.await?;
	let Some(score) = scored else { return Ok(Verdict::Failed(FailureReason::MalformedInput)) };
	let (cid, hash) = store(ipfs, score).await?;
	Ok(Verdict::Computed { cid, hash })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn content_hash_is_blake2_256() {
		assert_eq!(
			format!("{:?}", content_hash(b"")),
			"0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
		);
	}
}
