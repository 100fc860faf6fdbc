//! The accuracy pipeline: train a float logistic regression on a CSV data set, quantise it into a
//! [`LinearModel`], and compare float, fixed-point and encrypted predictions on held-out rows.
//!
//! It is tooling for model authors and for the accuracy table in `docs/fhe-accuracy.md`, built
//! on the engine's public API only (as the clients are). Any CSV works: every column that holds numbers is a
//! feature, one named column is the binary outcome.
//!
//! **Split.** Deterministic, no random generator: row *i* (in file order, after dropping rows
//! with missing values) is a test row when `i % 4 == 3`, a training row otherwise (75/25).
//! **Training.** Features standardised on the training rows; full-batch gradient descent on the
//! L2-regularised log-loss (λ = 0.01, step 0.5, 3000 iterations), deterministic.
//! **Quantisation.** Standardised features × 2⁸ (clamped to ±16 σ); weights × (2¹⁰ / max|w|),
//! so the largest weight uses the full 11-bit signed range of [`custodia_fhe::params::PERSONAL_V1`].

use custodia_fhe::{
	model::{FeatureSpec, LinearModel, ModelTemplate},
	params::PersonalParameters,
	personal::PersonalSecretKey,
};

/// Why a data set cannot be read or a model cannot be built from it.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
	/// `--outcome` or `--drop` names a column the file does not have.
	#[error("no column named or numbered {wanted:?} (columns are {available})")]
	UnknownColumn { wanted: String, available: String },
	/// A threshold rule (`>x`) whose `x` is not a number.
	#[error("positive rule {rule:?}: expected a number after '>'")]
	BadPositiveRule { rule: String },
	/// The positive rule is a threshold but an outcome cell is not a number.
	#[error("outcome {value:?} is not a number, but the positive rule {rule:?} compares numbers")]
	NonNumericOutcome { value: String, rule: String },
	/// The CSV reader failed (I/O or quoting) at this record (1-based).
	#[error("CSV record {record}: {source}")]
	Csv { record: usize, source: csv::Error },
	/// `--names` gives a different number of names than the file has columns.
	#[error("{names} column names given for {columns} columns")]
	NameCountMismatch { names: usize, columns: usize },
	/// A row (1-based, after the header) is wider or narrower than the header.
	#[error("row {row} has {cells} cells where the header has {columns}")]
	RaggedRow { row: usize, cells: usize, columns: usize },
	/// Every row lacks a feature or the outcome.
	#[error("the data set has no complete rows")]
	NoCompleteRows,
	/// The quantised model or an encrypted prediction was refused by the engine.
	#[error(transparent)]
	Engine(#[from] custodia_fhe::Error),
}

/// Cells that mean "no value" in the data sets Custodia reads.
const MISSING: [&str; 6] = ["", "?", "NA", "Missing", "Unknown", "nan"];
/// Fixed-point units per standard deviation of a feature.
const FEATURE_SCALE: f64 = 256.0;

/// How to read a CSV file into a binary-classification data set.
#[derive(Clone, Debug, Default)]
pub struct CsvSpec {
	/// The file has no header row; columns are named `1`, `2`, … unless `names` is given.
	pub no_header: bool,
	/// Column names to use instead of the header (or for a file without one).
	pub names: Option<Vec<String>>,
	/// The outcome column: a name, or a 1-based column number.
	pub outcome: String,
	/// Which outcome values are positive: a literal (`M`, `1`) or a threshold (`>0`).
	pub positive: String,
	/// Columns to leave out (names or 1-based numbers), e.g. a patient ID.
	pub drop: Vec<String>,
}

/// A numeric data set with a binary outcome.
#[derive(Clone, Debug)]
pub struct Dataset {
	pub feature_names: Vec<String>,
	pub rows: Vec<Vec<f64>>,
	pub labels: Vec<bool>,
	/// Rows left out because a feature or the outcome was missing.
	pub skipped_rows: usize,
	/// Columns left out because they hold text (or were dropped on request).
	pub skipped_columns: Vec<String>,
}

