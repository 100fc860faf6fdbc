//! Identities and their key files, sealed at rest.
//!
//! An identity holds an sr25519 account secret (signs extrinsics), the X25519 envelope key
//! derived from it (opens HPKE envelopes sealed to it; its public half goes on chain with consent
//! requests and membership; see [`crate::account`] and `docs/identities.md`) and a personal FHE
//! key (encrypts features for predictions and decrypts the scores; random). One JSON file per
//! identity, mode 0600:
//!
//! ```text
//! { "version": 2, "name", "account" (SS58), "x25519_public" (hex),
//!   "kdf": { "algorithm": "argon2id", "memory_kib", "iterations", "parallelism", "salt" },
//!   "cipher": "xchacha20poly1305", "nonce", "sealed" }
//! ```
//!
//! The secrets are sealed with XChaCha20-Poly1305 under a key that Argon2id (RFC 9106) derives
//! from the passphrase; the public fields are the AEAD's associated data, so a file whose name,
//! account or public key was edited does not open. Secrets are never printed (except a new
//! identity's recovery phrase, once, by `keys create`).
//!
//! Version 2 seals `{ "account": { "uri": SURI } | { "secret64": hex }, "fhe_secret" }`: the
//! account as its secret URI (`keys create`'s phrase, `keys import --phrase/--suri`) or as its
//! 64-byte secret (`keys import --json-file`: a JSON account has no phrase); the envelope key is
//! derived from it on every open, and checked against `x25519_public`.
//!
//! Version-1 files (written before envelope keys were derived) still open: they seal
//! `{ "account_uri", "x25519_secret", "fhe_secret" }`, and their stored, random X25519 key is the
//! one used, so their records stay readable here. Such an identity cannot be exported to the
//! consent app (whose envelope key would be the derived one, not this one).

use std::{
	fs,
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::{Path, PathBuf},
};

use anyhow::{anyhow, bail, Context};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use custodia_fhe::{params::PERSONAL_V1, personal::PersonalSecretKey};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::account::{self, AccountKey, AccountSecret};

/// The key-file format this build writes.
const FORMAT_VERSION: u32 = 2;
/// The first format, still read (random X25519 key).
const FORMAT_VERSION_1: u32 = 1;

/// Argon2id cost: RFC 9106's second recommended option (64 MiB, 3 passes), one lane.
const ARGON2_MEMORY_KIB: u32 = 64 * 1024;
const ARGON2_ITERATIONS: u32 = 3;
const ARGON2_PARALLELISM: u32 = 1;

/// How the sealing key was derived, as stored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
struct KdfParams {
	algorithm: String,
	memory_kib: u32,
	iterations: u32,
	parallelism: u32,
	salt: String,
}

/// A key file as stored.
#[derive(Serialize, Deserialize, Debug)]
struct KeyFile {
	version: u32,
	name: String,
	account: String,
	x25519_public: String,
	kdf: KdfParams,
	cipher: String,
	nonce: String,
	sealed: String,
}

/// The secrets inside a version-1 key file.
#[derive(Deserialize)]
struct SecretsV1 {
	/// How the account key is derived: a secret URI (`//Alice`, a phrase, `0x<seed>`).
	account_uri: String,
	x25519_secret: String,
	fhe_secret: String,
}

/// The account as a version-2 key file seals it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountSource {
	/// A secret URI: a recovery phrase (with junctions), `0x<seed>`, `//Alice`.
	Uri(String),
	/// The 64-byte secret (hex) of a JSON account.
	Secret64(String),
}

impl AccountSource {
	fn secret(&self) -> anyhow::Result<AccountSecret> {
		match self {
			Self::Uri(uri) => AccountSecret::from_uri(uri),
			Self::Secret64(hex_secret) => {
				let bytes = Zeroizing::new(
					hex::decode(hex_secret).context("the account secret in the file is not hex")?,
				);
				let secret64: Zeroizing<[u8; 64]> = Zeroizing::new(
					bytes
						.as_slice()
						.try_into()
						.map_err(|_| anyhow!("the account secret in the file is not 64 bytes"))?,
				);
				AccountSecret::from_secret64(&secret64)
			},
		}
	}
}

