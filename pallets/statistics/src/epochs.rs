// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Schemas and aggregator epochs: what governance sets up, and how an epoch becomes active.

use super::*;
use pallet_consortium::{ConsortiumInterface, MemberKind};

impl<T: Config> Pallet<T> {
	/// The most bucket boundaries of any field of `schema` (for the weight).
	pub(crate) fn most_boundaries(schema: &StatisticSchemaOf<T>) -> u32 {
		schema
			.fields
			.iter()
			.map(|f| f.buckets.as_ref().map_or(0, |b| b.len() as u32))
			.max()
			.unwrap_or(0)
	}

	/// A genesis schema, bounded; `None` when it exceeds a bound.
	pub(crate) fn bounded_schema(schema: &GenesisSchema) -> Option<StatisticSchemaOf<T>> {
		let fields = schema
			.fields
			.iter()
			.map(|f| {
				Some(SchemaField {
					name: f.name.clone().try_into().ok()?,
					unit: f.unit.clone().try_into().ok()?,
					max: f.max,
					buckets: match &f.buckets {
						Some(b) => Some(b.clone().try_into().ok()?),
						None => None,
					},
				})
			})
			.collect::<Option<Vec<_>>>()?;
		Some(StatisticSchema { category: schema.category, fields: fields.try_into().ok()? })
	}

