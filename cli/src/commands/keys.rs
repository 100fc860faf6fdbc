//! `custodia keys`: identities on this machine — create, import (recovery phrase, secret URI,
//! polkadot.js JSON account, development account), export as a polkadot.js JSON account, list.
//! Key files are sealed at rest ([`crate::keystore`]); no secret is ever taken from the command
//! line except a public development account.

use std::{
	io::{BufRead, IsTerminal, Write},
	os::unix::fs::OpenOptionsExt,
	path::{Path, PathBuf},
};

use clap::{ArgGroup, Subcommand};
use serde_json::json;
use zeroize::Zeroizing;

use crate::{
	json_account, json_account::JsonAccountError, output::Output, password_file, Cli, Error,
};

#[derive(Subcommand)]
pub enum KeysCommand {
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

/// A password from `file`, else a prompt on the terminal (twice when `confirm`).
fn password(file: Option<&Path>, prompt: &str, confirm: bool) -> Result<Zeroizing<String>, Error> {
	if let Some(file) = file {
		return password_file(file);
	}
	let no_terminal = |e: std::io::Error| {
		Error::Usage(format!(
			"cannot read a password ({e}); use --password-file when not on a terminal"
		))
	};
	let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(no_terminal)?);
	if first.is_empty() {
		return Err(Error::Usage("the password is empty".into()));
	}
	if confirm {
		let again = Zeroizing::new(
			rpassword::prompt_password("the same password again: ").map_err(no_terminal)?,
		);
		if again != first {
			return Err(Error::Usage("the two passwords differ".into()));
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
fn read_phrase(source: SecretSource) -> Result<Zeroizing<String>, Error> {
	let line = match source {
		SecretSource::Stdin => {
			let mut line = Zeroizing::new(String::new());
			std::io::stdin()
				.lock()
				.read_line(&mut line)
				.map_err(|e| Error::Usage(format!("cannot read the phrase from stdin: {e}")))?;
			line
		},
		SecretSource::Prompt => Zeroizing::new(
			rpassword::prompt_password("recovery phrase or secret URI: ")
				.map_err(|e| Error::Usage(format!("cannot read the phrase ({e})")))?,
		),
		SecretSource::File(path) => {
			let text = Zeroizing::new(
				std::fs::read_to_string(path)
					.map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?,
			);
			Zeroizing::new(text.lines().next().unwrap_or("").to_string())
		},
	};
	let line = line.trim();
	let (words, path) = line.split_at(line.find('/').unwrap_or(line.len()));
	let phrase =
		Zeroizing::new(format!("{}{path}", words.split_whitespace().collect::<Vec<_>>().join(" ")));
	if phrase.is_empty() {
		return Err(Error::Usage("no phrase given".into()));
	}
	Ok(phrase)
}

/// `path`, created with mode 0600; never over an existing file.
fn write_private_new(path: &Path, bytes: &[u8]) -> Result<(), Error> {
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(path)
		.map_err(|e| match e.kind() {
			std::io::ErrorKind::AlreadyExists => {
				Error::Usage(format!("{} exists: not overwritten", path.display()))
			},
			_ => Error::Usage(format!("cannot create {}: {e}", path.display())),
		})?;
	file.write_all(bytes)
		.map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))
}

impl From<JsonAccountError> for Error {
	fn from(error: JsonAccountError) -> Self {
		match error {
			// The key could not be opened: exit 4, like a wrong passphrase.
			JsonAccountError::WrongPassword | JsonAccountError::EmptyPassword => {
				Error::Key(error.to_string())
			},
			_ => Error::Usage(error.to_string()),
		}
	}
}

pub fn run(cli: &Cli, command: &KeysCommand, out: &mut Output) -> Result<(), Error> {
	let store = cli.keystore();
	let created = match command {
		KeysCommand::Create { name } => {
			let (created, phrase) = store.create(name, &cli.new_passphrase()?)?;
			out.status(
				"Write this recovery phrase down and keep it offline: it recovers your account and envelope key (in this \
				 client or the consent app), and anyone holding it can act as you. It is not shown again.",
			);
			let mut data = json!(created);
			data["recovery_phrase"] = json!(phrase.as_str());
			out.emit(data, || {
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
			let phrase =
				read_phrase(if from_stdin { SecretSource::Stdin } else { SecretSource::Prompt })?;
			store.import(name, &cli.new_passphrase()?, &phrase)?
		},
		KeysCommand::Import { name, suri: Some(dash), .. } if dash == "-" => {
			let phrase = read_phrase(SecretSource::Stdin)?;
			store.import(name, &cli.new_passphrase()?, &phrase)?
		},
		KeysCommand::Import { name, suri_file: Some(file), .. } => {
			let phrase = read_phrase(SecretSource::File(file))?;
			store.import(name, &cli.new_passphrase()?, &phrase)?
		},
		KeysCommand::Import { name, json_file: Some(file), password_file, .. } => {
			let text = std::fs::read(file)
				.map_err(|e| Error::Usage(format!("cannot read {}: {e}", file.display())))?;
			let password =
				password(password_file.as_deref(), "the JSON account's password: ", false)?;
			let decoded = json_account::decode(&text, &password).map_err(|e| {
				Error::from(e).map_message(|message| format!("{}: {message}", file.display()))
			})?;
			store.import_secret(name, &cli.new_passphrase()?, &decoded.secret)?
		},
		KeysCommand::Import { name, suri: Some(suri), .. } => {
			if !suri.starts_with('/') {
				return Err(Error::Usage("--suri takes development accounts only (`//Alice`): a phrase or seed on the command line is visible to \
					 other local users; give it at the prompt (no source), with --suri - (stdin) or --suri-file"
						.into(),
				));
			}
			store.import(name, &cli.new_passphrase()?, suri)?
		},
		KeysCommand::Import { name, .. } => {
			if !std::io::stdin().is_terminal() {
				return Err(Error::Usage("no terminal to prompt for the secret URI: give --suri - (stdin), --suri-file, --json-file or --suri //Dev".into()));
			}
			let phrase = read_phrase(SecretSource::Prompt)?;
			store.import(name, &cli.new_passphrase()?, &phrase)?
		},
		KeysCommand::Export { name, out: file, password_file } => {
			let me = cli.identity(name)?;
			let secret = me.shareable_secret().map_err(|e| Error::Usage(format!("{e:#}")))?;
			let password = password(password_file.as_deref(), "export password: ", true)?;
			let when = std::time::SystemTime::now()
				.duration_since(std::time::UNIX_EPOCH)
				.map(|d| d.as_millis() as u64)
				.unwrap_or(0);
			let text = json_account::encode(secret, name, &password, when)?;
			write_private_new(file, text.as_bytes())?;
			let exported = json!({
				"name": me.name,
				"account": me.account(),
				"x25519_public": hex::encode(me.x25519_public),
				"file": file.display().to_string(),
			});
			out.emit(exported, || {
				vec![format!(
					"identity `{name}` (account {}) written to {} as a polkadot.js JSON account: import it in the consent \
					 app, the extension or polkadot.js Apps with its password",
					me.account(),
					file.display()
				)]
			});
			return Ok(());
		},
		KeysCommand::List => {
			let identities = store.list()?;
			out.emit(json!(identities), || {
				if identities.is_empty() {
					return vec![format!(
						"no identities in {} (create one with `custodia keys create NAME`)",
						store.dir().display()
					)];
				}
				identities
					.iter()
					.map(|i| format!("{:<16} {}  x25519 {}", i.name, i.account, i.x25519_public))
					.collect()
			});
			return Ok(());
		},
	};
	out.emit(json!(created), || {
		vec![format!(
			"identity `{}`: account {} (sealed in {})",
			created.name,
			created.account,
			store.dir().display()
		)]
	});
	Ok(())
}
