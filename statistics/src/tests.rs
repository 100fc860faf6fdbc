//! End-to-end tests of the engine: round trips for every kind with 2 and 4 aggregators, and
//! each attack of issue 12 performed the way an attacker would, failing.

use crate::{
	aggregator::{Aggregator, BatchEntry, OutputShare, ReplayGuard, VerifierBatch, VerifierShares},
	binding::{report_id, Binding},
	envelope::{self, KeyPair},
	noise::{noise_scales, AggregateShare, Epsilon},
	report::{Report, INPUT_SHARE_INFO},
	schema::{FieldSpec, Layout, Schema, Statistic},
	store::OutputShareStore,
	unshard::{unshard, Value},
	verify_key::{derive_verify_key, Contribution},
	Error, Rejection,
};
use std::path::PathBuf;

const GENESIS: [u8; 32] = [7; 32];
const EPOCH: u32 = 3;

pub(crate) fn schema() -> Schema {
	Schema {
		category: "cardio".into(),
		fields: vec![
			FieldSpec::new("age", "years", 120).with_buckets(vec![18, 40, 65]),
			FieldSpec::new("systolic", "mmHg", 250),
			FieldSpec::new("weight", "kg", 300).with_buckets(vec![50, 100]),
			FieldSpec::new("smoker", "", 1).with_buckets(vec![1]),
			FieldSpec::new("cholesterol", "mg/dL", 250),
		],
	}
}

pub(crate) fn temp_path(tag: &str) -> PathBuf {
	use std::sync::atomic::{AtomicU32, Ordering};
	static N: AtomicU32 = AtomicU32::new(0);
	let p = std::env::temp_dir().join(format!(
		"custodia-statistics-{}-{tag}-{}",
		std::process::id(),
		N.fetch_add(1, Ordering::Relaxed)
	));
	let _ = std::fs::remove_file(&p);
	p
}

/// An epoch: n aggregators with keys and an agreed verification key.
pub(crate) struct Epoch {
	pub layout: Layout,
	pub keys: Vec<KeyPair>,
	pub publics: Vec<[u8; 32]>,
	pub aggregators: Vec<Aggregator>,
}

pub(crate) fn epoch(schema: &Schema, n: usize) -> Epoch {
	let layout = schema.layout(n).unwrap();
	let keys: Vec<KeyPair> = (0..n).map(|_| KeyPair::generate().unwrap()).collect();
	let publics: Vec<[u8; 32]> = keys.iter().map(KeyPair::public).collect();
	let contributions: Vec<Contribution> = (0..n)
		.map(|i| Contribution::generate(GENESIS, EPOCH, i, &publics).unwrap())
		.collect();
	let vks: Vec<[u8; 32]> = (0..n)
		.map(|i| derive_verify_key(&GENESIS, EPOCH, i, n, &keys[i], &contributions).unwrap())
		.collect();
	assert!(vks.iter().all(|k| k == &vks[0]), "every aggregator derives the same key");
	let aggregators = (0..n)
		.map(|i| {
			Aggregator::new(layout.clone(), i, keys[i].clone(), vks[i], GENESIS, EPOCH).unwrap()
		})
		.collect();
	Epoch { layout, keys, publics, aggregators }
}

pub(crate) fn binding(layout: &Layout, owner: u8, record: u64) -> Binding {
	Binding { genesis: GENESIS, epoch: EPOCH, schema: layout.schema_id, owner: [owner; 32], record }
}

/// Runs the verification of one report at every aggregator: each one's output share.
fn verify(e: &Epoch, binding: &Binding, report: &Report) -> Result<Vec<OutputShare>, Rejection> {
	let mut pendings = Vec::new();
	let mut published = Vec::new();
	for a in &e.aggregators {
		let (p, v) = a.verify_init(binding, report)?;
		// What goes over the wire is bytes.
		published.push(VerifierShares::from_bytes(&v.to_bytes()).unwrap());
		pendings.push(p);
	}
	e.aggregators
		.iter()
		.zip(pendings)
		.map(|(a, p)| a.finish(p, &published))
		.collect()
}

fn records() -> Vec<Vec<u64>> {
	vec![
		vec![34, 120, 70, 0, 180],
		vec![71, 145, 95, 1, 240],
		vec![17, 110, 48, 0, 150],
		vec![0, 0, 0, 0, 0],
		vec![120, 250, 300, 1, 250],
		vec![45, 132, 101, 1, 199],
		vec![65, 128, 64, 0, 210],
	]
}

/// Verifies and stores every record's report; each aggregator's summed cohort.
fn cohort(e: &Epoch, records: &[Vec<u64>]) -> Vec<crate::store::CohortAggregate> {
	let n = e.aggregators.len();
	let paths: Vec<PathBuf> = (0..n).map(|i| temp_path(&format!("agg{i}"))).collect();
	let mut stores: Vec<OutputShareStore> = (0..n)
		.map(|i| OutputShareStore::open(&paths[i], &e.layout, i).unwrap())
		.collect();
	let mut ids = Vec::new();
	for (k, values) in records.iter().enumerate() {
		let b = binding(&e.layout, k as u8, k as u64 + 100);
		let report = Report::generate(&e.layout, values, &b, &e.publics).unwrap();
		let report = Report::from_bytes(&report.to_bytes()).unwrap();
		let outs = verify(e, &b, &report).unwrap();
		for (s, o) in stores.iter_mut().zip(outs) {
			s.append(&[o]).unwrap();
		}
		ids.push(report.id);
	}
	let result = (0..n)
		.map(|i| {
			let store = OutputShareStore::open(&paths[i], &e.layout, i).unwrap();
			store.aggregate(&ids, 2).unwrap()
		})
		.collect();
	paths.iter().for_each(|p| std::fs::remove_file(p).unwrap());
	result
}

fn statistics() -> Vec<Statistic> {
	vec![
		Statistic::Count,
		Statistic::Sum { fields: vec![1] },
		Statistic::Sum { fields: vec![0, 1, 2, 3, 4] },
		Statistic::Mean { fields: vec![1, 4] },
		Statistic::Histogram { fields: vec![0] },
		Statistic::Histogram { fields: vec![0, 2, 3] },
	]
}

