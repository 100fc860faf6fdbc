//! IPFS through the Kubo RPC API: `add` for encrypted inputs, `cat` for results. (The node's
//! worker uses ipfs-api-backend-hyper for the same API; see docs/ipfs.md for why `add` is done by
//! hand: the crate cannot parse js-ipfs's numeric `Size`.)

use std::time::Duration;

use anyhow::{anyhow, Context};

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

	/// Stores `data` (pinned) and returns its CID.
	pub async fn add(&self, data: Vec<u8>) -> anyhow::Result<String> {
		let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(data).file_name("data").mime_str("application/octet-stream")?);
		let response = self
			.http
			.post(format!("{}/api/v0/add?pin=true", self.url))
			.multipart(form)
			.send()
			.await
			.with_context(|| format!("IPFS at {} is unreachable", self.url))?;
		let status = response.status();
		let body = response.text().await?;
		if !status.is_success() {
			return Err(anyhow!("IPFS add: HTTP {status}: {body}"));
		}
		// One JSON object per added entry; the last names the file.
		let last: serde_json::Value = serde_json::from_str(body.lines().last().unwrap_or_default())
			.with_context(|| format!("unreadable IPFS add answer: {body}"))?;
		last["Hash"].as_str().map(str::to_string).ok_or_else(|| anyhow!("IPFS add answered without a Hash: {body}"))
	}

	/// The CIDs the daemon pins recursively (what `add` pins and a steward pins).
	pub async fn pins(&self) -> anyhow::Result<std::collections::BTreeSet<String>> {
		let response = self
			.http
			.post(format!("{}/api/v0/pin/ls?type=recursive", self.url))
			.send()
			.await
			.with_context(|| format!("IPFS at {} is unreachable", self.url))?;
		let status = response.status();
		let body = response.text().await?;
		if !status.is_success() {
			return Err(anyhow!("IPFS pin/ls: HTTP {status}: {body}"));
		}
		let answer: serde_json::Value = serde_json::from_str(&body).with_context(|| format!("unreadable IPFS pin/ls answer: {body}"))?;
		Ok(answer["Keys"].as_object().map(|keys| keys.keys().cloned().collect()).unwrap_or_default())
	}

	/// The bytes behind `cid`.
	pub async fn cat(&self, cid: &str) -> anyhow::Result<Vec<u8>> {
		let response = self
			.http
			.post(format!("{}/api/v0/cat?arg={cid}", self.url))
			.send()
			.await
			.with_context(|| format!("IPFS at {} is unreachable", self.url))?;
		let status = response.status();
		if !status.is_success() {
			return Err(anyhow!("IPFS cat {cid}: HTTP {status}: {}", response.text().await.unwrap_or_default()));
		}
		Ok(response.bytes().await?.to_vec())
	}
}
