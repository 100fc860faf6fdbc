//! Between the chain's types and the engine's: schemas, statistics, ε and aggregate shares.
//!
//! The schema conversion decides every report's binding: its id ([`Schema::id`]) is hashed
//! from the engine schema, so the worker and every client must build it the same way —
//! [`Schema::from_parts`] with the category named as the runtime metadata names its
//! `DataCategory` variant ([`category_name`]).

use custodia_primitives::{
	consent::DataCategory,
	statistics::{
		EpsilonMillis, NoiseSegment, ReportId, SchemaField, StatisticKind, StatisticSchema,
	},
};
use custodia_statistics::{
	noise::{noise_scales, plan, AggregateShare, Epsilon},
	schema::{Layout, Schema, Statistic},
	store::cohort_hash,
};
use sp_core::H256;

use super::{chain::ShareSubmission, Error};

/// The name of a data category in an engine schema: its `DataCategory` variant name, e.g.
/// `PublicHealthCaseReports` (what the metadata and the client use).
pub fn category_name(category: DataCategory) -> String {
	format!("{category:?}")
}

/// The engine's schema of a chain schema.
pub fn engine_schema(
	schema: &StatisticSchema<Vec<SchemaField<Vec<u8>, Vec<u64>>>>,
) -> Result<Schema, custodia_statistics::Error> {
	Schema::from_parts(
		&category_name(schema.category),
		schema
			.fields
			.iter()
			.map(|f| (&f.name[..], &f.unit[..], f.max, f.buckets.as_deref())),
	)
}

/// The engine's statistic of a chain statistic kind.
pub fn engine_statistic(kind: &StatisticKind<Vec<u16>>) -> Statistic {
	match kind {
		StatisticKind::Count => Statistic::Count,
		StatisticKind::Sum(fields) => Statistic::Sum { fields: fields.clone() },
		StatisticKind::Mean(fields) => Statistic::Mean { fields: fields.clone() },
		StatisticKind::Histogram(fields) => Statistic::Histogram { fields: fields.clone() },
	}
}

/// ε of a job (thousandths) as the engine takes it.
pub fn epsilon(millis: EpsilonMillis) -> Result<Epsilon, Error> {
	Ok(Epsilon::new(millis.0, 1000)?)
}

