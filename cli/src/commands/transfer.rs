//! Transfers: units sent to accounts, to fund new identities, in one go.

use std::collections::BTreeMap;

use clap::Args;
use serde_json::json;
use subxt::utils::{AccountId32, MultiAddress};

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
/// checks that each one landed: every account's free balance grew by what was sent to it.
pub async fn run(cli: &Cli, args: &TransferArgs, out: &mut Output) -> Result<(), Error> {
	let TransferArgs { name, amount, to } = args;
	let amount = *amount;
	let me = cli.identity(name)?;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	// At most u64::MAX × 10¹², far below u128::MAX.
	let value = u128::from(amount) * UNIT;
	let accounts = to.iter().map(|dest| account_id(dest)).collect::<anyhow::Result<Vec<_>>>()?;
	// What each account should gain (an account named twice gains twice), from its balance now.
	let mut expected = BTreeMap::<AccountId32, u128>::new();
	for account in &accounts {
		let before = match expected.get(account) {
			Some(before) => *before,
			None => free_balance(&chain, account).await?,
		};
		expected.insert(*account, before + value);
	}
	let calls = accounts
		.iter()
		.map(|account| {
			custodia::transactions()
				.balances()
				.transfer_keep_alive(MultiAddress::Id(*account), value)
		})
		.collect::<Vec<_>>();
	let included = chain.submit_all(&calls, &me.keypair).await?;
	let last = included.block;
	// Every transfer is in a finalized block by now, which is where balances are read.
	for (dest, account) in to.iter().zip(&accounts) {
		let free = free_balance(&chain, account).await?;
		if free < expected[account] {
			return Err(Error::Refused(format!(
				"the transfer to {dest} did not land (its balance is {free}, {} was expected); see the node's log",
				expected[account]
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

/// The free balance of `account` at the latest finalized block (0 for an account never funded).
async fn free_balance(chain: &Chain, account: &AccountId32) -> Result<u128, Error> {
	let stored = chain.fetch(custodia::storage().system().account(), (*account,)).await?;
	Ok(stored.map(|a| a.data.free).unwrap_or_default())
}