/// The plaintext answer (exact).
fn expected(schema: &Schema, records: &[Vec<u64>], s: &Statistic) -> Vec<i128> {
	let sum = |f: u16| records.iter().map(|r| r[f as usize] as i128).sum::<i128>();
	match s {
		Statistic::Count => vec![records.len() as i128],
		Statistic::Sum { fields } => fields.iter().map(|&f| sum(f)).collect(),
		Statistic::Mean { fields } => {
			fields.iter().map(|&f| sum(f)).chain([records.len() as i128]).collect()
		},
		Statistic::Histogram { fields } => fields
			.iter()
			.flat_map(|&f| {
				let spec = &schema.fields[f as usize];
				let mut h = vec![0i128; spec.buckets.as_ref().unwrap().len() + 1];
				records.iter().for_each(|r| h[spec.bucket_of(r[f as usize]).unwrap()] += 1);
				h
			})
			.collect(),
	}
}

fn flat(v: &Value) -> Vec<i128> {
	match v {
		Value::Count(c) => vec![*c],
		Value::Sum(s) => s.clone(),
		Value::Mean { sums, count, .. } => sums.iter().copied().chain([*count]).collect(),
		Value::Histogram(h) => h.concat(),
	}
}

fn round_trip(n: usize) {
	let schema = schema();
	let e = epoch(&schema, n);
	let recs = records();
	let sums = cohort(&e, &recs);
	assert!(sums.iter().all(|s| s.reports == recs.len() as u64 && s.missing.is_empty()));
	let eps = Epsilon::new(1, 1).unwrap();
	for st in statistics() {
		let want = expected(&schema, &recs, &st);
		// Exact, before noise.
		let shares: Vec<AggregateShare> = (0..n)
			.map(|i| AggregateShare::without_noise(&e.layout, i, &st, &sums[i], eps).unwrap())
			.collect();
		let published = unshard(&schema, &shares).unwrap();
		assert_eq!(flat(&published.value), want, "{st:?} with {n} aggregators, no noise");
		assert_eq!(published.reports, recs.len() as u64);
		// With each aggregator's noise, through the wire.
		let shares: Vec<AggregateShare> = (0..n)
			.map(|i| {
				let s = AggregateShare::new(&e.layout, i, &st, &sums[i], eps).unwrap();
				AggregateShare::from_bytes(&s.to_bytes()).unwrap()
			})
			.collect();
		let published = unshard(&schema, &shares).unwrap();
		assert_eq!(published.epsilon, eps);
		let got = flat(&published.value);
		for seg in noise_scales(&e.layout, &st, eps).unwrap() {
			// Each aggregator's draw exceeds t = s·ln(2·values·n/δ) in absolute value with
			// probability below δ/(values·n) (discrete Laplace tail ≤ 2e^{−t/s}); δ = 10⁻⁹.
			let t = seg.scale * (2.0 * got.len() as f64 * n as f64 / 1e-9).ln();
			let bound = (n as f64 * t).ceil() as i128;
			for i in seg.values.clone() {
				assert!(
					(got[i] - want[i]).abs() <= bound,
					"{st:?}: {} vs {} (bound {bound})",
					got[i],
					want[i]
				);
			}
		}
		if let Value::Mean { means, sums, count } = &published.value {
			assert_eq!(means.len(), sums.len());
			if *count > 0 {
				assert_eq!(means[0], Some(sums[0] as f64 / *count as f64));
			}
		}
	}
}

#[test]
fn every_kind_round_trips_with_two_aggregators() {
	round_trip(2);
}

#[test]
fn every_kind_round_trips_with_four_aggregators() {
	round_trip(4);
}

#[test]
fn noise_is_actually_added() {
	let schema = schema();
	let e = epoch(&schema, 2);
	let sums = cohort(&e, &records());
	let st = Statistic::Sum { fields: vec![0, 1, 2, 3, 4] };
	let eps = Epsilon::new(1, 10).unwrap();
	let exact: Vec<AggregateShare> = (0..2)
		.map(|i| AggregateShare::without_noise(&e.layout, i, &st, &sums[i], eps).unwrap())
		.collect();
	let noisy: Vec<AggregateShare> = (0..2)
		.map(|i| AggregateShare::new(&e.layout, i, &st, &sums[i], eps).unwrap())
		.collect();
	// Scale 10·5·511 per value: all five values unchanged has negligible probability.
	assert_ne!(unshard(&schema, &exact).unwrap().value, unshard(&schema, &noisy).unwrap().value);
}

#[test]
fn a_copy_registered_by_another_owner_does_not_open() {
	let e = epoch(&schema(), 2);
	let victim = binding(&e.layout, 1, 100);
	let report = Report::generate(&e.layout, &records()[1], &victim, &e.publics).unwrap();
	assert!(verify(&e, &victim, &report).is_ok());

	// A byte copy registered by account 9 as its record 900: the id does not derive.
	let thief = binding(&e.layout, 9, 900);
	assert_eq!(verify(&e, &thief, &report).unwrap_err(), Rejection::ReportIdMismatch);

	// The thief recomputes the id for its own binding (the salt is public): the shares do not open.
	for thief in [
		binding(&e.layout, 9, 100),
		binding(&e.layout, 1, 900),
		Binding {
			genesis: GENESIS,
			epoch: EPOCH,
			schema: e.layout.schema_id,
			owner: [9; 32],
			record: 900,
		},
	] {
		let mut copy = report.clone();
		copy.id = report_id(&thief, &copy.salt);
		assert_eq!(verify(&e, &thief, &copy).unwrap_err(), Rejection::ShareDoesNotOpen);
	}
}

