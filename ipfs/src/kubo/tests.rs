//! [`Kubo`] against a tiny HTTP server that impersonates a daemon.

use std::{
	io::{BufRead, BufReader, Read, Write},
	net::{TcpListener, TcpStream},
	sync::{Arc, Mutex},
	time::Instant,
};

use super::*;
use crate::content_hash;

/// How the fake daemon answers one request.
enum Answer {
	/// A complete answer with this status and body.
	Whole(&'static str, Vec<u8>),
	/// A 200 answer streamed in chunks of this many bytes, without end.
	Endless(usize),
	/// No answer at all (the connection stays open).
	Silence,
}

/// A request the fake daemon received.
#[derive(Clone, Debug)]
struct Request {
	/// e.g. `POST /api/v0/cat?arg=QmX HTTP/1.1`.
	line: String,
	content_type: Option<String>,
	body: Vec<u8>,
}

/// A fake daemon: answers each request with `answer(request)`; remembers the requests.
struct FakeKubo {
	url: String,
	requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeKubo {
	fn start(answer: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Self {
		let listener = TcpListener::bind("127.0.0.1:0").unwrap();
		let url = format!("http://{}", listener.local_addr().unwrap());
		let requests = Arc::new(Mutex::new(Vec::new()));
		let answer = Arc::new(answer);
		let seen = requests.clone();
		std::thread::spawn(move || {
			for stream in listener.incoming() {
				let Ok(stream) = stream else { return };
				let (answer, seen) = (answer.clone(), seen.clone());
				std::thread::spawn(move || serve(stream, &*answer, &seen));
			}
		});
		Self { url, requests }
	}

	fn client(&self) -> Kubo {
		let options = KuboOptions {
			call_timeout: Duration::from_secs(5),
			gc_timeout: Duration::from_secs(5),
		};
		Kubo::new(&self.url, options).unwrap()
	}

	fn request_lines(&self) -> Vec<String> {
		self.requests.lock().unwrap().iter().map(|r| r.line.clone()).collect()
	}
}

/// Serves the requests of one connection.
fn serve(stream: TcpStream, answer: &dyn Fn(&Request) -> Answer, seen: &Mutex<Vec<Request>>) {
	let mut reader = BufReader::new(stream.try_clone().unwrap());
	let mut stream = stream;
	loop {
		let mut line = String::new();
		if reader.read_line(&mut line).unwrap_or(0) == 0 {
			return;
		}
		let (mut length, mut content_type) = (0, None);
		loop {
			let mut header = String::new();
			reader.read_line(&mut header).unwrap();
			if header.trim().is_empty() {
				break;
			}
			let (name, value) = header.split_once(':').unwrap();
			match name.to_ascii_lowercase().as_str() {
				"content-length" => length = value.trim().parse().unwrap(),
				"content-type" => content_type = Some(value.trim().to_string()),
				_ => {},
			}
		}
		let mut body = vec![0; length];
		reader.read_exact(&mut body).unwrap();
		let request = Request { line: line.trim().to_string(), content_type, body };
		seen.lock().unwrap().push(request.clone());
		match answer(&request) {
			Answer::Whole(status, body) => {
				let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n", body.len());
				if stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body)).is_err()
				{
					return;
				}
			},
			Answer::Endless(chunk) => {
				let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Stream-Error\r\n\r\n";
				stream.write_all(head.as_bytes()).unwrap();
				let data = vec![b'x'; chunk];
				// Until the client hangs up.
				while stream
					.write_all(format!("{chunk:x}\r\n").as_bytes())
					.and_then(|_| stream.write_all(&data))
					.and_then(|_| stream.write_all(b"\r\n"))
					.is_ok()
				{}
				return;
			},
			Answer::Silence => {
				std::thread::sleep(Duration::from_secs(30));
				return;
			},
		}
	}
}

fn json(body: &str) -> Answer {
	Answer::Whole("200 OK", body.as_bytes().to_vec())
}

fn daemon_error(message: &str) -> Answer {
	Answer::Whole(
		"500 Internal Server Error",
		format!(r#"{{"Message":"{message}","Code":0,"Type":"error"}}"#).into_bytes(),
	)
}

const LOOKUP: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn a_bounded_cat_asks_for_at_most_the_limit_and_returns_what_fits() {
	let kubo = FakeKubo::start(|_| Answer::Whole("200 OK", b"0123456789".to_vec()));
	assert_eq!(kubo.client().cat("QmX", 10, LOOKUP).await.unwrap(), b"0123456789");
	assert_eq!(
		kubo.request_lines(),
		["POST /api/v0/cat?arg=QmX&length=11&timeout=1500ms HTTP/1.1"]
	);
}

#[tokio::test]
async fn an_endless_stream_is_cut_at_the_limit_not_at_the_deadline() {
	// A daemon that ignores `length` and streams forever.
	let kubo = FakeKubo::start(|_| Answer::Endless(4096));
	let started = Instant::now();
	let refused = kubo.client().cat("QmBig", 100_000, LOOKUP).await;
	assert!(
		matches!(&refused, Err(Error::TooLarge { cid, limit: 100_000 }) if cid == "QmBig"),
		"{refused:?}"
	);
	// Stopped by the limit, well before the 5 s deadline.
	assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[tokio::test]
async fn content_that_does_not_match_its_hash_is_refused() {
	let kubo = FakeKubo::start(|_| json("forged"));
	let expected = content_hash(b"genuine");
	let refused = kubo.client().cat_checked("QmX", 100, LOOKUP, &expected).await;
	assert!(matches!(refused, Err(Error::HashMismatch { .. })), "{refused:?}");
	let genuine = content_hash(b"forged");
	assert_eq!(kubo.client().cat_checked("QmX", 100, LOOKUP, &genuine).await.unwrap(), b"forged");
}

#[tokio::test]
async fn an_object_above_the_declared_size_is_never_pinned() {
	let kubo = FakeKubo::start(|request| {
		if request.line.contains("/cat?") {
			Answer::Whole("200 OK", vec![1; 2048])
		} else {
			json(r#"{"Pins":["QmBig"]}"#)
		}
	});
	let refused = kubo.client().pin_add("QmBig", 1024, LOOKUP).await;
	assert!(matches!(refused, Err(Error::TooLarge { limit: 1024, .. })), "{refused:?}");
	assert!(
		kubo.request_lines().iter().all(|line| !line.contains("pin/add")),
		"{:?}",
		kubo.request_lines()
	);

	// Within the size: read, then pinned.
	kubo.client().pin_add("QmBig", 2048, LOOKUP).await.unwrap();
	let lines = kubo.request_lines();
	assert!(
		lines
			.last()
			.unwrap()
			.starts_with("POST /api/v0/pin/add?arg=QmBig&recursive=true&timeout=1500ms "),
		"{lines:?}"
	);
}

#[tokio::test]
async fn content_nobody_serves_is_the_daemons_refusal() {
	let kubo = FakeKubo::start(|_| daemon_error("context deadline exceeded"));
	let missing = kubo.client().cat("QmGone", 10, LOOKUP).await;
	assert!(
		matches!(&missing, Err(Error::Daemon { call: "cat", message }) if message == "context deadline exceeded"),
		"{missing:?}"
	);
	assert!(missing.unwrap_err().is_transient());
}

#[tokio::test]
async fn a_silent_daemon_is_a_timeout() {
	let kubo = FakeKubo::start(|_| Answer::Silence);
	let options = KuboOptions {
		call_timeout: Duration::from_millis(300),
		gc_timeout: Duration::from_millis(300),
	};
	let client = Kubo::new(&kubo.url, options).unwrap();
	let started = Instant::now();
	let cat = client.cat("QmX", 10, LOOKUP).await;
	assert!(matches!(cat, Err(Error::Timeout { call: "cat", .. })), "{cat:?}");
	let gc = client.gc().await;
	assert!(matches!(gc, Err(Error::Timeout { call: "repo/gc", .. })), "{gc:?}");
	let pins = client.pins().await;
	assert!(matches!(pins, Err(Error::Timeout { call: "pin/ls", .. })), "{pins:?}");
	assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn no_daemon_is_unreachable() {
	let closed = TcpListener::bind("127.0.0.1:0").unwrap();
	let url = format!("http://{}", closed.local_addr().unwrap());
	drop(closed);
	let down = Kubo::new(&url, KuboOptions::default()).unwrap().cat("QmX", 10, LOOKUP).await;
	assert!(matches!(&down, Err(Error::Unreachable { call: "cat", .. })), "{down:?}");
	assert!(down.unwrap_err().is_transient());
}

#[tokio::test]
async fn a_garbage_collection_with_an_error_in_its_stream_fails() {
	let removed = "{\"Key\":{\"/\":\"QmA\"}}\n{\"Key\":{\"/\":\"QmB\"}}\n";
	let kubo = FakeKubo::start(move |_| json(removed));
	kubo.client().gc().await.unwrap();
	assert_eq!(kubo.request_lines(), ["POST /api/v0/repo/gc?stream-errors=true HTTP/1.1"]);

	// The status was 200 and blocks were removed, but one could not be.
	let failed =
		"{\"Key\":{\"/\":\"QmA\"}}\n{\"Error\":\"could not remove QmB: permission denied\"}\n";
	let kubo = FakeKubo::start(move |_| json(failed));
	let gc = kubo.client().gc().await;
	assert!(
		matches!(&gc, Err(Error::Daemon { call: "repo/gc", message }) if message.contains("permission denied")),
		"{gc:?}"
	);

	// An answer cut in the middle of a line is not a clean collection either.
	let kubo = FakeKubo::start(|_| json("{\"Key\":{\"/\":\"QmA\"}}\n{\"Ke"));
	assert!(matches!(kubo.client().gc().await, Err(Error::Daemon { .. })));
}

#[tokio::test]
async fn an_unpin_of_what_is_not_pinned_succeeds() {
	let kubo = FakeKubo::start(|_| daemon_error("not pinned or pinned indirectly"));
	kubo.client().pin_rm("QmX").await.unwrap();
	let kubo = FakeKubo::start(|_| daemon_error("permission denied"));
	assert!(matches!(kubo.client().pin_rm("QmX").await, Err(Error::Daemon { call: "pin/rm", .. })));
}

#[tokio::test]
async fn add_sends_a_random_boundary_absent_from_the_content() {
	let kubo = FakeKubo::start(|_| json(r#"{"Name":"data","Hash":"QmNew","Size":12}"#));
	let data = b"--custodia-not-the-boundary".to_vec();
	assert_eq!(kubo.client().add(data.clone()).await.unwrap(), "QmNew");
	assert_eq!(kubo.client().add(data.clone()).await.unwrap(), "QmNew");
	let requests = kubo.requests.lock().unwrap().clone();
	let boundaries: Vec<String> = requests
		.iter()
		.map(|r| {
			r.content_type
				.as_deref()
				.unwrap()
				.split_once("boundary=")
				.unwrap()
				.1
				.to_string()
		})
		.collect();
	assert_ne!(boundaries[0], boundaries[1]);
	for (request, boundary) in requests.iter().zip(&boundaries) {
		assert!(request.body.starts_with(format!("--{boundary}\r\n").as_bytes()));
		assert!(request.body.ends_with(format!("\r\n--{boundary}--\r\n").as_bytes()));
		let inner = &request.body[boundary.len() + 4..request.body.len() - boundary.len() - 8];
		assert!(!inner.windows(boundary.len()).any(|w| w == boundary.as_bytes()));
		assert!(inner.ends_with(&data));
	}
}

#[tokio::test]
async fn only_add_unpinned_leaves_the_object_unpinned() {
	let kubo = FakeKubo::start(|_| json(r#"{"Name":"data","Hash":"QmNew","Size":"3"}"#));
	assert_eq!(kubo.client().add(b"abc".to_vec()).await.unwrap(), "QmNew");
	assert_eq!(kubo.client().add_unpinned(b"abc".to_vec()).await.unwrap(), "QmNew");
	let lines = kubo.request_lines();
	assert!(lines[0].starts_with("POST /api/v0/add?pin=true "), "{}", lines[0]);
	assert!(lines[1].starts_with("POST /api/v0/add?pin=false "), "{}", lines[1]);
}

#[test]
fn a_boundary_is_never_in_the_content() {
	let boundary = boundary_absent_from(b"");
	assert!(boundary.starts_with("custodia-") && boundary.len() == 9 + 32);
	let content = format!("a{boundary}b");
	assert!(!content.contains(&boundary_absent_from(content.as_bytes())));
}

#[test]
fn query_values_are_percent_encoded() {
	assert_eq!(percent_encode("QmAbc-_.~"), "QmAbc-_.~");
	assert_eq!(percent_encode("/ipfs/Qm x"), "%2Fipfs%2FQm%20x");
}

#[test]
fn both_daemons_not_pinned_messages_are_recognised() {
	assert!(is_not_pinned("not pinned or pinned indirectly"));
	assert!(is_not_pinned("QmX is not pinned"));
	assert!(!is_not_pinned("context deadline exceeded"));
}
