//! [`Kubo`]: the [`Ipfs`] calls against a real daemon's RPC API.
//!
//! Most calls are made here, with `hyper`, because they need what `ipfs-api-backend-hyper` (the
//! crate the project was asked to use) cannot do: read an answer only up to a limit while it
//! streams, pass Kubo's `timeout` and `length` options, call `repo/gc`, and parse `add` against
//! js-ipfs (which sends `Size` as a number). `version` and `pin/ls` go through the crate.

use std::{collections::HashSet, future::Future, time::Duration};

use async_trait::async_trait;
use hyper::body::HttpBody;
use ipfs_api_backend_hyper::{IpfsApi, IpfsClient, TryFromUri};

use crate::{Error, Ipfs, Result};

/// How [`Kubo`] bounds its calls.
#[derive(Clone, Debug)]
pub struct KuboOptions {
	/// The deadline of every call but garbage collection.
	pub call_timeout: Duration,
	/// The deadline of a garbage collection, which walks the whole repository.
	pub gc_timeout: Duration,
}

impl Default for KuboOptions {
	fn default() -> Self {
		Self { call_timeout: Duration::from_secs(30), gc_timeout: Duration::from_secs(120) }
	}
}

/// The most read of an error answer or of a small JSON answer: Kubo's are a few hundred bytes.
const SMALL_ANSWER: u64 = 64 * 1024;

/// A client of one daemon's RPC API.
pub struct Kubo {
	base: String,
	http: hyper::Client<hyper::client::HttpConnector>,
	via_crate: IpfsClient,
	options: KuboOptions,
}

impl Kubo {
	/// A client of the RPC API at `url` (e.g. `http://127.0.0.1:5001`).
	pub fn new(url: &str, options: KuboOptions) -> Result<Self> {
		let invalid = |detail: String| Error::InvalidUrl { url: url.into(), detail };
		url.parse::<hyper::Uri>().map_err(|e| invalid(e.to_string()))?;
		let via_crate = IpfsClient::from_str(url).map_err(|e| invalid(e.to_string()))?;
		Ok(Self {
			base: format!("{}/api/v0", url.trim_end_matches('/')),
			http: hyper::Client::new(),
			via_crate,
			options,
		})
	}

	/// Runs `call` under `after`, its deadline.
	async fn deadline<T>(
		call: &'static str,
		after: Duration,
		future: impl Future<Output = Result<T>>,
	) -> Result<T> {
		tokio::time::timeout(after, future)
			.await
			.unwrap_or(Err(Error::Timeout { call, after }))
	}

	/// POSTs `/api/v0/<call>?<query>` with `body`; the answer's body if the daemon succeeded,
	/// its message ([`Error::Daemon`]) if not.
	async fn post(
		&self,
		call: &'static str,
		query: &[(&str, &str)],
		body: Option<(String, Vec<u8>)>,
	) -> Result<hyper::Body> {
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
			.map_err(|e| Error::BadResponse { call, detail: e.to_string() })?;
		let response = self
			.http
			.request(request)
			.await
			.map_err(|e| Error::Unreachable { call, detail: e.to_string() })?;
		let status = response.status();
		if status.is_success() {
			return Ok(response.into_body());
		}
		let mut answer = Vec::new();
		let read = read_bounded(call, response.into_body(), SMALL_ANSWER, |chunk| {
			answer.extend_from_slice(chunk)
		})
		.await;
		#[derive(serde::Deserialize)]
		#[serde(rename_all = "PascalCase")]
		struct ErrorAnswer {
			message: String,
		}
		let message = match (read, serde_json::from_slice::<ErrorAnswer>(&answer)) {
			(Ok(Ok(())), Ok(error)) => error.message,
			_ => format!("HTTP {status}: {}", String::from_utf8_lossy(&answer)),
		};
		Err(Error::Daemon { call, message })
	}

	/// [`Kubo::post`], then the whole answer if it is at most [`SMALL_ANSWER`] bytes.
	async fn post_small(
		&self,
		call: &'static str,
		query: &[(&str, &str)],
		body: Option<(String, Vec<u8>)>,
	) -> Result<Vec<u8>> {
		let answer = self.post(call, query, body).await?;
		let mut bytes = Vec::new();
		read_bounded(call, answer, SMALL_ANSWER, |chunk| bytes.extend_from_slice(chunk))
			.await?
			.map_err(|_| Error::BadResponse {
				call,
				detail: format!("an answer longer than {SMALL_ANSWER} bytes"),
			})?;
		Ok(bytes)
	}

