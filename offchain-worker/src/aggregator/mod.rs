//! The statistics aggregator (`--aggregator`): this node's part in private cohort statistics
//! on Prio3 (`custodia-statistics`, `pallet-statistics`, `docs/statistics.md`).
//!
//! At each finalized block, for the aggregator epochs that name the worker's account:
//!
//! 1. **Epoch setup.** While the pending epoch collects keys, make (once) and keep this node's
//!    X25519 key for it ([`state`]) and submit `Statistics::submit_aggregator_key`; a key
//!    already on chain must be the stored one. While it collects contributions, seal 32 random
//!    bytes to every aggregator's key (`verify_key::Contribution::generate`) and submit
//!    `Statistics::submit_verify_key_contribution`. Once active, derive the Prio3 verification
//!    key from every contribution (opening the one sealed to this node) and cache it; after a
//!    restart it is derived again from the chain.
//! 2. **Batches** (`StatisticsApi::batches_awaiting`). Until this node has posted: fetch and
//!    verify every report ([`batch::verify`]), submit the `VerifierBatch` with
//!    `Statistics::submit_verifier_shares`. Once every aggregator has posted: finish every
//!    report ([`batch::finish`]), store the valid ones' output shares, submit
//!    `Statistics::confirm_batch` with the rejections.
//! 3. **Statistics** (`StatisticsApi::statistic_jobs_awaiting`). Read the job's cohort at its
//!    `requested_at` block, sum exactly those reports' output shares (never a partial sum:
//!    if one is missing here, the job is left to time out), add discrete Laplace noise for the
//!    job's ε, keep the share on disk, submit `Statistics::submit_aggregate_share`.
//!
//! Everything the node needs again after a restart is on the chain or in [`state`]; the rest
//! (verify keys, layouts, fetched report bytes) is a cache. Each piece of work (an epoch step,
//! a batch step, a job) succeeds or fails alone, by [`Severity`]: a failing IPFS daemon or
//! pool is retried at the next round, a report that cannot be used is rejected with its
//! reason, and what needs the operator (a lost key or store, a pruned state) is logged as an
//! error (once per [`FATAL_LOG_EVERY`] blocks) and retried only every
//! [`RESUBMIT_AFTER`](crate::recent::RESUBMIT_AFTER) blocks, while the chain times the work out
//! with its own reason. A submission that has not landed
//! is made again after [`RESUBMIT_AFTER`](crate::recent::RESUBMIT_AFTER) blocks; the chain refuses duplicates.
//!
//! CPU work (opening shares, `verify_init`, `finish`, summing a cohort, noise) runs on tokio's
//! blocking pool; the role runs as its own task ([`crate::role`]), so the other roles never
//! wait for it.

pub mod batch;
pub mod chain;
pub mod convert;
mod error;
pub mod state;

#[cfg(test)]
mod tests;

use std::{
	collections::BTreeMap,
	path::PathBuf,
	sync::{Arc, Mutex},
	time::Duration,
};

use async_trait::async_trait;
use custodia_ipfs::Ipfs;
use custodia_primitives::statistics::{
	AggregatorEpochId, EpochStatus, ReportId, SchemaId, StatisticJobId,
};
use custodia_runtime::{AccountId, BlockNumber};
use custodia_statistics::{
	aggregator::{BatchEntry, VerifierBatch},
	noise::AggregateShare,
	schema::Layout,
	verify_key::{derive_verify_key, Contribution},
};
use sp_core::H256;
use substrate_prometheus_endpoint::{Gauge, U64};

pub use self::error::{Error, Severity};
use self::{
	batch::{EpochContext, FetchOptions, Fetched, SchemaContext},
	chain::{Batch, ChainView, Epoch, Job, Submission, Submit},
	state::StateDir,
};
use crate::{recent::RecentSubmissions, role::Role, shared::on_blocking_pool, LOG_TARGET};

