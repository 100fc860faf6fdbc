//! Consortium governance from the command line: admitting members (statistics' governance
//! calls — schemas, aggregator epochs, privacy parameters — are under `custodia statistic` and go
//! through [`enact`] too).
//! On a chain with a sudo key (`--dev`) the call is made at once; otherwise (the local net,
//! production) it is proposed as a council motion, which more than half of the members must
//! approve (`govern vote`) before anyone closes it (`govern close`) and it executes.
//! Also transfers, to fund new accounts.

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use subxt::{
	dynamic::{At, Value},
	ext::scale_value::ValueDef,
};

use crate::output::Output;
use crate::{
	chain::{account, call, option, variant, Chain, Included},
	consent::AsArgs,
	output, Cli, Error,
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
	/// (Governance: sudo, or a council motion) Admit a member: an institution, a data steward (pins records), an evaluator (runs FHE prediction jobs; aggregates statistics reports in an aggregator epoch).
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
	/// (Council member) Vote on a motion.
	///
	/// Example: custodia govern vote --as bob 3 --aye
	Vote {
		#[command(flatten)]
		who: AsArgs,
		/// The motion's index (printed when it was proposed).
		motion: u32,
		/// Approve (otherwise: reject).
		#[arg(long)]
		aye: bool,
	},
	/// (Council member) Close a motion once enough members voted: it executes if approved.
	///
	/// Example: custodia govern close --as alice 3
	Close {
		#[command(flatten)]
		who: AsArgs,
		motion: u32,
	},
}

/// What a governance call did.
pub(crate) enum Enacted {
	/// Executed at once (sudo).
	Done(Included),
	/// Proposed as council motion `index`, needing `threshold` ayes.
	Proposed { index: u32, threshold: u32, block: u64 },
}

/// The longest proposal `close` accepts, in bytes (governance calls are a few hundred).
const MAX_PROPOSAL_LEN: u32 = 10_000;

/// Makes the governance call `pallet.name(fields)`: through sudo when the chain has a sudo key,
/// else as a council motion proposed by `me`.
pub(crate) async fn enact(
	chain: &Chain,
	me: &crate::keystore::Identity,
	pallet: &str,
	name: &str,
	fields: Vec<(&str, Value)>,
) -> Result<Enacted, Error> {
	if chain.storage("Sudo", "Key", vec![]).await?.is_some() {
		return sudo(chain, me, pallet, name, fields).await.map(Enacted::Done);
	}
	let members = chain
		.storage("Council", "Members", vec![])
		.await?
		.map(|m| output::items(&m).len())
		.unwrap_or_default() as u32;
	let threshold = members / 2 + 1;
	let length = chain.call_len(pallet, name, fields.clone()).await?;
	let motion = vec![
		("threshold", Value::u128(threshold.into())),
		("proposal", call(pallet, name, fields)),
		("length_bound", Value::u128(length.into())),
	];
	let included = chain.submit("Council", "propose", motion, &me.keypair).await?;
	// A council of one executes the call at once.
	if let Ok(executed) = included.event("Council", "Executed") {
		if let Some(error) = executed.at("result").and_then(err_of) {
			return Err(Error::Refused(format!(
				"{pallet}.{name} was refused: {}",
				chain.explain(error).await
			)));
		}
		return Ok(Enacted::Done(included));
	}
	let proposed = included.event("Council", "Proposed")?;
	let index = crate::chain::field_u64(proposed, "proposal_index")? as u32;
	// A proposer's motion does not count its vote; the proposer approves it, so vote now.
	let hash = Value::from_bytes(
		hashes(
			proposed
				.at("proposal_hash")
				.ok_or_else(|| anyhow::anyhow!("no proposal hash"))?,
		)
		.concat(),
	);
	let vote = vec![
		("proposal", hash),
		("index", Value::u128(index.into())),
		("approve", Value::bool(true)),
	];
	let voted = chain.submit("Council", "vote", vote, &me.keypair).await?;
	Ok(Enacted::Proposed { index, threshold, block: voted.block })
}