/// The secrets inside a version-2 key file.
#[derive(Serialize, Deserialize)]
struct SecretsV2 {
	account: AccountSource,
	fhe_secret: String,
}

/// An identity whose file was opened.
pub struct Identity {
	pub name: String,
	/// Signs extrinsics.
	pub keypair: AccountKey,
	/// The account secret (for `keys export`).
	secret: AccountSecret,
	pub x25519_public: [u8; 32],
	/// Opens HPKE envelopes sealed to [`Identity::x25519_public`].
	pub x25519_secret: x25519_dalek::StaticSecret,
	pub fhe_key: PersonalSecretKey,
}

impl Identity {
	/// The account, SS58 (prefix 42).
	pub fn account(&self) -> String {
		self.keypair.public_key().to_account_id().to_string()
	}

	/// The account secret, when the envelope key is the one derived from it — what the consent
	/// app will compute. A version-1 identity's random envelope key is not: refused.
	pub fn shareable_secret(&self) -> anyhow::Result<&AccountSecret> {
		let derived = x25519_dalek::PublicKey::from(&self.secret.envelope_secret()).to_bytes();
		if derived != self.x25519_public {
			bail!(
				"identity `{}` was created by an earlier custodia (key file version 1): its envelope key is random, not \
				 derived from its account, so the consent app could not open its records. It stays usable (and its \
				 records readable) in this client only; to use the consent app, create a new identity",
				self.name
			);
		}
		Ok(&self.secret)
	}
}

/// What `keys list` shows of an identity: public parts only.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct PublicIdentity {
	pub name: String,
	pub account: String,
	pub x25519_public: String,
}

/// The folder of key files.
pub struct Keystore {
	dir: PathBuf,
}

fn valid_name(name: &str) -> anyhow::Result<()> {
	let ok = !name.is_empty()
		&& name.len() <= 64
		&& name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
	if !ok {
		bail!("identity name `{name}`: use 1 to 64 letters, digits, `-` or `_`");
	}
	Ok(())
}

fn derive_key(passphrase: &str, kdf: &KdfParams) -> anyhow::Result<[u8; 32]> {
	if kdf.algorithm != "argon2id" {
		bail!("unsupported key derivation `{}`", kdf.algorithm);
	}
	let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
		.map_err(|e| anyhow!("invalid Argon2 parameters in the key file: {e}"))?;
	let salt = hex::decode(&kdf.salt).context("the key file's salt is not hex")?;
	let mut key = [0u8; 32];
	Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
		.hash_password_into(passphrase.as_bytes(), &salt, &mut key)
		.map_err(|e| anyhow!("key derivation failed: {e}"))?;
	Ok(key)
}

/// The associated data: every public field, so that none can be swapped.
fn associated_data(file: &KeyFile) -> Vec<u8> {
	serde_json::to_vec(&(file.version, &file.name, &file.account, &file.x25519_public, &file.kdf))
		.expect("plain data serializes")
}

fn random_bytes<const N: usize>() -> [u8; N] {
	let mut bytes = [0u8; N];
	OsRng.fill_bytes(&mut bytes);
	bytes
}

impl Keystore {
	/// The key files in `dir` (created, mode 0700, when a key is first stored).
	pub fn new(dir: impl Into<PathBuf>) -> Self {
		Self { dir: dir.into() }
	}

