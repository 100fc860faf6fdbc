//! The consent codes as the command line spells them, and their names in the runtime.

use clap::ValueEnum;

/// A data category (docs/consent.md maps each to its FHIR resource or LOINC code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Category {
	Demographics,
	Allergies,
	Conditions,
	Medications,
	Immunizations,
	LaboratoryResults,
	VitalSigns,
	WearableReadings,
	Procedures,
	Imaging,
	ClinicalNotes,
	Encounters,
	CarePlans,
	FamilyHistory,
	SocialHistory,
	Genomics,
	PublicHealthCaseReports,
	RiskAssessments,
}

impl Category {
	/// The runtime's variant name (`wearable-readings` → `WearableReadings`).
	pub fn variant(self) -> String {
		let name = self.to_possible_value().expect("no skipped variants").get_name().to_string();
		name.split('-').map(|w| w[..1].to_uppercase() + &w[1..]).collect()
	}

	/// The category whose runtime variant name is `variant` (`WearableReadings` →
	/// `wearable-readings`).
	pub fn from_variant(variant: &str) -> Option<Self> {
		Self::value_variants().iter().copied().find(|c| c.variant() == variant)
	}

	/// How the command line spells it (`wearable-readings`).
	pub fn name(self) -> String {
		self.to_possible_value().expect("no skipped variants").get_name().to_string()
	}
}

/// An HL7 v3 PurposeOfUse code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum Purpose {
	/// Treatment.
	Treat,
	/// Emergency treatment.
	Etreat,
	/// Care management.
	Caremgt,
	/// Healthcare research.
	Hresch,
	/// Clinical trial research.
	Clintrch,
	/// Public health.
	Pubhlth,
	/// Population health.
	Pophlth,
	/// Healthcare operations.
	Hoperat,
	/// Healthcare payment.
	Hpaymt,
	/// Patient request.
	Patrqt,
	/// Family request.
	Famrqt,
	/// Power of attorney.
	Pwatrny,
}

impl Purpose {
	/// The runtime's variant name (the code itself).
	pub fn variant(self) -> String {
		format!("{self:?}").to_uppercase()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn names_match_the_runtime_variants() {
		assert_eq!(Category::WearableReadings.variant(), "WearableReadings");
		assert_eq!(Category::Demographics.variant(), "Demographics");
		assert_eq!(Category::PublicHealthCaseReports.variant(), "PublicHealthCaseReports");
		assert_eq!(Category::from_variant("WearableReadings"), Some(Category::WearableReadings));
		assert_eq!(Category::from_variant("Nope"), None);
		assert_eq!(Category::RiskAssessments.name(), "risk-assessments");
		assert_eq!(Purpose::Pubhlth.variant(), "PUBHLTH");
		assert_eq!(Purpose::from_str("TREAT", false), Ok(Purpose::Treat));
	}
}
