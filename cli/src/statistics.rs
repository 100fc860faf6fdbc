//! Private statistics as the client reads them from the chain (`StatisticsApi`): whether the
//! runtime has them, aggregator epochs and registered schemas. Shared by `custodia report` (the
//! person's side), `custodia statistic` (governance and institutions) and `custodia status`.

use subxt::utils::AccountId32;

use crate::{
	chain::Chain,
	codes::Category,
	runtime::{
		custodia::{
			self,
			runtime_types::custodia_primitives::statistics::{AggregatorEpoch, AggregatorSlot},
		},
		DataCategory,
	},
	schema, Error,
};

/// An aggregator epoch as `StatisticsApi` answers it.
pub type ChainEpoch = AggregatorEpoch<u32, Vec<AggregatorSlot<AccountId32, Vec<u8>>>>;

/// An aggregator epoch as the client needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
	pub id: u32,
	/// The aggregators' accounts (SS58), in Prio3 order.
	pub aggregators: Vec<String>,
	/// Their HPKE keys, in the same order; `None` until posted.
	pub keys: Vec<Option<[u8; 32]>>,
	/// Whether each posted its verify-key contribution.
	pub contributed: Vec<bool>,
	/// `CollectingKeys`, `CollectingContributions`, `Active`, `Retired` or `Cancelled`.
	pub status: String,
	pub started_at: u64,
	pub activated_at: Option<u64>,
}

impl Epoch {
	/// An `AggregatorEpoch` with its id.
	pub fn from_chain(id: u32, epoch: ChainEpoch) -> Self {
		let slots = epoch.aggregators;
		Self {
			id,
			aggregators: slots.iter().map(|s| s.account.to_string()).collect(),
			keys: slots.iter().map(|s| s.key).collect(),
			contributed: slots.iter().map(|s| s.contribution.is_some()).collect(),
			// A generated unit variant's `Debug` is its name.
			status: format!("{:?}", epoch.status),
			started_at: epoch.started_at.into(),
			activated_at: epoch.activated_at.map(u64::from),
		}
	}

	/// An `Option<(id, AggregatorEpoch)>` (what `active_epoch` and `pending_epoch` answer).
	pub fn from_option(found: Option<(u32, ChainEpoch)>) -> Option<Self> {
		found.map(|(id, epoch)| Self::from_chain(id, epoch))
	}

	/// Every aggregator's key, in order, or an error naming the first without one.
	pub fn all_keys(&self) -> Result<Vec<[u8; 32]>, String> {
		if self.aggregators.len() < 2 {
			return Err(format!(
				"epoch {} has {} aggregator(s); a report needs at least 2",
				self.id,
				self.aggregators.len()
			));
		}
		self.keys
			.iter()
			.zip(&self.aggregators)
			.map(|(key, who)| {
				key.ok_or_else(|| {
					format!("aggregator {who} of epoch {} has not posted its key", self.id)
				})
			})
			.collect()
	}
}

/// Whether the chain does private statistics (its runtime has `StatisticsApi`).
pub async fn has_statistics(chain: &Chain) -> Result<bool, Error> {
	chain
		.has_runtime_api(&custodia::runtime_apis().statistics_api().active_epoch())
		.await
}

/// Refuses a statistics command on a chain without private statistics.
pub async fn require_statistics(chain: &Chain) -> Result<(), Error> {
	if has_statistics(chain).await? {
		return Ok(());
	}
	Err(Error::Refused(
		"this chain has no private statistics (its runtime lacks StatisticsApi)".into(),
	))
}

/// The active aggregator epoch, if any.
pub async fn active_epoch(chain: &Chain) -> Result<Option<Epoch>, Error> {
	let found = chain.call_api(custodia::runtime_apis().statistics_api().active_epoch()).await?;
	Ok(Epoch::from_option(found))
}

/// The aggregator epoch being set up, if any.
pub async fn pending_epoch(chain: &Chain) -> Result<Option<Epoch>, Error> {
	let found = chain
		.call_api(custodia::runtime_apis().statistics_api().pending_epoch())
		.await?;
	Ok(Epoch::from_option(found))
}

/// The registered schema `id`, or an error naming it.
pub async fn registered_schema(chain: &Chain, id: u32) -> Result<schema::Registered, Error> {
	let info = chain.call_api(custodia::runtime_apis().statistics_api().schema(id)).await?;
	let info = info.ok_or_else(|| {
		Error::Refused(format!(
			"there is no statistic schema {id} (see `custodia statistic schema show`)"
		))
	})?;
	schema::from_chain(id, &info)
		.map_err(|e| Error::Refused(format!("{e:#}; this client cannot use it")))
}

/// The current schema id of a category, if it has one.
pub async fn schema_of(chain: &Chain, category: Category) -> Result<Option<u32>, Error> {
	let category = DataCategory::from(category);
	chain
		.call_api(custodia::runtime_apis().statistics_api().schema_of(category))
		.await
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn epochs_read_from_chain_values() {
		use crate::runtime::custodia::runtime_types::custodia_primitives::statistics::EpochStatus;
		let slot = |b: u8, key: bool| AggregatorSlot {
			account: AccountId32([b; 32]),
			key: key.then_some([b + 1; 32]),
			contribution: None,
		};
		let chain_epoch = AggregatorEpoch {
			aggregators: vec![slot(1, true), slot(3, false)],
			status: EpochStatus::Active,
			started_at: 10,
			activated_at: Some(12),
		};
		let epoch = Epoch::from_option(Some((4, chain_epoch))).unwrap();
		assert_eq!(
			(epoch.id, epoch.status.as_str(), epoch.started_at, epoch.activated_at),
			(4, "Active", 10, Some(12))
		);
		assert_eq!(epoch.aggregators[0], AccountId32([1; 32]).to_string());
		assert_eq!(epoch.keys, vec![Some([2; 32]), None]);
		assert_eq!(epoch.contributed, vec![false, false]);
		assert!(epoch.all_keys().unwrap_err().contains("has not posted its key"));
		assert_eq!(Epoch::from_option(None), None);
	}
}