/// The chain's submission of an aggregate share over `cohort`: the share's values as `u128`,
/// the cohort's hash, and its noise per segment. A segment's ε is the job's ε divided by the
/// segments that share it, rounded down to a thousandth so that the segments never claim
/// more than the job spends (the pallet checks it); a segment whose ε rounds to 0 cannot be
/// described on chain ([`Error::ChainBound`]).
pub fn chain_share(
	layout: &Layout,
	statistic: &Statistic,
	epsilon_millis: EpsilonMillis,
	cohort: &[ReportId],
	share: &AggregateShare,
) -> Result<ShareSubmission, Error> {
	let scales = noise_scales(layout, statistic, epsilon(epsilon_millis)?)?;
	let segments = plan(layout, statistic)?;
	let noise = segments
		.iter()
		.zip(&scales)
		.map(|(segment, scale)| {
			let epsilon = epsilon_millis.0 / segment.split.max(1);
			if epsilon == 0 {
				return Err(Error::ChainBound("a noise segment's ε (below a thousandth)"));
			}
			Ok(NoiseSegment {
				values: u16::try_from(scale.values.len())
					.map_err(|_| Error::ChainBound("a noise segment's value count"))?,
				sensitivity: scale.sensitivity,
				epsilon: EpsilonMillis(epsilon),
				// Saturating: an f64 beyond u64 becomes u64::MAX.
				total_std_dev_millis: (scale.total_std_dev * 1000.0).round() as u64,
			})
		})
		.collect::<Result<Vec<_>, _>>()?;
	Ok(ShareSubmission {
		reports: u32::try_from(share.reports)
			.map_err(|_| Error::ChainBound("the number of reports"))?,
		cohort_hash: H256(cohort_hash(cohort)),
		values: share.values.iter().map(|v| u128::from(*v)).collect(),
		noise,
	})
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use custodia_primitives::statistics::{field_add, field_to_signed, FIELD128_MODULUS};
	use custodia_statistics::prio::field::{Field128, FieldElement, FieldElementWithInteger};

	fn field(
		name: &[u8],
		unit: &[u8],
		max: u64,
		buckets: Option<Vec<u64>>,
	) -> SchemaField<Vec<u8>, Vec<u64>> {
		SchemaField { name: name.to_vec(), unit: unit.to_vec(), max, buckets }
	}

	pub(crate) fn chain_schema() -> StatisticSchema<Vec<SchemaField<Vec<u8>, Vec<u64>>>> {
		StatisticSchema {
			category: DataCategory::VitalSigns,
			fields: vec![
				field(b"age", b"a", 120, Some(vec![18, 40, 65])),
				field(b"systolic", b"mm[Hg]", 250, None),
				field(b"smoker", b"", 1, Some(vec![1])),
			],
		}
	}

	#[test]
	fn the_field128_modulus_on_chain_is_prio_s() {
		assert_eq!(FIELD128_MODULUS, Field128::modulus());
		assert_eq!(Field128::from(FIELD128_MODULUS - 1) + Field128::one(), Field128::zero());
	}

	#[test]
	fn the_chain_s_field_arithmetic_agrees_with_prio_on_edge_cases() {
		let p = FIELD128_MODULUS;
		let edges =
			[0, 1, 2, p / 2 - 1, p / 2, p / 2 + 1, p - 2, p - 1, 1 << 64, (1 << 127) - 1, 1 << 127];
		for &a in &edges {
			for &b in &edges {
				let prio = u128::from(Field128::from(a) + Field128::from(b));
				assert_eq!(field_add(a, b), prio, "{a} + {b}");
			}
			// The engine reads totals as signed the same way.
			assert_eq!(
				field_to_signed(a),
				custodia_statistics::unshard::to_signed(Field128::from(a)),
				"{a}"
			);
		}
		assert_eq!(field_to_signed(p - 1), -1);
		assert_eq!(field_to_signed(p / 2), (p / 2) as i128);
		assert_eq!(field_to_signed(p / 2 + 1), -((p / 2) as i128));
		// Noise below zero: a total of 3 + (p − 5) reads −2.
		assert_eq!(field_to_signed(field_add(3, p - 5)), -2);
		// Random elements.
		for pair in Field128::random_vector(2000).chunks(2) {
			let (a, b) = (u128::from(pair[0]), u128::from(pair[1]));
			assert_eq!(field_add(a, b), u128::from(pair[0] + pair[1]));
		}
	}

	#[test]
	fn a_chain_schema_becomes_the_engine_schema_named_by_its_category_variant() {
		let schema = engine_schema(&chain_schema()).unwrap();
		assert_eq!(schema.category, "VitalSigns");
		assert_eq!(schema.fields[0].buckets, Some(vec![18, 40, 65]));
		assert_eq!(schema.fields[1].unit, "mm[Hg]");
		assert_eq!(category_name(DataCategory::PublicHealthCaseReports), "PublicHealthCaseReports");
		for category in DataCategory::ALL {
			assert!(!category_name(category).is_empty() && !category_name(category).contains(' '));
		}
		let mut bad = chain_schema();
		bad.fields[0].name = vec![0xff];
		assert!(engine_schema(&bad).is_err());
		bad.fields[0].name = b"age".to_vec();
		bad.fields[0].buckets = Some(vec![40, 18]);
		assert!(engine_schema(&bad).is_err());
	}

	#[test]
	fn every_statistic_kind_maps_to_the_engine_s() {
		assert_eq!(engine_statistic(&StatisticKind::Count), Statistic::Count);
		assert_eq!(
			engine_statistic(&StatisticKind::Sum(vec![1, 0])),
			Statistic::Sum { fields: vec![1, 0] }
		);
		assert_eq!(
			engine_statistic(&StatisticKind::Mean(vec![1])),
			Statistic::Mean { fields: vec![1] }
		);
		assert_eq!(
			engine_statistic(&StatisticKind::Histogram(vec![0, 2])),
			Statistic::Histogram { fields: vec![0, 2] }
		);
	}

	#[test]
	fn a_share_maps_to_the_chain_with_its_noise_segments_within_the_job_s_epsilon() {
		use custodia_statistics::store::CohortAggregate;
		let layout = engine_schema(&chain_schema()).unwrap().layout(2).unwrap();
		let cohort = [[2u8; 16], [1; 16]];
		let summed = CohortAggregate {
			values: vec![Field128::from(5u128); layout.output_len],
			reports: 2,
			missing: vec![],
		};
		for (kind, millis, segments) in [
			(Statistic::Count, 1000, vec![(1, 1000)]),
			(Statistic::Mean { fields: vec![1, 0] }, 999, vec![(2, 499), (1, 499)]),
			(Statistic::Histogram { fields: vec![0, 2] }, 1001, vec![(4, 500), (2, 500)]),
		] {
			let share = AggregateShare::new(
				&layout,
				1,
				&kind,
				&summed,
				epsilon(EpsilonMillis(millis)).unwrap(),
			)
			.unwrap();
			let chain =
				chain_share(&layout, &kind, EpsilonMillis(millis), &cohort, &share).unwrap();
			assert_eq!(chain.reports, 2);
			assert_eq!(chain.cohort_hash, H256(cohort_hash(&[[1; 16], [2; 16]])));
			assert_eq!(
				chain.values,
				share.values.iter().map(|v| u128::from(*v)).collect::<Vec<_>>()
			);
			assert!(chain.values.iter().all(|v| *v < FIELD128_MODULUS));
			let got: Vec<(u16, u32)> =
				chain.noise.iter().map(|s| (s.values, s.epsilon.0)).collect();
			assert_eq!(got, segments.iter().map(|&(v, e)| (v, e)).collect::<Vec<_>>(), "{kind:?}");
			// What the pallet checks: the segments cover the values and spend at most ε.
			assert_eq!(
				chain.noise.iter().map(|s| s.values as usize).sum::<usize>(),
				chain.values.len()
			);
			assert!(chain.noise.iter().map(|s| s.epsilon.0).sum::<u32>() <= millis);
			let scales =
				noise_scales(&layout, &kind, epsilon(EpsilonMillis(millis)).unwrap()).unwrap();
			for (segment, scale) in chain.noise.iter().zip(&scales) {
				assert_eq!(segment.sensitivity, scale.sensitivity);
				assert_eq!(
					segment.total_std_dev_millis,
					(scale.total_std_dev * 1000.0).round() as u64
				);
			}
		}
		// ε too small to split among three histograms in thousandths.
		let kind = Statistic::Histogram { fields: vec![0, 2] };
		let share =
			AggregateShare::new(&layout, 0, &kind, &summed, epsilon(EpsilonMillis(1)).unwrap())
				.unwrap();
		assert!(matches!(
			chain_share(&layout, &kind, EpsilonMillis(1), &cohort, &share),
			Err(Error::ChainBound(_))
		));
		assert!(epsilon(EpsilonMillis(0)).is_err());
	}
}
