//! IPFS through the Kubo RPC API (`/api/v0`), behind one small trait.
//!
//! [`IpfsNode`] is what the worker uses. It goes through `ipfs-api-backend-hyper` (the crate the
//! project was asked to use) for everything that crate does right, and through [`KuboRpc`], a
//! minimal client of the same HTTP API, where the crate fails against real daemons:
//!
//! - `add`: the crate parses `Size` as a string, as Kubo sends it; js-ipfs 0.66 sends a number,
//!   so the crate's `add` fails with a JSON error against it. [`KuboRpc::add`] reads both.
//! - `repo/gc`: the crate has no call for it; unpinning without GC leaves the data retrievable.
//! - `block/stat` with a `timeout`: the crate cannot pass one, and a daemon that lacks a block
//!   (and cannot fetch it) may wait forever instead of failing.
//! - `cat` with a `length` and a `timeout` ([`Ipfs::cat_bounded`], an aggregator's report
//!   objects): the crate can pass neither, so an oversized object would be read whole and an
//!   object nobody serves would be waited for until the call's deadline.
//!
//! docs/ipfs.md records these findings and how they were checked. Every call has a deadline, so a
//! stopped or hung daemon is an error to retry later, never a stuck worker.

use std::{collections::HashSet, io::Cursor, time::Duration};

use async_trait::async_trait;
use futures::TryStreamExt;
use ipfs_api_backend_hyper::{IpfsApi, IpfsClient, TryFromUri};

/// How long any single IPFS call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the daemon may look for a block it does not hold before we call it absent.
const BLOCK_LOOKUP_TIMEOUT: &str = "2s";

