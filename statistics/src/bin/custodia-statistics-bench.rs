//! Benchmarks of the statistics engine on this machine, printed as a Markdown table.
//!
//! ```text
//! CARGO_TARGET_DIR=$HOME/.cache/custodia/target cargo run -p custodia-statistics \
//!     --bin custodia-statistics-bench -- [--reports 1285000] [--threads 2] [--dir /tmp]
//! ```
//! Measures, for a 20-field record (20 × 16-bit sums, plus the presence part), and for the same
//! record with two 8-bucket histograms:
//! - report generation (client: range check, Prio3 shards and proofs, HPKE sealing to every
//!   aggregator), 1 thread, with 2 and 4 aggregators; bytes per report;
//! - verification per aggregator (open my envelope, `verify_init`, combine every aggregator's
//!   verifier shares, `verify_next`), on `--threads` threads;
//! - cohort aggregation: `--reports` output shares written in the store format of each
//!   aggregator (real output shares of verified reports, cycled, each under a distinct report
//!   id), then summed from disk for a cohort listing every id; peak RSS (VmHWM).
//!   The unsharded totals are checked against the plaintext.

use custodia_statistics::{
	aggregator::{Aggregator, OutputShare, VerifierShares},
	binding::Binding,
	envelope::KeyPair,
	report::Report,
	schema::{FieldSpec, Layout, Schema},
	store::OutputShareStore,
	unshard::to_signed,
	verify_key::{derive_verify_key, Contribution},
};
use prio::field::Field128;
use std::time::Instant;

const GENESIS: [u8; 32] = [1; 32];
const EPOCH: u32 = 1;

struct Opts {
	reports: u64,
	threads: usize,
	dir: std::path::PathBuf,
}

fn opts() -> Opts {
	let mut o = Opts { reports: 1_285_000, threads: 2, dir: std::env::temp_dir() };
	let args: Vec<String> = std::env::args().skip(1).collect();
	let mut i = 0;
	while i < args.len() {
		let value = args.get(i + 1).cloned().unwrap_or_default();
		match args[i].as_str() {
			"--reports" => o.reports = value.parse().expect("--reports takes a number"),
			"--threads" => o.threads = value.parse().expect("--threads takes a number"),
			"--dir" => o.dir = value.into(),
			other => panic!("unknown argument {other}; see the file's doc"),
		}
		i += 2;
	}
	o
}

fn schema(histograms: bool) -> Schema {
	let fields = (0..20)
		.map(|i| {
			let f = FieldSpec::new(&format!("f{i:02}"), "unit", 65_535);
			if histograms && i < 2 {
				f.with_buckets(vec![1_000, 5_000, 10_000, 20_000, 30_000, 40_000, 50_000])
			} else {
				f
			}
		})
		.collect();
	Schema { category: "bench".into(), fields }
}

struct Epoch {
	layout: Layout,
	publics: Vec<[u8; 32]>,
	aggregators: Vec<Aggregator>,
}

fn epoch(schema: &Schema, n: usize) -> Epoch {
	let layout = schema.layout(n).unwrap();
	let keys: Vec<KeyPair> = (0..n).map(|_| KeyPair::generate().unwrap()).collect();
	let publics: Vec<[u8; 32]> = keys.iter().map(KeyPair::public).collect();
	let cs: Vec<Contribution> = (0..n)
		.map(|i| Contribution::generate(GENESIS, EPOCH, i, &publics).unwrap())
		.collect();
	let aggregators = (0..n)
		.map(|i| {
			let vk = derive_verify_key(&GENESIS, EPOCH, i, n, &keys[i], &cs).unwrap();
			Aggregator::new(layout.clone(), i, keys[i].clone(), vk, GENESIS, EPOCH).unwrap()
		})
		.collect();
	Epoch { layout, publics, aggregators }
}

fn binding(layout: &Layout, k: u64) -> Binding {
	let mut owner = [0u8; 32];
	owner[..8].copy_from_slice(&k.to_le_bytes());
	Binding { genesis: GENESIS, epoch: EPOCH, schema: layout.schema_id, owner, record: k }
}