/// How the aggregator works.
#[derive(Clone, Debug)]
pub struct AggregatorOptions {
	/// The role's state folder (`<base path>/chains/<chain>/custodia-worker/aggregator`).
	pub state_dir: PathBuf,
	/// How long the IPFS daemon may look for one report object before it counts as
	/// unreachable (a batch of 256 unreachable objects then takes 256 / `fetch_concurrency`
	/// times this, well inside the chain's verification timeout).
	pub fetch_lookup: Duration,
	/// Report objects fetched at once.
	pub fetch_concurrency: usize,
	/// The largest report object read: the runtime's `MaxReportSize`.
	pub max_report_bytes: usize,
	/// Threads that sum a cohort's output shares.
	pub aggregate_threads: usize,
}

impl AggregatorOptions {
	/// The defaults, with state in `state_dir` and objects of at most `max_report_bytes`.
	pub fn new(state_dir: PathBuf, max_report_bytes: usize) -> Self {
		Self {
			state_dir,
			fetch_lookup: Duration::from_secs(15),
			fetch_concurrency: 32,
			max_report_bytes,
			aggregate_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
		}
	}
}

/// The aggregator's Prometheus gauges (`custodia_worker_aggregator_*`).
#[derive(Clone)]
pub struct AggregatorMetrics {
	/// Batches waiting for this aggregator.
	pub batches_awaiting: Gauge<U64>,
	/// Statistic jobs waiting for this aggregator.
	pub jobs_awaiting: Gauge<U64>,
}

/// What the role keeps between rounds (all of it can be rebuilt from the chain and the state
/// folder).
#[derive(Default)]
struct Memory {
	/// Epochs this node aggregates for, with their verification key.
	epochs: BTreeMap<AggregatorEpochId, Arc<EpochContext>>,
	/// Layouts, by schema and number of aggregators.
	layouts: BTreeMap<(SchemaId, usize), Arc<Layout>>,
	/// This node as the aggregator of each (epoch, schema), with its store.
	schemas: BTreeMap<(AggregatorEpochId, SchemaId), SchemaContext>,
	/// Report bytes fetched to verify a batch, kept until it is confirmed.
	fetched: BTreeMap<BlockNumber, Arc<Vec<Option<Fetched>>>>,
	/// Work attempted recently: not repeated for [`RESUBMIT_AFTER`](crate::recent::RESUBMIT_AFTER) blocks.
	keys: RecentSubmissions<AggregatorEpochId>,
	contributions: RecentSubmissions<AggregatorEpochId>,
	verifier_shares: RecentSubmissions<BlockNumber>,
	confirmations: RecentSubmissions<BlockNumber>,
	jobs: RecentSubmissions<StatisticJobId>,
	/// When each piece of work last logged a fatal error.
	fatal_logged: BTreeMap<String, BlockNumber>,
}

/// Blocks between two logs of the same fatal error (10 minutes at 6-second blocks).
const FATAL_LOG_EVERY: BlockNumber = 100;

/// The aggregator role.
pub struct AggregatorRole<Ch, S> {
	chain: Ch,
	submitter: S,
	ipfs: Arc<dyn Ipfs>,
	me: AccountId,
	state: StateDir,
	options: AggregatorOptions,
	metrics: Option<AggregatorMetrics>,
	memory: Memory,
}

/// Runs `work` on the blocking pool ([`on_blocking_pool`]). A panic there is a bug, reported as
/// [`Error::Task`].
async fn blocking<T: Send + 'static>(
	work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
	on_blocking_pool(work).await.map_err(|e| Error::Task(e.to_string()))
}

fn my_index(epoch: &Epoch, me: &AccountId) -> Option<usize> {
	epoch.aggregators.iter().position(|slot| &slot.account == me)
}

impl<Ch: ChainView, S: Submit> AggregatorRole<Ch, S> {
	/// The role of account `me`, reading `chain`, submitting through `submitter`, fetching
	/// report objects from `ipfs`. Opens (creating it, mode 0700) the state folder.
	pub fn new(
		chain: Ch,
		submitter: S,
		ipfs: Arc<dyn Ipfs>,
		me: AccountId,
		options: AggregatorOptions,
		metrics: Option<AggregatorMetrics>,
	) -> Result<Self, Error> {
		let state = StateDir::open(&options.state_dir)?;
		Ok(Self { chain, submitter, ipfs, me, state, options, metrics, memory: Memory::default() })
	}

