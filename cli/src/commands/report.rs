//! Statistics reports, the person's side (Prio3; `docs/statistics.md`).
//!
//! A record whose category has a statistic schema carries one report per aggregator epoch: its
//! values for the schema's fields, split into shares sealed to each aggregator of the epoch, with
//! a proof that every value is in its field's range. The client:
//! 1. reads the category's schema (`StatisticsApi::schema_of`, `schema`) and the active epoch's
//!    aggregator keys, and takes the record's value of every field — from `--value NAME=VALUE`
//!    or `--values-file FILE` (`-`: stdin, off the command line), else from the FHIR Bundle (an
//!    Observation, or a component, coded with the field's name, in the field's unit, rounded to
//!    a whole number). A missing or out-of-range value is refused
//!    here, before anything is sent;
//! 2. once the record is registered, binds the report to the chain's genesis hash, the epoch,
//!    the schema, the owner's account and the record id, makes it
//!    (`custodia_statistics::report::Report::generate`), stores it in IPFS (pinned) and submits
//!    `Statistics::submit_report`;
//! 3. the aggregators verify it; `custodia report status` shows the verdict.
//!
//! Nothing here reads or sends a value in the clear: the chain sees the report's id, CID, hash
//! and size.

use std::collections::BTreeMap;

use clap::Subcommand;
use custodia_statistics::{
	binding::Binding,
	report::Report,
	schema::{Layout, Schema},
};
use serde_json::{json, Value as Json};
use subxt::utils::H256;

use crate::output::Output;
use crate::{
	chain::Chain,
	codes::Category,
	consent::AsArgs,
	ipfs::{content_hash, Ipfs, IpfsArgs},
	keystore::Identity,
	progress,
	record::{open_own, stored, unpin_if_refused},
	runtime::custodia::{
		self,
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec,
			custodia_primitives::statistics::ReportStatus,
		},
		statistics::events::ReportSubmitted,
	},
	schema::{category_name, field_list},
	statistics::{
		active_epoch, has_statistics, registered_schema, require_statistics, schema_of, Epoch,
	},
	Cli, Error,
};

/// A report with its id, as `StatisticsApi::reports_of` lists it.
pub type ChainReport =
	<custodia::runtime_apis::statistics_api::reports_of::output::Output as IntoIterator>::Item;

/// Values given on the command line, by schema field name.
pub type Given = BTreeMap<String, u64>;

#[derive(Subcommand)]
pub enum ReportCommand {
	/// (Person) Your statistics reports and where each stands: pending verification, verified
	/// (counted in statistics), or rejected with the reason.
	///
	/// Example: custodia report status --as me --record 3
	Status {
		#[command(flatten)]
		who: AsArgs,
		/// Only the reports of this record.
		#[arg(long)]
		record: Option<u64>,
	},
	/// (Person) Submit a report for a record you registered earlier: after a new aggregator
	/// epoch started (reports count in their own epoch only), or when `record add` could not.
	///
	/// Example: custodia report submit --as me --record 3 --value heart_rate=72
	Submit {
		#[command(flatten)]
		who: AsArgs,
		/// The record.
		#[arg(long)]
		record: u64,
		#[command(flatten)]
		values: ValueArgs,
		#[command(flatten)]
		ipfs: IpfsArgs,
	},
}

/// The values of a record's report.
#[derive(clap::Args)]
pub struct ValueArgs {
	/// A value for the record's statistics report, by schema field name: NAME=VALUE, a whole
	/// number in the field's unit (comma-separated or repeated). A field not given is read from
	/// the FHIR Bundle: the Observation (or component) coded with the field's name, in the
	/// field's unit. `custodia statistic schema show` lists the fields.
	#[arg(long = "value", value_name = "NAME=VALUE", value_delimiter = ',', value_parser = parse_value)]
	pub values: Vec<(String, u64)>,
	/// Read NAME=VALUE values from FILE (`-`: stdin), separated by commas, spaces or lines: health
	/// values on a command line are visible to other local users.
	#[arg(long, value_name = "FILE")]
	pub values_file: Option<std::path::PathBuf>,
}

impl ValueArgs {
	/// The values by name (--value and --values-file together); a name given twice is an error.
	pub fn given(&self) -> Result<Given, Error> {
		let from_file = match &self.values_file {
			Some(path) => parse_values(&crate::read_input(path)?).map_err(|e| {
				Error::Usage(format!(
					"{}: {e}",
					if path.as_os_str() == "-" {
						"stdin".into()
					} else {
						path.display().to_string()
					}
				))
			})?,
			None => Vec::new(),
		};
		let mut given = Given::new();
		for (name, value) in self.values.iter().chain(&from_file) {
			if given.insert(name.clone(), *value).is_some() {
				return Err(Error::Usage(format!(
					"--value {name} is given twice (in --value or --values-file)"
				)));
			}
		}
		Ok(given)
	}
}

