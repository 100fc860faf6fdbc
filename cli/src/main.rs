//! `custodia`: the command-line client of Custodia.
//!
//! Individuals, institutions and stewards use it to hold their keys (sealed at rest), to ask for,
//! give and withdraw consent, and to run encrypted predictions — from a terminal or, with
//! `--json`, from scripts. It talks to a `custodia-node` over its JSON-RPC WebSocket (subxt,
//! calls checked against the node's metadata) and to an IPFS daemon over the Kubo RPC API.
//!
//! Exit codes: 0 success; 1 the chain refused the request (the message names the pallet error);
//! 2 bad input or usage; 3 the node or IPFS could not be reached; 4 a key could not be opened.

mod chain;
mod codes;
mod consent;
mod envelope;
mod fhir;
mod govern;
mod ipfs;
mod keystore;
mod model;
mod object;
mod output;
mod predict;
mod progress;
mod record;
mod statistic;
mod status;
mod steward;
mod vault;
mod wearable;

use std::{path::PathBuf, process::ExitCode};

use clap::{CommandFactory, Parser, Subcommand};
use serde_json::json;

use crate::{
	chain::Failure,
	keystore::{Identity, Keystore},
};

#[derive(Parser)]
#[command(name = "custodia", version, about = "Custodia client: keys, consent, records and vaults, encrypted predictions and statistics")]
pub struct Cli {
	/// The node's JSON-RPC WebSocket.
	#[arg(long, global = true, env = "CUSTODIA_URL", default_value = "ws://127.0.0.1:9944")]
	url: String,
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
	/// Create, import and list identities (sr25519 account, X25519 envelope key, personal FHE key).
	#[command(subcommand)]
	Keys(KeysCommand),
	/// Consent: institutions ask; people grant, deny and revoke.
	#[command(subcommand)]
	Consent(consent::ConsentCommand),
	/// (Person) Health records: add (a FHIR Bundle sealed to you), list, show, retire.
	#[command(subcommand)]
	Record(record::RecordCommand),
	/// Shared data vaults: people open and close them; institutions fetch them and attest removal.
	#[command(subcommand)]
	Vault(vault::VaultCommand),
	/// (Institution) Cohort statistics computed under FHE: request one, show a published one.
	#[command(subcommand)]
	Statistic(statistic::StatisticCommand),
	/// (Steward) Compare IPFS pins with what the chain requires.
	#[command(subcommand)]
	Steward(steward::StewardCommand),
	/// (Person) A simulated wearable: readings filtered, encoded as FHIR, sealed, FHE-encrypted and
	/// uploaded as records on an interval.
	///
	/// Example: custodia wearable --as me --interval 60 --count 10
	Wearable(wearable::WearableArgs),
	/// Governance (sudo on --dev, council motions elsewhere): admit members, start a key epoch, vote, close.
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
	/// Example: custodia predict --as me --model 0 --features 63,145,233
	Predict(predict::PredictArgs),
	/// The chain at a glance: finalized block, consortium members, the FHE key epoch.
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
	/// Create an identity with fresh keys, sealed under a passphrase ($CUSTODIA_PASSPHRASE or a prompt).
	///
	/// Example: custodia keys create clinic
	Create {
		/// A name for it (letters, digits, `-`, `_`).
		name: String,
	},
	/// Store an identity whose account comes from a secret URI (e.g. a development account);
	/// its envelope and FHE keys are fresh.
	///
	/// Example: custodia keys import alice --suri //Alice
	Import {
		name: String,
		/// The account's secret URI: `//Alice`, a mnemonic phrase, or `0x<seed>`.
		#[arg(long)]
		suri: String,
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

/// The passphrase: `$CUSTODIA_PASSPHRASE` (for scripts), else a prompt on the terminal.
fn passphrase(prompt: &str) -> Result<String, Exit> {
	if let Ok(passphrase) = std::env::var("CUSTODIA_PASSPHRASE") {
		return Ok(passphrase);
	}
	rpassword::prompt_password(prompt)
		.map_err(|e| Exit(4, format!("cannot read a passphrase ({e}); set CUSTODIA_PASSPHRASE when not on a terminal")))
}

impl Cli {
	fn keystore(&self) -> Keystore {
		Keystore::new(self.keys_dir.clone().unwrap_or_else(Keystore::default_dir))
	}

	/// Opens the identity `name`, asking for its passphrase.
	pub fn identity(&self, name: &str) -> Result<Identity, Exit> {
		let passphrase = passphrase(&format!("passphrase for `{name}`: "))?;
		self.keystore().open(name, &passphrase).map_err(|e| Exit(4, format!("{e:#}")))
	}

	async fn run(&self) -> Result<(), Exit> {
		match &self.command {
			Command::Keys(command) => self.keys(command),
			Command::Consent(command) => consent::run(self, command).await,
			Command::Record(command) => record::run(self, command).await,
			Command::Vault(command) => vault::run(self, command).await,
			Command::Statistic(command) => statistic::run(self, command).await,
			Command::Steward(command) => steward::run(self, command).await,
			Command::Wearable(args) => wearable::run(self, args).await,
			Command::Govern(command) => govern::run(self, command).await,
			Command::Transfer { name, amount, to } => govern::transfer(self, name, *amount, to).await,
			Command::ModelRegister(args) => model::register(self, args).await,
			Command::Predict(args) => predict::run(self, args).await,
			Command::Status => status::run(self).await,
			Command::Completions { shell } => {
				clap_complete::generate(*shell, &mut Cli::command(), "custodia", &mut std::io::stdout());
				Ok(())
			},
		}
	}

	fn keys(&self, command: &KeysCommand) -> Result<(), Exit> {
		let store = self.keystore();
		let created = match command {
			KeysCommand::Create { name } => store.create(name, &passphrase("new passphrase: ")?)?,
			KeysCommand::Import { name, suri } => store.import(name, &passphrase("new passphrase: ")?, suri)?,
			KeysCommand::List => {
				let identities = store.list()?;
				output::emit(self.json, json!(identities), || {
					if identities.is_empty() {
						return vec![format!("no identities in {} (create one with `custodia keys create NAME`)", store.dir().display())];
					}
					identities.iter().map(|i| format!("{:<16} {}  x25519 {}", i.name, i.account, i.x25519_public)).collect()
				});
				return Ok(());
			},
		};
		output::emit(self.json, json!(created), || {
			vec![format!("identity `{}`: account {} (sealed in {})", created.name, created.account, store.dir().display())]
		});
		Ok(())
	}

	/// Whether to print JSON.
	pub fn json(&self) -> bool {
		self.json
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