/// What can go wrong talking to IPFS.
#[derive(Debug, thiserror::Error)]
pub enum IpfsError {
	/// The daemon could not be reached or did not answer in time: retry later.
	#[error("IPFS daemon unavailable: {0}")]
	Unavailable(String),
	/// The daemon answered with an error.
	#[error("IPFS daemon refused `{call}`: {message}")]
	Refused { call: &'static str, message: String },
	/// The daemon's answer could not be read.
	#[error("unreadable answer to `{call}`: {detail}")]
	BadResponse { call: &'static str, detail: String },
	/// The content is larger than the caller allows (nothing more was read).
	#[error("the content of {cid} is larger than {limit} bytes")]
	TooLarge { cid: String, limit: usize },
}

/// The IPFS operations Custodia's worker needs.
#[async_trait]
pub trait Ipfs: Send + Sync {
	/// The daemon's version string.
	async fn version(&self) -> Result<String, IpfsError>;
	/// Stores `data` (pinned, as both Kubo and js-ipfs do by default) and returns its CID.
	async fn add(&self, data: Vec<u8>) -> Result<String, IpfsError>;
	/// The bytes behind `cid`.
	async fn cat(&self, cid: &str) -> Result<Vec<u8>, IpfsError>;
	/// The bytes behind `cid` if there are at most `limit` of them, else
	/// [`IpfsError::TooLarge`] without reading more than `limit + 1`. The daemon looks for
	/// content it does not hold for at most `lookup`, then refuses ([`IpfsError::Refused`]): a
	/// CID nobody serves is an answer, not a hang.
	async fn cat_bounded(&self, cid: &str, limit: usize, lookup: Duration) -> Result<Vec<u8>, IpfsError> {
		let _ = lookup;
		let bytes = self.cat(cid).await?;
		if bytes.len() > limit {
			return Err(IpfsError::TooLarge { cid: cid.into(), limit });
		}
		Ok(bytes)
	}
	/// Pins `cid` recursively, fetching it first if needed.
	async fn pin_add(&self, cid: &str) -> Result<(), IpfsError>;
	/// Removes the recursive pin of `cid`; succeeds if it was not pinned.
	async fn pin_rm(&self, cid: &str) -> Result<(), IpfsError>;
	/// Every recursively pinned CID.
	async fn pins(&self) -> Result<HashSet<String>, IpfsError>;
	/// Deletes every unpinned block (garbage collection).
	async fn gc(&self) -> Result<(), IpfsError>;
	/// Whether the daemon can serve the block `cid` now (without waiting long for the network).
	async fn has_block(&self, cid: &str) -> Result<bool, IpfsError>;
}

async fn deadline<T>(future: impl std::future::Future<Output = Result<T, IpfsError>>) -> Result<T, IpfsError> {
	tokio::time::timeout(CALL_TIMEOUT, future)
		.await
		.unwrap_or_else(|_| Err(IpfsError::Unavailable(format!("no answer within {CALL_TIMEOUT:?}"))))
}

/// Whether an error message says the CID was not pinned (Kubo: "not pinned or pinned
/// indirectly"; js-ipfs: "… is not pinned").
fn is_not_pinned(message: &str) -> bool {
	message.contains("not pinned")
}

/// The `ipfs-api-backend-hyper` client.
pub struct CrateClient {
	client: IpfsClient,
}

impl CrateClient {
	/// A client of the RPC API at `url` (e.g. `http://127.0.0.1:5001`).
	pub fn new(url: &str) -> Result<Self, IpfsError> {
		let client = IpfsClient::from_str(url)
			.map_err(|e| IpfsError::Unavailable(format!("invalid IPFS API URL {url}: {e}")))?;
		Ok(Self { client })
	}

	fn error(call: &'static str, error: ipfs_api_backend_hyper::Error) -> IpfsError {
		use ipfs_api_backend_hyper::Error;
		match error {
			Error::Api(api) => IpfsError::Refused { call, message: api.message },
			Error::Client(e) => IpfsError::Unavailable(e.to_string()),
			other => IpfsError::BadResponse { call, detail: other.to_string() },
		}
	}
}

#[async_trait]
impl Ipfs for CrateClient {
	async fn version(&self) -> Result<String, IpfsError> {
		deadline(async { self.client.version().await.map(|v| v.version).map_err(|e| Self::error("version", e)) }).await
	}

	async fn add(&self, data: Vec<u8>) -> Result<String, IpfsError> {
		deadline(async { self.client.add(Cursor::new(data)).await.map(|r| r.hash).map_err(|e| Self::error("add", e)) })
			.await
	}

	async fn cat(&self, cid: &str) -> Result<Vec<u8>, IpfsError> {
		deadline(async {
			self.client.cat(cid).map_ok(|chunk| chunk.to_vec()).try_concat().await.map_err(|e| Self::error("cat", e))
		})
		.await
	}

	async fn pin_add(&self, cid: &str) -> Result<(), IpfsError> {
		deadline(async { self.client.pin_add(cid, true).await.map(drop).map_err(|e| Self::error("pin/add", e)) }).await
	}

	async fn pin_rm(&self, cid: &str) -> Result<(), IpfsError> {
		deadline(async {
			match self.client.pin_rm(cid, true).await {
				Ok(_) => Ok(()),
				Err(e) => match Self::error("pin/rm", e) {
					IpfsError::Refused { message, .. } if is_not_pinned(&message) => Ok(()),
					other => Err(other),
				},
			}
		})
		.await
	}

	async fn pins(&self) -> Result<HashSet<String>, IpfsError> {
		deadline(async {
			self.client
				.pin_ls(None, Some("recursive"))
				.await
				.map(|r| r.keys.into_keys().collect())
				.map_err(|e| Self::error("pin/ls", e))
		})
		.await
	}

	async fn gc(&self) -> Result<(), IpfsError> {
		Err(IpfsError::Refused { call: "repo/gc", message: "ipfs-api-backend-hyper 0.6 has no repo/gc call".into() })
	}

	async fn has_block(&self, cid: &str) -> Result<bool, IpfsError> {
		match deadline(async { self.client.block_stat(cid).await.map_err(|e| Self::error("block/stat", e)) }).await {
			Ok(_) => Ok(true),
			Err(IpfsError::Refused { .. }) => Ok(false),
			Err(other) => Err(other),
		}
	}
}

/// A minimal client of the Kubo RPC API: POST `/api/v0/<call>?arg=…`, JSON answers.
pub struct KuboRpc {
	base: String,
	http: hyper::Client<hyper::client::HttpConnector>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AddAnswer {
	hash: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorAnswer {
	message: String,
}

impl KuboRpc {
	/// A client of the RPC API at `url` (e.g. `http://127.0.0.1:5001`).
	pub fn new(url: &str) -> Self {
		Self { base: format!("{}/api/v0", url.trim_end_matches('/')), http: hyper::Client::new() }
	}

	async fn call(
		&self,
		call: &'static str,
		query: &[(&str, &str)],
		body: Option<(String, Vec<u8>)>,
	) -> Result<Vec<u8>, IpfsError> {
		self.call_bounded(call, query, body, usize::MAX).await.map_err(|e| match e {
			Bounded::Ipfs(e) => e,
			Bounded::TooLarge => IpfsError::BadResponse { call, detail: "an answer longer than memory".into() },
		})
	}

	/// [`KuboRpc::call`], reading at most `limit` bytes of a successful answer.
	async fn call_bounded(
		&self,
		call: &'static str,
		query: &[(&str, &str)],
		body: Option<(String, Vec<u8>)>,
		limit: usize,
	) -> Result<Vec<u8>, Bounded> {
		let mut uri = format!("{}/{call}", self.base);
		for (i, (key, value)) in query.iter().enumerate() {
			uri.push(if i == 0 { '?' } else { '&' });
			uri.push_str(key);
			uri.push('=');
			uri.push_str(&percent_encode(value));
		}
		let mut request = hyper::Request::post(&uri);
		let body = match body {
			Some((content_type, bytes)) => {
				request = request.header(hyper::header::CONTENT_TYPE, content_type);
				hyper::Body::from(bytes)
			},
			None => hyper::Body::empty(),
		};
		let request = request
			.body(body)
			.map_err(|e| IpfsError::BadResponse { call, detail: e.to_string() })?;
		let answer = tokio::time::timeout(CALL_TIMEOUT, async {
			let response = self.http.request(request).await.map_err(|e| IpfsError::Unavailable(e.to_string()))?;
			let status = response.status();
			// An error answer is a short JSON message, whatever the caller's limit: at most 64 KiB.
			let limit = if status.is_success() { limit } else { 64 * 1024 };
			let bytes = read_at_most(response.into_body(), limit).await?;
			if status.is_success() {
				Ok(bytes)
			} else {
				let message = serde_json::from_slice::<ErrorAnswer>(&bytes)
					.map(|e| e.message)
					.unwrap_or_else(|_| format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)));
				Err(IpfsError::Refused { call, message }.into())
			}
		})
		.await;
		answer.unwrap_or_else(|_| Err(IpfsError::Unavailable(format!("no answer within {CALL_TIMEOUT:?}")).into()))
	}
}

/// Why a bounded call failed.
enum Bounded {
	Ipfs(IpfsError),
	/// The answer is longer than the limit.
	TooLarge,
}

impl From<IpfsError> for Bounded {
	fn from(e: IpfsError) -> Self {
		Bounded::Ipfs(e)
	}
}

/// The body's bytes, or [`Bounded::TooLarge`] as soon as more than `limit` arrive.
async fn read_at_most(mut body: hyper::Body, limit: usize) -> Result<Vec<u8>, Bounded> {
	use hyper::body::HttpBody;
	let mut bytes = Vec::new();
	while let Some(chunk) = body.data().await {
		let chunk = chunk.map_err(|e| IpfsError::Unavailable(e.to_string()))?;
		if chunk.len() > limit.saturating_sub(bytes.len()) {
			return Err(Bounded::TooLarge);
		}
		bytes.extend_from_slice(&chunk);
	}
	Ok(bytes)
}

/// Percent-encodes a query value (CIDs and durations are ASCII; this keeps any byte safe).
fn percent_encode(value: &str) -> String {
	value
		.bytes()
		.map(|b| match b {
			b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
			_ => format!("%{b:02X}"),
		})
		.collect()
}

#[async_trait]
impl Ipfs for KuboRpc {
	async fn version(&self) -> Result<String, IpfsError> {
		#[derive(serde::Deserialize)]
		#[serde(rename_all = "PascalCase")]
		struct Version {
			version: String,
		}
		let bytes = self.call("version", &[], None).await?;
		serde_json::from_slice::<Version>(&bytes)
			.map(|v| v.version)
			.map_err(|e| IpfsError::BadResponse { call: "version", detail: e.to_string() })
	}

	async fn add(&self, data: Vec<u8>) -> Result<String, IpfsError> {
		const BOUNDARY: &str = "custodia-worker-multipart-boundary";
		let mut body = format!(
			"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data\"\r\nContent-Type: application/octet-stream\r\n\r\n"
		)
		.into_bytes();
		body.extend_from_slice(&data);
		body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
		let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
		let bytes = self.call("add", &[("pin", "true")], Some((content_type, body))).await?;
		// Kubo sends `Size` as a string and js-ipfs as a number: only `Hash` is read.
		serde_json::from_slice::<AddAnswer>(&bytes)
			.map(|a| a.hash)
			.map_err(|e| IpfsError::BadResponse { call: "add", detail: e.to_string() })
	}

	async fn cat(&self, cid: &str) -> Result<Vec<u8>, IpfsError> {
		self.call("cat", &[("arg", cid), ("timeout", "20s")], None).await
	}

	async fn cat_bounded(&self, cid: &str, limit: usize, lookup: Duration) -> Result<Vec<u8>, IpfsError> {
		// `length` makes the daemon stop after limit + 1 bytes; `timeout` makes it give up
		// looking for content nobody serves (Kubo and js-ipfs take both).
		let length = limit.saturating_add(1).to_string();
		let lookup = format!("{}ms", lookup.as_millis().max(1));
		let query = [("arg", cid), ("length", length.as_str()), ("timeout", lookup.as_str())];
		self.call_bounded("cat", &query, None, limit).await.map_err(|e| match e {
			Bounded::Ipfs(e) => e,
			Bounded::TooLarge => IpfsError::TooLarge { cid: cid.into(), limit },
		})
	}

	async fn pin_add(&self, cid: &str) -> Result<(), IpfsError> {
		self.call("pin/add", &[("arg", cid), ("recursive", "true"), ("timeout", "20s")], None).await.map(drop)
	}

	async fn pin_rm(&self, cid: &str) -> Result<(), IpfsError> {
		match self.call("pin/rm", &[("arg", cid), ("recursive", "true")], None).await {
			Err(IpfsError::Refused { message, .. }) if is_not_pinned(&message) => Ok(()),
			other => other.map(drop),
		}
	}

	async fn pins(&self) -> Result<HashSet<String>, IpfsError> {
		#[derive(serde::Deserialize)]
		#[serde(rename_all = "PascalCase")]
		struct Pins {
			keys: std::collections::HashMap<String, serde_json::Value>,
		}
		let bytes = self.call("pin/ls", &[("type", "recursive")], None).await?;
		serde_json::from_slice::<Pins>(&bytes)
			.map(|p| p.keys.into_keys().collect())
			.map_err(|e| IpfsError::BadResponse { call: "pin/ls", detail: e.to_string() })
	}

	async fn gc(&self) -> Result<(), IpfsError> {
		// The answer streams one line per removed block; reading it to the end waits for GC.
		self.call("repo/gc", &[], None).await.map(drop)
	}

	async fn has_block(&self, cid: &str) -> Result<bool, IpfsError> {
		match self.call("block/stat", &[("arg", cid), ("timeout", BLOCK_LOOKUP_TIMEOUT)], None).await {
			Ok(_) => Ok(true),
			Err(IpfsError::Refused { .. }) => Ok(false),
			Err(other) => Err(other),
		}
	}
}

/// The worker's IPFS access: the crate where it works, the minimal client where it does not.
pub struct IpfsNode {
	via_crate: CrateClient,
	via_rpc: KuboRpc,
}

impl IpfsNode {
	/// Both clients of the RPC API at `url`.
	pub fn new(url: &str) -> Result<Self, IpfsError> {
		Ok(Self { via_crate: CrateClient::new(url)?, via_rpc: KuboRpc::new(url) })
	}
}

#[async_trait]
impl Ipfs for IpfsNode {
	async fn version(&self) -> Result<String, IpfsError> {
		self.via_crate.version().await
	}
	async fn add(&self, data: Vec<u8>) -> Result<String, IpfsError> {
		self.via_rpc.add(data).await
	}
	async fn cat(&self, cid: &str) -> Result<Vec<u8>, IpfsError> {
		self.via_crate.cat(cid).await
	}
	async fn cat_bounded(&self, cid: &str, limit: usize, lookup: Duration) -> Result<Vec<u8>, IpfsError> {
		// The crate's `cat` can pass neither a length nor a lookup timeout.
		self.via_rpc.cat_bounded(cid, limit, lookup).await
	}
	async fn pin_add(&self, cid: &str) -> Result<(), IpfsError> {
		self.via_crate.pin_add(cid).await
	}
	async fn pin_rm(&self, cid: &str) -> Result<(), IpfsError> {
		self.via_crate.pin_rm(cid).await
	}
	async fn pins(&self) -> Result<HashSet<String>, IpfsError> {
		self.via_crate.pins().await
	}
	async fn gc(&self) -> Result<(), IpfsError> {
		self.via_rpc.gc().await
	}
	async fn has_block(&self, cid: &str) -> Result<bool, IpfsError> {
		self.via_rpc.has_block(cid).await
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn query_values_are_percent_encoded() {
		assert_eq!(percent_encode("QmAbc-_.~"), "QmAbc-_.~");
		assert_eq!(percent_encode("/ipfs/Qm x"), "%2Fipfs%2FQm%20x");
	}

	/// A one-shot HTTP server: answers one request with `status` and `body`; the request line.
	fn one_answer(status: &'static str, body: Vec<u8>) -> (String, std::thread::JoinHandle<String>) {
		use std::io::{BufRead, BufReader, Write};
		let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
		let url = format!("http://{}", listener.local_addr().unwrap());
		let server = std::thread::spawn(move || {
			let (stream, _) = listener.accept().unwrap();
			let mut reader = BufReader::new(stream.try_clone().unwrap());
			let mut request_line = String::new();
			reader.read_line(&mut request_line).unwrap();
			// Skip the headers.
			let mut line = String::new();
			while reader.read_line(&mut line).unwrap() > 2 {
				line.clear();
			}
			let mut stream = stream;
			write!(stream, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).unwrap();
			stream.write_all(&body).unwrap();
			request_line
		});
		(url, server)
	}

	#[tokio::test]
	async fn a_bounded_cat_asks_for_at_most_the_limit_and_refuses_more() {
		let (url, server) = one_answer("200 OK", b"0123456789".to_vec());
		let bytes = KuboRpc::new(&url).cat_bounded("QmX", 10, Duration::from_millis(1500)).await.unwrap();
		assert_eq!(bytes, b"0123456789");
		let request = server.join().unwrap();
		assert!(request.starts_with("POST /api/v0/cat?arg=QmX&length=11&timeout=1500ms "), "{request}");

		// A daemon that ignores `length`: nothing beyond the limit is kept.
		let (url, server) = one_answer("200 OK", vec![7; 11]);
		let refused = KuboRpc::new(&url).cat_bounded("QmY", 10, Duration::from_secs(1)).await;
		assert!(matches!(refused, Err(IpfsError::TooLarge { limit: 10, .. })), "{refused:?}");
		server.join().unwrap();

		// Content nobody serves: the daemon's refusal after its lookup timeout.
		let (url, server) = one_answer("500 Internal Server Error", br#"{"Message":"context deadline exceeded","Code":0}"#.to_vec());
		let missing = KuboRpc::new(&url).cat_bounded("QmZ", 10, Duration::from_secs(1)).await;
		assert!(matches!(&missing, Err(IpfsError::Refused { call: "cat", message }) if message == "context deadline exceeded"), "{missing:?}");
		server.join().unwrap();

		// No daemon at all: unavailable (a reason to retry, not to reject a report).
		let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
		let url = format!("http://{}", closed.local_addr().unwrap());
		drop(closed);
		let down = KuboRpc::new(&url).cat_bounded("QmZ", 10, Duration::from_secs(1)).await;
		assert!(matches!(down, Err(IpfsError::Unavailable(_))), "{down:?}");
	}

	#[test]
	fn both_daemons_not_pinned_messages_are_recognised() {
		assert!(is_not_pinned("not pinned or pinned indirectly"));
		assert!(is_not_pinned("QmX is not pinned"));
		assert!(!is_not_pinned("context deadline exceeded"));
	}
}
