// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! # Custodia IPFS
//!
//! The calls Custodia makes to an IPFS daemon through the Kubo RPC API (`/api/v0`), behind one
//! small trait, [`Ipfs`], so that the worker's roles can be tested against a fake daemon.
//!
//! [`Kubo`] is the implementation for real daemons. Every call is bounded, because the CIDs it is
//! asked about come from the chain, where anyone may have put them:
//!
//! - **Time:** every call has a deadline ([`KuboOptions::call_timeout`], [`Error::Timeout`]); calls
//!   that may look for content on the network also pass Kubo a shorter `timeout`, so that a CID
//!   nobody serves is the daemon's refusal ([`Error::Daemon`]), not a hang.
//! - **Size:** reads stop as soon as the answer passes the caller's limit, before anything is
//!   hashed or decoded ([`Error::TooLarge`]); [`Ipfs::pin_add`] reads the object within the size
//!   the caller declares before it pins it, so an oversized object is never pinned.
//! - **Integrity:** [`Ipfs::cat_checked`] compares the bytes with the hash the chain holds
//!   ([`content_hash`], [`Error::HashMismatch`]).
//! - **Garbage collection:** an answer to `repo/gc` that carries an error object is a failure:
//!   an unpin is confirmed on chain only after a collection that removed everything.
//!
//! `docs/ipfs.md` lists which call goes through which HTTP client, and why.

mod kubo;

use std::{collections::HashSet, time::Duration};

use async_trait::async_trait;

pub use kubo::{Kubo, KuboOptions};

/// What can go wrong talking to IPFS.
///
/// [`Error::is_transient`] sorts them: a daemon that is down or slow is worth retrying; content
/// that is too large or not what the chain names will not change.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The RPC API address is not a valid URL.
	#[error("invalid IPFS API URL {url}: {detail}")]
	InvalidUrl {
		/// The address given.
		url: String,
		/// Why it is not valid.
		detail: String,
	},
	/// The daemon could not be reached, or the connection broke.
	#[error("IPFS daemon unreachable during `{call}`: {detail}")]
	Unreachable {
		/// The RPC call.
		call: &'static str,
		/// What the HTTP client said.
		detail: String,
	},
	/// The call did not finish within its deadline.
	#[error("IPFS `{call}` did not finish within {after:?}")]
	Timeout {
		/// The RPC call.
		call: &'static str,
		/// The deadline.
		after: Duration,
	},
	/// The content is larger than the caller allows; nothing beyond the limit was read.
	#[error("the content of {cid} is larger than {limit} bytes")]
	TooLarge {
		/// The content.
		cid: String,
		/// The caller's limit, in bytes.
		limit: u64,
	},
	/// The content's bytes do not hash to the hash the caller expects.
	#[error("the content of {cid} does not match its hash")]
	HashMismatch {
		/// The content.
		cid: String,
	},
	/// The daemon answered with an error (for content it cannot find: after its lookup timeout).
	#[error("IPFS daemon failed `{call}`: {message}")]
	Daemon {
		/// The RPC call.
		call: &'static str,
		/// The daemon's message.
		message: String,
	},
	/// The daemon's answer could not be read.
	#[error("unreadable answer to `{call}`: {detail}")]
	BadResponse {
		/// The RPC call.
		call: &'static str,
		/// What is wrong with it.
		detail: String,
	},
}

impl Error {
	/// Whether the same call may succeed later without anything on chain changing: the daemon
	/// was down, slow, or refused (content not found yet). [`Error::TooLarge`] and
	/// [`Error::HashMismatch`] are facts about the content; [`Error::InvalidUrl`] needs the
	/// operator.
	pub fn is_transient(&self) -> bool {
		match self {
			Error::Unreachable { .. }
			| Error::Timeout { .. }
			| Error::Daemon { .. }
			| Error::BadResponse { .. } => true,
			Error::InvalidUrl { .. } | Error::TooLarge { .. } | Error::HashMismatch { .. } => false,
		}
	}
}

/// How long the daemon may look on the network for content it does not hold (Kubo's `timeout`
/// argument to `cat` and `pin/add`) before it refuses with [`Error::Daemon`]: long enough to find
/// content a peer holds, short enough that a CID nobody serves costs a round, not a hang.
pub const CONTENT_LOOKUP: Duration = Duration::from_secs(20);

/// The result of an IPFS call.
pub type Result<T> = std::result::Result<T, Error>;

/// The hash the chain keeps for IPFS content: BLAKE2b-256 of its bytes (the runtime's
/// `BlakeTwo256`).
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
	sp_crypto_hashing::blake2_256(bytes)
}

/// The IPFS operations Custodia's worker needs.
#[async_trait]
pub trait Ipfs: Send + Sync {
	/// The daemon's version string; a cheap check that the daemon is up.
	async fn version(&self) -> Result<String>;

	/// Stores `data`, pinned, and returns its CID.
	async fn add(&self, data: Vec<u8>) -> Result<String>;

	/// The bytes behind `cid` if there are at most `limit` of them, else [`Error::TooLarge`]
	/// without reading more than the limit. The daemon looks for content it does not hold for
	/// at most `lookup`, then refuses ([`Error::Daemon`]).
	async fn cat(&self, cid: &str, limit: u64, lookup: Duration) -> Result<Vec<u8>>;

	/// [`Ipfs::cat`], then [`Error::HashMismatch`] unless the bytes hash to `hash`
	/// ([`content_hash`]).
	async fn cat_checked(
		&self,
		cid: &str,
		limit: u64,
		lookup: Duration,
		hash: &[u8; 32],
	) -> Result<Vec<u8>> {
		let bytes = self.cat(cid, limit, lookup).await?;
		if content_hash(&bytes) != *hash {
			return Err(Error::HashMismatch { cid: cid.into() });
		}
		Ok(bytes)
	}

	/// Pins `cid` recursively if its content is at most `max_size` bytes, fetching it (looking
	/// for at most `lookup`) if needed; [`Error::TooLarge`] and nothing pinned otherwise.
	async fn pin_add(&self, cid: &str, max_size: u64, lookup: Duration) -> Result<()>;

	/// Removes the recursive pin of `cid`; succeeds if it was not pinned.
	async fn pin_rm(&self, cid: &str) -> Result<()>;

	/// Every recursively pinned CID.
	async fn pins(&self) -> Result<HashSet<String>>;

	/// Deletes every unpinned block. Fails if the daemon reports an error for any block, even
	/// after it has begun to answer.
	async fn gc(&self) -> Result<()>;
}