/// A record's values, deterministic in `k` (not random: the benchmark needs no randomness of
/// its own, and the totals are checked).
fn values(k: u64) -> Vec<u64> {
	(0..20)
		.map(|i| (k.wrapping_mul(2_654_435_761).wrapping_add(i * 977)) % 65_536)
		.collect()
}

fn vm_hwm_kib() -> u64 {
	std::fs::read_to_string("/proc/self/status")
		.ok()
		.and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
		.and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
		.unwrap_or(0)
}

/// Runs `f(k)` for k in 0..count on `threads` threads.
fn parallel<T: Send>(count: u64, threads: usize, f: impl Fn(u64) -> T + Sync) -> Vec<T> {
	let per = count.div_ceil(threads as u64);
	std::thread::scope(|s| {
		let hs: Vec<_> = (0..threads as u64)
			.map(|t| {
				let f = &f;
				s.spawn(move || {
					((t * per).min(count)..((t + 1) * per).min(count)).map(f).collect::<Vec<_>>()
				})
			})
			.collect();
		hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
	})
}

fn main() {
	let o = opts();
	println!("| measure | value |");
	println!("|---|---|");

	// 1. Client: report generation, 1 thread.
	for (histograms, label) in
		[(false, "20 × 16-bit fields"), (true, "20 × 16-bit fields + 2 histograms of 8 buckets")]
	{
		for n in [2, 4] {
			let e = epoch(&schema(histograms), n);
			let count = 1_000u64;
			let start = Instant::now();
			let mut bytes = 0;
			for k in 0..count {
				let r = Report::generate(&e.layout, &values(k), &binding(&e.layout, k), &e.publics)
					.unwrap();
				bytes = r.to_bytes().len();
			}
			let ms = start.elapsed().as_secs_f64() * 1e3 / count as f64;
			println!("| report generation + proof + HPKE, {label}, {n} aggregators (1 thread) | {ms:.3} ms |");
			println!("| bytes per report, {label}, {n} aggregators | {bytes} B |");
		}
	}

	// 2. Aggregator: verification rate, on `threads` threads.
	let e = epoch(&schema(false), 2);
	let pool_size = 4_000u64;
	let pool: Vec<(Binding, Report)> = parallel(pool_size, o.threads, |k| {
		let b = binding(&e.layout, k);
		(b, Report::generate(&e.layout, &values(k), &b, &e.publics).unwrap())
	});
	// The other aggregator's verifier shares, as it would publish them (not timed).
	let theirs: Vec<VerifierShares> = parallel(pool_size, o.threads, |k| {
		e.aggregators[1]
			.verify_init(&pool[k as usize].0, &pool[k as usize].1)
			.unwrap()
			.1
	});
	let start = Instant::now();
	let mine: Vec<OutputShare> = parallel(pool_size, o.threads, |k| {
		let (b, r) = &pool[k as usize];
		let (pending, my_shares) = e.aggregators[0].verify_init(b, r).unwrap();
		let all = [
			VerifierShares::from_bytes(&my_shares.to_bytes()).unwrap(),
			theirs[k as usize].clone(),
		];
		e.aggregators[0].finish(pending, &all).unwrap()
	});
	let secs = start.elapsed().as_secs_f64();
	println!(
		"| verification per aggregator (open, verify_init, combine, verify_next), {} threads | {:.0} reports/s |",
		o.threads,
		pool_size as f64 / secs
	);
	let start = Instant::now();
	let one: Vec<OutputShare> = parallel(500, 1, |k| {
		let (b, r) = &pool[k as usize];
		let (pending, my_shares) = e.aggregators[0].verify_init(b, r).unwrap();
		e.aggregators[0]
			.finish(pending, &[my_shares, theirs[k as usize].clone()])
			.unwrap()
	});
	println!(
		"| verification per aggregator, 1 thread | {:.3} ms per report |",
		start.elapsed().as_secs_f64() * 1e3 / one.len() as f64
	);
	// Aggregator 1's output shares too, to check the totals.
	let ours: Vec<VerifierShares> = parallel(pool_size, o.threads, |k| {
		e.aggregators[0]
			.verify_init(&pool[k as usize].0, &pool[k as usize].1)
			.unwrap()
			.1
	});
	let mine1: Vec<OutputShare> = parallel(pool_size, o.threads, |k| {
		let (b, r) = &pool[k as usize];
		let (pending, s1) = e.aggregators[1].verify_init(b, r).unwrap();
		e.aggregators[1].finish(pending, &[ours[k as usize].clone(), s1]).unwrap()
	});
	let outputs = [mine, mine1];
	drop(pool);

	// 3. Cohort aggregation from the on-disk store.
	let mut ids = Vec::with_capacity(o.reports as usize);
	let paths: Vec<_> = (0..2)
		.map(|i| {
			o.dir
				.join(format!("custodia-statistics-bench-{}-{i}.store", std::process::id()))
		})
		.collect();
	let start = Instant::now();
	for (i, path) in paths.iter().enumerate() {
		let _ = std::fs::remove_file(path);
		let mut store = OutputShareStore::open(path, &e.layout, i).unwrap();
		let mut batch = Vec::with_capacity(10_000);
		for k in 0..o.reports {
			let mut id = [0u8; 16];
			id[..8].copy_from_slice(&k.to_le_bytes());
			id[8..].copy_from_slice(b"custodia");
			if i == 0 {
				ids.push(id);
			}
			batch.push(OutputShare {
				report_id: id,
				values: outputs[i][(k % pool_size) as usize].values.clone(),
			});
			if batch.len() == 10_000 {
				store.append(&batch).unwrap();
				batch.clear();
			}
		}
		store.append(&batch).unwrap();
	}
	let written = start.elapsed().as_secs_f64();
	let store0 = OutputShareStore::open(&paths[0], &e.layout, 0).unwrap();
	let file_bytes = std::fs::metadata(&paths[0]).unwrap().len();
	println!(
		"| store: {} output shares written per aggregator | {} B per record, {:.0} MB per file, {written:.1} s for both |",
		o.reports,
		store0.record_len(),
		file_bytes as f64 / 1e6
	);
	let hwm_before = vm_hwm_kib();
	let start = Instant::now();
	let agg0 = store0.aggregate(&ids, o.threads).unwrap();
	let secs = start.elapsed().as_secs_f64();
	let hwm = vm_hwm_kib();
	println!(
		"| cohort of {} reports summed from the store, {} threads | {secs:.3} s, peak RSS {:.0} MB (before: {:.0} MB) |",
		agg0.reports,
		o.threads,
		hwm as f64 / 1024.0,
		hwm_before as f64 / 1024.0
	);
	let agg1 = OutputShareStore::open(&paths[1], &e.layout, 1)
		.unwrap()
		.aggregate(&ids, o.threads)
		.unwrap();
	paths.iter().for_each(|p| std::fs::remove_file(p).unwrap());

	// Check: the unsharded totals equal the plaintext totals of the cycled pool.
	assert_eq!(agg0.reports, o.reports);
	assert!(agg0.missing.is_empty());
	let totals: Vec<i128> =
		agg0.values.iter().zip(&agg1.values).map(|(a, b)| to_signed(*a + *b)).collect();
	let mut want = vec![0i128; 20];
	for k in 0..o.reports {
		values(k % pool_size)
			.iter()
			.zip(want.iter_mut())
			.for_each(|(v, w)| *w += *v as i128);
	}
	assert_eq!(totals[0], o.reports as i128, "presence total is the count");
	assert_eq!(&totals[1..], &want[..], "sums equal the plaintext");
	let _: Field128 = agg0.values[0];
	println!("| check | unsharded count and 20 sums equal the plaintext |");
}
