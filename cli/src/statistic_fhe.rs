//! The threshold-FHE cohort statistics (`Fhe::request_statistic`), kept only while the main
//! job's story still publishes its statistic this way: `custodia statistic fhe request|show`
//! (hidden). Issue 12 retires this path for Prio3 (`crate::statistic`); delete this module, its
//! `Fhe` variant in `StatisticCommand`, and the story's call with it.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value as Json};
use subxt::dynamic::{At, Value};

use crate::{
	chain::{field_u64, variant, Chain, Failure},
	codes::{Category, Purpose},
	consent::AsArgs,
	output, progress, Cli, Exit,
};

#[derive(Subcommand)]
pub enum FheCommand {
	/// (Institution) Ask for a threshold-FHE statistic over a consented cohort and wait until it
	/// is published.
	///
	/// Example: custodia statistic fhe request --as clinic --purpose PUBHLTH --category wearable-readings --field 0 --kind mean
	Request(RequestArgs),
	/// Show a published threshold-FHE statistic.
	///
	/// Example: custodia statistic fhe show 7
	Show {
		/// The statistic job.
		job: u64,
	},
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
	Count,
	Sum,
	Mean,
}

#[derive(Args)]
pub struct RequestArgs {
	#[command(flatten)]
	who: AsArgs,
	/// The purpose the cohort consented to (PUBHLTH, HRESCH or POPHLTH).
	#[arg(long)]
	purpose: Purpose,
	/// The data category whose records are aggregated.
	#[arg(long)]
	category: Category,
	/// The field of the records' FHE sections (0 is the first).
	#[arg(long)]
	field: u16,
	/// What to compute.
	#[arg(long)]
	kind: Kind,
	/// How long to wait for publication, in seconds.
	#[arg(long, default_value_t = 300)]
	timeout: u64,
}

/// A published statistic as people read it: its values and, for a mean, the quotient.
fn describe(job: u64, published: &Json) -> Vec<String> {
	let values: Vec<f64> = published["values"].as_array().map(|v| v.iter().filter_map(|x| x.as_f64().or_else(|| x.as_str()?.parse().ok())).collect()).unwrap_or_default();
	let statistic = &published["statistic"];
	let what = match (statistic.as_str(), values.as_slice()) {
		(Some("Mean"), [sum, records]) if *records > 0.0 => format!("mean {:.2} (sum {sum} over {records} records)", sum / records),
		(Some("Sum"), [sum]) => format!("sum {sum}"),
		(Some("Count"), [records]) => format!("count {records}"),
		_ => format!("{statistic} = {values:?}"),
	};
	vec![format!(
		"statistic {job}: {what} — field {} of {} records, purpose {}, {} people in the cohort; published in block {} (key epoch {})",
		published["field"], published["category"].as_str().unwrap_or("?"), published["purpose"].as_str().unwrap_or("?"),
		published["cohort_size"], published["published_at"], published["epoch"],
	)]
}

async fn published(chain: &Chain, job: u64) -> Result<Json, Exit> {
	let found = chain.runtime_api("FheApi", "published_statistic", vec![Value::u128(job.into())]).await?;
	let summary = output::some(&found).ok_or_else(|| Exit(1, format!("statistic {job} is not published (unknown, failed, or still running)")))?;
	Ok(summary.at("statistic").map(output::to_json).unwrap_or_default())
}

pub async fn run(cli: &Cli, command: &FheCommand) -> Result<(), Exit> {
	let chain = Chain::connect(cli.url()).await?;
	let (job, requested_in) = match command {
		FheCommand::Show { job } => (*job, None),
		FheCommand::Request(args) => {
			let me = cli.identity(&args.who.name)?;
			let kind = match args.kind {
				Kind::Count => "Count",
				Kind::Sum => "Sum",
				Kind::Mean => "Mean",
			};
			let fields = vec![
				("purpose", variant(&args.purpose.variant())),
				("category", variant(&args.category.variant())),
				("field", Value::u128(args.field.into())),
				("statistic", variant(kind)),
			];
			let included = chain.submit("Fhe", "request_statistic", fields, &me.keypair).await?;
			let job = field_u64(included.event("Fhe", "StatisticRequested")?, "job")?;
			let spinner = progress::spinner(cli.json(), format!("statistic job {job} requested in block {}; evaluators aggregate, key holders decrypt", included.block));
			let ours = |name: &str, fields: &Value| {
				matches!(name, "StatisticPublished" | "JobFailed" | "JobTimedOut") && field_u64(fields, "job").ok() == Some(job)
			};
			let outcome = chain.wait_for_event("Fhe", ours, Duration::from_secs(args.timeout)).await;
			spinner.finish_and_clear();
			let (block, event, fields) = outcome?;
			if event != "StatisticPublished" {
				let reason = fields.at("reason").map(output::to_json).unwrap_or(json!("its deadline passed"));
				return Err(Failure::Refused(format!("statistic job {job} failed in block {block}: {reason}")).into());
			}
			(job, Some(included.block))
		},
	};
	let mut published = published(&chain, job).await?;
	published["job"] = json!(job);
	if let Some(block) = requested_in {
		published["requested_in"] = json!(block);
	}
	output::emit(cli.json(), published.clone(), || describe(job, &published));
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_mean_reads_as_its_quotient() {
		let published = json!({ "statistic": "Mean", "values": [1450, 20], "field": 0, "category": "WearableReadings", "purpose": "PUBHLTH", "cohort_size": 20, "published_at": 30, "epoch": 0 });
		let line = describe(7, &published).join("");
		assert!(line.contains("mean 72.50 (sum 1450 over 20 records)"), "{line}");
		assert!(line.contains("20 people in the cohort"), "{line}");
	}
}
