//! An identity's one secret and what is derived from it (`docs/identities.md`, the contract the
//! consent app implements too).
//!
//! The account is an sr25519 key from a Substrate secret URI (a BIP39 phrase or a `0x` seed,
//! `//hard` and `/soft` junctions, `///password`), derived with schnorrkel exactly as
//! `subxt_signer::sr25519::Keypair::from_uri` (and `sp_core`, and polkadot.js) do: the phrase's
//! mini-secret (PBKDF2 over its entropy), expanded in Ed25519 mode; a hard junction derives a new
//! mini-secret and expands it, a soft one derives the secret key directly. Its 64-byte secret in
//! the "ed25519-compatible" encoding (schnorrkel's `SecretKey::to_ed25519_bytes`: scalar ×
//! cofactor ‖ nonce) is what polkadot.js stores in a JSON account, so an identity can also come
//! from those 64 bytes alone (a JSON import has no phrase).
//!
//! The envelope key (X25519, for HPKE) is
//! `BLAKE2b-256(key = "custodia/envelope-x25519/v1", message = secret64)`: the same recovery
//! phrase or JSON account gives the same envelope key in the client and in the app.
//!
//! Soft derivation draws the derived key's nonce half from the operating system's RNG
//! (schnorrkel's `derived_key_simple`; polkadot.js does the same), so a URI whose last junction
//! is soft would give a new secret64 — and a new envelope key — on every derivation. For such a
//! URI the nonce half is replaced by `BLAKE2b-256(key = "custodia/sr25519-soft-nonce/v1",
//! message = secret64[..32])` (a secret function of the derived scalar, as Ed25519 derives its
//! nonce prefix). The scalar, hence the account, is unchanged; URIs without junctions or whose
//! last junction is hard (`//Alice`, `PHRASE//polkadot/0//1`) are deterministic already and keep
//! their keys.

use std::str::FromStr;

use anyhow::{anyhow, bail};
use blake2::{
	digest::{consts::U32, KeyInit, Mac},
	Blake2bMac,
};
use hmac::Hmac;
use rand_core::{OsRng, RngCore};
use schnorrkel::{
	derive::{ChainCode, Derivation},
	ExpansionMode, MiniSecretKey, SecretKey,
};
use sha2::Sha512;
use subxt::Config;
use subxt_signer::{
	bip39::Mnemonic,
	sr25519::{Keypair, PublicKey, Signature},
	DeriveJunction, ExposeSecret, SecretUri,
};
use zeroize::Zeroizing;

/// The BLAKE2b key that separates the envelope key from any other use of the account secret.
pub const ENVELOPE_KEY_CONTEXT: &[u8] = b"custodia/envelope-x25519/v1";

/// The BLAKE2b key of the deterministic nonce of a URI whose last junction is soft.
pub const SOFT_NONCE_CONTEXT: &[u8] = b"custodia/sr25519-soft-nonce/v1";

/// The signing context of Substrate's sr25519 signatures.
const SIGNING_CONTEXT: &[u8] = b"substrate";

/// An account secret: the sr25519 key pair, and how it is signed with.
pub struct AccountSecret {
	pair: schnorrkel::Keypair,
	/// Set when the secret came from a URI: signing then goes through `subxt_signer`, as it
	/// always did.
	signer: Option<Keypair>,
}

impl AccountSecret {
	/// The account of a secret URI (`//Alice`, `PHRASE//hard/soft///password`, `0x<seed>//…`).
	pub fn from_uri(uri: &str) -> anyhow::Result<Self> {
		let parsed = SecretUri::from_str(uri).map_err(|e| anyhow!("invalid secret URI: {e}"))?;
		let root = root_secret(&parsed)?;
		let secret = parsed.junctions.iter().fold(root, |secret, junction| match junction {
			DeriveJunction::Soft(code) => secret.derived_key_simple(ChainCode(*code), []).0,
			DeriveJunction::Hard(code) => secret
				.hard_derive_mini_secret_key(Some(ChainCode(*code)), b"")
				.0
				.expand(ExpansionMode::Ed25519),
		});
		// A soft junction's nonce is random: made deterministic when it is the last one (a hard
		// junction after it expands a new nonce from the derived scalar alone).
		let secret = match parsed.junctions.last() {
			Some(DeriveJunction::Soft(_)) => with_deterministic_nonce(&secret)?,
			_ => secret,
		};
		let signer = Keypair::from_uri(&parsed).map_err(|e| anyhow!("invalid account key: {e}"))?;
		let pair = secret.to_keypair();
		if signer.public_key().0 != pair.public.to_bytes() {
			bail!("the account derived from the secret URI disagrees with subxt-signer's (a bug: please report it)");
		}
		Ok(Self { pair, signer: Some(signer) })
	}

