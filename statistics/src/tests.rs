//! End-to-end tests of the engine: round trips for every kind with 2 and 4 aggregators, and
//! each attack of issue 12 performed the way an attacker would, failing.

use crate::{
	aggregator::{Aggregator, OutputShare, ReplayGuard, VerifierShares},
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
	let contributions: Vec<Contribution> =
		(0..n).map(|i| Contribution::generate(GENESIS, EPOCH, i, &publics).unwrap()).collect();
	let vks: Vec<[u8; 32]> =
		(0..n).map(|i| derive_verify_key(&GENESIS, EPOCH, i, n, &keys[i], &contributions).unwrap()).collect();
	assert!(vks.iter().all(|k| k == &vks[0]), "every aggregator derives the same key");
	let aggregators = (0..n)
		.map(|i| Aggregator::new(layout.clone(), i, keys[i].clone(), vks[i], GENESIS, EPOCH).unwrap())
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
	e.aggregators.iter().zip(pendings).map(|(a, p)| a.finish(p, &published)).collect()
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
	let mut stores: Vec<OutputShareStore> =
		(0..n).map(|i| OutputShareStore::open(&paths[i], &e.layout, i).unwrap()).collect();
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
		Statistic::Mean { fields } => fields.iter().map(|&f| sum(f)).chain([records.len() as i128]).collect(),
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
		let shares: Vec<AggregateShare> =
			(0..n).map(|i| AggregateShare::without_noise(&e.layout, i, &st, &sums[i], eps).unwrap()).collect();
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
				assert!((got[i] - want[i]).abs() <= bound, "{st:?}: {} vs {} (bound {bound})", got[i], want[i]);
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
	let exact: Vec<AggregateShare> =
		(0..2).map(|i| AggregateShare::without_noise(&e.layout, i, &st, &sums[i], eps).unwrap()).collect();
	let noisy: Vec<AggregateShare> =
		(0..2).map(|i| AggregateShare::new(&e.layout, i, &st, &sums[i], eps).unwrap()).collect();
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
		Binding { genesis: GENESIS, epoch: EPOCH, schema: e.layout.schema_id, owner: [9; 32], record: 900 },
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
			.map(|i| Aggregator::new(e.layout.clone(), i, e.keys[i].clone(), [0; 32], genesis, epoch).unwrap())
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
	assert!(matches!(err, Error::ValueOutOfRange { field: 0, value: 121, max: 120, .. }), "{err:?}");
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
	assert_eq!(e.aggregators[0].finish(p.clone(), &[v0.clone(), v1.clone()]).unwrap_err(), Rejection::MalformedVerifierShare);
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
		report.sealed[0] =
			envelope::seal(&e.publics[0], 0, INPUT_SHARE_INFO, &b.aad(&report.id, 0, 2), &plaintext).unwrap();
		assert_eq!(e.aggregators[0].verify_init(&b, &report).unwrap_err(), Rejection::MalformedShare);
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
	let cs: Vec<Contribution> = (0..n).map(|i| Contribution::generate(GENESIS, EPOCH, i, &publics).unwrap()).collect();
	let cs: Vec<Contribution> = cs.iter().map(|c| Contribution::from_bytes(&c.to_bytes()).unwrap()).collect();
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
	let other: Vec<Contribution> =
		(0..n).map(|i| Contribution::generate(GENESIS, EPOCH + 1, i, &publics).unwrap()).collect();
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
	let shares: Vec<AggregateShare> =
		(0..3).map(|i| AggregateShare::new(&e.layout, i, &st, &sums[i], eps).unwrap()).collect();
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
	assert_ne!(s.id(), { let mut t = s.clone(); t.fields[0].max = 119; t.id() });
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

/// Every decoder against truncations, extensions, flipped bytes and random bytes: a typed
/// error, never a panic.
#[test]
fn malformed_bytes_of_every_decoder_are_typed_errors() {
	let e = epoch(&schema(), 2);
	let b = binding(&e.layout, 1, 100);
	let report = Report::generate(&e.layout, &records()[0], &b, &e.publics).unwrap();
	let (_, vs) = e.aggregators[0].verify_init(&b, &report).unwrap();
	let sums = cohort(&e, &records()[..2]);
	let share = AggregateShare::new(&e.layout, 0, &Statistic::Histogram { fields: vec![0, 2] }, &sums[0], Epsilon::new(1, 1).unwrap()).unwrap();
	let contribution = Contribution::generate(GENESIS, EPOCH, 0, &e.publics).unwrap();

	type Decoder = Box<dyn Fn(&[u8]) -> bool>;
	let decoders: Vec<(&str, Vec<u8>, Decoder)> = vec![
		("schema", schema().to_bytes(), Box::new(|x| Schema::from_bytes(x).is_ok())),
		("statistic", Statistic::Mean { fields: vec![1, 4] }.to_bytes(), Box::new(|x| Statistic::from_bytes(x).is_ok())),
		("report", report.to_bytes(), Box::new(|x| Report::from_bytes(x).is_ok())),
		("contribution", contribution.to_bytes(), Box::new(|x| Contribution::from_bytes(x).is_ok())),
		("verifier shares", vs.to_bytes(), Box::new(|x| VerifierShares::from_bytes(x).is_ok())),
		("aggregate share", share.to_bytes(), Box::new(|x| AggregateShare::from_bytes(x).is_ok())),
	];
	for (name, good, decode) in &decoders {
		assert!(decode(good), "{name} decodes");
		for cut in 0..good.len() {
			assert!(!decode(&good[..cut]), "{name} truncated to {cut} bytes decodes");
		}
		for extra in [&[0u8][..], &[1, 2, 3], &vec![0; 1000]] {
			assert!(!decode(&[good.as_slice(), extra].concat()), "{name} with trailing bytes decodes");
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
	assert!(matches!(Report::from_bytes(&[bytes.as_slice(), &[0]].concat()), Err(Error::TrailingBytes { .. })));
	assert!(matches!(Report::from_bytes(&vec![0; crate::report::MAX_REPORT_BYTES + 1]), Err(Error::TooLarge { .. })));
	assert_eq!(Report::from_bytes(&[b"XXXX".as_slice(), &bytes[4..]].concat()), Err(Error::BadMagic));
	let mut v = bytes.clone();
	v[4] = 9;
	assert_eq!(Report::from_bytes(&v), Err(Error::UnsupportedVersion(9, 1)));
	assert!(matches!(Schema::from_bytes(&bytes), Err(Error::WrongKind { .. })));
	// Non-canonical field elements in an aggregate share.
	let mut s = share.to_bytes();
	let n = s.len();
	s[n - 16..].copy_from_slice(&[0xff; 16]);
	assert!(matches!(AggregateShare::from_bytes(&s), Err(Error::Invalid { what: "field element", .. })));
}

/// A client that lies below the API: it proves a measurement the honest encoder refuses, with
/// the crate's own prover and the honest circuit (same algorithm id, same shapes), so honest
/// aggregators decode its shares and only the proof can catch it.
mod forgery {
	use super::*;
	use crate::schema::Part;
	use prio::{
		field::Field128,
		flp::{gadgets::{Mul, ParallelSum}, types::{Histogram, SumVec}, Flp, FlpError, Gadget, Type},
		vdaf::{prio3::{optimal_chunk_length, Prio3}, xof::XofTurboShake128, Client},
		codec::Encode,
	};

	/// The honest type `T`, except that it "encodes" whatever field elements it is given.
	#[derive(Clone, Debug, PartialEq, Eq)]
	struct Forge<T>(T);

	impl<T: Flp<Field = Field128>> Flp for Forge<T> {
		type Field = Field128;
		fn gadget(&self) -> Vec<Box<dyn Gadget<Field128>>> {
			self.0.gadget()
		}
		fn num_gadgets(&self) -> usize {
			self.0.num_gadgets()
		}
		fn valid(
			&self,
			g: &mut Vec<Box<dyn Gadget<Field128>>>,
			input: &[Field128],
			joint_rand: &[Field128],
			num_shares: usize,
		) -> Result<Vec<Field128>, FlpError> {
			self.0.valid(g, input, joint_rand, num_shares)
		}
		fn input_len(&self) -> usize {
			self.0.input_len()
		}
		fn proof_len(&self) -> usize {
			self.0.proof_len()
		}
		fn verifier_len(&self) -> usize {
			self.0.verifier_len()
		}
		fn joint_rand_len(&self) -> usize {
			self.0.joint_rand_len()
		}
		fn eval_output_len(&self) -> usize {
			self.0.eval_output_len()
		}
		fn prove_rand_len(&self) -> usize {
			self.0.prove_rand_len()
		}
	}

	impl<T: Type<Field = Field128>> Type for Forge<T> {
		type Measurement = Vec<Field128>;
		type AggregateResult = T::AggregateResult;
		fn encode_measurement(&self, m: &Vec<Field128>) -> Result<Vec<Field128>, FlpError> {
			Ok(m.clone())
		}
		fn truncate(&self, input: Vec<Field128>) -> Result<Vec<Field128>, FlpError> {
			self.0.truncate(input)
		}
		fn decode_result(&self, data: &[Field128], n: usize) -> Result<T::AggregateResult, FlpError> {
			self.0.decode_result(data, n)
		}
		fn output_len(&self) -> usize {
			self.0.output_len()
		}
	}

	/// A report whose part `forged` carries `input` (a raw encoded measurement), the other
	/// parts honest for `values`.
	fn forged_report<T: Type<Field = Field128>>(
		e: &Epoch,
		b: &Binding,
		values: &[u64],
		forged: usize,
		forge: Prio3<Forge<T>, XofTurboShake128, 32>,
		input: Vec<Field128>,
	) -> Report {
		let salt = [5u8; 16];
		let id = report_id(b, &salt);
		let mut public_shares = Vec::new();
		let mut plaintexts = vec![Vec::new(); e.layout.aggregators];
		for (i, part) in e.layout.parts.iter().enumerate() {
			let (public, inputs) = if i == forged {
				let (p, s) = forge.shard(&b.vdaf_ctx(i), &input, &id).unwrap();
				(p.get_encoded().unwrap(), s.iter().map(|s| s.get_encoded().unwrap()).collect::<Vec<_>>())
			} else {
				crate::vdaf::shard(part, &e.layout.schema, &b.vdaf_ctx(i), values, &id).unwrap()
			};
			public_shares.push(public);
			inputs.iter().enumerate().for_each(|(j, s)| crate::wire::put_bytes32(&mut plaintexts[j], s));
		}
		Report::seal(&e.layout, b, id, salt, public_shares, plaintexts, &e.publics).unwrap()
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
			assert!(matches!(&e.layout.parts[1], Part::Sums { fields, max: 120, .. } if fields == &vec![0]));
			let sumvec = |inner| Prio3::new(n as u8, 1, 0x00000003, Forge(inner)).unwrap();
			let honest = SumVec::<Field128, ParallelSum<Field128, Mul>>::new(120, 1, optimal_chunk_length(7)).unwrap();
			// Control: the forger's machinery with an honest encoding of 100 verifies.
			let ok = honest.encode_measurement(&vec![100u128]).unwrap();
			let report = forged_report(&e, &b, &records()[0], 1, sumvec(honest.clone()), ok);
			let outs = verify(&e, &b, &report).unwrap();
			assert_eq!(outs.len(), n);
			// "Bits" of 9 in the last place: 9·57 = 513 > 120.
			let bad = vec![f(0), f(0), f(0), f(0), f(0), f(0), f(9)];
			let report = forged_report(&e, &b, &records()[0], 1, sumvec(honest.clone()), bad);
			assert_eq!(verify(&e, &b, &report).unwrap_err(), Rejection::InvalidProof, "{n} aggregators");
			// A negative value: p − 1 in the first place.
			let bad = vec![-f(1), f(0), f(0), f(0), f(0), f(0), f(0)];
			let report = forged_report(&e, &b, &records()[0], 1, sumvec(honest), bad);
			assert_eq!(verify(&e, &b, &report).unwrap_err(), Rejection::InvalidProof);

			// Part 5 is the histogram of `age` (4 buckets): two-hot, and none-hot.
			assert!(matches!(&e.layout.parts[5], Part::Histogram { field: 0, .. }));
			let hist = || {
				let inner = Histogram::<Field128, ParallelSum<Field128, Mul>>::new(4, optimal_chunk_length(4)).unwrap();
				Prio3::new(n as u8, 1, 0x00000004, Forge(inner)).unwrap()
			};
			for bad in [vec![f(1), f(1), f(0), f(0)], vec![f(0); 4], vec![f(2), f(0), f(0), -f(1)]] {
				let report = forged_report(&e, &b, &records()[0], 5, hist(), bad.clone());
				assert_eq!(verify(&e, &b, &report).unwrap_err(), Rejection::InvalidProof, "{bad:?}");
			}
			// Presence (part 0) of 2 or 0.
			for bad in [vec![f(2)], vec![f(0)]] {
				let inner = Histogram::<Field128, ParallelSum<Field128, Mul>>::new(1, 1).unwrap();
				let report =
					forged_report(&e, &b, &records()[0], 0, Prio3::new(n as u8, 1, 0x00000004, Forge(inner)).unwrap(), bad);
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
