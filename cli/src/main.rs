//! `custodia`: the command-line client of Custodia.
//!
//! Individuals, institutions and stewards use it to hold their keys (sealed at rest), to ask for,
//! give and withdraw consent, to add records (with their private statistics reports), to run
//! encrypted predictions and to ask for and read private cohort statistics — from a terminal or,
//! with `--json`, from scripts. It talks to a `custodia-node` over its JSON-RPC WebSocket (subxt,
//! calls checked against the node's metadata) and to an IPFS daemon over the Kubo RPC API.
//!
//! Exit codes: 0 success; 1 the chain refused the request (the message names the pallet error);
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
mod consent;
mod envelope;
mod fhir;
mod govern;
mod ipfs;
mod json_account;
mod keystore;
mod model;
mod object;
mod output;
mod predict;
mod progress;
mod record;
mod report;
mod schema;
mod statistic;
mod status;
mod steward;
mod vault;
mod wearable;

use std::{
	io::{BufRead, IsTerminal, Write},
	os::unix::fs::OpenOptionsExt,
	path::{Path, PathBuf},
	process::ExitCode,
};

use clap::{ArgGroup, CommandFactory, Parser, Subcommand};
use serde_json::json;

use crate::{
	chain::Failure,
	json_account::JsonAccountError,
	keystore::{Identity, Keystore},
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
	Keys(KeysCommand),
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
	Transfer {
		/// The identity that pays.
		#[arg(long = "as", value_name = "NAME")]
		name: String,
		/// Units to each account.
		#[arg(long)]
		amount: u64,
		/// The accounts (SS58).
		#[arg(required = true)]
		to: Vec<String>,
	},
	/// (Institution) Register a linear prediction model, readable by anyone.
	///
	/// Example: custodia model-register --as clinic --model-name heart-risk model.json
	ModelRegister(model::RegisterArgs),
	/// Ask for an encrypted prediction over your features and read the diagnosis.
	///
	/// Example: custodia predict --as me --model 0 --features-file features.txt (or --features 63,145,233)
	Predict(predict::PredictArgs),
	/// The chain at a glance: finalized block, consortium members, the aggregator epoch of private
	/// statistics.
	///
	/// Example: custodia status --json
	Status,
	/// Print shell completions.
	///
	/// Example: custodia completions bash > /etc/bash_completion.d/custodia
	Completions {
		/// The shell.
		shell: clap_complete::Shell,
	},
}

#[derive(Subcommand)]
enum KeysCommand {
	/// Create an identity from a new 12-word recovery phrase, shown once; the key file is sealed
	/// under a passphrase ($CUSTODIA_PASSPHRASE or a prompt).
	///
	/// Example: custodia keys create clinic
	Create {
		/// A name for it (letters, digits, `-`, `_`).
		name: String,
	},
	/// Store an identity from a recovery phrase or secret URI, a polkadot.js JSON account or a
	/// development account; its envelope key is derived from the account (docs/identities.md),
	/// its FHE key is fresh. Without a source, the secret URI is prompted for (without echo).
	///
	/// Examples: custodia keys import me (prompted); custodia keys import me --suri-file me.suri;
	/// custodia keys import me --suri - < me.suri; custodia keys import me --json-file me.json;
	/// custodia keys import alice --suri //Alice
	#[command(group(ArgGroup::new("source").args(["phrase", "json_file", "suri", "suri_file"])))]
	Import {
		name: String,
		/// Read the recovery phrase (or any secret URI: PHRASE//hard/soft///password, 0x<seed>)
		/// at a prompt without echo, or from stdin's first line when stdin is not a terminal.
		#[arg(long)]
		phrase: bool,
		/// With --phrase: read it from stdin even when stdin is a terminal.
		#[arg(long, requires = "phrase")]
		phrase_stdin: bool,
		/// A polkadot.js JSON account (exported by the extension, polkadot.js Apps, the consent app
		/// or `keys export`); its password is prompted, or read from --password-file.
		#[arg(long, value_name = "FILE")]
		json_file: Option<PathBuf>,
		/// The JSON account's password: the first line of FILE.
		#[arg(long, value_name = "FILE", requires = "json_file")]
		password_file: Option<PathBuf>,
		/// `-`: read the secret URI (a phrase or seed with junctions) from stdin's first line.
		/// Otherwise only a development account, e.g. `//Alice` (`//` junctions on the public
		/// development phrase): a phrase or seed on the command line is visible to other local
		/// users, so it goes through `-`, --suri-file or the prompt.
		#[arg(long, value_name = "SURI|-")]
		suri: Option<String>,
		/// Read the secret URI from the first line of FILE (keep it private: mode 0600).
		#[arg(long, value_name = "FILE")]
		suri_file: Option<PathBuf>,
	},
	/// Write an identity's account as a polkadot.js JSON account (version 3, scrypt +
	/// xsalsa20-poly1305) for the extension, polkadot.js Apps and the consent app, sealed with a
	/// password (prompted twice, or --password-file). Never overwrites a file.
	///
	/// Example: custodia keys export me --out me.json
	Export {
		name: String,
		/// The file to write (mode 0600; must not exist).
		#[arg(long, value_name = "FILE")]
		out: PathBuf,
		/// The export password: the first line of FILE.
		#[arg(long, value_name = "FILE")]
		password_file: Option<PathBuf>,
	},
	/// List identities: name, account, envelope public key (never a secret).
	///
	/// Example: custodia keys list --json
	List,
}

