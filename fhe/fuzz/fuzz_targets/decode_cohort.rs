//! Decoders of the cohort path: any bytes give a value or a typed error, never a panic.
#![no_main]
use custodia_fhe::cohort::{Aggregate, CohortRecord, DecryptionShare, JointPublicKey, KeyHolder, PublicKeyShare};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	let limit = 4 << 20;
	if let Ok(v) = CohortRecord::from_bytes(data, limit) {
		assert_eq!(v.to_bytes(), data);
	}
	if let Ok(v) = Aggregate::from_bytes(data, limit) {
		assert_eq!(v.to_bytes(), data);
	}
	if let Ok(v) = PublicKeyShare::from_bytes(data, limit) {
		assert_eq!(v.to_bytes(), data);
	}
	if let Ok(v) = DecryptionShare::from_bytes(data, limit) {
		assert_eq!(v.to_bytes(), data);
	}
	if let Ok(v) = JointPublicKey::from_bytes(data, limit) {
		assert_eq!(v.to_bytes(), data);
	}
	if let Ok(v) = KeyHolder::from_secret_bytes(data) {
		assert_eq!(v.to_secret_bytes(), data);
	}
});
