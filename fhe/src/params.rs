//! Named, frozen parameter sets. A set is never changed once released: a new set gets a new
//! name and a new wire id, and old ones stay decodable.
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
//!
//! ## `COHORT_V1` — cohort statistics under a dealer-free consortium key
//! | | |
//! |---|---|
//! | LWE dimension n | 4096; each key holder's secret is binary, the joint secret is their sum |
//! | modulus q | 2¹²⁸ (native, u128) |
//! | key and encryption noise | TUniform(24) |
//! | scaling Δ | 2⁹²: aggregates are signed integers in [−2³⁵, 2³⁵) |
//! | flooding noise per partial decryption | TUniform(87) |
//! | limits | ≤ 8 key holders, ≤ 64 fields per record, \|field\| < 2¹³, ≤ 2²¹ records per aggregate |
//! | stored record | coefficients rounded to their top 112 bits (14 bytes each) |
//!
//! **Security (≥ 128 bits).** The HE Security Standard allows log₂ q ≤ 109 at n = 4096 with
//! σ ≈ 3.2, i.e. log₂(q/σ) ≤ 107.3. TUniform(24) has σ = 2²⁴/√3 ≈ 2²³·², so log₂(q/σ) ≈ 104.8,
//! 2.5 bits inside the limit (the margin covers the binary rather than ternary secret). Each key
//! holder publishes an RLWE sample `b_j = a·s_j + e_j` with the common mask `a` derived from an
//! on-chain seed; the joint key Σ b_j is computable from the shares, so it reveals nothing the
//! shares do not (the common-reference-string setting of multiparty HE, Mouchet et al. 2021).
//!
//! **Noise budget (probabilistic, tail 2⁻²⁰⁰ or less).** A record decrypted under the joint secret
//! s = Σ s_j (entries ≤ t) carries (e·r)ᵢ + e2ᵢ − ⟨e1, s⟩ plus rounding from compression; with
//! t = 8 its variance is ≤ (n/2·t + n·E[s²] + 1)·σ² + n·E[s²]·2³⁰/3 ≈ 2⁶²·⁹, σ_rec ≈ 2³¹·⁴. An
//! aggregate of 2²¹ records has σ ≈ 2⁴¹·⁹ and stays below B = 2⁴⁶·² except with probability
//! < 2⁻²⁰⁰ (19 σ). Each holder floods its partial decryption with TUniform(87): by the smudging
//! lemma the share's distribution moves by at most B / 2⁸⁷ < 2⁻⁴⁰ (40-bit statistical security).
//! The combined noise ≤ B + 8·2⁸⁷ < 2⁹¹ = Δ/2, so the aggregate decrypts exactly.

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

/// Parameters of the cohort (consortium-key) linear path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CohortParameters {
	/// Name used in errors and documentation.
	pub name: &'static str,
	/// Identifier of this set in the wire format.
	pub wire_id: u8,
	/// LWE dimension of every key holder's secret (and of the compact public key).
	pub lwe_dimension: usize,
	/// log₂ of the TUniform bound of key and encryption noise.
	pub noise_bound_log2: u32,
	/// log₂ of the TUniform bound of each partial decryption's flooding noise.
	pub flooding_bound_log2: u32,
	/// log₂ of the scaling factor Δ.
	pub delta_log2: u32,
	/// Most key holders of one consortium key.
	pub max_holders: usize,
	/// Most fields in one record.
	pub max_fields: usize,
	/// Fields must satisfy |value| ≤ this.
	pub max_abs_field: i64,
	/// Most records in one aggregate.
	pub max_records: u64,
	/// Low bits of every coefficient dropped when a record is stored.
	pub dropped_bits: u32,
}

/// The cohort parameter set of Custodia 1.x (see the module documentation).
pub const COHORT_V1: CohortParameters = CohortParameters {
	name: "COHORT_V1_LWE4096_Q128_TUNIFORM24_FLOOD87",
	wire_id: 2,
	lwe_dimension: 4096,
	noise_bound_log2: 24,
	flooding_bound_log2: 87,
	delta_log2: 92,
	max_holders: 8,
	max_fields: 64,
	max_abs_field: (1 << 13) - 1,
	max_records: 1 << 21,
	dropped_bits: 16,
};

impl CohortParameters {
	/// The parameter set with this wire id, if this build knows it.
	pub fn from_wire_id(id: u8) -> Option<&'static CohortParameters> {
		(id == COHORT_V1.wire_id).then_some(&COHORT_V1)
	}

	/// Bytes of one stored coefficient.
	pub fn stored_coefficient_bytes(&self) -> usize {
		(128 - self.dropped_bits as usize) / 8
	}

	/// Variance (log₂) of one record's decryption noise with `holders` key holders.
	pub fn record_noise_variance_log2(&self, holders: usize) -> f64 {
		let n = self.lwe_dimension as f64;
		let t = holders as f64;
		let sigma2 = (2f64.powi(self.noise_bound_log2 as i32)).powi(2) / 3.0;
		// Entries of s = Σ s_j, s_j binary uniform: E[s²] = t/2 + t(t−1)/4.
		let s2 = t / 2.0 + t * (t - 1.0) / 4.0;
		let rounding2 = 2f64.powi(2 * (self.dropped_bits as i32 - 1)) / 3.0;
		((n / 2.0 * t + n * s2 + 1.0) * sigma2 + n * s2 * rounding2).log2()
	}

	/// log₂ of the bound B on an aggregate's noise (19 σ over `max_records` records).
	pub fn aggregate_noise_bound_log2(&self) -> f64 {
		let variance = self.record_noise_variance_log2(self.max_holders) + (self.max_records as f64).log2();
		variance / 2.0 + 19f64.log2()
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
	fn cohort_v1_noise_budget_and_smudging_margin_hold() {
		let p = COHORT_V1;
		let bound = p.aggregate_noise_bound_log2();
		assert!(bound < 46.3, "aggregate noise bound 2^{bound}");
		// 40-bit statistical security of every partial decryption.
		assert!(p.flooding_bound_log2 as f64 - bound >= 40.0);
		// B + t·2^flood < Δ/2.
		let total = 2f64.powf(bound) + p.max_holders as f64 * 2f64.powi(p.flooding_bound_log2 as i32);
		assert!(total < 2f64.powi(p.delta_log2 as i32 - 1));
		// The largest aggregate fits the signed message space.
		let largest = p.max_records as i128 * p.max_abs_field as i128;
		assert!(largest < 1i128 << (128 - p.delta_log2 - 1));
		// Security: log2(q / sigma) within the HE standard's 107.3 at n = 4096.
		let sigma_log2 = p.noise_bound_log2 as f64 - 3f64.sqrt().log2();
		assert!(128.0 - sigma_log2 <= 107.3 - 2.0);
	}

	#[test]
	fn wire_ids_resolve_to_their_set() {
		assert_eq!(CohortParameters::from_wire_id(2), Some(&COHORT_V1));
		assert_eq!(CohortParameters::from_wire_id(1), None);
		assert_eq!(PersonalParameters::from_wire_id(1), Some(&PERSONAL_V1));
		assert_eq!(PersonalParameters::from_wire_id(0), None);
	}
}
