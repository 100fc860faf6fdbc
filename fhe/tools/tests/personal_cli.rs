//! The individual's side of an encrypted prediction through the `custodia-fhe` tool: make a
//! key, encrypt features, let an evaluator score them, decrypt the score.

use std::{path::Path, process::Command};

use custodia_fhe::{
	model::{FeatureSpec, LinearModel, ModelTemplate},
	params::PERSONAL_V1,
	personal::PersonalRecord,
};

fn tool(args: &[&str]) -> std::process::Output {
	Command::new(env!("CARGO_BIN_EXE_custodia-fhe"))
		.args(args)
		.output()
		.expect("the tool runs")
}

fn path(dir: &Path, name: &str) -> String {
	dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn keygen_encrypt_evaluate_decrypt_round_trip() {
	let dir = std::env::temp_dir().join(format!("custodia-fhe-cli-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let (key, record, score) =
		(path(&dir, "me.key"), path(&dir, "record.bin"), path(&dir, "score.bin"));
	let _ = std::fs::remove_file(&key);

	assert!(tool(&["personal-keygen", "--out", &key]).status.success());
	use std::os::unix::fs::PermissionsExt;
	assert_eq!(
		std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
		0o600,
		"the key is private"
	);
	let again = tool(&["personal-keygen", "--out", &key]);
	assert_eq!(again.status.code(), Some(2), "an existing key is never overwritten");

	let features = [12i64, -40, 7];
	assert!(tool(&["personal-encrypt", "--key", &key, "--features", "12,-40,7", "--out", &record])
		.status
		.success());

	// The evaluator's side, as the worker does it.
	let template = ModelTemplate {
		features: (0..3)
			.map(|i| FeatureSpec {
				name: format!("f{i}"),
				unit: String::new(),
				offset: 0.0,
				scale: 1.0,
			})
			.collect(),
		weights: vec![5, -2, 100],
		bias: 33,
		score_unit: 1.0,
		outcome: "test".into(),
		provenance: "test".into(),
	};
	let model = LinearModel::new(&PERSONAL_V1, template).unwrap();
	let encrypted = PersonalRecord::from_bytes(&std::fs::read(&record).unwrap()).unwrap();
	std::fs::write(&score, model.evaluate(&encrypted).unwrap().to_bytes()).unwrap();

	let out = tool(&["personal-decrypt", "--key", &key, "--score", &score]);
	assert!(out.status.success());
	let expected = 5 * features[0] - 2 * features[1] + 100 * features[2] + 33;
	assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), expected.to_string());

	let wrong = tool(&["personal-decrypt", "--key", &record, "--score", &score]);
	assert_eq!(wrong.status.code(), Some(2));
	assert!(String::from_utf8(wrong.stderr).unwrap().contains("is not a personal key"));
	std::fs::remove_dir_all(&dir).unwrap();
}
