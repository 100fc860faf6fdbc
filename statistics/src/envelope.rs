//! HPKE (RFC 9180) for the statistics engine: input shares and verification-key contributions
//! sealed to one aggregator.
//!
//! Suite: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 — the suite of
//! the `custodia` client's envelopes (`cli/src/envelope.rs`), from the same crate (`hpke` 0.13).
//! An envelope is the 32-byte encapsulated key followed by the ciphertext and its 16-byte tag.
//! Every envelope names what it is for (`info`) and is bound to its context (`aad`).

use crate::Error;
use hpke::{
	aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, Kem, OpModeR,
	OpModeS, Serializable,
};
use rand_core_09::{OsRng, TryRngCore};

/// The suite, as docs name it.
pub const SUITE: &str = "HPKE base, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305";
/// Length of the encapsulated key that starts every envelope.
pub const ENCAPPED_KEY_LEN: usize = 32;
/// Length of the AEAD tag.
pub const TAG_LEN: usize = 16;

type PublicKeyOf = <X25519HkdfSha256 as Kem>::PublicKey;
type PrivateKeyOf = <X25519HkdfSha256 as Kem>::PrivateKey;

/// An aggregator's HPKE key pair. The secret never leaves the aggregator's node.
#[derive(Clone)]
pub struct KeyPair {
	secret: PrivateKeyOf,
	public: [u8; 32],
}

impl std::fmt::Debug for KeyPair {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("KeyPair").field("public", &self.public).finish_non_exhaustive()
	}
}

impl KeyPair {
	/// A fresh key pair from the operating system's randomness.
	pub fn generate() -> Result<Self, Error> {
		let mut ikm = [0u8; 32];
		random(&mut ikm)?;
		Ok(Self::from_seed(&ikm))
	}

	/// The key pair derived from a 32-byte secret seed (RFC 9180 `DeriveKeyPair`): what the
	/// node keystore keeps.
	pub fn from_seed(seed: &[u8; 32]) -> Self {
		let (secret, public) = X25519HkdfSha256::derive_keypair(seed);
		let mut pk = [0u8; 32];
		pk.copy_from_slice(&public.to_bytes());
		KeyPair { secret, public: pk }
	}

	/// The public key, as published for the epoch.
	pub fn public(&self) -> [u8; 32] {
		self.public
	}

	/// The 32-byte X25519 secret key, to keep on the aggregator's disk (readable by the node's
	/// user only) so that a restarted aggregator still opens what was sealed to it.
	pub fn secret_bytes(&self) -> [u8; 32] {
		let mut out = [0u8; 32];
		out.copy_from_slice(&self.secret.to_bytes());
		out
	}

	/// The key pair of a secret key from [`KeyPair::secret_bytes`].
	pub fn from_secret_bytes(secret: &[u8; 32]) -> Self {
		// Any 32 bytes are an X25519 secret (hpke clamps them), so this cannot fail.
		let secret =
			PrivateKeyOf::from_bytes(secret).expect("32 bytes are an X25519 secret key; qed");
		let mut public = [0u8; 32];
		public.copy_from_slice(&X25519HkdfSha256::sk_to_pk(&secret).to_bytes());
		KeyPair { secret, public }
	}
}

/// Fills `buf` from the operating system's random number generator.
pub fn random(buf: &mut [u8]) -> Result<(), Error> {
	OsRng.try_fill_bytes(buf).map_err(|_| Error::Randomness)
}

/// Seals `plaintext` to `recipient` (its index `who` names it in errors).
pub fn seal(
	recipient: &[u8; 32],
	who: usize,
	info: &[u8],
	aad: &[u8],
	plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
	let recipient = PublicKeyOf::from_bytes(recipient).map_err(|_| Error::BadKey(who))?;
	let (encapped, ciphertext) =
		hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
			&OpModeS::Base,
			&recipient,
			info,
			plaintext,
			aad,
			&mut OsRng.unwrap_err(),
		)
		.map_err(|e| Error::Seal(e.to_string()))?;
	let mut out = Vec::with_capacity(ENCAPPED_KEY_LEN + ciphertext.len());
	out.extend_from_slice(&encapped.to_bytes());
	out.extend_from_slice(&ciphertext);
	Ok(out)
}

/// Opens an envelope made by [`seal`]; `None` when it does not open (another recipient, another
/// info or aad, altered, or too short).
pub fn open(keys: &KeyPair, info: &[u8], aad: &[u8], envelope: &[u8]) -> Option<Vec<u8>> {
	if envelope.len() < ENCAPPED_KEY_LEN + TAG_LEN {
		return None;
	}
	let (encapped, ciphertext) = envelope.split_at(ENCAPPED_KEY_LEN);
	let encapped = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(encapped).ok()?;
	hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
		&OpModeR::Base,
		&keys.secret,
		&encapped,
		info,
		ciphertext,
		aad,
	)
	.ok()
}
