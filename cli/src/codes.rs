//! The consent codes as the command line spells them, and their names in the runtime.
//!
//! Each enum here mirrors one of the runtime's, generated from its metadata
//! ([`crate::runtime`]), through exhaustive conversions both ways: when the runtime gains or
//! loses a variant (and the metadata file is regenerated), the client stops compiling until the
//! command line names it too.

use clap::ValueEnum;

use crate::runtime::{DataCategory, PurposeOfUse};

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

/// Both ways, every variant: the runtime's categories and the command line's are the same set.
macro_rules! mirror {
	($client:ident <=> $runtime:ident { $($ours:ident <=> $theirs:ident),* $(,)? }) => {
		impl From<$client> for $runtime {
			fn from(value: $client) -> Self {
				match value {
					$($client::$ours => $runtime::$theirs,)*
				}
			}
		}

		impl From<$runtime> for $client {
			fn from(value: $runtime) -> Self {
				match value {
					$($runtime::$theirs => $client::$ours,)*
				}
			}
		}
	};
}

mirror!(Category <=> DataCategory {
	Demographics <=> Demographics,
	Allergies <=> Allergies,
	Conditions <=> Conditions,
	Medications <=> Medications,
	Immunizations <=> Immunizations,
	LaboratoryResults <=> LaboratoryResults,
	VitalSigns <=> VitalSigns,
	WearableReadings <=> WearableReadings,
	Procedures <=> Procedures,
	Imaging <=> Imaging,
	ClinicalNotes <=> ClinicalNotes,
	Encounters <=> Encounters,
	CarePlans <=> CarePlans,
	FamilyHistory <=> FamilyHistory,
	SocialHistory <=> SocialHistory,
	Genomics <=> Genomics,
	PublicHealthCaseReports <=> PublicHealthCaseReports,
	RiskAssessments <=> RiskAssessments,
});

mirror!(Purpose <=> PurposeOfUse {
	Treat <=> TREAT,
	Etreat <=> ETREAT,
	Caremgt <=> CAREMGT,
	Hresch <=> HRESCH,
	Clintrch <=> CLINTRCH,
	Pubhlth <=> PUBHLTH,
	Pophlth <=> POPHLTH,
	Hoperat <=> HOPERAT,
	Hpaymt <=> HPAYMT,
	Patrqt <=> PATRQT,
	Famrqt <=> FAMRQT,
	Pwatrny <=> PWATRNY,
});

impl Category {
	/// The runtime's variant name (`wearable-readings` → `WearableReadings`), as the generated
	/// type spells it.
	pub fn variant(self) -> String {
		format!("{:?}", DataCategory::from(self))
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
	/// The runtime's variant name (the code itself), as the generated type spells it.
	pub fn variant(self) -> String {
		format!("{:?}", PurposeOfUse::from(self))
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

	#[test]
	fn every_category_and_purpose_is_the_runtimes() {
		// The conversions are exhaustive matches (the compiler checks the sets); this checks
		// that each variant maps to the runtime variant of the same name, and back.
		assert_eq!(Category::value_variants().len(), 18);
		for &category in Category::value_variants() {
			assert_eq!(Category::from(DataCategory::from(category)), category);
			let kebab: String = category
				.variant()
				.chars()
				.enumerate()
				.flat_map(|(i, c)| {
					let dash = (i > 0 && c.is_uppercase()).then_some('-');
					dash.into_iter().chain(c.to_lowercase())
				})
				.collect();
			assert_eq!(kebab, category.name());
		}
		for &purpose in Purpose::value_variants() {
			assert_eq!(Purpose::from(PurposeOfUse::from(purpose)), purpose);
			assert_eq!(purpose.variant(), format!("{purpose:?}").to_uppercase());
		}
	}
}