#[test]
fn a_copy_under_another_epoch_or_chain_does_not_open() {
	let schema = schema();
	let e = epoch(&schema, 2);
	let original = binding(&e.layout, 1, 100);
	let report = Report::generate(&e.layout, &records()[0], &original, &e.publics).unwrap();
	// The same aggregators (same keys) serving another epoch, and another chain.
	for (genesis, epoch) in [(GENESIS, EPOCH + 1), ([8; 32], EPOCH)] {
		let aggs: Vec<Aggregator> = (0..2)
			.map(|i| {
				Aggregator::new(e.layout.clone(), i, e.keys[i].clone(), [0; 32], genesis, epoch)
					.unwrap()
			})
			.collect();
		let b = Binding { genesis, epoch, ..original };
		let mut copy = report.clone();
		copy.id = report_id(&b, &copy.salt);
		assert_eq!(aggs[0].verify_init(&b, &copy).unwrap_err(), Rejection::ShareDoesNotOpen);
		// And the epoch's own aggregators refuse a binding of another context outright.
		assert_eq!(e.aggregators[0].verify_init(&b, &copy).unwrap_err(), Rejection::WrongContext);
	}
}

#[test]
fn a_replayed_report_id_is_refused() {
	let e = epoch(&schema(), 2);
	let b = binding(&e.layout, 1, 100);
	let report = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
	let mut guard = ReplayGuard::new();
	assert_eq!(guard.check_and_insert(&report.id), Ok(()));
	assert_eq!(guard.check_and_insert(&report.id), Err(Rejection::Replayed));
	assert!(guard.contains(&report.id));
}

#[test]
fn a_share_sealed_to_another_aggregator_does_not_open() {
	let e = epoch(&schema(), 2);
	let b = binding(&e.layout, 1, 100);
	let mut report = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
	report.sealed.swap(0, 1);
	assert_eq!(e.aggregators[0].verify_init(&b, &report).unwrap_err(), Rejection::ShareDoesNotOpen);
	assert_eq!(e.aggregators[1].verify_init(&b, &report).unwrap_err(), Rejection::ShareDoesNotOpen);
	// A report sealed entirely to other keys.
	let other = epoch(&schema(), 2);
	let report = Report::generate(&e.layout, &records()[0], &b, &other.publics).unwrap();
	assert_eq!(verify(&e, &b, &report).unwrap_err(), Rejection::ShareDoesNotOpen);
}

#[test]
fn an_out_of_range_value_is_refused_at_generation() {
	let e = epoch(&schema(), 2);
	let b = binding(&e.layout, 1, 100);
	let err = Report::generate(&e.layout, &[121, 0, 0, 0, 0], &b, &e.publics).unwrap_err();
	assert!(
		matches!(err, Error::ValueOutOfRange { field: 0, value: 121, max: 120, .. }),
		"{err:?}"
	);
	let err = Report::generate(&e.layout, &[0, 0, 0, 2, 0], &b, &e.publics).unwrap_err();
	assert!(matches!(err, Error::ValueOutOfRange { field: 3, .. }));
	let err = Report::generate(&e.layout, &[0, 0, 0, 0], &b, &e.publics).unwrap_err();
	assert_eq!(err, Error::MeasurementLength { expected: 5, given: 4 });
}

#[test]
fn altered_shares_fail_the_proof() {
	let e = epoch(&schema(), 2);
	let b = binding(&e.layout, 1, 100);
	let report = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
	// Another report's public share for part 1: joint randomness no longer matches.
	let other = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
	let mut mixed = report.clone();
	mixed.public_shares[1] = other.public_shares[1].clone();
	assert_eq!(verify(&e, &b, &mixed).unwrap_err(), Rejection::InvalidProof);
	// Verifier shares of another report are refused.
	let (p, _) = e.aggregators[0].verify_init(&b, &report).unwrap();
	let (_, v0) = e.aggregators[0].verify_init(&b, &other).unwrap();
	let (_, v1) = e.aggregators[1].verify_init(&b, &other).unwrap();
	assert_eq!(
		e.aggregators[0].finish(p.clone(), &[v0.clone(), v1.clone()]).unwrap_err(),
		Rejection::MalformedVerifierShare
	);
	// A missing verifier share is refused.
	let (_, mine) = e.aggregators[0].verify_init(&b, &report).unwrap();
	assert_eq!(e.aggregators[0].finish(p, &[mine]).unwrap_err(), Rejection::MalformedVerifierShare);
}

#[test]
fn garbage_sealed_correctly_is_a_malformed_share() {
	let e = epoch(&schema(), 2);
	let b = binding(&e.layout, 1, 100);
	let mut report = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
	for plaintext in [vec![], vec![1, 2, 3], vec![0xff; 64], vec![0; 4 * 20]] {
		report.sealed[0] = envelope::seal(
			&e.publics[0],
			0,
			INPUT_SHARE_INFO,
			&b.aad(&report.id, 0, 2),
			&plaintext,
		)
		.unwrap();
		assert_eq!(
			e.aggregators[0].verify_init(&b, &report).unwrap_err(),
			Rejection::MalformedShare
		);
	}
	let mut short = report.clone();
	short.sealed.pop();
	assert_eq!(e.aggregators[0].verify_init(&b, &short).unwrap_err(), Rejection::WrongLength);
}

