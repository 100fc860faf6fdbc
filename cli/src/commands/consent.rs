//! Consent from the command line: an institution asks (`request`) and reads its grants; a person
//! reads incoming requests and answers them (`grant`, `deny`), and withdraws a grant (`revoke`).

use clap::{Args, Subcommand};
use serde_json::json;

use crate::output::Output;
use crate::{
	chain::{account_id, Chain},
	codes::{Category, Purpose},
	output,
	runtime::{
		custodia::{
			self,
			consent::events::{ConsentGranted, ConsentRequested, ConsortiumWideConsentGranted},
			runtime_types::{
				bounded_collections::bounded_vec::BoundedVec, custodia_primitives::consent::Period,
			},
		},
		DataCategory,
	},
	Cli, Error,
};

#[derive(Subcommand)]
pub enum ConsentCommand {
	/// (Institution) Ask a person for consent: what, why, for how long.
	///
	/// Example: custodia consent request --as clinic --subject 5Grw… --scope laboratory-results,vital-signs --purpose TREAT --blocks 14400
	Request(RequestArgs),
	/// (Person) List the requests waiting for your answer.
	///
	/// Example: custodia consent requests --as me
	Requests(AsArgs),
	/// (Person) Grant a request, optionally for fewer blocks than asked.
	///
	/// Example: custodia consent grant --as me 3 --blocks 600
	Grant {
		#[command(flatten)]
		who: AsArgs,
		/// The request id (see `consent requests`).
		request: u64,
		/// Grant for this many blocks from now instead of the requested period.
		#[arg(long)]
		blocks: Option<u32>,
	},
	/// (Person) Deny a request.
	///
	/// Example: custodia consent deny --as me 3
	Deny {
		#[command(flatten)]
		who: AsArgs,
		request: u64,
	},
	/// (Person) Revoke a grant at once; vaults opened under it close.
	///
	/// Example: custodia consent revoke --as me 5
	Revoke {
		#[command(flatten)]
		who: AsArgs,
		grant: u64,
	},
	/// (Person) Join the cohort of a public-health or research purpose: any consortium
	/// institution may include your records of these categories in private statistics (Prio3:
	/// their statistics reports are counted, never read).
	///
	/// Example: custodia consent join-cohort --as me --scope wearable-readings --purpose PUBHLTH --blocks 100000
	JoinCohort {
		#[command(flatten)]
		who: AsArgs,
		/// PUBHLTH, HRESCH or POPHLTH, and what and how long.
		#[command(flatten)]
		terms: Terms,
	},
	/// List live grants: yours as a person, or with --institution those made to you.
	///
	/// Example: custodia consent grants --as clinic --institution
	Grants {
		#[command(flatten)]
		who: AsArgs,
		/// List the grants made to this identity as an institution.
		#[arg(long)]
		institution: bool,
	},
}

#[derive(Args)]
pub struct AsArgs {
	/// The identity to act as (see `custodia keys list`).
	#[arg(long = "as", value_name = "NAME")]
	pub name: String,
}

#[derive(Args)]
pub struct RequestArgs {
	#[command(flatten)]
	who: AsArgs,
	/// The person's account (SS58).
	#[arg(long)]
	subject: String,
	#[command(flatten)]
	terms: Terms,
}

/// What consent covers, why and for how long.
#[derive(Args)]
pub struct Terms {
	/// The data categories, comma-separated.
	#[arg(long, value_delimiter = ',', required = true)]
	scope: Vec<Category>,
	/// Why (HL7 PurposeOfUse).
	#[arg(long)]
	purpose: Purpose,
	/// For how many blocks from now (a block is 6 s: 14400 ≈ one day).
	#[arg(long)]
	blocks: u32,
}

fn scope(categories: &[Category]) -> BoundedVec<DataCategory> {
	BoundedVec(categories.iter().map(|&c| c.into()).collect())
}

/// `blocks` blocks from `start` (a finalized block number).
fn period(start: u64, blocks: u32) -> Result<Period<u32>, Error> {
	let start =
		u32::try_from(start).map_err(|_| Error::Usage(format!("block {start} is past u32")))?;
	let end = start
		.checked_add(blocks)
		.ok_or_else(|| Error::Usage(format!("{blocks} blocks from block {start} is past u32")))?;
	Ok(Period { start, end })
}

