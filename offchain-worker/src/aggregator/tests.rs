//! Two aggregator roles, in process, against a mock chain (which applies their submissions as
//! the pallet would) and a mock IPFS daemon: an epoch set up from nothing, a batch with
//! valid reports and every kind of bad one, a restart in the middle, and statistics.

use std::{
	collections::{BTreeMap, HashSet},
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
	time::Duration,
};

use async_trait::async_trait;
use custodia_ipfs::Ipfs;
use custodia_primitives::{
	consent::{DataCategory, PurposeOfUse},
	fhe::IpfsRef,
	statistics::{
		field_add, field_to_signed, AggregatorEpoch, AggregatorSlot, BatchRejection, BatchSummary,
		CohortReport, EpochStatus, EpsilonMillis, RejectionReason, ReportToVerify, SchemaInfo,
		StatisticJob, StatisticKind, StatisticStatus, FIELD128_MODULUS,
	},
};
use custodia_statistics::{
	binding::{report_id, Binding},
	noise::{noise_scales, Epsilon},
	report::Report,
	schema::{Layout, Statistic},
	store::cohort_hash,
};
use sp_core::H256;

use super::{
	chain::{Batch, ChainSchema, ChainView, Epoch, Job, ShareSubmission, Submission, Submit},
	convert, AggregatorOptions, AggregatorRole, Error,
};
use crate::{memory_ipfs::MemoryIpfs, recent::RESUBMIT_AFTER, shared::content_hash};
use custodia_runtime::{AccountId, BlockNumber};

const GENESIS: [u8; 32] = [42; 32];
const EPOCH: u32 = 7;
const SCHEMA: u32 = 3;
const BATCH: BlockNumber = 20;

/// The chain as the pallet would keep it.
struct MockState {
	epoch: Epoch,
	schema: ChainSchema,
	batches: Vec<Batch>,
	jobs: Vec<(u64, Job)>,
	cohorts: BTreeMap<u64, Vec<CohortReport<AccountId>>>,
	/// Aggregate shares, by job and aggregator.
	shares: BTreeMap<(u64, usize), ShareSubmission>,
	/// Confirmations, by batch and aggregator.
	confirmations: BTreeMap<(BlockNumber, usize), Vec<BatchRejection>>,
	/// Every submission, in order, by aggregator.
	log: Vec<(usize, Submission)>,
	/// Submissions of these aggregators reach the pool but never land.
	dropped: HashSet<usize>,
}

#[derive(Clone)]
struct MockChain(Arc<Mutex<MockState>>);

impl MockChain {
	fn new(accounts: &[AccountId]) -> Self {
		let epoch = AggregatorEpoch {
			aggregators: accounts
				.iter()
				.map(|a| AggregatorSlot { account: a.clone(), key: None, contribution: None })
				.collect(),
			status: EpochStatus::CollectingKeys,
			started_at: 1,
			activated_at: None,
		};
		let schema = SchemaInfo {
			schema: convert::tests::chain_schema(),
			registered_at: 1,
			superseded: false,
		};
		MockChain(Arc::new(Mutex::new(MockState {
			epoch,
			schema,
			batches: vec![],
			jobs: vec![],
			cohorts: BTreeMap::new(),
			shares: BTreeMap::new(),
			confirmations: BTreeMap::new(),
			log: vec![],
			dropped: HashSet::new(),
		})))
	}

	fn with<T>(&self, f: impl FnOnce(&mut MockState) -> T) -> T {
		f(&mut self.0.lock().unwrap())
	}

	fn index(&self, who: &AccountId) -> Option<usize> {
		self.with(|s| s.epoch.aggregators.iter().position(|slot| &slot.account == who))
	}
}

impl ChainView for MockChain {
	fn genesis(&self) -> [u8; 32] {
		GENESIS
	}

	fn pending_epoch(&self, _: H256) -> Result<Option<(u32, Epoch)>, Error> {
		Ok(self.with(|s| {
			matches!(
				s.epoch.status,
				EpochStatus::CollectingKeys | EpochStatus::CollectingContributions
			)
			.then(|| (EPOCH, s.epoch.clone()))
		}))
	}

