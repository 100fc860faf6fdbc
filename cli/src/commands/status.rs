//! `custodia status`: what a newcomer (or a script waiting for the consortium) asks first.

use serde_json::json;

use crate::output::Output;
use crate::{
	chain::Chain,
	runtime::custodia::{self, runtime_types::custodia_primitives::consortium::MemberKind},
	statistics, Cli, Error,
};

pub async fn run(cli: &Cli, out: &mut Output) -> Result<(), Error> {
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let finalized = chain.finalized_number().await?;
	let mut members = serde_json::Map::new();
	for (name, kind) in [
		("Institution", MemberKind::Institution),
		("DataSteward", MemberKind::DataSteward),
		("Evaluator", MemberKind::Evaluator),
	] {
		let active = chain
			.call_api(custodia::runtime_apis().consortium_api().active_members(kind))
			.await?;
		members.insert(name.to_string(), json!(active.len()));
	}
	// Records get statistics reports only while an aggregator epoch is active.
	let epoch = statistics::active_epoch(&chain).await?;
	let data = json!({
		"url": cli.url(), "finalized": finalized, "active_members": members,
		"aggregator_epoch": epoch.as_ref().map(|e| json!({ "id": e.id, "aggregators": e.aggregators.len() })),
	});
	out.emit(data, || {
		vec![
			format!("{}: finalized block {finalized}", cli.url()),
			format!("active members: {} institutions, {} data stewards, {} evaluators", members["Institution"], members["DataSteward"], members["Evaluator"]),
			match &epoch {
				Some(e) => format!("aggregator epoch {} active ({} aggregators): records get statistics reports", e.id, e.aggregators.len()),
				None => "no aggregator epoch active: records get no statistics report yet (see `custodia statistic epoch show`)".into(),
			},
		]
	});
	Ok(())
}