/// `NAME=VALUE` items separated by commas or whitespace (a values file).
fn parse_values(text: &str) -> Result<Vec<(String, u64)>, String> {
	text.split(|c: char| c == ',' || c.is_whitespace())
		.filter(|item| !item.is_empty())
		.map(parse_value)
		.collect()
}

/// `NAME=VALUE`, VALUE a whole number ≥ 0.
pub fn parse_value(spec: &str) -> Result<(String, u64), String> {
	let (name, value) = spec
		.split_once('=')
		.ok_or_else(|| format!("`{spec}`: a value is NAME=VALUE (e.g. heart_rate=72)"))?;
	let (name, value) = (name.trim(), value.trim());
	if name.is_empty() {
		return Err(format!("`{spec}`: the field name is empty"));
	}
	let value = value
		.parse::<u64>()
		.map_err(|_| format!("`{spec}`: {value} is not a whole number ≥ 0 (statistic fields are integers in the field's unit, e.g. 367 for 36.7 °C in 0.1 Cel)"))?;
	Ok((name.to_string(), value))
}

/// The quantities of a FHIR Bundle by code: every `valueQuantity` of an entry's resource and of
/// its components, under each code of its `code.coding`, with its unit (UCUM `code`, else `unit`).
pub fn fhir_quantities(body: &[u8]) -> BTreeMap<String, Vec<(f64, String)>> {
	let mut found: BTreeMap<String, Vec<(f64, String)>> = BTreeMap::new();
	let Ok(bundle) = serde_json::from_slice::<Json>(body) else { return found };
	let mut add = |item: &Json| {
		let Some(value) = item.pointer("/valueQuantity/value").and_then(Json::as_f64) else {
			return;
		};
		let quantity = &item["valueQuantity"];
		let unit = quantity["code"]
			.as_str()
			.or_else(|| quantity["unit"].as_str())
			.unwrap_or_default()
			.to_string();
		for coding in item.pointer("/code/coding").and_then(Json::as_array).into_iter().flatten() {
			if let Some(code) = coding["code"].as_str() {
				found.entry(code.to_string()).or_default().push((value, unit.clone()));
			}
		}
	};
	for entry in bundle["entry"].as_array().into_iter().flatten() {
		let resource = &entry["resource"];
		add(resource);
		resource["component"].as_array().into_iter().flatten().for_each(&mut add);
	}
	found
}

/// The record's value of every field of `schema`, in order: a given value, else the Bundle's
/// single quantity coded with the field's name in the field's unit (rounded). Every missing or
/// out-of-range value is named in the error.
pub fn measurement(
	schema: &Schema,
	given: &Given,
	fhir: &BTreeMap<String, Vec<(f64, String)>>,
) -> Result<Vec<u64>, String> {
	let mut values = Vec::with_capacity(schema.fields.len());
	let mut missing = Vec::new();
	let mut out_of_range = Vec::new();
	for f in &schema.fields {
		let from_fhir = || -> Option<Result<u64, f64>> {
			match fhir
				.get(&f.name)?
				.iter()
				.filter(|(_, unit)| *unit == f.unit)
				.collect::<Vec<_>>()
				.as_slice()
			{
				[(v, _)] if v.is_finite() && v.round() >= 0.0 && v.round() <= u64::MAX as f64 => {
					Some(Ok(v.round() as u64))
				},
				[(v, _)] => Some(Err(*v)),
				_ => None, // absent in this unit, or ambiguous
			}
		};
		match given.get(&f.name).map(|&v| Ok(v)).or_else(from_fhir) {
			Some(Ok(v)) if v <= f.max => values.push(v),
			Some(Ok(v)) => {
				out_of_range.push(format!("{} = {v} is outside 0..={} [{}]", f.name, f.max, f.unit))
			},
			Some(Err(v)) => out_of_range.push(format!(
				"{} = {v} (from the FHIR Bundle) is outside 0..={} [{}]",
				f.name, f.max, f.unit
			)),
			None => missing.push(f.name.as_str()),
		}
	}
	let mut problems = Vec::new();
	if !out_of_range.is_empty() {
		problems.push(format!("out of range: {}", out_of_range.join("; ")));
	}
	if !missing.is_empty() {
		problems.push(format!(
			"no value for {} (give --value NAME=VALUE, or code an Observation in the FHIR Bundle with the field's name and unit); the fields: {}",
			missing.join(", "),
			field_list(schema)
		));
	}
	if problems.is_empty() {
		Ok(values)
	} else {
		Err(problems.join("; "))
	}
}

