//! `custodia-fhe`: the FHE engine's command-line tools.
//!
//! - `accuracy`: train → quantise → encrypt → evaluate → decrypt → compare on any CSV file;
//! - `bench`: time the client and evaluator operations and print a table;
//! - `personal-keygen`, `personal-encrypt`, `personal-decrypt`: the individual's side of an
//!   encrypted prediction, for developers and tests (key files hold the raw secret; people's keys
//!   belong in the `custodia` client, which seals them);
//! - `cohort-encrypt`: a record's FHE section, encrypted under the consortium's joint key as the
//!   chain agreed it (the bytes of a joint-key job's result).

use std::{path::PathBuf, process::ExitCode, time::Instant};

use clap::{Parser, Subcommand};
use custodia_fhe::{
	cdc::CdcColumns,
	cohort::{Aggregate, JointPublicKey, KeyHolder},
	model::{FeatureSpec, LinearModel, ModelTemplate},
	params::{COHORT_V1, PERSONAL_V1},
	personal::{EncryptedScore, PersonalSecretKey},
	pipeline::{run, CsvSpec, Dataset},
};

#[derive(Parser)]
#[command(version, about = "Custodia FHE engine tools")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Accuracy of float, fixed-point and encrypted predictions on a CSV data set.
	///
	/// Example: custodia-fhe accuracy ../shared/data/wdbc.data --no-header --outcome 2 --positive M --drop 1
	Accuracy {
		/// The CSV file.
		csv: PathBuf,
		/// The file has no header row (columns are then numbered from 1).
		#[arg(long)]
		no_header: bool,
		/// Comma-separated column names (for files without a header).
		#[arg(long, value_delimiter = ',')]
		names: Option<Vec<String>>,
		/// The binary outcome column (name or 1-based number).
		#[arg(long)]
		outcome: String,
		/// Positive outcome: a value (`M`, `1`) or a threshold (`>0`).
		#[arg(long, allow_hyphen_values = true)]
		positive: String,
		/// Columns to leave out, e.g. an ID (names or numbers, comma-separated).
		#[arg(long, value_delimiter = ',')]
		drop: Vec<String>,
		/// Print the quantised model template as JSON.
		#[arg(long)]
		print_model: bool,
	},
	/// Time the personal and cohort operations and print a table (see docs/benchmarks.md).
	///
	/// Example: scripts/synth-cdc.py --rows 1000 > /tmp/cdc.csv && custodia-fhe bench --cohort-csv /tmp/cdc.csv
	Bench {
		/// Repetitions per personal operation (the median is reported).
		#[arg(long, default_value_t = 200)]
		iterations: usize,
		/// CDC-schema CSV (e.g. from scripts/synth-cdc.py) whose rows become the cohort records.
		#[arg(long)]
		cohort_csv: Option<PathBuf>,
		/// Distinct encrypted records; the aggregate cycles through them.
		#[arg(long, default_value_t = 1000)]
		pool: usize,
		/// Records in the aggregate.
		#[arg(long, default_value_t = 1_285_000)]
		records: usize,
		/// Consortium key holders.
		#[arg(long, default_value_t = 4)]
		holders: u16,
	},
	/// Make a personal FHE secret key (PERSONAL_V1) and write it, unsealed, to a file.
	///
	/// Example: custodia-fhe personal-keygen --out /tmp/me.key
	PersonalKeygen {
		#[arg(long)]
		out: PathBuf,
	},
	/// Encrypt fixed-point features (already quantised integers) under a personal key.
	///
	/// Example: custodia-fhe personal-encrypt --key /tmp/me.key --features 12,-40,7 --out /tmp/record.bin
	PersonalEncrypt {
		#[arg(long)]
		key: PathBuf,
		#[arg(long, value_delimiter = ',', allow_hyphen_values = true, required = true)]
		features: Vec<i64>,
		#[arg(long)]
		out: PathBuf,
	},
	/// Decrypt an encrypted score (as evaluators return it) and print its fixed-point value.
	///
	/// Example: custodia-fhe personal-decrypt --key /tmp/me.key --score /tmp/score.bin
	PersonalDecrypt {
		#[arg(long)]
		key: PathBuf,
		#[arg(long)]
		score: PathBuf,
	},
	/// Encrypt a record's numeric fields (integers) under the consortium's joint public key: the
	/// FHE section evaluators aggregate into cohort statistics.
	///
	/// Example: custodia-fhe cohort-encrypt --joint-key /tmp/joint.key --fields 72,120,80 --out /tmp/section.bin
	CohortEncrypt {
		/// The joint public key's bytes (the agreed result of the epoch's joint-key job).
		#[arg(long)]
		joint_key: PathBuf,
		#[arg(long, value_delimiter = ',', allow_hyphen_values = true, required = true)]
		fields: Vec<i64>,
		#[arg(long)]
		out: PathBuf,
	},
}