pub async fn run(cli: &Cli, command: &ConsentCommand, out: &mut Output) -> Result<(), Error> {
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	match command {
		ConsentCommand::Request(args) => {
			let me = cli.identity(&args.who.name)?;
			let now = chain.finalized_number().await?;
			let call = custodia::transactions().consent().request(
				account_id(&args.subject)?,
				scope(&args.terms.scope),
				args.terms.purpose.into(),
				period(now, args.terms.blocks)?,
				me.x25519_public,
			);
			let included = chain.submit(&call, &me.keypair).await?;
			let request = included.find::<ConsentRequested>()?.request;
			out.emit(json!({ "request": request, "block": included.block }), || {
				vec![format!(
					"consent request {request} sent to {} (block {})",
					args.subject, included.block
				)]
			});
		},
		ConsentCommand::Requests(who) | ConsentCommand::Grants { who, .. } => {
			let me = cli.identity(&who.name)?;
			let who = me.keypair.public_key().to_account_id();
			let api = custodia::runtime_apis().consent_api();
			// Listed as the chain gives them.
			let (list, what) = match command {
				ConsentCommand::Requests(_) => (
					chain.call_api_value(api.requests_of(who)).await?,
					"requests waiting for your answer",
				),
				ConsentCommand::Grants { institution: true, .. } => (
					chain.call_api_value(api.grants_of_institution(who)).await?,
					"live grants to you",
				),
				_ => (chain.call_api_value(api.grants_of(who)).await?, "your live grants"),
			};
			let items: Vec<_> = output::items(&list).into_iter().map(output::to_json).collect();
			out.emit(json!(items), || {
				let mut lines = vec![format!("{} {what}", items.len())];
				lines.extend(items.iter().map(|item| format!("  {item}")));
				lines
			});
		},
		ConsentCommand::Grant { who, request, blocks } => {
			let me = cli.identity(&who.name)?;
			let period = match blocks {
				Some(blocks) => Some(period(chain.finalized_number().await?, *blocks)?),
				None => None,
			};
			let call = custodia::transactions().consent().grant(*request, None, period);
			let included = chain.submit(&call, &me.keypair).await?;
			let grant = included.find::<ConsentGranted>()?.grant;
			out.emit(
				json!({ "request": request, "grant": grant, "block": included.block }),
				|| {
					vec![format!(
						"request {request} granted: grant {grant} (block {})",
						included.block
					)]
				},
			);
		},
		ConsentCommand::Deny { who, request } => {
			let me = cli.identity(&who.name)?;
			let call = custodia::transactions().consent().deny(*request);
			let included = chain.submit(&call, &me.keypair).await?;
			out.emit(json!({ "request": request, "block": included.block }), || {
				vec![format!("request {request} denied (block {})", included.block)]
			});
		},
		ConsentCommand::JoinCohort { who, terms: Terms { scope: categories, purpose, blocks } } => {
			let me = cli.identity(&who.name)?;
			let call = custodia::transactions().consent().grant_consortium_wide(
				me.keypair.public_key().to_account_id(),
				scope(categories),
				(*purpose).into(),
				period(chain.finalized_number().await?, *blocks)?,
			);
			let included = chain.submit(&call, &me.keypair).await?;
			let grant = included.find::<ConsortiumWideConsentGranted>()?.grant;
			out.emit(json!({ "grant": grant, "block": included.block }), || {
				vec![format!(
					"joined the {} cohort: grant {grant} (block {})",
					purpose.variant(),
					included.block
				)]
			});
		},
		ConsentCommand::Revoke { who, grant } => {
			let me = cli.identity(&who.name)?;
			let call = custodia::transactions().consent().revoke(*grant);
			let included = chain.submit(&call, &me.keypair).await?;
			out.emit(json!({ "grant": grant, "block": included.block }), || {
				vec![format!("grant {grant} revoked (block {})", included.block)]
			});
		},
	}
	Ok(())
}
