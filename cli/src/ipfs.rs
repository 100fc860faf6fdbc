//! IPFS for the client, through the project's one IPFS crate, `custodia-ipfs` (the worker's):
//! `add` (pinned for a person's record, unpinned for a vault's copy), `cat` (bounded while it
//! streams, checked against the chain's hash), `pin/rm` after a refused call, and `pin/ls` for
//! `steward pins`. Every call has the crate's deadline; docs/ipfs.md lists the calls.
//!
//! This module only chooses the client's bounds and turns the crate's typed errors into the
//! client's [`Error`] (its exit codes).

use std::collections::BTreeSet;

use custodia_ipfs::{Ipfs as _, Kubo, KuboOptions, CONTENT_LOOKUP};

use crate::Error;

pub use custodia_ipfs::content_hash;

/// Where the IPFS daemon's RPC API is, as commands that need it take it.
#[derive(clap::Args)]
pub struct IpfsArgs {
	/// The IPFS daemon's RPC API.
	#[arg(long, env = "CUSTODIA_IPFS_API", default_value = "http://127.0.0.1:5001")]
	pub ipfs_api: String,
}

impl IpfsArgs {
	/// A client of that daemon.
	pub fn client(&self) -> Result<Ipfs, Error> {
		Ipfs::new(&self.ipfs_api)
	}
}

/// A client of the daemon's RPC API at a URL such as `http://127.0.0.1:5001`.
pub struct Ipfs {
	kubo: Kubo,
}

impl Ipfs {
	/// Every call but garbage collection (which the client never makes) within 30 s.
	pub fn new(url: &str) -> Result<Self, Error> {
		Ok(Self { kubo: Kubo::new(url, KuboOptions::default())? })
	}

	/// Stores `data` and returns its CID. With `pin`, this daemon keeps its own copy (a person's
	/// record); without, the object only waits here for the party that must pin it (a vault
	/// object: its steward pins and later unpins it, so no copy pinned here outlives the vault).
	pub async fn add(&self, data: Vec<u8>, pin: bool) -> Result<String, Error> {
		Ok(if pin { self.kubo.add(data).await? } else { self.kubo.add_unpinned(data).await? })
	}

	/// Drops this daemon's pin of `cid` (after the chain refused what it was added for); a CID
	/// that was not pinned is no failure.
	pub async fn unpin(&self, cid: &str) -> Result<(), Error> {
		Ok(self.kubo.pin_rm(cid).await?)
	}

	/// The CIDs the daemon pins recursively (what `add` pins and a steward pins).
	pub async fn pins(&self) -> Result<BTreeSet<String>, Error> {
		Ok(self.kubo.pins().await?.into_iter().collect())
	}

	/// The bytes behind `cid`, at most `limit` of them (the read stops there).
	pub async fn cat(&self, cid: &str, limit: usize) -> Result<Vec<u8>, Error> {
		Ok(self.kubo.cat(cid, limit as u64, CONTENT_LOOKUP).await?)
	}

	/// [`Ipfs::cat`], refused unless the bytes hash to `hash` ([`content_hash`], as the chain
	/// holds it).
	pub async fn cat_checked(
		&self,
		cid: &str,
		limit: usize,
		hash: &[u8; 32],
	) -> Result<Vec<u8>, Error> {
		Ok(self.kubo.cat_checked(cid, limit as u64, CONTENT_LOOKUP, hash).await?)
	}
}

impl From<custodia_ipfs::Error> for Error {
	/// A daemon that is down or too slow is unreachable (exit code 3); an address that is not a
	/// URL is bad input (2); an answer the daemon refused, content too large or not what the
	/// chain names, or an unreadable answer, is a refusal (1).
	fn from(error: custodia_ipfs::Error) -> Self {
		use custodia_ipfs::Error as Ipfs;
		match error {
			Ipfs::Unreachable { .. } | Ipfs::Timeout { .. } => {
				Error::Unreachable(anyhow::anyhow!("IPFS: {error}"))
			},
			Ipfs::InvalidUrl { .. } => Error::Usage(format!("{error} (see --ipfs-api)")),
			Ipfs::TooLarge { .. }
			| Ipfs::HashMismatch { .. }
			| Ipfs::Daemon { .. }
			| Ipfs::BadResponse { .. } => Error::Refused(format!("IPFS: {error}")),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_stopped_daemon_is_unreachable_and_a_bad_address_is_usage() {
		let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
		// Port 9 (discard) on loopback: nothing listens there in the tests.
		let ipfs = Ipfs::new("http://127.0.0.1:9").unwrap();
		let failure = runtime.block_on(ipfs.cat("QmX", 16)).unwrap_err();
		assert!(matches!(failure, Error::Unreachable(_)), "{failure}");
		assert!(matches!(Ipfs::new("not a url"), Err(Error::Usage(_))));
	}

	#[test]
	fn content_facts_are_refusals() {
		let failure: Error = custodia_ipfs::Error::HashMismatch { cid: "QmX".into() }.into();
		assert!(matches!(failure, Error::Refused(m) if m.contains("QmX")));
		let failure: Error = custodia_ipfs::Error::TooLarge { cid: "QmX".into(), limit: 1 }.into();
		assert!(matches!(failure, Error::Refused(_)));
	}
}
