//! The evaluator's cohort-statistics work (Vanin et al., dealer-free): the joint public key of a
//! key epoch, the encrypted aggregate of a statistic's cohort, and the publication of the
//! statistic's plaintext values once every key holder's decryption share is in.
//!
//! Everything here is deterministic — sums of ciphertexts in a canonical wire format, and the
//! exact integers the shares decrypt to — so honest evaluators submit identical bytes and the
//! chain's quorum can compare hashes. An input that fails its hash or does not decode is a
//! reason to fail a joint key (it is built from every share), but only to leave one record out
//! of an aggregate: one person's bad upload must not block everyone's statistic.

use std::collections::BTreeMap;

use custodia_fhe::{
	cohort::{Aggregate, CohortRecord, DecryptionShare, JointPublicKey, PublicKeyShare},
	params::COHORT_V1,
	wire::FORMAT_VERSION,
};
use custodia_primitives::fhe::{
	EpochSummary, FailureReason, HolderShare, IpfsRef, Statistic, StatisticInput,
};

use crate::{
	evaluator::{blocking, fetch_checked, store, Verdict},
	ipfs::{Ipfs, IpfsError},
	LOG_TARGET,
};

/// The largest public-key or decryption share read (a COHORT_V1 public-key share is 65,561 bytes).
const MAX_SHARE_BYTES: usize = 128 * 1024;
/// The largest aggregate read (64 fields under COHORT_V1: 66,577 bytes).
const MAX_AGGREGATE_BYTES: usize = 128 * 1024;
/// The largest FHE section read (64 fields under COHORT_V1: 58,247 bytes).
const MAX_SECTION_BYTES: usize = 128 * 1024;

/// The 128-bit seed the FHE engine takes, from the chain's 32-byte common seed: its first 16
/// bytes, little-endian (the seed is public; it only has to be the same for every holder).
pub fn engine_seed(common_seed: &[u8; 32]) -> u128 {
	u128::from_le_bytes(common_seed[..16].try_into().expect("16 of 32 bytes"))
}

/// The joint public key of `epoch`: the sum of its holders' public-key shares, each checked
/// against its hash, its holder index (the holder's position in the epoch) and the epoch's seed.
pub async fn joint_key(ipfs: &dyn Ipfs, epoch: &EpochSummary<impl Sized, impl Sized>) -> Result<Verdict, IpfsError> {
	let seed = engine_seed(&epoch.epoch.common_seed);
	let mut shares = Vec::with_capacity(epoch.epoch.holders.len());
	for (index, holder) in epoch.epoch.holders.iter().enumerate() {
		// The pallet creates the job only once every share is in.
		let Some(share) = &holder.share else { return Ok(Verdict::Failed(FailureReason::Other)) };
		let Some(bytes) = fetch_checked(ipfs, share).await? else {
			return Ok(Verdict::Failed(FailureReason::InputHashMismatch));
		};
		match PublicKeyShare::from_bytes(&bytes, MAX_SHARE_BYTES) {
			Ok(share) if usize::from(share.holder()) == index && share.common_seed() == seed => shares.push(share),
			_ => return Ok(Verdict::Failed(FailureReason::MalformedInput)),
		}
	}
	let Ok(key) = blocking(move || JointPublicKey::combine(&shares).map(|key| key.to_bytes())).await? else {
		return Ok(Verdict::Failed(FailureReason::MalformedInput));
	};
	let (cid, hash) = store(ipfs, key).await?;
	Ok(Verdict::Computed { cid, hash, cohort_size: None })
}

/// The records that can be summed into one aggregate: the sections that hold `field` in this
/// engine's wire format, and of those the most common field count (records of one category
/// share a layout; the rest cannot be added to it). Ties go to the smaller count.
fn one_layout<A>(inputs: Vec<StatisticInput<A>>, field: u16) -> (u16, Vec<StatisticInput<A>>) {
	let usable = |i: &StatisticInput<A>| i.section.fields > field && i.section.format_version == u16::from(FORMAT_VERSION);
	let mut counts = BTreeMap::<u16, usize>::new();
	inputs.iter().filter(|i| usable(i)).for_each(|i| *counts.entry(i.section.fields).or_default() += 1);
	let layout = counts
		.iter()
		.max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
		.map_or(field.saturating_add(1), |(fields, _)| *fields);
	(layout, inputs.into_iter().filter(|i| usable(i) && i.section.fields == layout).collect())
}