	/// The account of a 64-byte secret in the ed25519-compatible encoding (a polkadot.js JSON
	/// account's content).
	pub fn from_secret64(secret64: &[u8; 64]) -> anyhow::Result<Self> {
		let secret = SecretKey::from_ed25519_bytes(secret64)
			.map_err(|e| anyhow!("not an sr25519 secret key: {e}"))?;
		Ok(Self { pair: secret.to_keypair(), signer: None })
	}

	/// The 64-byte secret (scalar × cofactor ‖ nonce), as polkadot.js stores it.
	pub fn secret64(&self) -> Zeroizing<[u8; 64]> {
		Zeroizing::new(self.pair.secret.to_ed25519_bytes())
	}

	/// The public key (the account id).
	pub fn public(&self) -> [u8; 32] {
		self.pair.public.to_bytes()
	}

	/// The envelope secret: BLAKE2b-256 keyed with [`ENVELOPE_KEY_CONTEXT`] over the secret64.
	pub fn envelope_secret(&self) -> x25519_dalek::StaticSecret {
		envelope_secret(&self.secret64())
	}

	/// The signing key.
	pub fn key(&self) -> AccountKey {
		match &self.signer {
			Some(keypair) => AccountKey::Uri(keypair.clone()),
			None => AccountKey::Secret(self.pair.clone()),
		}
	}
}

/// The mini-secret of a URI's phrase (or its `0x` seed), expanded: the key before junctions.
fn root_secret(uri: &SecretUri) -> anyhow::Result<SecretKey> {
	let phrase = uri.phrase.expose_secret();
	let mini: Zeroizing<[u8; 32]> = if let Some(seed) = phrase.strip_prefix("0x") {
		// A hex seed is the mini-secret itself (a password, if any, is ignored: Substrate's rule).
		let bytes = Zeroizing::new(
			hex::decode(seed).map_err(|_| anyhow!("the seed after `0x` is not hex"))?,
		);
		Zeroizing::new(
			bytes
				.as_slice()
				.try_into()
				.map_err(|_| anyhow!("a `0x` seed is 32 bytes (64 hex digits)"))?,
		)
	} else {
		let mnemonic =
			Mnemonic::from_str(phrase).map_err(|e| anyhow!("not a BIP39 phrase: {e}"))?;
		let (entropy, len) = mnemonic.to_entropy_array();
		let entropy = Zeroizing::new(entropy);
		let password = uri.password.as_ref().map(|p| p.expose_secret()).unwrap_or("");
		// Substrate's BIP39 mini-secret: PBKDF2-HMAC-SHA512 over the entropy (not the words),
		// salt "mnemonic" ‖ password, 2048 rounds; the first 32 of its 64 bytes.
		let salt = Zeroizing::new(format!("mnemonic{password}"));
		let mut seed = Zeroizing::new([0u8; 64]);
		pbkdf2::pbkdf2::<Hmac<Sha512>>(&entropy[..len], salt.as_bytes(), 2048, &mut seed[..])
			.map_err(|_| anyhow!("PBKDF2 failed"))?;
		Zeroizing::new(seed[..32].try_into().expect("32 of 64 bytes"))
	};
	let mini =
		MiniSecretKey::from_bytes(&mini[..]).map_err(|e| anyhow!("not a mini-secret key: {e}"))?;
	Ok(mini.expand(ExpansionMode::Ed25519))
}

/// `secret` with its nonce half set to `BLAKE2b-256(key = SOFT_NONCE_CONTEXT, scalar bytes)`.
fn with_deterministic_nonce(secret: &SecretKey) -> anyhow::Result<SecretKey> {
	let mut bytes = Zeroizing::new(secret.to_ed25519_bytes());
	let nonce = keyed_blake2b_256(SOFT_NONCE_CONTEXT, &bytes[..32]);
	bytes[32..].copy_from_slice(&nonce[..]);
	SecretKey::from_ed25519_bytes(&bytes[..]).map_err(|e| anyhow!("not an sr25519 secret key: {e}"))
}

