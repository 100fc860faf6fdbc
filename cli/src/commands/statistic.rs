//! Private cohort statistics (Prio3, the `Statistics` pallet; `docs/statistics.md`): governance
//! registers a statistic schema per data category, names an epoch's aggregators and sets the
//! differential-privacy parameters; institutions enrol the people they vouch for and ask for a
//! count, sum, mean or histogram over the people who consented to a purpose; anyone reads what
//! was published, with its ε and its noise. No record and no value is ever decrypted: each
//! aggregator sums shares and adds noise; the chain adds the aggregators' shares up.

use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand};
use custodia_statistics::schema::{FieldSpec, Schema, Statistic};
use serde_json::{json, Value as Json};
use subxt::utils::AccountId32;

use crate::output::Output;
use crate::{
	chain::{account_id, event_as, Chain},
	codes::{Category, Purpose},
	consent::AsArgs,
	govern::{self, Enacted},
	output, progress,
	runtime::{
		custodia::{
			self,
			runtime_apis::statistics_api,
			runtime_types::{
				bounded_collections::bounded_vec::BoundedVec,
				custodia_primitives::statistics::{
					EpsilonMillis, PrivacyParameters, StatisticFailure, StatisticKind,
					StatisticStatus,
				},
			},
			statistics::events::{
				AggregatorEpochStarted, SchemaRegistered, StatisticFailed, StatisticPublished,
				StatisticRequested,
			},
		},
		DataCategory, PurposeOfUse,
	},
	schema::{self, buckets, category_name, parse_field, resolve_fields},
	statistics::{
		active_epoch, pending_epoch, registered_schema, require_statistics, schema_of, Epoch,
	},
	Cli, Error,
};

/// A statistic job as `StatisticsApi::statistic_job` answers it.
type ChainJob = <statistics_api::statistic_job::output::Output as IntoIterator>::Item;
/// A published statistic as `StatisticsApi::published_statistic` answers it.
type ChainPublished = <statistics_api::published_statistic::output::Output as IntoIterator>::Item;

#[derive(Subcommand)]
pub enum StatisticCommand {
	/// Statistic schemas: the fields a category's reports carry, their ranges (enforced by each
	/// report's proof) and histogram buckets.
	#[command(subcommand)]
	Schema(SchemaCommand),
	/// Aggregator epochs: the evaluators that verify reports and compute statistics.
	#[command(subcommand)]
	Epoch(EpochCommand),
	/// Differential privacy: ε per statistic, and each institution's budget per period.
	#[command(subcommand)]
	Privacy(PrivacyCommand),
	/// (Institution) Enrol a person you vouch for: they count in statistics that other
	/// institutions ask for (a person counts only when enrolled by an institution other than the
	/// requester, so that accounts an institution made itself do not).
	///
	/// Example: custodia statistic enrol --as clinic 5Grw… 5FHn…
	Enrol {
		#[command(flatten)]
		who: AsArgs,
		/// The people: account addresses, or names of identities in the key folder. Several are
		/// submitted at once, with consecutive nonces.
		#[arg(required = true)]
		people: Vec<String>,
	},
	/// (Institution) Withdraw an enrolment you made.
	///
	/// Example: custodia statistic unenrol --as clinic 5Grw…
	Unenrol {
		#[command(flatten)]
		who: AsArgs,
		/// The people: account addresses, or names of identities in the key folder.
		#[arg(required = true)]
		people: Vec<String>,
	},
	/// (Institution) Ask for a statistic of a schema's fields over the people with a live
	/// consortium-wide grant for the purpose and the schema's category (their newest verified
	/// report of the active epoch each). It spends ε of your budget for (purpose, category).
	///
	/// With --wait: exit 0 once published (the values are printed), 1 if it failed (the reason
	/// is printed) or no outcome came within --timeout.
	///
	/// Examples: custodia statistic request --as clinic --schema 1 --mean heart_rate --purpose PUBHLTH --wait;
	/// custodia statistic request --as clinic --schema 1 --histogram age,heart_rate --purpose HRESCH
	Request(RequestArgs),
	/// Show a statistic job: what was asked, and once published its values (each with the
	/// standard deviation of its noise), ε, the number of reports and aggregators; or why it
	/// failed.
	///
	/// With --wait: wait for the outcome; exit 0 once published, 1 if it failed or no outcome came
	/// within --timeout.
	///
	/// Example: custodia statistic show 7 --wait
	Show {
		/// The statistic job.
		job: u64,
		#[command(flatten)]
		wait: WaitArgs,
	},
}

#[derive(Subcommand)]
pub enum SchemaCommand {
	/// (Governance: sudo, or a council motion) Register the statistic schema of a data category
	/// (it replaces the category's current one; reports of the old one stay readable).
	///
	/// Example: custodia statistic schema register --as alice --category vital-signs --field age:a:120:18,40,65 --field systolic:mm[Hg]:300
	Register {
		#[command(flatten)]
		who: AsArgs,
		/// The data category.
		#[arg(long)]
		category: Category,
		/// A field, in order: NAME:UNIT:MAX (reports prove 0 ≤ value ≤ MAX), or
		/// NAME:UNIT:MAX:B1,B2,… for a field with a histogram (buckets [0, B1), [B1, B2), …,
		/// [Bk, MAX]). Repeat for each field.
		#[arg(long = "field", value_name = "NAME:UNIT:MAX[:B1,B2,…]", required = true, value_parser = parse_field)]
		fields: Vec<FieldSpec>,
	},
	/// Show statistic schemas: a category's current one, one by id, or every category's.
	///
	/// Example: custodia statistic schema show --category vital-signs
	Show {
		/// The category whose current schema to show.
		#[arg(long, conflicts_with = "id")]
		category: Option<Category>,
		/// The schema with this id (also a superseded one).
		#[arg(long)]
		id: Option<u32>,
	},
}

#[derive(Subcommand)]
pub enum EpochCommand {
	/// (Governance: sudo, or a council motion) Start an aggregator epoch: the named evaluators
	/// post their HPKE keys and agree a verification key; the epoch is active once all have.
	/// Reports are made for the active epoch.
	///
	/// Example: custodia statistic epoch start --as alice --aggregator alice-node --aggregator 5FHneW…
	Start {
		#[command(flatten)]
		who: AsArgs,
		/// An aggregator (an active evaluator), in order: an account address, or the name of an
		/// identity in the key folder. At least two (Prio3 is private while one is honest).
		#[arg(
			long = "aggregator",
			value_name = "NAME_OR_ADDRESS",
			value_delimiter = ',',
			required = true
		)]
		aggregators: Vec<String>,
	},
	/// Show the active aggregator epoch and the one being set up.
	///
	/// Example: custodia statistic epoch show
	Show,
}

