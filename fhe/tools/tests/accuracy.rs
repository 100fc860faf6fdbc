//! Accuracy on the real data sets in `../shared/data` (PMHE Fig. 7): the encrypted prediction
//! equals the plaintext fixed-point prediction on every test row, and its accuracy is within
//! 0.5 points of the float model's.
//!
//! The data directory is `$CUSTODIA_DATA_DIR`, or `../shared/data` beside the checkout.

use std::path::PathBuf;

use custodia_fhe::params::PERSONAL_V1;
use custodia_fhe_tools::pipeline::{run, CsvSpec, Dataset};

fn data_dir() -> PathBuf {
	std::env::var_os("CUSTODIA_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| {
		// The folder cargo runs the test from: a test binary reused from a checkout elsewhere
		// (cargo's fingerprints ignore where the workspace is) keeps that checkout's
		// compile-time path.
		let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
			.map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
		crate_dir.join("../../../shared/data")
	})
}

fn load(file: &str, spec: CsvSpec) -> Dataset {
	let path = data_dir().join(file);
	let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
		panic!(
			"data set {} is absent ({e}); set CUSTODIA_DATA_DIR to the folder holding it",
			path.display()
		)
	});
	Dataset::from_csv(&text, &spec).expect("data set parses")
}

fn check(name: &str, data: Dataset) {
	let (_, report) = run(&data, &PERSONAL_V1, name, "test").unwrap();
	println!("{name}: {report:?}");
	assert_eq!(
		report.class_agreement, report.test_rows,
		"{name}: encrypted class = plaintext class on every row"
	);
	assert_eq!(report.exact_scores, report.test_rows, "{name}: decrypted scores are exact");
	assert!(
		(report.encrypted_accuracy - report.float_accuracy).abs() <= 0.5,
		"{name}: encrypted {:.2} % vs float {:.2} %",
		report.encrypted_accuracy,
		report.float_accuracy
	);
	assert!(report.float_accuracy > 60.0, "{name}: the model learned something");
}

#[test]
fn cleveland_heart_disease() {
	let names = "age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,slope,ca,thal,num";
	let data = load(
		"processed.cleveland.data",
		CsvSpec {
			no_header: true,
			names: Some(names.split(',').map(String::from).collect()),
			outcome: "num".into(),
			positive: ">0".into(),
			..Default::default()
		},
	);
	assert_eq!(data.rows.len(), 297, "303 rows less 6 with '?'");
	assert_eq!(data.feature_names.len(), 13);
	check("cleveland", data);
}

#[test]
fn wisconsin_breast_cancer() {
	let data = load(
		"wdbc.data",
		CsvSpec {
			no_header: true,
			outcome: "2".into(),
			positive: "M".into(),
			drop: vec!["1".into()],
			..Default::default()
		},
	);
	assert_eq!((data.rows.len(), data.feature_names.len()), (569, 30));
	check("wdbc", data);
}

#[test]
fn low_birth_weight() {
	let data = load(
		"lbw_idash2017.txt",
		CsvSpec { outcome: "y".into(), positive: "1".into(), ..Default::default() },
	);
	assert_eq!((data.rows.len(), data.feature_names.len()), (189, 9));
	check("lbw", data);
}
