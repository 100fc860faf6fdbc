//! Cohort statistics under a dealer-free consortium key (Vanin et al., without a trusted dealer).
//!
//! 1. Every key holder runs [`KeyHolder::generate`] with the consortium's common seed (taken from
//!    the chain) and publishes its [`PublicKeyShare`]; its secret never leaves it.
//! 2. Anyone combines the shares into the [`JointPublicKey`]; clients encrypt the numeric fields
//!    of their records under it ([`JointPublicKey::encrypt`], one shared mask per record).
//! 3. Evaluators add records into an [`Aggregate`] — additions only, no key material.
//! 4. Every key holder publishes a [`DecryptionShare`] of the agreed aggregate, flooded with
//!    noise so it reveals nothing about individual records ([`KeyHolder::partial_decrypt`], or
//!    [`KeyHolder::partial_decrypt_field`] for the one field a statistic asked for, so that no
//!    other field's sum is ever decryptable).
//! 5. Anyone combines all shares into the plaintext aggregate ([`Aggregate::combine`],
//!    [`Aggregate::combine_field`]); with a share missing the result is noise.

use tfhe::core_crypto::{
	commons::math::random::{CompressionSeed, RandomGenerator, Seed},
	prelude::*,
};

use std::sync::Arc;

use crate::{negacyclic::BinaryProduct, params::CohortParameters, Error};

/// Coefficient `i` of `lhs·binary mod (X^n + 1)`, with wrapping coefficients; `binary` holds 0s
/// and 1s. O(n): for the few body coefficients an encryption keeps.
fn negacyclic_coefficient(lhs: &[u128], binary: &[u128], i: usize) -> u128 {
	let n = lhs.len();
	let mut sum = 0u128;
	for (k, &a) in lhs.iter().enumerate() {
		// X^k · X^(i−k) = X^i; below 0 the exponent wraps to n + i − k with a sign flip.
		if k <= i {
			sum = sum.wrapping_add(a.wrapping_mul(binary[i - k]));
		} else {
			sum = sum.wrapping_sub(a.wrapping_mul(binary[n + i - k]));
		}
	}
	sum
}

/// A key holder's secret share of the consortium key (binary LWE secret).
pub struct KeyHolder {
	pub(crate) params: &'static CohortParameters,
	pub(crate) index: u16,
	pub(crate) key: LweSecretKeyOwned<u128>,
}

impl core::fmt::Debug for KeyHolder {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("KeyHolder").field("params", &self.params.name).field("index", &self.index).finish_non_exhaustive()
	}
}

/// The public half of a key holder's share: `b_j = a·s_j + e_j` with the common mask `a`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKeyShare {
	pub(crate) params: &'static CohortParameters,
	pub(crate) holder: u16,
	pub(crate) common_seed: u128,
	pub(crate) body: Vec<u128>,
}

/// The consortium's joint public key: the common mask and the sum of all share bodies.
#[derive(Clone)]
pub struct JointPublicKey {
	params: &'static CohortParameters,
	holders: Vec<u16>,
	common_seed: u128,
	key: LweCompactPublicKeyOwned<u128>,
	/// Products by the key's mask, prepared once: every record multiplies it by a fresh binary
	/// polynomial, which is most of an encryption's work.
	mask_product: Arc<BinaryProduct>,
}

impl PartialEq for JointPublicKey {
	fn eq(&self, other: &Self) -> bool {
		// `mask_product` is derived from `key`.
		self.params == other.params && self.holders == other.holders && self.key == other.key
	}
}

impl Eq for JointPublicKey {}

impl core::fmt::Debug for JointPublicKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("JointPublicKey")
			.field("params", &self.params.name)
			.field("holders", &self.holders)
			.finish_non_exhaustive()
	}
}

/// One person's encrypted fields: a compact LWE list (one mask, one body per field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortRecord {
	pub(crate) params: &'static CohortParameters,
	pub(crate) fields: usize,
	/// mask (n) ‖ bodies (fields), every coefficient a multiple of 2^dropped_bits.
	pub(crate) data: Vec<u128>,
}