#[derive(Subcommand)]
pub enum PrivacyCommand {
	/// (Governance: sudo, or a council motion) Set the differential-privacy parameters.
	///
	/// Example: custodia statistic privacy set --as alice --epsilon 0.5 --budget 2 --period 14400
	Set {
		#[command(flatten)]
		who: AsArgs,
		/// ε one statistic spends (up to 3 decimals).
		#[arg(long, value_parser = parse_epsilon)]
		epsilon: u32,
		/// ε one institution may spend per (purpose, category) per period.
		#[arg(long, value_parser = parse_epsilon)]
		budget: u32,
		/// The budget period, in blocks (a block is 6 s: 14400 ≈ one day).
		#[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
		period: u32,
	},
	/// Show the privacy parameters, and with --institution, --purpose and --category what that
	/// institution has spent this period.
	///
	/// Example: custodia statistic privacy show --institution clinic --purpose PUBHLTH --category vital-signs
	Show {
		/// The institution: an account address, or the name of an identity in the key folder.
		#[arg(long, requires_all = ["purpose", "category"])]
		institution: Option<String>,
		#[arg(long, requires = "institution")]
		purpose: Option<Purpose>,
		#[arg(long, requires = "institution")]
		category: Option<Category>,
	},
}

/// What a statistic computes; field lists name fields (or their indices) of the schema.
#[derive(Args, Clone, Debug, Default)]
#[command(group(ArgGroup::new("kind").required(true).args(["count", "sum", "mean", "histogram"])))]
pub struct KindArgs {
	/// The number of people in the cohort.
	#[arg(long)]
	count: bool,
	/// The sum of each listed field.
	#[arg(long, value_name = "FIELD,…", value_delimiter = ',')]
	sum: Vec<String>,
	/// The mean of each listed field (published as the sums and a noisy count; the mean is each sum
	/// over the exact number of reports).
	#[arg(long, value_name = "FIELD,…", value_delimiter = ',')]
	mean: Vec<String>,
	/// The histogram of each listed field (fields with buckets).
	#[arg(long, value_name = "FIELD,…", value_delimiter = ',')]
	histogram: Vec<String>,
}

impl KindArgs {
	/// The statistic, checked against `schema`.
	pub fn statistic(&self, schema: &Schema) -> Result<Statistic, String> {
		let statistic = if self.count {
			Statistic::Count
		} else if !self.sum.is_empty() {
			Statistic::Sum { fields: resolve_fields(schema, &self.sum)? }
		} else if !self.mean.is_empty() {
			Statistic::Mean { fields: resolve_fields(schema, &self.mean)? }
		} else if !self.histogram.is_empty() {
			Statistic::Histogram { fields: resolve_fields(schema, &self.histogram)? }
		} else {
			return Err("give one of --count, --sum, --mean, --histogram".into());
		};
		statistic.validate(schema).map_err(|e| e.to_string())?;
		Ok(statistic)
	}
}

/// Waiting for a statistic's outcome.
#[derive(Args, Clone, Debug)]
pub struct WaitArgs {
	/// Wait until the statistic is published or fails.
	#[arg(long)]
	wait: bool,
	/// With --wait: give up after this many seconds.
	#[arg(long, default_value_t = 600, requires = "wait")]
	timeout: u64,
}

#[derive(Args)]
pub struct RequestArgs {
	#[command(flatten)]
	who: AsArgs,
	/// The statistic schema (`custodia statistic schema show`).
	#[arg(long)]
	schema: u32,
	#[command(flatten)]
	kind: KindArgs,
	/// The purpose the cohort consented to (PUBHLTH, HRESCH or POPHLTH).
	#[arg(long)]
	purpose: Purpose,
	#[command(flatten)]
	wait: WaitArgs,
}

/// `0.5` → 500: ε as thousandths, at most 3 decimals, above 0.
pub fn parse_epsilon(text: &str) -> Result<u32, String> {
	let bad = || format!("`{text}`: ε is a number above 0 with at most 3 decimals, e.g. 0.5");
	let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
	if (whole.is_empty() && fraction.is_empty())
		|| fraction.len() > 3
		|| !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit())
	{
		return Err(bad());
	}
	let whole: u32 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
	let fraction: u32 = format!("{fraction:0<3}").parse().map_err(|_| bad())?;
	let millis = whole.checked_mul(1000).and_then(|w| w.checked_add(fraction)).ok_or_else(bad)?;
	if millis == 0 {
		return Err(bad());
	}
	Ok(millis)
}