/// A failure and its exit code.
pub struct Exit(u8, String);

impl From<Failure> for Exit {
	fn from(failure: Failure) -> Self {
		match failure {
			Failure::Refused(message) => Exit(1, message),
			Failure::Usage(message) => Exit(2, message),
			unreachable @ Failure::Unreachable(_) => Exit(3, unreachable.to_string()),
		}
	}
}

impl From<anyhow::Error> for Exit {
	fn from(error: anyhow::Error) -> Self {
		match error.downcast::<Failure>() {
			Ok(failure) => failure.into(),
			Err(error) => Exit(2, format!("{error:#}")),
		}
	}
}

/// The passphrase: the first line of `file` (`--passphrase-file`), else `$CUSTODIA_PASSPHRASE`
/// (for scripts), else a prompt on the terminal.
fn passphrase(file: Option<&Path>, prompt: &str) -> Result<Zeroizing<String>, Exit> {
	if let Some(file) = file {
		return password_file(file);
	}
	if let Ok(passphrase) = std::env::var("CUSTODIA_PASSPHRASE") {
		return Ok(Zeroizing::new(passphrase));
	}
	rpassword::prompt_password(prompt).map(Zeroizing::new).map_err(|e| {
		Exit(4, format!("cannot read a passphrase ({e}); give --passphrase-file (or set CUSTODIA_PASSPHRASE) when not on a terminal"))
	})
}

/// The first line of `path` (a password file), without its line ending.
fn password_file(path: &Path) -> Result<Zeroizing<String>, Exit> {
	let text = Zeroizing::new(
		std::fs::read_to_string(path)
			.map_err(|e| Exit(2, format!("cannot read {}: {e}", path.display())))?,
	);
	let line = Zeroizing::new(text.lines().next().unwrap_or("").to_string());
	if line.is_empty() {
		return Err(Exit(
			2,
			format!("{}: the password file's first line is empty", path.display()),
		));
	}
	Ok(line)
}

/// A password from `file`, else a prompt on the terminal (twice when `confirm`).
fn password(file: Option<&Path>, prompt: &str, confirm: bool) -> Result<Zeroizing<String>, Exit> {
	if let Some(file) = file {
		return password_file(file);
	}
	let no_terminal = |e: std::io::Error| {
		Exit(2, format!("cannot read a password ({e}); use --password-file when not on a terminal"))
	};
	let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(no_terminal)?);
	if first.is_empty() {
		return Err(Exit(2, "the password is empty".into()));
	}
	if confirm {
		let again = Zeroizing::new(
			rpassword::prompt_password("the same password again: ").map_err(no_terminal)?,
		);
		if again != first {
			return Err(Exit(2, "the two passwords differ".into()));
		}
	}
	Ok(first)
}

/// Where a secret URI is read from.
enum SecretSource<'a> {
	/// Stdin's first line.
	Stdin,
	/// A prompt without echo.
	Prompt,
	/// A file's first line.
	File(&'a Path),
}

/// A recovery phrase (or secret URI) from `source`. Runs of whitespace in the phrase part become
/// one space.
fn read_phrase(source: SecretSource) -> Result<Zeroizing<String>, Exit> {
	let line = match source {
		SecretSource::Stdin => {
			let mut line = Zeroizing::new(String::new());
			std::io::stdin()
				.lock()
				.read_line(&mut line)
				.map_err(|e| Exit(2, format!("cannot read the phrase from stdin: {e}")))?;
			line
		},
		SecretSource::Prompt => Zeroizing::new(
			rpassword::prompt_password("recovery phrase or secret URI: ")
				.map_err(|e| Exit(2, format!("cannot read the phrase ({e})")))?,
		),
		SecretSource::File(path) => {
			let text = Zeroizing::new(
				std::fs::read_to_string(path)
					.map_err(|e| Exit(2, format!("cannot read {}: {e}", path.display())))?,
			);
			Zeroizing::new(text.lines().next().unwrap_or("").to_string())
		},
	};
	let line = line.trim();
	let (words, path) = line.split_at(line.find('/').unwrap_or(line.len()));
	let phrase =
		Zeroizing::new(format!("{}{path}", words.split_whitespace().collect::<Vec<_>>().join(" ")));
	if phrase.is_empty() {
		return Err(Exit(2, "no phrase given".into()));
	}
	Ok(phrase)
}