/// BLAKE2b-256 of `message` keyed with `key`.
fn keyed_blake2b_256(key: &[u8], message: &[u8]) -> Zeroizing<[u8; 32]> {
	let mut mac = <Blake2bMac<U32> as KeyInit>::new_from_slice(key)
		.expect("a BLAKE2b key of at most 64 bytes is valid");
	mac.update(message);
	let mut bytes = Zeroizing::new([0u8; 32]);
	bytes.copy_from_slice(&mac.finalize().into_bytes());
	bytes
}

/// The envelope secret of a secret64 (docs/identities.md).
pub fn envelope_secret(secret64: &[u8; 64]) -> x25519_dalek::StaticSecret {
	x25519_dalek::StaticSecret::from(*keyed_blake2b_256(ENVELOPE_KEY_CONTEXT, secret64))
}

/// A fresh 12-word BIP39 recovery phrase (128 bits from the operating system's CSPRNG).
pub fn new_phrase() -> Zeroizing<String> {
	let mut entropy = Zeroizing::new([0u8; 16]);
	OsRng.fill_bytes(&mut entropy[..]);
	let mnemonic =
		Mnemonic::from_entropy(&entropy[..]).expect("16 bytes is a valid BIP39 entropy length");
	Zeroizing::new(mnemonic.to_string())
}

/// The key that signs extrinsics: `subxt_signer`'s key pair when the account came from a URI,
/// else the schnorrkel key pair of its 64-byte secret (signed the same way: context
/// "substrate", what `subxt_signer` and Substrate use).
pub enum AccountKey {
	Uri(Keypair),
	Secret(schnorrkel::Keypair),
}

impl AccountKey {
	/// The public key (the account id).
	pub fn public_key(&self) -> PublicKey {
		match self {
			Self::Uri(keypair) => keypair.public_key(),
			Self::Secret(pair) => PublicKey(pair.public.to_bytes()),
		}
	}

	/// An sr25519 signature of `message`.
	pub fn sign(&self, message: &[u8]) -> Signature {
		match self {
			Self::Uri(keypair) => keypair.sign(message),
			Self::Secret(pair) => Signature(
				pair.sign(schnorrkel::signing_context(SIGNING_CONTEXT).bytes(message))
					.to_bytes(),
			),
		}
	}
}