	/// Check a schema: at least one field; names non-empty and distinct; `1 ≤ max ≤ 2^48 − 1`;
	/// bucket boundaries, when given, non-empty, strictly increasing, within `1..=max`.
	pub(crate) fn validate_schema(schema: &StatisticSchemaOf<T>) -> DispatchResult {
		ensure!(!schema.fields.is_empty(), Error::<T>::EmptySchema);
		ensure!(schema.fields.iter().all(|f| !f.name.is_empty()), Error::<T>::EmptyFieldName);
		let mut names: Vec<&[u8]> = schema.fields.iter().map(|f| f.name.as_slice()).collect();
		names.sort_unstable();
		names.dedup();
		ensure!(names.len() == schema.fields.len(), Error::<T>::DuplicateFieldName);
		for field in schema.fields.iter() {
			ensure!((1..=MAX_FIELD_VALUE).contains(&field.max), Error::<T>::FieldMaxOutOfRange);
			if let Some(buckets) = &field.buckets {
				let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
					return Err(Error::<T>::InvalidBuckets.into());
				};
				ensure!(
					*first >= 1 && *last <= field.max && buckets.windows(2).all(|w| w[0] < w[1]),
					Error::<T>::InvalidBuckets
				);
			}
		}
		Ok(())
	}

	/// Store a validated schema as its category's current one, superseding the previous one.
	/// Returns the new id and the superseded one.
	pub(crate) fn insert_schema(schema: StatisticSchemaOf<T>) -> (SchemaId, Option<SchemaId>) {
		let category = schema.category;
		let supersedes = SchemaOfCategory::<T>::get(category);
		if let Some(old) = supersedes {
			Schemas::<T>::mutate(old, |info| {
				if let Some(info) = info {
					info.superseded = true;
				}
			});
		}
		let id = NextSchemaId::<T>::get();
		NextSchemaId::<T>::put(id.saturating_add(1));
		Schemas::<T>::insert(
			id,
			SchemaInfo { schema, registered_at: Self::now(), superseded: false },
		);
		SchemaOfCategory::<T>::insert(category, id);
		(id, supersedes)
	}

	pub(crate) fn do_register_schema(
		schema: StatisticSchemaOf<T>,
	) -> Result<SchemaId, DispatchError> {
		Self::validate_schema(&schema)?;
		let category = schema.category;
		let (id, supersedes) = Self::insert_schema(schema);
		Self::deposit_event(Event::SchemaRegistered { schema: id, category, supersedes });
		Ok(id)
	}

	/// Check an aggregator list: at least `MinAggregators`, each named once.
	pub(crate) fn check_aggregator_list(aggregators: &AggregatorsOf<T>) -> DispatchResult {
		ensure!(
			aggregators.len() as u32 >= T::MinAggregators::get(),
			Error::<T>::TooFewAggregators
		);
		let mut sorted: Vec<&T::AccountId> = aggregators.iter().collect();
		sorted.sort_unstable();
		sorted.dedup();
		ensure!(sorted.len() == aggregators.len(), Error::<T>::DuplicateAggregator);
		Ok(())
	}

	pub(crate) fn do_start_aggregator_epoch(
		aggregators: AggregatorsOf<T>,
	) -> Result<AggregatorEpochId, DispatchError> {
		Self::check_aggregator_list(&aggregators)?;
		ensure!(
			aggregators
				.iter()
				.all(|a| T::Consortium::is_active_member(a, MemberKind::Evaluator)),
			Error::<T>::NotActiveEvaluator
		);
		let (epoch, cancelled) = Self::open_epoch(aggregators.clone());
		if let Some(cancelled) = cancelled {
			Self::deposit_event(Event::AggregatorEpochCancelled { epoch: cancelled });
		}
		Self::deposit_event(Event::AggregatorEpochStarted { epoch, aggregators });
		Ok(epoch)
	}

	/// Start an epoch collecting keys as the pending epoch, cancelling the one being set up.
	/// Returns the new epoch and the cancelled one. Emits no event (genesis calls it too).
	pub(crate) fn open_epoch(
		aggregators: AggregatorsOf<T>,
	) -> (AggregatorEpochId, Option<AggregatorEpochId>) {
		let cancelled = PendingEpoch::<T>::take();
		if let Some(previous) = cancelled {
			AggregatorEpochs::<T>::mutate(previous, |e| {
				if let Some(e) = e {
					e.status = EpochStatus::Cancelled;
				}
			});
		}
		let id = NextEpochId::<T>::get();
		NextEpochId::<T>::put(id.saturating_add(1));
		let slots = aggregators
			.into_iter()
			.map(|account| AggregatorSlot { account, key: None, contribution: None })
			.collect::<Vec<_>>();
		AggregatorEpochs::<T>::insert(
			id,
			AggregatorEpoch {
				aggregators: BoundedVec::truncate_from(slots),
				status: EpochStatus::CollectingKeys,
				started_at: Self::now(),
				activated_at: None,
			},
		);
		PendingEpoch::<T>::put(id);
		(id, cancelled)
	}

	/// Returns the number of aggregators of the epoch, for the weight.
	pub(crate) fn do_submit_aggregator_key(
		who: T::AccountId,
		epoch: AggregatorEpochId,
		key: HpkePublicKey,
	) -> Result<u32, DispatchError> {
		let mut e = AggregatorEpochs::<T>::get(epoch).ok_or(Error::<T>::NoSuchEpoch)?;
		ensure!(e.status == EpochStatus::CollectingKeys, Error::<T>::EpochNotCollectingKeys);
		let slot = e
			.aggregators
			.iter_mut()
			.find(|s| s.account == who)
			.ok_or(Error::<T>::NotAnAggregator)?;
		ensure!(slot.key.is_none(), Error::<T>::KeyAlreadySubmitted);

		// All checks passed: write.
		slot.key = Some(key);
		let complete = e.aggregators.iter().all(|s| s.key.is_some());
		if complete {
			e.status = EpochStatus::CollectingContributions;
		}
		let aggregators = e.aggregators.len() as u32;
		AggregatorEpochs::<T>::insert(epoch, e);
		Self::deposit_event(Event::AggregatorKeySubmitted { epoch, aggregator: who, key });
		if complete {
			Self::deposit_event(Event::EpochCollectingContributions { epoch });
		}
		Ok(aggregators)
	}

	/// Returns the number of aggregators of the epoch, for the weight.
	pub(crate) fn do_submit_verify_key_contribution(
		who: T::AccountId,
		epoch: AggregatorEpochId,
		contribution: ContributionOf<T>,
	) -> Result<u32, DispatchError> {
		let mut e = AggregatorEpochs::<T>::get(epoch).ok_or(Error::<T>::NoSuchEpoch)?;
		ensure!(!contribution.is_empty(), Error::<T>::EmptyContribution);
		ensure!(
			e.status == EpochStatus::CollectingContributions,
			Error::<T>::EpochNotCollectingContributions
		);
		let slot = e
			.aggregators
			.iter_mut()
			.find(|s| s.account == who)
			.ok_or(Error::<T>::NotAnAggregator)?;
		ensure!(slot.contribution.is_none(), Error::<T>::ContributionAlreadySubmitted);

		// All checks passed: write.
		slot.contribution = Some(contribution);
		let complete = e.aggregators.iter().all(|s| s.contribution.is_some());
		let aggregators = e.aggregators.len() as u32;
		let mut retired = None;
		if complete {
			let now = Self::now();
			retired = ActiveEpoch::<T>::get();
			if let Some(previous) = retired {
				AggregatorEpochs::<T>::mutate(previous, |p| {
					if let Some(p) = p {
						p.status = EpochStatus::Retired;
					}
				});
			}
			e.status = EpochStatus::Active;
			e.activated_at = Some(now);
			ActiveEpoch::<T>::put(epoch);
			if PendingEpoch::<T>::get() == Some(epoch) {
				PendingEpoch::<T>::kill();
			}
		}
		AggregatorEpochs::<T>::insert(epoch, e);
		Self::deposit_event(Event::VerifyKeyContributionSubmitted { epoch, aggregator: who });
		if complete {
			Self::deposit_event(Event::EpochActivated { epoch, retired });
		}
		Ok(aggregators)
	}
}
