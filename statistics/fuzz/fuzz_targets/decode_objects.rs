//! Every decoder of the Prio3 engine's wire objects — the ones a client, an aggregator or the
//! chain's IPFS objects hand to another party — on arbitrary bytes: a value or a typed error,
//! never a panic, and what decodes re-encodes to the same bytes (one encoding per value, so a
//! report or share cannot be relabelled by re-encoding it).
#![no_main]
use custodia_statistics::{
	aggregator::{VerifierBatch, VerifierShares},
	noise::AggregateShare,
	report::Report,
	schema::{Schema, Statistic},
	verify_key::Contribution,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
	if let Ok(schema) = Schema::from_bytes(data) {
		assert_eq!(schema.to_bytes(), data, "schema");
	}
	if let Ok(statistic) = Statistic::from_bytes(data) {
		assert_eq!(statistic.to_bytes(), data, "statistic");
	}
	if let Ok(report) = Report::from_bytes(data) {
		assert_eq!(report.to_bytes(), data, "report");
	}
	if let Ok(contribution) = Contribution::from_bytes(data) {
		assert_eq!(contribution.to_bytes(), data, "verify-key contribution");
	}
	if let Ok(shares) = VerifierShares::from_bytes(data) {
		assert_eq!(shares.to_bytes(), data, "verifier shares");
	}
	if let Ok(batch) = VerifierBatch::from_bytes(data) {
		assert_eq!(batch.to_bytes().expect("a decoded batch encodes"), data, "verifier batch");
	}
	if let Ok(share) = AggregateShare::from_bytes(data) {
		assert_eq!(share.to_bytes(), data, "aggregate share");
	}
});