/// The encrypted aggregate of a statistic's inputs. A histogram needs comparisons, which the
/// additive scheme cannot do: it fails with `UnsupportedParameters`.
pub async fn aggregate<A>(
	ipfs: &dyn Ipfs,
	statistic: &Statistic<Vec<i64>>,
	field: u16,
	inputs: Vec<StatisticInput<A>>,
) -> Result<Verdict, IpfsError> {
	if matches!(statistic, Statistic::Histogram { .. }) {
		return Ok(Verdict::Failed(FailureReason::UnsupportedParameters));
	}
	let (layout, inputs) = one_layout(inputs, field);
	let mut sections = Vec::with_capacity(inputs.len());
	for input in &inputs {
		let Some(object) = fetch_checked(ipfs, &input.object).await? else {
			log::warn!(target: LOG_TARGET, "record {} left out: its content does not match its hash", input.record);
			continue;
		};
		let (start, length) = (input.section.offset as usize, input.section.length as usize);
		match object.get(start..start.saturating_add(length)) {
			Some(section) => sections.push((input.record, section.to_vec())),
			None => log::warn!(target: LOG_TARGET, "record {} left out: its FHE section lies outside the object", input.record),
		}
	}
	let (bytes, records) = blocking(move || {
		let mut aggregate = Aggregate::new(&COHORT_V1, usize::from(layout));
		for (record, section) in sections {
			let added = CohortRecord::from_bytes(&section, MAX_SECTION_BYTES).and_then(|r| aggregate.add(&r));
			if let Err(e) = added {
				log::warn!(target: LOG_TARGET, "record {record} left out: {e}");
			}
		}
		(aggregate.to_bytes(), aggregate.records())
	})
	.await?;
	let (cid, hash) = store(ipfs, bytes).await?;
	Ok(Verdict::Computed { cid, hash, cohort_size: Some(records as u32) })
}

/// What the decryption shares of an agreed aggregate give.
#[derive(Debug, PartialEq, Eq)]
pub enum Publication {
	/// The values to publish (see [`Statistic`] for their meaning).
	Values(Vec<i128>),
	/// They cannot be combined (a share or the aggregate is bad); the job will time out.
	Impossible(String),
}

/// The plaintext values of a statistic from its agreed aggregate and every holder's share of
/// `field`: count → `[records]`, sum → `[sum]`, mean → `[sum, records]`.
pub async fn publication(
	ipfs: &dyn Ipfs,
	statistic: &Statistic<Vec<i64>>,
	field: u16,
	aggregate: &IpfsRef<Vec<u8>>,
	shares: &[HolderShare<impl Sized, Vec<u8>>],
) -> Result<Publication, IpfsError> {
	let Some(bytes) = fetch_checked(ipfs, aggregate).await? else {
		return Ok(Publication::Impossible("the aggregate does not match its hash".into()));
	};
	let Ok(aggregate) = Aggregate::from_bytes(&bytes, MAX_AGGREGATE_BYTES) else {
		return Ok(Publication::Impossible("the aggregate does not decode".into()));
	};
	let mut decoded = Vec::with_capacity(shares.len());
	for (index, slot) in shares.iter().enumerate() {
		let Some(share) = &slot.share else { return Ok(Publication::Impossible(format!("holder {index} has no share"))) };
		let Some(bytes) = fetch_checked(ipfs, share).await? else {
			return Ok(Publication::Impossible(format!("the share of holder {index} does not match its hash")));
		};
		match DecryptionShare::from_bytes(&bytes, MAX_SHARE_BYTES) {
			Ok(share) if usize::from(share.holder()) == index => decoded.push(share),
			_ => return Ok(Publication::Impossible(format!("the share of holder {index} is malformed"))),
		}
	}
	let records = i128::from(aggregate.records());
	let sum = match blocking(move || aggregate.combine_field(usize::from(field), &decoded)).await? {
		Ok(sum) => i128::from(sum),
		Err(e) => return Ok(Publication::Impossible(format!("the shares do not combine: {e}"))),
	};
	Ok(Publication::Values(match statistic {
		Statistic::Count => vec![records],
		Statistic::Sum => vec![sum],
		Statistic::Mean => vec![sum, records],
		Statistic::Histogram { .. } => return Ok(Publication::Impossible("histograms are not computed".into())),
	}))
}

#[cfg(test)]
mod tests {
	use super::*;
	use custodia_primitives::vaults::FheSection;

	fn input(record: u64, fields: u16) -> StatisticInput<u8> {
		StatisticInput {
			subject: 0,
			record,
			object: IpfsRef { cid: vec![], hash: Default::default() },
			section: FheSection { format_version: FORMAT_VERSION.into(), key_epoch: 0, offset: 0, length: 0, fields },
		}
	}

	#[test]
	fn one_layout_takes_the_most_common_field_count_that_holds_the_field() {
		let records = |(_, inputs): (u16, Vec<StatisticInput<u8>>)| inputs.iter().map(|i| i.record).collect::<Vec<_>>();
		let inputs = || vec![input(1, 6), input(2, 3), input(3, 6), input(4, 3), input(5, 3), input(6, 2)];
		assert_eq!(one_layout(inputs(), 0).0, 3);
		assert_eq!(records(one_layout(inputs(), 0)), vec![2, 4, 5]);
		// Field 3 exists only in the 6-field records.
		assert_eq!(records(one_layout(inputs(), 3)), vec![1, 3]);
		// A tie goes to the smaller layout.
		assert_eq!(one_layout(vec![input(1, 6), input(2, 4)], 0).0, 4);
		// Another wire format version is never summed.
		let mut other = input(9, 3);
		other.section.format_version = 99;
		assert!(one_layout(vec![other], 0).1.is_empty());
		assert_eq!(one_layout::<u8>(Vec::new(), 4), (5, Vec::new()));
	}

	#[test]
	fn the_engine_seed_is_the_first_16_bytes_little_endian() {
		let mut seed = [0u8; 32];
		seed[0] = 1;
		seed[31] = 0xff;
		assert_eq!(engine_seed(&seed), 1);
	}
}
