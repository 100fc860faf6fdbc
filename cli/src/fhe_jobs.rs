//! What an encrypted prediction (`custodia predict`) and a person's program (`custodia program
//! run`) share: their values, given on the command line or read from a file, and their job's
//! outcome — the evaluators' agreed result awaited on chain, then fetched from IPFS and checked
//! against the hash the evaluators agreed on.

use std::{path::Path, time::Duration};

use serde_json::json;

use crate::{
	chain::{event_as, Chain},
	ipfs::Ipfs,
	runtime::custodia::fhe::events::{JobFailed, JobTimedOut, PredictionReady, ProgramResultReady},
	Error,
};

/// Values separated by commas or whitespace (a values file), each read by `parse`.
pub fn parse_list<T>(
	text: &str,
	parse: impl Fn(&str) -> anyhow::Result<T>,
) -> anyhow::Result<Vec<T>> {
	text.split(|c: char| c == ',' || c.is_whitespace())
		.filter(|item| !item.is_empty())
		.map(parse)
		.collect()
}

/// The values `given` on the command line, or those of `file` (`-`: stdin) when one is named:
/// values on a command line are visible to other local users.
pub fn given_or_read<T: Clone>(
	given: &[T],
	file: Option<&Path>,
	parse: impl Fn(&str) -> anyhow::Result<T>,
) -> Result<Vec<T>, Error> {
	match file {
		Some(path) => parse_list(&crate::read_input(path)?, parse)
			.map_err(|e| Error::Usage(format!("{}: {e:#}", path.display()))),
		None => Ok(given.to_vec()),
	}
}

/// An FHE job of the person's, by id.
#[derive(Clone, Copy)]
pub enum Job {
	Prediction(u64),
	Program(u64),
}

impl Job {
	fn id(self) -> u64 {
		match self {
			Job::Prediction(id) | Job::Program(id) => id,
		}
	}

	fn word(self) -> &'static str {
		match self {
			Job::Prediction(_) => "prediction",
			Job::Program(_) => "program",
		}
	}
}

/// A job's agreed result: the block it was final in, and the object the evaluators stored.
pub struct Ready {
	pub block: u64,
	pub cid: String,
	hash: [u8; 32],
}

impl Ready {
	/// The result from IPFS (at most `max` bytes), checked against the agreed hash.
	pub async fn fetch(&self, ipfs: &Ipfs, max: usize) -> Result<Vec<u8>, Error> {
		ipfs.cat_checked(&self.cid, max, &self.hash).await
	}
}

/// How a job ended.
enum Outcome {
	Ready { cid: Vec<u8>, hash: [u8; 32] },
	Failed(String),
	TimedOut,
}

/// Waits (at most `timeout`) for `job`'s outcome: its result, else [`Error::Refused`] with why it
/// failed or that it timed out on chain (no quorum of evaluators agreed before its deadline).
pub async fn await_result(chain: &Chain, job: Job, timeout: Duration) -> Result<Ready, Error> {
	let id = job.id();
	let (block, outcome) = chain
		.wait_for(
			"Fhe",
			|event| {
				if let Some(failed) = event_as::<JobFailed>(event)?.filter(|e| e.job == id) {
					// The reason's variant name, as JSON (a unit variant's `Debug` is its name).
					let reason = json!(format!("{:?}", failed.reason)).to_string();
					return Ok(Some(Outcome::Failed(reason)));
				}
				if event_as::<JobTimedOut>(event)?.is_some_and(|e| e.job == id) {
					return Ok(Some(Outcome::TimedOut));
				}
				Ok(match job {
					Job::Prediction(_) => event_as::<PredictionReady>(event)?
						.filter(|e| e.job == id)
						.map(|e| Outcome::Ready { cid: e.result_cid.0, hash: e.result_hash.0 }),
					Job::Program(_) => event_as::<ProgramResultReady>(event)?
						.filter(|e| e.job == id)
						.map(|e| Outcome::Ready { cid: e.result_cid.0, hash: e.result_hash.0 }),
				})
			},
			timeout,
		)
		.await?;
	let word = job.word();
	match outcome {
		Outcome::Ready { cid, hash } => {
			Ok(Ready { block, cid: String::from_utf8_lossy(&cid).into_owned(), hash })
		},
		Outcome::Failed(reason) => {
			Err(Error::Refused(format!("{word} job {id} failed in block {block}: {reason}")))
		},
		Outcome::TimedOut => Err(Error::Refused(format!(
			"{word} job {id} timed out in block {block}: no quorum of evaluators agreed"
		))),
	}
}
