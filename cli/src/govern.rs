//! Consortium governance from the command line, on a chain governed by a sudo key (`--dev`):
//! admitting members and starting a key epoch. On the local and production nets governance is
//! the council's (a motion voted by a majority of members), which polkadot.js Apps drives.
//! Also transfers, to fund new accounts.

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use subxt::{
	dynamic::{At, Value},
	ext::scale_value::ValueDef,
};

use crate::{
	chain::{account, call, option, variant, Chain, Included},
	consent::AsArgs,
	output, Cli, Exit,
};

/// One unit of the chain's token (12 decimals).
const UNIT: u128 = 1_000_000_000_000;

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
	Institution,
	DataSteward,
	Evaluator,
}

#[derive(Subcommand)]
pub enum GovernCommand {
	/// (Sudo) Admit a member: an institution, a data steward (pins records), an evaluator (runs FHE jobs, holds key shares).
	///
	/// Example: custodia govern admit --as alice --member 5F… --kinds institution --name "General Hospital" --hpke-key 0x…
	Admit {
		#[command(flatten)]
		who: AsArgs,
		/// The member's account (SS58).
		#[arg(long)]
		member: String,
		/// What it may do, comma-separated.
		#[arg(long, value_delimiter = ',', required = true)]
		kinds: Vec<Kind>,
		/// Its name, as people asked for consent see it.
		#[arg(long = "name")]
		member_name: String,
		/// Its X25519 envelope key (hex; `custodia keys list` shows an identity's).
		#[arg(long)]
		hpke_key: String,
		/// For a data steward: its IPFS peer id or multiaddr (`ipfs id`).
		#[arg(long)]
		ipfs_address: Option<String>,
	},
	/// (Sudo) Start a key epoch: the holders make a new consortium FHE key together, with no dealer.
	///
	/// Example: custodia govern start-key-epoch --as alice --holders 5GrwvaEF…
	StartKeyEpoch {
		#[command(flatten)]
		who: AsArgs,
		/// The key holders (active evaluators), comma-separated.
		#[arg(long, value_delimiter = ',', required = true)]
		holders: Vec<String>,
	},
}

/// Submits `Sudo.sudo(pallet.name(fields))` and returns where it landed, or the inner call's
/// error (a sudo call succeeds even when the call it wraps fails).
async fn sudo(chain: &Chain, me: &crate::keystore::Identity, pallet: &str, name: &str, fields: Vec<(&str, Value)>) -> Result<Included, Exit> {
	if chain.storage("Sudo", "Key", vec![]).await?.is_none() {
		return Err(Exit(1, "this chain has no sudo key: its governance is the council's (propose a motion, e.g. in polkadot.js Apps > Governance)".into()));
	}
	let included = chain.submit("Sudo", "sudo", vec![("call", call(pallet, name, fields))], &me.keypair).await?;
	if let Some(error) = included.event("Sudo", "Sudid")?.at("sudo_result").and_then(|r| match &r.value {
		ValueDef::Variant(v) if v.name == "Err" => v.values.values().next(),
		_ => None,
	}) {
		return Err(Exit(1, format!("{pallet}.{name} was refused: {}", chain.explain(error).await)));
	}
	Ok(included)
}

pub async fn run(cli: &Cli, command: &GovernCommand) -> Result<(), Exit> {
	let chain = Chain::connect(cli.url()).await?;
	match command {
		GovernCommand::Admit { who, member, kinds, member_name: name, hpke_key, ipfs_address } => {
			let me = cli.identity(&who.name)?;
			let key: [u8; 32] = hex::decode(hpke_key.trim_start_matches("0x"))
				.ok()
				.and_then(|k| k.try_into().ok())
				.ok_or_else(|| Exit(2, "--hpke-key must be 32 bytes of hex".into()))?;
			let mut kinds: Vec<&str> = kinds.iter().map(|k| match k {
				Kind::Institution => "Institution",
				Kind::DataSteward => "DataSteward",
				Kind::Evaluator => "Evaluator",
			}).collect();
			kinds.dedup();
			let fields = vec![
				("who", account(member)?),
				("kinds", Value::unnamed_composite(kinds.iter().map(|k| variant(k)))),
				("name", Value::from_bytes(name.as_bytes())),
				("hpke_key", Value::from_bytes(key)),
				("ipfs_address", option(ipfs_address.as_ref().map(|a| Value::from_bytes(a.as_bytes())))),
			];
			let included = sudo(&chain, &me, "Consortium", "admit_member", fields).await?;
			output::emit(cli.json(), json!({ "member": member, "kinds": kinds, "block": included.block }), || {
				vec![format!("{name} ({member}) admitted as {} in block {}", kinds.join(" + "), included.block)]
			});
		},
		GovernCommand::StartKeyEpoch { who, holders } => {
			let me = cli.identity(&who.name)?;
			let list = holders.iter().map(|h| account(h)).collect::<anyhow::Result<Vec<_>>>()?;
			let included = sudo(&chain, &me, "Fhe", "start_key_epoch", vec![("holders", Value::unnamed_composite(list))]).await?;
			let started = output::to_json(included.event("Fhe", "KeyEpochStarted")?);
			output::emit(cli.json(), json!({ "epoch": started["epoch"], "block": included.block }), || {
				vec![format!("key epoch {} started in block {} with {} holders", started["epoch"], included.block, holders.len())]
			});
		},
	}
	Ok(())
}

/// Transfers `amount` units to each of `to` (submitted together, waited for together).
pub async fn transfer(cli: &Cli, name: &str, amount: u64, to: &[String]) -> Result<(), Exit> {
	let me = cli.identity(name)?;
	let chain = Chain::connect(cli.url()).await?;
	let value = u128::from(amount).checked_mul(UNIT).ok_or_else(|| Exit(2, "--amount is too large".into()))?;
	let calls = to
		.iter()
		.map(|dest| Ok(vec![("dest", Value::unnamed_variant("Id", [account(dest)?])), ("value", Value::u128(value))]))
		.collect::<anyhow::Result<Vec<_>>>()?;
	let included = chain.submit_all("Balances", "transfer_keep_alive", calls, &me.keypair).await?;
	let last = included.iter().map(|i| i.block).max().unwrap_or_default();
	output::emit(cli.json(), json!({ "transfers": to.len(), "amount": amount, "block": last }), || {
		vec![format!("{amount} units sent to each of {} accounts (final by block {last})", to.len())]
	});
	Ok(())
}
