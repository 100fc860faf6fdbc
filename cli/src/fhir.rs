//! FHIR R4 bodies: the check a record's body must pass before it is sealed, and the Bundle of
//! vital-sign Observations the wearable writes (LOINC codes, UCUM units).

use anyhow::{bail, Context};
use serde_json::{json, Value};

/// What a checked Bundle holds, for the record's summary line.
#[derive(Debug, PartialEq, Eq)]
pub struct BundleSummary {
	pub bundle_type: String,
	pub entries: usize,
}

/// Checks that `bytes` is a FHIR R4 Bundle in JSON: an object with `resourceType: "Bundle"`, a
/// `type`, and entries that each hold a resource with a `resourceType`.
pub fn check_bundle(bytes: &[u8]) -> anyhow::Result<BundleSummary> {
	let bundle: Value = serde_json::from_slice(bytes).context("the body is not JSON")?;
	if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
		bail!("the body is not a FHIR Bundle (its resourceType must be \"Bundle\")");
	}
	let Some(bundle_type) = bundle.get("type").and_then(Value::as_str) else {
		bail!("the Bundle has no `type` (e.g. \"collection\")");
	};
	let entries = match bundle.get("entry") {
		None => 0,
		Some(Value::Array(entries)) => {
			for (i, entry) in entries.iter().enumerate() {
				if entry.pointer("/resource/resourceType").and_then(Value::as_str).is_none() {
					bail!("Bundle entry {i} holds no resource with a resourceType");
				}
			}
			entries.len()
		},
		Some(_) => bail!("the Bundle's `entry` is not a list"),
	};
	Ok(BundleSummary { bundle_type: bundle_type.to_string(), entries })
}

/// One vital sign as the wearable reports it: a LOINC code and a UCUM unit.
#[derive(Clone, Copy, Debug)]
pub struct VitalSign {
	pub loinc: &'static str,
	pub display: &'static str,
	pub unit: &'static str,
}

/// A measured value of a vital sign.
pub struct Reading {
	pub sign: VitalSign,
	pub value: f64,
}

fn quantity(value: f64, unit: &str) -> Value {
	json!({ "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit })
}

fn loinc(code: &str, display: &str) -> Value {
	json!({ "coding": [{ "system": "http://loinc.org", "code": code, "display": display }], "text": display })
}

/// A `collection` Bundle of Observations over one period: one per reading, blood pressure as one
/// panel (LOINC 85354-9) with its systolic and diastolic components.
pub fn vital_signs_bundle(
	subject: &str,
	start: &str,
	end: &str,
	device: &str,
	readings: &[Reading],
	blood_pressure: Option<(f64, f64)>,
) -> Value {
	let category = json!([{ "coding": [{
		"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs"
	}] }]);
	let observation = |code: Value| {
		json!({
			"resourceType": "Observation",
			"status": "final",
			"category": category,
			"code": code,
			"subject": { "identifier": { "system": "urn:custodia:account", "value": subject } },
			"effectivePeriod": { "start": start, "end": end },
			"device": { "display": device },
		})
	};
	let mut entries: Vec<Value> = readings
		.iter()
		.map(|r| {
			let mut o = observation(loinc(r.sign.loinc, r.sign.display));
			o["valueQuantity"] = quantity(r.value, r.sign.unit);
			json!({ "resource": o })
		})
		.collect();
	if let Some((systolic, diastolic)) = blood_pressure {
		let mut o = observation(loinc("85354-9", "Blood pressure panel"));
		o["component"] = json!([
			{ "code": loinc("8480-6", "Systolic blood pressure"), "valueQuantity": quantity(systolic, "mm[Hg]") },
			{ "code": loinc("8462-4", "Diastolic blood pressure"), "valueQuantity": quantity(diastolic, "mm[Hg]") },
		]);
		entries.push(json!({ "resource": o }));
	}
	json!({ "resourceType": "Bundle", "type": "collection", "timestamp": end, "entry": entries })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn bundles_are_checked_with_a_reason() {
		let ok = br#"{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Observation"}}]}"#;
		assert_eq!(
			check_bundle(ok).unwrap(),
			BundleSummary { bundle_type: "collection".into(), entries: 1 }
		);
		let cases: [(&[u8], &str); 5] = [
			(b"not json", "not JSON"),
			(br#"{"resourceType":"Patient"}"#, "not a FHIR Bundle"),
			(br#"{"resourceType":"Bundle"}"#, "no `type`"),
			(br#"{"resourceType":"Bundle","type":"collection","entry":{}}"#, "not a list"),
			(
				br#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"x"}]}"#,
				"entry 0",
			),
		];
		for (body, reason) in cases {
			let err = format!("{:#}", check_bundle(body).unwrap_err());
			assert!(err.contains(reason), "{err} should say {reason}");
		}
	}

	#[test]
	fn the_wearables_bundle_is_a_valid_bundle_of_observations() {
		let hr = VitalSign { loinc: "8867-4", display: "Heart rate", unit: "/min" };
		let bundle = vital_signs_bundle(
			"5Grw",
			"2026-11-22T10:00:00Z",
			"2026-11-22T10:01:00Z",
			"sim",
			&[Reading { sign: hr, value: 71.5 }],
			Some((121.0, 79.0)),
		);
		let bytes = serde_json::to_vec(&bundle).unwrap();
		assert_eq!(check_bundle(&bytes).unwrap().entries, 2);
		assert_eq!(bundle["entry"][0]["resource"]["code"]["coding"][0]["code"], "8867-4");
		assert_eq!(bundle["entry"][0]["resource"]["valueQuantity"]["value"], 71.5);
		assert_eq!(bundle["entry"][1]["resource"]["component"][1]["valueQuantity"]["value"], 79.0);
	}
}