fn column_index(names: &[String], wanted: &str) -> Result<usize, PipelineError> {
	if let Some(i) = names.iter().position(|n| n == wanted) {
		return Ok(i);
	}
	match wanted.parse::<usize>() {
		Ok(n) if (1..=names.len()).contains(&n) => Ok(n - 1),
		_ => Err(PipelineError::UnknownColumn {
			wanted: wanted.to_string(),
			available: names.join(", "),
		}),
	}
}

fn is_positive(rule: &str, value: &str) -> Result<bool, PipelineError> {
	if let Some(threshold) = rule.strip_prefix('>') {
		let threshold: f64 = threshold
			.trim()
			.parse()
			.map_err(|_| PipelineError::BadPositiveRule { rule: rule.to_string() })?;
		let v: f64 = value.trim().parse().map_err(|_| PipelineError::NonNumericOutcome {
			value: value.to_string(),
			rule: rule.to_string(),
		})?;
		return Ok(v > threshold);
	}
	Ok(value.trim() == rule.trim())
}

impl Dataset {
	/// Reads a CSV text according to `spec`.
	pub fn from_csv(text: &str, spec: &CsvSpec) -> Result<Self, PipelineError> {
		let mut reader = csv::ReaderBuilder::new()
			.has_headers(false)
			.flexible(true)
			.trim(csv::Trim::All)
			.from_reader(text.as_bytes());
		let mut records: Vec<Vec<String>> = Vec::new();
		for (line, record) in reader.records().enumerate() {
			let record =
				record.map_err(|source| PipelineError::Csv { record: line + 1, source })?;
			if record.iter().any(|cell| !cell.is_empty()) {
				records.push(record.iter().map(String::from).collect());
			}
		}
		let header =
			if spec.no_header || records.is_empty() { None } else { Some(records.remove(0)) };
		let width = header
			.as_ref()
			.map(Vec::len)
			.or_else(|| records.first().map(Vec::len))
			.unwrap_or(0);
		let names: Vec<String> = match (&spec.names, header) {
			(Some(names), _) => names.clone(),
			(None, Some(header)) => header,
			(None, None) => (1..=width).map(|i| i.to_string()).collect(),
		};
		if names.len() != width {
			return Err(PipelineError::NameCountMismatch { names: names.len(), columns: width });
		}
		let outcome = column_index(&names, &spec.outcome)?;
		let dropped: Vec<usize> =
			spec.drop.iter().map(|d| column_index(&names, d)).collect::<Result<_, _>>()?;

		// A feature column holds only numbers (or missing markers).
		let mut skipped_columns = Vec::new();
		let mut features = Vec::new();
		for (i, name) in names.iter().enumerate() {
			if i == outcome {
				continue;
			}
			let numeric = records.iter().all(|r| {
				r.get(i).is_some_and(|cell| {
					MISSING.contains(&cell.as_str()) || cell.parse::<f64>().is_ok()
				})
			});
			if dropped.contains(&i) || !numeric {
				skipped_columns.push(name.clone());
			} else {
				features.push(i);
			}
		}

		let mut rows = Vec::new();
		let mut labels = Vec::new();
		let mut skipped_rows = 0;
		for (row, record) in records.iter().enumerate() {
			if record.len() != width {
				return Err(PipelineError::RaggedRow {
					row: row + 1,
					cells: record.len(),
					columns: width,
				});
			}
			let label_cell = &record[outcome];
			let values: Option<Vec<f64>> =
				features.iter().map(|&i| record[i].parse::<f64>().ok()).collect();
			match values {
				Some(values) if !MISSING.contains(&label_cell.as_str()) => {
					labels.push(is_positive(&spec.positive, label_cell)?);
					rows.push(values);
				},
				_ => skipped_rows += 1,
			}
		}
		if rows.is_empty() {
			return Err(PipelineError::NoCompleteRows);
		}
		Ok(Dataset {
			feature_names: features.iter().map(|&i| names[i].clone()).collect(),
			rows,
			labels,
			skipped_rows,
			skipped_columns,
		})
	}

	/// Splits into (training, test) rows: row `i` is a test row when `i % 4 == 3`.
	pub fn split(&self) -> (Vec<usize>, Vec<usize>) {
		(0..self.rows.len()).partition(|i| i % 4 != 3)
	}
}

/// A float logistic regression on standardised features.
#[derive(Clone, Debug)]
pub struct FloatModel {
	pub means: Vec<f64>,
	pub stds: Vec<f64>,
	pub weights: Vec<f64>,
	pub bias: f64,
}