	fn fetch_options(&self) -> FetchOptions {
		FetchOptions {
			lookup: self.options.fetch_lookup,
			concurrency: self.options.fetch_concurrency,
			max_bytes: self.options.max_report_bytes,
		}
	}

	/// Logs what went wrong with a piece of work, by severity: a fatal error once per
	/// [`FATAL_LOG_EVERY`] blocks for the same work, the others each time.
	fn failed(&mut self, work: &str, now: BlockNumber, error: &Error) {
		if error.severity() == Severity::Fatal {
			let logged = &mut self.memory.fatal_logged;
			logged.retain(|_, at| now < at.saturating_add(FATAL_LOG_EVERY));
			if logged.contains_key(work) {
				return;
			}
			logged.insert(work.to_string(), now);
		}
		match error.severity() {
			Severity::Fatal => tracing::error!(
				target: LOG_TARGET,
				role = "aggregator",
				block = now,
				%work,
				%error,
				"cannot do this until the node's operator acts; the chain times it out meanwhile"
			),
			_ => tracing::warn!(
				target: LOG_TARGET,
				role = "aggregator",
				block = now,
				%work,
				%error,
				"retrying at the next block"
			),
		}
	}

	async fn submit(&self, submission: Submission, now: BlockNumber) -> Result<(), Error> {
		let what = submission.what();
		self.submitter.submit(submission).await?;
		tracing::info!(target: LOG_TARGET, role = "aggregator", block = now, %what, "submitted");
		Ok(())
	}

	/// One round at the finalized block `at` (number `now`).
	pub async fn round(&mut self, at: H256, now: BlockNumber) {
		if let Err(error) = self.epoch_setup(at, now).await {
			self.failed("epoch setup", now, &error);
		}

		match self.chain.batches_awaiting(at, &self.me) {
			Ok(batches) => {
				if let Some(m) = &self.metrics {
					m.batches_awaiting.set(batches.len() as u64);
				}
				let waiting: Vec<BlockNumber> = batches.iter().map(|b| b.batch).collect();
				self.memory.fetched.retain(|batch, _| waiting.contains(batch));
				self.memory.verifier_shares.retain(&waiting);
				self.memory.confirmations.retain(&waiting);
				for batch in batches {
					if let Err(error) = self.batch(at, now, &batch).await {
						self.failed(
							&format!("batch {} (epoch {})", batch.batch, batch.epoch),
							now,
							&error,
						);
						if error.severity() == Severity::Fatal {
							// Not again for a while (either step).
							self.memory.verifier_shares.submitted(batch.batch, now);
							self.memory.confirmations.submitted(batch.batch, now);
						}
					}
				}
			},
			Err(error) => self.failed("batches", now, &error),
		}

		match self.chain.statistic_jobs_awaiting(at, &self.me) {
			Ok(jobs) => {
				if let Some(m) = &self.metrics {
					m.jobs_awaiting.set(jobs.len() as u64);
				}
				let waiting: Vec<StatisticJobId> = jobs.iter().map(|(id, _)| *id).collect();
				self.memory.jobs.retain(&waiting);
				for (id, job) in jobs {
					if !self.memory.jobs.due(&id, now) {
						continue;
					}
					match self.job(at, now, id, &job).await {
						Ok(()) => self.memory.jobs.submitted(id, now),
						Err(error) => {
							self.failed(&format!("statistic job {id}"), now, &error);
							if error.severity() == Severity::Fatal {
								self.memory.jobs.submitted(id, now);
							}
						},
					}
				}
				if let Err(error) = self.state.forget_job_shares_except(&waiting) {
					self.failed("statistic jobs", now, &error);
				}
			},
			Err(error) => self.failed("statistic jobs", now, &error),
		}
	}

	/// Keys and contributions of the epoch being set up; the verify key of the active one.
	async fn epoch_setup(&mut self, at: H256, now: BlockNumber) -> Result<(), Error> {
		let pending = self.chain.pending_epoch(at)?;
		self.memory.keys.retain(&pending.iter().map(|(id, _)| *id).collect::<Vec<_>>());
		self.memory
			.contributions
			.retain(&pending.iter().map(|(id, _)| *id).collect::<Vec<_>>());
		if let Some((id, epoch)) = pending {
			if let Some(index) = my_index(&epoch, &self.me) {
				self.set_up_epoch(id, &epoch, index, now).await?;
			}
		}
		if let Some((id, epoch)) = self.chain.active_epoch(at)? {
			if my_index(&epoch, &self.me).is_some() {
				self.epoch_context(at, id)?;
			}
		}
		Ok(())
	}

