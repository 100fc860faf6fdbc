//! Identities and their key files, sealed at rest.
//!
//! An identity holds three secrets: an sr25519 account (signs extrinsics), an X25519 key (opens
//! HPKE envelopes sealed to it; its public half goes on chain with consent requests and
//! membership) and a personal FHE key (encrypts features for predictions and decrypts the
//! scores). One JSON file per identity, mode 0600:
//!
//! ```text
//! { "version": 1, "name", "account" (SS58), "x25519_public" (hex),
//!   "kdf": { "algorithm": "argon2id", "memory_kib", "iterations", "parallelism", "salt" },
//!   "cipher": "xchacha20poly1305", "nonce", "sealed" }
//! ```
//!
//! The secrets are sealed with XChaCha20-Poly1305 under a key that Argon2id (RFC 9106) derives
//! from the passphrase; the public fields are the AEAD's associated data, so a file whose name,
//! account or public key was edited does not open. Secrets are never printed.

use std::{
	fs,
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::{Path, PathBuf},
	str::FromStr,
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
use subxt_signer::{sr25519::Keypair, SecretUri};

/// The key-file format this build writes and reads.
const FORMAT_VERSION: u32 = 1;

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

/// The secrets inside a key file.
#[derive(Serialize, Deserialize)]
struct Secrets {
	/// How the account key is derived: a secret URI (`//Alice`, a phrase, `0x<seed>`).
	account_uri: String,
	x25519_secret: String,
	fhe_secret: String,
}

/// An identity whose file was opened.
pub struct Identity {
	pub name: String,
	pub keypair: Keypair,
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
	let ok = !name.is_empty() &&
		name.len() <= 64 &&
		name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
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
		let config = std::env::var_os("XDG_CONFIG_HOME")
			.map(PathBuf::from)
			.unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".config"));
		config.join("custodia").join("keys")
	}

	fn path(&self, name: &str) -> PathBuf {
		self.dir.join(format!("{name}.json"))
	}

	/// Creates an identity with fresh keys (from the operating system's CSPRNG).
	pub fn create(&self, name: &str, passphrase: &str) -> anyhow::Result<PublicIdentity> {
		let seed: [u8; 32] = random_bytes();
		self.store(name, passphrase, format!("0x{}", hex::encode(seed)))
	}

	/// Stores an identity whose account comes from a secret URI (a development account such as
	/// `//Alice`, or a phrase); its X25519 and FHE keys are fresh.
	pub fn import(&self, name: &str, passphrase: &str, account_uri: &str) -> anyhow::Result<PublicIdentity> {
		self.store(name, passphrase, account_uri.to_string())
	}

	fn store(&self, name: &str, passphrase: &str, account_uri: String) -> anyhow::Result<PublicIdentity> {
		valid_name(name)?;
		if passphrase.is_empty() {
			bail!("the passphrase is empty: choose one (it seals the key file)");
		}
		let keypair = keypair(&account_uri)?;
		let x25519 = x25519_dalek::StaticSecret::random_from_rng(OsRng);
		let x25519_public = x25519_dalek::PublicKey::from(&x25519);
		let fhe_key = PersonalSecretKey::generate(&PERSONAL_V1);
		let secrets = Secrets {
			account_uri,
			x25519_secret: hex::encode(x25519.to_bytes()),
			fhe_secret: hex::encode(fhe_key.to_secret_bytes()),
		};
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
			account: keypair.public_key().to_account_id().to_string(),
			x25519_public: hex::encode(x25519_public.as_bytes()),
			kdf,
			cipher: "xchacha20poly1305".into(),
			nonce: hex::encode(nonce),
			sealed: String::new(),
		};
		let key = derive_key(passphrase, &file.kdf)?;
		let plaintext = serde_json::to_vec(&secrets)?;
		let aad = associated_data(&file);
		let sealed = XChaCha20Poly1305::new((&key).into())
			.encrypt(XNonce::from_slice(&nonce), Payload { msg: &plaintext, aad: &aad })
			.map_err(|_| anyhow!("sealing failed"))?;
		file.sealed = hex::encode(sealed);
		self.write_new(name, &serde_json::to_vec_pretty(&file)?)?;
		Ok(PublicIdentity { name: file.name, account: file.account, x25519_public: file.x25519_public })
	}

	fn write_new(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
		fs::create_dir_all(&self.dir).with_context(|| format!("cannot create {}", self.dir.display()))?;
		fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))?;
		let path = self.path(name);
		let mut file = fs::OpenOptions::new()
			.write(true)
			.create_new(true)
			.mode(0o600)
			.open(&path)
			.with_context(|| format!("cannot create {} (an identity `{name}` may exist already)", path.display()))?;
		file.write_all(bytes)?;
		Ok(())
	}

	fn read(&self, name: &str) -> anyhow::Result<KeyFile> {
		valid_name(name)?;
		let path = self.path(name);
		let bytes = fs::read(&path).with_context(|| {
			format!("no identity `{name}` in {} (create one with `custodia keys create {name}`)", self.dir.display())
		})?;
		let file: KeyFile =
			serde_json::from_slice(&bytes).with_context(|| format!("{} is not a custodia key file", path.display()))?;
		if file.version != FORMAT_VERSION {
			bail!("{}: key-file version {} (this build reads {FORMAT_VERSION})", path.display(), file.version);
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
		let plaintext = XChaCha20Poly1305::new((&key).into())
			.decrypt(XNonce::from_slice(&nonce), Payload { msg: &sealed, aad: &associated_data(&file) })
			.map_err(|_| anyhow!("wrong passphrase for `{name}` (or the key file was altered)"))?;
		let secrets: Secrets = serde_json::from_slice(&plaintext).context("unreadable secrets")?;
		let keypair = keypair(&secrets.account_uri)?;
		let fhe_key = PersonalSecretKey::from_secret_bytes(&hex::decode(&secrets.fhe_secret)?)
			.map_err(|e| anyhow!("the FHE key in the file is unreadable: {e}"))?;
		let x25519_public: [u8; 32] = hex::decode(&file.x25519_public)?
			.try_into()
			.map_err(|_| anyhow!("x25519_public is not 32 bytes"))?;
		let x25519_secret: [u8; 32] = hex::decode(&secrets.x25519_secret)?
			.try_into()
			.map_err(|_| anyhow!("the X25519 secret in the file is not 32 bytes"))?;
		let x25519_secret = x25519_dalek::StaticSecret::from(x25519_secret);
		if x25519_dalek::PublicKey::from(&x25519_secret).to_bytes() != x25519_public {
			bail!("the X25519 secret in `{name}` does not match its public key");
		}
		Ok(Identity { name: file.name, keypair, x25519_public, x25519_secret, fhe_key })
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
			let Some(name) = path.file_stem().and_then(|s| s.to_str()).filter(|_| path.extension().is_some_and(|e| e == "json")) else {
				continue;
			};
			let file = self.read(name)?;
			identities.push(PublicIdentity { name: file.name, account: file.account, x25519_public: file.x25519_public });
		}
		identities.sort_by(|a, b| a.name.cmp(&b.name));
		Ok(identities)
	}

	/// The folder.
	pub fn dir(&self) -> &Path {
		&self.dir
	}
}