/// 500 → `0.5`, 2000 → `2`.
pub fn epsilon_text(millis: u32) -> String {
	let text = format!("{}.{:03}", millis / 1000, millis % 1000);
	text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The chain's `StatisticKind` of a statistic.
pub fn kind_value(statistic: &Statistic) -> StatisticKind<BoundedVec<u16>> {
	let list = |fields: &[u16]| BoundedVec(fields.to_vec());
	match statistic {
		Statistic::Count => StatisticKind::Count,
		Statistic::Sum { fields } => StatisticKind::Sum(list(fields)),
		Statistic::Mean { fields } => StatisticKind::Mean(list(fields)),
		Statistic::Histogram { fields } => StatisticKind::Histogram(list(fields)),
	}
}

/// A `StatisticKind` as the engine's statistic.
pub fn kind_from_chain(kind: StatisticKind<Vec<u16>>) -> Statistic {
	match kind {
		StatisticKind::Count => Statistic::Count,
		StatisticKind::Sum(fields) => Statistic::Sum { fields },
		StatisticKind::Mean(fields) => Statistic::Mean { fields },
		StatisticKind::Histogram(fields) => Statistic::Histogram { fields },
	}
}

/// A statistic as words: `mean of heart_rate, systolic`.
pub fn kind_text(statistic: &Statistic, schema: &Schema) -> String {
	let names = |fields: &[u16]| {
		fields
			.iter()
			.map(|&f| {
				schema
					.fields
					.get(f as usize)
					.map_or_else(|| format!("field {f}"), |s| s.name.clone())
			})
			.collect::<Vec<_>>()
			.join(", ")
	};
	match statistic {
		Statistic::Count => "count".into(),
		Statistic::Sum { fields } => format!("sum of {}", names(fields)),
		Statistic::Mean { fields } => format!("mean of {}", names(fields)),
		Statistic::Histogram { fields } => format!("histogram of {}", names(fields)),
	}
}

/// Why a statistic job failed, in words (the chain's `StatisticFailure`).
pub fn failure_words(name: &str, number: Option<u64>, deadline: u64) -> String {
	match (name, number) {
		("CohortTooSmall", Some(reports)) => format!(
			"only {reports} verified reports were in the cohort, fewer than the smallest cohort the chain allows (k); nothing was published"
		),
		("SharesDisagree", _) => "the aggregators' shares disagree (on the cohort, the number of reports or the noise); nothing was published".into(),
		("Timeout", Some(missing)) => format!(
			"{missing} aggregator(s) did not submit a share before the deadline (block {deadline}): offline or withholding; nothing was published"
		),
		(other, _) => format!("{other} (a reason this client does not know); nothing was published"),
	}
}

/// Where a job stands.
#[derive(Clone, Debug, PartialEq)]
pub enum JobStatus {
	AwaitingShares,
	Published { at: u64 },
	Failed { reason: String, number: Option<u64>, at: u64 },
}

/// A statistic job as the chain holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
	pub requester: String,
	pub schema: u32,
	pub category: String,
	pub kind: Statistic,
	pub purpose: String,
	pub epoch: u32,
	pub epsilon: u32,
	pub requested_at: u64,
	pub deadline: u64,
	pub status: JobStatus,
}

impl Job {
	/// A `StatisticJob` as `StatisticsApi::statistic_job` answers it.
	pub fn from_chain(job: ChainJob) -> Self {
		let status = match job.status {
			StatisticStatus::AwaitingShares => JobStatus::AwaitingShares,
			StatisticStatus::Published { at } => JobStatus::Published { at: at.into() },
			StatisticStatus::Failed { reason, at } => {
				let (reason, number) = match reason {
					StatisticFailure::CohortTooSmall { reports } => {
						("CohortTooSmall", Some(reports.into()))
					},
					StatisticFailure::SharesDisagree => ("SharesDisagree", None),
					StatisticFailure::Timeout { missing } => ("Timeout", Some(missing.into())),
				};
				JobStatus::Failed { reason: reason.to_string(), number, at: at.into() }
			},
		};
		Self {
			requester: job.requester.to_string(),
			schema: job.schema,
			// Generated unit variants' `Debug` is their name, as the metadata spells it.
			category: format!("{:?}", job.category),
			kind: kind_from_chain(job.kind),
			purpose: format!("{:?}", job.purpose),
			epoch: job.epoch,
			epsilon: job.epsilon.0,
			requested_at: job.requested_at.into(),
			deadline: job.deadline.into(),
			status,
		}
	}
}

/// The noise of a run of a published statistic's values.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
	pub values: u16,
	pub sensitivity: u128,
	pub epsilon: u32,
	/// Standard deviation of each value's total noise, in thousandths.
	pub std_dev_millis: u64,
}

/// A published statistic as the chain holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
	pub reports: u64,
	pub values: Vec<i128>,
	pub epsilon: u32,
	pub aggregators: u32,
	pub noise: Vec<Segment>,
	pub published_at: u64,
}

impl Published {
	/// A `PublishedStatistic` as `StatisticsApi::published_statistic` answers it.
	pub fn from_chain(published: ChainPublished) -> Self {
		Self {
			reports: published.reports.into(),
			values: published.values,
			epsilon: published.epsilon.0,
			aggregators: published.aggregators,
			noise: published
				.noise
				.into_iter()
				.map(|s| Segment {
					values: s.values,
					sensitivity: s.sensitivity,
					epsilon: s.epsilon.0,
					std_dev_millis: s.total_std_dev_millis,
				})
				.collect(),
			published_at: published.published_at.into(),
		}
	}

	/// The standard deviation of each value's noise (segments cover the values in order).
	pub fn std_devs(&self) -> Vec<Option<f64>> {
		let mut out: Vec<Option<f64>> = self
			.noise
			.iter()
			.flat_map(|s| {
				std::iter::repeat_n(Some(s.std_dev_millis as f64 / 1000.0), s.values as usize)
			})
			.collect();
		out.resize(self.values.len(), None);
		out
	}
}

fn plus_minus(sd: Option<f64>) -> String {
	sd.map(|sd| format!(" ± {}", round_sig(sd))).unwrap_or_default()
}

/// Three significant digits at most, no trailing zeros.
fn round_sig(x: f64) -> String {
	if x == 0.0 || !x.is_finite() {
		return format!("{x}");
	}
	let decimals = (2 - x.abs().log10().floor() as i32).max(0) as usize;
	let text = format!("{x:.decimals$}");
	if text.contains('.') {
		text.trim_end_matches('0').trim_end_matches('.').to_string()
	} else {
		text
	}
}

