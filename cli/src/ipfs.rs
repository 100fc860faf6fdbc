//! IPFS through the Kubo RPC API: `add` for encrypted inputs, `cat` for results. (The node's
//! worker uses ipfs-api-backend-hyper for the same API; see docs/ipfs.md for why `add` is done by
//! hand: the crate cannot parse js-ipfs's numeric `Size`.)

use std::time::Duration;

use anyhow::{anyhow, Context};

use crate::chain::Failure;

/// The most bytes read from a short answer (add, pin/rm).
const ANSWER_LIMIT: usize = 1 << 20;

/// Where the IPFS daemon's RPC API is, as commands that need it take it.
#[derive(clap::Args)]
pub struct IpfsArgs {
	/// The IPFS daemon's RPC API.
	#[arg(long, env = "CUSTODIA_IPFS_API", default_value = "http://127.0.0.1:5001")]
	pub ipfs_api: String,
}

impl IpfsArgs {
	/// A client of that daemon.
	pub fn client(&self) -> anyhow::Result<Ipfs> {
		Ipfs::new(&self.ipfs_api)
	}
}

/// A client of the daemon's RPC API at a URL such as `http://127.0.0.1:5001`.
pub struct Ipfs {
	url: String,
	http: reqwest::Client,
}

/// BLAKE2b-256: the hash the chain records for IPFS content.
pub fn content_hash(bytes: &[u8]) -> [u8; 32] {
	sp_crypto_hashing::blake2_256(bytes)
}

impl Ipfs {
	pub fn new(url: &str) -> anyhow::Result<Self> {
		let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
		Ok(Self { url: url.trim_end_matches('/').to_string(), http })
	}

	/// POSTs `/api/v0/{command}` with `query` (and an optional multipart form) and returns at
	/// most `limit` bytes of the answer. A daemon that cannot be reached is
	/// [`Failure::Unreachable`] (exit code 3); an error it answers is [`Failure::Refused`] (1).
	async fn call(
		&self,
		command: &str,
		query: &[(&str, &str)],
		form: Option<reqwest::multipart::Form>,
		limit: usize,
	) -> anyhow::Result<Vec<u8>> {
		let mut request = self.http.post(format!("{}/api/v0/{command}", self.url)).query(query);
		if let Some(form) = form {
			request = request.multipart(form);
		}
		let unreachable = |e: reqwest::Error| {
			Failure::Unreachable(anyhow!("IPFS at {} is unreachable: {e}", self.url))
		};
		let mut response = request.send().await.map_err(unreachable)?;
		let status = response.status();
		let mut body = Vec::new();
		while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
			if body.len() + chunk.len() > limit {
				return Err(Failure::Refused(format!(
					"IPFS {command}: the answer is larger than {limit} bytes"
				))
				.into());
			}
			body.extend_from_slice(&chunk);
		}
		if !status.is_success() {
			return Err(Failure::Refused(format!(
				"IPFS {command}: HTTP {status}: {}",
				String::from_utf8_lossy(&body)
			))
			.into());
		}
		Ok(body)
	}

	/// Stores `data` and returns its CID. With `pin`, this daemon keeps its own copy (a person's
	/// record); without, the object only waits here for the party that must pin it (a vault
	/// object: its steward pins and later unpins it, so no copy pinned here outlives the vault).
	pub async fn add(&self, data: Vec<u8>, pin: bool) -> anyhow::Result<String> {
		let form = reqwest::multipart::Form::new().part(
			"file",
			reqwest::multipart::Part::bytes(data)
				.file_name("data")
				.mime_str("application/octet-stream")?,
		);
		let body = self
			.call("add", &[("pin", if pin { "true" } else { "false" })], Some(form), ANSWER_LIMIT)
			.await?;
		let body = String::from_utf8_lossy(&body);
		// One JSON object per added entry; the last names the file.
		let last: serde_json::Value = serde_json::from_str(body.lines().last().unwrap_or_default())
			.with_context(|| format!("unreadable IPFS add answer: {body}"))?;
		last["Hash"]
			.as_str()
			.map(str::to_string)
			.ok_or_else(|| anyhow!("IPFS add answered without a Hash: {body}"))
	}

	/// Drops this daemon's pin of `cid` (after the chain refused what it was added for).
	pub async fn unpin(&self, cid: &str) -> anyhow::Result<()> {
		self.call("pin/rm", &[("arg", cid)], None, ANSWER_LIMIT).await.map(|_| ())
	}

	/// The CIDs the daemon pins recursively (what `add` pins and a steward pins).
	pub async fn pins(&self) -> anyhow::Result<std::collections::BTreeSet<String>> {
		let body = self.call("pin/ls", &[("type", "recursive")], None, 64 << 20).await?;
		let answer: serde_json::Value = serde_json::from_slice(&body).with_context(|| {
			format!("unreadable IPFS pin/ls answer: {}", String::from_utf8_lossy(&body))
		})?;
		Ok(answer["Keys"]
			.as_object()
			.map(|keys| keys.keys().cloned().collect())
			.unwrap_or_default())
	}

	/// The bytes behind `cid`, at most `limit` of them.
	pub async fn cat(&self, cid: &str, limit: usize) -> anyhow::Result<Vec<u8>> {
		self.call("cat", &[("arg", cid)], None, limit).await
	}
}
