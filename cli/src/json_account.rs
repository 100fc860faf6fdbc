//! polkadot.js JSON accounts (what the extension, polkadot.js Apps, `@polkadot/keyring` and the
//! consent app export and import), version 3, sr25519 only:
//!
//! ```text
//! { "encoded": base64(salt (32) ‖ N ‖ p ‖ r (u32 LE each) ‖ nonce (24) ‖ secretbox(pkcs8)),
//!   "encoding": { "content": ["pkcs8", "sr25519"], "type": ["scrypt", "xsalsa20-poly1305"], "version": "3" },
//!   "address": SS58, "meta": { "name", "whenCreated", "genesisHash" } }
//! pkcs8 = 3053020101300506032b657004220420 ‖ secret64 ‖ a123032100 ‖ public32
//! ```
//!
//! The secretbox key is the first 32 bytes of scrypt(password, salt, N, r, p). Only the scrypt
//! parameters polkadot.js itself accepts are read (its `ALLOWED_PARAMS` within its safe limits
//! N ≤ 2^20, p ≤ 4, r ≤ 16), so a crafted file cannot make the import allocate or spin without
//! bound. Files are written with N = 2^15, r = 8, p = 1. Every malformed input is a
//! [`JsonAccountError`], never a panic.

use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use crypto_secretbox::{
	aead::{Aead, KeyInit},
	Key, Nonce, XSalsa20Poly1305,
};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use subxt::utils::AccountId32;
use zeroize::Zeroizing;

use crate::account::AccountSecret;