/// What a published statistic's values say, by its kind, as JSON and text lines. Values that do
/// not fit the kind and schema are shown raw.
pub fn interpret(kind: &Statistic, schema: &Schema, published: &Published) -> (Json, Vec<String>) {
	let values = &published.values;
	let sds = published.std_devs();
	let field = |f: u16| schema.fields.get(f as usize);
	let unit =
		|f: &FieldSpec| if f.unit.is_empty() { String::new() } else { format!(" [{}]", f.unit) };
	let raw = || {
		(
			json!({ "raw": values.iter().map(|&v| output::int_json(v)).collect::<Vec<_>>() }),
			vec![format!(
				"  values {values:?} (not the layout this client expects for a {})",
				kind_text(kind, schema)
			)],
		)
	};
	match kind {
		Statistic::Count if values.len() == 1 => (
			json!({ "count": { "value": output::int_json(values[0]), "std_dev": sds[0] } }),
			vec![format!("  count {}{}", values[0], plus_minus(sds[0]))],
		),
		Statistic::Sum { fields }
			if values.len() == fields.len() && fields.iter().all(|&f| field(f).is_some()) =>
		{
			let rows: Vec<_> = fields
				.iter()
				.zip(values)
				.zip(&sds)
				.map(|((&f, &v), &sd)| (field(f).expect("checked"), v, sd))
				.collect();
			(
				json!({ "sums": rows.iter().map(|(f, v, sd)| json!({ "field": f.name, "unit": f.unit, "sum": output::int_json(*v), "std_dev": sd })).collect::<Vec<_>>() }),
				rows.iter()
					.map(|(f, v, sd)| {
						format!("  sum of {}{}: {v}{}", f.name, unit(f), plus_minus(*sd))
					})
					.collect(),
			)
		},
		Statistic::Mean { fields }
			if values.len() == fields.len() + 1 && fields.iter().all(|&f| field(f).is_some()) =>
		{
			// The number of reports is exact (the cohort is public on chain): each mean is the noisy
			// sum over it, with the sum's noise scaled down. The noisy count is shown, not used.
			let (count, count_sd, reports) =
				(values[fields.len()], sds[fields.len()], published.reports);
			let mut json_rows = Vec::new();
			let mut lines = Vec::new();
			for ((&f, &sum), &sum_sd) in fields.iter().zip(values).zip(&sds) {
				let f = field(f).expect("checked");
				let mean = (reports > 0).then(|| sum as f64 / reports as f64);
				let mean_sd = sum_sd.filter(|_| reports > 0).map(|sd| sd / reports as f64);
				json_rows.push(json!({ "field": f.name, "unit": f.unit, "mean": mean, "mean_std_dev": mean_sd, "sum": output::int_json(sum), "sum_std_dev": sum_sd }));
				lines.push(match mean {
					Some(m) => format!(
						"  mean of {}{}: {m:.2}{} (sum {sum}{} over {reports} reports)",
						f.name,
						unit(f),
						plus_minus(mean_sd),
						plus_minus(sum_sd)
					),
					None => format!(
						"  mean of {}{}: undefined, no reports (sum {sum}{})",
						f.name,
						unit(f),
						plus_minus(sum_sd)
					),
				});
			}
			lines.push(format!(
				"  noisy count {count}{} (the number of reports, {reports}, is exact)",
				plus_minus(count_sd)
			));
			(
				json!({ "means": json_rows, "count": { "value": output::int_json(count), "std_dev": count_sd }, "reports": reports }),
				lines,
			)
		},
		Statistic::Histogram { fields } => {
			let specs: Option<Vec<&FieldSpec>> =
				fields.iter().map(|&f| field(f).filter(|s| s.buckets.is_some())).collect();
			let Some(specs) = specs else { return raw() };
			if specs.iter().map(|f| buckets(f).len()).sum::<usize>() != values.len() {
				return raw();
			}
			let mut at = 0;
			let mut json_rows = Vec::new();
			let mut lines = Vec::new();
			for f in specs {
				lines.push(format!("  histogram of {}{}:", f.name, unit(f)));
				let mut rows = Vec::new();
				for bucket in buckets(f) {
					let width = 12;
					lines.push(format!(
						"    {:<width$} {}{}",
						bucket.label,
						values[at],
						plus_minus(sds[at])
					));
					rows.push(json!({ "label": bucket.label, "lo": bucket.lo, "hi": bucket.hi, "count": output::int_json(values[at]), "std_dev": sds[at] }));
					at += 1;
				}
				json_rows.push(json!({ "field": f.name, "unit": f.unit, "buckets": rows }));
			}
			(json!({ "histograms": json_rows }), lines)
		},
		_ => raw(),
	}
}

/// A job (with its schema and, once published, its values) as JSON and text.
pub fn render(
	id: u64,
	job: &Job,
	schema: &Schema,
	published: Option<&Published>,
) -> (Json, Vec<String>) {
	let what = kind_text(&job.kind, schema);
	let mut data = json!({
		"job": id, "schema": job.schema, "category": category_name(&job.category), "purpose": job.purpose,
		"statistic": what, "epoch": job.epoch, "requester": job.requester, "requested_at": job.requested_at,
		"deadline": job.deadline, "epsilon": job.epsilon as f64 / 1000.0,
	});
	let mut lines = vec![format!(
		"statistic {id}: {what} — {} (schema {}), purpose {}; asked by {} in block {} (aggregator epoch {})",
		category_name(&job.category),
		job.schema,
		job.purpose,
		job.requester,
		job.requested_at,
		job.epoch
	)];
	match (&job.status, published) {
		(JobStatus::Published { at }, Some(p)) => {
			data["status"] = json!("Published");
			data["published_at"] = json!(at);
			data["reports"] = json!(p.reports);
			data["aggregators"] = json!(p.aggregators);
			data["epsilon"] = json!(p.epsilon as f64 / 1000.0);
			data["values"] =
				json!(p.values.iter().map(|&v| output::int_json(v)).collect::<Vec<_>>());
			data["noise"] = json!(p.noise.iter().map(|s| json!({
				"values": s.values, "sensitivity": s.sensitivity.to_string(), "epsilon": s.epsilon as f64 / 1000.0, "std_dev": s.std_dev_millis as f64 / 1000.0,
			})).collect::<Vec<_>>());
			let (result, result_lines) = interpret(&job.kind, schema, p);
			data["result"] = result;
			lines.push(format!(
				"published in block {at} from {} verified reports; ε = {} spent; each of its {} aggregators added discrete Laplace noise (± one standard deviation below)",
				p.reports,
				epsilon_text(p.epsilon),
				p.aggregators
			));
			lines.extend(result_lines);
		},
		(JobStatus::Published { at }, None) => {
			data["status"] = json!("Published");
			data["published_at"] = json!(at);
			lines.push(format!("published in block {at}, but the node has no values for it"));
		},
		(JobStatus::Failed { reason, number, at }, _) => {
			let words = failure_words(reason, *number, job.deadline);
			data["status"] = json!("Failed");
			data["failed_at"] = json!(at);
			data["reason"] = json!(reason);
			data["reason_text"] = json!(words);
			lines.push(format!("failed in block {at}: {words}"));
		},
		(JobStatus::AwaitingShares, _) => {
			data["status"] = json!("AwaitingShares");
			lines.push(format!(
				"awaiting the aggregators' shares (deadline: block {})",
				job.deadline
			));
		},
	}
	(data, lines)
}

