//! HPKE envelopes (RFC 9180): a record's body sealed to its owner, and a vault's copy re-sealed
//! to the grantee's key.
//!
//! Suite: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305 — 128-bit
//! security, the suite RFC 9180 §7 lists first for X25519. Every envelope names what it is for
//! (`info`) and is bound to the bytes around it (`aad`), so an envelope cut from one object does
//! not open inside another.

use anyhow::{anyhow, bail};
use hpke::{
	aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, Kem, OpModeR,
	OpModeS, Serializable,
};
use rand_core_09::{OsRng, TryRngCore};

/// The suite, as docs and `--json` name it.
pub const SUITE: &str = "HPKE base, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305";

/// Length of the encapsulated key that starts every envelope.
pub const ENCAPPED_KEY_LEN: usize = 32;

/// Seals `plaintext` to `recipient`'s X25519 public key: the encapsulated key, then the
/// ciphertext (plaintext length + 16-byte tag).
pub fn seal(
	recipient: &[u8; 32],
	info: &[u8],
	aad: &[u8],
	plaintext: &[u8],
) -> anyhow::Result<Vec<u8>> {
	let recipient = <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(recipient)
		.map_err(|e| anyhow!("not an X25519 public key: {e}"))?;
	let (encapped, ciphertext) =
		hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
			&OpModeS::Base,
			&recipient,
			info,
			plaintext,
			aad,
			&mut OsRng.unwrap_err(),
		)
		.map_err(|e| anyhow!("HPKE seal failed: {e}"))?;
	let mut out = encapped.to_bytes().to_vec();
	out.extend_from_slice(&ciphertext);
	Ok(out)
}

/// Opens an envelope made by [`seal`] with the recipient's secret key.
pub fn open(
	secret: &x25519_dalek::StaticSecret,
	info: &[u8],
	aad: &[u8],
	envelope: &[u8],
) -> anyhow::Result<Vec<u8>> {
	if envelope.len() < ENCAPPED_KEY_LEN + 16 {
		bail!("the envelope is {} bytes, too short to hold a key and a tag", envelope.len());
	}
	let (encapped, ciphertext) = envelope.split_at(ENCAPPED_KEY_LEN);
	let secret = <X25519HkdfSha256 as Kem>::PrivateKey::from_bytes(&secret.to_bytes())
		.map_err(|e| anyhow!("not an X25519 secret key: {e}"))?;
	let encapped = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(encapped)
		.map_err(|e| anyhow!("the envelope's key is malformed: {e}"))?;
	hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
		&OpModeR::Base,
		&secret,
		&encapped,
		info,
		ciphertext,
		aad,
	)
	.map_err(|_| {
		anyhow!("the envelope does not open with this key (sealed to someone else, or altered)")
	})
}

/// A fresh X25519 key pair, for tests.
#[cfg(test)]
pub fn key_pair() -> (x25519_dalek::StaticSecret, [u8; 32]) {
	let secret = x25519_dalek::StaticSecret::random_from_rng(rand_core::OsRng);
	let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
	(secret, public)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_the_recipient_opens_and_only_in_its_context() {
		let (secret, public) = key_pair();
		let (other_secret, _) = key_pair();
		let body = b"{\"resourceType\":\"Bundle\"}";
		let sealed = seal(&public, b"custodia/test", b"header", body).unwrap();
		assert_eq!(sealed.len(), ENCAPPED_KEY_LEN + body.len() + 16, "key, ciphertext, tag");
		assert_eq!(
			open(&secret, b"custodia/test", b"header", &sealed).unwrap(),
			b"{\"resourceType\":\"Bundle\"}"
		);

		assert!(open(&other_secret, b"custodia/test", b"header", &sealed).is_err(), "another key");
		assert!(open(&secret, b"custodia/other", b"header", &sealed).is_err(), "another purpose");
		assert!(
			open(&secret, b"custodia/test", b"other header", &sealed).is_err(),
			"another object"
		);
		let mut altered = sealed.clone();
		*altered.last_mut().unwrap() ^= 1;
		assert!(open(&secret, b"custodia/test", b"header", &altered).is_err(), "altered");
		assert!(open(&secret, b"custodia/test", b"header", &sealed[..40]).is_err(), "truncated");
	}

	#[test]
	fn two_seals_of_the_same_body_differ() {
		let (_, public) = key_pair();
		assert_ne!(
			seal(&public, b"i", b"a", b"same").unwrap(),
			seal(&public, b"i", b"a", b"same").unwrap()
		);
	}
}
