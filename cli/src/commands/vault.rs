//! Shared data vaults: the person opens one for a grant (the record re-sealed to the grantee's
//! key) and may close it early; the institution lists, fetches and opens it while it is open,
//! and attests removal of its copy once it has ended.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use subxt::dynamic::Value;

use crate::output::Output;
use crate::{
	chain::Chain,
	consent::AsArgs,
	ipfs::IpfsArgs,
	object, output, progress, record,
	runtime::custodia::{
		self,
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec, custodia_primitives::consent::Grantee,
		},
		vaults::events::VaultOpened,
	},
	Cli, Error,
};

#[derive(Subcommand)]
pub enum VaultCommand {
	/// (Person) Share one record with a grant's institution until a block: the record is opened
	/// with your key, re-sealed to the key named in the consent request and stored in IPFS
	/// unpinned (its steward pins it while the vault is open).
	///
	/// Example: custodia vault open --as me --grant 2 --record 0 --blocks 100
	Open {
		#[command(flatten)]
		who: AsArgs,
		/// The grant (see `custodia consent grants --as me`).
		#[arg(long)]
		grant: u64,
		/// The record to share (see `custodia record list --as me`).
		#[arg(long)]
		record: u64,
		/// Keep it open this many blocks from now [default: until the grant ends].
		#[arg(long)]
		blocks: Option<u32>,
		#[command(flatten)]
		ipfs: IpfsArgs,
	},
	/// (Person or institution) Close a vault before it expires; its steward unpins it.
	///
	/// Example: custodia vault close --as me 4
	Close {
		#[command(flatten)]
		who: AsArgs,
		vault: u64,
	},
	/// List the open vaults of your grants (as a person), or with --institution those shared
	/// with you.
	///
	/// Example: custodia vault list --as clinic --institution
	List {
		#[command(flatten)]
		who: AsArgs,
		#[arg(long)]
		institution: bool,
	},
	/// Show a vault: its state, expiry, whether its steward unpinned it and its grantee attested removal.
	///
	/// Example: custodia vault show 4 --json
	Show { vault: u64 },
	/// (Institution) Fetch an open vault shared with you and open it with your key.
	///
	/// Example: custodia vault fetch --as clinic 4 --out patient.json
	Fetch {
		#[command(flatten)]
		who: AsArgs,
		vault: u64,
		/// Write the FHIR Bundle here instead of printing it.
		#[arg(long)]
		out: Option<PathBuf>,
		#[command(flatten)]
		ipfs: IpfsArgs,
	},
	/// (Institution) Once a vault has expired or closed: delete your copy (with --delete) and
	/// attest on chain that you removed it.
	///
	/// Example: custodia vault attest --as clinic 4 --delete patient.json
	Attest {
		#[command(flatten)]
		who: AsArgs,
		vault: u64,
		/// Your local copy, deleted before the attestation is signed.
		#[arg(long)]
		delete: Option<PathBuf>,
	},
}

/// A vault as the chain stores it, or an error naming it.
async fn stored(
	chain: &Chain,
	vault: u64,
) -> Result<custodia::vaults::storage::vaults::Output, Error> {
	chain
		.fetch(custodia::storage().vaults().vaults(), (vault,))
		.await?
		.ok_or_else(|| no_vault(vault))
}

/// A vault as `--json` shows it: as the chain stores it.
async fn shown(chain: &Chain, vault: u64) -> Result<serde_json::Value, Error> {
	let value = chain
		.fetch_as::<Value, _>(custodia::storage().vaults().vaults(), (vault,))
		.await?;
	Ok(output::to_json(&value.ok_or_else(|| no_vault(vault))?))
}

fn no_vault(vault: u64) -> Error {
	Error::Refused(format!("there is no vault {vault} (see `custodia vault list`)"))
}

/// Whether the vault may be read now (at the finalized block).
async fn is_open(chain: &Chain, vault: u64) -> Result<bool, Error> {
	chain.call_api(custodia::runtime_apis().vaults_api().is_vault_open(vault)).await
}