/// Reads job `id`, its schema and its published values.
async fn load(chain: &Chain, id: u64) -> Result<(Job, Schema, Option<Published>), Error> {
	let api = custodia::runtime_apis().statistics_api();
	let job = chain
		.call_api(api.statistic_job(id))
		.await?
		.ok_or_else(|| Error::Refused(format!("there is no statistic job {id}")))?;
	let job = Job::from_chain(job);
	let schema = registered_schema(chain, job.schema).await?.schema;
	let published = match job.status {
		JobStatus::Published { .. } => {
			chain.call_api(api.published_statistic(id)).await?.map(Published::from_chain)
		},
		_ => None,
	};
	Ok((job, schema, published))
}

/// Waits (at most `timeout`) until job `id` is published or failed.
async fn wait_outcome(cli: &Cli, chain: &Chain, id: u64, timeout: Duration) -> Result<(), Error> {
	let settled = |job: &Job| job.status != JobStatus::AwaitingShares;
	let (job, ..) = load(chain, id).await?;
	if settled(&job) {
		return Ok(());
	}
	let spinner = progress::spinner(cli.json(), format!("statistic job {id}: the aggregators sum the cohort's shares and add noise (deadline: block {})", job.deadline));
	let settled_now = |event: &crate::chain::SeenEvent<'_>| -> Result<Option<()>, Error> {
		let published = event_as::<StatisticPublished>(event)?.is_some_and(|e| e.job == id);
		let failed = event_as::<StatisticFailed>(event)?.is_some_and(|e| e.job == id);
		Ok((published || failed).then_some(()))
	};
	let outcome = chain.wait_for("Statistics", settled_now, timeout).await;
	spinner.finish_and_clear();
	match outcome {
		Ok(_) => Ok(()),
		// The event may have come before the wait began: read the job once more.
		Err(Error::Refused(_)) => match load(chain, id).await? {
			(job, ..) if settled(&job) => Ok(()),
			(job, ..) => Err(Error::Refused(format!(
					"statistic job {id}: no outcome within {} s (still awaiting the aggregators' shares; its deadline is block {}); look again later: custodia statistic show {id} --wait",
					timeout.as_secs(),
					job.deadline
				),
			)),
		},
		Err(e) => Err(e),
	}
}

/// Prints job `id`; with `fail_on_failure`, a failed job is exit 1 after it is printed.
async fn show(
	chain: &Chain,
	id: u64,
	mut extra: Json,
	fail_on_failure: bool,
	out: &mut Output,
) -> Result<(), Error> {
	let (job, schema, published) = load(chain, id).await?;
	let (data, lines) = render(id, &job, &schema, published.as_ref());
	if let (Json::Object(extra), Json::Object(data)) = (&mut extra, data) {
		extra.extend(data);
	}
	out.emit(extra, || lines);
	match job.status {
		JobStatus::Failed { reason, number, .. } if fail_on_failure => Err(Error::Refused(
			format!("statistic job {id} failed: {}", failure_words(&reason, number, job.deadline)),
		)),
		_ => Ok(()),
	}
}

/// An account as a call argument: an address (SS58 or 0x hex), or an identity in the key folder.
fn resolve_account(cli: &Cli, name_or_address: &str) -> Result<AccountId32, Error> {
	if let Ok(account) = account_id(name_or_address) {
		return Ok(account);
	}
	let store = cli.keystore();
	let identities = store.list()?;
	let found = identities.iter().find(|i| i.name == name_or_address).ok_or_else(|| {
		Error::Usage(format!("`{name_or_address}` is neither an account address nor an identity in {} (see `custodia keys list`)", store.dir().display()))
	})?;
	Ok(account_id(&found.account)?)
}

/// A number from event `E` of a governance call that was executed (none for a motion).
fn event_number<E: subxt::events::DecodeAsEvent>(
	enacted: &Enacted,
	number: impl Fn(E) -> u64,
) -> Option<u64> {
	let Enacted::Done(included) = enacted else { return None };
	included.try_find::<E>().ok().flatten().map(number)
}

fn epoch_json(epoch: &Epoch) -> Json {
	json!({
		"id": epoch.id, "status": epoch.status, "started_at": epoch.started_at, "activated_at": epoch.activated_at,
		"aggregators": epoch.aggregators.iter().zip(&epoch.keys).zip(&epoch.contributed).map(|((a, k), c)| json!({
			"account": a, "hpke_key": k.map(|k| format!("0x{}", hex::encode(k))), "contributed": c,
		})).collect::<Vec<_>>(),
	})
}

fn epoch_lines(what: &str, epoch: &Epoch) -> Vec<String> {
	let since = match epoch.activated_at {
		Some(at) => format!("active since block {at}"),
		None => epoch.status.clone(),
	};
	let mut lines = vec![format!(
		"{what} aggregator epoch {}: {since} (started in block {}), {} aggregators",
		epoch.id,
		epoch.started_at,
		epoch.aggregators.len()
	)];
	for ((account, key), contributed) in
		epoch.aggregators.iter().zip(&epoch.keys).zip(&epoch.contributed)
	{
		lines.push(format!(
			"  {account}: {}, {}",
			if key.is_some() { "HPKE key posted" } else { "no HPKE key yet" },
			if *contributed {
				"verify-key contribution posted"
			} else {
				"no verify-key contribution yet"
			}
		));
	}
	lines
}