	fn active_epoch(&self, _: H256) -> Result<Option<(u32, Epoch)>, Error> {
		Ok(self.with(|s| (s.epoch.status == EpochStatus::Active).then(|| (EPOCH, s.epoch.clone()))))
	}

	fn aggregator_epoch(&self, _: H256, epoch: u32) -> Result<Option<Epoch>, Error> {
		Ok(self.with(|s| (epoch == EPOCH).then(|| s.epoch.clone())))
	}

	fn schema(&self, _: H256, schema: u32) -> Result<Option<ChainSchema>, Error> {
		Ok(self.with(|s| (schema == SCHEMA).then(|| s.schema.clone())))
	}

	fn batches_awaiting(&self, _: H256, aggregator: &AccountId) -> Result<Vec<Batch>, Error> {
		let Some(me) = self.index(aggregator) else { return Ok(vec![]) };
		Ok(self.with(|s| {
			s.batches
				.iter()
				.filter(|b| {
					let all = b.verifier_shares.iter().all(Option::is_some);
					b.verifier_shares[me].is_none() || (all && !b.confirmed[me])
				})
				.cloned()
				.collect()
		}))
	}

	fn statistic_jobs_awaiting(
		&self,
		_: H256,
		aggregator: &AccountId,
	) -> Result<Vec<(u64, Job)>, Error> {
		let Some(me) = self.index(aggregator) else { return Ok(vec![]) };
		Ok(self.with(|s| {
			s.jobs
				.iter()
				.filter(|(id, _)| !s.shares.contains_key(&(*id, me)))
				.cloned()
				.collect()
		}))
	}

	fn statistic_cohort(
		&self,
		job: u64,
		_: BlockNumber,
	) -> Result<Vec<CohortReport<AccountId>>, Error> {
		Ok(self.with(|s| s.cohorts.get(&job).cloned().unwrap_or_default()))
	}
}

/// One aggregator's extrinsics, applied as the pallet applies them.
struct MockSubmit {
	chain: MockChain,
	index: usize,
}

#[async_trait]
impl Submit for MockSubmit {
	async fn submit(&self, submission: Submission) -> Result<(), Error> {
		// Every submission must also fit the runtime's bounds.
		super::chain::runtime_call(submission.clone())?;
		let me = self.index;
		self.chain.with(|s| {
			s.log.push((me, submission.clone()));
			if s.dropped.contains(&me) {
				return;
			}
			match submission {
				Submission::AggregatorKey { epoch, key } => {
					assert_eq!(epoch, EPOCH);
					assert_eq!(s.epoch.status, EpochStatus::CollectingKeys);
					assert!(
						s.epoch.aggregators[me].key.replace(key).is_none(),
						"a key is posted once"
					);
					if s.epoch.aggregators.iter().all(|a| a.key.is_some()) {
						s.epoch.status = EpochStatus::CollectingContributions;
					}
				},
				Submission::Contribution { epoch, contribution } => {
					assert_eq!(epoch, EPOCH);
					assert_eq!(s.epoch.status, EpochStatus::CollectingContributions);
					assert!(s.epoch.aggregators[me].contribution.replace(contribution).is_none());
					if s.epoch.aggregators.iter().all(|a| a.contribution.is_some()) {
						s.epoch.status = EpochStatus::Active;
						s.epoch.activated_at = Some(3);
					}
				},
				Submission::VerifierShares { batch, shares } => {
					let b =
						s.batches.iter_mut().find(|b| b.batch == batch).expect("a batch in flight");
					assert!(
						b.verifier_shares[me].replace(shares).is_none(),
						"shares are posted once"
					);
				},
				Submission::ConfirmBatch { batch, rejected } => {
					let b =
						s.batches.iter_mut().find(|b| b.batch == batch).expect("a batch in flight");
					assert!(b.verifier_shares.iter().all(Option::is_some));
					b.confirmed[me] = true;
					s.confirmations.insert((batch, me), rejected);
				},
				Submission::AggregateShare { job, share } => {
					let (_, j) = s.jobs.iter().find(|(id, _)| *id == job).expect("a job");
					// What the pallet checks.
					assert_eq!(
						share.noise.iter().map(|n| n.values as usize).sum::<usize>(),
						share.values.len()
					);
					assert!(share.noise.iter().map(|n| n.epsilon.0).sum::<u32>() <= j.epsilon.0);
					assert!(share.values.iter().all(|v| *v < FIELD128_MODULUS));
					assert!(s.shares.insert((job, me), share).is_none());
				},
			}
		});
		Ok(())
	}
}

