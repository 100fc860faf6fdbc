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

use crate::output::Output;
use crate::{
	chain::Chain,
	runtime::custodia::{
		self,
		fhe::{calls::register_model::Template, events::ModelRegistered},
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec, custodia_primitives::fhe::FeatureSpec,
		},
	},
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
fn chain_template(name: &str, template: ModelTemplate) -> anyhow::Result<Template> {
	LinearModel::new(&PERSONAL_V1, template.clone())
		.map_err(|e| anyhow!("the model does not fit PERSONAL_V1: {e}"))?;
	let micros = |x: f64| (x * 1e6).round();
	let text = |t: &str| BoundedVec(t.as_bytes().to_vec());
	let features = template
		.features
		.iter()
		.map(|f| FeatureSpec {
			name: text(&f.name),
			unit: text(&f.unit),
			offset_micros: micros(f.offset) as i64,
			scale_micros: micros(f.scale) as u64,
		})
		.collect();
	let weights = template
		.weights
		.iter()
		.map(|&w| i32::try_from(w).map_err(|_| anyhow!("weight {w} does not fit an i32")))
		.collect::<anyhow::Result<Vec<_>>>()?;
	let divisor = (1.0 / template.score_unit).round();
	if !(divisor >= 1.0 && divisor < u64::MAX as f64) {
		return Err(anyhow!(
			"score_unit {} does not give a positive integer divisor",
			template.score_unit
		));
	}
	Ok(Template {
		name: text(name),
		features: BoundedVec(features),
		weights: BoundedVec(weights),
		bias: template.bias,
		score_divisor: divisor as u64,
		output_meaning: text(&template.outcome),
		provenance: text(&template.provenance),
		parameter_set: PERSONAL_V1.wire_id.into(),
	})
}

pub async fn run(cli: &Cli, args: &RegisterArgs, out: &mut Output) -> Result<(), Error> {
	let text = std::fs::read_to_string(&args.file)
		.with_context(|| format!("cannot read {}", args.file.display()))?;
	let template: ModelTemplate = serde_json::from_str(&text)
		.with_context(|| format!("{} is not a model template", args.file.display()))?;
	let template = chain_template(&args.model_name, template)?;
	let me = cli.identity(&args.name)?;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let call = custodia::transactions().fhe().register_model(template);
	let included = chain.submit(&call, &me.keypair).await?;
	let model = included.find::<ModelRegistered>()?.model;
	out.emit(json!({ "model": model, "block": included.block }), || {
		vec![format!("model {model} `{}` registered (block {})", args.model_name, included.block)]
	});
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use custodia_fhe::model::FeatureSpec as Feature;

	fn template(weight: i64) -> ModelTemplate {
		ModelTemplate {
			features: vec![Feature {
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
		let on_chain = chain_template("heart", template(310)).unwrap();
		let feature = &on_chain.features.0[0];
		assert_eq!((feature.offset_micros, feature.scale_micros), (54_400_000, 113_000_000));
		assert_eq!(on_chain.score_divisor, 1_048_576);
		assert_eq!(
			(on_chain.name.0.as_slice(), on_chain.weights.0.as_slice()),
			(&b"heart"[..], &[310][..])
		);
		// Outside PERSONAL_V1's weight range: refused before anything is signed.
		assert!(chain_template("heart", template(5000)).is_err());
	}
}