	/// Streams the content of `cid` into `sink`, up to `limit` bytes: `Ok(Err(Over))` as soon
	/// as more arrive.
	async fn cat_into(
		&self,
		cid: &str,
		limit: u64,
		lookup: Duration,
		sink: impl FnMut(&[u8]),
	) -> Result<()> {
		// `length` asks the daemon to stop after limit + 1 bytes; the read stops there anyway.
		let length = limit.saturating_add(1).to_string();
		let lookup = kubo_duration(lookup);
		let answer = self
			.post("cat", &[("arg", cid), ("length", &length), ("timeout", &lookup)], None)
			.await?;
		read_bounded("cat", answer, limit, sink)
			.await?
			.map_err(|Over| Error::TooLarge { cid: cid.into(), limit })
	}

	/// Stores `data` without pinning it and returns its CID: the object waits in this daemon's
	/// store only until another party pins it (or a garbage collection removes it). The client
	/// adds a vault's copy this way: its steward pins and later unpins it, so no pin made here
	/// outlives the vault.
	pub async fn add_unpinned(&self, data: Vec<u8>) -> Result<String> {
		self.add_with(data, false).await
	}

	/// `add`, pinned or not.
	async fn add_with(&self, data: Vec<u8>, pin: bool) -> Result<String> {
		Self::deadline("add", self.options.call_timeout, async {
			let boundary = boundary_absent_from(&data);
			let mut body = format!(
				"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data\"\r\n\
				 Content-Type: application/octet-stream\r\n\r\n"
			)
			.into_bytes();
			body.extend_from_slice(&data);
			body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
			let content_type = format!("multipart/form-data; boundary={boundary}");
			let pin = if pin { "true" } else { "false" };
			let answer =
				self.post_small("add", &[("pin", pin)], Some((content_type, body))).await?;
			// Kubo sends `Size` as a string and js-ipfs as a number: only `Hash` is read.
			#[derive(serde::Deserialize)]
			#[serde(rename_all = "PascalCase")]
			struct Added {
				hash: String,
			}
			serde_json::from_slice::<Added>(&answer)
				.map(|a| a.hash)
				.map_err(|e| Error::BadResponse { call: "add", detail: e.to_string() })
		})
		.await
	}
}

#[async_trait]
impl Ipfs for Kubo {
	async fn version(&self) -> Result<String> {
		Self::deadline("version", self.options.call_timeout, async {
			self.via_crate
				.version()
				.await
				.map(|v| v.version)
				.map_err(|e| crate_error("version", e))
		})
		.await
	}

	async fn add(&self, data: Vec<u8>) -> Result<String> {
		self.add_with(data, true).await
	}

	async fn cat(&self, cid: &str, limit: u64, lookup: Duration) -> Result<Vec<u8>> {
		Self::deadline("cat", self.options.call_timeout, async {
			let mut bytes = Vec::new();
			self.cat_into(cid, limit, lookup, |chunk| bytes.extend_from_slice(chunk))
				.await?;
			Ok(bytes)
		})
		.await
	}

	async fn pin_add(&self, cid: &str, max_size: u64, lookup: Duration) -> Result<()> {
		Self::deadline("pin/add", self.options.call_timeout, async {
			// `pin/add` has no size limit: fetch the content first, counting and stopping at the
			// limit. What was read is in the daemon's store, so the pin below fetches nothing.
			self.cat_into(cid, max_size, lookup, |_| {}).await?;
			let lookup = kubo_duration(lookup);
			self.post_small(
				"pin/add",
				&[("arg", cid), ("recursive", "true"), ("timeout", &lookup)],
				None,
			)
			.await
			.map(drop)
		})
		.await
	}

	async fn pin_rm(&self, cid: &str) -> Result<()> {
		Self::deadline("pin/rm", self.options.call_timeout, async {
			match self.post_small("pin/rm", &[("arg", cid), ("recursive", "true")], None).await {
				Err(Error::Daemon { message, .. }) if is_not_pinned(&message) => Ok(()),
				other => other.map(drop),
			}
		})
		.await
	}

	async fn pins(&self) -> Result<HashSet<String>> {
		Self::deadline("pin/ls", self.options.call_timeout, async {
			self.via_crate
				.pin_ls(None, Some("recursive"))
				.await
				.map(|answer| answer.keys.into_keys().collect())
				.map_err(|e| crate_error("pin/ls", e))
		})
		.await
	}

