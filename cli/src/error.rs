//! The client's one error type, and the exit code of each kind of failure.
//!
//! Every command returns [`Error`]; `main` prints it and exits with [`Error::exit_code`], the
//! only place where a code is chosen. The codes are documented in the README ("Exit codes") and
//! in `custodia --help`'s crate docs:
//!
//! | code | variant |
//! |---|---|
//! | 0 | success |
//! | 1 | [`Error::Refused`]: the chain refused (the pallet error and its docs), or a check failed |
//! | 2 | [`Error::Usage`]: bad input or usage |
//! | 3 | [`Error::Unreachable`]: the node or IPFS could not be reached |
//! | 4 | [`Error::Key`]: a key file, or an object sealed to a key, would not open |

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The chain refused the request (a dispatch error, named with its docs), or a check failed
	/// (an object not matching its on-chain hash, a steward's pins not matching the chain).
	#[error("{0}")]
	Refused(String),
	/// The request cannot be made as given: bad input, a missing file, an unencrypted URL to
	/// another host without `--insecure`.
	#[error("{0}")]
	Usage(String),
	/// The node or the IPFS daemon could not be reached, or stopped answering.
	#[error("{0:#}")]
	Unreachable(anyhow::Error),
	/// A key could not be opened: a wrong passphrase or password, or an object sealed to another
	/// key.
	#[error("{0}")]
	Key(String),
}

impl Error {
	/// The process's exit code for this failure: the one mapping from failures to codes.
	pub fn exit_code(&self) -> u8 {
		match self {
			Error::Refused(_) => 1,
			Error::Usage(_) => 2,
			Error::Unreachable(_) => 3,
			Error::Key(_) => 4,
		}
	}

	/// The same failure, its message rewritten by `f` (e.g. to say what had already been done).
	pub fn map_message(self, f: impl FnOnce(String) -> String) -> Self {
		match self {
			Error::Refused(m) => Error::Refused(f(m)),
			Error::Usage(m) => Error::Usage(f(m)),
			Error::Key(m) => Error::Key(f(m)),
			Error::Unreachable(e) => Error::Unreachable(anyhow::anyhow!(f(format!("{e:#}")))),
		}
	}
}

impl From<anyhow::Error> for Error {
	/// An [`Error`] carried through `anyhow` keeps its kind; any other error is bad input (a
	/// value that did not parse, a file that could not be read).
	fn from(error: anyhow::Error) -> Self {
		match error.downcast::<Error>() {
			Ok(error) => error,
			Err(error) => Error::Usage(format!("{error:#}")),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn each_kind_has_its_documented_code() {
		assert_eq!(Error::Refused("x".into()).exit_code(), 1);
		assert_eq!(Error::Usage("x".into()).exit_code(), 2);
		assert_eq!(Error::Unreachable(anyhow::anyhow!("x")).exit_code(), 3);
		assert_eq!(Error::Key("x".into()).exit_code(), 4);
	}

	#[test]
	fn an_error_through_anyhow_keeps_its_kind_and_others_are_usage() {
		let kept: Error = anyhow::Error::from(Error::Key("wrong passphrase".into())).into();
		assert!(matches!(kept, Error::Key(m) if m == "wrong passphrase"));
		let other: Error = anyhow::anyhow!("not a number").into();
		assert!(matches!(other, Error::Usage(m) if m == "not a number"));
		let renamed = Error::Refused("no".into()).map_message(|m| format!("record 3: {m}"));
		assert!(matches!(renamed, Error::Refused(m) if m == "record 3: no"));
	}
}