/// Runs a client-side command; errors are printed as `error: …` with exit code 2.
fn client(command: Command) -> ExitCode {
	let result: Result<(), String> = (|| match command {
		Command::PersonalKeygen { out } => {
			let key = PersonalSecretKey::generate(&PERSONAL_V1);
			write_private(&out, &key.to_secret_bytes())
		},
		Command::PersonalEncrypt { key, features, out } => {
			let key = read_key(&key)?;
			let record = key.encrypt(&features).map_err(|e| e.to_string())?;
			std::fs::write(&out, record.to_bytes()).map_err(|e| format!("cannot write {}: {e}", out.display()))
		},
		Command::PersonalDecrypt { key, score } => {
			let key = read_key(&key)?;
			let bytes = std::fs::read(&score).map_err(|e| format!("cannot read {}: {e}", score.display()))?;
			let score = EncryptedScore::from_bytes(&bytes, 1 << 20).map_err(|e| e.to_string())?;
			println!("{}", key.decrypt_score(&score).map_err(|e| e.to_string())?);
			Ok(())
		},
		Command::CohortEncrypt { joint_key, fields, out } => {
			let bytes = std::fs::read(&joint_key).map_err(|e| format!("cannot read {}: {e}", joint_key.display()))?;
			let key = JointPublicKey::from_bytes(&bytes, 1 << 20)
				.map_err(|e| format!("{} is not a joint public key: {e}", joint_key.display()))?;
			let record = key.encrypt(&fields).map_err(|e| e.to_string())?;
			std::fs::write(&out, record.to_bytes()).map_err(|e| format!("cannot write {}: {e}", out.display()))
		},
		_ => unreachable!("only client commands are passed here"),
	})();
	match result {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("error: {e}");
			ExitCode::from(2)
		},
	}
}

fn read_key(path: &PathBuf) -> Result<PersonalSecretKey, String> {
	let bytes = std::fs::read(path).map_err(|e| format!("cannot read the key {}: {e}", path.display()))?;
	PersonalSecretKey::from_secret_bytes(&bytes).map_err(|e| format!("{} is not a personal key: {e}", path.display()))
}