fn keypair(uri: &str) -> anyhow::Result<Keypair> {
	let uri = SecretUri::from_str(uri).map_err(|e| anyhow!("invalid secret URI: {e}"))?;
	Keypair::from_uri(&uri).map_err(|e| anyhow!("invalid account key: {e}"))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_created_identity_opens_with_its_passphrase_only_and_its_file_is_private() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path().join("keys"));
		let created = store.create("clinic", "correct horse").unwrap();
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
		assert_eq!(store.list().unwrap(), vec![created]);
	}

	#[test]
	fn an_imported_development_account_keeps_its_address() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path());
		let alice = store.import("alice", "pw", "//Alice").unwrap();
		assert_eq!(alice.account, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		assert!(store.import("alice", "pw", "//Alice").is_err(), "an identity is never overwritten");
	}

	#[test]
	fn an_edited_public_field_or_bad_input_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let store = Keystore::new(dir.path());
		store.create("me", "pw").unwrap();
		let path = dir.path().join("me.json");
		let mut file: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
		file["x25519_public"] = serde_json::Value::String(hex::encode([9u8; 32]));
		fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
		assert!(store.open("me", "pw").is_err(), "a swapped public key must not open");
		assert!(store.create("../evil", "pw").is_err());
		assert!(store.create("empty-pass", "").is_err());
		assert!(store.open("nobody", "pw").err().unwrap().to_string().contains("keys create nobody"));
	}
}
