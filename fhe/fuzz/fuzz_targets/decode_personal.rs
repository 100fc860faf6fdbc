//! Decoders of the personal path: any bytes give a value or a typed error, never a panic.
#![no_main]
use custodia_fhe::personal::{EncryptedScore, PersonalRecord, PersonalSecretKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	if let Ok(record) = PersonalRecord::from_bytes(data) {
		assert_eq!(record.to_bytes(), data);
	}
	if let Ok(score) = EncryptedScore::from_bytes(data) {
		assert_eq!(score.to_bytes(), data);
	}
	if let Ok(key) = PersonalSecretKey::from_secret_bytes(data) {
		assert_eq!(key.to_secret_bytes(), data);
	}
});
