//! `custodia`: the command-line client of Custodia.
//!
//! Individuals, institutions and stewards use it to hold their keys (sealed at rest), to ask for,
//! give and withdraw consent, to add records (with their private statistics reports), to run
//! encrypted predictions and to ask for and read private cohort statistics — from a terminal or,
//! with `--json`, from scripts. It talks to a `custodia-node` over its JSON-RPC WebSocket (subxt:
//! calls, events and storage typed by code generated from the runtime's metadata, see
//! [`runtime`]) and to an IPFS daemon over the Kubo RPC API (the `custodia-ipfs` crate, see
//! [`ipfs`]).
//!
//! Exit codes (chosen in one place, [`Error::exit_code`]): 0 success; 1 the chain refused the request (the message names the pallet error);
//! 2 bad input or usage (including an unencrypted `ws://` URL to another host without
//! `--insecure`); 3 the node or IPFS could not be reached; 4 a key could not be opened.
//!
//! Secrets never need the command line (which other local users can read): passphrases come from
//! a prompt, `--passphrase-file` or `$CUSTODIA_PASSPHRASE`; secret URIs from a prompt, stdin or
//! a file; health values (`record add --values-file`, `predict --features-file`) from a file or
//! stdin.

mod account;
mod chain;
mod codes;
mod commands;
mod envelope;
mod error;
mod fhe_jobs;
mod fhir;
mod ipfs;
mod json_account;
mod keystore;
mod object;
mod output;
mod progress;
mod runtime;
mod schema;
mod statistics;

use std::{
	path::{Path, PathBuf},
	process::ExitCode,
};

use clap::{Parser, Subcommand};

