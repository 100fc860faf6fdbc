//! Named, frozen parameter sets. A set is never changed once released: a new set gets a new
//! name and a new wire id, and old ones stay decodable. Wire id 2 belonged to the retired
//! threshold-FHE cohort set and is never reused.
//!
//! ## `PERSONAL_V1` — personal prediction
//! | | |
//! |---|---|
//! | GLWE k = 1, N = n | 2048, binary secret (one mask polynomial per record) |
//! | modulus q | 2⁶⁴ (native) |
//! | noise | TUniform(17): uniform integers in [−2¹⁷, 2¹⁷] |
//! | scaling Δ | 2³⁴: messages are signed integers in [−2²⁹, 2²⁹) |
//!
//! **Security (≥ 128 bits).** A record is a seeded GLWE ciphertext with k = 1, N = 2048,
//! q = 2⁶⁴, a binary secret and TUniform(17) noise: exactly the GLWE secret key and noise of
//! tfhe-rs's vetted 128-bit sets for N = 2048, k = 1 (e.g. `PARAM_MESSAGE_2_CARRY_2_KS_PBS`
//! TUniform 2⁻¹²⁸ in tfhe 1.x: GLWE noise TUniform(17) at q = 2⁶⁴), so it is the very
//! problem those sets were estimated against (binary secret included); keeping only some body
//! coefficients publishes less. Cross-check with the HE Security Standard (ternary secret,
//! σ ≈ 3.2): n = 2048 allows log₂ q ≤ 54, i.e. log₂(q/σ) ≤ 52.3. TUniform(17) has σ = 2¹⁷/√3 ≈ 2¹⁶·², so log₂(q/σ) ≈ 47.8 — a smaller
//! modulus-to-noise ratio, hence harder, than the standard's 128-bit limit.
//!
//! **Noise budget (worst case, not probabilistic).** TUniform is bounded, so a fresh feature
//! carries |e| ≤ 2¹⁷. A score Σ wᵢ·cᵢ + b carries |Σ wᵢ·eᵢ| ≤ (Σ|wᵢ|)·2¹⁷. Decryption rounds
//! correctly while that is < Δ/2 = 2³³, i.e. Σ|wᵢ| < 2¹⁶; |wᵢ| ≤ 2¹⁰ over at most 32
//! features gives Σ|wᵢ| ≤ 2¹⁵ (one bit of margin). The message must stay in [−2²⁹, 2²⁹):
//! with |xᵢ| ≤ 2¹² and Σ|wᵢ| ≤ 2¹⁵, |Σ wᵢxᵢ| ≤ 2²⁷, and |b| ≤ 2²⁸ keeps the total below 2²⁹. Every model and every
//! record is checked against these bounds, so a score always decrypts exactly.

use tfhe::core_crypto::commons::parameters::{LweDimension, PolynomialSize};

/// A number of features (of a record, a model, or a parameter set's limit). A newtype so that a
/// count is never passed where a [`FeatureIndex`] or a byte length is expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeatureCount(pub usize);

/// The 0-based position of a feature in a record or a model: feature i is the plaintext
/// coefficient of Xⁱ, and weight i multiplies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeatureIndex(pub usize);

impl core::fmt::Display for FeatureCount {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		self.0.fmt(f)
	}
}

impl core::fmt::Display for FeatureIndex {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		self.0.fmt(f)
	}
}

/// Parameters of the personal (individual-key) linear path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonalParameters {
	/// Name used in errors and documentation.
	pub name: &'static str,
	/// Identifier of this set in the wire format.
	pub wire_id: u8,
	/// N, the degree of the GLWE polynomials (k = 1); the individual's secret key has N bits and
	/// an extracted score is an LWE ciphertext of dimension N.
	pub polynomial_size: PolynomialSize,
	/// log₂ of the TUniform noise bound.
	pub noise_bound_log2: u32,
	/// log₂ of the scaling factor Δ between a message and its plaintext.
	pub delta_log2: u32,
	/// Most features in one record.
	pub max_features: FeatureCount,
	/// Largest |encoded feature|.
	pub max_abs_feature: i64,
	/// Largest |quantised weight|.
	pub max_abs_weight: i64,
	/// Largest |quantised bias|.
	pub max_abs_bias: i64,
}

/// The personal parameter set of Custodia 1.x (see the module documentation).
pub const PERSONAL_V1: PersonalParameters = PersonalParameters {
	name: "PERSONAL_V1_LWE2048_Q64_TUNIFORM17",
	wire_id: 1,
	polynomial_size: PolynomialSize(2048),
	noise_bound_log2: 17,
	delta_log2: 34,
	max_features: FeatureCount(32),
	max_abs_feature: 1 << 12,
	max_abs_weight: 1 << 10,
	max_abs_bias: 1 << 28,
};

