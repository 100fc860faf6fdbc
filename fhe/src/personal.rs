//! An individual's keys and records: features encrypted under the individual's own LWE secret
//! key, and decryption of the scores evaluators return.
//!
//! Only the holder of a [`PersonalSecretKey`] can read a [`PersonalRecord`] or a
//! [`EncryptedScore`]; evaluators need no key at all (see [`crate::model`]).

use tfhe::core_crypto::{
	commons::math::random::{CompressionSeed, Seed},
	prelude::*,
};

use crate::{params::PersonalParameters, Error};

/// An individual's secret key for the personal path: a binary LWE secret of the set's dimension.
#[derive(Clone)]
pub struct PersonalSecretKey {
	pub(crate) params: &'static PersonalParameters,
	pub(crate) key: LweSecretKeyOwned<u64>,
}

// Never print key material, not even in debug output.
impl core::fmt::Debug for PersonalSecretKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("PersonalSecretKey").field("params", &self.params.name).finish_non_exhaustive()
	}
}

/// Encrypted features: one public seed from which every mask is derived, and one body each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalRecord {
	pub(crate) params: &'static PersonalParameters,
	pub(crate) seed: u128,
	pub(crate) bodies: Vec<u64>,
}

/// An encrypted score (an LWE ciphertext under the individual's key), as evaluators return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedScore {
	pub(crate) params: &'static PersonalParameters,
	/// `mask ‖ body`, n + 1 elements.
	pub(crate) data: Vec<u64>,
}

impl PersonalSecretKey {
	/// Generates a fresh key from the operating system's entropy (tfhe's seeder).
	pub fn generate(params: &'static PersonalParameters) -> Self {
		let mut seeder = new_seeder();
		let mut secret_generator = SecretRandomGenerator::<DefaultRandomGenerator>::new(seeder.seed());
		let key = allocate_and_generate_new_binary_lwe_secret_key(
			LweDimension(params.lwe_dimension),
			&mut secret_generator,
		);
		Self { params, key }
	}

	/// The parameter set this key belongs to.
	pub fn params(&self) -> &'static PersonalParameters {
		self.params
	}

	/// Encrypts encoded (fixed-point) features. Each must lie within ±`max_abs_feature`.
	pub fn encrypt(&self, features: &[i64]) -> Result<PersonalRecord, Error> {
		let params = self.params;
		check_features(params, features)?;
		let mut seeder = new_seeder();
		let seed = seeder.seed().0;
		let plaintexts: Vec<u64> = features.iter().map(|&x| encode(params, x)).collect();
		let mut list = SeededLweCiphertextList::new(
			0u64,
			LweDimension(params.lwe_dimension).to_lwe_size(),
			LweCiphertextCount(features.len()),
			CompressionSeed::from(Seed(seed)),
			CiphertextModulus::new_native(),
		);
		encrypt_seeded_lwe_ciphertext_list(
			&self.key,
			&mut list,
			&PlaintextList::from_container(plaintexts),
			TUniform::<u64>::new(params.noise_bound_log2),
			seeder.as_mut(),
		);
		Ok(PersonalRecord { params, seed, bodies: list.into_container() })
	}

	/// Decrypts a score to its signed fixed-point value. Exact for every score computed by a
	/// model that passed [`crate::model::LinearModel::new`] on a record this key encrypted.
	pub fn decrypt_score(&self, score: &EncryptedScore) -> Result<i64, Error> {
		if score.params != self.params {
			return Err(Error::WrongParameters { expected: self.params.wire_id, found: score.params.wire_id });
		}
		let ciphertext = LweCiphertext::from_container(score.data.as_slice(), CiphertextModulus::new_native());
		Ok(decode(self.params, decrypt_lwe_ciphertext(&self.key, &ciphertext).0))
	}

	/// Decrypts every feature of a record (the individual reading back their own data).
	pub fn decrypt_record(&self, record: &PersonalRecord) -> Result<Vec<i64>, Error> {
		let list = record.expand();
		Ok(list
			.iter()
			.map(|ciphertext| decode(self.params, decrypt_lwe_ciphertext(&self.key, &ciphertext).0))
			.collect())
	}
}

impl PersonalRecord {
	/// Number of encrypted features.
	pub fn len(&self) -> usize {
		self.bodies.len()
	}

