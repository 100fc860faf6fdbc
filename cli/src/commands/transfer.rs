//! Transfers: units sent to accounts, to fund new identities, in one go.

use clap::Args;
use serde_json::json;
use subxt::utils::MultiAddress;

use crate::{
	chain::{account_id, Chain},
	output::Output,
	runtime::custodia,
	Cli, Error,
};

/// One unit of the chain's token (12 decimals).
const UNIT: u128 = 1_000_000_000_000;

#[derive(Args)]
pub struct TransferArgs {
	/// The identity that pays.
	#[arg(long = "as", value_name = "NAME")]
	name: String,
	/// Units to each account.
	#[arg(long)]
	amount: u64,
	/// The accounts (SS58).
	#[arg(required = true)]
	to: Vec<String>,
}

/// Transfers `--amount` units to each account (submitted together, waited for together), then
/// checks that each one landed.
pub async fn run(cli: &Cli, args: &TransferArgs, out: &mut Output) -> Result<(), Error> {
	let TransferArgs { name, amount, to } = args;
	let amount = *amount;
	let me = cli.identity(name)?;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let value = u128::from(amount)
		.checked_mul(UNIT)
		.ok_or_else(|| Error::Usage("--amount is too large".into()))?;
	let calls = to
		.iter()
		.map(|dest| {
			let dest = MultiAddress::Id(account_id(dest)?);
			Ok(custodia::transactions().balances().transfer_keep_alive(dest, value))
		})
		.collect::<anyhow::Result<Vec<_>>>()?;
	let included = chain.submit_all(&calls, &me.keypair).await?;
	let last = included.block;
	// Every transfer is in a finalized block by now; check that each one landed.
	for dest in to {
		let account = chain
			.fetch(custodia::storage().system().account(), (account_id(dest)?,))
			.await?;
		let free = account.map(|a| a.data.free).unwrap_or_default();
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
