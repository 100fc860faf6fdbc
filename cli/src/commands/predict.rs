//! An encrypted prediction (PMHE), the person's side: read the model's tuple template from the
//! chain, quantise and encrypt the features under the personal FHE key, put the ciphertext in
//! IPFS, ask for the prediction, wait for the evaluators' agreed result, fetch and decrypt it,
//! and read the diagnosis. Only this identity can decrypt the score.

use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Args;
use custodia_fhe::personal::EncryptedScore;
use serde_json::json;
use subxt::dynamic::{At, Value};

use crate::output::Output;
use crate::{
	chain::{field_u64, Chain},
	ipfs::{content_hash, IpfsArgs},
	output::{self, some, text},
	Cli, Error,
};

/// The largest encrypted score read from IPFS (PERSONAL_V1: 16,399 bytes).
const MAX_SCORE_BYTES: usize = 64 * 1024;

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

fn model_from(value: &Value) -> anyhow::Result<Model> {
	let template = value
		.at("model")
		.and_then(|m| m.at("template"))
		.ok_or_else(|| anyhow!("unexpected model shape"))?;
	let number = |v: Option<&Value>| -> f64 {
		v.and_then(|v| v.as_i128().or_else(|| v.as_u128().map(|n| n as i128)))
			.unwrap_or_default() as f64
	};
	let features =
		output::items(template.at("features").ok_or_else(|| anyhow!("model without features"))?)
			.into_iter()
			.map(|f| {
				(
					text(f.at("name")),
					text(f.at("unit")),
					number(f.at("offset_micros")) / 1e6,
					number(f.at("scale_micros")) / 1e6,
				)
			})
			.collect();
	Ok(Model {
		name: text(template.at("name")),
		features,
		score_divisor: number(template.at("score_divisor")).max(1.0),
		meaning: text(template.at("output_meaning")),
		provenance: text(template.at("provenance")),
	})
}

/// Feature values separated by commas or whitespace (a features file).
fn parse_features(text: &str) -> anyhow::Result<Vec<f64>> {
	text.split(|c: char| c == ',' || c.is_whitespace())
		.filter(|item| !item.is_empty())
		.map(|item| {
			item.parse::<f64>()
				.ok()
				.filter(|x| x.is_finite())
				.ok_or_else(|| anyhow!("`{item}` is not a number"))
		})
		.collect()
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
	let summary = chain
		.runtime_api("FheApi", "model", vec![Value::u128(args.model.into())])
		.await?;
	let model = model_from(
		some(&summary).ok_or_else(|| Error::Usage(format!("there is no model {}", args.model)))?,
	)?;
	let raw = match &args.features_file {
		Some(path) => parse_features(&crate::read_input(path)?)
			.map_err(|e| Error::Usage(format!("{}: {e:#}", path.display())))?,
		None => args.features.clone(),
	};
	let features = quantise(&model, &raw)?;
	let record = me
		.fhe_key
		.encrypt(&features)
		.map_err(|e| Error::Usage(format!("cannot encrypt these features: {e}")))?
		.to_bytes();
	let input_hash = content_hash(&record);

	let ipfs = args.ipfs.client()?;
	let input_cid = ipfs.add(record, true).await?;
	let fields = vec![
		("model", Value::u128(args.model.into())),
		("input_cid", Value::from_bytes(input_cid.as_bytes())),
		("input_hash", Value::from_bytes(input_hash)),
	];
	let included = chain.submit("Fhe", "request_prediction", fields, &me.keypair).await?;
	let job = field_u64(included.event("Fhe", "PredictionRequested")?, "job")?;
	if !cli.json() {
		out.status(format!(
			"prediction job {job} requested in block {}; waiting for the evaluators…",
			included.block
		));
	}

	let ours = |name: &str, fields: &Value| {
		matches!(name, "PredictionReady" | "JobFailed")
			&& field_u64(fields, "job").ok() == Some(job)
	};
	let (block, event, fields) =
		chain.wait_for_event("Fhe", ours, Duration::from_secs(args.timeout)).await?;
	if event == "JobFailed" {
		let reason = fields.at("reason").map(output::to_json).unwrap_or_default();
		return Err(Error::Refused(format!(
			"prediction job {job} failed in block {block}: {reason}"
		))
		.into());
	}
	let result_cid = text(fields.at("result_cid"));
	let result_hash: [u8; 32] =
		output::bytes(fields.at("result_hash").ok_or_else(|| anyhow!("no result hash"))?)
			.try_into()
			.map_err(|_| anyhow!("the result hash is not 32 bytes"))?;
	// Read at most MAX_SCORE_BYTES, then checked against the hash the evaluators agreed on.
	let score_bytes = ipfs.cat_checked(&result_cid, MAX_SCORE_BYTES, &result_hash).await?;
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
		assert_eq!(parse_features("63, 1\n145\t-2.3,\n").unwrap(), vec![63.0, 1.0, 145.0, -2.3]);
		assert!(parse_features("63,abc").unwrap_err().to_string().contains("`abc`"));
		assert!(parse_features("NaN").is_err());
	}
}
