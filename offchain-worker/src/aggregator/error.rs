//! The aggregator's errors, sorted by what the worker does about them ([`Severity`]).

use custodia_primitives::statistics::{AggregatorEpochId, SchemaId, StatisticJobId};
use custodia_runtime::BlockNumber;
use custodia_statistics::Rejection;

use custodia_ipfs::Error as IpfsError;

use crate::signer::SubmitError;

/// What the worker does about an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
	/// Nothing is wrong with the work itself (the IPFS daemon, the node or the pool is busy or
	/// down): try again at the next round.
	RetryLater,
	/// Leave this one report out of every statistic, with this reason on chain.
	Reject(Rejection),
	/// This node cannot do this piece of work until its operator acts (a lost epoch key or
	/// output-share store, a pruned state, a chain bound this build does not fit, a bug). Log
	/// it loudly and try again only after a while; meanwhile the chain times the work out with
	/// its own reason (`VerificationTimeout`, `Timeout`), so nothing partial is ever published.
	Fatal,
}

/// Why the aggregator could not do a piece of work.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The IPFS daemon could not answer now.
	#[error(transparent)]
	Ipfs(#[from] IpfsError),
	/// A runtime API call failed.
	#[error("runtime API call failed: {0}")]
	RuntimeApi(String),
	/// The extrinsic could not be signed or was refused by the pool.
	#[error(transparent)]
	Submit(#[from] SubmitError),
	/// One report is left out, for this reason.
	#[error("report left out: {0}")]
	Rejected(Rejection),
	/// The state of an old block is needed and the node no longer has it.
	#[error("the state of block {block} is unavailable (pruned? keep `--state-pruning` above the statistic timeout): {detail}")]
	StateUnavailable {
		/// The block.
		block: BlockNumber,
		/// What the client said.
		detail: String,
	},
	/// This node cannot take part in an epoch as it stands.
	#[error("aggregator epoch {epoch}: {detail}")]
	Epoch {
		/// The epoch.
		epoch: AggregatorEpochId,
		/// Why, and what the operator can do.
		detail: String,
	},
	/// A schema on chain that this engine cannot use.
	#[error("statistic schema {schema}: {source}")]
	Schema {
		/// The schema.
		schema: SchemaId,
		/// What the engine refused.
		source: custodia_statistics::Error,
	},
	/// The statistics engine refused an operation.
	#[error("statistics engine: {0}")]
	Engine(#[from] custodia_statistics::Error),
	/// The role's state folder could not be read or written.
	#[error("aggregator state: {0}")]
	State(String),
	/// Reports of a job's cohort have no output share here: summing without them would
	/// publish a partial sum, so the job is left to time out.
	#[error(
		"statistic job {job}: {missing} of the {cohort} cohort reports have no output share on this node (lost or \
		 restored store?); not submitting a partial sum"
	)]
	MissingOutputShares {
		/// The job.
		job: StatisticJobId,
		/// Reports without an output share.
		missing: usize,
		/// Reports in the cohort.
		cohort: usize,
	},
	/// What the engine made does not fit a bound of the chain.
	#[error("{0} does not fit the chain's bound")]
	ChainBound(&'static str),
	/// A task on the blocking pool panicked or was cancelled: a bug, never an IPFS problem.
	#[error("a verification or aggregation task failed: {0}")]
	Task(String),
}

impl Error {
	/// What the worker does about it.
	pub fn severity(&self) -> Severity {
		match self {
			Error::Ipfs(_) | Error::RuntimeApi(_) | Error::Submit(_) => Severity::RetryLater,
			Error::Rejected(reason) => Severity::Reject(*reason),
			Error::StateUnavailable { .. }
			| Error::Epoch { .. }
			| Error::Schema { .. }
			| Error::Engine(_)
			| Error::State(_)
			| Error::MissingOutputShares { .. }
			| Error::ChainBound(_)
			| Error::Task(_) => Severity::Fatal,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_panicked_task_is_fatal_and_an_unreachable_daemon_is_retried() {
		assert_eq!(Error::Task("panicked".into()).severity(), Severity::Fatal);
		assert_eq!(
			Error::Ipfs(IpfsError::Unreachable { call: "cat", detail: "refused".into() })
				.severity(),
			Severity::RetryLater
		);
		assert_eq!(
			Error::Rejected(Rejection::HashMismatch).severity(),
			Severity::Reject(Rejection::HashMismatch)
		);
		let missing = Error::MissingOutputShares { job: 1, missing: 2, cohort: 10 };
		assert_eq!(missing.severity(), Severity::Fatal);
	}
}
