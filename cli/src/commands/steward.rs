//! The data steward's view: what the chain says it must keep pinned and must unpin, compared
//! with what its IPFS daemon actually pins. Exit code 1 when they disagree, so it can be used
//! as a check.

use std::collections::BTreeSet;

use clap::Subcommand;
use serde_json::json;

use crate::output::Output;
use crate::{
	chain::{account_id, Chain},
	ipfs::IpfsArgs,
	runtime::custodia::{
		self,
		runtime_types::custodia_primitives::vaults::{PinItem, PinTarget},
	},
	Cli, Error,
};

#[derive(Subcommand)]
pub enum StewardCommand {
	/// Compare the steward's pins in IPFS with what the chain requires of it.
	///
	/// Example: custodia steward pins 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY --ipfs-api http://127.0.0.1:5001
	Pins {
		/// The steward's account (SS58).
		steward: String,
		#[command(flatten)]
		ipfs: IpfsArgs,
	},
}

/// The required items as `(target, cid)`, e.g. `("vault 4", "bafy…")`.
fn pin_items(list: Vec<PinItem>) -> Vec<(String, String)> {
	list.into_iter()
		.map(|item| {
			let target = match item.target {
				PinTarget::Record(id) => format!("record {id}"),
				PinTarget::Vault(id) => format!("vault {id}"),
			};
			(target, String::from_utf8_lossy(&item.cid).into_owned())
		})
		.collect()
}

/// How the chain's requirements and the daemon's pins compare.
#[derive(Debug, PartialEq, Eq)]
struct Comparison {
	pinned: Vec<(String, String)>,
	missing: Vec<(String, String)>,
	left_to_unpin: Vec<(String, String)>,
	unpinned: Vec<(String, String)>,
}

fn compare(
	must_pin: Vec<(String, String)>,
	must_unpin: Vec<(String, String)>,
	pins: &BTreeSet<String>,
) -> Comparison {
	let (pinned, missing) = must_pin.into_iter().partition(|(_, cid)| pins.contains(cid));
	let (left_to_unpin, unpinned) = must_unpin.into_iter().partition(|(_, cid)| pins.contains(cid));
	Comparison { pinned, missing, left_to_unpin, unpinned }
}

pub async fn run(cli: &Cli, command: &StewardCommand, out: &mut Output) -> Result<(), Error> {
	let StewardCommand::Pins { steward, ipfs } = command;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let who = account_id(steward)?;
	let api = custodia::runtime_apis().vaults_api();
	let must_pin = pin_items(chain.call_api(api.must_pin(who)).await?);
	let must_unpin = pin_items(chain.call_api(api.must_unpin(who)).await?);
	let pins = ipfs.client()?.pins().await?;
	let c = compare(must_pin, must_unpin, &pins);
	let as_json = |items: &[(String, String)]| {
		items
			.iter()
			.map(|(t, cid)| json!({ "target": t, "cid": cid }))
			.collect::<Vec<_>>()
	};
	let data = json!({
		"steward": steward,
		"pinned": as_json(&c.pinned), "missing": as_json(&c.missing),
		"left_to_unpin": as_json(&c.left_to_unpin), "unpinned": as_json(&c.unpinned),
		"in_agreement": c.missing.is_empty() && c.left_to_unpin.is_empty(),
	});
	out.emit(data, || {
		let mut lines = vec![format!(
			"steward {steward}: {} required and pinned, {} required but NOT pinned, {} ended but still pinned, {} ended and unpinned",
			c.pinned.len(), c.missing.len(), c.left_to_unpin.len(), c.unpinned.len()
		)];
		let groups = [
			("pinned", &c.pinned),
			("MISSING", &c.missing),
			("STILL PINNED", &c.left_to_unpin),
			("unpinned", &c.unpinned),
		];
		for (label, items) in groups {
			lines.extend(
				items.iter().map(|(target, cid)| format!("  {label:<12} {target:<10} {cid}")),
			);
		}
		lines
	});
	if c.missing.is_empty() && c.left_to_unpin.is_empty() {
		Ok(())
	} else {
		Err(Error::Refused("the steward's pins do not match what the chain requires (its worker may be catching up; run again in a block)".into()))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn requirements_are_sorted_by_what_the_daemon_pins() {
		let item = |t: &str, c: &str| (t.to_string(), c.to_string());
		let pins: BTreeSet<String> = ["a", "c", "x"].into_iter().map(String::from).collect();
		let c = compare(
			vec![item("record 0", "a"), item("vault 1", "b")],
			vec![item("vault 2", "c"), item("vault 3", "d")],
			&pins,
		);
		assert_eq!(c.pinned, vec![item("record 0", "a")]);
		assert_eq!(c.missing, vec![item("vault 1", "b")]);
		assert_eq!(c.left_to_unpin, vec![item("vault 2", "c")]);
		assert_eq!(c.unpinned, vec![item("vault 3", "d")]);
	}

	#[test]
	fn targets_read_as_words() {
		let item = |target| PinItem { target, cid: b"bafy".to_vec(), size: None };
		assert_eq!(
			pin_items(vec![item(PinTarget::Vault(4)), item(PinTarget::Record(0))]),
			vec![
				("vault 4".to_string(), "bafy".to_string()),
				("record 0".to_string(), "bafy".to_string())
			]
		);
	}
}