/// The hash of open motion `index`.
async fn motion_hash(chain: &Chain, index: u32) -> Result<Value, Error> {
	let proposals = chain.storage("Council", "Proposals", vec![]).await?;
	for hash in proposals.as_ref().map(hashes).unwrap_or_default() {
		let hash = Value::from_bytes(hash);
		let voting = chain.storage("Council", "Voting", vec![hash.clone()]).await?;
		if voting.as_ref().and_then(|v| crate::chain::field_u64(v, "index").ok())
			== Some(index.into())
		{
			return Ok(hash);
		}
	}
	Err(Error::Refused(format!(
		"there is no open motion {index} (closed already, or never proposed)"
	)))
}

/// Every 32-byte array inside a value (the hashes of a `BoundedVec<H256>`, through its newtypes).
fn hashes(value: &Value) -> Vec<Vec<u8>> {
	let items = output::items(value);
	if items.len() == 32 && items.iter().all(|b| b.as_u128().is_some_and(|b| b <= 255)) {
		return vec![output::bytes(value)];
	}
	items.into_iter().flat_map(hashes).collect()
}

/// Prints what [`enact`] did, `what` describing the call (e.g. "X admitted as Institution").
pub(crate) fn report(out: &mut Output, enacted: Enacted, what: &str, mut data: serde_json::Value) {
	match enacted {
		Enacted::Done(included) => {
			data["block"] = json!(included.block);
			data["executed"] = json!(true);
			out.emit(data, || vec![format!("{what} in block {}", included.block)]);
		},
		Enacted::Proposed { index, threshold, block } => {
			data["motion"] = json!(index);
			data["threshold"] = json!(threshold);
			data["block"] = json!(block);
			out.emit(data, || {
				vec![
					format!("motion {index} proposed in block {block} ({what} once {threshold} council members approve; you voted aye)"),
					format!("members vote: custodia govern vote --as NAME {index} --aye; then: custodia govern close --as NAME {index}"),
				]
			});
		},
	}
}

/// Submits `Sudo.sudo(pallet.name(fields))` and returns where it landed, or the inner call's
/// error (a sudo call succeeds even when the call it wraps fails).
async fn sudo(
	chain: &Chain,
	me: &crate::keystore::Identity,
	pallet: &str,
	name: &str,
	fields: Vec<(&str, Value)>,
) -> Result<Included, Error> {
	let included = chain
		.submit("Sudo", "sudo", vec![("call", call(pallet, name, fields))], &me.keypair)
		.await?;
	if let Some(error) = included.event("Sudo", "Sudid")?.at("sudo_result").and_then(err_of) {
		return Err(Error::Refused(format!(
			"{pallet}.{name} was refused: {}",
			chain.explain(error).await
		)));
	}
	Ok(included)
}

/// The error inside a `Result` value, if it is `Err`.
fn err_of(result: &Value) -> Option<&Value> {
	match &result.value {
		ValueDef::Variant(v) if v.name == "Err" => v.values.values().next(),
		_ => None,
	}
}