#[test]
fn verify_key_agreement_needs_every_contribution() {
	let n = 3;
	let keys: Vec<KeyPair> = (0..n).map(|_| KeyPair::generate().unwrap()).collect();
	let publics: Vec<[u8; 32]> = keys.iter().map(KeyPair::public).collect();
	let cs: Vec<Contribution> = (0..n)
		.map(|i| Contribution::generate(GENESIS, EPOCH, i, &publics).unwrap())
		.collect();
	let cs: Vec<Contribution> =
		cs.iter().map(|c| Contribution::from_bytes(&c.to_bytes()).unwrap()).collect();
	let k0 = derive_verify_key(&GENESIS, EPOCH, 0, n, &keys[0], &cs).unwrap();
	assert_eq!(k0, derive_verify_key(&GENESIS, EPOCH, 2, n, &keys[2], &cs).unwrap());
	// Order of publication does not matter.
	let reversed: Vec<Contribution> = cs.iter().rev().cloned().collect();
	assert_eq!(k0, derive_verify_key(&GENESIS, EPOCH, 1, n, &keys[1], &reversed).unwrap());

	assert_eq!(
		derive_verify_key(&GENESIS, EPOCH, 0, n, &keys[0], &cs[..2]).unwrap_err(),
		Error::MissingContribution { from: 2 }
	);
	// Contributions of another epoch are not this epoch's.
	let other: Vec<Contribution> = (0..n)
		.map(|i| Contribution::generate(GENESIS, EPOCH + 1, i, &publics).unwrap())
		.collect();
	assert_eq!(
		derive_verify_key(&GENESIS, EPOCH, 0, n, &keys[0], &other).unwrap_err(),
		Error::MissingContribution { from: 0 }
	);
	// Sealed to someone else (a stranger's keys), or relabelled: does not open.
	let stranger: Vec<[u8; 32]> = (0..n).map(|_| KeyPair::generate().unwrap().public()).collect();
	let mut bad = cs.clone();
	bad[1] = Contribution::generate(GENESIS, EPOCH, 1, &stranger).unwrap();
	assert_eq!(
		derive_verify_key(&GENESIS, EPOCH, 0, n, &keys[0], &bad).unwrap_err(),
		Error::ContributionDoesNotOpen { from: 1 }
	);
	let mut relabelled = cs.clone();
	relabelled[1].from = 2;
	relabelled[2].from = 1;
	assert!(matches!(
		derive_verify_key(&GENESIS, EPOCH, 0, n, &keys[0], &relabelled).unwrap_err(),
		Error::ContributionDoesNotOpen { .. }
	));
	let mut twice = cs.clone();
	twice.push(cs[0].clone());
	assert_eq!(
		derive_verify_key(&GENESIS, EPOCH, 0, n, &keys[0], &twice).unwrap_err(),
		Error::DuplicateContribution { from: 0 }
	);
}

#[test]
fn unshard_publishes_nothing_partial() {
	let schema = schema();
	let e = epoch(&schema, 3);
	let sums = cohort(&e, &records()[..3]);
	let eps = Epsilon::new(1, 2).unwrap();
	let st = Statistic::Count;
	let shares: Vec<AggregateShare> = (0..3)
		.map(|i| AggregateShare::new(&e.layout, i, &st, &sums[i], eps).unwrap())
		.collect();
	assert_eq!(unshard(&schema, &shares[..2]).unwrap_err(), Error::MissingAggregateShare(2));
	assert_eq!(unshard(&schema, &[]).unwrap_err(), Error::MissingAggregateShare(0));
	let mut dup = shares.clone();
	dup[2] = dup[1].clone();
	assert!(matches!(unshard(&schema, &dup).unwrap_err(), Error::SharesDisagree(_)));
	let mut other = shares.clone();
	other[1].epsilon = Epsilon::new(1, 1).unwrap();
	assert!(matches!(unshard(&schema, &other).unwrap_err(), Error::SharesDisagree(_)));
	let mut more = shares.clone();
	more[0].reports += 1;
	assert!(matches!(unshard(&schema, &more).unwrap_err(), Error::SharesDisagree(_)));
}

#[test]
fn the_store_counts_only_listed_ids_once_and_names_the_missing() {
	let schema = schema();
	let layout = schema.layout(2).unwrap();
	let path = temp_path("store");
	let one = |id: u8| OutputShare {
		report_id: [id; 16],
		values: vec![prio::field::Field128::from(id as u128); layout.output_len],
	};
	{
		let mut s = OutputShareStore::open(&path, &layout, 0).unwrap();
		s.append(&[one(1), one(2), one(3), one(2)]).unwrap();
		assert_eq!(s.len(), 4);
	}
	// A crash mid-record leaves a partial record: it is cut off at the next open.
	{
		use std::io::Write;
		let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
		f.write_all(&[9; 100]).unwrap();
	}
	let s = OutputShareStore::open(&path, &layout, 0).unwrap();
	assert_eq!(s.len(), 4);
	assert_eq!(s.report_ids().unwrap(), vec![[1; 16], [2; 16], [3; 16], [2; 16]]);
	for threads in [1, 2, 3, 8] {
		let agg = s.aggregate(&[[2; 16], [3; 16], [5; 16]], threads).unwrap();
		assert_eq!(agg.reports, 2, "id 2 stored twice counts once");
		assert_eq!(agg.values, vec![prio::field::Field128::from(5u128); layout.output_len]);
		assert_eq!(agg.missing, vec![[5; 16]]);
	}
	// Another aggregator's or schema's store is refused.
	assert!(OutputShareStore::open(&path, &layout, 1).is_err());
	assert!(OutputShareStore::open(&path, &schema.layout(3).unwrap(), 0).is_err());
	let mut wrong = one(4);
	wrong.values.pop();
	let mut s = s;
	assert!(s.append(&[wrong]).is_err());
	std::fs::remove_file(&path).unwrap();
	// A file that is not a store.
	std::fs::write(&path, b"not a store at all, but long enough for a header........").unwrap();
	assert!(OutputShareStore::open(&path, &layout, 0).is_err());
	std::fs::remove_file(&path).unwrap();
}

#[test]
fn schemas_and_statistics_are_checked() {
	let mut s = schema();
	assert_eq!(Schema::from_bytes(&s.to_bytes()).unwrap(), s);
	assert_ne!(s.id(), {
		let mut t = s.clone();
		t.fields[0].max = 119;
		t.id()
	});
	s.fields[0].buckets = Some(vec![40, 18]);
	assert!(matches!(s.validate(), Err(Error::InvalidSchema(_))));
	s.fields[0].buckets = Some(vec![18, 121]);
	assert!(s.validate().is_err());
	s.fields[0].buckets = None;
	s.fields[1].max = 0;
	assert!(s.validate().is_err());
	s.fields[1].max = 1 << 48;
	assert!(s.validate().is_err());
	assert!(Schema { category: "x".into(), fields: vec![] }.validate().is_err());
	let s = schema();
	assert!(Statistic::Histogram { fields: vec![1] }.validate(&s).is_err(), "no buckets");
	assert!(Statistic::Sum { fields: vec![5] }.validate(&s).is_err(), "no such field");
	assert!(Statistic::Mean { fields: vec![1, 1] }.validate(&s).is_err(), "twice");
	assert!(Statistic::Sum { fields: vec![] }.validate(&s).is_err(), "empty");
	for st in statistics() {
		assert_eq!(Statistic::from_bytes(&st.to_bytes()).unwrap(), st);
	}
	assert!(schema().layout(1).is_err());
	assert!(schema().layout(crate::MAX_AGGREGATORS + 1).is_err());
	assert_eq!(s.fields[0].bucket_of(17), Some(0));
	assert_eq!(s.fields[0].bucket_of(18), Some(1));
	assert_eq!(s.fields[0].bucket_of(65), Some(3));
	assert_eq!(s.fields[0].bucket_of(120), Some(3));
}