impl FloatModel {
	/// Trains on the given rows (see the module documentation for the method).
	pub fn train(data: &Dataset, rows: &[usize]) -> Self {
		let d = data.feature_names.len();
		let n = rows.len() as f64;
		let mean = |j: usize| rows.iter().map(|&r| data.rows[r][j]).sum::<f64>() / n;
		let means: Vec<f64> = (0..d).map(mean).collect();
		let stds: Vec<f64> = (0..d)
			.map(|j| {
				let var =
					rows.iter().map(|&r| (data.rows[r][j] - means[j]).powi(2)).sum::<f64>() / n;
				if var > 0.0 {
					var.sqrt()
				} else {
					1.0
				}
			})
			.collect();
		let x: Vec<Vec<f64>> = rows
			.iter()
			.map(|&r| (0..d).map(|j| (data.rows[r][j] - means[j]) / stds[j]).collect())
			.collect();
		let y: Vec<f64> = rows.iter().map(|&r| if data.labels[r] { 1.0 } else { 0.0 }).collect();

		let (lambda, step) = (0.01, 0.5);
		let mut w = vec![0.0; d];
		let mut b = 0.0;
		for _ in 0..3000 {
			let mut grad_w = vec![0.0; d];
			let mut grad_b = 0.0;
			for (xi, yi) in x.iter().zip(&y) {
				let z: f64 = xi.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>() + b;
				let err = 1.0 / (1.0 + (-z).exp()) - yi;
				xi.iter().zip(grad_w.iter_mut()).for_each(|(a, g)| *g += err * a);
				grad_b += err;
			}
			for (wj, gj) in w.iter_mut().zip(&grad_w) {
				*wj -= step * (gj / n + lambda * *wj);
			}
			b -= step * grad_b / n;
		}
		FloatModel { means, stds, weights: w, bias: b }
	}

	/// The logit of a raw row.
	pub fn logit(&self, row: &[f64]) -> f64 {
		row.iter()
			.zip(self.means.iter().zip(&self.stds))
			.zip(&self.weights)
			.map(|((x, (m, s)), w)| (x - m) / s * w)
			.sum::<f64>()
			+ self.bias
	}

	/// Quantises into a fixed-point [`LinearModel`] for the given parameter set.
	pub fn quantise(
		&self,
		params: &'static PersonalParameters,
		names: &[String],
		outcome: &str,
		provenance: &str,
	) -> Result<LinearModel, custodia_fhe::Error> {
		let max_w = self.weights.iter().fold(0.0f64, |m, w| m.max(w.abs())).max(f64::MIN_POSITIVE);
		let weight_scale = params.max_abs_weight as f64 / max_w;
		let template = ModelTemplate {
			features: names
				.iter()
				.zip(self.means.iter().zip(&self.stds))
				.map(|(name, (m, s))| FeatureSpec {
					name: name.clone(),
					unit: String::new(),
					offset: *m,
					scale: FEATURE_SCALE / s,
				})
				.collect(),
			weights: self.weights.iter().map(|w| (w * weight_scale).round() as i64).collect(),
			bias: (self.bias * FEATURE_SCALE * weight_scale).round() as i64,
			score_unit: 1.0 / (FEATURE_SCALE * weight_scale),
			outcome: outcome.to_string(),
			provenance: provenance.to_string(),
		};
		LinearModel::new(params, template)
	}
}

/// Accuracy of the three predictors on the test rows.
#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyReport {
	pub train_rows: usize,
	pub test_rows: usize,
	pub features: usize,
	pub float_accuracy: f64,
	pub fixed_accuracy: f64,
	pub encrypted_accuracy: f64,
	/// Test rows whose encrypted class equals the plaintext fixed-point class.
	pub class_agreement: usize,
	/// Test rows whose decrypted score equals the plaintext fixed-point score exactly.
	pub exact_scores: usize,
}

