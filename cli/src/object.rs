//! The IPFS objects behind records and vaults: a header, then the body sealed in an HPKE
//! envelope ([`crate::envelope`]). The web app (`ui/src/lib/object.ts`) reads and writes the same
//! bytes.
//!
//! ```text
//! offset  0  "CUSTODIA"        magic, 8 bytes
//!         8  version           u8 (1)
//!         9  kind              u8: 1 record, 2 vault copy
//!        10  reserved          u16, zero
//!        12  section length    u32 LE; 0 in every object written now
//!        16  section           unencrypted bytes between header and envelope (records written
//!                              before FHE cohort statistics were retired carried their FHE
//!                              fields here; readers skip them)
//!  16 + len  HPKE envelope     encapsulated key ‖ sealed FHIR R4 Bundle (JSON)
//! ```
//!
//! A record's envelope is sealed to its owner; its associated data are the header and the
//! BLAKE2-256 hash of the section, so neither can be swapped under it. A vault copy is the same
//! body re-sealed to the grant's requester key; its associated data name the grant and the
//! record, so a copy made for one grant does not open as another.

use anyhow::{bail, ensure};

use crate::envelope;

const MAGIC: &[u8; 8] = b"CUSTODIA";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 16;

/// The largest FHIR body accepted (bodies are JSON documents, not images).
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// The largest object read back from IPFS: a body, its envelope and a section (as the web app
/// reads them).
pub const MAX_OBJECT_BYTES: usize = MAX_BODY_BYTES + (1 << 20);

/// What an object holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
	Record = 1,
	VaultCopy = 2,
}

const RECORD_INFO: &[u8] = b"custodia/record/v1";
const VAULT_INFO: &[u8] = b"custodia/vault/v1";

/// The header of an object of `kind` without a section.
fn header(kind: Kind) -> [u8; HEADER_LEN] {
	let mut header = [0u8; HEADER_LEN];
	header[..8].copy_from_slice(MAGIC);
	header[8] = VERSION;
	header[9] = kind as u8;
	header
}

/// The header, section and envelope of an object of `kind`.
fn split(object: &[u8], kind: Kind) -> anyhow::Result<(&[u8], &[u8], &[u8])> {
	ensure!(
		object.len() >= HEADER_LEN && &object[..8] == MAGIC,
		"not a Custodia record or vault object"
	);
	ensure!(
		object[8] == VERSION,
		"object format version {} is not supported (this client reads {VERSION})",
		object[8]
	);
	ensure!(object[10..12] == [0, 0], "malformed object header");
	if object[9] != kind as u8 {
		bail!(
			"this object is a {}, not a {}",
			if object[9] == Kind::Record as u8 { "record" } else { "vault copy" },
			match kind {
				Kind::Record => "record",
				Kind::VaultCopy => "vault copy",
			}
		);
	}
	let section_len = u32::from_le_bytes(object[12..16].try_into().expect("4 bytes")) as usize;
	ensure!(
		object.len() - HEADER_LEN >= section_len,
		"the section runs past the end of the object"
	);
	let (header, rest) = object.split_at(HEADER_LEN);
	let (section, envelope) = rest.split_at(section_len);
	Ok((header, section, envelope))
}

fn record_aad(header: &[u8], section: &[u8]) -> Vec<u8> {
	[header, &crate::ipfs::content_hash(section)[..]].concat()
}

fn vault_aad(header: &[u8], grant: u64, record: u64) -> Vec<u8> {
	[header, &grant.to_le_bytes()[..], &record.to_le_bytes()[..]].concat()
}

/// A record object: `body` sealed to `owner_key`.
pub fn seal_record(owner_key: &[u8; 32], body: &[u8]) -> anyhow::Result<Vec<u8>> {
	ensure!(
		body.len() <= MAX_BODY_BYTES,
		"the body is {} bytes; at most {MAX_BODY_BYTES} are accepted",
		body.len()
	);
	let header = header(Kind::Record);
	let envelope = envelope::seal(owner_key, RECORD_INFO, &record_aad(&header, &[]), body)?;
	Ok([&header[..], &envelope].concat())
}

