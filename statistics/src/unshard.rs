//! Anyone: adds the aggregators' noisy shares up into the published values.
//!
//! [`unshard`] refuses to publish anything partial: it needs exactly one share from each of the
//! epoch's aggregators, all for the same schema, statistic, number of reports and ε. Totals are
//! read as signed integers (noise can take a small count below zero); a mean is the noisy sum
//! over the noisy count. Every published value comes with the noise it carries
//! ([`NoiseScale`]).

use crate::{
	noise::{noise_scales, AggregateShare, Epsilon, NoiseScale},
	schema::{Schema, Statistic},
	Error,
};
use prio::field::{Field128, FieldElement, FieldElementWithInteger};

/// Published values of a statistic.
#[derive(Clone, Debug, PartialEq)]
#[allow(missing_docs)] // fields described on each variant
pub enum Value {
	/// The noisy number of reports.
	Count(i128),
	/// The noisy sum of each field.
	Sum(Vec<i128>),
	/// The noisy sums, the noisy count and their ratio (`None` if the noisy count is ≤ 0).
	Mean { sums: Vec<i128>, count: i128, means: Vec<Option<f64>> },
	/// The noisy bucket counts of each field.
	Histogram(Vec<Vec<i128>>),
}

/// A published statistic.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
	/// What was asked.
	pub statistic: Statistic,
	/// Number of valid reports the aggregators summed (the cohort size k is compared with).
	pub reports: u64,
	/// ε spent.
	pub epsilon: Epsilon,
	/// Number of aggregators (each added its own noise).
	pub aggregators: usize,
	/// The noise of each segment of the values.
	pub noise: Vec<NoiseScale>,
	/// The values.
	pub value: Value,
}

/// A field element as a signed integer: values above p/2 are negative.
pub fn to_signed(x: Field128) -> i128 {
	let v = u128::from(x);
	let p = Field128::modulus();
	if v > p / 2 {
		-((p - v) as i128)
	} else {
		v as i128
	}
}

/// Sums the aggregate shares of every aggregator into the published statistic.
pub fn unshard(schema: &Schema, shares: &[AggregateShare]) -> Result<Published, Error> {
	let first = shares.first().ok_or(Error::MissingAggregateShare(0))?;
	let n = first.aggregators as usize;
	let layout = schema.layout(n)?;
	let disagree = |what: &str| Err(Error::SharesDisagree(what.into()));
	let mut seen = vec![false; n];
	for s in shares {
		if s.schema != layout.schema_id {
			return disagree("a share is for another schema");
		}
		if s.statistic != first.statistic
			|| s.reports != first.reports
			|| s.epsilon != first.epsilon
		{
			return disagree("statistic, number of reports or ε differ");
		}
		if s.aggregators as usize != n || s.values.len() != first.values.len() {
			return disagree("number of aggregators or of values differ");
		}
		let i = s.aggregator as usize;
		if i >= n || std::mem::replace(&mut seen[i], true) {
			return disagree("two shares from the same aggregator");
		}
	}
	if let Some(i) = seen.iter().position(|s| !s) {
		return Err(Error::MissingAggregateShare(i));
	}
	let noise = noise_scales(&layout, &first.statistic, first.epsilon)?;
	let expected = noise.last().map_or(0, |s| s.values.end);
	if first.values.len() != expected {
		return disagree("the values do not match the statistic");
	}
	let mut total = vec![Field128::zero(); expected];
	for s in shares {
		total.iter_mut().zip(&s.values).for_each(|(t, v)| *t += *v);
	}
	let totals: Vec<i128> = total.into_iter().map(to_signed).collect();
	let value = match &first.statistic {
		Statistic::Count => Value::Count(totals[0]),
		Statistic::Sum { .. } => Value::Sum(totals),
		Statistic::Mean { fields } => {
			let count = totals[fields.len()];
			let sums = totals[..fields.len()].to_vec();
			let means =
				sums.iter().map(|&s| (count > 0).then(|| s as f64 / count as f64)).collect();
			Value::Mean { sums, count, means }
		},
		Statistic::Histogram { .. } => {
			Value::Histogram(noise.iter().map(|seg| totals[seg.values.clone()].to_vec()).collect())
		},
	};
	Ok(Published {
		statistic: first.statistic.clone(),
		reports: first.reports,
		epsilon: first.epsilon,
		aggregators: n,
		noise,
		value,
	})
}