	async fn gc(&self) -> Result<()> {
		const CALL: &str = "repo/gc";
		Self::deadline(CALL, self.options.gc_timeout, async {
			// With `stream-errors`, Kubo reports each block it could not remove as an `Error`
			// object in the stream (after the 200 status); without it, only in the
			// `X-Stream-Error` trailer, which this HTTP client does not surface.
			let answer = self.post(CALL, &[("stream-errors", "true")], None).await?;
			let mut lines = LineReader::default();
			let mut failure = None;
			let read = read_bounded(CALL, answer, u64::MAX, |chunk| {
				lines.push(chunk, |line| {
					if failure.is_none() {
						failure = gc_line_error(line);
					}
				})
			})
			.await?;
			debug_assert!(read.is_ok(), "no limit; qed");
			lines.finish(|line| {
				if failure.is_none() {
					failure = gc_line_error(line);
				}
			});
			match failure {
				Some(message) => Err(Error::Daemon { call: CALL, message }),
				None => Ok(()),
			}
		})
		.await
	}
}

/// The error a line of `repo/gc`'s answer reports, if any (an unreadable line is one).
fn gc_line_error(line: &[u8]) -> Option<String> {
	#[derive(serde::Deserialize)]
	struct Line {
		#[serde(rename = "Error", default)]
		error: Option<String>,
	}
	match serde_json::from_slice::<Line>(line) {
		Ok(Line { error: Some(error) }) if !error.is_empty() => Some(error),
		Ok(_) => None,
		Err(e) => {
			Some(format!("unreadable line in the answer ({e}): {}", String::from_utf8_lossy(line)))
		},
	}
}

/// Splits a streamed answer into its non-empty lines.
#[derive(Default)]
struct LineReader {
	partial: Vec<u8>,
}

impl LineReader {
	fn push(&mut self, mut chunk: &[u8], mut line: impl FnMut(&[u8])) {
		while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
			self.partial.extend_from_slice(&chunk[..end]);
			if !self.partial.trim_ascii().is_empty() {
				line(&self.partial);
			}
			self.partial.clear();
			chunk = &chunk[end + 1..];
		}
		self.partial.extend_from_slice(chunk);
	}

	fn finish(self, mut line: impl FnMut(&[u8])) {
		if !self.partial.trim_ascii().is_empty() {
			line(&self.partial);
		}
	}
}

/// An answer that went past the caller's limit.
#[derive(Debug)]
struct Over;

/// Feeds `body` into `sink` chunk by chunk; `Ok(Err(Over))`, with nothing past the limit fed,
/// as soon as more than `limit` bytes arrive. The connection is dropped there: the rest is
/// never read.
async fn read_bounded(
	call: &'static str,
	mut body: hyper::Body,
	limit: u64,
	mut sink: impl FnMut(&[u8]),
) -> Result<std::result::Result<(), Over>> {
	let mut read: u64 = 0;
	while let Some(chunk) = body.data().await {
		let chunk = chunk.map_err(|e| Error::Unreachable { call, detail: e.to_string() })?;
		read = read.saturating_add(chunk.len() as u64);
		if read > limit {
			return Ok(Err(Over));
		}
		sink(&chunk);
	}
	Ok(Ok(()))
}

/// A multipart boundary that does not occur in `data`: random, so that no content can be
/// crafted to contain it.
fn boundary_absent_from(data: &[u8]) -> String {
	loop {
		let boundary = format!("custodia-{:032x}", rand::random::<u128>());
		if !data.windows(boundary.len()).any(|window| window == boundary.as_bytes()) {
			return boundary;
		}
	}
}

/// A duration as Kubo's `timeout` option reads it (Go's duration syntax).
fn kubo_duration(duration: Duration) -> String {
	format!("{}ms", duration.as_millis().max(1))
}

/// Whether a daemon's message says the CID was not pinned (Kubo: "not pinned or pinned
/// indirectly"; js-ipfs: "… is not pinned").
fn is_not_pinned(message: &str) -> bool {
	message.contains("not pinned")
}

fn crate_error(call: &'static str, error: ipfs_api_backend_hyper::Error) -> Error {
	use ipfs_api_backend_hyper::Error as CrateError;
	match error {
		CrateError::Api(api) => Error::Daemon { call, message: api.message },
		CrateError::Client(e) => Error::Unreachable { call, detail: e.to_string() },
		other => Error::BadResponse { call, detail: other.to_string() },
	}
}

/// Percent-encodes a query value (CIDs and durations are ASCII; this keeps any byte safe).
fn percent_encode(value: &str) -> String {
	value
		.bytes()
		.map(|b| match b {
			b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
				(b as char).to_string()
			},
			_ => format!("%{b:02X}"),
		})
		.collect()
}

#[cfg(test)]
mod tests;