pub use crate::error::Error;
// The commands by their own names, so that `crate::record::add` and the like read as before.
use crate::commands::{
	completions, consent, govern, keys, model, predict, program, record, report, statistic, status,
	steward, transfer, vault, wearable,
};
use crate::{
	keystore::{Identity, Keystore},
	output::Output,
};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
	name = "custodia",
	version,
	about = "Custodia client: keys, consent, records and vaults, encrypted predictions and statistics"
)]
pub struct Cli {
	/// The node's JSON-RPC WebSocket: wss://, or ws:// to this machine (an SSH tunnel to a
	/// remote node is one).
	#[arg(long, global = true, env = "CUSTODIA_URL", default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// Allow an unencrypted ws:// URL to another machine (anyone on the network path could change
	/// what the node answers).
	#[arg(long, global = true)]
	insecure: bool,
	/// Read key files' passphrase from the first line of FILE [default: $CUSTODIA_PASSPHRASE,
	/// else a prompt].
	#[arg(long, global = true, env = "CUSTODIA_PASSPHRASE_FILE", value_name = "FILE")]
	passphrase_file: Option<PathBuf>,
	/// Print machine-readable JSON instead of text.
	#[arg(long, global = true)]
	json: bool,
	/// Where key files live [default: $XDG_CONFIG_HOME/custodia/keys or ~/.config/custodia/keys].
	#[arg(long, global = true, env = "CUSTODIA_KEYS_DIR")]
	keys_dir: Option<PathBuf>,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Create, import, export and list identities (sr25519 account, the X25519 envelope key derived
	/// from it, personal FHE key).
	#[command(subcommand)]
	Keys(keys::KeysCommand),
	/// Consent: institutions ask; people grant, deny and revoke.
	#[command(subcommand)]
	Consent(consent::ConsentCommand),
	/// (Person) Health records: add (a FHIR Bundle sealed to you, with its statistics report),
	/// list, show, retire.
	#[command(subcommand)]
	Record(record::RecordCommand),
	/// (Person) Your records' statistics reports: where each stands, and submitting one again.
	#[command(subcommand)]
	Report(report::ReportCommand),
	/// Shared data vaults: people open and close them; institutions fetch them and attest removal.
	#[command(subcommand)]
	Vault(vault::VaultCommand),
	/// Private cohort statistics (Prio3, with differential privacy): schemas, aggregator epochs and
	/// privacy parameters (governance); enrolment and requests (institutions); published values
	/// (anyone).
	#[command(subcommand)]
	Statistic(statistic::StatisticCommand),
	/// (Steward) Compare IPFS pins with what the chain requires.
	#[command(subcommand)]
	Steward(steward::StewardCommand),
	/// (Person) A simulated wearable: readings filtered, encoded as FHIR, sealed to you and uploaded
	/// as records (with their statistics reports) on an interval.
	///
	/// Example: custodia wearable --as me --interval 60 --count 10
	Wearable(wearable::WearableArgs),
	/// Governance (sudo on --dev, council motions elsewhere): admit members, vote, close.
	#[command(subcommand)]
	Govern(govern::GovernCommand),
	/// Send units to accounts (to fund new identities), all in one go.
	///
	/// Example: custodia transfer --as alice --amount 100 5F… 5G…
	Transfer(transfer::TransferArgs),
	/// (Institution) Register a linear prediction model, readable by anyone.
	///
	/// Example: custodia model-register --as clinic --model-name heart-risk model.json
	ModelRegister(model::RegisterArgs),
	/// Ask for an encrypted prediction over your features and read the diagnosis.
	///
	/// Example: custodia predict --as me --model 0 --features-file features.txt (or --features 63,145,233)
	Predict(predict::PredictArgs),
	/// Run your own program over values encrypted under your own key (add, mult, compare,
	/// select); only you can decrypt the outputs.
	#[command(subcommand)]
	Program(program::ProgramCommand),
	/// The chain at a glance: finalized block, consortium members, the aggregator epoch of private
	/// statistics.
	///
	/// Example: custodia status --json
	Status,
	/// Print shell completions.
	///
	/// Example: custodia completions bash > /etc/bash_completion.d/custodia
	Completions(completions::CompletionsArgs),
}

/// The passphrase: the first line of `file` (`--passphrase-file`), else `$CUSTODIA_PASSPHRASE`
/// (for scripts), else a prompt on the terminal.
fn passphrase(file: Option<&Path>, prompt: &str) -> Result<Zeroizing<String>, Error> {
	if let Some(file) = file {
		return password_file(file);
	}
	if let Ok(passphrase) = std::env::var("CUSTODIA_PASSPHRASE") {
		return Ok(Zeroizing::new(passphrase));
	}
	rpassword::prompt_password(prompt).map(Zeroizing::new).map_err(|e| {
		Error::Key(format!("cannot read a passphrase ({e}); give --passphrase-file (or set CUSTODIA_PASSPHRASE) when not on a terminal"))
	})
}

/// The first line of `path` (a password file), without its line ending.
pub(crate) fn password_file(path: &Path) -> Result<Zeroizing<String>, Error> {
	let text = Zeroizing::new(
		std::fs::read_to_string(path)
			.map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?,
	);
	let line = Zeroizing::new(text.lines().next().unwrap_or("").to_string());
	if line.is_empty() {
		return Err(Error::Usage(format!(
			"{}: the password file's first line is empty",
			path.display()
		)));
	}
	Ok(line)
}

/// The text of `path`, or of stdin when `path` is `-`: how health values are given off the
/// command line (`--values-file`, `--features-file`). Zeroized when dropped.
pub fn read_input(path: &Path) -> Result<Zeroizing<String>, Error> {
	let mut text = Zeroizing::new(String::new());
	let read = if path == Path::new("-") {
		std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
	} else {
		std::fs::File::open(path)
			.and_then(|mut file| std::io::Read::read_to_string(&mut file, &mut text))
	};
	read.map_err(|e| {
		Error::Usage(format!(
			"cannot read {}: {e}",
			if path == Path::new("-") { "stdin".into() } else { path.display().to_string() }
		))
	})?;
	Ok(text)
}

impl Cli {
	pub(crate) fn keystore(&self) -> Keystore {
		Keystore::new(self.keys_dir.clone().unwrap_or_else(Keystore::default_dir))
	}

	/// Opens the identity `name`, asking for its passphrase.
	pub fn identity(&self, name: &str) -> Result<Identity, Error> {
		let passphrase =
			passphrase(self.passphrase_file.as_deref(), &format!("passphrase for `{name}`: "))?;
		self.keystore()
			.open(name, &passphrase)
			.map_err(|e| Error::Key(format!("{e:#}")))
	}

	async fn run(&self, out: &mut Output) -> Result<(), Error> {
		match &self.command {
			Command::Keys(command) => keys::run(self, command, out),
			Command::Consent(command) => consent::run(self, command, out).await,
			Command::Record(command) => record::run(self, command, out).await,
			Command::Report(command) => report::run(self, command, out).await,
			Command::Vault(command) => vault::run(self, command, out).await,
			Command::Statistic(command) => statistic::run(self, command, out).await,
			Command::Steward(command) => steward::run(self, command, out).await,
			Command::Wearable(args) => wearable::run(self, args, out).await,
			Command::Govern(command) => govern::run(self, command, out).await,
			Command::Transfer(args) => transfer::run(self, args, out).await,
			Command::ModelRegister(args) => model::run(self, args, out).await,
			Command::Predict(args) => predict::run(self, args, out).await,
			Command::Program(command) => program::run(self, command, out).await,
			Command::Status => status::run(self, out).await,
			Command::Completions(args) => completions::run(args, out),
		}
	}

