//! `custodia status`: what a newcomer (or a script waiting for the consortium key) asks first.

use serde_json::json;
use subxt::dynamic::At;

use crate::{
	chain::{field_u64, variant, Chain},
	output, Cli, Exit,
};

pub async fn run(cli: &Cli) -> Result<(), Exit> {
	let chain = Chain::connect(cli.url()).await?;
	let finalized = chain.finalized_number().await?;
	let mut members = serde_json::Map::new();
	for kind in ["Institution", "DataSteward", "Evaluator"] {
		let active = chain.runtime_api("ConsortiumApi", "active_members", vec![variant(kind)]).await?;
		members.insert(kind.to_string(), json!(output::items(&active).len()));
	}
	let epoch = |value: &subxt::dynamic::Value| -> serde_json::Value {
		match output::some(value) {
			Some(summary) => json!({
				"id": field_u64(summary, "id").ok(),
				"joint_key": summary.at("epoch").and_then(|e| e.at("joint_key")).and_then(output::some).map(|k| output::text(k.at("cid"))),
			}),
			None => serde_json::Value::Null,
		}
	};
	let current = epoch(&chain.runtime_api("FheApi", "current_key_epoch", vec![]).await?);
	let pending = epoch(&chain.runtime_api("FheApi", "pending_key_epoch", vec![]).await?);
	let data = json!({ "url": cli.url(), "finalized": finalized, "active_members": members, "key_epoch": current, "pending_key_epoch": pending });
	output::emit(cli.json(), data, || {
		let key = match (&current, &pending) {
			(serde_json::Value::Null, serde_json::Value::Null) => "no FHE key epoch yet".to_string(),
			(serde_json::Value::Null, p) => format!("key epoch {} being set up by its holders", p["id"]),
			(c, _) => format!("FHE key epoch {} current, joint key {}", c["id"], c["joint_key"].as_str().unwrap_or("?")),
		};
		vec![
			format!("{}: finalized block {finalized}", cli.url()),
			format!("active members: {} institutions, {} data stewards, {} evaluators", members["Institution"], members["DataSteward"], members["Evaluator"]),
			key,
		]
	});
	Ok(())
}
