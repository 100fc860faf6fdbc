//! Registering a linear prediction model (institutions): its tuple template — features with
//! units and fixed-point offsets and scales, weights, bias, what the score means and where the
//! model comes from — becomes readable by anyone on chain.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args;
use custodia_fhe::{
	model::{LinearModel, ModelTemplate},
	params::PERSONAL_V1,
};
use serde_json::json;
use subxt::dynamic::Value;

use crate::output::Output;
use crate::{
	chain::{field_u64, Chain},
	Cli, Error,
};

#[derive(Args)]
pub struct RegisterArgs {
	/// The institution's identity.
	#[arg(long = "as", value_name = "NAME")]
	name: String,
	/// The model's name on chain.
	#[arg(long = "model-name")]
	model_name: String,
	/// The model template as JSON, e.g. from `custodia-fhe accuracy … --print-model`.
	file: PathBuf,
}

/// The template as the chain stores it; checked against PERSONAL_V1's bounds first, so that
/// every score it computes decrypts exactly.
fn chain_template(name: &str, template: ModelTemplate) -> anyhow::Result<Value> {
	LinearModel::new(&PERSONAL_V1, template.clone())
		.map_err(|e| anyhow!("the model does not fit PERSONAL_V1: {e}"))?;
	let micros = |x: f64| (x * 1e6).round();
	let features = template.features.iter().map(|f| {
		Value::named_composite([
			("name", Value::from_bytes(f.name.as_bytes())),
			("unit", Value::from_bytes(f.unit.as_bytes())),
			("offset_micros", Value::i128(micros(f.offset) as i128)),
			("scale_micros", Value::u128(micros(f.scale) as u128)),
		])
	});
	let weights = template
		.weights
		.iter()
		.map(|&w| {
			i32::try_from(w)
				.map(|w| Value::i128(w.into()))
				.map_err(|_| anyhow!("weight {w} does not fit an i32"))
		})
		.collect::<anyhow::Result<Vec<_>>>()?;
	let divisor = (1.0 / template.score_unit).round();
	if !(divisor >= 1.0 && divisor < u64::MAX as f64) {
		return Err(anyhow!(
			"score_unit {} does not give a positive integer divisor",
			template.score_unit
		));
	}
	Ok(Value::named_composite([
		("name", Value::from_bytes(name.as_bytes())),
		("features", Value::unnamed_composite(features)),
		("weights", Value::unnamed_composite(weights)),
		("bias", Value::i128(template.bias.into())),
		("score_divisor", Value::u128(divisor as u128)),
		("output_meaning", Value::from_bytes(template.outcome.as_bytes())),
		("provenance", Value::from_bytes(template.provenance.as_bytes())),
		("parameter_set", Value::u128(PERSONAL_V1.wire_id.into())),
	]))
}

pub async fn register(cli: &Cli, args: &RegisterArgs, out: &mut Output) -> Result<(), Error> {
	let text = std::fs::read_to_string(&args.file)
		.with_context(|| format!("cannot read {}", args.file.display()))?;
	let template: ModelTemplate = serde_json::from_str(&text)
		.with_context(|| format!("{} is not a model template", args.file.display()))?;
	let template = chain_template(&args.model_name, template)?;
	let me = cli.identity(&args.name)?;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let included = chain
		.submit("Fhe", "register_model", vec![("template", template)], &me.keypair)
		.await?;
	let model = field_u64(included.event("Fhe", "ModelRegistered")?, "model")?;
	out.emit(json!({ "model": model, "block": included.block }), || {
		vec![format!("model {model} `{}` registered (block {})", args.model_name, included.block)]
	});
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use custodia_fhe::model::FeatureSpec;
	use subxt::dynamic::At;

	fn template(weight: i64) -> ModelTemplate {
		ModelTemplate {
			features: vec![FeatureSpec {
				name: "age".into(),
				unit: "a".into(),
				offset: 54.4,
				scale: 113.0,
			}],
			weights: vec![weight],
			bias: -5,
			score_unit: 1.0 / 1_048_576.0,
			outcome: "risk".into(),
			provenance: "test".into(),
		}
	}

	#[test]
	fn a_template_becomes_the_chains_fixed_point_form() {
		let value = chain_template("heart", template(310)).unwrap();
		let feature = value.at("features").and_then(|f| f.at(0)).unwrap();
		assert_eq!(feature.at("offset_micros").and_then(|v| v.as_i128()), Some(54_400_000));
		assert_eq!(feature.at("scale_micros").and_then(|v| v.as_u128()), Some(113_000_000));
		assert_eq!(value.at("score_divisor").and_then(|v| v.as_u128()), Some(1_048_576));
		// Outside PERSONAL_V1's weight range: refused before anything is signed.
		assert!(chain_template("heart", template(5000)).is_err());
	}
}
