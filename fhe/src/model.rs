//! Linear disease-prediction models (PMHE's "tuple template") and their evaluation on
//! encrypted features.
//!
//! A model is public and auditable: per feature a name, a unit and the affine encoding
//! `round((value − offset) · scale)` into a fixed-point integer, then integer weights and a bias.
//! Its score is `Σ wᵢ·xᵢ + b`, a fixed-point logit (`logit = score · score_unit`): the class is
//! `score ≥ 0` (probability ≥ 0.5). Evaluating it on a [`PersonalRecord`] needs additions and
//! plaintext multiplications only, so it is exact, fast and byte-identical on every machine.

use serde::{Deserialize, Serialize};
use tfhe::core_crypto::prelude::*;

use crate::{
	params::{FeatureCount, FeatureIndex, PersonalParameters},
	personal::{check_features, encode, EncryptedScore, PersonalRecord},
	Error,
};

/// How one input is turned into a fixed-point integer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
	/// What the feature is, e.g. `"resting blood pressure"`.
	pub name: String,
	/// Unit of the raw value, e.g. `"mm Hg"`.
	pub unit: String,
	/// Subtracted before scaling (usually the training mean).
	pub offset: f64,
	/// Multiplied after the offset (fixed-point units per raw unit).
	pub scale: f64,
}

/// The public description of a linear model, as registered on chain and stored in IPFS.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelTemplate {
	pub features: Vec<FeatureSpec>,
	pub weights: Vec<i64>,
	pub bias: i64,
	/// Logit per unit of score: `1 / (feature scale unit · weight scale)`.
	pub score_unit: f64,
	/// What a positive class means, e.g. `"heart disease (num > 0)"`.
	pub outcome: String,
	/// Where the model comes from: data set, training method, split.
	pub provenance: String,
}

/// A validated model, ready to encode inputs and evaluate encrypted records.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearModel {
	params: &'static PersonalParameters,
	template: ModelTemplate,
}

impl LinearModel {
	/// Checks a template against the parameter set's bounds, so that every score it computes
	/// on a valid record decrypts exactly.
	pub fn new(
		params: &'static PersonalParameters,
		template: ModelTemplate,
	) -> Result<Self, Error> {
		let count = FeatureCount(template.weights.len());
		if count.0 == 0 {
			return Err(Error::NoFeatures);
		}
		if count > params.max_features {
			return Err(Error::TooManyFeatures {
				given: count,
				max: params.max_features,
				params: params.name,
			});
		}
		if template.features.len() != count.0 {
			return Err(Error::FeatureCountMismatch {
				expected: count,
				given: FeatureCount(template.features.len()),
			});
		}
		if let Some((index, &value)) = template
			.weights
			.iter()
			.enumerate()
			.find(|(_, w)| w.unsigned_abs() > params.max_abs_weight as u64)
		{
			return Err(Error::WeightOutOfRange {
				index: FeatureIndex(index),
				value,
				limit: params.max_abs_weight,
			});
		}
		if template.bias.unsigned_abs() > params.max_abs_bias as u64 {
			return Err(Error::BiasOutOfRange { value: template.bias, limit: params.max_abs_bias });
		}
		if let Some((index, bad)) = template
			.features
			.iter()
			.enumerate()
			.find(|(_, f)| !(f.scale.is_finite() && f.offset.is_finite()))
		{
			return Err(Error::NonFiniteEncoding {
				index: FeatureIndex(index),
				name: bad.name.clone(),
			});
		}
		if !(template.score_unit.is_finite() && template.score_unit > 0.0) {
			return Err(Error::InvalidScoreUnit { score_unit: template.score_unit });
		}
		Ok(Self { params, template })
	}

	/// The public template.
	pub fn template(&self) -> &ModelTemplate {
		&self.template
	}

	/// Number of input features.
	pub fn feature_count(&self) -> FeatureCount {
		FeatureCount(self.template.weights.len())
	}