/// Every parameter set this build decodes, by wire id.
pub const KNOWN_PERSONAL_SETS: [&PersonalParameters; 1] = [&PERSONAL_V1];

/// Length of the wire header shared by every object (magic, version, kind, parameter set).
pub(crate) const WIRE_HEADER_LEN: usize = 4 + 3;

impl PersonalParameters {
	/// The parameter set with this wire id, if this build knows it.
	pub fn from_wire_id(id: u8) -> Option<&'static PersonalParameters> {
		KNOWN_PERSONAL_SETS.into_iter().find(|p| p.wire_id == id)
	}

	/// The LWE dimension of a score: the GLWE secret key (k = 1) read as an LWE key.
	pub const fn lwe_dimension(&self) -> LweDimension {
		LweDimension(self.polynomial_size.0)
	}

	/// Largest Σ|weight| a model can have: every weight at its limit.
	pub fn max_weight_l1(&self) -> u64 {
		self.max_features.0 as u64 * self.max_abs_weight as u64
	}

	/// Worst-case |noise| of a score computed with weights of L1 norm `weight_l1`.
	pub fn score_noise_bound(&self, weight_l1: u64) -> u128 {
		(weight_l1 as u128) << self.noise_bound_log2
	}

	/// Largest |noise| that still decrypts correctly (Δ/2).
	pub fn decryption_noise_limit(&self) -> u128 {
		1u128 << (self.delta_log2 - 1)
	}

	// The encoded sizes of this set's objects. The wire decoders and every caller that bounds a
	// download (the evaluator, the `custodia` client) use these, so no other size limit exists.

	/// Bytes of an encoded record of `features` features: header, seed (u128), count (u16), and
	/// one u64 body per feature.
	pub const fn record_len(&self, features: FeatureCount) -> usize {
		WIRE_HEADER_LEN + 16 + 2 + 8 * features.0
	}

	/// Bytes of the largest record this set allows.
	pub const fn max_record_len(&self) -> usize {
		self.record_len(self.max_features)
	}

	/// Bytes of an encoded score: header and N + 1 u64 (mask, then body).
	pub const fn score_len(&self) -> usize {
		WIRE_HEADER_LEN + 8 * (self.lwe_dimension().0 + 1)
	}

	/// Bytes of an encoded secret key: header and N key bits packed 8 per byte.
	pub const fn secret_key_len(&self) -> usize {
		WIRE_HEADER_LEN + self.polynomial_size.0.div_ceil(8)
	}
}

/// The largest `$len` over every known parameter set, as a constant (const fns cannot call
/// through function pointers, hence a macro).
macro_rules! max_over_known_sets {
	($len:ident) => {{
		let (mut max, mut i) = (0, 0);
		while i < KNOWN_PERSONAL_SETS.len() {
			let len = KNOWN_PERSONAL_SETS[i].$len();
			if len > max {
				max = len;
			}
			i += 1;
		}
		max
	}};
}

/// Largest encoded record of any known parameter set: the most bytes a record decoder reads.
pub const MAX_RECORD_BYTES: usize = max_over_known_sets!(max_record_len);
/// Largest encoded score of any known parameter set: the most bytes a score decoder reads.
pub const MAX_SCORE_BYTES: usize = max_over_known_sets!(score_len);
/// Largest encoded secret key of any known parameter set.
pub const MAX_SECRET_KEY_BYTES: usize = max_over_known_sets!(secret_key_len);

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn personal_v1_noise_budget_holds_at_its_limits() {
		let p = PERSONAL_V1;
		assert_eq!(p.max_weight_l1(), 1 << 15);
		assert!(p.score_noise_bound(p.max_weight_l1()) < p.decryption_noise_limit());
		// Largest message: every feature and weight at its limit.
		let max_message =
			(p.max_weight_l1() as i128) * (p.max_abs_feature as i128) + p.max_abs_bias as i128;
		assert!(max_message < 1i128 << (64 - p.delta_log2 - 1));
	}

	#[test]
	fn personal_v1_object_sizes() {
		assert_eq!(
			PERSONAL_V1.record_len(FeatureCount(20)),
			185,
			"a 20-feature record stays under 1 KB"
		);
		assert_eq!(MAX_RECORD_BYTES, 7 + 16 + 2 + 32 * 8);
		assert_eq!(MAX_SCORE_BYTES, 7 + 2049 * 8);
		assert_eq!(MAX_SECRET_KEY_BYTES, 7 + 2048 / 8);
	}

	#[test]
	fn wire_ids_resolve_to_their_set() {
		assert_eq!(PersonalParameters::from_wire_id(1), Some(&PERSONAL_V1));
		assert_eq!(PersonalParameters::from_wire_id(0), None);
		assert_eq!(PersonalParameters::from_wire_id(2), None);
	}
}