/// The encrypted sum of many records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Aggregate {
	pub(crate) params: &'static CohortParameters,
	pub(crate) fields: usize,
	pub(crate) records: u64,
	pub(crate) data: Vec<u128>,
}

/// One key holder's flooded partial decryption of every field of an aggregate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptionShare {
	pub(crate) params: &'static CohortParameters,
	pub(crate) holder: u16,
	pub(crate) values: Vec<u128>,
}

fn common_mask_seed(common_seed: u128) -> CompressionSeed {
	CompressionSeed::from(Seed(common_seed))
}

impl KeyHolder {
	/// Generates holder `index`'s secret and its public share for the given common seed.
	pub fn generate(params: &'static CohortParameters, index: u16, common_seed: u128) -> (Self, PublicKeyShare) {
		let mut seeder = new_seeder();
		let mut secret_generator = SecretRandomGenerator::<DefaultRandomGenerator>::new(seeder.seed());
		let key = allocate_and_generate_new_binary_lwe_secret_key(LweDimension(params.lwe_dimension), &mut secret_generator);
		let mut seeded = SeededLweCompactPublicKey::new(
			0u128,
			LweDimension(params.lwe_dimension),
			common_mask_seed(common_seed),
			CiphertextModulus::new_native(),
		);
		generate_seeded_lwe_compact_public_key(&key, &mut seeded, TUniform::<u128>::new(params.noise_bound_log2), seeder.as_mut());
		let share = PublicKeyShare { params, holder: index, common_seed, body: seeded.into_container() };
		(Self { params, index, key }, share)
	}

	/// This holder's index.
	pub fn index(&self) -> u16 {
		self.index
	}

	/// ⟨aᵢ, s_j⟩ + flooding noise for every field i of the aggregate.
	pub fn partial_decrypt(&self, aggregate: &Aggregate) -> Result<DecryptionShare, Error> {
		self.partial_decrypt_fields(aggregate, 0..aggregate.fields)
	}

	/// ⟨a_field, s_j⟩ + flooding noise for one field only: the share a statistic over `field`
	/// needs, and nothing that would decrypt the aggregate's other fields.
	pub fn partial_decrypt_field(&self, aggregate: &Aggregate, field: usize) -> Result<DecryptionShare, Error> {
		aggregate.check_field(field)?;
		self.partial_decrypt_fields(aggregate, field..field + 1)
	}

	fn partial_decrypt_fields(&self, aggregate: &Aggregate, fields: core::ops::Range<usize>) -> Result<DecryptionShare, Error> {
		if aggregate.params != self.params {
			return Err(Error::WrongParameters { expected: self.params.wire_id, found: aggregate.params.wire_id });
		}
		let mut seeder = new_seeder();
		let mut noise = RandomGenerator::<DefaultRandomGenerator>::new(seeder.seed());
		let flooding = TUniform::<u128>::new(self.params.flooding_bound_log2);
		let expanded = aggregate.expand();
		let values = fields
			.map(|field| {
				let ciphertext = expanded.get(field);
				let dot = ciphertext
					.get_mask()
					.as_ref()
					.iter()
					.zip(self.key.as_ref())
					.fold(0u128, |acc, (a, s)| acc.wrapping_add(a.wrapping_mul(*s)));
				dot.wrapping_add(noise.random_from_distribution(flooding))
			})
			.collect();
		Ok(DecryptionShare { params: self.params, holder: self.index, values })
	}
}

impl PublicKeyShare {
	/// The index of the holder that made it.
	pub fn holder(&self) -> u16 {
		self.holder
	}

	/// The common seed it was made with.
	pub fn common_seed(&self) -> u128 {
		self.common_seed
	}
}

impl DecryptionShare {
	/// The index of the holder that made it.
	pub fn holder(&self) -> u16 {
		self.holder
	}
}

