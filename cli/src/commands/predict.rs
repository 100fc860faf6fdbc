//! An encrypted prediction (PMHE), the person's side: read the model's tuple template from the
//! chain, quantise and encrypt the features under the personal FHE key, put the ciphertext in
//! IPFS, ask for the prediction, wait for the evaluators' agreed result, fetch and decrypt it,
//! and read the diagnosis. Only this identity can decrypt the score.

use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Args;
use custodia_fhe::{params::MAX_SCORE_BYTES, personal::EncryptedScore};
use serde_json::json;
use subxt::utils::{AccountId32, H256};

use crate::output::Output;
use crate::{
	chain::Chain,
	fhe_jobs::{await_result, given_or_read, Job},
	ipfs::{content_hash, IpfsArgs},
	runtime::custodia::{
		self,
		fhe::events::PredictionRequested,
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec, custodia_primitives::fhe::ModelSummary,
		},
	},
	Cli, Error,
};

#[derive(Args)]
pub struct PredictArgs {
	/// The identity whose FHE key encrypts the features and decrypts the result.
	#[arg(long = "as", value_name = "NAME")]
	name: String,
	/// The registered model.
	#[arg(long)]
	model: u64,
	/// The raw feature values, in the model's order and units, comma-separated.
	#[arg(
		long,
		value_delimiter = ',',
		allow_hyphen_values = true,
		required_unless_present = "features_file",
		conflicts_with = "features_file"
	)]
	features: Vec<f64>,
	/// Read the feature values from FILE (`-`: stdin), separated by commas, spaces or lines:
	/// health values on a command line are visible to other local users.
	#[arg(long, value_name = "FILE")]
	features_file: Option<std::path::PathBuf>,
	#[command(flatten)]
	ipfs: IpfsArgs,
	/// How long to wait for the result, in seconds.
	#[arg(long, default_value_t = 180)]
	timeout: u64,
}

/// What the chain says about a model, as the client needs it.
struct Model {
	name: String,
	features: Vec<(String, String, f64, f64)>,
	score_divisor: f64,
	meaning: String,
	provenance: String,
}

fn model_from(summary: ModelSummary<AccountId32, u32>) -> Model {
	let template = summary.model.template;
	let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
	Model {
		name: text(&template.name),
		features: template
			.features
			.iter()
			.map(|f| {
				(
					text(&f.name),
					text(&f.unit),
					f.offset_micros as f64 / 1e6,
					f.scale_micros as f64 / 1e6,
				)
			})
			.collect(),
		score_divisor: (template.score_divisor as f64).max(1.0),
		meaning: text(&template.output_meaning),
		provenance: text(&template.provenance),
	}
}

/// A feature value: a finite number.
fn parse_feature(item: &str) -> anyhow::Result<f64> {
	item.parse::<f64>()
		.ok()
		.filter(|x| x.is_finite())
		.ok_or_else(|| anyhow!("`{item}` is not a number"))
}

/// The fixed-point integers the model expects: `round((x − offset) · scale)`.
fn quantise(model: &Model, raw: &[f64]) -> anyhow::Result<Vec<i64>> {
	if raw.len() != model.features.len() {
		let names: Vec<_> =
			model.features.iter().map(|(n, u, _, _)| format!("{n} [{u}]")).collect();
		bail!(
			"model `{}` takes {} features ({}), {} given",
			model.name,
			names.len(),
			names.join(", "),
			raw.len()
		);
	}
	Ok(raw
		.iter()
		.zip(&model.features)
		.map(|(x, (_, _, offset, scale))| ((x - offset) * scale).round() as i64)
		.collect())
}

pub async fn run(cli: &Cli, args: &PredictArgs, out: &mut Output) -> Result<(), Error> {
	let me = cli.identity(&args.name)?;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let summary = chain.call_api(custodia::runtime_apis().fhe_api().model(args.model)).await?;
	let model = model_from(
		summary.ok_or_else(|| Error::Usage(format!("there is no model {}", args.model)))?,
	);
	let raw = given_or_read(&args.features, args.features_file.as_deref(), parse_feature)?;
	let features = quantise(&model, &raw)?;
	let record = me
		.fhe_key
		.encrypt(&features)
		.map_err(|e| Error::Usage(format!("cannot encrypt these features: {e}")))?
		.to_bytes();
	let input_hash = content_hash(&record);

	let ipfs = args.ipfs.client()?;
	let input_cid = ipfs.add(record, true).await?;
	let call = custodia::transactions().fhe().request_prediction(
		args.model,
		BoundedVec(input_cid.as_bytes().to_vec()),
		H256(input_hash),
	);
	let included = chain.submit(&call, &me.keypair).await?;
	let job = included.find::<PredictionRequested>()?.job;
	if !cli.json() {
		out.status(format!(
			"prediction job {job} requested in block {}; waiting for the evaluators…",
			included.block
		));
	}

	let ready =
		await_result(&chain, Job::Prediction(job), Duration::from_secs(args.timeout)).await?;
	let block = ready.block;
	// At most the largest score of any parameter set, checked against the hash the evaluators
	// agreed on.
	let score_bytes = ready.fetch(&ipfs, MAX_SCORE_BYTES).await?;
	let score = EncryptedScore::from_bytes(&score_bytes)
		.and_then(|s| me.fhe_key.decrypt_score(&s))
		.map_err(|e| {
			Error::Refused(format!("the result does not decrypt with `{}`'s key: {e}", me.name))
		})?;

	let logit = score as f64 / model.score_divisor;
	let probability = 1.0 / (1.0 + (-logit).exp());
	let class = if logit > 0.0 { "positive" } else { "negative" };
	let data = json!({
		"job": job, "requested_in": included.block, "final_in": block,
		"score": score, "logit": logit, "probability": probability, "class": class,
		"model": { "id": args.model, "name": model.name, "meaning": model.meaning, "provenance": model.provenance },
	});
	out.emit(data, || {
		vec![
			format!(
				"job {job}: requested in block {}, result final in block {block}",
				included.block
			),
			format!(
				"score {score} (logit {logit:.3}), probability {:.1} %, class {class}",
				probability * 100.0
			),
			format!("model {} `{}`: {}", args.model, model.name, model.meaning),
			format!("provenance: {}", model.provenance),
		]
	});
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn features_are_quantised_with_the_models_offsets_and_scales() {
		let model = Model {
			name: "heart".into(),
			features: vec![
				("age".into(), "a".into(), 54.4, 113.0),
				("bp".into(), "mm[Hg]".into(), 131.7, 57.0),
			],
			score_divisor: 1.0,
			meaning: String::new(),
			provenance: String::new(),
		};
		assert_eq!(quantise(&model, &[63.0, 145.0]).unwrap(), vec![972, 758]);
		let err = quantise(&model, &[63.0]).err().unwrap().to_string();
		assert!(err.contains("age [a], bp [mm[Hg]]"), "{err}");
	}

	#[test]
	fn a_features_file_is_numbers_separated_by_commas_or_whitespace() {
		let parse_features = |text| crate::fhe_jobs::parse_list(text, parse_feature);
		assert_eq!(parse_features("63, 1\n145\t-2.3,\n").unwrap(), vec![63.0, 1.0, 145.0, -2.3]);
		assert!(parse_features("63,abc").unwrap_err().to_string().contains("`abc`"));
		assert!(parse_features("NaN").is_err());
	}
}
