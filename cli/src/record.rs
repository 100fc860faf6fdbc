//! Personal health records, the owner's side: add one (a FHIR R4 Bundle sealed to the owner, with
//! a statistics report when its category has a statistic schema — see [`crate::report`]), list
//! them, read one back, retire one.

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value as Json};
use subxt::dynamic::{At, Value};

use crate::{
	chain::{account, field_u64, variant, Chain, Failure},
	codes::Category,
	consent::AsArgs,
	fhir,
	ipfs::{content_hash, Ipfs, IpfsArgs},
	keystore::Identity,
	object, output, progress,
	report::{self, Outcome, Planned, Reporting, ValueArgs},
	Cli, Exit,
};

#[derive(Subcommand)]
pub enum RecordCommand {
	/// (Person) Add a record: a FHIR R4 Bundle (JSON) sealed to you. When its category has a
	/// statistic schema and an aggregator epoch is active, a statistics report of its values
	/// follows (values by field name with --value, or from the Bundle; checked before anything is
	/// sent), unless --no-report.
	///
	/// Example: custodia record add --as me --fhir visit.json --category vital-signs --values-file visit.values
	/// (a file of `systolic=121 diastolic=79`; `--values-file -` reads stdin)
	Add(AddArgs),
	/// (Person) List your records (not retired).
	///
	/// Example: custodia record list --as me
	List(AsArgs),
	/// (Person) Fetch one of your records from IPFS, check it against the chain and open it.
	///
	/// Example: custodia record show --as me 3 --out visit.json
	Show {
		#[command(flatten)]
		who: AsArgs,
		record: u64,
		/// Write the FHIR Bundle here instead of printing it.
		#[arg(long)]
		out: Option<PathBuf>,
		#[command(flatten)]
		ipfs: IpfsArgs,
	},
	/// (Person) Retire a record: it can no longer be shared, its open vaults close and its steward
	/// unpins it.
	///
	/// Example: custodia record retire --as me 3
	Retire {
		#[command(flatten)]
		who: AsArgs,
		record: u64,
	},
	/// (Person) Accept a record an institution registered for you: it becomes yours (listed,
	/// shareable, pinned). The institution's deposit stays held until you retire it.
	///
	/// Example: custodia record accept --as me 4
	Accept {
		#[command(flatten)]
		who: AsArgs,
		record: u64,
	},
	/// (Person) Reject a record an institution registered for you: it is dropped and the
	/// institution gets its deposit back.
	///
	/// Example: custodia record reject --as me 4
	Reject {
		#[command(flatten)]
		who: AsArgs,
		record: u64,
	},
}

#[derive(Args)]
pub struct AddArgs {
	#[command(flatten)]
	who: AsArgs,
	/// The FHIR R4 Bundle (JSON file).
	#[arg(long)]
	fhir: PathBuf,
	/// The data categories the record holds, comma-separated.
	#[arg(long, value_delimiter = ',', required = true)]
	category: Vec<Category>,
	#[command(flatten)]
	values: ValueArgs,
	/// Register the record without a statistics report (it is left out of cohort statistics).
	#[arg(long, conflicts_with_all = ["values", "values_file"])]
	no_report: bool,
	/// The data steward that pins it [default: the first active steward].
	#[arg(long)]
	steward: Option<String>,
	#[command(flatten)]
	ipfs: IpfsArgs,
}

/// A record as registered.
pub struct Added {
	pub record: u64,
	pub cid: String,
	pub size: usize,
	pub block: u64,
	/// FHIR entries in the body.
	pub entries: usize,
	/// Its statistics reports, or why it has none.
	pub reports: Outcome,
}

/// Seals `body` to `me`, stores the object in IPFS and registers it, then submits its statistics
/// reports ([`report::plan`] decides them first: a missing or out-of-range value stops everything
/// before anything is sent). Used by `record add` and the wearable.
pub async fn add(
	chain: &Chain,
	ipfs: &Ipfs,
	me: &Identity,
	body: &[u8],
	categories: &[Category],
	steward: Option<&str>,
	reporting: &Reporting<'_>,
) -> Result<Added, Exit> {
	let summary = fhir::check_bundle(body)?;
	let steward = match steward {
		Some(steward) => account(steward)?,
		None => first_steward(chain).await?,
	};
	let variants: Vec<String> = categories.iter().map(|c| c.variant()).collect();
	let planned = report::plan(chain, &variants, reporting, body).await?;
	let object = object::seal_record(&me.x25519_public, body)?;
	let hash = content_hash(&object);
	let cid = ipfs.add(object.clone(), true).await?;
	let call = vec![
		("owner", account(&me.account())?),
		("cid", Value::from_bytes(cid.as_bytes())),
		("content_hash", Value::from_bytes(hash)),
		("size", Value::u128(object.len() as u128)),
		("categories", Value::unnamed_composite(categories.iter().map(|c| variant(&c.variant())))),
		("steward", steward),
	];
	let included = unpin_if_refused(
		ipfs,
		&cid,
		chain.submit("Vaults", "register_record", call, &me.keypair).await,
	)
	.await?;
	let record = field_u64(included.event("Vaults", "RecordRegistered")?, "record")?;
	let reports = match &planned {
		Planned::Skip(note) => Outcome::Skipped(note.clone()),
		Planned::Reports { .. } => Outcome::Submitted(report::submit(chain, ipfs, me, record, &planned).await.map_err(|Exit(code, message)| {
			Exit(
				code,
				format!(
					"record {record} is registered (block {}, {cid}), but its statistics report is not: {message}; try again with: custodia report submit --as {} --record {record}",
					included.block, me.name
				),
			)
		})?),
	};
	Ok(Added {
		record,
		cid,
		size: object.len(),
		block: included.block,
		entries: summary.entries,
		reports,
	})
}

