//! Exact products `a·v` in `Z_{2^128}[X]/(X^N + 1)` of one fixed polynomial `a` by many binary
//! polynomials `v`, in O(N log N).
//!
//! Compact public-key encryption multiplies the public key by a fresh binary polynomial for
//! every record. tfhe 1.8.2 does this with a schoolbook convolution (O(N²): 5 ms per record at
//! N = 4096). Here `a` is cut into 16-bit limbs and each limb is multiplied in floating point
//! with tfhe's own FFT (`tfhe-fft`); every limb product has integer coefficients below
//! 2^16 · N = 2^28, far inside f64's 53-bit mantissa, so rounding recovers it exactly and the
//! limbs recombine to the exact product mod 2^128. Nothing here is random or secret-dependent
//! in its control flow: it is plain arithmetic, checked against tfhe's schoolbook product.
//!
//! The negacyclic product uses the usual folding: over ℂ, `X^N + 1` factors through
//! `X^{N/2} − i`; substituting `X = ωY` with `ω = e^{iπ/N}` turns reduction mod `X^{N/2} − i` into
//! a cyclic convolution of length N/2, which one complex FFT of that size computes.

use dyn_stack::{PodBuffer, PodStack};
use tfhe_fft::{
	c64,
	ordered::FftAlgo,
	unordered::{Method, Plan},
};

/// Bits per limb. 16 keeps every limb product below 2^28 for N ≤ 4096, so f64 rounding error
/// (≈ 2^-20 here) never reaches ½.
const LIMB_BITS: u32 = 16;
const LIMBS: usize = (128 / LIMB_BITS) as usize;

/// Multiplies a fixed polynomial by binary polynomials.
pub struct BinaryProduct {
	degree: usize,
	plan: Plan,
	/// ω^j for j < N/2.
	twist: Vec<c64>,
	/// The folded, twisted spectrum of each 16-bit limb of the fixed polynomial.
	limb_spectra: Vec<Vec<c64>>,
}

impl BinaryProduct {
	/// Prepares products by `fixed`, whose length N must be a power of two from 4 to 4096.
	pub fn new(fixed: &[u128]) -> Self {
		let degree = fixed.len();
		assert!(degree.is_power_of_two() && (4..=4096).contains(&degree), "unsupported degree {degree}");
		let half = degree / 2;
		// Unordered: spectra are only multiplied pointwise, so their order does not matter. A fixed
		// algorithm: `Method::Measure` would time every candidate at start-up.
		let plan = Plan::new(half, Method::UserProvided { base_algo: FftAlgo::Dif4, base_n: half.min(1024) });
		let twist = (0..half)
			.map(|j| {
				let angle = core::f64::consts::PI * j as f64 / degree as f64;
				c64::new(angle.cos(), angle.sin())
			})
			.collect();
		let mut product = Self { degree, plan, twist, limb_spectra: Vec::with_capacity(LIMBS) };
		let mut stack = PodBuffer::new(product.plan.fft_scratch());
		for limb in 0..LIMBS {
			let shift = LIMB_BITS * limb as u32;
			let mut spectrum = product.fold(|j| ((fixed[j] >> shift) & 0xffff) as f64);
			product.plan.fwd(&mut spectrum, PodStack::new(&mut stack));
			product.limb_spectra.push(spectrum);
		}
		product
	}

