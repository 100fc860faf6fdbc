//! Differential privacy: each aggregator's noisy aggregate share of one statistic.
//!
//! A statistic's values are cut into **segments**, each released with the crate's own noise
//! (`prio::dp`, discrete Laplace from a `PureDpBudget`, added by
//! `AggregatorWithNoise::add_noise_to_agg_share` on a Prio3 instance whose circuit has exactly
//! the segment's shape, so the crate computes the L1 sensitivity itself):
//!
//! | statistic | segments | sensitivity (substitution, L1) | ε of the segment |
//! |---|---|---|---|
//! | `Count` | presence total | 2 (prio's histogram bound) | ε |
//! | `Sum{f…}` | the sums of the k fields | k·(2^b − 1), b = bits of the largest `max` | ε |
//! | `Mean{f…}` | the k sums; the count | as `Sum`; 2 | ε/2 each |
//! | `Histogram{f…}` | one per field (its buckets) | 2 each | ε/k each |
//!
//! By basic composition the statistic is ε-DP with respect to one person's report, **from each
//! aggregator's noise alone**: every aggregator adds a full discrete Laplace draw of scale
//! `s = sensitivity / ε_segment` to its share, so the published sum carries `n` independent
//! draws (variance `n · 2e^{−1/s}/(1 − e^{−1/s})²`, about `2n·s²`), and the guarantee holds while
//! any one aggregator is honest (post-processing of its draw). The chain charges ε (not n·ε)
//! to the requester's budget per published statistic: an honest aggregator's noise is what the
//! guarantee rests on, the others' only add accuracy loss. [`NoiseScale`] records `s` and the
//! total standard deviation for every segment of a published value.

use crate::{
	schema::{Layout, Statistic},
	store::CohortAggregate,
	wire::{self, Kind},
	Error,
};
use prio::{
	dp::{
		distributions::PureDpDiscreteLaplace, DifferentialPrivacyStrategy, PureDpBudget, Rational,
	},
	field::Field128,
	vdaf::{
		prio3::{Prio3Histogram, Prio3SumVec},
		AggregateShare as PrioAggregateShare, AggregatorWithNoise,
	},
};

/// ε as a fraction `num / den` (both non-zero), as governance stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Epsilon {
	/// Numerator.
	pub num: u32,
	/// Denominator.
	pub den: u32,
}

impl Epsilon {
	/// ε = num / den; both must be non-zero.
	pub fn new(num: u32, den: u32) -> Result<Self, Error> {
		if num == 0 || den == 0 {
			return Err(Error::Privacy(format!("ε = {num}/{den} is not a positive fraction")));
		}
		Ok(Epsilon { num, den })
	}

	/// ε as a float, for display.
	pub fn value(self) -> f64 {
		self.num as f64 / self.den as f64
	}
}

/// The shape of a segment, i.e. the Prio3 circuit whose sensitivity applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // fields described on each variant
pub enum View {
	/// Sums of `len` values each in `[0, max]`.
	SumVec { max: u64, len: usize },
	/// A one-hot histogram of `len` buckets.
	Histogram { len: usize },
}

impl View {
	/// The L1 sensitivity prio uses for this shape (see the module doc).
	pub fn sensitivity(self) -> u128 {
		match self {
			View::SumVec { max, len } => {
				let bits = 64 - max.leading_zeros();
				((1u128 << bits) - 1) * len as u128
			},
			View::Histogram { .. } => 2,
		}
	}
}

/// A segment of a statistic's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
	/// Indices into the layout's output vector.
	pub outputs: Vec<usize>,
	/// Its shape.
	pub view: View,
	/// ε of the segment is ε / `split`.
	pub split: u32,
}

/// The noise of one segment of a published statistic.
#[derive(Clone, Debug, PartialEq)]
pub struct NoiseScale {
	/// Range of the statistic's values this applies to.
	pub values: std::ops::Range<usize>,
	/// L1 sensitivity of the segment.
	pub sensitivity: u128,
	/// ε of the segment (ε of the statistic divided by `split`).
	pub epsilon: f64,
	/// Discrete Laplace scale `s = sensitivity / ε` of each aggregator's draw.
	pub scale: f64,
	/// Standard deviation of the total noise of each value (all aggregators' draws).
	pub total_std_dev: f64,
}