/// One report to make: a schema, its layout for the epoch, the record's values.
pub struct Plan {
	pub schema: u32,
	pub category: String,
	pub layout: Layout,
	pub values: Vec<u64>,
}

/// What will happen to a record's reports, decided before anything is sent.
pub enum Planned {
	/// No report, and why (one line, not an error).
	Skip(String),
	/// One report per schema of the record's categories, under `epoch`.
	Reports { genesis: [u8; 32], epoch: Epoch, keys: Vec<[u8; 32]>, plans: Vec<Plan> },
}

/// Whether and from what a record gets its reports.
pub enum Reporting<'a> {
	/// Values the person gave (`--value`): a name no schema field has is an error (a typo).
	Given(&'a Given),
	/// Values a device measured (the wearable): those the schema does not name are ignored.
	Measured(&'a Given),
	/// No report, and why.
	Without(String),
}

/// Decides a record's reports: for each of `categories` with a schema, the values of its fields
/// from the given values and the FHIR `body`. Reads the chain only; an invalid or missing value
/// is an error (exit 2) before anything is sent.
pub async fn plan(
	chain: &Chain,
	categories: &[Category],
	reporting: &Reporting<'_>,
	body: &[u8],
) -> Result<Planned, Error> {
	let (given, strict) = match reporting {
		Reporting::Given(given) => (*given, true),
		Reporting::Measured(given) => (*given, false),
		Reporting::Without(note) => return Ok(Planned::Skip(note.clone())),
	};
	if !has_statistics(chain).await? {
		return Ok(Planned::Skip("no statistics report: this chain has no private statistics (its runtime lacks StatisticsApi)".into()));
	}
	let mut schemas = Vec::new();
	for &category in categories {
		if let Some(id) = schema_of(chain, category).await? {
			schemas.push(id);
		}
	}
	let names = || categories.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ");
	if schemas.is_empty() {
		return Ok(Planned::Skip(format!(
			"no statistics report: no statistic schema is registered for {}",
			names()
		)));
	}
	let Some(epoch) = active_epoch(chain).await? else {
		return Ok(Planned::Skip(format!(
			"no statistics report: no aggregator epoch is active (once one is: custodia report submit --record ID) — {} has a schema",
			names()
		)));
	};
	let keys = epoch.all_keys().map_err(Error::Refused)?;
	let fhir = fhir_quantities(body);
	let mut plans = Vec::new();
	for id in schemas {
		let registered = registered_schema(chain, id).await?;
		let layout = registered.schema.layout(keys.len()).map_err(|e| {
			Error::Refused(format!("schema {id} cannot be used with epoch {}: {e}", epoch.id))
		})?;
		let values = measurement(&registered.schema, given, &fhir)
			.map_err(|e| Error::Usage(format!("the record's statistics report (schema {id}, {}): {e}; or add it without a report: --no-report", category_name(&registered.schema.category))))?;
		custodia_statistics::report::check_values(&layout, &values)
			.map_err(|e| Error::Usage(format!("schema {id}: {e}")))?;
		plans.push(Plan {
			schema: id,
			category: registered.schema.category.clone(),
			layout,
			values,
		});
	}
	let unknown: Vec<&str> = given
		.keys()
		.filter(|_| strict)
		.filter(|name| {
			!plans.iter().any(|p| p.layout.schema.fields.iter().any(|f| &&f.name == name))
		})
		.map(String::as_str)
		.collect();
	if !unknown.is_empty() {
		let fields: Vec<String> = plans.iter().map(|p| field_list(&p.layout.schema)).collect();
		return Err(Error::Usage(format!(
			"--value {}: no field of that name in the schema of this record (fields: {})",
			unknown.join(", "),
			fields.join("; ")
		)));
	}
	Ok(Planned::Reports { genesis: chain.genesis_hash(), epoch, keys, plans })
}

/// A report that was submitted.
#[derive(Clone, Debug)]
pub struct Submitted {
	pub id: [u8; 16],
	pub schema: u32,
	pub category: String,
	pub epoch: u32,
	pub cid: String,
	pub size: usize,
	pub block: u64,
}

impl Submitted {
	pub fn to_json(&self) -> Json {
		json!({
			"report": format!("0x{}", hex::encode(self.id)), "schema": self.schema, "category": category_name(&self.category),
			"epoch": self.epoch, "cid": self.cid, "size": self.size, "block": self.block, "status": "Pending",
		})
	}

	pub fn line(&self, owner: &str, record: u64) -> String {
		format!(
			"report 0x{} (schema {}, epoch {}) in block {}: {} ({} bytes, shares sealed to the aggregators); pending verification — custodia report status --as {owner} --record {record}",
			hex::encode(self.id),
			self.schema,
			self.epoch,
			self.block,
			self.cid,
			self.size
		)
	}
}

/// The report of `plan` for record `record` of `owner` (32-byte account), bound to the chain
/// (`genesis`) and aggregator epoch `epoch`, sealed to the epoch's `keys` in order.
pub fn make(
	plan: &Plan,
	genesis: [u8; 32],
	epoch: u32,
	keys: &[[u8; 32]],
	owner: [u8; 32],
	record: u64,
) -> Result<Report, Error> {
	let binding = Binding { genesis, epoch, schema: plan.layout.schema_id, owner, record };
	Report::generate(&plan.layout, &plan.values, &binding, keys)
		.map_err(|e| Error::Usage(format!("cannot make the report of schema {}: {e}", plan.schema)))
}

/// Makes, stores and submits the planned reports of record `record` (owned by `me`).
pub async fn submit(
	chain: &Chain,
	ipfs: &Ipfs,
	me: &Identity,
	record: u64,
	planned: &Planned,
) -> Result<Vec<Submitted>, Error> {
	let Planned::Reports { genesis, epoch, keys, plans } = planned else { return Ok(Vec::new()) };
	let mut submitted = Vec::new();
	for plan in plans {
		let report = make(plan, *genesis, epoch.id, keys, me.keypair.public_key().0, record)?;
		let bytes = report.to_bytes();
		let (hash, size) = (content_hash(&bytes), bytes.len());
		let cid = ipfs.add(bytes, true).await?;
		let call = custodia::transactions().statistics().submit_report(
			record,
			plan.schema,
			report.id,
			BoundedVec(cid.as_bytes().to_vec()),
			H256(hash),
			u32::try_from(size)
				.map_err(|_| Error::Usage(format!("a report of {size} bytes is too large")))?,
		);
		let included = unpin_if_refused(ipfs, &cid, chain.submit(&call, &me.keypair).await).await?;
		included.find::<ReportSubmitted>()?;
		submitted.push(Submitted {
			id: report.id,
			schema: plan.schema,
			category: plan.category.clone(),
			epoch: epoch.id,
			cid,
			size,
			block: included.block,
		});
	}
	Ok(submitted)
}

/// What happened to a record's reports, for `record add` and the wearable.
pub enum Outcome {
	/// None was made, and why.
	Skipped(String),
	Submitted(Vec<Submitted>),
}

impl Outcome {
	/// JSON fields: `reports` (submitted) and `report_note` (why none).
	pub fn add_to(&self, data: &mut Json) {
		match self {
			Outcome::Skipped(note) => {
				data["reports"] = json!([]);
				data["report_note"] = json!(note);
			},
			Outcome::Submitted(reports) => {
				data["reports"] = json!(reports.iter().map(Submitted::to_json).collect::<Vec<_>>())
			},
		}
	}

	/// Text lines.
	pub fn lines(&self, owner: &str, record: u64) -> Vec<String> {
		match self {
			Outcome::Skipped(note) => vec![note.clone()],
			Outcome::Submitted(reports) => reports.iter().map(|r| r.line(owner, record)).collect(),
		}
	}
}

/// Why a report is not counted, in words (the chain's `RejectionReason`).
pub fn rejection_words(reason: &str) -> String {
	match reason {
		"Malformed" => "the report is malformed",
		"WrongContext" => "it was made for another schema, aggregator epoch or chain",
		"ReportIdMismatch" => "its id does not match its owner, record, epoch, schema and chain (a copy of another report)",
		"ShareDoesNotOpen" => "an aggregator's share does not open under this record (a copy, or sealed to another aggregator)",
		"MalformedShare" => "a share does not decode for the schema",
		"WrongLength" => "it has the wrong number of shares or parts for the epoch",
		"MalformedVerifierShare" => "an aggregator's verifier share for it is malformed",
		"InvalidProof" => "its proof fails: a value out of its field's range, or a histogram vote that is not exactly one bucket",
		"Replayed" => "its id was seen before (a replayed report)",
		"Unreachable" => "IPFS did not deliver the report in time",
		"TooLarge" => "the report is larger than registered or than a report may be",
		"HashMismatch" => "the report in IPFS does not match its registered hash",
		"VerificationTimeout" => "not every aggregator verified its batch before the deadline",
		other => return format!("{other} (a reason this client does not know)"),
	}
	.to_string()
}

/// A report as `report status` shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
	pub id: String,
	pub record: u64,
	pub schema: u32,
	pub epoch: u32,
	pub cid: String,
	pub size: u64,
	pub batch: u64,
	/// `Pending`, `Verified` or `Rejected`.
	pub state: String,
	pub at: Option<u64>,
	/// The rejection reason's variant name.
	pub reason: Option<String>,
}