	/// `$CUSTODIA_KEYS_DIR`, else `$XDG_CONFIG_HOME/custodia/keys`, else `~/.config/custodia/keys`.
	pub fn default_dir() -> PathBuf {
		let config = std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from).unwrap_or_else(|| {
			PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".config")
		});
		config.join("custodia").join("keys")
	}

	fn path(&self, name: &str) -> PathBuf {
		self.dir.join(format!("{name}.json"))
	}

	/// Creates an identity from a fresh 12-word recovery phrase (from the operating system's
	/// CSPRNG), returned to be shown once.
	pub fn create(
		&self,
		name: &str,
		passphrase: &str,
	) -> anyhow::Result<(PublicIdentity, Zeroizing<String>)> {
		let phrase = account::new_phrase();
		let created = self.store(name, passphrase, AccountSource::Uri(phrase.to_string()))?;
		Ok((created, phrase))
	}

	/// Stores an identity whose account comes from a secret URI (a recovery phrase, possibly
	/// with junctions; a development account such as `//Alice`); its FHE key is fresh.
	pub fn import(
		&self,
		name: &str,
		passphrase: &str,
		account_uri: &str,
	) -> anyhow::Result<PublicIdentity> {
		self.store(name, passphrase, AccountSource::Uri(account_uri.to_string()))
	}

	/// Stores an identity whose account is a 64-byte secret (from a JSON account); its FHE key
	/// is fresh.
	pub fn import_secret(
		&self,
		name: &str,
		passphrase: &str,
		secret: &AccountSecret,
	) -> anyhow::Result<PublicIdentity> {
		self.store(name, passphrase, AccountSource::Secret64(hex::encode(&secret.secret64()[..])))
	}

	fn store(
		&self,
		name: &str,
		passphrase: &str,
		account: AccountSource,
	) -> anyhow::Result<PublicIdentity> {
		valid_name(name)?;
		if passphrase.is_empty() {
			bail!("the passphrase is empty: choose one (it seals the key file)");
		}
		let secret = account.secret()?;
		let x25519_public = x25519_dalek::PublicKey::from(&secret.envelope_secret());
		let fhe_key = PersonalSecretKey::generate(&PERSONAL_V1);
		let secrets = SecretsV2 { account, fhe_secret: hex::encode(fhe_key.to_secret_bytes()) };
		let kdf = KdfParams {
			algorithm: "argon2id".into(),
			memory_kib: ARGON2_MEMORY_KIB,
			iterations: ARGON2_ITERATIONS,
			parallelism: ARGON2_PARALLELISM,
			salt: hex::encode(random_bytes::<16>()),
		};
		let nonce: [u8; 24] = random_bytes();
		let mut file = KeyFile {
			version: FORMAT_VERSION,
			name: name.to_string(),
			account: subxt::utils::AccountId32(secret.public()).to_string(),
			x25519_public: hex::encode(x25519_public.as_bytes()),
			kdf,
			cipher: "xchacha20poly1305".into(),
			nonce: hex::encode(nonce),
			sealed: String::new(),
		};
		let key = derive_key(passphrase, &file.kdf)?;
		let plaintext = Zeroizing::new(serde_json::to_vec(&secrets)?);
		let aad = associated_data(&file);
		let sealed = XChaCha20Poly1305::new((&key).into())
			.encrypt(XNonce::from_slice(&nonce), Payload { msg: &plaintext, aad: &aad })
			.map_err(|_| anyhow!("sealing failed"))?;
		file.sealed = hex::encode(sealed);
		self.write_new(name, &serde_json::to_vec_pretty(&file)?)?;
		Ok(PublicIdentity {
			name: file.name,
			account: file.account,
			x25519_public: file.x25519_public,
		})
	}

	fn write_new(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
		fs::create_dir_all(&self.dir)
			.with_context(|| format!("cannot create {}", self.dir.display()))?;
		fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))?;
		let path = self.path(name);
		let mut file = fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(&path)
			.with_context(|| {
				format!("cannot create {} (an identity `{name}` may exist already)", path.display())
			})?;
		file.write_all(bytes)?;
		Ok(())
	}

	fn read(&self, name: &str) -> anyhow::Result<KeyFile> {
		valid_name(name)?;
		let path = self.path(name);
		let bytes = fs::read(&path).with_context(|| {
			format!(
				"no identity `{name}` in {} (create one with `custodia keys create {name}`)",
				self.dir.display()
			)
		})?;
		let file: KeyFile = serde_json::from_slice(&bytes)
			.with_context(|| format!("{} is not a custodia key file", path.display()))?;
		if file.version != FORMAT_VERSION && file.version != FORMAT_VERSION_1 {
			bail!("{}: key-file version {} (this build reads {FORMAT_VERSION_1} and {FORMAT_VERSION})", path.display(), file.version);
		}
		Ok(file)
	}

	/// Opens identity `name` with its passphrase.
	pub fn open(&self, name: &str, passphrase: &str) -> anyhow::Result<Identity> {
		let file = self.read(name)?;
		if file.cipher != "xchacha20poly1305" {
			bail!("unsupported cipher `{}`", file.cipher);
		}
		let key = derive_key(passphrase, &file.kdf)?;
		let nonce = hex::decode(&file.nonce).context("nonce is not hex")?;
		if nonce.len() != 24 {
			bail!("the key file's nonce is not 24 bytes");
		}
		let sealed = hex::decode(&file.sealed).context("sealed secrets are not hex")?;
		let plaintext = Zeroizing::new(
			XChaCha20Poly1305::new((&key).into())
				.decrypt(
					XNonce::from_slice(&nonce),
					Payload { msg: &sealed, aad: &associated_data(&file) },
				)
				.map_err(|_| {
					anyhow!("wrong passphrase for `{name}` (or the key file was altered)")
				})?,
		);
		let (secret, x25519_secret, fhe_secret) = if file.version == FORMAT_VERSION_1 {
			// The stored, random X25519 key (see the module doc).
			let secrets: SecretsV1 =
				serde_json::from_slice(&plaintext).context("unreadable secrets")?;
			let x25519_secret: [u8; 32] = hex::decode(&secrets.x25519_secret)?
				.try_into()
				.map_err(|_| anyhow!("the X25519 secret in the file is not 32 bytes"))?;
			(
				AccountSecret::from_uri(&secrets.account_uri)?,
				x25519_dalek::StaticSecret::from(x25519_secret),
				secrets.fhe_secret,
			)
		} else {
			let secrets: SecretsV2 =
				serde_json::from_slice(&plaintext).context("unreadable secrets")?;
			let secret = secrets.account.secret()?;
			let x25519_secret = secret.envelope_secret();
			(secret, x25519_secret, secrets.fhe_secret)
		};
		let fhe_key = PersonalSecretKey::from_secret_bytes(&hex::decode(&fhe_secret)?)
			.map_err(|e| anyhow!("the FHE key in the file is unreadable: {e}"))?;
		let x25519_public: [u8; 32] = hex::decode(&file.x25519_public)?
			.try_into()
			.map_err(|_| anyhow!("x25519_public is not 32 bytes"))?;
		if x25519_dalek::PublicKey::from(&x25519_secret).to_bytes() != x25519_public {
			bail!("the X25519 secret in `{name}` does not match its public key");
		}
		let keypair = secret.key();
		if keypair.public_key().to_account_id().to_string() != file.account {
			bail!("the account secret in `{name}` is not the one of its account {}", file.account);
		}
		Ok(Identity { name: file.name, keypair, secret, x25519_public, x25519_secret, fhe_key })
	}

	/// Every identity in the folder, by name, public parts only.
	pub fn list(&self) -> anyhow::Result<Vec<PublicIdentity>> {
		let entries = match fs::read_dir(&self.dir) {
			Ok(entries) => entries,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
			Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
		};
		let mut identities = Vec::new();
		for entry in entries {
			let path = entry?.path();
			let Some(name) = path
				.file_stem()
				.and_then(|s| s.to_str())
				.filter(|_| path.extension().is_some_and(|e| e == "json"))
			else {
				continue;
			};
			let file = self.read(name)?;
			identities.push(PublicIdentity {
				name: file.name,
				account: file.account,
				x25519_public: file.x25519_public,
			});
		}
		identities.sort_by(|a, b| a.name.cmp(&b.name));
		Ok(identities)
	}

	/// The folder.
	pub fn dir(&self) -> &Path {
		&self.dir
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_created_identity_opens_with_its_passphrase_only_and_its_file_is_private() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path().join("keys"));
		let (created, phrase) = store.create("clinic", "correct horse").unwrap();
		let opened = store.open("clinic", "correct horse").unwrap();
		assert_eq!(opened.account(), created.account);
		assert_eq!(hex::encode(opened.x25519_public), created.x25519_public);
		let err = store.open("clinic", "wrong").err().unwrap().to_string();
		assert!(err.contains("wrong passphrase"), "{err}");
		let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
		assert_eq!(mode(&dir.path().join("keys/clinic.json")), 0o600);
		assert_eq!(mode(&dir.path().join("keys")), 0o700);
		// No secret appears in the file.
		let text = fs::read_to_string(dir.path().join("keys/clinic.json")).unwrap();
		let secrets_hex = hex::encode(opened.fhe_key.to_secret_bytes());
		assert!(!text.contains(&secrets_hex[..64]));
		assert!(!text.contains(phrase.as_str()));
		// The phrase recovers the account and the envelope key; the file is version 2.
		assert_eq!(phrase.split(' ').count(), 12);
		let recovered = AccountSecret::from_uri(&phrase).unwrap();
		assert_eq!(subxt::utils::AccountId32(recovered.public()).to_string(), created.account);
		assert_eq!(
			x25519_dalek::PublicKey::from(&recovered.envelope_secret()).to_bytes(),
			opened.x25519_public
		);
		assert_eq!(opened.x25519_secret.to_bytes(), recovered.envelope_secret().to_bytes());
		assert_eq!(opened.shareable_secret().unwrap().public(), recovered.public());
		assert!(text.contains("\"version\": 2"), "{text}");
		assert_eq!(store.list().unwrap(), vec![created]);
	}

	#[test]
	fn an_imported_development_account_keeps_its_address() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path());
		let alice = store.import("alice", "pw", "//Alice").unwrap();
		assert_eq!(alice.account, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		assert!(
			store.import("alice", "pw", "//Alice").is_err(),
			"an identity is never overwritten"
		);
	}

	#[test]
	fn an_identity_imported_with_soft_junctions_reopens_with_the_same_envelope_key() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path());
		let imported = store.import("soft", "pw", "//Custodia/x/y").unwrap();
		for _ in 0..2 {
			let opened = store.open("soft", "pw").unwrap();
			assert_eq!(hex::encode(opened.x25519_public), imported.x25519_public);
			assert_eq!(opened.account(), imported.account);
		}
		// Importing the same URI again gives the same envelope key (and the same account).
		let again = store.import("soft-again", "pw", "//Custodia/x/y").unwrap();
		assert_eq!(
			(again.account, again.x25519_public),
			(imported.account, imported.x25519_public)
		);
	}

	#[test]
	fn a_json_account_secret_gives_the_same_identity_as_its_uri() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path());
		let from_uri = store.import("alice", "pw", "//Alice").unwrap();
		let secret = AccountSecret::from_uri("//Alice").unwrap();
		let from_secret = store.import_secret("alice-json", "pw", &secret).unwrap();
		assert_eq!(from_secret.account, from_uri.account);
		assert_eq!(from_secret.x25519_public, from_uri.x25519_public);
		assert_eq!(from_secret.x25519_public, crate::account::tests::ALICE_ENVELOPE_PUBLIC);
		let opened = store.open("alice-json", "pw").unwrap();
		assert_eq!(opened.account(), from_uri.account);
		assert_eq!(
			opened.x25519_secret.to_bytes().to_vec(),
			hex::decode(crate::account::tests::ALICE_ENVELOPE_SECRET).unwrap()
		);
		assert!(
			matches!(opened.keypair, AccountKey::Secret(_)),
			"a JSON account signs with its 64-byte secret"
		);
		assert!(
			matches!(store.open("alice", "pw").unwrap().keypair, AccountKey::Uri(_)),
			"a URI account signs through subxt-signer"
		);
	}

	/// A key file as version 1 wrote it: the account's URI and a random X25519 key.
	fn write_v1(
		store: &Keystore,
		name: &str,
		passphrase: &str,
		account_uri: &str,
	) -> x25519_dalek::StaticSecret {
		let x25519 = x25519_dalek::StaticSecret::random_from_rng(OsRng);
		let fhe_key = PersonalSecretKey::generate(&PERSONAL_V1);
		let secrets = serde_json::json!({
			"account_uri": account_uri,
			"x25519_secret": hex::encode(x25519.to_bytes()),
			"fhe_secret": hex::encode(fhe_key.to_secret_bytes()),
		});
		let kdf = KdfParams {
			algorithm: "argon2id".into(),
			memory_kib: 8,
			iterations: 1,
			parallelism: 1,
			salt: hex::encode(random_bytes::<16>()),
		};
		let nonce: [u8; 24] = random_bytes();
		let mut file = KeyFile {
			version: 1,
			name: name.into(),
			account: AccountSecret::from_uri(account_uri)
				.unwrap()
				.key()
				.public_key()
				.to_account_id()
				.to_string(),
			x25519_public: hex::encode(x25519_dalek::PublicKey::from(&x25519).as_bytes()),
			kdf,
			cipher: "xchacha20poly1305".into(),
			nonce: hex::encode(nonce),
			sealed: String::new(),
		};
		let key = derive_key(passphrase, &file.kdf).unwrap();
		let aad = associated_data(&file);
		let sealed = XChaCha20Poly1305::new((&key).into())
			.encrypt(
				XNonce::from_slice(&nonce),
				Payload { msg: &serde_json::to_vec(&secrets).unwrap(), aad: &aad },
			)
			.unwrap();
		file.sealed = hex::encode(sealed);
		store.write_new(name, &serde_json::to_vec_pretty(&file).unwrap()).unwrap();
		x25519
	}

	#[test]
	fn a_version_1_file_opens_with_its_random_envelope_key_but_is_not_shareable() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path());
		let x25519 = write_v1(&store, "old", "pw", "//Alice");
		let opened = store.open("old", "pw").unwrap();
		assert_eq!(opened.account(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		assert_eq!(opened.x25519_secret.to_bytes(), x25519.to_bytes(), "its records stay readable");
		let err = opened.shareable_secret().err().unwrap().to_string();
		assert!(err.contains("version 1") && err.contains("this client only"), "{err}");
		assert!(store
			.open("old", "not it")
			.err()
			.unwrap()
			.to_string()
			.contains("wrong passphrase"));
		assert_eq!(store.list().unwrap().len(), 1);
	}

	#[test]
	fn an_edited_public_field_or_bad_input_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path());
		store.create("me", "pw").unwrap();
		let path = dir.path().join("me.json");
		let mut file: serde_json::Value =
			serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
		file["x25519_public"] = serde_json::Value::String(hex::encode([9u8; 32]));
		fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
		assert!(store.open("me", "pw").is_err(), "a swapped public key must not open");
		assert!(store.create("../evil", "pw").is_err());
		assert!(store.create("empty-pass", "").is_err());
		assert!(store
			.open("nobody", "pw")
			.err()
			.unwrap()
			.to_string()
			.contains("keys create nobody"));
	}
}