/// The segments of `statistic` in `layout` (checked against its schema).
pub fn plan(layout: &Layout, statistic: &Statistic) -> Result<Vec<Segment>, Error> {
	statistic.validate(&layout.schema)?;
	let sums = |fields: &[u16], split| {
		let max = fields.iter().map(|&f| layout.schema.fields[f as usize].max).max().unwrap_or(1);
		Segment {
			outputs: fields.iter().map(|&f| layout.sum_index[f as usize]).collect(),
			view: View::SumVec { max, len: fields.len() },
			split,
		}
	};
	let count = |split| Segment {
		outputs: vec![layout.offsets[0]],
		view: View::Histogram { len: 1 },
		split,
	};
	Ok(match statistic {
		Statistic::Count => vec![count(1)],
		Statistic::Sum { fields } => vec![sums(fields, 1)],
		Statistic::Mean { fields } => vec![sums(fields, 2), count(2)],
		Statistic::Histogram { fields } => fields
			.iter()
			.map(|&f| {
				let range = layout.histogram_range[f as usize].clone().unwrap_or(0..0);
				Segment {
					view: View::Histogram { len: range.len() },
					outputs: range.collect(),
					split: fields.len() as u32,
				}
			})
			.collect(),
	})
}

/// The noise of each segment of `statistic` with `aggregators` aggregators at `epsilon`.
pub fn noise_scales(
	layout: &Layout,
	statistic: &Statistic,
	epsilon: Epsilon,
) -> Result<Vec<NoiseScale>, Error> {
	let mut at = 0;
	plan(layout, statistic)?
		.into_iter()
		.map(|seg| {
			let eps = epsilon.value() / seg.split as f64;
			let sensitivity = seg.view.sensitivity();
			let scale = sensitivity as f64 / eps;
			let p = (-1.0 / scale).exp();
			let variance = 2.0 * p / ((1.0 - p) * (1.0 - p));
			let values = at..at + seg.outputs.len();
			at = values.end;
			Ok(NoiseScale {
				values,
				sensitivity,
				epsilon: eps,
				scale,
				total_std_dev: (variance * layout.aggregators as f64).sqrt(),
			})
		})
		.collect()
}

/// One aggregator's share of one statistic, with its noise: what it submits on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregateShare {
	/// The schema id.
	pub schema: [u8; 32],
	/// The statistic.
	pub statistic: Statistic,
	/// The submitting aggregator.
	pub aggregator: u8,
	/// Number of aggregators of the epoch.
	pub aggregators: u8,
	/// Number of reports summed.
	pub reports: u64,
	/// ε of the statistic.
	pub epsilon: Epsilon,
	/// The noisy share of the statistic's values.
	pub values: Vec<Field128>,
}

/// Most values of one statistic.
pub const MAX_STATISTIC_VALUES: usize =
	crate::schema::MAX_FIELDS * (crate::schema::MAX_BOUNDARIES + 1) + 1;

