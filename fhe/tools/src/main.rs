//! `custodia-fhe`: the FHE engine's command-line tools.
//!
//! - `accuracy`: train → quantise → encrypt → evaluate → decrypt → compare on any CSV file;
//! - `bench`: time the client and evaluator operations of a prediction and print a table;
//! - `personal-keygen`, `personal-encrypt`, `personal-decrypt`: the individual's side of an
//!   encrypted prediction, for developers and tests (key files hold the raw secret; people's keys
//!   belong in the `custodia` client, which seals them).

use std::{path::PathBuf, process::ExitCode, time::Instant};

use clap::{Parser, Subcommand};
use custodia_fhe::{
	model::{FeatureSpec, LinearModel, ModelTemplate},
	params::PERSONAL_V1,
	personal::{EncryptedScore, PersonalSecretKey},
};
use custodia_fhe_tools::pipeline::{run, CsvSpec, Dataset};

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
	/// Time a prediction's client and evaluator operations and print a table (see
	/// docs/benchmarks.md).
	///
	/// Example: custodia-fhe bench --iterations 500
	Bench {
		/// Repetitions per operation (the median is reported).
		#[arg(long, default_value_t = 200)]
		iterations: usize,
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
			std::fs::write(&out, record.to_bytes())
				.map_err(|e| format!("cannot write {}: {e}", out.display()))
		},
		Command::PersonalDecrypt { key, score } => {
			let key = read_key(&key)?;
			let bytes = std::fs::read(&score)
				.map_err(|e| format!("cannot read {}: {e}", score.display()))?;
			let score = EncryptedScore::from_bytes(&bytes).map_err(|e| e.to_string())?;
			println!("{}", key.decrypt_score(&score).map_err(|e| e.to_string())?);
			Ok(())
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
	let bytes =
		std::fs::read(path).map_err(|e| format!("cannot read the key {}: {e}", path.display()))?;
	PersonalSecretKey::from_secret_bytes(&bytes)
		.map_err(|e| format!("{} is not a personal key: {e}", path.display()))
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
	file.write_all(bytes)
		.map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn main() -> ExitCode {
	match Cli::parse().command {
		command @ (Command::PersonalKeygen { .. }
		| Command::PersonalEncrypt { .. }
		| Command::PersonalDecrypt { .. }) => client(command),
		Command::Accuracy { csv, no_header, names, outcome, positive, drop, print_model } => {
			let text = match std::fs::read_to_string(&csv) {
				Ok(text) => text,
				Err(e) => {
					eprintln!("error: cannot read {}: {e}", csv.display());
					return ExitCode::from(2);
				},
			};
			let spec = CsvSpec {
				no_header,
				names,
				outcome: outcome.clone(),
				positive: positive.clone(),
				drop,
			};
			let result = Dataset::from_csv(&text, &spec).and_then(|data| {
				let provenance = format!(
					"{}; logistic regression, 75/25 split (row % 4 == 3 is test)",
					csv.display()
				);
				run(&data, &PERSONAL_V1, &format!("{outcome} {positive}"), &provenance)
					.map(|r| (data, r))
			});
			match result {
				Ok((data, (model, report))) => {
					println!("data set        {}", csv.display());
					println!(
						"rows            {} train, {} test ({} skipped: missing values)",
						report.train_rows, report.test_rows, data.skipped_rows
					);
					println!(
						"features        {} ({})",
						report.features,
						data.feature_names.join(", ")
					);
					if !data.skipped_columns.is_empty() {
						println!("skipped columns {}", data.skipped_columns.join(", "));
					}
					println!("float accuracy     {:6.2} %", report.float_accuracy);
					println!("fixed-point        {:6.2} %", report.fixed_accuracy);
					println!("encrypted          {:6.2} %", report.encrypted_accuracy);
					println!(
						"class agreement    {}/{} (encrypted = fixed-point)",
						report.class_agreement, report.test_rows
					);
					println!("exact scores       {}/{}", report.exact_scores, report.test_rows);
					if print_model {
						println!(
							"{}",
							serde_json::to_string_pretty(model.template())
								.expect("a template serializes")
						);
					}
					if report.class_agreement == report.test_rows {
						ExitCode::SUCCESS
					} else {
						ExitCode::FAILURE
					}
				},
				Err(e) => {
					eprintln!("error: {e}");
					ExitCode::from(2)
				},
			}
		},
		Command::Bench { iterations } => {
			bench(iterations.max(1));
			ExitCode::SUCCESS
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
		features: (0..20)
			.map(|i| FeatureSpec {
				name: format!("f{i}"),
				unit: String::new(),
				offset: 0.0,
				scale: 1.0,
			})
			.collect(),
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