impl<T: Config> subxt::transactions::Signer<T> for AccountKey
where
	T::AccountId: From<PublicKey>,
	T::Address: From<PublicKey>,
	T::Signature: From<Signature>,
{
	fn account_id(&self) -> T::AccountId {
		self.public_key().into()
	}

	fn sign(&self, signer_payload: &[u8]) -> T::Signature {
		AccountKey::sign(self, signer_payload).into()
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;

	/// docs/identities.md's known-answer vector.
	pub const ALICE_SECRET64: &str = "98319d4ff8a9508c4bb0cf0b5a78d760a0b2082c02775e6e82370816fedfff48925a225d97aa00682d6a59b95b18780c10d7032336e88f3442b42361f4a66011";
	pub const ALICE_ENVELOPE_SECRET: &str =
		"847bbc0e74f37a32af72b91efdf5f2d52e765e5c78d2fca0bdd91c534c4c5f17";
	pub const ALICE_ENVELOPE_PUBLIC: &str =
		"63762c83e87b6ad1cf31c9c09f685c71095120725a9935656ca03b7e8c549948";

	fn subxt_public(uri: &str) -> [u8; 32] {
		Keypair::from_uri(&SecretUri::from_str(uri).unwrap()).unwrap().public_key().0
	}

	#[test]
	fn the_known_answer_vector_of_docs_identities_md() {
		let alice = AccountSecret::from_uri("//Alice").unwrap();
		assert_eq!(hex::encode(&alice.secret64()[..]), ALICE_SECRET64);
		let envelope = alice.envelope_secret();
		assert_eq!(hex::encode(envelope.to_bytes()), ALICE_ENVELOPE_SECRET);
		assert_eq!(
			hex::encode(x25519_dalek::PublicKey::from(&envelope).as_bytes()),
			ALICE_ENVELOPE_PUBLIC
		);
		// From the 64 bytes alone (a JSON account), the same account and envelope key.
		let secret64: [u8; 64] = hex::decode(ALICE_SECRET64).unwrap().try_into().unwrap();
		let from_bytes = AccountSecret::from_secret64(&secret64).unwrap();
		assert_eq!(from_bytes.public(), alice.public());
		assert_eq!(from_bytes.envelope_secret().to_bytes(), envelope.to_bytes());
	}

	#[test]
	fn every_uri_form_gives_subxt_signers_account() {
		let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
		let fresh = new_phrase();
		let uris = [
			"//Alice".to_string(),
			"//Bob//stash".to_string(),
			"//Alice///secret".to_string(),
			phrase.to_string(),
			format!("{phrase}//hard"),
			format!("{phrase}/soft"),
			format!("{phrase}//hard/soft//0/1"),
			format!("{phrase}///password"),
			format!("{phrase}//polkadot/0///password"),
			"0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a".to_string(),
			"0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a//Alice/soft"
				.to_string(),
			fresh.to_string(),
			format!("{}//custodia", fresh.as_str()),
		];
		for uri in &uris {
			let ours = AccountSecret::from_uri(uri).unwrap();
			assert_eq!(ours.public(), subxt_public(uri), "{uri}");
			// The 64 bytes round-trip to the same key (what a JSON export carries).
			let again = AccountSecret::from_secret64(&ours.secret64()).unwrap();
			assert_eq!(again.public(), ours.public(), "{uri}");
		}
		assert_eq!(fresh.split(' ').count(), 12);
		assert_ne!(new_phrase().as_str(), fresh.as_str());
	}

	#[test]
	fn every_uri_gives_the_same_secret_and_envelope_key_every_time() {
		let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
		let uris = [
			"//Custodia/x/y".to_string(),
			"//Alice/soft".to_string(),
			format!("{phrase}/soft"),
			format!("{phrase}//hard/soft//0/1"),
			format!("{phrase}/soft//hard"),
			format!("{phrase}//polkadot/0///password"),
			"0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a//Alice/soft"
				.to_string(),
		];
		for uri in &uris {
			let (first, second) =
				(AccountSecret::from_uri(uri).unwrap(), AccountSecret::from_uri(uri).unwrap());
			assert_eq!(first.secret64()[..], second.secret64()[..], "{uri}");
			assert_eq!(
				first.envelope_secret().to_bytes(),
				second.envelope_secret().to_bytes(),
				"{uri}"
			);
			assert_eq!(first.public(), subxt_public(uri), "{uri}");
		}
		// The rule of docs/identities.md: the nonce half is the keyed hash of the scalar half.
		let soft = AccountSecret::from_uri("//Custodia/x/y").unwrap().secret64();
		assert_eq!(soft[32..], keyed_blake2b_256(SOFT_NONCE_CONTEXT, &soft[..32])[..]);
		// A last hard junction keeps schnorrkel's expanded nonce (identities made before the rule).
		let hard = AccountSecret::from_uri("//Custodia/x//y").unwrap().secret64();
		assert_ne!(hard[32..], keyed_blake2b_256(SOFT_NONCE_CONTEXT, &hard[..32])[..]);
	}

	#[test]
	fn both_signing_paths_verify_as_substrate_signatures() {
		let uri = AccountSecret::from_uri("//Alice").unwrap();
		let bytes = AccountSecret::from_secret64(&uri.secret64()).unwrap();
		for key in [uri.key(), bytes.key()] {
			let signature = key.sign(b"payload");
			assert!(subxt_signer::sr25519::verify(&signature, b"payload", &key.public_key()));
			assert!(!subxt_signer::sr25519::verify(&signature, b"other", &key.public_key()));
		}
	}

	#[test]
	fn bad_uris_and_secrets_are_errors() {
		assert!(AccountSecret::from_uri("not a phrase at all").is_err());
		assert!(AccountSecret::from_uri("0x1234").is_err());
		assert!(AccountSecret::from_uri("0xzz").is_err());
		// A scalar whose high bits are set is not canonical.
		assert!(AccountSecret::from_secret64(&[0xff; 64]).is_err());
	}
}
