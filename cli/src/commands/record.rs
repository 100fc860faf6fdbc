//! Personal health records, the owner's side: add one (a FHIR R4 Bundle sealed to the owner, with
//! a statistics report when its category has a statistic schema — see [`crate::report`]), list
//! them, read one back, retire one.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{json, Value as Json};
use subxt::dynamic::Value;

use crate::output::Output;
use crate::{
	chain::{account_id, Chain},
	codes::Category,
	consent::AsArgs,
	fhir,
	ipfs::{content_hash, Ipfs, IpfsArgs},
	keystore::Identity,
	object, output, progress,
	report::{self, Outcome, Planned, Reporting, ValueArgs},
	runtime::custodia::{
		self,
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec,
			custodia_primitives::consortium::MemberKind,
		},
		vaults::events::{RecordRegistered, RecordRejected, RecordRetired},
	},
	Cli, Error,
};
use subxt::utils::{AccountId32, H256};

/// A record as the chain stores it.
pub type Stored = custodia::vaults::storage::records::Output;

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
) -> Result<Added, Error> {
	let summary = fhir::check_bundle(body)?;
	let steward = match steward {
		Some(steward) => account_id(steward)?,
		None => first_steward(chain).await?,
	};
	let planned = report::plan(chain, categories, reporting, body).await?;
	let object = object::seal_record(&me.x25519_public, body)?;
	let hash = content_hash(&object);
	let cid = ipfs.add(object.clone(), true).await?;
	let call = custodia::transactions().vaults().register_record(
		me.keypair.public_key().to_account_id(),
		BoundedVec(cid.as_bytes().to_vec()),
		H256(hash),
		object.len() as u64,
		BoundedVec(categories.iter().map(|&c| c.into()).collect()),
		steward,
	);
	let included = unpin_if_refused(ipfs, &cid, chain.submit(&call, &me.keypair).await).await?;
	let record = included.find::<RecordRegistered>()?.record;
	let reports = match &planned {
		Planned::Skip(note) => Outcome::Skipped(note.clone()),
		Planned::Reports { .. } => Outcome::Submitted(report::submit(chain, ipfs, me, record, &planned).await.map_err(|e| e.map_message(|message| {
			format!(
				"record {record} is registered (block {}, {cid}), but its statistics report is not: {message}; try again with: custodia report submit --as {} --record {record}",
				included.block, me.name
			)
		}))?),
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
	outcome: Result<T, Error>,
) -> Result<T, Error> {
	if outcome.is_err() {
		if let Err(e) = ipfs.unpin(cid).await {
			eprintln!("warning: could not unpin {cid} after the refusal: {e:#}");
		}
	}
	outcome
}

/// The first active data steward, in the consortium's order.
async fn first_steward(chain: &Chain) -> Result<AccountId32, Error> {
	let stewards = chain
		.call_api(
			custodia::runtime_apis()
				.consortium_api()
				.active_members(MemberKind::DataSteward),
		)
		.await?;
	stewards.into_iter().next().ok_or_else(|| Error::Refused("the consortium has no active data steward to pin the record; ask governance to admit one, or name one with --steward".into()))
}

/// A record as stored on chain, or an error naming it.
pub async fn stored(chain: &Chain, record: u64) -> Result<Stored, Error> {
	chain
		.fetch(custodia::storage().vaults().records(), (record,))
		.await?
		.ok_or_else(|| no_record(record))
}

fn no_record(record: u64) -> Error {
	Error::Refused(format!("there is no record {record} (see `custodia record list`)"))
}

/// Fetches record `record` from IPFS, checks it against the chain and opens its body with `me`'s
/// key; returns its CID and the body.
pub async fn open_own(
	chain: &Chain,
	ipfs: &Ipfs,
	me: &Identity,
	record: u64,
) -> Result<(String, Vec<u8>), Error> {
	let stored = stored(chain, record).await?;
	let cid = String::from_utf8_lossy(&stored.cid.0).into_owned();
	let object = fetch_checked(ipfs, &cid, &stored.content_hash.0).await?;
	let body = object::open_record(&me.x25519_secret, &object).map_err(|e| {
		Error::Key(format!("record {record} does not open with `{}`'s key: {e:#}", me.name))
	})?;
	Ok((cid, body))
}

/// Fetches a stored object from IPFS (reading at most [`object::MAX_OBJECT_BYTES`]) and checks
/// it against the hash the chain holds.
pub async fn fetch_checked(ipfs: &Ipfs, cid: &str, expected: &[u8]) -> Result<Vec<u8>, Error> {
	let expected: &[u8; 32] = expected
		.try_into()
		.map_err(|_| Error::Refused(format!("the chain's hash of {cid} is not 32 bytes")))?;
	ipfs.cat_checked(cid, object::MAX_OBJECT_BYTES, expected).await
}

pub async fn run(cli: &Cli, command: &RecordCommand, out: &mut Output) -> Result<(), Error> {
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
			out.emit(data, || {
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
			let owner = me.keypair.public_key().to_account_id();
			let ids = chain.fetch(custodia::storage().vaults().records_of(), (owner,)).await?;
			let mut records = Vec::new();
			for id in ids.map(|ids| ids.0).unwrap_or_default() {
				// Shown as the chain stores it.
				let record =
					chain.fetch_as::<Value, _>(custodia::storage().vaults().records(), (id,));
				let mut record = output::to_json(&record.await?.ok_or_else(|| no_record(id))?);
				record["id"] = json!(id);
				records.push(record);
			}
			out.emit(json!(records), || {
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
		RecordCommand::Show { who, record, out: file, ipfs } => {
			let me = cli.identity(&who.name)?;
			let (cid, body) = open_own(&chain, &ipfs.client()?, &me, *record).await?;
			write_body(out, &body, file.as_deref(), json!({ "record": record, "cid": cid }))?;
		},
		RecordCommand::Retire { who, record } => {
			let me = cli.identity(&who.name)?;
			let call = custodia::transactions().vaults().retire_record(*record);
			let included = chain.submit(&call, &me.keypair).await?;
			let closed = included.find::<RecordRetired>()?.vaults_closed;
			out.emit(json!({ "record": record, "block": included.block, "vaults_closed": closed }),
				|| {
					vec![format!("record {record} retired in block {} ({closed} open vaults closed); its steward will unpin it", included.block)]
				},
			);
		},
		RecordCommand::Accept { who, record } => {
			let me = cli.identity(&who.name)?;
			let call = custodia::transactions().vaults().accept_record(*record);
			let included = chain.submit(&call, &me.keypair).await?;
			included.find::<RecordRegistered>()?;
			out.emit(json!({ "record": record, "block": included.block }), || {
				vec![format!(
					"record {record} accepted in block {}: it is yours now and its steward pins it",
					included.block
				)]
			});
		},
		RecordCommand::Reject { who, record } => {
			let me = cli.identity(&who.name)?;
			let call = custodia::transactions().vaults().reject_record(*record);
			let included = chain.submit(&call, &me.keypair).await?;
			included.find::<RecordRejected>()?;
			out.emit(json!({ "record": record, "block": included.block }), || {
				vec![format!("record {record} rejected in block {}: dropped, the institution's deposit released", included.block)]
			});
		},
	}
	Ok(())
}

/// Prints an opened FHIR body (or writes it to `out`); with `--json`, `meta` plus the bundle.
pub fn write_body(
	out: &mut Output,
	body: &[u8],
	file: Option<&std::path::Path>,
	mut meta: Json,
) -> Result<(), Error> {
	let bundle: Json = serde_json::from_slice(body)
		.map_err(|e| Error::Refused(format!("the opened body is not JSON: {e}")))?;
	if let Some(path) = file {
		// Health data: readable by its owner only, and never written over an existing file.
		use std::{io::Write, os::unix::fs::OpenOptionsExt};
		std::fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(path)
			.and_then(|mut file| file.write_all(body))
			.map_err(|e| {
				Error::Usage(format!("cannot write {} ({e}); choose another --out", path.display()))
			})?;
		meta["written_to"] = json!(path.display().to_string());
	} else if out.json() {
		meta["bundle"] = bundle.clone();
	}
	let entries = bundle.get("entry").and_then(Json::as_array).map_or(0, Vec::len);
	out.emit(meta, || match file {
		Some(path) => {
			vec![format!("FHIR Bundle with {entries} entries written to {}", path.display())]
		},
		None => vec![serde_json::to_string_pretty(&bundle).expect("JSON values serialize")],
	});
	Ok(())
}