	/// Encodes raw values into fixed-point features. Values beyond the representable range are
	/// clamped to it (the plaintext and the encrypted path clamp identically).
	pub fn encode(&self, values: &[f64]) -> Result<Vec<i64>, Error> {
		self.check_record_shape(FeatureCount(values.len()))?;
		let limit = self.params.max_abs_feature as f64;
		values
			.iter()
			.zip(&self.template.features)
			.enumerate()
			.map(|(index, (&value, spec))| {
				if !value.is_finite() {
					return Err(Error::NonFiniteFeatureValue {
						index: FeatureIndex(index),
						name: spec.name.clone(),
						value,
					});
				}
				Ok(((value - spec.offset) * spec.scale).round().clamp(-limit, limit) as i64)
			})
			.collect()
	}

	/// The score of encoded features, computed in the clear (the reference the encrypted
	/// evaluation must match exactly).
	pub fn score_plain(&self, features: &[i64]) -> Result<i64, Error> {
		self.check_record_shape(FeatureCount(features.len()))?;
		check_features(self.params, features)?;
		Ok(features.iter().zip(&self.template.weights).map(|(x, w)| x * w).sum::<i64>()
			+ self.template.bias)
	}

	/// Evaluates the model on an encrypted record; only the record's owner can decrypt the result.
	pub fn evaluate(&self, record: &PersonalRecord) -> Result<EncryptedScore, Error> {
		if record.params() != self.params {
			return Err(Error::WrongParameters {
				expected: self.params.wire_id,
				found: record.params().wire_id,
			});
		}
		self.check_record_shape(record.feature_count())?;
		// Σ wᵢ·mᵢ is the constant coefficient of M(X)·W(X) with W = w₀ − Σᵢ₌₁ wᵢ·X^(N−i), because
		// Xⁱ·X^(N−i) = X^N = −1 in Z[X]/(X^N + 1). Multiplying the ciphertext (A, B) by the public
		// W multiplies its plaintext (and noise) by W; extracting coefficient 0 gives an LWE
		// ciphertext of the score. Extraction reads all of A·W but only coefficient 0 of B·W,
		// which is Σ wᵢ·bᵢ. W has one term per feature, so the products are sparse.
		// Negative weights wrap modulo 2⁶⁴, i.e. multiply by −|w|.
		let n = self.params.polynomial_size.0;
		let record_glwe = record.expand();
		let mask = record_glwe.get_mask();
		let mask = mask.as_polynomial_list();
		let mask = mask.get(0);
		let mut product = GlweCiphertext::new(
			0u64,
			GlweSize(2),
			self.params.polynomial_size,
			CiphertextModulus::new_native(),
		);
		{
			let (mut out_mask, mut out_body) = product.get_mut_mask_and_body();
			let out_mask = out_mask.as_mut();
			for (i, &w) in self.template.weights.iter().enumerate() {
				let (degree, coefficient) = if i == 0 {
					(MonomialDegree(0), w as u64)
				} else {
					(MonomialDegree(n - i), (w as u64).wrapping_neg())
				};
				add_monomial_product(out_mask, mask.as_ref(), degree, coefficient);
			}
			out_body.as_mut()[0] = record
				.bodies
				.iter()
				.zip(&self.template.weights)
				.fold(0u64, |acc, (b, &w)| acc.wrapping_add(b.wrapping_mul(w as u64)));
		}
		let mut score = LweCiphertext::new(
			0u64,
			self.params.lwe_dimension().to_lwe_size(),
			CiphertextModulus::new_native(),
		);
		extract_lwe_sample_from_glwe_ciphertext(&product, &mut score, MonomialDegree(0));
		lwe_ciphertext_plaintext_add_assign(
			&mut score,
			Plaintext(encode(self.params, self.template.bias)),
		);
		Ok(EncryptedScore { params: self.params, data: score.into_container() })
	}