	/// A new identity's passphrase (its key file is sealed under it).
	pub(crate) fn new_passphrase(&self) -> Result<Zeroizing<String>, Error> {
		passphrase(self.passphrase_file.as_deref(), "new passphrase: ")
	}

	/// Whether to print JSON.
	pub fn json(&self) -> bool {
		self.json
	}

	/// Whether `--insecure` allows an unencrypted ws:// URL to another machine.
	pub fn insecure(&self) -> bool {
		self.insecure
	}

	/// The node's URL.
	pub fn url(&self) -> &str {
		&self.url
	}
}

#[tokio::main]
async fn main() -> ExitCode {
	let cli = Cli::parse();
	let mut out = Output::stdio(cli.json);
	match cli.run(&mut out).await {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			eprintln!("error: {error}");
			ExitCode::from(error.exit_code())
		},
	}
}

#[cfg(test)]
mod tests {
	use clap::{CommandFactory, Parser};
	use serde_json::{json, Value as Json};

	use super::{Cli, Command};
	use crate::output::Output;

	#[test]
	fn the_command_line_is_consistent() {
		// Catches clashing argument names (e.g. two `name` fields) before a user does.
		Cli::command().debug_assert();
	}

	/// Parses `args` after the global options of a key store of its own.
	fn cli(keys: &std::path::Path, args: &[&str]) -> Cli {
		let passphrase = keys.join("passphrase");
		std::fs::write(&passphrase, "correct horse battery\n").unwrap();
		let keys = keys.to_str().unwrap();
		let global =
			["custodia", "--keys-dir", keys, "--passphrase-file", passphrase.to_str().unwrap()];
		Cli::try_parse_from(global.iter().chain(args)).unwrap()
	}

	#[tokio::test]
	async fn commands_write_their_data_and_status_to_the_output_they_are_given() {
		let keys = tempfile::tempdir().unwrap();
		let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

		let import = cli(keys.path(), &["keys", "import", "alice", "--suri", "//Alice"]);
		let (mut out, data, status) = Output::captured(false);
		import.run(&mut out).await.unwrap();
		assert!(data.text().starts_with(&format!("identity `alice`: account {alice}")));
		assert_eq!(status.text(), "");

		let list = cli(keys.path(), &["--json", "keys", "list"]);
		let (mut out, data, _) = Output::captured(list.json());
		list.run(&mut out).await.unwrap();
		let listed: Json = serde_json::from_str(&data.text()).unwrap();
		assert_eq!(listed[0]["name"], json!("alice"));
		assert_eq!(listed[0]["account"], json!(alice));

		// A new identity: its recovery phrase is data, the warning to write it down is status.
		let create = cli(keys.path(), &["--json", "keys", "create", "clinic"]);
		let (mut out, data, status) = Output::captured(true);
		create.run(&mut out).await.unwrap();
		let created: Json = serde_json::from_str(&data.text()).unwrap();
		assert_eq!(created["recovery_phrase"].as_str().unwrap().split(' ').count(), 12);
		assert!(status.text().starts_with("Write this recovery phrase down"));

		let completions = cli(keys.path(), &["completions", "bash"]);
		assert!(matches!(completions.command, Command::Completions(_)));
		let (mut out, data, _) = Output::captured(false);
		completions.run(&mut out).await.unwrap();
		// bash's completion script: a function registered for the command with `complete -F`,
		// offering the subcommands.
		let script = data.text();
		assert!(script.contains("complete -F _custodia"), "{script}");
		assert!(script.contains("consent") && script.contains("vault"), "{script}");
	}

	#[tokio::test]
	async fn a_failing_command_writes_nothing_and_its_error_is_its_exit_code() {
		let keys = tempfile::tempdir().unwrap();
		let import = cli(keys.path(), &["keys", "import", "me", "--suri", "bottom drive obey"]);
		let (mut out, data, status) = Output::captured(false);
		let error = import.run(&mut out).await.unwrap_err();
		assert_eq!(error.exit_code(), 2, "a phrase on the command line is a usage error: {error}");
		assert_eq!((data.text(), status.text()), (String::new(), String::new()));
	}
}