	/// This node's key, then its contribution, for the epoch being set up.
	async fn set_up_epoch(
		&mut self,
		id: AggregatorEpochId,
		epoch: &Epoch,
		index: usize,
		now: BlockNumber,
	) -> Result<(), Error> {
		let slot = &epoch.aggregators[index];
		let keys = match epoch.status {
			EpochStatus::CollectingKeys => self.state.ensure_epoch_key(id)?,
			EpochStatus::CollectingContributions => self.state.epoch_key(id)?.ok_or_else(|| Error::Epoch {
				epoch: id,
				detail: format!(
					"this node's key is not in {}: restore the folder from its backup; without it this node cannot take \
					 part in the epoch",
					self.state.path().display()
				),
			})?,
			_ => return Ok(()),
		};
		match slot.key {
			Some(key) if key != keys.public() =>
				return Err(Error::Epoch {
					epoch: id,
					detail: format!(
						"the key on chain for this node's slot is not the one in {} (the folder was lost or replaced after \
						 the key was posted, or another node uses the same account): this node cannot take part in the epoch",
						self.state.path().display()
					),
				}),
			Some(_) => {},
			None => {
				if self.memory.keys.due(&id, now) {
					self.submit(Submission::AggregatorKey { epoch: id, key: keys.public() }, now).await?;
					self.memory.keys.submitted(id, now);
				}
				return Ok(());
			},
		}
		if epoch.status == EpochStatus::CollectingContributions
			&& slot.contribution.is_none()
			&& self.memory.contributions.due(&id, now)
		{
			let all: Option<Vec<[u8; 32]>> = epoch.aggregators.iter().map(|s| s.key).collect();
			let Some(all) = all else { return Ok(()) };
			// A new draw each time: only the contribution that lands counts, and the verify key
			// is derived from what is on chain.
			let contribution =
				Contribution::generate(self.chain.genesis(), id, index, &all)?.to_bytes();
			self.submit(Submission::Contribution { epoch: id, contribution }, now).await?;
			self.memory.contributions.submitted(id, now);
		}
		Ok(())
	}

	/// This node in epoch `id`, with the epoch's verification key (derived once, then cached).
	fn epoch_context(
		&mut self,
		at: H256,
		id: AggregatorEpochId,
	) -> Result<Arc<EpochContext>, Error> {
		if let Some(context) = self.memory.epochs.get(&id) {
			return Ok(context.clone());
		}
		let refuse = |detail: String| Error::Epoch { epoch: id, detail };
		let epoch = self
			.chain
			.aggregator_epoch(at, id)?
			.ok_or_else(|| refuse("not on chain".into()))?;
		let index = my_index(&epoch, &self.me)
			.ok_or_else(|| refuse("it does not name this node's account".into()))?;
		let keys = self.state.epoch_key(id)?.ok_or_else(|| {
			refuse(format!(
				"this node's key is not in {}: restore the folder from its backup; without it this node can neither verify \
				 nor sum for the epoch, and its batches and jobs time out",
				self.state.path().display()
			))
		})?;
		if epoch.aggregators[index].key != Some(keys.public()) {
			return Err(refuse(format!(
				"the key on chain is not the one in {}",
				self.state.path().display()
			)));
		}
		let contributions = epoch
			.aggregators
			.iter()
			.enumerate()
			.map(|(from, slot)| {
				let bytes = slot
					.contribution
					.as_ref()
					.ok_or_else(|| refuse(format!("aggregator {from} has no contribution yet")))?;
				Contribution::from_bytes(bytes)
					.map_err(|e| refuse(format!("the contribution of aggregator {from}: {e}")))
			})
			.collect::<Result<Vec<_>, _>>()?;
		let genesis = self.chain.genesis();
		let aggregators = epoch.aggregators.len();
		let verify_key = derive_verify_key(&genesis, id, index, aggregators, &keys, &contributions)
			.map_err(|e| refuse(format!("no verification key: {e}")))?;
		let context =
			Arc::new(EpochContext { epoch: id, index, aggregators, genesis, keys, verify_key });
		tracing::info!(
			target: LOG_TARGET,
			role = "aggregator",
			epoch = id,
			index,
			aggregators,
			"verification key derived from every aggregator's contribution"
		);
		self.memory.epochs.insert(id, context.clone());
		Ok(context)
	}