impl JointPublicKey {
	/// Combines the public shares of all key holders (each exactly once, same seed and set).
	pub fn combine(shares: &[PublicKeyShare]) -> Result<Self, Error> {
		let first = shares.first().ok_or(Error::Invalid { what: "key shares", detail: "no share given".into() })?;
		let params = first.params;
		if shares.len() > params.max_holders {
			return Err(Error::Invalid { what: "key shares", detail: format!("{} shares, at most {} holders", shares.len(), params.max_holders) });
		}
		let mut holders = Vec::with_capacity(shares.len());
		for share in shares {
			if share.params != params || share.common_seed != first.common_seed {
				return Err(Error::Invalid { what: "key shares", detail: format!("share of holder {} was made for another seed or parameter set", share.holder) });
			}
			if holders.contains(&share.holder) {
				return Err(Error::Invalid { what: "key shares", detail: format!("holder {} appears twice", share.holder) });
			}
			holders.push(share.holder);
		}
		let mut body = vec![0u128; params.lwe_dimension];
		for share in shares {
			body.iter_mut().zip(&share.body).for_each(|(acc, b)| *acc = acc.wrapping_add(*b));
		}
		Ok(Self::from_parts(params, holders, first.common_seed, body))
	}

	/// The key from its stored parts: the common mask is regenerated from the seed, then paired
	/// with the summed body.
	pub(crate) fn from_parts(params: &'static CohortParameters, holders: Vec<u16>, common_seed: u128, body: Vec<u128>) -> Self {
		let key = SeededLweCompactPublicKey::from_container(body, common_mask_seed(common_seed), CiphertextModulus::new_native())
			.decompress_into_lwe_compact_public_key();
		let mask_product = Arc::new(BinaryProduct::new(key.get_mask().as_ref()));
		Self { params, holders, common_seed, key, mask_product }
	}

	/// The common seed the shares were made with.
	pub fn common_seed(&self) -> u128 {
		self.common_seed
	}

	/// The summed share bodies (the key's body; its mask follows from the common seed).
	pub(crate) fn body(&self) -> &[u128] {
		// The key's container is the mask's n coefficients, then the body's n.
		&self.key.as_ref()[self.params.lwe_dimension..]
	}

	/// The parameter set.
	pub fn params(&self) -> &'static CohortParameters {
		self.params
	}

	/// The holders whose shares this key combines.
	pub fn holders(&self) -> &[u16] {
		&self.holders
	}

	/// Encrypts one record's fields (each |value| ≤ `max_abs_field`).
	pub fn encrypt(&self, fields: &[i64]) -> Result<CohortRecord, Error> {
		let params = self.params;
		if fields.is_empty() || fields.len() > params.max_fields {
			return Err(Error::Invalid { what: "field count", detail: format!("{} is not within 1..={}", fields.len(), params.max_fields) });
		}
		if let Some((index, &value)) = fields.iter().enumerate().find(|(_, v)| v.unsigned_abs() > params.max_abs_field as u64) {
			return Err(Error::FeatureOutOfRange { index, value, limit: params.max_abs_field });
		}
		// tfhe's compact public-key encryption (`encrypt_lwe_compact_ciphertext_list_with_compact_
		// public_key`), with the same distributions from tfhe's CSPRNG, but with the products
		// computed in O(n log n) (`negacyclic`) and only the bodies that are kept: for a binary
		// `v`, mask = a·v + e, body_j = (b·v)[n−1−j] + e_j + m_j.
		let n = params.lwe_dimension;
		let mut generator = RandomGenerator::<DefaultRandomGenerator>::new(new_seeder().seed());
		let noise = TUniform::<u128>::new(params.noise_bound_log2);
		let mut binary = vec![0u128; n];
		generator.fill_slice_with_random_uniform_binary_bits(&mut binary);
		let mut mask_noise = vec![0u128; n];
		generator.fill_slice_with_random_from_distribution(&mut mask_noise, noise);
		let mut body_noise = vec![0u128; fields.len()];
		generator.fill_slice_with_random_from_distribution(&mut body_noise, noise);

		let mut data = self.mask_product.mul(&binary);
		data.iter_mut().zip(&mask_noise).for_each(|(c, e)| *c = c.wrapping_add(*e));
		let key_body = self.key.get_body();
		for (j, (&field, e)) in fields.iter().zip(&body_noise).enumerate() {
			let plaintext = (field as i128 as u128) << params.delta_log2;
			let product = negacyclic_coefficient(key_body.as_ref(), &binary, n - 1 - j);
			data.push(product.wrapping_add(*e).wrapping_add(plaintext));
		}
		// Round every coefficient to its stored precision now, so that a record and its
		// decoded bytes are the same object.
		let half = 1u128 << (params.dropped_bits - 1);
		data.iter_mut().for_each(|c| *c = (c.wrapping_add(half) >> params.dropped_bits) << params.dropped_bits);
		Ok(CohortRecord { params, fields: fields.len(), data })
	}
}

