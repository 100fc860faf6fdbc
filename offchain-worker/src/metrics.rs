//! The worker's Prometheus metrics (`custodia_worker_*`), on the node's metrics endpoint.

use substrate_prometheus_endpoint::{register, Counter, Gauge, PrometheusError, Registry, U64};

/// Queue lengths and activity of the worker.
pub struct Metrics {
	/// Targets (records, vaults) the chain requires this steward to pin.
	pub pins_required: Gauge<U64>,
	/// Ended targets whose unpin this steward has not confirmed on chain yet.
	pub unpins_pending: Gauge<U64>,
	/// IPFS calls that failed (the round is retried).
	pub ipfs_failures: Counter<U64>,
	/// Extrinsics the worker submitted to the pool.
	pub extrinsics_submitted: Counter<U64>,
	/// The last block the worker acted on.
	pub last_block: Gauge<U64>,
	/// Prediction jobs waiting for this evaluator.
	pub jobs_pending: Gauge<U64>,
	/// Verification batches waiting for this aggregator.
	pub aggregator_batches_awaiting: Gauge<U64>,
	/// Statistic jobs waiting for this aggregator's aggregate share.
	pub aggregator_jobs_awaiting: Gauge<U64>,
}

impl Metrics {
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			pins_required: register(
				Gauge::new("custodia_worker_pins_required", "Records and vaults the chain requires this steward to pin")?,
				registry,
			)?,
			unpins_pending: register(
				Gauge::new("custodia_worker_unpins_pending", "Ended records and vaults whose unpin is not confirmed on chain yet")?,
				registry,
			)?,
			ipfs_failures: register(
				Counter::new("custodia_worker_ipfs_failures_total", "IPFS calls that failed (retried at the next block)")?,
				registry,
			)?,
			extrinsics_submitted: register(
				Counter::new("custodia_worker_extrinsics_submitted_total", "Extrinsics the worker submitted to the transaction pool")?,
				registry,
			)?,
			last_block: register(Gauge::new("custodia_worker_last_block", "The last block the worker acted on")?, registry)?,
			jobs_pending: register(Gauge::new("custodia_worker_jobs_pending", "Prediction jobs waiting for this evaluator")?, registry)?,
			aggregator_batches_awaiting: register(
				Gauge::new(
					"custodia_worker_aggregator_batches_awaiting",
					"Verification batches waiting for this aggregator's verifier shares or confirmation",
				)?,
				registry,
			)?,
			aggregator_jobs_awaiting: register(
				Gauge::new("custodia_worker_aggregator_jobs_awaiting", "Statistic jobs waiting for this aggregator's aggregate share")?,
				registry,
			)?,
		})
	}
}