	/// The layout of schema `id` for `aggregators` aggregators.
	fn layout(&mut self, at: H256, id: SchemaId, aggregators: usize) -> Result<Arc<Layout>, Error> {
		if let Some(layout) = self.memory.layouts.get(&(id, aggregators)) {
			return Ok(layout.clone());
		}
		let schema = self.chain.schema(at, id)?.ok_or_else(|| Error::Schema {
			schema: id,
			source: custodia_statistics::Error::InvalidSchema("not on chain".into()),
		})?;
		let layout = convert::engine_schema(&schema.schema)
			.and_then(|s| s.layout(aggregators))
			.map_err(|source| Error::Schema { schema: id, source })?;
		let layout = Arc::new(layout);
		self.memory.layouts.insert((id, aggregators), layout.clone());
		Ok(layout)
	}

	/// This node as the aggregator of `schema` in `context`'s epoch, with its store.
	async fn schema_context(
		&mut self,
		at: H256,
		context: &EpochContext,
		schema: SchemaId,
	) -> Result<SchemaContext, Error> {
		let key = (context.epoch, schema);
		if let Some(found) = self.memory.schemas.get(&key) {
			return Ok(found.clone());
		}
		let layout = self.layout(at, schema, context.aggregators)?;
		let aggregator = Arc::new(context.aggregator((*layout).clone())?);
		let (state, epoch, index) = (self.state.clone(), context.epoch, context.index);
		// Reading the store's ids scans the whole file.
		let shares = blocking(move || state.open_shares(epoch, schema, &layout, index)).await??;
		let found = SchemaContext { aggregator, shares: Arc::new(Mutex::new(shares)) };
		self.memory.schemas.insert(key, found.clone());
		Ok(found)
	}

	async fn schema_contexts(
		&mut self,
		at: H256,
		context: &EpochContext,
		batch: &Batch,
	) -> Result<BTreeMap<SchemaId, SchemaContext>, Error> {
		let mut schemas = BTreeMap::new();
		for report in &batch.reports {
			if let std::collections::btree_map::Entry::Vacant(e) = schemas.entry(report.schema) {
				e.insert(self.schema_context(at, context, report.schema).await?);
			}
		}
		Ok(schemas)
	}

