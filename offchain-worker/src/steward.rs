//! The data steward: keeps pinned what the chain says must be pinned, unpins and garbage-collects
//! what ended, and confirms each unpin on chain.
//!
//! The chain is the only to-do list (`VaultsApi::must_pin` / `must_unpin`): a steward that was
//! down, or whose IPFS daemon was, finds everything it missed there on its next round, so nothing
//! is ever dropped. Only what the chain names is touched; other pins on the daemon are left alone.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use custodia_primitives::vaults::{PinItem, PinTarget};
use custodia_runtime::BlockNumber;

use crate::ipfs::{Ipfs, IpfsError};

/// Blocks after which an unpin confirmation that has not landed is submitted again.
const RESUBMIT_AFTER: BlockNumber = 5;

/// What one round must do, computed from the chain's lists and what the steward knows it pinned.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
	/// CIDs to pin.
	pub pin: Vec<String>,
	/// CIDs to unpin (none of them still needed by another target).
	pub unpin: Vec<String>,
	/// Targets whose unpin to confirm on chain once `unpin` and GC are done.
	pub confirm: Vec<PinTarget>,
}

/// Plans a round: pin what is required and not pinned; unpin what ended (unless the same CID is
/// still required by another target); confirm every ended target not confirmed recently.
pub fn plan(
	must_pin: &[PinItem],
	must_unpin: &[PinItem],
	pinned: &HashSet<String>,
	confirming: &BTreeMap<PinTarget, BlockNumber>,
	now: BlockNumber,
) -> Plan {
	let required: HashSet<String> = must_pin.iter().map(cid_of).collect();
	let mut plan = Plan::default();
	for cid in &required {
		if !pinned.contains(cid) {
			plan.pin.push(cid.clone());
		}
	}
	plan.pin.sort();
	for item in must_unpin {
		if confirming.get(&item.target).is_some_and(|&at| now < at + RESUBMIT_AFTER) {
			continue;
		}
		let cid = cid_of(item);
		if !required.contains(&cid) && !plan.unpin.contains(&cid) {
			plan.unpin.push(cid);
		}
		plan.confirm.push(item.target);
	}
	plan
}

fn cid_of(item: &PinItem) -> String {
	String::from_utf8_lossy(&item.cid).into_owned()
}

/// The steward's memory between rounds. Only a cache: losing it (a restart) costs one
/// `pin/ls` and, at worst, one repeated confirmation, which the chain rejects harmlessly.
#[derive(Default)]
pub struct Steward {
	pinned: Option<HashSet<String>>,
	confirming: BTreeMap<PinTarget, BlockNumber>,
}

/// What a round did, for logs and metrics.
#[derive(Debug, Default)]
pub struct RoundReport {
	pub required: usize,
	pub pending_unpins: usize,
	pub pinned: usize,
	pub unpinned: usize,
	pub to_confirm: Vec<PinTarget>,
}

impl Steward {
	/// One round at block `now`: pins, unpins and GC on IPFS. Returns the targets whose unpin may
	/// now be confirmed on chain. An IPFS failure ends the round early; the next round retries.
	pub async fn round(
		&mut self,
		ipfs: &dyn Ipfs,
		must_pin: &[PinItem],
		must_unpin: &[PinItem],
		now: BlockNumber,
	) -> Result<RoundReport, IpfsError> {
		// At start-up (and after an IPFS failure) reconcile with what the daemon really pins.
		if self.pinned.is_none() {
			self.pinned = Some(ipfs.pins().await?);
		}
		let pinned = self.pinned.as_mut().expect("set above; qed");
		// Forget confirmations the chain has accepted (they left `must_unpin`).
		let ended: BTreeSet<PinTarget> = must_unpin.iter().map(|i| i.target).collect();
		self.confirming.retain(|target, _| ended.contains(target));

		let plan = plan(must_pin, must_unpin, pinned, &self.confirming, now);
		let mut report = RoundReport { required: must_pin.len(), pending_unpins: must_unpin.len(), ..Default::default() };
		let outcome: Result<(), IpfsError> = async {
			for cid in &plan.pin {
				ipfs.pin_add(cid).await?;
				pinned.insert(cid.clone());
				report.pinned += 1;
				log::info!(target: crate::LOG_TARGET, "steward pinned {cid}");
			}
			for cid in &plan.unpin {
				ipfs.pin_rm(cid).await?;
				pinned.remove(cid);
				report.unpinned += 1;
			}
			if !plan.unpin.is_empty() {
				ipfs.gc().await?;
				for cid in &plan.unpin {
					log::info!(target: crate::LOG_TARGET, "steward unpinned and garbage-collected {cid}");
				}
			}
			Ok(())
		}
		.await;
		if let Err(error) = outcome {
			// What the daemon pins is uncertain now: read it again next round.
			self.pinned = None;
			return Err(error);
		}
		for target in &plan.confirm {
			self.confirming.insert(*target, now);
		}
		report.to_confirm = plan.confirm;
		Ok(report)
	}

	/// A confirmation could not be submitted: allow it again next round.
	pub fn confirmation_failed(&mut self, target: &PinTarget) {
		self.confirming.remove(target);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn item(target: PinTarget, cid: &str) -> PinItem {
		PinItem { target, cid: cid.as_bytes().to_vec() }
	}

	#[test]
	fn pins_only_what_is_required_and_missing() {
		let pinned = HashSet::from(["QmA".to_string()]);
		let plan = plan(
			&[item(PinTarget::Record(1), "QmA"), item(PinTarget::Vault(1), "QmB")],
			&[],
			&pinned,
			&BTreeMap::new(),
			10,
		);
		assert_eq!(plan, Plan { pin: vec!["QmB".into()], unpin: vec![], confirm: vec![] });
	}

	#[test]
	fn unpins_and_confirms_what_ended() {
		let pinned = HashSet::from(["QmV".to_string()]);
		let plan = plan(&[], &[item(PinTarget::Vault(7), "QmV")], &pinned, &BTreeMap::new(), 10);
		assert_eq!(plan, Plan { pin: vec![], unpin: vec!["QmV".into()], confirm: vec![PinTarget::Vault(7)] });
	}

	#[test]
	fn a_cid_still_required_by_another_target_is_confirmed_but_kept() {
		let plan = plan(
			&[item(PinTarget::Vault(2), "QmSame")],
			&[item(PinTarget::Vault(1), "QmSame")],
			&HashSet::from(["QmSame".to_string()]),
			&BTreeMap::new(),
			10,
		);
		assert_eq!(plan, Plan { pin: vec![], unpin: vec![], confirm: vec![PinTarget::Vault(1)] });
	}

	#[test]
	fn a_recent_confirmation_is_not_repeated_until_it_is_overdue() {
		let ended = [item(PinTarget::Vault(3), "QmV")];
		let confirming = BTreeMap::from([(PinTarget::Vault(3), 10)]);
		let soon = plan(&[], &ended, &HashSet::new(), &confirming, 10 + RESUBMIT_AFTER - 1);
		assert_eq!(soon, Plan::default());
		let overdue = plan(&[], &ended, &HashSet::new(), &confirming, 10 + RESUBMIT_AFTER);
		assert_eq!(overdue.confirm, vec![PinTarget::Vault(3)]);
	}
}