/// The text of `path`, or of stdin when `path` is `-`: how health values are given off the
/// command line (`--values-file`, `--features-file`). Zeroized when dropped.
pub fn read_input(path: &Path) -> Result<Zeroizing<String>, Exit> {
	let mut text = Zeroizing::new(String::new());
	let read = if path == Path::new("-") {
		std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
	} else {
		std::fs::File::open(path)
			.and_then(|mut file| std::io::Read::read_to_string(&mut file, &mut text))
	};
	read.map_err(|e| {
		Exit(
			2,
			format!(
				"cannot read {}: {e}",
				if path == Path::new("-") { "stdin".into() } else { path.display().to_string() }
			),
		)
	})?;
	Ok(text)
}

/// `path`, created with mode 0600; never over an existing file.
fn write_private_new(path: &Path, bytes: &[u8]) -> Result<(), Exit> {
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(path)
		.map_err(|e| match e.kind() {
			std::io::ErrorKind::AlreadyExists => {
				Exit(2, format!("{} exists: not overwritten", path.display()))
			},
			_ => Exit(2, format!("cannot create {}: {e}", path.display())),
		})?;
	file.write_all(bytes)
		.map_err(|e| Exit(2, format!("cannot write {}: {e}", path.display())))
}

impl From<JsonAccountError> for Exit {
	fn from(error: JsonAccountError) -> Self {
		match error {
			// The key could not be opened: exit 4, like a wrong passphrase.
			JsonAccountError::WrongPassword | JsonAccountError::EmptyPassword => {
				Exit(4, error.to_string())
			},
			_ => Exit(2, error.to_string()),
		}
	}
}

impl Cli {
	pub(crate) fn keystore(&self) -> Keystore {
		Keystore::new(self.keys_dir.clone().unwrap_or_else(Keystore::default_dir))
	}

	/// Opens the identity `name`, asking for its passphrase.
	pub fn identity(&self, name: &str) -> Result<Identity, Exit> {
		let passphrase =
			passphrase(self.passphrase_file.as_deref(), &format!("passphrase for `{name}`: "))?;
		self.keystore().open(name, &passphrase).map_err(|e| Exit(4, format!("{e:#}")))
	}

	async fn run(&self) -> Result<(), Exit> {
		match &self.command {
			Command::Keys(command) => self.keys(command),
			Command::Consent(command) => consent::run(self, command).await,
			Command::Record(command) => record::run(self, command).await,
			Command::Report(command) => report::run(self, command).await,
			Command::Vault(command) => vault::run(self, command).await,
			Command::Statistic(command) => statistic::run(self, command).await,
			Command::Steward(command) => steward::run(self, command).await,
			Command::Wearable(args) => wearable::run(self, args).await,
			Command::Govern(command) => govern::run(self, command).await,
			Command::Transfer { name, amount, to } => {
				govern::transfer(self, name, *amount, to).await
			},
			Command::ModelRegister(args) => model::register(self, args).await,
			Command::Predict(args) => predict::run(self, args).await,
			Command::Status => status::run(self).await,
			Command::Completions { shell } => {
				clap_complete::generate(
					*shell,
					&mut Cli::command(),
					"custodia",
					&mut std::io::stdout(),
				);
				Ok(())
			},
		}
	}

