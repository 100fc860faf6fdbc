//! An individual's keys and records: features encrypted under the individual's own secret key,
//! and decryption of the scores evaluators return.
//!
//! A record is one seeded GLWE ciphertext (k = 1, N = 2048): feature i is the plaintext
//! coefficient of Xⁱ. The mask polynomial is regenerated from a public seed, and only the body
//! coefficients that carry features are kept, so a 20-feature record is a seed and 20 × 8 bytes;
//! one mask polynomial (2048 random words) serves every feature, which keeps encryption cheap.
//!
//! Only the holder of a [`PersonalSecretKey`] can read a [`PersonalRecord`] or a
//! [`EncryptedScore`]; evaluators need no key at all (see [`crate::model`]).

use tfhe::core_crypto::{
	commons::math::random::{CompressionSeed, Seed},
	prelude::*,
};

use crate::{
	params::{FeatureCount, FeatureIndex, PersonalParameters},
	Error,
};

/// An individual's secret key for the personal path: a binary GLWE secret (k = 1, N = n).
#[derive(Clone)]
pub struct PersonalSecretKey {
	pub(crate) params: &'static PersonalParameters,
	pub(crate) key: GlweSecretKeyOwned<u64>,
}

// Never print key material, not even in debug output.
impl core::fmt::Debug for PersonalSecretKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("PersonalSecretKey")
			.field("params", &self.params.name)
			.finish_non_exhaustive()
	}
}

/// Encrypted features: the public seed of the mask polynomial and the first `len` body
/// coefficients of the GLWE ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalRecord {
	pub(crate) params: &'static PersonalParameters,
	pub(crate) seed: u128,
	pub(crate) bodies: Vec<u64>,
}

/// An encrypted score: an LWE ciphertext under the individual's key seen as an LWE key (the
/// constant coefficient extracted from the evaluated GLWE ciphertext), as evaluators return it.
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
		let mut secret_generator =
			SecretRandomGenerator::<DefaultRandomGenerator>::new(seeder.seed());
		let key = allocate_and_generate_new_binary_glwe_secret_key(
			GlweDimension(1),
			params.polynomial_size,
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
		let mut plaintexts = vec![0u64; params.polynomial_size.0];
		plaintexts.iter_mut().zip(features).for_each(|(p, &x)| *p = encode(params, x));
		let mut ciphertext = SeededGlweCiphertext::new(
			0u64,
			GlweSize(2),
			params.polynomial_size,
			CompressionSeed::from(Seed(seed)),
			CiphertextModulus::new_native(),
		);
		encrypt_seeded_glwe_ciphertext(
			&self.key,
			&mut ciphertext,
			&PlaintextList::from_container(plaintexts),
			TUniform::<u64>::new(params.noise_bound_log2),
			seeder.as_mut(),
		);
		let mut bodies = ciphertext.into_container();
		bodies.truncate(features.len());
		Ok(PersonalRecord { params, seed, bodies })
	}

	/// Decrypts a score to its signed fixed-point value. Exact for every score computed by a
	/// model that passed [`crate::model::LinearModel::new`] on a record this key encrypted.
	pub fn decrypt_score(&self, score: &EncryptedScore) -> Result<i64, Error> {
		if score.params != self.params {
			return Err(Error::WrongParameters {
				expected: self.params.wire_id,
				found: score.params.wire_id,
			});
		}
		let ciphertext =
			LweCiphertext::from_container(score.data.as_slice(), CiphertextModulus::new_native());
		Ok(decode(
			self.params,
			decrypt_lwe_ciphertext(&self.key.as_lwe_secret_key(), &ciphertext).0,
		))
	}

	/// Decrypts every feature of a record (the individual reading back their own data).
	pub fn decrypt_record(&self, record: &PersonalRecord) -> Result<Vec<i64>, Error> {
		let mut plaintexts =
			PlaintextList::new(0u64, PlaintextCount(self.params.polynomial_size.0));
		decrypt_glwe_ciphertext(&self.key, &record.expand(), &mut plaintexts);
		// Only the coefficients that carry features are meaningful (the others' bodies were dropped).
		Ok(plaintexts.as_ref()[..record.len()]
			.iter()
			.map(|&p| decode(self.params, p))
			.collect())
	}
}

impl PersonalRecord {
	/// Number of encrypted features.
	pub fn len(&self) -> usize {
		self.bodies.len()
	}

	/// Number of encrypted features, typed.
	pub fn feature_count(&self) -> FeatureCount {
		FeatureCount(self.bodies.len())
	}

	/// Whether the record holds no feature (never true for a record made by `encrypt`).
	pub fn is_empty(&self) -> bool {
		self.bodies.is_empty()
	}

	/// The parameter set the record was encrypted with.
	pub fn params(&self) -> &'static PersonalParameters {
		self.params
	}

	/// Regenerates the mask polynomial from the seed. Body coefficients past the features are
	/// zero: the constant coefficient of (record · W) only reads the first `len` of them.
	pub(crate) fn expand(&self) -> GlweCiphertextOwned<u64> {
		let mut body = vec![0u64; self.params.polynomial_size.0];
		body[..self.bodies.len()].copy_from_slice(&self.bodies);
		SeededGlweCiphertext::from_container(
			body,
			GlweSize(2),
			CompressionSeed::from(Seed(self.seed)),
			CiphertextModulus::new_native(),
		)
		.decompress_into_glwe_ciphertext()
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
	if features.len() > params.max_features.0 {
		return Err(Error::TooManyFeatures {
			given: FeatureCount(features.len()),
			max: params.max_features,
			params: params.name,
		});
	}
	if let Some((index, &value)) = features
		.iter()
		.enumerate()
		.find(|(_, x)| x.unsigned_abs() > params.max_abs_feature as u64)
	{
		return Err(Error::FeatureOutOfRange {
			index: FeatureIndex(index),
			value,
			limit: params.max_abs_feature,
		});
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
			Err(Error::FeatureOutOfRange { index: FeatureIndex(1), value: 4097, limit: 4096 })
		);
		assert_eq!(key.encrypt(&[]), Err(Error::NoFeatures));
		assert!(matches!(
			key.encrypt(&[0; 33]),
			Err(Error::TooManyFeatures { given: FeatureCount(33), .. })
		));
	}

	#[test]
	fn debug_output_hides_the_secret() {
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		assert_eq!(
			format!("{key:?}"),
			"PersonalSecretKey { params: \"PERSONAL_V1_LWE2048_Q64_TUNIFORM17\", .. }"
		);
	}
}