/// Drops the client's pin of `cid` when the call it was stored for failed (nothing stays pinned
/// for a record or report the chain does not know), and passes the outcome on.
pub async fn unpin_if_refused<T>(
	ipfs: &Ipfs,
	cid: &str,
	outcome: Result<T, Failure>,
) -> Result<T, Failure> {
	if outcome.is_err() {
		if let Err(e) = ipfs.unpin(cid).await {
			eprintln!("warning: could not unpin {cid} after the refusal: {e:#}");
		}
	}
	outcome
}

/// The first active data steward, in the consortium's order.
async fn first_steward(chain: &Chain) -> Result<Value, Exit> {
	let stewards = chain
		.runtime_api("ConsortiumApi", "active_members", vec![variant("DataSteward")])
		.await?;
	let first = output::items(&stewards)
		.first()
		.map(|s| output::bytes(s))
		.filter(|b| b.len() == 32);
	first
		.map(Value::from_bytes)
		.ok_or_else(|| Exit(1, "the consortium has no active data steward to pin the record; ask governance to admit one, or name one with --steward".into()))
}

/// A record as stored on chain, or an error naming it.
pub async fn stored(chain: &Chain, record: u64) -> Result<Value, Exit> {
	chain
		.storage("Vaults", "Records", vec![Value::u128(record.into())])
		.await?
		.ok_or_else(|| Exit(1, format!("there is no record {record} (see `custodia record list`)")))
}

/// Fetches record `record` from IPFS, checks it against the chain and opens its body with `me`'s
/// key; returns its CID and the body.
pub async fn open_own(
	chain: &Chain,
	ipfs: &Ipfs,
	me: &Identity,
	record: u64,
) -> Result<(String, Vec<u8>), Exit> {
	let stored = stored(chain, record).await?;
	let cid = output::text(stored.at("cid"));
	let hash =
		output::bytes(stored.at("content_hash").ok_or_else(|| anyhow!("record without a hash"))?);
	let object = fetch_checked(ipfs, &cid, &hash).await?;
	let body = object::open_record(&me.x25519_secret, &object).map_err(|e| {
		Exit(4, format!("record {record} does not open with `{}`'s key: {e:#}", me.name))
	})?;
	Ok((cid, body))
}

/// Fetches a stored object from IPFS and checks it against the hash the chain holds.
pub async fn fetch_checked(ipfs: &Ipfs, cid: &str, expected: &[u8]) -> Result<Vec<u8>, Exit> {
	let bytes = ipfs.cat(cid, object::MAX_OBJECT_BYTES).await?;
	if content_hash(&bytes).as_slice() != expected {
		return Err(Exit(1, format!("the object {cid} in IPFS does not match the hash on chain")));
	}
	Ok(bytes)
}