	/// Whether the record holds no feature (never true for a record made by `encrypt`).
	pub fn is_empty(&self) -> bool {
		self.bodies.is_empty()
	}

	/// The parameter set the record was encrypted with.
	pub fn params(&self) -> &'static PersonalParameters {
		self.params
	}

	/// Regenerates the masks from the seed: one full LWE ciphertext per feature.
	pub(crate) fn expand(&self) -> LweCiphertextListOwned<u64> {
		SeededLweCiphertextList::from_container(
			self.bodies.clone(),
			LweDimension(self.params.lwe_dimension).to_lwe_size(),
			CompressionSeed::from(Seed(self.seed)),
			CiphertextModulus::new_native(),
		)
		.decompress_into_lwe_ciphertext_list()
	}
}

impl EncryptedScore {
	/// The parameter set of the score.
	pub fn params(&self) -> &'static PersonalParameters {
		self.params
	}
}

pub(crate) fn check_features(params: &PersonalParameters, features: &[i64]) -> Result<(), Error> {
	if features.is_empty() {
		return Err(Error::NoFeatures);
	}
	if features.len() > params.max_features {
		return Err(Error::TooManyFeatures { given: features.len(), max: params.max_features, params: params.name });
	}
	if let Some((index, &value)) =
		features.iter().enumerate().find(|(_, x)| x.unsigned_abs() > params.max_abs_feature as u64)
	{
		return Err(Error::FeatureOutOfRange { index, value, limit: params.max_abs_feature });
	}
	Ok(())
}

/// Signed message → plaintext: m·Δ in two's complement modulo 2⁶⁴.
pub(crate) fn encode(params: &PersonalParameters, message: i64) -> u64 {
	(message as u64).wrapping_shl(params.delta_log2)
}

/// Plaintext → signed message, rounding to the nearest multiple of Δ.
pub(crate) fn decode(params: &PersonalParameters, plaintext: u64) -> i64 {
	let rounded = plaintext.wrapping_add(1u64 << (params.delta_log2 - 1));
	(rounded as i64) >> params.delta_log2
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::params::PERSONAL_V1;

	#[test]
	fn encode_then_decode_is_identity_over_the_message_range() {
		for m in [-(1i64 << 29), -4096, -1, 0, 1, 4096, (1 << 29) - 1] {
			assert_eq!(decode(&PERSONAL_V1, encode(&PERSONAL_V1, m)), m);
		}
	}

	#[test]
	fn decode_rounds_away_noise_below_half_delta() {
		let limit = (1u64 << (PERSONAL_V1.delta_log2 - 1)) - 1;
		assert_eq!(decode(&PERSONAL_V1, encode(&PERSONAL_V1, 7).wrapping_add(limit)), 7);
		assert_eq!(decode(&PERSONAL_V1, encode(&PERSONAL_V1, 7).wrapping_sub(limit)), 7);
	}

	#[test]
	fn a_record_decrypts_to_its_features() {
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		let features: Vec<i64> = (0..32).map(|i| (i * 257 - 4096) % 4097).collect();
		let record = key.encrypt(&features).unwrap();
		assert_eq!(record.len(), 32);
		assert_eq!(key.decrypt_record(&record).unwrap(), features);
	}

	#[test]
	fn two_encryptions_of_one_record_differ() {
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		let a = key.encrypt(&[1, 2, 3]).unwrap();
		let b = key.encrypt(&[1, 2, 3]).unwrap();
		assert_ne!(a, b);
	}

	#[test]
	fn out_of_range_feature_is_rejected() {
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		assert_eq!(
			key.encrypt(&[0, 4097]),
			Err(Error::FeatureOutOfRange { index: 1, value: 4097, limit: 4096 })
		);
		assert_eq!(key.encrypt(&[]), Err(Error::NoFeatures));
		assert!(matches!(key.encrypt(&[0; 33]), Err(Error::TooManyFeatures { given: 33, .. })));
	}

	#[test]
	fn debug_output_hides_the_secret() {
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		assert_eq!(format!("{key:?}"), "PersonalSecretKey { params: \"PERSONAL_V1_LWE2048_Q64_TUNIFORM17\", .. }");
	}
}