impl CohortRecord {
	/// Number of encrypted fields.
	pub fn fields(&self) -> usize {
		self.fields
	}
}

impl Aggregate {
	/// An empty aggregate (the encryption of zeros, trivially) for records of `fields` fields.
	pub fn new(params: &'static CohortParameters, fields: usize) -> Self {
		Self { params, fields, records: 0, data: vec![0; params.lwe_dimension + fields] }
	}

	/// Number of records added.
	pub fn records(&self) -> u64 {
		self.records
	}

	/// Adds one record; fails on a record of another shape or past the supported cohort size.
	pub fn add(&mut self, record: &CohortRecord) -> Result<(), Error> {
		if record.params != self.params || record.fields != self.fields {
			return Err(Error::Invalid {
				what: "record",
				detail: format!("{} fields under {}, the aggregate holds {} fields under {}", record.fields, record.params.name, self.fields, self.params.name),
			});
		}
		if self.records >= self.params.max_records {
			return Err(Error::Invalid { what: "aggregate", detail: format!("more than {} records", self.params.max_records) });
		}
		self.data.iter_mut().zip(&record.data).for_each(|(acc, c)| *acc = acc.wrapping_add(*c));
		self.records += 1;
		Ok(())
	}

	/// Adds another aggregate of the same shape (for aggregating in parallel).
	pub fn merge(&mut self, other: &Aggregate) -> Result<(), Error> {
		if other.params != self.params || other.fields != self.fields {
			return Err(Error::Invalid { what: "aggregate", detail: "aggregates of different shapes".into() });
		}
		if self.records + other.records > self.params.max_records {
			return Err(Error::Invalid { what: "aggregate", detail: format!("more than {} records", self.params.max_records) });
		}
		self.data.iter_mut().zip(&other.data).for_each(|(acc, c)| *acc = acc.wrapping_add(*c));
		self.records += other.records;
		Ok(())
	}

	fn expand(&self) -> LweCiphertextListOwned<u128> {
		LweCompactCiphertextList::from_container(
			self.data.clone(),
			LweDimension(self.params.lwe_dimension).to_lwe_size(),
			LweCiphertextCount(self.fields),
			CiphertextModulus::new_native(),
		)
		.expand_into_lwe_ciphertext_list()
	}

	/// Combines decryption shares into the plaintext sums. Every holder of the joint key must
	/// contribute exactly once; the caller (the chain) knows the holder set and checks it.
	pub fn combine(&self, shares: &[DecryptionShare]) -> Result<Vec<i64>, Error> {
		self.combine_fields(0..self.fields, shares)
	}

	/// Combines shares made by [`KeyHolder::partial_decrypt_field`] for `field` into its sum.
	pub fn combine_field(&self, field: usize, shares: &[DecryptionShare]) -> Result<i64, Error> {
		self.check_field(field)?;
		Ok(self.combine_fields(field..field + 1, shares)?[0])
	}