/// The key a grant's vaults are sealed to: the requester key of its consent request, else the
/// institution's key in the consortium.
async fn grantee_key(chain: &Chain, grant_id: u64) -> Result<([u8; 32], u64), Error> {
	let grant = chain
		.fetch(custodia::storage().consent().grants(), (grant_id,))
		.await?
		.ok_or_else(|| {
			Error::Refused(format!(
				"there is no grant {grant_id} (see `custodia consent grants --as me`)"
			))
		})?;
	let end = u64::from(grant.period.end);
	let key = match grant.request {
		Some(request) => {
			let request = chain
				.fetch(custodia::storage().consent().requests(), (request,))
				.await?
				.ok_or_else(|| {
					Error::Refused(format!(
						"grant {grant_id}'s consent request is no longer stored"
					))
				})?;
			request.requester_key
		},
		None => {
			let Grantee::Institution(institution) = grant.grantee else {
				return Err(Error::Refused(format!("grant {grant_id} is for the whole consortium (statistics only); vaults are opened under a grant to one institution")));
			};
			let member =
				chain.fetch(custodia::storage().consortium().members(), (institution,)).await?;
			member.map(|m| m.hpke_key).ok_or_else(|| {
				Error::Refused(format!("grant {grant_id}'s institution is not a consortium member"))
			})?
		},
	};
	Ok((key, end))
}