/// The PKCS8 header polkadot.js writes before the secret (generations 1 to 3).
const PKCS8_HEADER: [u8; 16] = [
	0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// The divider between the secret and the public key.
const PKCS8_DIVIDER: [u8; 5] = [0xa1, 0x23, 0x03, 0x21, 0x00];
const PKCS8_LEN: usize = PKCS8_HEADER.len() + 64 + PKCS8_DIVIDER.len() + 32;
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// Salt and the three scrypt parameters.
const SCRYPT_LEN: usize = SALT_LEN + 12;

/// The (N, p, r) polkadot.js accepts when decoding (util-crypto `scrypt/defaults` ALLOWED_PARAMS,
/// less those beyond its safe limits of `scryptFromU8a`).
const ALLOWED_SCRYPT: [(u32, u32, u32); 4] =
	[(1 << 15, 3, 8), (1 << 15, 1, 8), (1 << 16, 2, 8), (1 << 17, 1, 8)];
/// What this client writes: N = 2^15, p = 1, r = 8.
const WRITE_SCRYPT: (u32, u32, u32) = (1 << 15, 1, 8);

/// Why a JSON account could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JsonAccountError {
	#[error("not a polkadot.js JSON account: {0}")]
	Json(#[from] serde_json::Error),
	#[error("unsupported JSON account: {0} (expected version 3, pkcs8 sr25519 content, scrypt + xsalsa20-poly1305)")]
	Unsupported(String),
	#[error("the JSON account's `encoded` field is neither base64 nor hex")]
	Encoding,
	#[error("the JSON account's `encoded` field is {0} bytes, too short for its scrypt parameters, nonce and sealed key")]
	Truncated(usize),
	#[error("the JSON account's scrypt parameters (N = {n}, p = {p}, r = {r}) are not ones polkadot.js accepts")]
	ScryptParams { n: u32, p: u32, r: u32 },
	#[error("a password is required for a JSON account")]
	EmptyPassword,
	#[error("wrong password for the JSON account (or its `encoded` field was altered)")]
	WrongPassword,
	#[error("the JSON account's content is not an sr25519 PKCS8 key: {0}")]
	Pkcs8(&'static str),
	#[error("the JSON account's secret is not a valid sr25519 secret key")]
	InvalidSecret,
	#[error("the JSON account's public key is not the one of its secret key")]
	PublicMismatch,
	#[error("the JSON account's address `{0}` is not an SS58 address")]
	Address(String),
	#[error("the JSON account's address {stated} is not the account of its key ({actual})")]
	AddressMismatch { stated: String, actual: String },
}

#[derive(Serialize, Deserialize)]
struct Encoding {
	content: Vec<String>,
	#[serde(rename = "type")]
	kind: Vec<String>,
	version: String,
}

/// A JSON account as read: only what is needed (other fields, e.g. in `meta`, are ignored).
#[derive(Deserialize)]
struct Stored {
	encoded: String,
	encoding: Encoding,
	address: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Meta<'a> {
	name: &'a str,
	when_created: u64,
	genesis_hash: &'a str,
}

#[derive(Serialize)]
struct Written<'a> {
	encoded: String,
	encoding: Encoding,
	address: String,
	meta: Meta<'a>,
}

/// A decoded JSON account.
pub struct Decoded {
	pub secret: AccountSecret,
}

fn scrypt_key(
	password: &str,
	salt: &[u8],
	(n, p, r): (u32, u32, u32),
) -> Result<Zeroizing<[u8; 32]>, JsonAccountError> {
	if !ALLOWED_SCRYPT.contains(&(n, p, r)) {
		return Err(JsonAccountError::ScryptParams { n, p, r });
	}
	let params = scrypt::Params::new(n.trailing_zeros() as u8, r, p, 32)
		.map_err(|_| JsonAccountError::ScryptParams { n, p, r })?;
	let mut key = Zeroizing::new([0u8; 32]);
	scrypt::scrypt(password.as_bytes(), salt, &params, &mut key[..])
		.map_err(|_| JsonAccountError::ScryptParams { n, p, r })?;
	Ok(key)
}

fn u32_le(bytes: &[u8]) -> u32 {
	u32::from_le_bytes(bytes.try_into().expect("4 bytes"))
}

/// Reads a JSON account with its password.
pub fn decode(text: &[u8], password: &str) -> Result<Decoded, JsonAccountError> {
	let stored: Stored = serde_json::from_slice(text)?;
	let encoding = &stored.encoding;
	fn has(list: &[String], item: &str) -> bool {
		list.iter().any(|s| s == item)
	}
	if encoding.version != "3" {
		return Err(JsonAccountError::Unsupported(format!("version `{}`", encoding.version)));
	}
	if !has(&encoding.content, "pkcs8") || !has(&encoding.content, "sr25519") {
		return Err(JsonAccountError::Unsupported(format!("content {:?}", encoding.content)));
	}
	if !has(&encoding.kind, "scrypt") || !has(&encoding.kind, "xsalsa20-poly1305") {
		return Err(JsonAccountError::Unsupported(format!("encryption {:?}", encoding.kind)));
	}
	if password.is_empty() {
		return Err(JsonAccountError::EmptyPassword);
	}
	// polkadot.js reads hex too (`isHex(encoded)`).
	let encoded = match stored.encoded.strip_prefix("0x") {
		Some(hex_digits) => hex::decode(hex_digits).map_err(|_| JsonAccountError::Encoding)?,
		None => BASE64.decode(stored.encoded.trim()).map_err(|_| JsonAccountError::Encoding)?,
	};
	if encoded.len() < SCRYPT_LEN + NONCE_LEN + 16 {
		return Err(JsonAccountError::Truncated(encoded.len()));
	}
	let (scrypt_part, rest) = encoded.split_at(SCRYPT_LEN);
	let (nonce, sealed) = rest.split_at(NONCE_LEN);
	let params =
		(u32_le(&scrypt_part[32..36]), u32_le(&scrypt_part[36..40]), u32_le(&scrypt_part[40..44]));
	let key = scrypt_key(password, &scrypt_part[..SALT_LEN], params)?;
	let pkcs8 = Zeroizing::new(
		XSalsa20Poly1305::new(Key::from_slice(&key[..]))
			.decrypt(Nonce::from_slice(nonce), sealed)
			.map_err(|_| JsonAccountError::WrongPassword)?,
	);
	let secret = from_pkcs8(&pkcs8)?;

	let actual = AccountId32(secret.public());
	let stated = stored
		.address
		.parse::<AccountId32>()
		.map_err(|_| JsonAccountError::Address(stored.address.clone()))?;
	if stated != actual {
		return Err(JsonAccountError::AddressMismatch {
			stated: stored.address,
			actual: actual.to_string(),
		});
	}
	Ok(Decoded { secret })
}

/// The secret of a generation-3 PKCS8 body, checked against its public key.
fn from_pkcs8(pkcs8: &[u8]) -> Result<AccountSecret, JsonAccountError> {
	if pkcs8.len() < PKCS8_HEADER.len() || pkcs8[..PKCS8_HEADER.len()] != PKCS8_HEADER {
		return Err(JsonAccountError::Pkcs8("no PKCS8 header"));
	}
	if pkcs8.len() != PKCS8_LEN {
		return Err(JsonAccountError::Pkcs8(
			"not 117 bytes (only generation-3 sr25519 keys are read)",
		));
	}
	let (secret64, rest) = pkcs8[PKCS8_HEADER.len()..].split_at(64);
	let (divider, public) = rest.split_at(PKCS8_DIVIDER.len());
	if divider != PKCS8_DIVIDER {
		return Err(JsonAccountError::Pkcs8("no divider after the secret key"));
	}
	let secret64: Zeroizing<[u8; 64]> = Zeroizing::new(secret64.try_into().expect("64 bytes"));
	let secret =
		AccountSecret::from_secret64(&secret64).map_err(|_| JsonAccountError::InvalidSecret)?;
	if secret.public()[..] != *public {
		return Err(JsonAccountError::PublicMismatch);
	}
	Ok(secret)
}

/// A JSON account (pretty-printed) for `secret`, sealed with `password`; `when_created` in
/// milliseconds since the Unix epoch, as polkadot.js writes it.
pub fn encode(
	secret: &AccountSecret,
	name: &str,
	password: &str,
	when_created: u64,
) -> Result<String, JsonAccountError> {
	if password.is_empty() {
		return Err(JsonAccountError::EmptyPassword);
	}
	let mut pkcs8 = Zeroizing::new(Vec::with_capacity(PKCS8_LEN));
	pkcs8.extend_from_slice(&PKCS8_HEADER);
	pkcs8.extend_from_slice(&secret.secret64()[..]);
	pkcs8.extend_from_slice(&PKCS8_DIVIDER);
	pkcs8.extend_from_slice(&secret.public());

	let mut salt = [0u8; SALT_LEN];
	OsRng.fill_bytes(&mut salt);
	let mut nonce = [0u8; NONCE_LEN];
	OsRng.fill_bytes(&mut nonce);
	let key = scrypt_key(password, &salt, WRITE_SCRYPT)?;
	let sealed = XSalsa20Poly1305::new(Key::from_slice(&key[..]))
		.encrypt(Nonce::from_slice(&nonce), pkcs8.as_slice())
		.map_err(|_| JsonAccountError::Pkcs8("sealing failed"))?;

	let (n, p, r) = WRITE_SCRYPT;
	let mut encoded = Vec::with_capacity(SCRYPT_LEN + NONCE_LEN + sealed.len());
	encoded.extend_from_slice(&salt);
	for param in [n, p, r] {
		encoded.extend_from_slice(&param.to_le_bytes());
	}
	encoded.extend_from_slice(&nonce);
	encoded.extend_from_slice(&sealed);
	let written = Written {
		encoded: BASE64.encode(&encoded),
		encoding: Encoding {
			content: vec!["pkcs8".into(), "sr25519".into()],
			kind: vec!["scrypt".into(), "xsalsa20-poly1305".into()],
			version: "3".into(),
		},
		address: AccountId32(secret.public()).to_string(),
		meta: Meta { name, when_created, genesis_hash: "" },
	};
	Ok(serde_json::to_string_pretty(&written)?)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::account::tests::{ALICE_ENVELOPE_PUBLIC, ALICE_SECRET64};

	/// Made by @polkadot/keyring from //Alice, password "correct horse".
	const ALICE_JSON: &str = include_str!("../tests/fixtures/alice-polkadotjs.json");
	const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

	fn with_encoded(json: &str, encoded: &[u8]) -> String {
		let mut value: serde_json::Value = serde_json::from_str(json).unwrap();
		value["encoded"] = BASE64.encode(encoded).into();
		value.to_string()
	}

	fn encoded_of(json: &str) -> Vec<u8> {
		let value: serde_json::Value = serde_json::from_str(json).unwrap();
		BASE64.decode(value["encoded"].as_str().unwrap()).unwrap()
	}

	#[test]
	fn the_polkadot_js_fixture_is_alice_with_the_known_envelope_key() {
		let decoded = decode(ALICE_JSON.as_bytes(), "correct horse").unwrap();
		assert_eq!(AccountId32(decoded.secret.public()).to_string(), ALICE);
		assert_eq!(hex::encode(&decoded.secret.secret64()[..]), ALICE_SECRET64);
		let envelope = decoded.secret.envelope_secret();
		assert_eq!(
			hex::encode(x25519_dalek::PublicKey::from(&envelope).as_bytes()),
			ALICE_ENVELOPE_PUBLIC
		);
	}

	#[test]
	fn a_wrong_or_missing_password_is_refused_precisely() {
		let err = decode(ALICE_JSON.as_bytes(), "wrong horse").err().unwrap();
		assert!(matches!(err, JsonAccountError::WrongPassword), "{err}");
		assert_eq!(
			err.to_string(),
			"wrong password for the JSON account (or its `encoded` field was altered)"
		);
		assert!(matches!(
			decode(ALICE_JSON.as_bytes(), "").err().unwrap(),
			JsonAccountError::EmptyPassword
		));
	}

	#[test]
	fn export_then_import_round_trips_and_is_polkadot_js_shaped() {
		let secret = AccountSecret::from_uri("//Bob//custodia").unwrap();
		let text = encode(&secret, "bob", "pw 🔑", 1_700_000_000_000).unwrap();
		let value: serde_json::Value = serde_json::from_str(&text).unwrap();
		assert_eq!(
			value["encoding"],
			serde_json::json!({ "content": ["pkcs8", "sr25519"], "type": ["scrypt", "xsalsa20-poly1305"], "version": "3" })
		);
		assert_eq!(
			value["meta"],
			serde_json::json!({ "name": "bob", "whenCreated": 1_700_000_000_000u64, "genesisHash": "" })
		);
		assert_eq!(value["address"], AccountId32(secret.public()).to_string());
		let encoded = encoded_of(&text);
		assert_eq!(encoded.len(), SCRYPT_LEN + NONCE_LEN + 16 + PKCS8_LEN);
		assert_eq!(
			encoded[32..44],
			[0, 0x80, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0],
			"N = 2^15, p = 1, r = 8, little-endian"
		);

		let decoded = decode(text.as_bytes(), "pw 🔑").unwrap();
		assert_eq!(decoded.secret.public(), secret.public());
		assert_eq!(decoded.secret.secret64()[..], secret.secret64()[..]);
		assert_eq!(
			decoded.secret.envelope_secret().to_bytes(),
			secret.envelope_secret().to_bytes()
		);
		// Fresh salt and nonce each time.
		assert_ne!(encoded_of(&encode(&secret, "bob", "pw 🔑", 0).unwrap())[..68], encoded[..68]);
		assert!(matches!(encode(&secret, "bob", "", 0), Err(JsonAccountError::EmptyPassword)));
	}

	#[test]
	fn malformed_accounts_are_typed_errors_never_panics() {
		let decode_err =
			|json: &str| decode(json.as_bytes(), "correct horse").err().expect("must fail");
		assert!(matches!(decode_err("not json"), JsonAccountError::Json(_)));
		assert!(matches!(decode_err("{}"), JsonAccountError::Json(_)));
		let mut value: serde_json::Value = serde_json::from_str(ALICE_JSON).unwrap();
		value["encoding"]["version"] = "2".into();
		assert!(matches!(decode_err(&value.to_string()), JsonAccountError::Unsupported(_)));
		let mut value: serde_json::Value = serde_json::from_str(ALICE_JSON).unwrap();
		value["encoding"]["content"] = serde_json::json!(["pkcs8", "ed25519"]);
		assert!(matches!(decode_err(&value.to_string()), JsonAccountError::Unsupported(_)));
		let mut value: serde_json::Value = serde_json::from_str(ALICE_JSON).unwrap();
		value["encoding"]["type"] = serde_json::json!(["none"]);
		assert!(matches!(decode_err(&value.to_string()), JsonAccountError::Unsupported(_)));
		let mut value: serde_json::Value = serde_json::from_str(ALICE_JSON).unwrap();
		value["encoded"] = "!!not base64!!".into();
		assert!(matches!(decode_err(&value.to_string()), JsonAccountError::Encoding));
		value["encoded"] = "0xzz".into();
		assert!(matches!(decode_err(&value.to_string()), JsonAccountError::Encoding));

		let encoded = encoded_of(ALICE_JSON);
		for len in [0, 10, 44, 67, 83] {
			assert!(
				matches!(
					decode_err(&with_encoded(ALICE_JSON, &encoded[..len])),
					JsonAccountError::Truncated(_)
				),
				"{len}"
			);
		}
		// Cut inside the sealed key: the tag no longer matches.
		assert!(matches!(
			decode_err(&with_encoded(ALICE_JSON, &encoded[..100])),
			JsonAccountError::WrongPassword
		));
		let mut altered = encoded.clone();
		*altered.last_mut().unwrap() ^= 1;
		assert!(matches!(
			decode_err(&with_encoded(ALICE_JSON, &altered)),
			JsonAccountError::WrongPassword
		));
		// Costly or unknown scrypt parameters are refused before any work.
		for (n, p, r) in [
			(1u32 << 30, 1u32, 8u32),
			(1 << 15, 1, 9),
			(0, 0, 0),
			(1 << 13, 10, 8),
			(u32::MAX, u32::MAX, u32::MAX),
		] {
			let mut crafted = encoded.clone();
			crafted[32..36].copy_from_slice(&n.to_le_bytes());
			crafted[36..40].copy_from_slice(&p.to_le_bytes());
			crafted[40..44].copy_from_slice(&r.to_le_bytes());
			assert!(matches!(
				decode_err(&with_encoded(ALICE_JSON, &crafted)),
				JsonAccountError::ScryptParams { .. }
			));
		}
		// A wrong address, or none that parses.
		let mut value: serde_json::Value = serde_json::from_str(ALICE_JSON).unwrap();
		value["address"] = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty".into();
		assert!(matches!(decode_err(&value.to_string()), JsonAccountError::AddressMismatch { .. }));
		value["address"] = "nope".into();
		assert!(matches!(decode_err(&value.to_string()), JsonAccountError::Address(_)));

		// PKCS8 bodies that are not generation-3 sr25519 keys.
		let good = {
			let secret = AccountSecret::from_uri("//Alice").unwrap();
			let mut body = PKCS8_HEADER.to_vec();
			body.extend_from_slice(&secret.secret64()[..]);
			body.extend_from_slice(&PKCS8_DIVIDER);
			body.extend_from_slice(&secret.public());
			body
		};
		assert!(from_pkcs8(&good).is_ok());
		assert!(matches!(from_pkcs8(&good[..10]), Err(JsonAccountError::Pkcs8(_))));
		assert!(matches!(from_pkcs8(&good[..116]), Err(JsonAccountError::Pkcs8(_))));
		let mut bad = good.clone();
		bad[0] ^= 1;
		assert!(matches!(from_pkcs8(&bad), Err(JsonAccountError::Pkcs8(_))));
		let mut bad = good.clone();
		bad[80] ^= 1;
		assert!(matches!(from_pkcs8(&bad), Err(JsonAccountError::Pkcs8(_))));
		let mut bad = good.clone();
		bad[116] ^= 1;
		assert!(matches!(from_pkcs8(&bad), Err(JsonAccountError::PublicMismatch)));
		let mut bad = good.clone();
		bad[16..48].fill(0xff);
		assert!(matches!(from_pkcs8(&bad), Err(JsonAccountError::InvalidSecret)));
	}
}