/// Writes a secret readable by its owner only.
fn write_private(path: &PathBuf, bytes: &[u8]) -> Result<(), String> {
	use std::{io::Write, os::unix::fs::OpenOptionsExt};
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(path)
		.map_err(|e| format!("cannot create {} (it must not exist yet): {e}", path.display()))?;
	file.write_all(bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn main() -> ExitCode {
	match Cli::parse().command {
		command @ (Command::PersonalKeygen { .. } |
		Command::PersonalEncrypt { .. } |
		Command::PersonalDecrypt { .. } |
		Command::CohortEncrypt { .. }) => client(command),
		Command::Accuracy { csv, no_header, names, outcome, positive, drop, print_model } => {
			let text = match std::fs::read_to_string(&csv) {
				Ok(text) => text,
				Err(e) => {
					eprintln!("error: cannot read {}: {e}", csv.display());
					return ExitCode::from(2);
				},
			};
			let spec = CsvSpec { no_header, names, outcome: outcome.clone(), positive: positive.clone(), drop };
			let result = Dataset::from_csv(&text, &spec).and_then(|data| {
				let provenance = format!("{}; logistic regression, 75/25 split (row % 4 == 3 is test)", csv.display());
				run(&data, &PERSONAL_V1, &format!("{outcome} {positive}"), &provenance).map(|r| (data, r))
			});
			match result {
				Ok((data, (model, report))) => {
					println!("data set        {}", csv.display());
					println!("rows            {} train, {} test ({} skipped: missing values)", report.train_rows, report.test_rows, data.skipped_rows);
					println!("features        {} ({})", report.features, data.feature_names.join(", "));
					if !data.skipped_columns.is_empty() {
						println!("skipped columns {}", data.skipped_columns.join(", "));
					}
					println!("float accuracy     {:6.2} %", report.float_accuracy);
					println!("fixed-point        {:6.2} %", report.fixed_accuracy);
					println!("encrypted          {:6.2} %", report.encrypted_accuracy);
					println!("class agreement    {}/{} (encrypted = fixed-point)", report.class_agreement, report.test_rows);
					println!("exact scores       {}/{}", report.exact_scores, report.test_rows);
					if print_model {
						println!("{}", serde_json::to_string_pretty(model.template()).expect("a template serializes"));
					}
					if report.class_agreement == report.test_rows { ExitCode::SUCCESS } else { ExitCode::FAILURE }
				},
				Err(e) => {
					eprintln!("error: {e}");
					ExitCode::from(2)
				},
			}
		},
		Command::Bench { iterations, cohort_csv, pool, records, holders } => {
			bench(iterations.max(1));
			match cohort_csv {
				Some(path) => match bench_cohort(&path, pool.max(1), records, holders.max(1)) {
					Ok(()) => ExitCode::SUCCESS,
					Err(e) => {
						eprintln!("error: {e}");
						ExitCode::FAILURE
					},
				},
				None => {
					eprintln!("(cohort figures skipped: pass --cohort-csv, e.g. from scripts/synth-cdc.py)");
					ExitCode::SUCCESS
				},
			}
		},
	}
}

/// Median wall time of `f` over `iterations` runs, in microseconds.
fn median_micros(iterations: usize, mut f: impl FnMut()) -> f64 {
	let mut samples: Vec<f64> = (0..iterations)
		.map(|_| {
			let start = Instant::now();
			f();
			start.elapsed().as_secs_f64() * 1e6
		})
		.collect();
	samples.sort_by(|a, b| a.total_cmp(b));
	samples[samples.len() / 2]
}

fn bench(iterations: usize) {
	let key = PersonalSecretKey::generate(&PERSONAL_V1);
	let features: Vec<i64> = (0..20).map(|i| i * 150 - 1500).collect();
	let template = ModelTemplate {
		features: (0..20).map(|i| FeatureSpec { name: format!("f{i}"), unit: String::new(), offset: 0.0, scale: 1.0 }).collect(),
		weights: (0..20).map(|i| (i * 97 % 2048) - 1024).collect(),
		bias: 12345,
		score_unit: 1.0,
		outcome: String::new(),
		provenance: String::new(),
	};
	let model = LinearModel::new(&PERSONAL_V1, template).expect("bench model is valid");
	let record = key.encrypt(&features).expect("bench features are valid");
	let score = model.evaluate(&record).expect("evaluation succeeds");

	let encrypt = median_micros(iterations, || drop(key.encrypt(&features)));
	let evaluate = median_micros(iterations, || drop(model.evaluate(&record)));
	let decrypt = median_micros(iterations, || drop(key.decrypt_score(&score)));
	let record_bytes = record.to_bytes().len();
	let score_bytes = score.to_bytes().len();

	println!("| operation (PERSONAL_V1, 20 features, 1 thread) | median | target |");
	println!("|---|---|---|");
	println!("| client encrypt | {:.3} ms | ≤ 1 ms |", encrypt / 1e3);
	println!("| LR evaluation (Σ wᵢxᵢ + b) | {:.3} ms | ≤ 1 ms |", evaluate / 1e3);
	println!("| client decrypt of the score | {:.3} ms | ≤ 1 ms |", decrypt / 1e3);
	println!("| personal record | {record_bytes} B | ≤ 1 KB |");
	println!("| encrypted score | {score_bytes} B | — |");
}

/// Peak resident set size of this process so far (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
	let status = std::fs::read_to_string("/proc/self/status").ok()?;
	let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
	let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
	Some(kib / 1024.0)
}

fn bench_cohort(path: &std::path::Path, pool: usize, total: usize, holders: u16) -> Result<(), Box<dyn std::error::Error>> {
	let mut reader = csv::Reader::from_path(path)?;
	let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
	let columns = CdcColumns::from_header(&header.iter().map(String::as_str).collect::<Vec<_>>())?;
	let mut plain = Vec::with_capacity(pool);
	for row in reader.records().take(pool) {
		let row = row?;
		plain.push(columns.encode(&row.iter().collect::<Vec<_>>())?);
	}
	if plain.len() < pool {
		return Err(format!("{} has {} rows, the pool needs {pool}", path.display(), plain.len()).into());
	}

	let start = Instant::now();
	let (secrets, shares): (Vec<_>, Vec<_>) = (0..holders).map(|i| KeyHolder::generate(&COHORT_V1, i, 0x5EED)).unzip();
	let keygen = start.elapsed().as_secs_f64() * 1e3 / holders as f64;
	let key = JointPublicKey::combine(&shares)?;

	let mut encrypt_ms = Vec::with_capacity(pool);
	let mut records = Vec::with_capacity(pool);
	for fields in &plain {
		let start = Instant::now();
		records.push(key.encrypt(fields)?);
		encrypt_ms.push(start.elapsed().as_secs_f64() * 1e3);
	}
	encrypt_ms.sort_by(|a, b| a.total_cmp(b));
	let record_bytes = records[0].to_bytes().len();

	// Aggregate `total` records, cycling through the pool, on every core.
	let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
	let start = Instant::now();
	let partials: Vec<Aggregate> = std::thread::scope(|scope| {
		let handles: Vec<_> = (0..threads)
			.map(|t| {
				let records = &records;
				scope.spawn(move || {
					let mut partial = Aggregate::new(&COHORT_V1, 20);
					(t..total).step_by(threads).for_each(|i| partial.add(&records[i % pool]).expect("same shape"));
					partial
				})
			})
			.collect();
		handles.into_iter().map(|h| h.join().expect("aggregation thread")).collect()
	});
	let mut aggregate = Aggregate::new(&COHORT_V1, 20);
	partials.iter().try_for_each(|p| aggregate.merge(p))?;
	let aggregate_s = start.elapsed().as_secs_f64();

	let start = Instant::now();
	let decryption_shares = secrets.iter().map(|s| s.partial_decrypt(&aggregate)).collect::<Result<Vec<_>, _>>()?;
	let partial_ms = start.elapsed().as_secs_f64() * 1e3 / holders as f64;
	let start = Instant::now();
	let sums = aggregate.combine(&decryption_shares)?;
	let combine_ms = start.elapsed().as_secs_f64() * 1e3;

	let mut expected = [0i64; 20];
	for i in 0..total {
		plain[i % pool].iter().zip(expected.iter_mut()).for_each(|(f, e)| *e += f);
	}
	let exact = sums == expected;

	println!();
	println!("| operation (COHORT_V1, 20-field CDC records, {holders} key holders) | figure | target |");
	println!("|---|---|---|");
	println!("| key-holder key generation (per holder) | {keygen:.1} ms | — |");
	println!("| cohort record encrypt (median of {pool}, 1 call) | {:.2} ms | ≤ 2.4 ms |", encrypt_ms[pool / 2]);
	println!("| cohort record size | {record_bytes} B | ≤ 64 KB |");
	println!("| aggregate {total} records ({threads} threads, pool of {pool} distinct records) | {aggregate_s:.2} s | ≤ 10 s |");
	println!("| partial decryption (per holder, 20 fields) | {partial_ms:.2} ms | — |");
	println!("| combine {holders} shares | {combine_ms:.2} ms | — |");
	println!("| peak RSS | {:.0} MiB | ≤ 2 GB |", peak_rss_mib().unwrap_or(f64::NAN));
	println!("| decrypted aggregate = plaintext sum | {} | yes |", if exact { "yes" } else { "NO" });
	if !exact {
		return Err(format!("decrypted {sums:?}, expected {expected:?}").into());
	}
	Ok(())
}
