//! Consortium governance from the command line: admitting members (statistics' governance
//! calls — schemas, aggregator epochs, privacy parameters — are under `custodia statistic` and go
//! through [`enact`] too).
//! On a chain with a sudo key (`--dev`) the call is made at once; otherwise (the local net,
//! production) it is proposed as a council motion, which more than half of the members must
//! approve (`govern vote`) before anyone closes it (`govern close`) and it executes.

use clap::{Subcommand, ValueEnum};
use serde_json::json;
use subxt::{
	dynamic::{At, Value},
	ext::scale_value::ValueDef,
	utils::H256,
};

use crate::output::Output;
use crate::{
	chain::{account_id, Chain, Included},
	consent::AsArgs,
	runtime::custodia::{
		self,
		council::events::{Disapproved, Executed, Proposed, Voted},
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec,
			custodia_primitives::consortium::MemberKind, sp_weights::weight_v2::Weight,
		},
		sudo::events::Sudid,
	},
	Cli, Error,
};

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
	Institution,
	DataSteward,
	Evaluator,
}

impl Kind {
	/// Its name in the runtime.
	fn name(self) -> &'static str {
		match self {
			Kind::Institution => "Institution",
			Kind::DataSteward => "DataSteward",
			Kind::Evaluator => "Evaluator",
		}
	}

	fn member_kind(self) -> MemberKind {
		match self {
			Kind::Institution => MemberKind::Institution,
			Kind::DataSteward => MemberKind::DataSteward,
			Kind::Evaluator => MemberKind::Evaluator,
		}
	}
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

/// Makes the governance call `call`: through sudo when the chain has a sudo key, else as a
/// council motion proposed by `me`.
pub(crate) async fn enact(
	chain: &Chain,
	me: &crate::keystore::Identity,
	call: custodia::Call,
) -> Result<Enacted, Error> {
	let (name, length) = chain.describe(&call).await?;
	if chain.fetch(custodia::storage().sudo().key(), ()).await?.is_some() {
		return sudo(chain, me, &name, call).await.map(Enacted::Done);
	}
	let members = chain
		.fetch(custodia::storage().council().members(), ())
		.await?
		.map(|m| m.len())
		.unwrap_or_default() as u32;
	let threshold = members / 2 + 1;
	let motion = custodia::transactions().council().propose(threshold, call, length);
	let included = chain.submit(&motion, &me.keypair).await?;
	// A council of one executes the call at once.
	if included.try_find::<Executed>()?.is_some() {
		refuse_failed::<Executed>(chain, &included, "result", |why| {
			format!("{name} was refused: {why}")
		})
		.await?;
		return Ok(Enacted::Done(included));
	}
	let proposed = included.find::<Proposed>()?;
	let index = proposed.proposal_index;
	// A proposer's motion does not count its vote; the proposer approves it, so vote now.
	let vote = custodia::transactions().council().vote(proposed.proposal_hash, index, true);
	let voted = chain.submit(&vote, &me.keypair).await?;
	Ok(Enacted::Proposed { index, threshold, block: voted.block })
}

/// The hash of open motion `index`.
async fn motion_hash(chain: &Chain, index: u32) -> Result<H256, Error> {
	let proposals = chain.fetch(custodia::storage().council().proposals(), ()).await?;
	for hash in proposals.map(|p| p.0).unwrap_or_default() {
		let voting = chain.fetch(custodia::storage().council().voting(), (hash,)).await?;
		if voting.is_some_and(|v| v.index == index) {
			return Ok(hash);
		}
	}
	Err(Error::Refused(format!(
		"there is no open motion {index} (closed already, or never proposed)"
	)))
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

/// Submits `Sudo.sudo(call)` (`name` names `call`) and returns where it landed, or the inner
/// call's error (a sudo call succeeds even when the call it wraps fails).
async fn sudo(
	chain: &Chain,
	me: &crate::keystore::Identity,
	name: &str,
	call: custodia::Call,
) -> Result<Included, Error> {
	let included = chain.submit(&custodia::transactions().sudo().sudo(call), &me.keypair).await?;
	refuse_failed::<Sudid>(chain, &included, "sudo_result", |why| {
		format!("{name} was refused: {why}")
	})
	.await?;
	Ok(included)
}

/// Refuses, with `message` of the explained error, when the dispatch result in field `result` of
/// event `E` (`Sudo.Sudid`, `Council.Executed`) is an error. The result is read generically: the
/// error is named from the node's metadata ([`Chain::explain`]).
async fn refuse_failed<E: subxt::events::DecodeAsEvent>(
	chain: &Chain,
	included: &Included,
	result: &str,
	message: impl FnOnce(String) -> String,
) -> Result<(), Error> {
	let fields = included.fields_of::<E>()?;
	match fields.at(result).and_then(err_of) {
		Some(error) => Err(Error::Refused(message(chain.explain(error).await))),
		None => Ok(()),
	}
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
			let mut kinds = kinds.clone();
			kinds.sort_unstable_by_key(|k| k.name());
			kinds.dedup_by_key(|k| k.name());
			let call = custodia::consortium::Call::admit_member {
				who: account_id(member)?,
				kinds: BoundedVec(kinds.iter().map(|k| k.member_kind()).collect()),
				name: BoundedVec(name.as_bytes().to_vec()),
				hpke_key: key,
				ipfs_address: ipfs_address.as_ref().map(|a| BoundedVec(a.as_bytes().to_vec())),
			};
			let enacted = enact(&chain, &me, custodia::Call::Consortium(call)).await?;
			let kinds: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
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
			let call = custodia::transactions().council().vote(hash, *motion, *aye);
			let included = chain.submit(&call, &me.keypair).await?;
			let Voted { yes, no, .. } = included.find::<Voted>()?;
			out.emit(
				json!({ "motion": motion, "aye": aye, "ayes": yes, "nays": no, "block": included.block }),
				|| {
					vec![format!(
						"voted {} on motion {motion} in block {} ({yes} ayes, {no} nays)",
						if *aye { "aye" } else { "nay" },
						included.block,
					)]
				},
			);
		},
		GovernCommand::Close { who, motion } => {
			let me = cli.identity(&who.name)?;
			let hash = motion_hash(&chain, *motion).await?;
			// Bounds the motion's execution is checked against (generous: governance calls are small).
			let weight = Weight { ref_time: 500_000_000_000, proof_size: 1_000_000 };
			let call =
				custodia::transactions()
					.council()
					.close(hash, *motion, weight, MAX_PROPOSAL_LEN);
			let included = chain.submit(&call, &me.keypair).await?;
			if included.try_find::<Disapproved>()?.is_some() {
				return Err(Error::Refused(format!(
					"motion {motion} was closed without a majority: it did not execute"
				)));
			}
			refuse_failed::<Executed>(&chain, &included, "result", |why| {
				format!("motion {motion} executed but its call failed: {why}")
			})
			.await?;
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