pub async fn run(cli: &Cli, command: &RecordCommand) -> Result<(), Exit> {
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	match command {
		RecordCommand::Add(args) => {
			let me = cli.identity(&args.who.name)?;
			let body = std::fs::read(&args.fhir)
				.with_context(|| format!("cannot read {}", args.fhir.display()))?;
			fhir::check_bundle(&body)
				.with_context(|| format!("{} is not a FHIR R4 Bundle", args.fhir.display()))?;
			let ipfs = args.ipfs.client()?;
			let given = args.values.given()?;
			let reporting = if args.no_report {
				Reporting::Without("no statistics report (--no-report)".into())
			} else {
				Reporting::Given(&given)
			};
			let spinner = progress::spinner(
				cli.json(),
				"sealing, storing and registering the record (and its statistics report)",
			);
			let added =
				add(&chain, &ipfs, &me, &body, &args.category, args.steward.as_deref(), &reporting)
					.await;
			spinner.finish_and_clear();
			let added = added?;
			let mut data = json!({
				"record": added.record, "cid": added.cid, "size": added.size, "block": added.block,
				"entries": added.entries, "envelope": crate::envelope::SUITE,
			});
			added.reports.add_to(&mut data);
			output::emit(cli.json(), data, || {
				let mut lines = vec![format!(
					"record {} registered in block {}: {} ({} bytes, {} FHIR entries sealed to you)",
					added.record, added.block, added.cid, added.size, added.entries
				)];
				lines.extend(added.reports.lines(&args.who.name, added.record));
				lines
			});
		},
		RecordCommand::List(who) => {
			let me = cli.identity(&who.name)?;
			let ids = chain.storage("Vaults", "RecordsOf", vec![account(&me.account())?]).await?;
			let mut records = Vec::new();
			for id in ids.as_ref().map(output::numbers).unwrap_or_default() {
				let mut record = output::to_json(&stored(&chain, id).await?);
				record["id"] = json!(id);
				records.push(record);
			}
			output::emit(cli.json(), json!(records), || {
				let mut lines = vec![format!("{} records", records.len())];
				lines.extend(records.iter().map(|r| {
					format!(
						"  {:>4}  {}  {}  registered in block {}",
						r["id"],
						r["cid"].as_str().unwrap_or("?"),
						r["categories"],
						r["registered_at"]
					)
				}));
				lines
			});
		},
		RecordCommand::Show { who, record, out, ipfs } => {
			let me = cli.identity(&who.name)?;
			let (cid, body) = open_own(&chain, &ipfs.client()?, &me, *record).await?;
			write_body(cli, &body, out.as_deref(), json!({ "record": record, "cid": cid }))?;
		},
		RecordCommand::Retire { who, record } => {
			let me = cli.identity(&who.name)?;
			let included = chain
				.submit(
					"Vaults",
					"retire_record",
					vec![("record", Value::u128((*record).into()))],
					&me.keypair,
				)
				.await?;
			let closed = field_u64(included.event("Vaults", "RecordRetired")?, "vaults_closed")?;
			output::emit(
				cli.json(),
				json!({ "record": record, "block": included.block, "vaults_closed": closed }),
				|| {
					vec![format!("record {record} retired in block {} ({closed} open vaults closed); its steward will unpin it", included.block)]
				},
			);
		},
		RecordCommand::Accept { who, record } => {
			let me = cli.identity(&who.name)?;
			let included = chain
				.submit(
					"Vaults",
					"accept_record",
					vec![("record", Value::u128((*record).into()))],
					&me.keypair,
				)
				.await?;
			included.event("Vaults", "RecordRegistered")?;
			output::emit(cli.json(), json!({ "record": record, "block": included.block }), || {
				vec![format!(
					"record {record} accepted in block {}: it is yours now and its steward pins it",
					included.block
				)]
			});
		},
		RecordCommand::Reject { who, record } => {
			let me = cli.identity(&who.name)?;
			let included = chain
				.submit(
					"Vaults",
					"reject_record",
					vec![("record", Value::u128((*record).into()))],
					&me.keypair,
				)
				.await?;
			included.event("Vaults", "RecordRejected")?;
			output::emit(cli.json(), json!({ "record": record, "block": included.block }), || {
				vec![format!("record {record} rejected in block {}: dropped, the institution's deposit released", included.block)]
			});
		},
	}
	Ok(())
}

/// Prints an opened FHIR body (or writes it to `out`); with `--json`, `meta` plus the bundle.
pub fn write_body(
	cli: &Cli,
	body: &[u8],
	out: Option<&std::path::Path>,
	mut meta: Json,
) -> Result<(), Exit> {
	let bundle: Json = serde_json::from_slice(body)
		.map_err(|e| Exit(1, format!("the opened body is not JSON: {e}")))?;
	if let Some(out) = out {
		// Health data: readable by its owner only, and never written over an existing file.
		use std::{io::Write, os::unix::fs::OpenOptionsExt};
		std::fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(out)
			.and_then(|mut file| file.write_all(body))
			.map_err(|e| {
				Exit(2, format!("cannot write {} ({e}); choose another --out", out.display()))
			})?;
		meta["written_to"] = json!(out.display().to_string());
	} else if cli.json() {
		meta["bundle"] = bundle.clone();
	}
	let entries = bundle.get("entry").and_then(Json::as_array).map_or(0, Vec::len);
	output::emit(cli.json(), meta, || match out {
		Some(out) => {
			vec![format!("FHIR Bundle with {entries} entries written to {}", out.display())]
		},
		None => vec![serde_json::to_string_pretty(&bundle).expect("JSON values serialize")],
	});
	Ok(())
}