/// Train → quantise → encrypt → evaluate → decrypt → compare, on one data set.
pub fn run(
	data: &Dataset,
	params: &'static PersonalParameters,
	outcome: &str,
	provenance: &str,
) -> Result<(LinearModel, AccuracyReport), PipelineError> {
	let (train, test) = data.split();
	let float = FloatModel::train(data, &train);
	let model = float.quantise(params, &data.feature_names, outcome, provenance)?;
	let key = PersonalSecretKey::generate(params);
	let (mut float_ok, mut fixed_ok, mut enc_ok, mut agree, mut exact) = (0, 0, 0, 0, 0);
	for &r in &test {
		let label = data.labels[r];
		let encoded = model.encode(&data.rows[r])?;
		let plain = model.score_plain(&encoded)?;
		let decrypted = key.decrypt_score(&model.evaluate(&key.encrypt(&encoded)?)?)?;
		float_ok += usize::from((float.logit(&data.rows[r]) >= 0.0) == label);
		fixed_ok += usize::from(LinearModel::class(plain) == label);
		enc_ok += usize::from(LinearModel::class(decrypted) == label);
		agree += usize::from(LinearModel::class(decrypted) == LinearModel::class(plain));
		exact += usize::from(decrypted == plain);
	}
	let pct = |k: usize| 100.0 * k as f64 / test.len() as f64;
	let report = AccuracyReport {
		train_rows: train.len(),
		test_rows: test.len(),
		features: data.feature_names.len(),
		float_accuracy: pct(float_ok),
		fixed_accuracy: pct(fixed_ok),
		encrypted_accuracy: pct(enc_ok),
		class_agreement: agree,
		exact_scores: exact,
	};
	Ok((model, report))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn csv_with_header_missing_values_and_text_columns() {
		let text = "id,age,sex,outcome\na1,50,1,yes\na2,?,0,no\na3,61,0,no\n";
		let spec =
			CsvSpec { outcome: "outcome".into(), positive: "yes".into(), ..Default::default() };
		let data = Dataset::from_csv(text, &spec).unwrap();
		assert_eq!(data.feature_names, vec!["age", "sex"]);
		assert_eq!(data.rows, vec![vec![50.0, 1.0], vec![61.0, 0.0]]);
		assert_eq!(data.labels, vec![true, false]);
		assert_eq!(data.skipped_rows, 1);
		assert_eq!(data.skipped_columns, vec!["id"]);
	}

	#[test]
	fn csv_without_header_by_column_number_and_threshold() {
		let text = "7,1.5,0\r\n8,2.5,3\r\n";
		let spec = CsvSpec {
			no_header: true,
			outcome: "3".into(),
			positive: ">0".into(),
			drop: vec!["1".into()],
			..Default::default()
		};
		let data = Dataset::from_csv(text, &spec).unwrap();
		assert_eq!(data.feature_names, vec!["2"]);
		assert_eq!(data.labels, vec![false, true]);
	}

	#[test]
	fn unknown_outcome_column_is_an_error() {
		let spec =
			CsvSpec { outcome: "missing".into(), positive: "1".into(), ..Default::default() };
		assert!(matches!(
			Dataset::from_csv("a,b\n1,2\n", &spec),
			Err(PipelineError::UnknownColumn { wanted, available }) if wanted == "missing" && available == "a, b"
		));
	}

	#[test]
	fn split_is_75_25_by_row_index() {
		let data = Dataset {
			feature_names: vec![],
			rows: vec![vec![]; 8],
			labels: vec![false; 8],
			skipped_rows: 0,
			skipped_columns: vec![],
		};
		assert_eq!(data.split(), (vec![0, 1, 2, 4, 5, 6], vec![3, 7]));
	}

	#[test]
	fn training_separates_a_separable_set() {
		let rows: Vec<Vec<f64>> = (0..40).map(|i| vec![i as f64, (i % 3) as f64]).collect();
		let labels: Vec<bool> = (0..40).map(|i| i >= 20).collect();
		let data = Dataset {
			feature_names: vec!["x".into(), "noise".into()],
			rows,
			labels,
			skipped_rows: 0,
			skipped_columns: vec![],
		};
		let all: Vec<usize> = (0..40).collect();
		let model = FloatModel::train(&data, &all);
		let correct = all
			.iter()
			.filter(|&&r| (model.logit(&data.rows[r]) >= 0.0) == data.labels[r])
			.count();
		assert!(correct >= 38, "{correct}/40");
		assert!(model.weights[0] > 0.0);
	}
}
