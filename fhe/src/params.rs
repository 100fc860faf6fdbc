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

/// Parameters of the personal (individual-key) linear path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonalParameters {
	/// Name used in errors and documentation.
	pub name: &'static str,
	/// Identifier of this set in the wire format.
	pub wire_id: u8,
	/// LWE dimension of the individual's secret key.
	pub lwe_dimension: usize,
	/// log₂ of the TUniform noise bound.
	pub noise_bound_log2: u32,
	/// log₂ of the scaling factor Δ between a message and its plaintext.
	pub delta_log2: u32,
	/// Most features in one record.
	pub max_features: usize,
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
	lwe_dimension: 2048,
	noise_bound_log2: 17,
	delta_log2: 34,
	max_features: 32,
	max_abs_feature: 1 << 12,
	max_abs_weight: 1 << 10,
	max_abs_bias: 1 << 28,
};

impl PersonalParameters {
	/// The parameter set with this wire id, if this build knows it.
	pub fn from_wire_id(id: u8) -> Option<&'static PersonalParameters> {
		(id == PERSONAL_V1.wire_id).then_some(&PERSONAL_V1)
	}

	/// Largest Σ|weight| a model can have: every weight at its limit.
	pub fn max_weight_l1(&self) -> u64 {
		self.max_features as u64 * self.max_abs_weight as u64
	}

	/// Worst-case |noise| of a score computed with weights of L1 norm `weight_l1`.
	pub fn score_noise_bound(&self, weight_l1: u64) -> u128 {
		(weight_l1 as u128) << self.noise_bound_log2
	}

	/// Largest |noise| that still decrypts correctly (Δ/2).
	pub fn decryption_noise_limit(&self) -> u128 {
		1u128 << (self.delta_log2 - 1)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn personal_v1_noise_budget_holds_at_its_limits() {
		let p = PERSONAL_V1;
		assert_eq!(p.max_weight_l1(), 1 << 15);
		assert!(p.score_noise_bound(p.max_weight_l1()) < p.decryption_noise_limit());
		// Largest message: every feature and weight at its limit.
		let max_message = (p.max_weight_l1() as i128) * (p.max_abs_feature as i128) + p.max_abs_bias as i128;
		assert!(max_message < 1i128 << (64 - p.delta_log2 - 1));
	}

	#[test]
	fn wire_ids_resolve_to_their_set() {
		assert_eq!(PersonalParameters::from_wire_id(1), Some(&PERSONAL_V1));
		assert_eq!(PersonalParameters::from_wire_id(0), None);
		assert_eq!(PersonalParameters::from_wire_id(2), None);
	}
}