pub async fn run(cli: &Cli, command: &StatisticCommand, out: &mut Output) -> Result<(), Error> {
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	require_statistics(&chain).await?;
	match command {
		StatisticCommand::Schema(SchemaCommand::Register { who, category, fields }) => {
			let local = Schema { category: category.variant(), fields: fields.clone() };
			local.validate().map_err(|e| Error::Usage(e.to_string()))?;
			let me = cli.identity(&who.name)?;
			let call = custodia::statistics::Call::register_schema {
				schema: schema::to_chain(*category, fields),
			};
			let enacted = govern::enact(&chain, &me, custodia::Call::Statistics(call)).await?;
			let id = event_number(&enacted, |e: SchemaRegistered| e.schema.into());
			let what = match id {
				Some(id) => format!(
					"statistic schema {id} registered for {} ({} fields)",
					category.name(),
					fields.len()
				),
				None => format!(
					"a statistic schema for {} ({} fields) registered",
					category.name(),
					fields.len()
				),
			};
			let data = json!({ "schema": id, "category": category.name(), "fields": fields.len(), "schema_hash": format!("0x{}", hex::encode(local.id())) });
			govern::report(out, enacted, &what, data);
		},
		StatisticCommand::Schema(SchemaCommand::Show { category, id }) => {
			let ids: Vec<u32> = match (category, id) {
				(_, Some(id)) => vec![*id],
				(Some(category), None) => vec![schema_of(&chain, *category)
					.await?
					.ok_or_else(|| Error::Refused(format!("{} has no statistic schema (governance registers one: custodia statistic schema register)", category.name())))?],
				(None, None) => {
					let mut ids = Vec::new();
					for category in <Category as clap::ValueEnum>::value_variants() {
						ids.extend(schema_of(&chain, *category).await?);
					}
					ids
				},
			};
			let mut schemas = Vec::new();
			for id in ids {
				schemas.push(registered_schema(&chain, id).await?);
			}
			out.emit(json!(schemas.iter().map(schema::to_json).collect::<Vec<_>>()),
				|| {
					if schemas.is_empty() {
						return vec!["no category has a statistic schema yet (governance registers one: custodia statistic schema register)".into()];
					}
					schemas.iter().flat_map(schema::describe).collect()
				},
			);
		},
		StatisticCommand::Epoch(EpochCommand::Start { who, aggregators }) => {
			let accounts = aggregators
				.iter()
				.map(|a| resolve_account(cli, a))
				.collect::<Result<Vec<_>, _>>()?;
			if accounts.len() < 2 {
				return Err(Error::Usage("an aggregator epoch needs at least 2 aggregators (Prio3 is private while one of them is honest)".into()));
			}
			let me = cli.identity(&who.name)?;
			let call = custodia::statistics::Call::start_aggregator_epoch {
				aggregators: BoundedVec(accounts),
			};
			let enacted = govern::enact(&chain, &me, custodia::Call::Statistics(call)).await?;
			let epoch = event_number(&enacted, |e: AggregatorEpochStarted| e.epoch.into());
			let what = format!(
				"aggregator epoch {}with {} aggregators started (each posts its HPKE key, then its verify-key contribution; see custodia statistic epoch show)",
				epoch.map(|e| format!("{e} ")).unwrap_or_default(),
				aggregators.len()
			);
			govern::report(
				out,
				enacted,
				&what,
				json!({ "epoch": epoch, "aggregators": aggregators }),
			);
		},
		StatisticCommand::Epoch(EpochCommand::Show) => {
			let active = active_epoch(&chain).await?;
			let pending = pending_epoch(&chain).await?;
			out.emit(json!({ "active": active.as_ref().map(epoch_json), "pending": pending.as_ref().map(epoch_json) }),
				|| {
					let mut lines = match &active {
						Some(epoch) => epoch_lines("active", epoch),
						None => vec![
							"no aggregator epoch is active: records get no statistics report yet"
								.into(),
						],
					};
					if let Some(epoch) = &pending {
						lines.extend(epoch_lines("being set up:", epoch));
					}
					lines
				},
			);
		},
		StatisticCommand::Privacy(PrivacyCommand::Set { who, epsilon, budget, period }) => {
			if budget < epsilon {
				return Err(Error::Usage(format!("the budget (ε {}) is smaller than one statistic's ε ({}): no statistic could be asked", epsilon_text(*budget), epsilon_text(*epsilon))));
			}
			let me = cli.identity(&who.name)?;
			let params = PrivacyParameters {
				epsilon_per_statistic: EpsilonMillis(*epsilon),
				budget_per_period: EpsilonMillis(*budget),
				period: *period,
			};
			let call = custodia::statistics::Call::set_privacy_parameters { params };
			let enacted = govern::enact(&chain, &me, custodia::Call::Statistics(call)).await?;
			let what = format!(
				"privacy parameters set: ε {} per statistic, a budget of ε {} per institution, purpose and category every {period} blocks",
				epsilon_text(*epsilon),
				epsilon_text(*budget)
			);
			govern::report(
				out,
				enacted,
				&what,
				json!({ "epsilon": *epsilon as f64 / 1000.0, "budget": *budget as f64 / 1000.0, "period": period }),
			);
		},
		StatisticCommand::Privacy(PrivacyCommand::Show { institution, purpose, category }) => {
			let api = custodia::runtime_apis().statistics_api();
			let parameters = chain
				.call_api(api.privacy_parameters())
				.await?
				.map(|p| (p.epsilon_per_statistic.0, p.budget_per_period.0, p.period));
			let mut data = json!({
				"epsilon": parameters.map(|p| p.0 as f64 / 1000.0), "budget": parameters.map(|p| p.1 as f64 / 1000.0), "period": parameters.map(|p| p.2),
			});
			let mut lines = vec![match parameters {
				Some((epsilon, budget, period)) => format!(
					"ε {} per statistic; a budget of ε {} per institution, purpose and category every {period} blocks",
					epsilon_text(epsilon),
					epsilon_text(budget)
				),
				None => "no privacy parameters are set: no statistic can be asked yet (governance: custodia statistic privacy set)".into(),
			}];
			if let (Some(institution), Some(purpose), Some(category)) =
				(institution, purpose, category)
			{
				let spent = api.budget_spent(
					resolve_account(cli, institution)?,
					PurposeOfUse::from(*purpose),
					DataCategory::from(*category),
				);
				let spent = chain.call_api(spent).await?.0;
				data["spent"] = json!(spent as f64 / 1000.0);
				lines.push(format!(
					"{institution} has spent ε {} on {} / {} this period",
					epsilon_text(spent),
					purpose.variant(),
					category.name()
				));
			}
			out.emit(data, || lines);
		},
		StatisticCommand::Enrol { who, people } | StatisticCommand::Unenrol { who, people } => {
			let accounts = people
				.iter()
				.map(|person| resolve_account(cli, person))
				.collect::<Result<Vec<_>, Error>>()?;
			let me = cli.identity(&who.name)?;
			let tx = custodia::transactions().statistics();
			let (included, call, done) = match command {
				StatisticCommand::Enrol { .. } => {
					let calls: Vec<_> = accounts.into_iter().map(|a| tx.enrol(a)).collect();
					(chain.submit_all(&calls, &me.keypair).await?, "enrol", "enrolled")
				},
				_ => {
					let calls: Vec<_> = accounts.into_iter().map(|a| tx.unenrol(a)).collect();
					(chain.submit_all(&calls, &me.keypair).await?, "unenrol", "unenrolled")
				},
			};
			out.emit(json!({ "people": people, "action": call, "block": included.block }), || {
				vec![format!(
					"{} {done} by {} (block {})",
					people.join(", "),
					who.name,
					included.block
				)]
			});
		},
		StatisticCommand::Request(args) => {
			let registered = registered_schema(&chain, args.schema).await?;
			let statistic = args
				.kind
				.statistic(&registered.schema)
				.map_err(|e| Error::Usage(format!("schema {}: {e}", args.schema)))?;
			let me = cli.identity(&args.who.name)?;
			let call = custodia::transactions().statistics().request_statistic(
				args.schema,
				kind_value(&statistic),
				args.purpose.into(),
			);
			let included = chain.submit(&call, &me.keypair).await?;
			let job = included.find::<StatisticRequested>()?.job;
			let requested = json!({ "job": job, "requested_in": included.block });
			if !args.wait.wait {
				let what = kind_text(&statistic, &registered.schema);
				out.emit(requested, || {
					vec![format!(
						"statistic job {job} requested in block {}: {what} of {} for {}; the aggregators compute it — custodia statistic show {job} --wait",
						included.block,
						category_name(&registered.schema.category),
						args.purpose.variant()
					)]
				});
				return Ok(());
			}
			wait_outcome(cli, &chain, job, Duration::from_secs(args.wait.timeout)).await?;
			show(&chain, job, requested, true, out).await?;
		},
		StatisticCommand::Show { job, wait } => {
			if wait.wait {
				wait_outcome(cli, &chain, *job, Duration::from_secs(wait.timeout)).await?;
			}
			show(&chain, *job, json!({}), wait.wait, out).await?;
		},
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use clap::Parser;

	fn schema() -> Schema {
		Schema {
			category: "VitalSigns".into(),
			fields: vec![
				FieldSpec::new("age", "a", 120).with_buckets(vec![18, 65]),
				FieldSpec::new("heart_rate", "/min", 250),
				FieldSpec::new("smoker", "", 1).with_buckets(vec![1]),
			],
		}
	}

	fn kind(args: &[&str]) -> Result<KindArgs, clap::Error> {
		let parsed = crate::Cli::try_parse_from(
			[
				"custodia",
				"statistic",
				"request",
				"--as",
				"clinic",
				"--schema",
				"1",
				"--purpose",
				"PUBHLTH",
			]
			.iter()
			.chain(args),
		)?;
		match parsed.command {
			crate::Command::Statistic(StatisticCommand::Request(request)) => Ok(request.kind),
			_ => unreachable!("a statistic request"),
		}
	}

	#[test]
	fn kinds_parse_from_the_command_line_by_field_name_or_index() {
		assert_eq!(kind(&["--count"]).unwrap().statistic(&schema()).unwrap(), Statistic::Count);
		assert_eq!(
			kind(&["--sum", "heart_rate,0"]).unwrap().statistic(&schema()).unwrap(),
			Statistic::Sum { fields: vec![1, 0] }
		);
		assert_eq!(
			kind(&["--mean", "heart_rate"]).unwrap().statistic(&schema()).unwrap(),
			Statistic::Mean { fields: vec![1] }
		);
		assert_eq!(
			kind(&["--histogram", "age", "--histogram", "smoker"])
				.unwrap()
				.statistic(&schema())
				.unwrap(),
			Statistic::Histogram { fields: vec![0, 2] }
		);
		assert!(kind(&[]).is_err(), "a kind is required");
		assert!(kind(&["--count", "--mean", "age"]).is_err(), "one kind only");
		let err = kind(&["--histogram", "heart_rate"]).unwrap().statistic(&schema()).unwrap_err();
		assert!(err.contains("has no buckets"), "{err}");
		let err = kind(&["--mean", "weight"]).unwrap().statistic(&schema()).unwrap_err();
		assert!(err.contains("no field `weight`") && err.contains("age [a] 0..=120"), "{err}");
		assert!(kind(&["--sum", "age,age"])
			.unwrap()
			.statistic(&schema())
			.unwrap_err()
			.contains("twice"));
	}

	#[test]
	fn kinds_round_trip_through_chain_values() {
		for statistic in [
			Statistic::Count,
			Statistic::Sum { fields: vec![1, 0] },
			Statistic::Mean { fields: vec![1] },
			Statistic::Histogram { fields: vec![0, 2] },
		] {
			let sent = match kind_value(&statistic) {
				StatisticKind::Count => StatisticKind::Count,
				StatisticKind::Sum(fields) => StatisticKind::Sum(fields.0),
				StatisticKind::Mean(fields) => StatisticKind::Mean(fields.0),
				StatisticKind::Histogram(fields) => StatisticKind::Histogram(fields.0),
			};
			assert_eq!(kind_from_chain(sent), statistic);
		}
		assert_eq!(
			kind_text(&Statistic::Mean { fields: vec![1, 0] }, &schema()),
			"mean of heart_rate, age"
		);
	}

	#[test]
	fn epsilon_is_read_and_written_in_thousandths() {
		assert_eq!(parse_epsilon("0.5"), Ok(500));
		assert_eq!(parse_epsilon("2"), Ok(2000));
		assert_eq!(parse_epsilon("1.25"), Ok(1250));
		assert_eq!(parse_epsilon(".1"), Ok(100));
		for bad in ["0", "0.000", "0.0005", "-1", "1e3", "abc", "", ".", "5000000"] {
			assert!(parse_epsilon(bad).is_err(), "{bad}");
		}
		assert_eq!(epsilon_text(500), "0.5");
		assert_eq!(epsilon_text(2000), "2");
		assert_eq!(epsilon_text(1250), "1.25");
		assert_eq!(epsilon_text(5), "0.005");
	}

	fn job(kind: Statistic, status: JobStatus) -> Job {
		Job {
			requester: "5Grw".into(),
			schema: 1,
			category: "VitalSigns".into(),
			kind,
			purpose: "PUBHLTH".into(),
			epoch: 2,
			epsilon: 500,
			requested_at: 100,
			deadline: 200,
			status,
		}
	}

	fn published(values: Vec<i128>, noise: Vec<(u16, u64)>) -> Published {
		Published {
			reports: 25,
			values,
			epsilon: 500,
			aggregators: 2,
			noise: noise
				.into_iter()
				.map(|(values, sd)| Segment {
					values,
					sensitivity: 1,
					epsilon: 250,
					std_dev_millis: sd,
				})
				.collect(),
			published_at: 130,
		}
	}

	#[test]
	fn a_mean_reads_as_sums_count_and_their_ratio_with_noise() {
		let p = published(vec![1810, 25], vec![(1, 8_500), (1, 2_830)]);
		let (data, lines) = render(
			7,
			&job(Statistic::Mean { fields: vec![1] }, JobStatus::Published { at: 130 }),
			&schema(),
			Some(&p),
		);
		let text = lines.join("\n");
		assert!(
			text.contains(
				"statistic 7: mean of heart_rate — vital-signs (schema 1), purpose PUBHLTH"
			),
			"{text}"
		);
		assert!(
			text.contains("from 25 verified reports; ε = 0.5 spent; each of its 2 aggregators"),
			"{text}"
		);
		assert!(
			text.contains(
				"  mean of heart_rate [/min]: 72.40 ± 0.34 (sum 1810 ± 8.5 over 25 reports)"
			),
			"{text}"
		);
		assert!(
			text.contains("  noisy count 25 ± 2.83 (the number of reports, 25, is exact)"),
			"{text}"
		);
		assert_eq!(data["result"]["means"][0]["mean"], 72.4);
		assert_eq!(data["result"]["count"]["value"], 25);
		assert_eq!(data["values"], json!([1810, 25]));
		assert_eq!(data["epsilon"], 0.5);
	}

	#[test]
	fn a_histogram_reads_per_bucket_with_its_range() {
		let p = published(vec![3, 15, 7, 20, 5], vec![(5, 2_000)]);
		let (data, lines) = render(
			8,
			&job(Statistic::Histogram { fields: vec![0, 2] }, JobStatus::Published { at: 130 }),
			&schema(),
			Some(&p),
		);
		let text = lines.join("\n");
		assert!(text.contains("histogram of age [a]:\n    [0, 18)      3 ± 2\n    [18, 65)     15 ± 2\n    [65, 120]    7 ± 2"), "{text}");
		assert!(
			text.contains("histogram of smoker:\n    [0, 1)       20 ± 2\n    [1, 1]       5 ± 2"),
			"{text}"
		);
		assert_eq!(
			data["result"]["histograms"][0]["buckets"][2],
			json!({ "label": "[65, 120]", "lo": 65, "hi": 121, "count": 7, "std_dev": 2.0 })
		);
	}

	#[test]
	fn counts_and_sums_read_per_value_and_odd_layouts_raw() {
		let (_, lines) = render(
			9,
			&job(Statistic::Count, JobStatus::Published { at: 130 }),
			&schema(),
			Some(&published(vec![24], vec![(1, 2_830)])),
		);
		assert!(lines.iter().any(|l| l == "  count 24 ± 2.83"), "{lines:?}");
		let (data, lines) = render(
			9,
			&job(Statistic::Sum { fields: vec![1, 0] }, JobStatus::Published { at: 130 }),
			&schema(),
			Some(&published(vec![1810, -3], vec![(2, 500_000)])),
		);
		assert!(lines.iter().any(|l| l == "  sum of heart_rate [/min]: 1810 ± 500"), "{lines:?}");
		assert!(
			lines.iter().any(|l| l == "  sum of age [a]: -3 ± 500"),
			"noise can take a total below zero: {lines:?}"
		);
		assert_eq!(data["result"]["sums"][1]["sum"], -3);
		let (data, _) = render(
			9,
			&job(Statistic::Count, JobStatus::Published { at: 130 }),
			&schema(),
			Some(&published(vec![1, 2], vec![])),
		);
		assert_eq!(data["result"]["raw"], json!([1, 2]));
	}

	#[test]
	fn failures_and_waiting_jobs_read_in_words() {
		let failed = JobStatus::Failed { reason: "Timeout".into(), number: Some(1), at: 201 };
		let (data, lines) = render(10, &job(Statistic::Count, failed), &schema(), None);
		assert!(lines[1].contains("failed in block 201: 1 aggregator(s) did not submit a share before the deadline (block 200)"), "{lines:?}");
		assert_eq!(data["reason"], "Timeout");
		let small = failure_words("CohortTooSmall", Some(4), 0);
		assert!(small.contains("only 4 verified reports"), "{small}");
		assert!(failure_words("SharesDisagree", None, 0).contains("disagree"));
		let (_, lines) =
			render(11, &job(Statistic::Count, JobStatus::AwaitingShares), &schema(), None);
		assert!(lines[1].contains("awaiting the aggregators' shares (deadline: block 200)"));
	}

	#[test]
	fn jobs_and_published_statistics_read_from_chain_values() {
		use crate::runtime::custodia::runtime_types::custodia_primitives::statistics::{
			NoiseSegment, PublishedStatistic2 as PublishedStatistic, StatisticJob2 as StatisticJob,
		};
		let job = StatisticJob {
			requester: AccountId32([0; 32]),
			schema: 1,
			category: DataCategory::VitalSigns,
			kind: StatisticKind::Mean(vec![1]),
			purpose: PurposeOfUse::PUBHLTH,
			epoch: 2,
			epsilon: EpsilonMillis(500),
			requested_at: 100,
			deadline: 200,
			status: StatisticStatus::Failed {
				reason: StatisticFailure::CohortTooSmall { reports: 4 },
				at: 150,
			},
		};
		let parsed = Job::from_chain(job);
		assert_eq!(parsed.kind, Statistic::Mean { fields: vec![1] });
		assert_eq!(parsed.epsilon, 500);
		assert_eq!((parsed.category.as_str(), parsed.purpose.as_str()), ("VitalSigns", "PUBHLTH"));
		assert_eq!(
			parsed.status,
			JobStatus::Failed { reason: "CohortTooSmall".into(), number: Some(4), at: 150 }
		);
		assert_eq!(parsed.requester, "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM");

		let segment = NoiseSegment {
			values: 2,
			sensitivity: 250,
			epsilon: EpsilonMillis(250),
			total_std_dev_millis: 8_500,
		};
		let published = PublishedStatistic {
			reports: 25,
			values: vec![1810, -2],
			epsilon: EpsilonMillis(500),
			aggregators: 2,
			noise: vec![segment],
			published_at: 130,
		};
		let p = Published::from_chain(published);
		assert_eq!(p.values, vec![1810, -2]);
		assert_eq!(p.std_devs(), vec![Some(8.5), Some(8.5)]);
		assert_eq!(p.noise[0].sensitivity, 250);
	}
}