pub async fn run(cli: &Cli, command: &GovernCommand, out: &mut Output) -> Result<(), Error> {
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	match command {
		GovernCommand::Admit { who, member, kinds, member_name: name, hpke_key, ipfs_address } => {
			let me = cli.identity(&who.name)?;
			let key: [u8; 32] = hex::decode(hpke_key.trim_start_matches("0x"))
				.ok()
				.and_then(|k| k.try_into().ok())
				.ok_or_else(|| Error::Usage("--hpke-key must be 32 bytes of hex".into()))?;
			let mut kinds: Vec<&str> = kinds
				.iter()
				.map(|k| match k {
					Kind::Institution => "Institution",
					Kind::DataSteward => "DataSteward",
					Kind::Evaluator => "Evaluator",
				})
				.collect();
			kinds.sort_unstable();
			kinds.dedup();
			let fields = vec![
				("who", account(member)?),
				("kinds", Value::unnamed_composite(kinds.iter().map(|k| variant(k)))),
				("name", Value::from_bytes(name.as_bytes())),
				("hpke_key", Value::from_bytes(key)),
				(
					"ipfs_address",
					option(ipfs_address.as_ref().map(|a| Value::from_bytes(a.as_bytes()))),
				),
			];
			let enacted = enact(&chain, &me, "Consortium", "admit_member", fields).await?;
			report(
				out,
				enacted,
				&format!("{name} ({member}) admitted as {}", kinds.join(" + ")),
				json!({ "member": member, "kinds": kinds }),
			);
		},
		GovernCommand::Vote { who, motion, aye } => {
			let me = cli.identity(&who.name)?;
			let hash = motion_hash(&chain, *motion).await?;
			let fields = vec![
				("proposal", hash),
				("index", Value::u128((*motion).into())),
				("approve", Value::bool(*aye)),
			];
			let included = chain.submit("Council", "vote", fields, &me.keypair).await?;
			let voted = output::to_json(included.event("Council", "Voted")?);
			out.emit(json!({ "motion": motion, "aye": aye, "ayes": voted["yes"], "nays": voted["no"], "block": included.block }),
				|| {
					vec![format!(
						"voted {} on motion {motion} in block {} ({} ayes, {} nays)",
						if *aye { "aye" } else { "nay" },
						included.block,
						voted["yes"],
						voted["no"]
					)]
				},
			);
		},
		GovernCommand::Close { who, motion } => {
			let me = cli.identity(&who.name)?;
			let hash = motion_hash(&chain, *motion).await?;
			// Bounds the motion's execution is checked against (generous: governance calls are small).
			let weight = Value::named_composite([
				("ref_time", Value::u128(500_000_000_000)),
				("proof_size", Value::u128(1_000_000)),
			]);
			let fields = vec![
				("proposal_hash", hash),
				("index", Value::u128((*motion).into())),
				("proposal_weight_bound", weight),
				("length_bound", Value::u128(MAX_PROPOSAL_LEN.into())),
			];
			let included = chain.submit("Council", "close", fields, &me.keypair).await?;
			if included.event("Council", "Disapproved").is_ok() {
				return Err(Error::Refused(format!(
					"motion {motion} was closed without a majority: it did not execute"
				)));
			}
			let executed = included.event("Council", "Executed")?;
			if let Some(error) = executed.at("result").and_then(err_of) {
				return Err(Error::Refused(format!(
					"motion {motion} executed but its call failed: {}",
					chain.explain(error).await
				)));
			}
			out.emit(
				json!({ "motion": motion, "executed": true, "block": included.block }),
				|| {
					vec![format!(
						"motion {motion} approved and executed in block {}",
						included.block
					)]
				},
			);
		},
	}
	Ok(())
}

/// Transfers `amount` units to each of `to` (submitted together, waited for together).
pub async fn transfer(
	cli: &Cli,
	name: &str,
	amount: u64,
	to: &[String],
	out: &mut Output,
) -> Result<(), Error> {
	let me = cli.identity(name)?;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let value = u128::from(amount)
		.checked_mul(UNIT)
		.ok_or_else(|| Error::Usage("--amount is too large".into()))?;
	let calls = to
		.iter()
		.map(|dest| {
			Ok(vec![
				("dest", Value::unnamed_variant("Id", [account(dest)?])),
				("value", Value::u128(value)),
			])
		})
		.collect::<anyhow::Result<Vec<_>>>()?;
	let included = chain.submit_all("Balances", "transfer_keep_alive", calls, &me.keypair).await?;
	let last = included.block;
	// Every transfer is in a finalized block by now; check that each one landed.
	for dest in to {
		let account = chain.storage("System", "Account", vec![account(dest)?]).await?;
		let free = account
			.as_ref()
			.and_then(|a| a.at("data"))
			.and_then(|d| d.at("free"))
			.and_then(|f| f.as_u128())
			.unwrap_or_default();
		if free < value {
			return Err(Error::Refused(format!(
				"the transfer to {dest} did not land (its balance is {free}); see the node's log"
			)));
		}
	}
	out.emit(json!({ "transfers": to.len(), "amount": amount, "block": last }), || {
		vec![format!(
			"{amount} units sent to each of {} accounts (final by block {last})",
			to.len()
		)]
	});
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn motion_hashes_are_found_through_newtypes() {
		let h256 = |b: u8| Value::unnamed_composite([Value::from_bytes([b; 32])]);
		let bounded = Value::unnamed_composite([Value::unnamed_composite([h256(1), h256(2)])]);
		assert_eq!(hashes(&bounded), vec![vec![1u8; 32], vec![2u8; 32]]);
		assert!(hashes(&Value::unnamed_composite([Value::unnamed_composite([])])).is_empty());
	}
}