	/// The step of `batch` this node owes now, if any.
	async fn batch(&mut self, at: H256, now: BlockNumber, batch: &Batch) -> Result<(), Error> {
		let context = self.epoch_context(at, batch.epoch)?;
		let me = context.index;
		let (Some(posted), Some(confirmed)) =
			(batch.verifier_shares.get(me), batch.confirmed.get(me))
		else {
			return Err(Error::Epoch {
				epoch: batch.epoch,
				detail: format!("batch {} has no slot {me}", batch.batch),
			});
		};
		if posted.is_none() {
			if !self.memory.verifier_shares.due(&batch.batch, now) {
				return Ok(());
			}
			let schemas = self.schema_contexts(at, &context, batch).await?;
			let fetched = match self.memory.fetched.get(&batch.batch) {
				Some(fetched) => fetched.clone(),
				None => {
					let options = self.fetch_options();
					let fetched = Arc::new(
						batch::fetch_reports(&*self.ipfs, &batch.reports, |_| true, &options)
							.await?,
					);
					self.memory.fetched.insert(batch.batch, fetched.clone());
					fetched
				},
			};
			let reports = batch.reports.clone();
			let verified =
				blocking(move || batch::verify(&context, &schemas, &reports, &fetched)).await??;
			let rejected = verified
				.entries
				.iter()
				.filter(|e| matches!(e, BatchEntry::Rejected { .. }))
				.count();
			let shares = verified.to_bytes()?;
			tracing::info!(
				target: LOG_TARGET,
				role = "aggregator",
				epoch = batch.epoch,
				batch = batch.batch,
				reports = batch.reports.len(),
				rejected,
				bytes = shares.len(),
				"batch verified (first step)"
			);
			self.submit(Submission::VerifierShares { batch: batch.batch, shares }, now)
				.await?;
			self.memory.verifier_shares.submitted(batch.batch, now);
			Ok(())
		} else if !confirmed && batch.verifier_shares.iter().all(Option::is_some) {
			if !self.memory.confirmations.due(&batch.batch, now) {
				return Ok(());
			}
			let schemas = self.schema_contexts(at, &context, batch).await?;
			let batches = batch::decode_batches(&batch.verifier_shares, &batch.reports);
			let fetched = match self.memory.fetched.get(&batch.batch) {
				Some(fetched) => fetched.clone(),
				// After a restart: fetch again only the reports every aggregator verified.
				None => {
					let wanted = |k: usize| VerifierBatch::verdict(&batches, k).is_ok();
					Arc::new(
						batch::fetch_reports(
							&*self.ipfs,
							&batch.reports,
							wanted,
							&self.fetch_options(),
						)
						.await?,
					)
				},
			};
			let reports = batch.reports.clone();
			let finished =
				blocking(move || batch::finish(&context, &schemas, &reports, &fetched, &batches))
					.await??;
			tracing::info!(
				target: LOG_TARGET,
				role = "aggregator",
				epoch = batch.epoch,
				batch = batch.batch,
				valid = finished.valid,
				stored = finished.appended,
				rejected = finished.rejected.len(),
				"batch finished (second step)"
			);
			self.submit(
				Submission::ConfirmBatch { batch: batch.batch, rejected: finished.rejected },
				now,
			)
			.await?;
			self.memory.confirmations.submitted(batch.batch, now);
			Ok(())
		} else {
			Ok(())
		}
	}

	/// This node's aggregate share of job `id`: the stored one, or a new one (stored first).
	async fn job(
		&mut self,
		at: H256,
		now: BlockNumber,
		id: StatisticJobId,
		job: &Job,
	) -> Result<(), Error> {
		let share = match self.state.job_share(id)? {
			Some(share) => share,
			None => {
				let context = self.epoch_context(at, job.epoch)?;
				let schema = self.schema_context(at, &context, job.schema).await?;
				let layout = self.layout(at, job.schema, context.aggregators)?;
				let cohort: Vec<ReportId> = self
					.chain
					.statistic_cohort(id, job.requested_at)?
					.into_iter()
					.map(|c| c.report)
					.collect();
				let (statistic, epsilon, threads, index) = (
					convert::engine_statistic(&job.kind),
					job.epsilon,
					self.options.aggregate_threads,
					context.index,
				);
				let members = cohort.len();
				let share = blocking(move || {
					let summed = {
						let shares = schema.shares.lock().map_err(|_| {
							Error::Task("an output-share store lock is poisoned".into())
						})?;
						shares.store.aggregate(&cohort, threads)?
					};
					if !summed.missing.is_empty() {
						return Err(Error::MissingOutputShares {
							job: id,
							missing: summed.missing.len(),
							cohort: cohort.len(),
						});
					}
					let share = AggregateShare::new(
						&layout,
						index,
						&statistic,
						&summed,
						convert::epsilon(epsilon)?,
					)?;
					convert::chain_share(&layout, &statistic, epsilon, &cohort, &share)
				})
				.await??;
				self.state.save_job_share(id, &share)?;
				tracing::info!(
					target: LOG_TARGET,
					role = "aggregator",
					job = id,
					epoch = job.epoch,
					schema = job.schema,
					cohort = members,
					epsilon_millis = job.epsilon.0,
					"cohort summed and noised"
				);
				share
			},
		};
		self.submit(Submission::AggregateShare { job: id, share }, now).await
	}
}

#[async_trait]
impl<Ch: ChainView + 'static, S: Submit + 'static> Role for AggregatorRole<Ch, S> {
	fn name(&self) -> &'static str {
		"aggregator"
	}

	async fn round(&mut self, at: H256, now: BlockNumber) {
		AggregatorRole::round(self, at, now).await
	}
}