/// Per aggregator: its output shares, and the reports it rejected (batch index, reason).
type BatchOutcome = (Vec<Vec<OutputShare>>, Vec<Vec<(usize, Rejection)>>);

/// Verifies a batch of reports the way aggregators on a chain do: each aggregator publishes a
/// [`VerifierBatch`] (bytes), then decodes everyone's and finishes each report by the shared
/// rule. `fetched[k]` is `Err` when an aggregator could not get report `k`'s bytes; `bindings`
/// are what the chain says each report is bound to. Each aggregator's output shares and the
/// rejections, by batch index.
fn verify_batch(e: &Epoch, reports: &[(Binding, Result<Report, Rejection>)]) -> BatchOutcome {
	let ids: Vec<[u8; 16]> = reports
		.iter()
		.map(|(b, r)| r.as_ref().map_or(report_id(b, &[0; 16]), |r| r.id))
		.collect();
	let published: Vec<Vec<u8>> = e
		.aggregators
		.iter()
		.map(|a| {
			let entries = reports
				.iter()
				.zip(&ids)
				.map(|((b, r), id)| {
					match r.as_ref().map_err(|r| *r).and_then(|r| a.verify_init(b, r)) {
						Ok((_, shares)) => BatchEntry::Shares(shares),
						Err(reason) => BatchEntry::Rejected { report_id: *id, reason },
					}
				})
				.collect();
			VerifierBatch { aggregator: a.index() as u8, entries }.to_bytes().unwrap()
		})
		.collect();
	let mut outputs = Vec::new();
	let mut rejections = Vec::new();
	for a in &e.aggregators {
		let batches: Vec<Option<VerifierBatch>> = published
			.iter()
			.enumerate()
			.map(|(j, bytes)| Some(VerifierBatch::decode_for(bytes, j, &ids).unwrap()))
			.collect();
		let (mut outs, mut rejected) = (Vec::new(), Vec::new());
		for (k, (b, r)) in reports.iter().enumerate() {
			let verdict = VerifierBatch::verdict(&batches, k).and_then(|all| {
				let report = r.as_ref().map_err(|r| *r)?;
				let (pending, _) = a.verify_init(b, report)?;
				a.finish(pending, &all)
			});
			match verdict {
				Ok(out) => outs.push(out),
				Err(reason) => rejected.push((k, reason)),
			}
		}
		outputs.push(outs);
		rejections.push(rejected);
	}
	(outputs, rejections)
}

#[test]
fn a_batch_verifies_through_verifier_batches_and_every_aggregator_rejects_the_same_reports() {
	for n in [2, 3] {
		let e = epoch(&schema(), n);
		let recs = records();
		let honest: Vec<(Binding, Result<Report, Rejection>)> = recs[..3]
			.iter()
			.enumerate()
			.map(|(k, v)| {
				let b = binding(&e.layout, k as u8, 100 + k as u64);
				(b, Ok(Report::generate(&e.layout, v, &b, &e.publics).unwrap()))
			})
			.collect();
		let mut batch = honest.clone();
		// A byte copy of report 0 registered by account 9 as its record 900.
		let copy = honest[0].1.clone().unwrap();
		batch.push((binding(&e.layout, 9, 900), Ok(copy)));
		// Age 500 (max 120), proven below the API.
		let b = binding(&e.layout, 10, 1000);
		let forged =
			crate::testing::out_of_range_report(&e.layout, &b, &e.publics, &recs[4], 0, 500)
				.unwrap();
		batch.push((b, Ok(forged)));
		// A report nobody could fetch.
		batch.push((binding(&e.layout, 11, 1100), Err(Rejection::Unreachable)));
		let (outputs, rejections) = verify_batch(&e, &batch);
		let expected = vec![
			(3, Rejection::ReportIdMismatch),
			(4, Rejection::InvalidProof),
			(5, Rejection::Unreachable),
		];
		for (outs, rejected) in outputs.iter().zip(&rejections) {
			assert_eq!(rejected, &expected, "{n} aggregators");
			assert_eq!(outs.len(), 3);
		}
		// The valid reports' output shares add up to their plaintext sums.
		use prio::field::{Field128, FieldElement};
		let total: Vec<Field128> = (0..e.layout.output_len)
			.map(|i| {
				outputs
					.iter()
					.flat_map(|outs| outs.iter().map(move |o| o.values[i]))
					.fold(Field128::zero(), |a, b| a + b)
			})
			.collect();
		assert_eq!(u128::from(total[e.layout.offsets[0]]), 3, "presence counts the valid reports");
		let age: u64 = recs[..3].iter().map(|r| r[0]).sum();
		assert_eq!(u128::from(total[e.layout.sum_index[0]]), age as u128);
	}
}