	/// The logit a score stands for.
	pub fn logit(&self, score: i64) -> f64 {
		score as f64 * self.template.score_unit
	}

	/// The probability of the positive class (sigmoid of the logit).
	pub fn probability(&self, score: i64) -> f64 {
		1.0 / (1.0 + (-self.logit(score)).exp())
	}

	/// The predicted class: positive when the probability is at least one half.
	pub fn class(score: i64) -> bool {
		score >= 0
	}

	fn check_record_shape(&self, given: FeatureCount) -> Result<(), Error> {
		if given != self.feature_count() {
			return Err(Error::FeatureCountMismatch { expected: self.feature_count(), given });
		}
		Ok(())
	}
}

/// out += coefficient · X^degree · a in Z_{2⁶⁴}[X]/(X^N + 1) (negacyclic: wrapped terms flip sign).
/// `degree` is typed so that it cannot be swapped with the (u64) coefficient.
fn add_monomial_product(
	out: &mut [u64],
	a: &[u64],
	MonomialDegree(degree): MonomialDegree,
	coefficient: u64,
) {
	let n = a.len();
	for (o, x) in out[degree..].iter_mut().zip(&a[..n - degree]) {
		*o = o.wrapping_add(x.wrapping_mul(coefficient));
	}
	for (o, x) in out[..degree].iter_mut().zip(&a[n - degree..]) {
		*o = o.wrapping_sub(x.wrapping_mul(coefficient));
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{params::PERSONAL_V1, personal::PersonalSecretKey};

	fn spec(i: usize) -> FeatureSpec {
		FeatureSpec { name: format!("f{i}"), unit: "u".into(), offset: 0.0, scale: 1.0 }
	}

	fn template(weights: Vec<i64>, bias: i64) -> ModelTemplate {
		ModelTemplate {
			features: (0..weights.len()).map(spec).collect(),
			weights,
			bias,
			score_unit: 1.0 / 1024.0,
			outcome: "test".into(),
			provenance: "unit test".into(),
		}
	}

	#[test]
	fn encrypted_score_equals_plaintext_score_at_the_noise_budget_limit() {
		// 32 features, every |x| and |w| at its limit, Σ|w| = 2¹⁵ exactly: the worst case.
		let weights: Vec<i64> = (0..32).map(|i| if i % 2 == 0 { 1024 } else { -1024 }).collect();
		let model = LinearModel::new(&PERSONAL_V1, template(weights, -(1 << 28))).unwrap();
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		let features: Vec<i64> = (0..32).map(|i| if i % 2 == 0 { 4096 } else { -4096 }).collect();
		let expected = model.score_plain(&features).unwrap();
		assert_eq!(expected, 32 * 1024 * 4096 - (1 << 28));
		let record = key.encrypt(&features).unwrap();
		let score = model.evaluate(&record).unwrap();
		assert_eq!(key.decrypt_score(&score).unwrap(), expected);
	}

	#[test]
	fn monomial_product_matches_tfhe_polynomial_multiplication() {
		use tfhe::core_crypto::algorithms::polynomial_algorithms::polynomial_wrapping_mul;
		let n = 16;
		let a: Vec<u64> = (0..n as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
		for degree in [0, 1, 7, 15] {
			let coefficient = 0xFFFF_FFFF_FFFF_FFF3u64; // −13
			let mut ours = vec![0u64; n];
			add_monomial_product(&mut ours, &a, MonomialDegree(degree), coefficient);
			let mut monomial = Polynomial::new(0u64, PolynomialSize(n));
			monomial.as_mut()[degree] = coefficient;
			let mut expected = Polynomial::new(0u64, PolynomialSize(n));
			polynomial_wrapping_mul(
				&mut expected,
				&Polynomial::from_container(a.clone()),
				&monomial,
			);
			assert_eq!(ours, expected.into_container(), "degree {degree}");
		}
	}

	#[test]
	fn evaluation_is_deterministic() {
		let model = LinearModel::new(&PERSONAL_V1, template(vec![3, -5, 7], 11)).unwrap();
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		let record = key.encrypt(&[100, -200, 300]).unwrap();
		assert_eq!(model.evaluate(&record).unwrap(), model.evaluate(&record).unwrap());
		assert_eq!(
			key.decrypt_score(&model.evaluate(&record).unwrap()).unwrap(),
			300 + 1000 + 2100 + 11
		);
	}

	#[test]
	fn models_outside_the_bounds_are_rejected() {
		assert_eq!(
			LinearModel::new(&PERSONAL_V1, template(vec![1025], 0)),
			Err(Error::WeightOutOfRange { index: FeatureIndex(0), value: 1025, limit: 1024 })
		);
		assert_eq!(
			LinearModel::new(
				&PERSONAL_V1,
				template(vec![1024; 32].into_iter().chain([1]).collect(), 0)
			)
			.unwrap_err(),
			Error::TooManyFeatures {
				given: FeatureCount(33),
				max: FeatureCount(32),
				params: PERSONAL_V1.name
			}
		);
		assert_eq!(
			LinearModel::new(&PERSONAL_V1, template(vec![1], 1 << 29)),
			Err(Error::BiasOutOfRange { value: 1 << 29, limit: 1 << 28 })
		);
		let mut mismatched = template(vec![1, 2], 0);
		mismatched.features.pop();
		assert_eq!(
			LinearModel::new(&PERSONAL_V1, mismatched),
			Err(Error::FeatureCountMismatch { expected: FeatureCount(2), given: FeatureCount(1) })
		);
		let mut infinite = template(vec![1, 2], 0);
		infinite.features[1].scale = f64::INFINITY;
		assert_eq!(
			LinearModel::new(&PERSONAL_V1, infinite),
			Err(Error::NonFiniteEncoding { index: FeatureIndex(1), name: "f1".into() })
		);
		let mut negative_unit = template(vec![1], 0);
		negative_unit.score_unit = -1.0;
		assert_eq!(
			LinearModel::new(&PERSONAL_V1, negative_unit),
			Err(Error::InvalidScoreUnit { score_unit: -1.0 })
		);
		assert_eq!(LinearModel::new(&PERSONAL_V1, template(vec![], 0)), Err(Error::NoFeatures));
	}

	#[test]
	fn a_record_of_the_wrong_size_is_rejected() {
		let model = LinearModel::new(&PERSONAL_V1, template(vec![1, 2], 0)).unwrap();
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		let record = key.encrypt(&[1, 2, 3]).unwrap();
		assert_eq!(
			model.evaluate(&record),
			Err(Error::FeatureCountMismatch { expected: FeatureCount(2), given: FeatureCount(3) })
		);
	}

	#[test]
	fn encoding_applies_offset_and_scale_and_clamps() {
		let mut t = template(vec![1, 1], 0);
		t.features[0] =
			FeatureSpec { name: "age".into(), unit: "years".into(), offset: 50.0, scale: 10.0 };
		let model = LinearModel::new(&PERSONAL_V1, t).unwrap();
		assert_eq!(model.encode(&[63.0, 1e9]).unwrap(), vec![130, 4096]);
		assert!(matches!(
			model.encode(&[f64::NAN, 0.0]),
			Err(Error::NonFiniteFeatureValue { index: FeatureIndex(0), value, .. }) if value.is_nan()
		));
	}

	#[test]
	fn class_and_probability_follow_the_sign_of_the_score() {
		let model = LinearModel::new(&PERSONAL_V1, template(vec![1], 0)).unwrap();
		assert!(LinearModel::class(0));
		assert!(!LinearModel::class(-1));
		assert_eq!(model.probability(0), 0.5);
		assert!(model.probability(1024) > 0.73 && model.probability(1024) < 0.74);
	}
}
