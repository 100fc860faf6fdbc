//! What the worker submitted recently, so that it does not submit the same thing every block
//! while its extrinsic waits in the pool, yet submits again if it never lands.

use std::collections::BTreeMap;

use custodia_runtime::BlockNumber;

/// Blocks after which a submission that has not landed is made again.
pub const RESUBMIT_AFTER: BlockNumber = 5;

/// The block of the last submission for each piece of work (a prediction job, an aggregator epoch's key, a verification batch, …).
pub struct RecentSubmissions<K> {
	at: BTreeMap<K, BlockNumber>,
}

impl<K> Default for RecentSubmissions<K> {
	fn default() -> Self {
		Self { at: BTreeMap::new() }
	}
}

impl<K: Ord + Clone> RecentSubmissions<K> {
	/// Whether `work` should be done at block `now` (not submitted in the last
	/// [`RESUBMIT_AFTER`] blocks).
	pub fn due(&self, work: &K, now: BlockNumber) -> bool {
		self.at.get(work).is_none_or(|&at| now >= at + RESUBMIT_AFTER)
	}

	/// Remembers a submission.
	pub fn submitted(&mut self, work: K, now: BlockNumber) {
		self.at.insert(work, now);
	}

	/// Forgets every piece of work the chain no longer waits for.
	pub fn retain(&mut self, waiting: &[K]) {
		self.at.retain(|work, _| waiting.contains(work));
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_recent_submission_is_not_repeated_until_it_is_overdue() {
		let mut recent = RecentSubmissions::default();
		assert!(recent.due(&7u64, 10));
		recent.submitted(7u64, 10);
		assert!(!recent.due(&7, 10 + RESUBMIT_AFTER - 1));
		assert!(recent.due(&7, 10 + RESUBMIT_AFTER));
		recent.retain(&[]);
		assert!(recent.due(&7, 11));
	}
}