	fn keys(&self, command: &KeysCommand) -> Result<(), Exit> {
		let store = self.keystore();
		let created = match command {
			KeysCommand::Create { name } => {
				let (created, phrase) = store.create(name, &self.new_passphrase()?)?;
				eprintln!(
					"Write this recovery phrase down and keep it offline: it recovers your account and envelope key (in this \
					 client or the consent app), and anyone holding it can act as you. It is not shown again."
				);
				let mut data = json!(created);
				data["recovery_phrase"] = json!(phrase.as_str());
				output::emit(self.json, data, || {
					vec![
						format!(
							"identity `{}`: account {} (sealed in {})",
							created.name,
							created.account,
							store.dir().display()
						),
						format!("recovery phrase: {}", phrase.as_str()),
					]
				});
				return Ok(());
			},
			KeysCommand::Import { name, phrase: true, phrase_stdin, .. } => {
				let from_stdin = *phrase_stdin || !std::io::stdin().is_terminal();
				let phrase = read_phrase(if from_stdin {
					SecretSource::Stdin
				} else {
					SecretSource::Prompt
				})?;
				store.import(name, &self.new_passphrase()?, &phrase)?
			},
			KeysCommand::Import { name, suri: Some(dash), .. } if dash == "-" => {
				let phrase = read_phrase(SecretSource::Stdin)?;
				store.import(name, &self.new_passphrase()?, &phrase)?
			},
			KeysCommand::Import { name, suri_file: Some(file), .. } => {
				let phrase = read_phrase(SecretSource::File(file))?;
				store.import(name, &self.new_passphrase()?, &phrase)?
			},
			KeysCommand::Import { name, json_file: Some(file), password_file, .. } => {
				let text = std::fs::read(file)
					.map_err(|e| Exit(2, format!("cannot read {}: {e}", file.display())))?;
				let password =
					password(password_file.as_deref(), "the JSON account's password: ", false)?;
				let decoded = json_account::decode(&text, &password).map_err(|e| {
					let Exit(code, message) = e.into();
					Exit(code, format!("{}: {message}", file.display()))
				})?;
				store.import_secret(name, &self.new_passphrase()?, &decoded.secret)?
			},
			KeysCommand::Import { name, suri: Some(suri), .. } => {
				if !suri.starts_with('/') {
					return Err(Exit(
						2,
						"--suri takes development accounts only (`//Alice`): a phrase or seed on the command line is visible to \
						 other local users; give it at the prompt (no source), with --suri - (stdin) or --suri-file"
							.into(),
					));
				}
				store.import(name, &self.new_passphrase()?, suri)?
			},
			KeysCommand::Import { name, .. } => {
				if !std::io::stdin().is_terminal() {
					return Err(Exit(2, "no terminal to prompt for the secret URI: give --suri - (stdin), --suri-file, --json-file or --suri //Dev".into()));
				}
				let phrase = read_phrase(SecretSource::Prompt)?;
				store.import(name, &self.new_passphrase()?, &phrase)?
			},
			KeysCommand::Export { name, out, password_file } => {
				let me = self.identity(name)?;
				let secret = me.shareable_secret().map_err(|e| Exit(2, format!("{e:#}")))?;
				let password = password(password_file.as_deref(), "export password: ", true)?;
				let when = std::time::SystemTime::now()
					.duration_since(std::time::UNIX_EPOCH)
					.map(|d| d.as_millis() as u64)
					.unwrap_or(0);
				let text = json_account::encode(secret, name, &password, when)?;
				write_private_new(out, text.as_bytes())?;
				let exported = json!({
					"name": me.name,
					"account": me.account(),
					"x25519_public": hex::encode(me.x25519_public),
					"file": out.display().to_string(),
				});
				output::emit(self.json, exported, || {
					vec![format!(
						"identity `{name}` (account {}) written to {} as a polkadot.js JSON account: import it in the consent \
						 app, the extension or polkadot.js Apps with its password",
						me.account(),
						out.display()
					)]
				});
				return Ok(());
			},
			KeysCommand::List => {
				let identities = store.list()?;
				output::emit(self.json, json!(identities), || {
					if identities.is_empty() {
						return vec![format!(
							"no identities in {} (create one with `custodia keys create NAME`)",
							store.dir().display()
						)];
					}
					identities
						.iter()
						.map(|i| {
							format!("{:<16} {}  x25519 {}", i.name, i.account, i.x25519_public)
						})
						.collect()
				});
				return Ok(());
			},
		};
		output::emit(self.json, json!(created), || {
			vec![format!(
				"identity `{}`: account {} (sealed in {})",
				created.name,
				created.account,
				store.dir().display()
			)]
		});
		Ok(())
	}

	/// A new identity's passphrase (its key file is sealed under it).
	fn new_passphrase(&self) -> Result<Zeroizing<String>, Exit> {
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
	match cli.run().await {
		Ok(()) => ExitCode::SUCCESS,
		Err(Exit(code, message)) => {
			eprintln!("error: {message}");
			ExitCode::from(code)
		},
	}
}

#[cfg(test)]
mod tests {
	use clap::CommandFactory;

	#[test]
	fn the_command_line_is_consistent() {
		// Catches clashing argument names (e.g. two `name` fields) before a user does.
		super::Cli::command().debug_assert();
	}
}