	fn check_field(&self, field: usize) -> Result<(), Error> {
		if field >= self.fields {
			return Err(Error::Invalid { what: "field", detail: format!("field {field} of an aggregate of {} fields", self.fields) });
		}
		Ok(())
	}

	fn combine_fields(&self, fields: core::ops::Range<usize>, shares: &[DecryptionShare]) -> Result<Vec<i64>, Error> {
		let mut seen = Vec::with_capacity(shares.len());
		for share in shares {
			if share.params != self.params || share.values.len() != fields.len() {
				return Err(Error::Invalid { what: "decryption share", detail: format!("share of holder {} does not fit this aggregate", share.holder) });
			}
			if seen.contains(&share.holder) {
				return Err(Error::Invalid { what: "decryption share", detail: format!("holder {} appears twice", share.holder) });
			}
			seen.push(share.holder);
		}
		let delta = self.params.delta_log2;
		let expanded = self.expand();
		Ok(fields
			.enumerate()
			.map(|(slot, field)| {
				let body = *expanded.get(field).get_body().data;
				let phase = shares.iter().fold(body, |acc, share| acc.wrapping_sub(share.values[slot]));
				(phase.wrapping_add(1u128 << (delta - 1)) as i128 >> delta) as i64
			})
			.collect())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_single_product_coefficient_equals_the_full_product() {
		use tfhe::core_crypto::algorithms::polynomial_algorithms::polynomial_wrapping_add_mul_assign;
		let mut generator = RandomGenerator::<DefaultRandomGenerator>::new(Seed(11));
		let mut lhs = vec![0u128; 64];
		generator.fill_slice_with_random_from_distribution(&mut lhs, tfhe::core_crypto::commons::math::random::Uniform);
		let mut binary = vec![0u128; 64];
		generator.fill_slice_with_random_uniform_binary_bits(&mut binary);
		let mut full = Polynomial::from_container(vec![0u128; 64]);
		polynomial_wrapping_add_mul_assign(&mut full, &Polynomial::from_container(lhs.as_slice()), &Polynomial::from_container(binary.as_slice()));
		for i in 0..64 {
			assert_eq!(negacyclic_coefficient(&lhs, &binary, i), full.as_ref()[i], "coefficient {i}");
		}
	}
	use crate::params::COHORT_V1;

	fn consortium(holders: u16) -> (Vec<KeyHolder>, JointPublicKey) {
		let (secrets, shares): (Vec<_>, Vec<_>) = (0..holders).map(|i| KeyHolder::generate(&COHORT_V1, i, 0xC0FFEE)).unzip();
		(secrets, JointPublicKey::combine(&shares).unwrap())
	}

	#[test]
	fn the_sum_of_many_records_decrypts_exactly_with_every_share() {
		let (holders, key) = consortium(4);
		let mut aggregate = Aggregate::new(&COHORT_V1, 3);
		let mut expected = [0i64; 3];
		for i in 0..50i64 {
			let fields = [i % 2, 20 + i, -(i * 7 % 100)];
			fields.iter().zip(expected.iter_mut()).for_each(|(f, e)| *e += f);
			aggregate.add(&key.encrypt(&fields).unwrap()).unwrap();
		}
		let shares: Vec<_> = holders.iter().map(|h| h.partial_decrypt(&aggregate).unwrap()).collect();
		assert_eq!(aggregate.combine(&shares).unwrap(), expected.to_vec());
	}

	#[test]
	fn one_field_decrypts_alone_and_its_shares_decrypt_no_other_field() {
		let (holders, key) = consortium(3);
		let mut aggregate = Aggregate::new(&COHORT_V1, 3);
		for i in 0..20i64 {
			aggregate.add(&key.encrypt(&[i, 100 - i, -3]).unwrap()).unwrap();
		}
		let shares: Vec<_> = holders.iter().map(|h| h.partial_decrypt_field(&aggregate, 1).unwrap()).collect();
		assert!(shares.iter().all(|s| s.values.len() == 1));
		assert_eq!(aggregate.combine_field(1, &shares).unwrap(), (0..20).map(|i| 100 - i).sum::<i64>());
		// The same shares against another field are noise, not that field's sum.
		assert_ne!(aggregate.combine_field(0, &shares).unwrap(), (0..20).sum::<i64>());
		assert_ne!(aggregate.combine_field(2, &shares).unwrap(), -60);
		// Whole-aggregate shares do not fit a one-field combination, and vice versa.
		let whole: Vec<_> = holders.iter().map(|h| h.partial_decrypt(&aggregate).unwrap()).collect();
		assert!(aggregate.combine_field(1, &whole).is_err());
		assert!(aggregate.combine(&shares).is_err());
		assert!(holders[0].partial_decrypt_field(&aggregate, 3).is_err());
		assert!(aggregate.combine_field(3, &shares).is_err());
	}

	#[test]
	fn fewer_shares_than_holders_give_nothing_usable() {
		let (holders, key) = consortium(3);
		let mut aggregate = Aggregate::new(&COHORT_V1, 2);
		aggregate.add(&key.encrypt(&[5, 7]).unwrap()).unwrap();
		let shares: Vec<_> = holders.iter().map(|h| h.partial_decrypt(&aggregate).unwrap()).collect();
		assert_eq!(aggregate.combine(&shares).unwrap(), vec![5, 7]);
		for missing in 0..3 {
			let partial: Vec<_> = shares.iter().filter(|s| s.holder != missing).cloned().collect();
			let guess = aggregate.combine(&partial).unwrap();
			assert_ne!(guess, vec![5, 7], "without holder {missing}");
		}
	}

	#[test]
	fn decrypts_exactly_at_the_largest_cohort_holder_count_and_field_values() {
		// 8 holders, 64 fields at ±max, then 21 doublings = 2^21 records of the same ciphertext:
		// its noise grows linearly (worse than independent records), and the sums reach the limit.
		let (holders, key) = consortium(COHORT_V1.max_holders as u16);
		let max = COHORT_V1.max_abs_field;
		let fields: Vec<i64> = (0..64).map(|i| if i % 2 == 0 { max } else { -max }).collect();
		let record = key.encrypt(&fields).unwrap();
		let mut aggregate = Aggregate::new(&COHORT_V1, 64);
		aggregate.add(&record).unwrap();
		for _ in 0..21 {
			let copy = aggregate.data.clone();
			aggregate.data.iter_mut().zip(&copy).for_each(|(a, c)| *a = a.wrapping_add(*c));
		}
		let shares: Vec<_> = holders.iter().map(|h| h.partial_decrypt(&aggregate).unwrap()).collect();
		let expected: Vec<i64> = fields.iter().map(|f| f << 21).collect();
		assert_eq!(aggregate.combine(&shares).unwrap(), expected);
	}

	#[test]
	fn invalid_inputs_are_errors() {
		let (holders, key) = consortium(2);
		assert!(key.encrypt(&[]).is_err());
		assert!(key.encrypt(&vec![0; 65]).is_err());
		assert_eq!(key.encrypt(&[8192]), Err(Error::FeatureOutOfRange { index: 0, value: 8192, limit: 8191 }));
		let mut aggregate = Aggregate::new(&COHORT_V1, 2);
		assert!(aggregate.add(&key.encrypt(&[1, 2, 3]).unwrap()).is_err());
		aggregate.add(&key.encrypt(&[1, 2]).unwrap()).unwrap();
		let share = holders[0].partial_decrypt(&aggregate).unwrap();
		assert!(aggregate.combine(&[share.clone(), share]).is_err());
		let (_, other_seed) = KeyHolder::generate(&COHORT_V1, 9, 1);
		let (_, share) = KeyHolder::generate(&COHORT_V1, 0, 0xC0FFEE);
		assert!(JointPublicKey::combine(&[share.clone(), other_seed]).is_err());
		assert!(JointPublicKey::combine(&[share.clone(), share]).is_err());
		assert!(JointPublicKey::combine(&[]).is_err());
	}
}