impl AggregateShare {
	/// Aggregator `aggregator`'s noisy share of `statistic` over a summed cohort.
	pub fn new(
		layout: &Layout,
		aggregator: usize,
		statistic: &Statistic,
		cohort: &CohortAggregate,
		epsilon: Epsilon,
	) -> Result<Self, Error> {
		let mut share = Self::without_noise(layout, aggregator, statistic, cohort, epsilon)?;
		let n = layout.aggregators as u8;
		let vdaf = |e: prio::vdaf::VdafError| Error::Privacy(e.to_string());
		let mut at = 0;
		for seg in plan(layout, statistic)? {
			let den = (epsilon.den as u128)
				.checked_mul(seg.split as u128)
				.ok_or(Error::Privacy("ε overflow".into()))?;
			let eps = Rational::from_unsigned(epsilon.num as u128, den)
				.map_err(|e| Error::Privacy(e.to_string()))?;
			let strategy = PureDpDiscreteLaplace::from_budget(
				PureDpBudget::new(eps).map_err(|e| Error::Privacy(e.to_string()))?,
			);
			let range = at..at + seg.outputs.len();
			at = range.end;
			let mut agg = PrioAggregateShare::from(share.values[range.clone()].to_vec());
			let reports = cohort.reports as usize;
			match seg.view {
				View::SumVec { max, len } => Prio3SumVec::new_sum_vec(n, max as u128, len, 1)
					.map_err(vdaf)?
					.add_noise_to_agg_share(&strategy, &(), &mut agg, reports)
					.map_err(vdaf)?,
				View::Histogram { len } => Prio3Histogram::new_histogram(n, len, 1)
					.map_err(vdaf)?
					.add_noise_to_agg_share(&strategy, &(), &mut agg, reports)
					.map_err(vdaf)?,
			}
			share.values[range].copy_from_slice(agg.as_ref());
		}
		Ok(share)
	}

	/// The share with no noise: only for tests that compare with plaintext exactly.
	pub(crate) fn without_noise(
		layout: &Layout,
		aggregator: usize,
		statistic: &Statistic,
		cohort: &CohortAggregate,
		epsilon: Epsilon,
	) -> Result<Self, Error> {
		if aggregator >= layout.aggregators {
			return Err(Error::AggregatorIndex { index: aggregator, count: layout.aggregators });
		}
		if cohort.values.len() != layout.output_len {
			return Err(Error::Invalid {
				what: "cohort aggregate",
				detail: "wrong length for this layout".into(),
			});
		}
		let epsilon = Epsilon::new(epsilon.num, epsilon.den)?;
		let values = plan(layout, statistic)?
			.iter()
			.flat_map(|s| s.outputs.iter().map(|&i| cohort.values[i]))
			.collect();
		Ok(AggregateShare {
			schema: layout.schema_id,
			statistic: statistic.clone(),
			aggregator: aggregator as u8,
			aggregators: layout.aggregators as u8,
			reports: cohort.reports,
			epsilon,
			values,
		})
	}

	/// The deterministic encoding (wire kind 5): schema (32) | statistic (tag u8, count u16,
	/// count × u16) | aggregator (u8) | aggregators (u8) | reports (u64) | ε num (u32) | ε den
	/// (u32) | values (u16) | values × Field128.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = Vec::new();
		wire::header(&mut out, Kind::AggregateShare);
		out.extend_from_slice(&self.schema);
		self.statistic.put(&mut out);
		out.push(self.aggregator);
		out.push(self.aggregators);
		wire::put_u64(&mut out, self.reports);
		wire::put_u32(&mut out, self.epsilon.num);
		wire::put_u32(&mut out, self.epsilon.den);
		wire::put_u16(&mut out, self.values.len() as u16);
		wire::put_fields(&mut out, &self.values);
		out
	}

	/// Decodes an aggregate share (checked against the schema by [`crate::unshard`]).
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let limit = wire::HEADER_LEN
			+ 32 + 3 + 2 * crate::schema::MAX_FIELDS
			+ 20 + 16 * MAX_STATISTIC_VALUES;
		let mut r = wire::open(bytes, limit, Kind::AggregateShare)?;
		let schema = r.array()?;
		let statistic = Statistic::read(&mut r)?;
		let aggregator = r.u8()?;
		let aggregators = r.u8()?;
		let reports = r.u64()?;
		let epsilon = Epsilon::new(r.u32()?, r.u32()?)?;
		let n = r.count16("value count", MAX_STATISTIC_VALUES)?;
		let values = r.fields(n)?;
		r.finish()?;
		if aggregator >= aggregators {
			return Err(Error::Invalid {
				what: "aggregator index",
				detail: format!("{aggregator} of {aggregators}"),
			});
		}
		Ok(AggregateShare { schema, statistic, aggregator, aggregators, reports, epsilon, values })
	}
}
