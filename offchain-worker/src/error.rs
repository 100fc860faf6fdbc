//! The steward's and the evaluator's errors, sorted by what the worker does about them
//! ([`Severity`]). (The aggregator has its own, in [`crate::aggregator::Error`].)

use custodia_primitives::fhe::FailureReason;

use crate::signer::SubmitError;

/// What the worker does about an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
	/// Nothing is wrong with the work itself (the IPFS daemon, the node or the pool is busy or
	/// down): try again at a later round. Never reported on chain.
	RetryLater,
	/// The job itself cannot be done, for this reason: report it on chain as the job's failure.
	FailJob(FailureReason),
	/// A bug or a misconfiguration of this node (a panicked task, an invalid setting): log it
	/// loudly. Never reported on chain as the job's fault; the chain times the job out.
	Fatal,
}

/// Why the steward or the evaluator could not do a piece of work.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// An IPFS call failed.
	#[error(transparent)]
	Ipfs(#[from] custodia_ipfs::Error),
	/// A runtime API call failed (the node is busy, or the block's state is gone).
	#[error("runtime API call failed: {0}")]
	RuntimeApi(String),
	/// The extrinsic could not be signed or was refused by the pool.
	#[error(transparent)]
	Submit(#[from] SubmitError),
	/// The job's input is not what the requester registered, or cannot be computed.
	#[error("the job cannot be computed: {0:?}")]
	Job(FailureReason),
	/// A task on the blocking pool panicked or was cancelled: a bug, never an IPFS problem.
	#[error("a worker task failed: {0}")]
	Task(String),
}

impl Error {
	/// What the worker does about it.
	pub fn severity(&self) -> Severity {
		match self {
			Error::Ipfs(e) if e.is_transient() => Severity::RetryLater,
			Error::Ipfs(custodia_ipfs::Error::HashMismatch { .. }) => {
				Severity::FailJob(FailureReason::InputHashMismatch)
			},
			Error::Ipfs(custodia_ipfs::Error::TooLarge { .. }) => {
				Severity::FailJob(FailureReason::MalformedInput)
			},
			Error::Ipfs(_) => Severity::Fatal,
			Error::RuntimeApi(_) | Error::Submit(_) => Severity::RetryLater,
			Error::Job(reason) => Severity::FailJob(*reason),
			Error::Task(_) => Severity::Fatal,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_panicked_task_is_fatal_and_never_the_jobs_failure() {
		assert_eq!(Error::Task("panicked".into()).severity(), Severity::Fatal);
	}

	#[test]
	fn an_unreachable_daemon_or_a_busy_node_is_retried_never_reported() {
		let down =
			custodia_ipfs::Error::Unreachable { call: "cat", detail: "connection refused".into() };
		assert_eq!(Error::Ipfs(down).severity(), Severity::RetryLater);
		let slow = custodia_ipfs::Error::Timeout {
			call: "cat",
			after: std::time::Duration::from_secs(30),
		};
		assert_eq!(Error::Ipfs(slow).severity(), Severity::RetryLater);
		assert_eq!(Error::RuntimeApi("state unavailable".into()).severity(), Severity::RetryLater);
		assert_eq!(
			Error::Submit(SubmitError::Pool("full".into())).severity(),
			Severity::RetryLater
		);
	}

	#[test]
	fn content_that_is_not_what_was_registered_fails_the_job() {
		let forged = custodia_ipfs::Error::HashMismatch { cid: "QmX".into() };
		assert_eq!(
			Error::Ipfs(forged).severity(),
			Severity::FailJob(FailureReason::InputHashMismatch)
		);
		let huge = custodia_ipfs::Error::TooLarge { cid: "QmX".into(), limit: 10 };
		assert_eq!(Error::Ipfs(huge).severity(), Severity::FailJob(FailureReason::MalformedInput));
	}
}