fn state_dir(name: &str, i: usize) -> PathBuf {
	let dir = std::env::temp_dir()
		.join(format!("custodia-aggregator-it-{name}-{i}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	dir
}

fn role(
	chain: &MockChain,
	ipfs: &Arc<MemoryIpfs>,
	accounts: &[AccountId],
	dir: &Path,
	i: usize,
) -> AggregatorRole<MockChain, MockSubmit> {
	let mut options = AggregatorOptions::new(dir.to_path_buf(), 64 * 1024);
	options.fetch_lookup = Duration::from_millis(200);
	options.aggregate_threads = 2;
	let ipfs: Arc<dyn Ipfs> = ipfs.clone();
	AggregatorRole::new(
		chain.clone(),
		MockSubmit { chain: chain.clone(), index: i },
		ipfs,
		accounts[i].clone(),
		options,
		None,
	)
	.unwrap()
}

async fn round_all(roles: &mut [AggregatorRole<MockChain, MockSubmit>], now: BlockNumber) {
	for role in roles.iter_mut() {
		role.round(H256::repeat_byte(now as u8), now).await;
	}
}

fn account(byte: u8) -> AccountId {
	AccountId::new([byte; 32])
}

/// A report registered on chain (what the chain lists) and uploaded to IPFS.
struct Registered {
	chain: ReportToVerify<AccountId>,
}

fn register(ipfs: &MemoryIpfs, cid: &str, report: &Report, owner: u8, record: u64) -> Registered {
	let bytes = report.to_bytes();
	let chain = ReportToVerify {
		id: report.id,
		owner: account(owner),
		record,
		schema: SCHEMA,
		object: IpfsRef { cid: cid.as_bytes().to_vec(), hash: content_hash(&bytes) },
		size: bytes.len() as u32,
	};
	ipfs.insert(cid, bytes);
	Registered { chain }
}

fn binding(layout: &Layout, owner: u8, record: u64) -> Binding {
	Binding { genesis: GENESIS, epoch: EPOCH, schema: layout.schema_id, owner: [owner; 32], record }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_aggregators_set_up_an_epoch_verify_a_batch_and_sum_a_statistic() {
	let accounts = [account(1), account(2)];
	let chain = MockChain::new(&accounts);
	let ipfs = Arc::new(MemoryIpfs::default());
	let dirs = [state_dir("flow", 0), state_dir("flow", 1)];
	let mut roles = vec![
		role(&chain, &ipfs, &accounts, &dirs[0], 0),
		role(&chain, &ipfs, &accounts, &dirs[1], 1),
	];

	// 1. The epoch: keys, then contributions, then the verification key.
	round_all(&mut roles, 1).await;
	assert_eq!(chain.with(|s| s.epoch.status), EpochStatus::CollectingContributions);
	round_all(&mut roles, 2).await;
	assert_eq!(chain.with(|s| s.epoch.status), EpochStatus::Active);
	round_all(&mut roles, 3).await;
	let keys: Vec<[u8; 32]> =
		chain.with(|s| s.epoch.aggregators.iter().map(|a| a.key.unwrap()).collect());
	// A restarted node finds its key on disk, the one on chain.
	for (i, dir) in dirs.iter().enumerate() {
		let stored = super::state::StateDir::open(dir).unwrap().epoch_key(EPOCH).unwrap().unwrap();
		assert_eq!(stored.public(), keys[i]);
	}

	// 2. People's reports, as their clients make them, and what attackers make.
	let layout = convert::engine_schema(&convert::tests::chain_schema())
		.unwrap()
		.layout(2)
		.unwrap();
	let people: Vec<Vec<u64>> =
		vec![vec![34, 120, 0], vec![71, 145, 1], vec![17, 110, 0], vec![65, 128, 1]];
	let mut batch: Vec<Registered> = people
		.iter()
		.enumerate()
		.map(|(k, values)| {
			let (owner, record) = (10 + k as u8, 100 + k as u64);
			let report =
				Report::generate(&layout, values, &binding(&layout, owner, record), &keys).unwrap();
			register(&ipfs, &format!("QmPerson{k}"), &report, owner, record)
		})
		.collect();
	let victim = Report::from_bytes(&ipfs.get("QmPerson0")).unwrap();
	// (4) A byte copy of person 0's report registered by account 20 under a fresh id.
	let mut copy = register(&ipfs, "QmCopy", &victim, 20, 200);
	copy.chain.id = [0xcc; 16];
	batch.push(copy);
	// (5) The copy with its id recomputed for the thief's own binding (the salt is public).
	let mut relabelled = victim.clone();
	relabelled.id = report_id(&binding(&layout, 21, 210), &victim.salt);
	batch.push(register(&ipfs, "QmRelabelled", &relabelled, 21, 210));
	// (6) Age 500 (max 120), proven below the API.
	let b = binding(&layout, 22, 220);
	let forged =
		custodia_statistics::testing::out_of_range_report(&layout, &b, &keys, &people[0], 0, 500)
			.unwrap();
	batch.push(register(&ipfs, "QmForged", &forged, 22, 220));
	// (7) An object nobody serves.
	let unserved =
		Report::generate(&layout, &people[0], &binding(&layout, 23, 230), &keys).unwrap();
	let mut missing = register(&ipfs, "QmNobody", &unserved, 23, 230);
	ipfs.remove("QmNobody");
	missing.chain.object.cid = b"QmNobody".to_vec();
	batch.push(missing);
	// (8) Content that is not what was registered; (9) larger than registered.
	let mut altered = register(&ipfs, "QmAltered", &unserved, 24, 240);
	altered.chain.object.hash = H256::repeat_byte(9);
	batch.push(altered);
	let other = Report::generate(&layout, &people[1], &binding(&layout, 25, 250), &keys).unwrap();
	let mut large = register(&ipfs, "QmLarge", &other, 25, 250);
	large.chain.size -= 1;
	batch.push(large);
	let expected = vec![
		BatchRejection { index: 4, reason: RejectionReason::ReportIdMismatch },
		BatchRejection { index: 5, reason: RejectionReason::ShareDoesNotOpen },
		BatchRejection { index: 6, reason: RejectionReason::InvalidProof },
		BatchRejection { index: 7, reason: RejectionReason::Unreachable },
		BatchRejection { index: 8, reason: RejectionReason::HashMismatch },
		BatchRejection { index: 9, reason: RejectionReason::TooLarge },
	];
	let reports: Vec<ReportToVerify<AccountId>> = batch.iter().map(|r| r.chain.clone()).collect();
	chain.with(|s| {
		s.batches.push(BatchSummary {
			epoch: EPOCH,
			batch: BATCH,
			reports: reports.clone(),
			verifier_shares: vec![None, None],
			confirmed: vec![false, false],
			deadline: BATCH + 100,
		})
	});

	// 3. Verification: shares, then confirmations naming the same reports at both.
	round_all(&mut roles, BATCH + 1).await;
	assert!(chain.with(|s| s.batches[0].verifier_shares.iter().all(Option::is_some)));
	round_all(&mut roles, BATCH + 2).await;
	for i in 0..2 {
		assert_eq!(
			chain.with(|s| s.confirmations[&(BATCH, i)].clone()),
			expected,
			"aggregator {i}"
		);
	}
	let stored = |i: usize| {
		super::state::StateDir::open(&dirs[i])
			.unwrap()
			.open_shares(EPOCH, SCHEMA, &layout, i)
			.unwrap()
			.store
			.len()
	};
	assert_eq!((stored(0), stored(1)), (4, 4));

	// A restart before the confirmation landed: the same rejections, nothing stored twice
	// (the report bytes are fetched again: the cache did not survive).
	chain.with(|s| {
		s.batches[0].confirmed[0] = false;
		s.confirmations.remove(&(BATCH, 0));
	});
	roles[0] = role(&chain, &ipfs, &accounts, &dirs[0], 0);
	roles[0].round(H256::zero(), BATCH + 3).await;
	assert_eq!(chain.with(|s| s.confirmations[&(BATCH, 0)].clone()), expected);
	assert_eq!(stored(0), 4);

	// 4. Statistics over the four valid reports.
	let valid: Vec<[u8; 16]> = batch[..4].iter().map(|r| r.chain.id).collect();
	let mut cohort: Vec<CohortReport<AccountId>> = batch[..4]
		.iter()
		.map(|r| CohortReport { subject: r.chain.owner.clone(), report: r.chain.id })
		.collect();
	cohort.sort_by_key(|c| c.report);
	let job = |kind, millis| StatisticJob {
		requester: account(99),
		schema: SCHEMA,
		category: DataCategory::VitalSigns,
		kind,
		purpose: PurposeOfUse::PUBHLTH,
		epoch: EPOCH,
		epsilon: EpsilonMillis(millis),
		requested_at: BATCH + 3,
		deadline: BATCH + 200,
		status: StatisticStatus::AwaitingShares,
	};
	// ε = 1000: noise small enough to compare with the plaintext closely.
	let mean = job(StatisticKind::Mean(vec![1, 0]), 1_000_000);
	// A cohort with a report this node never verified: no share, never a partial sum.
	let partial = job(StatisticKind::Count, 1000);
	chain.with(|s| {
		s.jobs.push((1, mean.clone()));
		s.jobs.push((2, partial));
		s.cohorts.insert(1, cohort.clone());
		let mut with_stranger = cohort.clone();
		with_stranger.push(CohortReport { subject: account(30), report: [0xee; 16] });
		s.cohorts.insert(2, with_stranger);
		// Aggregator 1's first share is lost on its way to a block.
		s.dropped.insert(1);
	});
	round_all(&mut roles, BATCH + 4).await;
	let first_try = chain.with(|s| {
		s.dropped.clear();
		s.log
			.iter()
			.rev()
			.find(|(i, sub)| *i == 1 && matches!(sub, Submission::AggregateShare { .. }))
			.cloned()
	});
	assert!(first_try.is_some());
	// Not again before RESUBMIT_AFTER blocks; then the same share (the same noise), from disk.
	round_all(&mut roles, BATCH + 5).await;
	assert!(!chain.with(|s| s.shares.contains_key(&(1, 1))));
	roles[1] = role(&chain, &ipfs, &accounts, &dirs[1], 1);
	round_all(&mut roles, BATCH + 5 + RESUBMIT_AFTER).await;
	let shares: Vec<ShareSubmission> =
		chain.with(|s| (0..2).map(|i| s.shares[&(1, i)].clone()).collect());
	assert_eq!(
		Some((1, Submission::AggregateShare { job: 1, share: shares[1].clone() })),
		first_try
	);
	assert!(
		chain.with(|s| !s.shares.contains_key(&(2, 0)) && !s.shares.contains_key(&(2, 1))),
		"no partial sum"
	);

	// The shares agree on everything but their values, and add up to the plaintext.
	assert_eq!(shares[0].reports, 4);
	assert_eq!(shares[0].cohort_hash, H256(cohort_hash(&valid)));
	assert_eq!(
		(shares[0].reports, shares[0].cohort_hash, &shares[0].noise),
		(shares[1].reports, shares[1].cohort_hash, &shares[1].noise)
	);
	let totals: Vec<i128> = shares[0]
		.values
		.iter()
		.zip(&shares[1].values)
		.map(|(a, b)| field_to_signed(field_add(*a, *b)))
		.collect();
	let plaintext = [
		people.iter().map(|p| p[1] as i128).sum::<i128>(),
		people.iter().map(|p| p[0] as i128).sum::<i128>(),
		people.len() as i128,
	];
	let statistic = Statistic::Mean { fields: vec![1, 0] };
	let scales = noise_scales(&layout, &statistic, Epsilon::new(1_000_000, 1000).unwrap()).unwrap();
	for scale in scales {
		// Each aggregator's draw exceeds s·ln(2·values·n/δ) with probability below δ/(values·n).
		let bound = (2.0 * scale.scale * (2.0 * 3.0 * 2.0 / 1e-9f64).ln()).ceil() as i128;
		for v in scale.values {
			assert!(
				(totals[v] - plaintext[v]).abs() <= bound,
				"value {v}: {} vs {} (bound {bound})",
				totals[v],
				plaintext[v]
			);
		}
	}
	for dir in &dirs {
		std::fs::remove_dir_all(dir).unwrap();
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_is_down_delays_a_batch_and_never_rejects_it() {
	let accounts = [account(1), account(2)];
	let chain = MockChain::new(&accounts);
	let ipfs = Arc::new(MemoryIpfs::default());
	let dirs = [state_dir("down", 0), state_dir("down", 1)];
	let mut roles = vec![
		role(&chain, &ipfs, &accounts, &dirs[0], 0),
		role(&chain, &ipfs, &accounts, &dirs[1], 1),
	];
	for now in 1..=3 {
		round_all(&mut roles, now).await;
	}
	let keys: Vec<[u8; 32]> =
		chain.with(|s| s.epoch.aggregators.iter().map(|a| a.key.unwrap()).collect());
	let layout = convert::engine_schema(&convert::tests::chain_schema())
		.unwrap()
		.layout(2)
		.unwrap();
	let report =
		Report::generate(&layout, &[30, 120, 0], &binding(&layout, 10, 100), &keys).unwrap();
	let registered = register(&ipfs, "QmOne", &report, 10, 100);
	chain.with(|s| {
		s.batches.push(BatchSummary {
			epoch: EPOCH,
			batch: BATCH,
			reports: vec![registered.chain.clone()],
			verifier_shares: vec![None, None],
			confirmed: vec![false, false],
			deadline: BATCH + 100,
		})
	});
	ipfs.set_down(true);
	round_all(&mut roles, BATCH + 1).await;
	assert!(
		chain.with(|s| s.batches[0].verifier_shares.iter().all(Option::is_none)),
		"nothing posted while IPFS is down"
	);
	ipfs.set_down(false);
	round_all(&mut roles, BATCH + 2).await;
	round_all(&mut roles, BATCH + 3).await;
	for i in 0..2 {
		assert_eq!(chain.with(|s| s.confirmations[&(BATCH, i)].clone()), vec![], "aggregator {i}");
	}
	for dir in &dirs {
		std::fs::remove_dir_all(dir).unwrap();
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_its_epoch_key_never_posts_a_new_one_for_the_same_slot() {
	let accounts = [account(1), account(2)];
	let chain = MockChain::new(&accounts);
	let ipfs = Arc::new(MemoryIpfs::default());
	let dirs = [state_dir("lost", 0), state_dir("lost", 1)];
	let mut roles = vec![
		role(&chain, &ipfs, &accounts, &dirs[0], 0),
		role(&chain, &ipfs, &accounts, &dirs[1], 1),
	];
	round_all(&mut roles, 1).await;
	assert_eq!(chain.with(|s| s.epoch.status), EpochStatus::CollectingContributions);
	// Node 0 loses its state folder.
	std::fs::remove_dir_all(&dirs[0]).unwrap();
	roles[0] = role(&chain, &ipfs, &accounts, &dirs[0], 0);
	round_all(&mut roles, 2).await;
	chain.with(|s| {
		assert!(
			s.epoch.aggregators[0].contribution.is_none(),
			"no contribution without the key on chain"
		);
		assert!(s.epoch.aggregators[1].contribution.is_some());
		assert_eq!(
			s.log
				.iter()
				.filter(|(i, sub)| *i == 0 && matches!(sub, Submission::AggregatorKey { .. }))
				.count(),
			1
		);
	});
	for dir in &dirs {
		let _ = std::fs::remove_dir_all(dir);
	}
}

/// F27: Prio3 reads any account's bytes. A panic while verifying one report rejects that report
/// as malformed and leaves the verdicts of the others as they are.
#[test]
fn a_panic_in_one_reports_verification_rejects_it_as_malformed() {
	use super::batch::rejected_if_it_panics;
	use custodia_statistics::error::Rejection;
	let panicked = rejected_if_it_panics(|| -> Result<u8, Rejection> {
		panic!("prio on hostile bytes (injected)")
	});
	assert_eq!(panicked, Err(Rejection::Malformed));
	assert_eq!(rejected_if_it_panics(|| Ok::<_, Rejection>(7)), Ok(7));
	assert_eq!(
		rejected_if_it_panics(|| Err::<u8, _>(Rejection::Replayed)),
		Err(Rejection::Replayed)
	);
}