/// The body of a record object, opened with its owner's secret key.
pub fn open_record(secret: &x25519_dalek::StaticSecret, object: &[u8]) -> anyhow::Result<Vec<u8>> {
	let (header, section, envelope) = split(object, Kind::Record)?;
	envelope::open(secret, RECORD_INFO, &record_aad(header, section), envelope)
}

/// A vault copy: `body` re-sealed to `grantee_key` for `grant` and `record`.
pub fn seal_vault_copy(
	grantee_key: &[u8; 32],
	grant: u64,
	record: u64,
	body: &[u8],
) -> anyhow::Result<Vec<u8>> {
	let header = header(Kind::VaultCopy);
	let envelope =
		envelope::seal(grantee_key, VAULT_INFO, &vault_aad(&header, grant, record), body)?;
	Ok([&header[..], &envelope].concat())
}

/// The body of a vault copy, opened with the grantee's secret key.
pub fn open_vault_copy(
	secret: &x25519_dalek::StaticSecret,
	grant: u64,
	record: u64,
	object: &[u8],
) -> anyhow::Result<Vec<u8>> {
	let (header, _, envelope) = split(object, Kind::VaultCopy)?;
	envelope::open(secret, VAULT_INFO, &vault_aad(header, grant, record), envelope)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::envelope::key_pair;

	#[test]
	fn a_record_is_its_header_and_envelope_and_opens_for_its_owner_only() {
		let (owner, owner_public) = key_pair();
		let object = seal_record(&owner_public, b"{}").unwrap();
		assert_eq!(&object[..HEADER_LEN], &header(Kind::Record)[..]);
		assert_eq!(
			object.len(),
			HEADER_LEN + envelope::ENCAPPED_KEY_LEN + 2 + 16,
			"no section: the envelope follows the header"
		);
		assert_eq!(open_record(&owner, &object).unwrap(), b"{}");

		let mut tampered = object.clone();
		*tampered.last_mut().unwrap() ^= 1;
		assert!(open_record(&owner, &tampered).is_err());
		let (stranger, _) = key_pair();
		assert!(open_record(&stranger, &object).is_err());
	}

	#[test]
	fn a_record_with_a_section_opens_and_its_section_is_bound() {
		// As records written before the FHE cohort fields were retired (and the web app's
		// reader) lay them out.
		let (owner, owner_public) = key_pair();
		let section = [7u8; 100];
		let mut header = header(Kind::Record);
		header[12..].copy_from_slice(&100u32.to_le_bytes());
		let envelope =
			envelope::seal(&owner_public, RECORD_INFO, &record_aad(&header, &section), b"{}")
				.unwrap();
		let object = [&header[..], &section[..], &envelope].concat();
		assert_eq!(open_record(&owner, &object).unwrap(), b"{}");

		let mut swapped = object.clone();
		swapped[HEADER_LEN + 4] ^= 1;
		assert!(open_record(&owner, &swapped).is_err(), "the envelope is bound to the section");
	}

	#[test]
	fn a_vault_copy_opens_only_for_its_grantee_grant_and_record() {
		let (grantee, grantee_public) = key_pair();
		let copy = seal_vault_copy(&grantee_public, 4, 9, b"body").unwrap();
		assert_eq!(open_vault_copy(&grantee, 4, 9, &copy).unwrap(), b"body");
		assert!(open_vault_copy(&grantee, 5, 9, &copy).is_err(), "another grant");
		assert!(open_vault_copy(&grantee, 4, 8, &copy).is_err(), "another record");
		let err = open_record(&grantee, &copy).unwrap_err().to_string();
		assert!(err.contains("vault copy, not a record"), "{err}");
	}

	#[test]
	fn malformed_objects_are_refused_with_a_reason() {
		let (owner, owner_public) = key_pair();
		assert!(open_record(&owner, b"short")
			.unwrap_err()
			.to_string()
			.contains("not a Custodia"));
		let mut object = seal_record(&owner_public, b"{}").unwrap();
		object[8] = 9;
		assert!(open_record(&owner, &object).unwrap_err().to_string().contains("version 9"));
		object[8] = VERSION;
		object[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
		assert!(open_record(&owner, &object).unwrap_err().to_string().contains("past the end"));
		assert!(seal_record(&owner_public, &vec![b' '; MAX_BODY_BYTES + 1]).is_err());
	}
}