impl Status {
	/// A `(ReportId, ReportInfo)` pair (what `reports_of` lists).
	pub fn from_chain((id, info): ChainReport) -> Self {
		// A generated unit variant's `Debug` is its name.
		let (state, at, reason) = match info.status {
			ReportStatus::Pending => ("Pending", None, None),
			ReportStatus::Verified { at } => ("Verified", Some(at.into()), None),
			ReportStatus::Rejected { reason, at } => {
				("Rejected", Some(at.into()), Some(format!("{reason:?}")))
			},
		};
		Self {
			id: format!("0x{}", hex::encode(id)),
			record: info.record,
			schema: info.schema,
			epoch: info.epoch,
			cid: String::from_utf8_lossy(&info.object.cid).into_owned(),
			size: info.size.into(),
			batch: info.batch.into(),
			state: state.to_string(),
			at,
			reason,
		}
	}

	/// Where it stands, in words; `active` is the active epoch.
	pub fn words(&self, active: Option<u32>) -> String {
		let verdict = match (self.state.as_str(), self.at, &self.reason) {
			("Verified", Some(at), _) => format!("verified in block {at}: it counts in statistics"),
			("Rejected", Some(at), Some(reason)) => {
				format!("rejected in block {at}: {}", rejection_words(reason))
			},
			("Pending", ..) => {
				format!("pending: the aggregators are verifying its batch (block {})", self.batch)
			},
			(other, ..) => other.to_string(),
		};
		match active {
			Some(active) if active != self.epoch && self.state != "Rejected" =>
				format!("{verdict} — but epoch {} is no longer active (epoch {active} is): submit a new report to count again", self.epoch),
			_ => verdict,
		}
	}