#[test]
fn a_verifier_batch_is_checked_against_its_publisher_and_the_chain_s_report_list() {
	let e = epoch(&schema(), 2);
	let b = binding(&e.layout, 1, 100);
	let report = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
	let (_, shares) = e.aggregators[1].verify_init(&b, &report).unwrap();
	let batch = VerifierBatch {
		aggregator: 1,
		entries: vec![
			BatchEntry::Shares(shares.clone()),
			BatchEntry::Rejected { report_id: [2; 16], reason: Rejection::TooLarge },
		],
	};
	let bytes = batch.to_bytes().unwrap();
	let ids = [report.id, [2; 16]];
	assert_eq!(VerifierBatch::decode_for(&bytes, 1, &ids).unwrap(), batch);
	// Published by aggregator 0's account, or for another batch of reports.
	assert!(matches!(VerifierBatch::decode_for(&bytes, 0, &ids), Err(Error::Invalid { .. })));
	assert!(matches!(VerifierBatch::decode_for(&bytes, 1, &ids[..1]), Err(Error::Invalid { .. })));
	assert!(matches!(
		VerifierBatch::decode_for(&bytes, 1, &[[2; 16], report.id]),
		Err(Error::Invalid { .. })
	));
	// Shares of another aggregator inside a batch cannot be encoded.
	let (_, other) = e.aggregators[0].verify_init(&b, &report).unwrap();
	let mixed = VerifierBatch { aggregator: 1, entries: vec![BatchEntry::Shares(other)] };
	assert!(matches!(mixed.to_bytes(), Err(Error::Invalid { .. })));
	// An unknown rejection code does not decode.
	let mut unknown = VerifierBatch {
		aggregator: 1,
		entries: vec![BatchEntry::Rejected { report_id: [2; 16], reason: Rejection::Replayed }],
	}
	.to_bytes()
	.unwrap();
	let last = unknown.len() - 1;
	for code in [10, 19, 23, 255] {
		unknown[last] = code;
		assert!(matches!(
			VerifierBatch::from_bytes(&unknown),
			Err(Error::Invalid { what: "rejection code", .. })
		));
	}
	// A batch beyond the size limit is refused when encoding, not published.
	let big =
		VerifierShares { report_id: [1; 16], aggregator: 0, shares: vec![vec![0; 16 * 1024]; 8] };
	let huge = VerifierBatch { aggregator: 0, entries: vec![BatchEntry::Shares(big); 9] };
	assert!(matches!(huge.to_bytes(), Err(Error::TooLarge { .. })));
	// The verdict rule: the lowest-indexed aggregator's rejection, else everyone's shares.
	let b0 = VerifierBatch {
		aggregator: 0,
		entries: vec![BatchEntry::Rejected {
			report_id: report.id,
			reason: Rejection::Unreachable,
		}],
	};
	let b1 = VerifierBatch {
		aggregator: 1,
		entries: vec![BatchEntry::Rejected {
			report_id: report.id,
			reason: Rejection::InvalidProof,
		}],
	};
	assert_eq!(
		VerifierBatch::verdict(&[Some(b0.clone()), Some(b1.clone())], 0),
		Err(Rejection::Unreachable)
	);
	assert_eq!(
		VerifierBatch::verdict(&[Some(b1.clone()), Some(b0)], 0),
		Err(Rejection::InvalidProof)
	);
	let ok = VerifierBatch { aggregator: 1, entries: vec![BatchEntry::Shares(shares.clone())] };
	assert_eq!(
		VerifierBatch::verdict(&[Some(ok.clone()), Some(ok.clone())], 0),
		Ok(vec![shares.clone(), shares])
	);
	assert_eq!(
		VerifierBatch::verdict(&[Some(ok.clone())], 1),
		Err(Rejection::MalformedVerifierShare)
	);
	// A batch that did not decode counts at its place in the order.
	assert_eq!(
		VerifierBatch::verdict(&[Some(ok.clone()), None], 0),
		Err(Rejection::MalformedVerifierShare)
	);
	assert_eq!(
		VerifierBatch::verdict(&[None, Some(b1)], 0),
		Err(Rejection::MalformedVerifierShare)
	);
}

/// What a batch of verifier shares weighs: a chain must store one per aggregator per batch.
#[test]
fn a_full_batch_of_typical_reports_fits_the_verifier_batch_limit() {
	use crate::aggregator::MAX_VERIFIER_BATCH_BYTES;
	let per_report = |schema: &Schema, n: usize| {
		let e = epoch(schema, n);
		let b = binding(&e.layout, 1, 100);
		let values: Vec<u64> = schema.fields.iter().map(|f| f.max / 2).collect();
		let report = Report::generate(&e.layout, &values, &b, &e.publics).unwrap();
		let (_, shares) = e.aggregators[0].verify_init(&b, &report).unwrap();
		let batch = |k: usize| VerifierBatch {
			aggregator: 0,
			entries: vec![BatchEntry::Shares(shares.clone()); k],
		};
		(
			batch(2).to_bytes().unwrap().len() - batch(1).to_bytes().unwrap().len(),
			report.to_bytes().len(),
		)
	};
	// 20 fields of 16 bits, 4 of them with 10 buckets.
	let typical = Schema {
		category: "VitalSigns".into(),
		fields: (0..20)
			.map(|i| {
				let f = FieldSpec::new(&format!("f{i}"), "", 65_535);
				if i < 4 {
					f.with_buckets((1..10).map(|b| b * 6_000).collect())
				} else {
					f
				}
			})
			.collect(),
	};
	// The largest schema: 64 fields, each with 63 boundaries.
	let largest = Schema {
		category: "VitalSigns".into(),
		fields: (0..crate::schema::MAX_FIELDS)
			.map(|i| {
				FieldSpec::new(&format!("f{i}"), "", 1 << 40)
					.with_buckets((1..=63).map(|b| b << 30).collect())
			})
			.collect(),
	};
	for n in [2, 4] {
		let (typical_bytes, typical_report) = per_report(&typical, n);
		let (largest_bytes, largest_report) = per_report(&largest, n);
		println!(
			"{n} aggregators: verifier shares per report {typical_bytes} B typical ({typical_report} B report), \
			 {largest_bytes} B for the largest schema ({largest_report} B report): {} / {} reports per {MAX_VERIFIER_BATCH_BYTES} B batch",
			MAX_VERIFIER_BATCH_BYTES / typical_bytes,
			MAX_VERIFIER_BATCH_BYTES / largest_bytes,
		);
		assert!(
			256 * typical_bytes < MAX_VERIFIER_BATCH_BYTES,
			"256 typical reports fit one batch"
		);
	}
}

#[test]
fn rejection_codes_are_stable_distinct_and_decode() {
	let codes: Vec<u8> = Rejection::ALL.iter().map(|r| r.code()).collect();
	assert_eq!(codes, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22]);
	for r in Rejection::ALL {
		assert_eq!(Rejection::from_code(r.code()), Some(r));
	}
	assert_eq!(Rejection::from_code(0), None);
	assert_eq!(Rejection::from_code(23), None);
}