pub async fn run(cli: &Cli, command: &VaultCommand, out: &mut Output) -> Result<(), Error> {
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	match command {
		VaultCommand::Open { who, grant, record, blocks, ipfs } => {
			let me = cli.identity(&who.name)?;
			let spinner = progress::spinner(
				cli.json(),
				format!("re-sealing record {record} for grant {grant}"),
			);
			let (key, grant_end) = grantee_key(&chain, *grant).await?;
			let ipfs = ipfs.client()?;
			let (_, body) = record::open_own(&chain, &ipfs, &me, *record).await?;
			let copy = object::seal_vault_copy(&key, *grant, *record, &body)?;
			// Unpinned: the vault's steward pins it and unpins it when the vault ends; a pin of this
			// daemon would keep the copy after that, with nothing ever to remove it.
			let copy_cid = ipfs.add(copy, false).await?;
			let expires_at = match blocks {
				Some(blocks) => chain.finalized_number().await? + u64::from(*blocks),
				None => grant_end,
			};
			let expires_at = u32::try_from(expires_at)
				.map_err(|_| Error::Usage(format!("block {expires_at} is past u32")))?;
			let call = custodia::transactions().vaults().open_vault(
				*grant,
				*record,
				BoundedVec(copy_cid.as_bytes().to_vec()),
				expires_at,
			);
			let included = chain.submit(&call, &me.keypair).await;
			spinner.finish_and_clear();
			let included = included?;
			let vault = included.find::<VaultOpened>()?.vault;
			let data = json!({ "vault": vault, "grant": grant, "record": record, "cid": copy_cid, "expires_at": expires_at, "block": included.block });
			out.emit(data, || {
				vec![format!("vault {vault} opened in block {}: record {record} re-sealed for grant {grant} ({copy_cid}), open until block {expires_at}", included.block)]
			});
		},
		VaultCommand::Close { who, vault } => {
			let me = cli.identity(&who.name)?;
			let call = custodia::transactions().vaults().close_vault(*vault);
			let included = chain.submit(&call, &me.keypair).await?;
			out.emit(json!({ "vault": vault, "block": included.block }), || {
				vec![format!(
					"vault {vault} closed in block {}; its steward will unpin it",
					included.block
				)]
			});
		},
		VaultCommand::List { who, institution } => {
			let me = cli.identity(&who.name)?;
			let who = me.keypair.public_key().to_account_id();
			let api = custodia::runtime_apis().consent_api();
			let grants = if *institution {
				chain.call_api(api.grants_of_institution(who)).await?
			} else {
				chain.call_api(api.grants_of(who)).await?
			};
			let mut vaults = Vec::new();
			for grant in grants {
				let ids = chain
					.fetch(custodia::storage().vaults().vaults_of_grant(), (grant.id,))
					.await?;
				for id in ids.map(|ids| ids.0).unwrap_or_default() {
					let mut vault = shown(&chain, id).await?;
					vault["id"] = json!(id);
					vaults.push(vault);
				}
			}
			out.emit(json!(vaults), || {
				let mut lines = vec![format!("{} open vaults", vaults.len())];
				lines.extend(vaults.iter().map(|v| {
					format!(
						"  {:>4}  grant {}  record {}  until block {}  {}",
						v["id"],
						v["grant"],
						v["record"],
						v["expires_at"],
						v["cid"].as_str().unwrap_or("?")
					)
				}));
				lines
			});
		},
		VaultCommand::Show { vault } => {
			let mut shown = shown(&chain, *vault).await?;
			shown["id"] = json!(vault);
			shown["open"] = json!(is_open(&chain, *vault).await?);
			out.emit(shown.clone(), || {
				let state = match &shown["state"] {
					serde_json::Value::String(state) => state.clone(),
					other => other.to_string(),
				};
				vec![format!(
					"vault {vault}: grant {}, record {}, opened in block {}, expires at block {}; state {state}; unpinned {}; removal attested {}",
					shown["grant"], shown["record"], shown["opened_at"], shown["expires_at"],
					if shown["unpinned"].is_null() { "no".to_string() } else { shown["unpinned"].to_string() },
					if shown["removal_attested_at"].is_null() { "no".to_string() } else { format!("in block {}", shown["removal_attested_at"]) },
				)]
			});
		},
		VaultCommand::Fetch { who, vault, out: file, ipfs } => {
			let me = cli.identity(&who.name)?;
			let stored = stored(&chain, *vault).await?;
			if !is_open(&chain, *vault).await? {
				return Err(Error::Refused(format!("vault {vault} is not open (it expired, was closed, or its grant ended); it can no longer be read")));
			}
			let (grant, record) = (stored.grant, stored.record);
			let cid = String::from_utf8_lossy(&stored.cid.0).into_owned();
			let copy = ipfs.client()?.cat(&cid, object::MAX_OBJECT_BYTES).await?;
			let body =
				object::open_vault_copy(&me.x25519_secret, grant, record, &copy).map_err(|e| {
					Error::Key(format!(
						"vault {vault} does not open with `{}`'s key: {e:#}",
						me.name
					))
				})?;
			record::write_body(
				out,
				&body,
				file.as_deref(),
				json!({ "vault": vault, "grant": grant, "record": record, "cid": cid }),
			)?;
		},
		VaultCommand::Attest { who, vault, delete } => {
			let me = cli.identity(&who.name)?;
			let stored = stored(&chain, *vault).await?;
			let cid = String::from_utf8_lossy(&stored.cid.0).into_owned();
			// Every refusal the chain would give comes before deleting anything.
			if stored.grantee.0 != me.keypair.public_key().0 {
				return Err(Error::Refused(format!(
					"vault {vault} was not shared with `{}`: only its grantee attests removal",
					me.name
				)));
			}
			if stored.removal_attested_at.is_some() {
				return Err(Error::Refused(format!(
					"removal of vault {vault}'s copy was already attested"
				)));
			}
			if is_open(&chain, *vault).await? {
				return Err(Error::Refused(format!("vault {vault} is still open; removal is attested once it expires or is closed (`custodia vault close`)")));
			}
			if let Some(path) = delete {
				match std::fs::remove_file(path) {
					Ok(()) => {},
					Err(e) if e.kind() == std::io::ErrorKind::NotFound => {},
					Err(e) => {
						return Err(Error::Usage(format!(
							"cannot delete {}: {e}; not attesting",
							path.display()
						)))
					},
				}
			}
			let call = custodia::transactions()
				.vaults()
				.attest_removal(*vault, BoundedVec(cid.as_bytes().to_vec()));
			let included = chain.submit(&call, &me.keypair).await?;
			out.emit(json!({ "vault": vault, "cid": cid, "block": included.block }), || {
				vec![format!(
					"removal of vault {vault}'s copy ({cid}) attested in block {}",
					included.block
				)]
			});
		},
	}
	Ok(())
}