	pub fn to_json(&self, active: Option<u32>) -> Json {
		json!({
			"report": self.id, "record": self.record, "schema": self.schema, "epoch": self.epoch, "cid": self.cid,
			"size": self.size, "batch": self.batch, "status": self.state, "at": self.at, "reason": self.reason,
			"reason_text": self.reason.as_deref().map(rejection_words), "current_epoch": active == Some(self.epoch),
			"summary": self.words(active),
		})
	}
}

pub async fn run(cli: &Cli, command: &ReportCommand, out: &mut Output) -> Result<(), Error> {
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	require_statistics(&chain).await?;
	match command {
		ReportCommand::Status { who, record } => {
			let me = cli.identity(&who.name)?;
			let owner = me.keypair.public_key().to_account_id();
			let listed = chain
				.call_api(custodia::runtime_apis().statistics_api().reports_of(owner))
				.await?;
			let mut reports = listed.into_iter().map(Status::from_chain).collect::<Vec<_>>();
			reports.retain(|r| record.is_none_or(|record| r.record == record));
			let active = active_epoch(&chain).await?.map(|e| e.id);
			out.emit(json!(reports.iter().map(|r| r.to_json(active)).collect::<Vec<_>>()), || {
				let of = record.map(|r| format!(" of record {r}")).unwrap_or_default();
				let mut lines = vec![format!("{} reports{of}", reports.len())];
				lines.extend(reports.iter().map(|r| {
					format!(
						"  {}  record {}, schema {}, epoch {}: {}",
						r.id,
						r.record,
						r.schema,
						r.epoch,
						r.words(active)
					)
				}));
				lines
			});
		},
		ReportCommand::Submit { who, record, values, ipfs } => {
			let me = cli.identity(&who.name)?;
			let given = values.given()?;
			let ipfs = ipfs.client()?;
			let info = stored(&chain, *record).await?;
			let categories: Vec<Category> =
				info.categories.0.into_iter().map(Category::from).collect();
			let (_, body) = open_own(&chain, &ipfs, &me, *record).await?;
			let planned = plan(&chain, &categories, &Reporting::Given(&given), &body).await?;
			if let Planned::Skip(note) = &planned {
				return Err(Error::Refused(format!("record {record}: {note}")));
			}
			let spinner =
				progress::spinner(cli.json(), "making, storing and submitting the report");
			let submitted = submit(&chain, &ipfs, &me, *record, &planned).await;
			spinner.finish_and_clear();
			let outcome = Outcome::Submitted(submitted?);
			let mut data = json!({ "record": record });
			outcome.add_to(&mut data);
			out.emit(data, || outcome.lines(&who.name, *record));
		},
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use custodia_statistics::schema::FieldSpec;

	fn schema() -> Schema {
		Schema {
			category: "VitalSigns".into(),
			fields: vec![
				FieldSpec::new("8867-4", "/min", 250),
				FieldSpec::new("age", "a", 120).with_buckets(vec![18, 65]),
				FieldSpec::new("temperature", "0.1 Cel", 450),
			],
		}
	}

	fn bundle() -> Vec<u8> {
		serde_json::to_vec(&json!({
			"resourceType": "Bundle", "type": "collection",
			"entry": [
				{ "resource": { "resourceType": "Observation", "code": { "coding": [{ "system": "http://loinc.org", "code": "8867-4" }] },
					"valueQuantity": { "value": 71.6, "unit": "/min", "code": "/min" } } },
				{ "resource": { "resourceType": "Observation", "code": { "coding": [{ "code": "85354-9" }] }, "component": [
					{ "code": { "coding": [{ "code": "8480-6" }] }, "valueQuantity": { "value": 121, "code": "mm[Hg]" } },
				] } },
				{ "resource": { "resourceType": "Observation", "code": { "coding": [{ "code": "temperature" }] },
					"valueQuantity": { "value": 36.7, "code": "Cel" } } },
			],
		}))
		.unwrap()
	}

	#[test]
	fn values_parse_as_name_equals_whole_number() {
		assert_eq!(parse_value("heart_rate=72").unwrap(), ("heart_rate".into(), 72));
		assert_eq!(parse_value(" age = 40 ").unwrap(), ("age".into(), 40));
		for (bad, says) in [
			("72", "NAME=VALUE"),
			("=3", "name is empty"),
			("t=36.7", "whole number"),
			("age=-1", "whole number"),
		] {
			let err = parse_value(bad).unwrap_err();
			assert!(err.contains(says), "{bad}: {err}");
		}
	}

	#[test]
	fn a_values_file_joins_the_command_lines_values_and_a_name_is_given_once() {
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("values");
		std::fs::write(&file, "systolic=121, diastolic=79\nspo2=97\n").unwrap();
		let args =
			ValueArgs { values: vec![("heart_rate".into(), 72)], values_file: Some(file.clone()) };
		let given = args.given().map_err(|e| e.to_string()).unwrap();
		assert_eq!(
			given.into_iter().collect::<Vec<_>>(),
			[("diastolic", 79), ("heart_rate", 72), ("spo2", 97), ("systolic", 121)]
				.map(|(n, v)| (n.to_string(), v))
		);
		let twice = ValueArgs { values: vec![("spo2".into(), 98)], values_file: Some(file) };
		assert!(twice.given().unwrap_err().to_string().contains("spo2 is given twice"));
		std::fs::write(dir.path().join("bad"), "spo2=97 t=36.7").unwrap();
		let bad = ValueArgs { values: vec![], values_file: Some(dir.path().join("bad")) };
		assert!(bad.given().unwrap_err().to_string().contains("whole number"));
	}

	#[test]
	fn the_bundle_gives_quantities_by_code_with_their_units() {
		let found = fhir_quantities(&bundle());
		assert_eq!(found["8867-4"], vec![(71.6, "/min".to_string())]);
		assert_eq!(found["8480-6"], vec![(121.0, "mm[Hg]".to_string())], "components count");
		assert!(!found.contains_key("85354-9"), "a panel without its own value gives nothing");
		assert!(fhir_quantities(b"not json").is_empty());
	}

	#[test]
	fn values_map_by_field_name_given_first_then_the_bundle_in_the_fields_unit() {
		let fhir = fhir_quantities(&bundle());
		let given = Given::from([("age".to_string(), 40), ("temperature".to_string(), 367)]);
		assert_eq!(
			measurement(&schema(), &given, &fhir).unwrap(),
			vec![72, 40, 367],
			"heart rate from the bundle, rounded"
		);
		let given = Given::from([
			("8867-4".to_string(), 80),
			("age".to_string(), 40),
			("temperature".to_string(), 367),
		]);
		assert_eq!(
			measurement(&schema(), &given, &fhir).unwrap(),
			vec![80, 40, 367],
			"a given value wins"
		);
	}

	#[test]
	fn missing_and_out_of_range_values_are_named_with_the_schemas_fields() {
		let fhir = fhir_quantities(&bundle());
		// Temperature is in the bundle in Cel, the field is in 0.1 Cel: not taken.
		let err =
			measurement(&schema(), &Given::from([("age".to_string(), 40)]), &fhir).unwrap_err();
		assert!(err.contains("no value for temperature"), "{err}");
		assert!(
			err.contains("8867-4 [/min] 0..=250, age [a] 0..=120, temperature [0.1 Cel] 0..=450"),
			"{err}"
		);
		let err = measurement(
			&schema(),
			&Given::from([("age".to_string(), 121), ("temperature".to_string(), 367)]),
			&fhir,
		)
		.unwrap_err();
		assert!(err.contains("age = 121 is outside 0..=120 [a]"), "{err}");
		let hot = serde_json::to_vec(&json!({ "resourceType": "Bundle", "type": "collection", "entry": [
			{ "resource": { "resourceType": "Observation", "code": { "coding": [{ "code": "8867-4" }] }, "valueQuantity": { "value": -3, "code": "/min" } } },
		] }))
		.unwrap();
		let err = measurement(
			&schema(),
			&Given::from([("age".to_string(), 1), ("temperature".to_string(), 1)]),
			&fhir_quantities(&hot),
		)
		.unwrap_err();
		assert!(err.contains("8867-4 = -3 (from the FHIR Bundle) is outside"), "{err}");
	}

	#[test]
	fn two_readings_of_one_code_are_ambiguous_and_not_guessed() {
		let twice = serde_json::to_vec(&json!({ "resourceType": "Bundle", "type": "collection", "entry": [
			{ "resource": { "code": { "coding": [{ "code": "8867-4" }] }, "valueQuantity": { "value": 70, "code": "/min" } } },
			{ "resource": { "code": { "coding": [{ "code": "8867-4" }] }, "valueQuantity": { "value": 90, "code": "/min" } } },
		] }))
		.unwrap();
		let given = Given::from([("age".to_string(), 1), ("temperature".to_string(), 1)]);
		assert!(measurement(&schema(), &given, &fhir_quantities(&twice))
			.unwrap_err()
			.contains("no value for 8867-4"));
	}

	#[test]
	fn report_statuses_read_from_chain_values() {
		use crate::runtime::custodia::runtime_types::custodia_primitives::{
			fhe::IpfsRef,
			statistics::{RejectionReason, ReportInfo2 as ReportInfo},
		};
		use subxt::utils::AccountId32;
		let info = |status| {
			(
				[0xab; 16],
				ReportInfo {
					owner: AccountId32([1; 32]),
					record: 5,
					schema: 2,
					epoch: 4,
					object: IpfsRef { cid: b"bafyreport".to_vec(), hash: H256([0; 32]) },
					size: 6936,
					batch: 30,
					status,
				},
			)
		};
		let rejected = Status::from_chain(info(ReportStatus::Rejected {
			reason: RejectionReason::InvalidProof,
			at: 33,
		}));
		assert_eq!(
			(
				rejected.id.as_str(),
				rejected.record,
				rejected.cid.as_str(),
				rejected.reason.as_deref()
			),
			("0xabababababababababababababababab", 5, "bafyreport", Some("InvalidProof"))
		);
		assert!(
			rejected.words(Some(4)).starts_with(
				"rejected in block 33: its proof fails: a value out of its field's range"
			),
			"{}",
			rejected.words(Some(4))
		);
		let verified = Status::from_chain(info(ReportStatus::Verified { at: 31 }));
		assert_eq!(verified.words(Some(4)), "verified in block 31: it counts in statistics");
		assert!(verified.words(Some(5)).contains("epoch 4 is no longer active (epoch 5 is)"));
		let pending = Status::from_chain(info(ReportStatus::Pending));
		assert_eq!(
			pending.words(Some(4)),
			"pending: the aggregators are verifying its batch (block 30)"
		);
		assert_eq!(pending.to_json(Some(4))["status"], "Pending");
	}

	#[test]
	fn a_report_made_here_verifies_at_aggregators_that_build_the_schema_from_the_same_chain_parts()
	{
		use crate::runtime::DataCategory;
		use custodia_statistics::{
			aggregator::{Aggregator, VerifierShares},
			envelope::KeyPair,
			schema::FieldParts,
			verify_key::{derive_verify_key, Contribution},
		};
		let (genesis, epoch, owner, record) = ([9u8; 32], 4u32, [5u8; 32], 17u64);
		// The chain's schema, as `StatisticsApi::schema` gives it to the client.
		let field = |name: &str, unit: &str, max: u64, buckets: Option<Vec<u64>>| {
			crate::runtime::custodia::runtime_types::custodia_primitives::statistics::SchemaField {
				name: name.as_bytes().to_vec(),
				unit: unit.as_bytes().to_vec(),
				max,
				buckets,
			}
		};
		let chain_schema =
			crate::runtime::custodia::runtime_types::custodia_primitives::statistics::StatisticSchema {
				category: DataCategory::WearableReadings,
				fields: vec![
					field("8867-4", "/min", 250, Some(vec![60, 100])),
					field("steps", "{steps}", 8000, None),
				],
			};
		let schema = crate::schema::from_chain_schema(&chain_schema).unwrap();
		let values = measurement(
			&schema,
			&Given::from([("steps".to_string(), 1234)]),
			&fhir_quantities(&bundle()),
		)
		.unwrap();
		assert_eq!(values, vec![72, 1234]);

		// The aggregators (the worker): keys, a verify key, and the schema from the same parts.
		let keys: Vec<KeyPair> = (0..2).map(|_| KeyPair::generate().unwrap()).collect();
		let publics: Vec<[u8; 32]> = keys.iter().map(KeyPair::public).collect();
		let contributions: Vec<Contribution> = (0..2)
			.map(|i| Contribution::generate(genesis, epoch, i, &publics).unwrap())
			.collect();
		let aggregators_for = |category: &str| -> Vec<Aggregator> {
			let parts: Vec<FieldParts<'_>> = vec![
				(&b"8867-4"[..], &b"/min"[..], 250, Some(&[60u64, 100][..])),
				(&b"steps"[..], &b"{steps}"[..], 8000, None),
			];
			let layout = Schema::from_parts(category, parts).unwrap().layout(2).unwrap();
			(0..2)
				.map(|i| {
					let vk =
						derive_verify_key(&genesis, epoch, i, 2, &keys[i], &contributions).unwrap();
					Aggregator::new(layout.clone(), i, keys[i].clone(), vk, genesis, epoch).unwrap()
				})
				.collect()
		};

		let plan = Plan {
			schema: 1,
			category: schema.category.clone(),
			layout: schema.layout(2).unwrap(),
			values,
		};
		let Ok(made) = make(&plan, genesis, epoch, &publics, owner, record) else {
			panic!("the report is made")
		};
		let report = Report::from_bytes(&made.to_bytes()).unwrap();
		let binding = |aggregator: &Aggregator| Binding {
			genesis,
			epoch,
			schema: aggregator.layout().schema_id,
			owner,
			record,
		};

		let aggregators = aggregators_for("WearableReadings");
		let (pendings, shares): (Vec<_>, Vec<VerifierShares>) =
			aggregators.iter().map(|a| a.verify_init(&binding(a), &report).unwrap()).unzip();
		let outputs: Vec<_> = aggregators
			.iter()
			.zip(pendings)
			.map(|(a, p)| a.finish(p, &shares).unwrap())
			.collect();
		let layout = aggregators[0].layout();
		let total = |i: usize| u128::from(outputs[0].values[i] + outputs[1].values[i]);
		assert_eq!(total(0), 1, "presence");
		assert_eq!(
			(total(layout.sum_index[0]), total(layout.sum_index[1])),
			(72, 1234),
			"the record's values, summed from the shares"
		);
		let histogram = layout.histogram_range[0].clone().unwrap();
		assert_eq!(histogram.map(total).collect::<Vec<_>>(), vec![0, 1, 0], "72 is in [60, 100)");

		// A worker that names the category otherwise builds another schema: nothing verifies.
		let kebab = aggregators_for("wearable-readings");
		assert!(kebab.iter().all(|a| a.verify_init(&binding(a), &report).is_err()));
		// Nor does the report under another owner or record (a copy).
		let a = &aggregators[0];
		assert!(a.verify_init(&Binding { owner: [6; 32], ..binding(a) }, &report).is_err());
		assert!(a.verify_init(&Binding { record: 18, ..binding(a) }, &report).is_err());
	}

	#[test]
	fn every_rejection_reason_reads_as_words() {
		for reason in [
			"Malformed",
			"WrongContext",
			"ReportIdMismatch",
			"ShareDoesNotOpen",
			"MalformedShare",
			"WrongLength",
			"MalformedVerifierShare",
			"InvalidProof",
			"Replayed",
			"Unreachable",
			"TooLarge",
			"HashMismatch",
			"VerificationTimeout",
		] {
			assert!(!rejection_words(reason).contains(reason), "{reason}");
		}
		assert!(rejection_words("Novel").contains("does not know"));
	}
}