#[test]
fn the_cohort_hash_ignores_order_and_repeats_and_is_pinned() {
	use crate::store::cohort_hash;
	let ids = [[3u8; 16], [1; 16], [2; 16]];
	let h = cohort_hash(&ids);
	assert_eq!(h, cohort_hash(&[[1; 16], [2; 16], [3; 16], [2; 16]]));
	assert_ne!(h, cohort_hash(&ids[..2]));
	// The formula a chain recomputes with blake2_256 alone.
	use blake2::{digest::consts::U32, Blake2b, Digest};
	let domain = b"custodia/statistics/v1/cohort";
	let mut manual = Vec::new();
	manual.extend_from_slice(&(domain.len() as u64).to_le_bytes());
	manual.extend_from_slice(domain);
	manual.extend_from_slice(&48u64.to_le_bytes());
	[[1u8; 16], [2; 16], [3; 16]].iter().for_each(|id| manual.extend_from_slice(id));
	let expected: [u8; 32] = Blake2b::<U32>::digest(&manual).into();
	assert_eq!(h, expected);
	let hex = |b: [u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
	// Pinned, so that another implementation (a chain, a client) can test against them.
	assert_eq!(
		hex(cohort_hash(&[])),
		"73b1c4eff50a9261dafbba7088cb571d3a8e39929bb2e87f018309002692cf5a"
	);
	assert_eq!(hex(h), "545b730d1c1a0ff045a1bf51967bf943d99578ddd3f436a7dd2524d47fe65159");
}

#[test]
fn an_aggregator_key_survives_on_disk_as_its_secret_bytes() {
	let keys = KeyPair::generate().unwrap();
	let restored = KeyPair::from_secret_bytes(&keys.secret_bytes());
	assert_eq!(restored.public(), keys.public());
	let sealed = envelope::seal(&keys.public(), 0, b"info", b"aad", b"secret").unwrap();
	assert_eq!(envelope::open(&restored, b"info", b"aad", &sealed).unwrap(), b"secret");
	assert_ne!(KeyPair::generate().unwrap().secret_bytes(), keys.secret_bytes());
}

#[test]
fn a_replay_guard_refilled_from_the_store_refuses_stored_ids() {
	let mut guard: ReplayGuard = [[1u8; 16], [2; 16]].into_iter().collect();
	assert_eq!(guard.len(), 2);
	assert_eq!(guard.check_and_insert(&[2; 16]), Err(Rejection::Replayed));
	assert_eq!(guard.check_and_insert(&[3; 16]), Ok(()));
}

/// Every decoder against truncations, extensions, flipped bytes and random bytes: a typed
/// error, never a panic.
#[test]
fn malformed_bytes_of_every_decoder_are_typed_errors() {
	let e = epoch(&schema(), 2);
	let b = binding(&e.layout, 1, 100);
	let report = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
	let (_, vs) = e.aggregators[0].verify_init(&b, &report).unwrap();
	let sums = cohort(&e, &records()[..2]);
	let share = AggregateShare::new(
		&e.layout,
		0,
		&Statistic::Histogram { fields: vec![0, 2] },
		&sums[0],
		Epsilon::new(1, 1).unwrap(),
	)
	.unwrap();
	let contribution = Contribution::generate(GENESIS, EPOCH, 0, &e.publics).unwrap();
	let batch = VerifierBatch {
		aggregator: 0,
		entries: vec![
			BatchEntry::Shares(vs.clone()),
			BatchEntry::Rejected { report_id: [3; 16], reason: Rejection::HashMismatch },
		],
	}
	.to_bytes()
	.unwrap();

	type Decoder = Box<dyn Fn(&[u8]) -> bool>;
	let decoders: Vec<(&str, Vec<u8>, Decoder)> = vec![
		("schema", schema().to_bytes(), Box::new(|x| Schema::from_bytes(x).is_ok())),
		(
			"statistic",
			Statistic::Mean { fields: vec![1, 4] }.to_bytes(),
			Box::new(|x| Statistic::from_bytes(x).is_ok()),
		),
		("report", report.to_bytes(), Box::new(|x| Report::from_bytes(x).is_ok())),
		(
			"contribution",
			contribution.to_bytes(),
			Box::new(|x| Contribution::from_bytes(x).is_ok()),
		),
		("verifier shares", vs.to_bytes(), Box::new(|x| VerifierShares::from_bytes(x).is_ok())),
		("aggregate share", share.to_bytes(), Box::new(|x| AggregateShare::from_bytes(x).is_ok())),
		("verifier batch", batch, Box::new(|x| VerifierBatch::from_bytes(x).is_ok())),
	];
	for (name, good, decode) in &decoders {
		assert!(decode(good), "{name} decodes");
		for cut in 0..good.len() {
			assert!(!decode(&good[..cut]), "{name} truncated to {cut} bytes decodes");
		}
		for extra in [&[0u8][..], &[1, 2, 3], &vec![0; 1000]] {
			assert!(
				!decode(&[good.as_slice(), extra].concat()),
				"{name} with trailing bytes decodes"
			);
		}
		for i in 0..good.len().min(200) {
			let mut bad = good.clone();
			bad[i] ^= 0xff;
			let _ = decode(&bad); // may decode (e.g. a salt byte), must not panic
		}
		for len in [0, 1, 6, 7, 64, 1000, 100_000] {
			let mut random = vec![0u8; len];
			envelope::random(&mut random).unwrap();
			assert!(!decode(&random), "{name}: {len} random bytes decode");
			// With a valid header and random payload.
			if good.len() >= 6 && len >= 6 {
				random[..6].copy_from_slice(&good[..6]);
				let _ = decode(&random);
			}
		}
	}
	// Typed errors, by cause.
	let bytes = report.to_bytes();
	assert!(matches!(Report::from_bytes(&bytes[..3]), Err(Error::Truncated { .. })));
	assert!(matches!(
		Report::from_bytes(&[bytes.as_slice(), &[0]].concat()),
		Err(Error::TrailingBytes { .. })
	));
	assert!(matches!(
		Report::from_bytes(&vec![0; crate::report::MAX_REPORT_BYTES + 1]),
		Err(Error::TooLarge { .. })
	));
	assert_eq!(
		Report::from_bytes(&[b"XXXX".as_slice(), &bytes[4..]].concat()),
		Err(Error::BadMagic)
	);
	let mut v = bytes.clone();
	v[4] = 9;
	assert_eq!(Report::from_bytes(&v), Err(Error::UnsupportedVersion(9, 1)));
	assert!(matches!(Schema::from_bytes(&bytes), Err(Error::WrongKind { .. })));
	// Non-canonical field elements in an aggregate share.
	let mut s = share.to_bytes();
	let n = s.len();
	s[n - 16..].copy_from_slice(&[0xff; 16]);
	assert!(matches!(
		AggregateShare::from_bytes(&s),
		Err(Error::Invalid { what: "field element", .. })
	));
}

/// A client that lies below the API: it proves a measurement the honest encoder refuses, with
/// the crate's own prover and the honest circuit (same algorithm id, same shapes), so honest
/// aggregators decode its shares and only the proof can catch it.
mod forgery {
	use super::*;
	use crate::{schema::Part, testing::Forge};
	use prio::{
		field::Field128,
		flp::{
			gadgets::{Mul, ParallelSum},
			types::{Histogram, SumVec},
			Type,
		},
		vdaf::{
			prio3::{optimal_chunk_length, Prio3},
			xof::XofTurboShake128,
		},
	};

	/// [`crate::testing::forged_report`] for an epoch of these tests.
	fn forged_report<T: Type<Field = Field128>>(
		e: &Epoch,
		b: &Binding,
		values: &[u64],
		forged: usize,
		forge: Prio3<Forge<T>, XofTurboShake128, 32>,
		input: Vec<Field128>,
	) -> Report {
		crate::testing::forged_report(&e.layout, b, &e.publics, values, forged, &forge, input)
			.unwrap()
	}

	fn f(v: u128) -> Field128 {
		Field128::from(v)
	}

	#[test]
	fn an_out_of_range_value_proven_below_the_api_fails_verification() {
		for n in [2, 4] {
			let e = epoch(&schema(), n);
			let b = binding(&e.layout, 1, 100);
			// Part 1 sums `age` (max 120: 7 bits, the last weighing 57).
			assert!(
				matches!(&e.layout.parts[1], Part::Sums { fields, max: 120, .. } if fields == &vec![0])
			);
			let sumvec = |inner| Prio3::new(n as u8, 1, 0x00000003, Forge(inner)).unwrap();
			let honest = SumVec::<Field128, ParallelSum<Field128, Mul>>::new(
				120,
				1,
				optimal_chunk_length(7),
			)
			.unwrap();
			// Control: the forger's machinery with an honest encoding of 100 verifies.
			let ok = honest.encode_measurement(&vec![100u128]).unwrap();
			let report = forged_report(&e, &b, &records()[0], 1, sumvec(honest.clone()), ok);
			let outs = verify(&e, &b, &report).unwrap();
			assert_eq!(outs.len(), n);
			// "Bits" of 9 in the last place: 9·57 = 513 > 120.
			let bad = vec![f(0), f(0), f(0), f(0), f(0), f(0), f(9)];
			let report = forged_report(&e, &b, &records()[0], 1, sumvec(honest.clone()), bad);
			assert_eq!(
				verify(&e, &b, &report).unwrap_err(),
				Rejection::InvalidProof,
				"{n} aggregators"
			);
			// A negative value: p − 1 in the first place.
			let bad = vec![-f(1), f(0), f(0), f(0), f(0), f(0), f(0)];
			let report = forged_report(&e, &b, &records()[0], 1, sumvec(honest), bad);
			assert_eq!(verify(&e, &b, &report).unwrap_err(), Rejection::InvalidProof);

			// Part 5 is the histogram of `age` (4 buckets): two-hot, and none-hot.
			assert!(matches!(&e.layout.parts[5], Part::Histogram { field: 0, .. }));
			let hist = || {
				let inner = Histogram::<Field128, ParallelSum<Field128, Mul>>::new(
					4,
					optimal_chunk_length(4),
				)
				.unwrap();
				Prio3::new(n as u8, 1, 0x00000004, Forge(inner)).unwrap()
			};
			for bad in [vec![f(1), f(1), f(0), f(0)], vec![f(0); 4], vec![f(2), f(0), f(0), -f(1)]]
			{
				let report = forged_report(&e, &b, &records()[0], 5, hist(), bad.clone());
				assert_eq!(
					verify(&e, &b, &report).unwrap_err(),
					Rejection::InvalidProof,
					"{bad:?}"
				);
			}
			// Presence (part 0) of 2 or 0.
			for bad in [vec![f(2)], vec![f(0)]] {
				let inner = Histogram::<Field128, ParallelSum<Field128, Mul>>::new(1, 1).unwrap();
				let report = forged_report(
					&e,
					&b,
					&records()[0],
					0,
					Prio3::new(n as u8, 1, 0x00000004, Forge(inner)).unwrap(),
					bad,
				);
				assert_eq!(verify(&e, &b, &report).unwrap_err(), Rejection::InvalidProof);
			}
		}
	}

	#[test]
	fn flipped_bytes_anywhere_in_a_report_never_panic_and_never_verify() {
		let e = epoch(&schema(), 2);
		let b = binding(&e.layout, 1, 100);
		let report = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
		let bytes = report.to_bytes();
		// Every byte of the header and public shares, and a sample of the envelopes.
		let step = |i: usize| if i < 600 { 1 } else { 97 };
		let mut i = 0;
		while i < bytes.len() {
			let mut bad = bytes.clone();
			bad[i] ^= 0x5a;
			if let Ok(r) = Report::from_bytes(&bad) {
				assert!(verify(&e, &b, &r).is_err(), "byte {i} flipped still verifies");
			}
			i += step(i);
		}
	}
}