	/// `fixed · binary mod (X^N + 1)` with wrapping (mod 2^128) coefficients. Every coefficient of
	/// `binary` must be 0 or 1.
	pub fn mul(&self, binary: &[u128]) -> Vec<u128> {
		assert_eq!(binary.len(), self.degree, "binary polynomial of the wrong degree");
		debug_assert!(binary.iter().all(|&b| b <= 1), "coefficients must be 0 or 1");
		let half = self.degree / 2;
		let mut stack = PodBuffer::new(self.plan.fft_scratch());
		let mut binary_spectrum = self.fold(|j| binary[j] as f64);
		self.plan.fwd(&mut binary_spectrum, PodStack::new(&mut stack));

		let mut product = vec![0u128; self.degree];
		let mut buffer = vec![c64::default(); half];
		let scale = 1.0 / half as f64;
		for (limb, spectrum) in self.limb_spectra.iter().enumerate() {
			buffer.iter_mut().zip(spectrum).zip(&binary_spectrum).for_each(|((out, x), y)| *out = x * y);
			self.plan.inv(&mut buffer, PodStack::new(&mut stack));
			let shift = LIMB_BITS * limb as u32;
			for (j, (value, twist)) in buffer.iter().zip(&self.twist).enumerate() {
				let untwisted = value * twist.conj() * scale;
				let low = untwisted.re.round() as i64 as i128 as u128;
				let high = untwisted.im.round() as i64 as i128 as u128;
				product[j] = product[j].wrapping_add(low << shift);
				product[j + half] = product[j + half].wrapping_add(high << shift);
			}
		}
		product
	}

	/// The folded, twisted vector `(p_j + i·p_{j+N/2})·ω^j` of a real polynomial given by `coefficient`.
	fn fold(&self, coefficient: impl Fn(usize) -> f64) -> Vec<c64> {
		let half = self.degree / 2;
		(0..half).map(|j| c64::new(coefficient(j), coefficient(j + half)) * self.twist[j]).collect()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use tfhe::core_crypto::{
		algorithms::polynomial_algorithms::polynomial_wrapping_add_mul_assign,
		commons::math::random::{DefaultRandomGenerator, RandomGenerator, Seed, Uniform},
		entities::Polynomial,
	};

	fn schoolbook(fixed: &[u128], binary: &[u128]) -> Vec<u128> {
		let mut out = Polynomial::from_container(vec![0u128; fixed.len()]);
		polynomial_wrapping_add_mul_assign(
			&mut out,
			&Polynomial::from_container(fixed),
			&Polynomial::from_container(binary),
		);
		out.into_container()
	}

	fn random_case(degree: usize, seed: u128) -> (Vec<u128>, Vec<u128>) {
		let mut generator = RandomGenerator::<DefaultRandomGenerator>::new(Seed(seed));
		let mut fixed = vec![0u128; degree];
		generator.fill_slice_with_random_from_distribution(&mut fixed, Uniform);
		let mut binary = vec![0u128; degree];
		generator.fill_slice_with_random_uniform_binary_bits(&mut binary);
		(fixed, binary)
	}

	#[test]
	fn equals_tfhe_schoolbook_product_at_every_supported_degree() {
		for (degree, seed) in [(4, 1), (16, 2), (256, 3), (2048, 4), (4096, 5), (4096, 6)] {
			let (fixed, binary) = random_case(degree, seed);
			assert_eq!(BinaryProduct::new(&fixed).mul(&binary), schoolbook(&fixed, &binary), "N = {degree}");
		}
	}

	#[test]
	fn worst_case_magnitudes_are_exact() {
		// Every limb at its maximum and every binary coefficient 1: the largest limb products.
		let fixed = vec![u128::MAX; 4096];
		let binary = vec![1u128; 4096];
		assert_eq!(BinaryProduct::new(&fixed).mul(&binary), schoolbook(&fixed, &binary));
	}

	#[test]
	fn multiplying_by_x_to_the_k_rotates_negacyclically() {
		let (fixed, _) = random_case(16, 7);
		let product = BinaryProduct::new(&fixed);
		let mut monomial = vec![0u128; 16];
		monomial[3] = 1;
		let rotated = product.mul(&monomial);
		for j in 0..16 {
			let expected = if j >= 3 { fixed[j - 3] } else { fixed[j + 13].wrapping_neg() };
			assert_eq!(rotated[j], expected, "coefficient {j}");
		}
	}
}
