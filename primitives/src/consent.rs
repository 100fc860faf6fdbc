// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! Codes and records of consent: purposes, data categories, periods, requests and
//! grants. docs/consent.md maps every code to FHIR R4 and LOINC.

use crate::consortium::X25519PublicKey;
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Identifies a consent request. Assigned in sequence, never reused.
pub type RequestId = u64;

/// Identifies a grant. Assigned in sequence, never reused: a grant with a higher id was made
/// later.
pub type GrantId = u64;

/// Why data is asked for: the HL7 v3 `PurposeOfUse` code system
/// (`http://terminology.hl7.org/CodeSystem/v3-ActReason`), as FHIR R4 `Consent.provision.purpose`
/// uses it. Variant names are the HL7 codes, so that people see the code they may know.
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum PurposeOfUse {
	/// Treatment: to provide care to you.
	#[codec(index = 0)]
	TREAT,
	/// Emergency treatment: to treat you in an emergency.
	#[codec(index = 1)]
	ETREAT,
	/// Care management: to coordinate and manage your care.
	#[codec(index = 2)]
	CAREMGT,
	/// Healthcare research: for research that may not benefit you directly.
	#[codec(index = 3)]
	HRESCH,
	/// Clinical trial research: for a clinical trial.
	#[codec(index = 4)]
	CLINTRCH,
	/// Public health: for public-health reporting and statistics.
	#[codec(index = 5)]
	PUBHLTH,
	/// Population health: to manage the health of a population you belong to.
	#[codec(index = 6)]
	POPHLTH,
	/// Healthcare operations: for the institution's own operations, quality and audits.
	#[codec(index = 7)]
	HOPERAT,
	/// Healthcare payment: to bill or pay for your care.
	#[codec(index = 8)]
	HPAYMT,
	/// Patient requested: because you asked for it.
	#[codec(index = 9)]
	PATRQT,
	/// Family requested: because your family asked for it.
	#[codec(index = 10)]
	FAMRQT,
	/// Power of attorney: for the person holding your power of attorney.
	#[codec(index = 11)]
	PWATRNY,
}

impl PurposeOfUse {
	/// Every purpose, in code order.
	pub const ALL: [PurposeOfUse; 12] = [
		Self::TREAT,
		Self::ETREAT,
		Self::CAREMGT,
		Self::HRESCH,
		Self::CLINTRCH,
		Self::PUBHLTH,
		Self::POPHLTH,
		Self::HOPERAT,
		Self::HPAYMT,
		Self::PATRQT,
		Self::FAMRQT,
		Self::PWATRNY,
	];

	/// The HL7 v3 ActReason code.
	pub fn code(&self) -> &'static str {
		match self {
			Self::TREAT => "TREAT",
			Self::ETREAT => "ETREAT",
			Self::CAREMGT => "CAREMGT",
			Self::HRESCH => "HRESCH",
			Self::CLINTRCH => "CLINTRCH",
			Self::PUBHLTH => "PUBHLTH",
			Self::POPHLTH => "POPHLTH",
			Self::HOPERAT => "HOPERAT",
			Self::HPAYMT => "HPAYMT",
			Self::PATRQT => "PATRQT",
			Self::FAMRQT => "FAMRQT",
			Self::PWATRNY => "PWATRNY",
		}
	}
}

/// A category of health data, the unit of consent scope. Each maps to a FHIR R4 resource type
/// and, where one exists, a LOINC code for the matching document section (docs/consent.md).
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum DataCategory {
	/// Who you are: name, birth date, sex, contact (FHIR `Patient`).
	#[codec(index = 0)]
	Demographics,
	/// Allergies and intolerances (FHIR `AllergyIntolerance`; LOINC 48765-2).
	#[codec(index = 1)]
	Allergies,
	/// Diagnoses and problems (FHIR `Condition`; LOINC 11450-4).
	#[codec(index = 2)]
	Conditions,
	/// Medicines you take or were prescribed (FHIR `MedicationStatement`, `MedicationRequest`;
	/// LOINC 10160-0).
	#[codec(index = 3)]
	Medications,
	/// Vaccinations (FHIR `Immunization`; LOINC 11369-6).
	#[codec(index = 4)]
	Immunizations,
	/// Laboratory results (FHIR `Observation` category laboratory, `DiagnosticReport`;
	/// LOINC 30954-2).
	#[codec(index = 5)]
	LaboratoryResults,
	/// Vital signs measured in care: blood pressure, pulse, temperature, weight
	/// (FHIR `Observation` category vital-signs; LOINC 8716-3).
	#[codec(index = 6)]
	VitalSigns,
	/// Readings streamed from your wearable devices (FHIR `Observation` with `Device`;
	/// e.g. LOINC 8867-4 heart rate, 41950-7 steps in 24 hours).
	#[codec(index = 7)]
	WearableReadings,
	/// Procedures and operations (FHIR `Procedure`; LOINC 47519-4).
	#[codec(index = 8)]
	Procedures,
	/// Medical imaging (FHIR `ImagingStudy`, `DiagnosticReport`; LOINC 18748-4).
	#[codec(index = 9)]
	Imaging,
	/// Clinical notes and letters (FHIR `DocumentReference`; LOINC 11506-3).
	#[codec(index = 10)]
	ClinicalNotes,
	/// Hospital stays and visits (FHIR `Encounter`; LOINC 46240-8).
	#[codec(index = 11)]
	Encounters,
	/// Care plans (FHIR `CarePlan`; LOINC 18776-5).
	#[codec(index = 12)]
	CarePlans,
	/// Your family's health history (FHIR `FamilyMemberHistory`; LOINC 10157-6).
	#[codec(index = 13)]
	FamilyHistory,
	/// Social history: smoking, alcohol, occupation (FHIR `Observation` category social-history;
	/// LOINC 29762-2).
	#[codec(index = 14)]
	SocialHistory,
	/// Genetic test results (FHIR `MolecularSequence`, `Observation` genetics; LOINC 51969-4).
	#[codec(index = 15)]
	Genomics,
	/// Notifiable-disease case reports, e.g. COVID-19 (FHIR `Condition`, `Observation`;
	/// LOINC 55751-2).
	#[codec(index = 16)]
	PublicHealthCaseReports,
	/// Encrypted disease-risk predictions computed for you (FHIR `RiskAssessment`).
	#[codec(index = 17)]
	RiskAssessments,
}

impl DataCategory {
	/// Every category, in code order.
	pub const ALL: [DataCategory; 18] = [
		Self::Demographics,
		Self::Allergies,
		Self::Conditions,
		Self::Medications,
		Self::Immunizations,
		Self::LaboratoryResults,
		Self::VitalSigns,
		Self::WearableReadings,
		Self::Procedures,
		Self::Imaging,
		Self::ClinicalNotes,
		Self::Encounters,
		Self::CarePlans,
		Self::FamilyHistory,
		Self::SocialHistory,
		Self::Genomics,
		Self::PublicHealthCaseReports,
		Self::RiskAssessments,
	];

	/// The FHIR R4 resource type(s) holding data of this category.
	pub fn fhir_resource(&self) -> &'static str {
		match self {
			Self::Demographics => "Patient",
			Self::Allergies => "AllergyIntolerance",
			Self::Conditions => "Condition",
			Self::Medications => "MedicationStatement, MedicationRequest",
			Self::Immunizations => "Immunization",
			Self::LaboratoryResults => "Observation (laboratory), DiagnosticReport",
			Self::VitalSigns => "Observation (vital-signs)",
			Self::WearableReadings => "Observation, Device",
			Self::Procedures => "Procedure",
			Self::Imaging => "ImagingStudy, DiagnosticReport",
			Self::ClinicalNotes => "DocumentReference",
			Self::Encounters => "Encounter",
			Self::CarePlans => "CarePlan",
			Self::FamilyHistory => "FamilyMemberHistory",
			Self::SocialHistory => "Observation (social-history)",
			Self::Genomics => "MolecularSequence, Observation (genetics)",
			Self::PublicHealthCaseReports => "Condition, Observation",
			Self::RiskAssessments => "RiskAssessment",
		}
	}

	/// The LOINC code of the matching document section, where one exists.
	pub fn loinc(&self) -> Option<&'static str> {
		match self {
			Self::Demographics => None,
			Self::Allergies => Some("48765-2"),
			Self::Conditions => Some("11450-4"),
			Self::Medications => Some("10160-0"),
			Self::Immunizations => Some("11369-6"),
			Self::LaboratoryResults => Some("30954-2"),
			Self::VitalSigns => Some("8716-3"),
			Self::WearableReadings => Some("8867-4"),
			Self::Procedures => Some("47519-4"),
			Self::Imaging => Some("18748-4"),
			Self::ClinicalNotes => Some("11506-3"),
			Self::Encounters => Some("46240-8"),
			Self::CarePlans => Some("18776-5"),
			Self::FamilyHistory => Some("10157-6"),
			Self::SocialHistory => Some("29762-2"),
			Self::Genomics => Some("51969-4"),
			Self::PublicHealthCaseReports => Some("55751-2"),
			Self::RiskAssessments => None,
		}
	}
}

/// A span of blocks: from `start` (included) to `end` (excluded).
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Period<BlockNumber> {
	/// The first block of the period.
	pub start: BlockNumber,
	/// The first block after the period: it has ended once this block is reached.
	pub end: BlockNumber,
}

impl<BlockNumber: PartialOrd + Copy> Period<BlockNumber> {
	/// Whether block `at` lies inside the period.
	pub fn contains(&self, at: BlockNumber) -> bool {
		self.start <= at && at < self.end
	}

	/// Whether the period lies inside `outer`.
	pub fn within(&self, outer: &Self) -> bool {
		outer.start <= self.start && self.end <= outer.end
	}

	/// Whether the period has ended at block `at`.
	pub fn has_ended(&self, at: BlockNumber) -> bool {
		self.end <= at
	}
}

/// Where a consent request stands.
#[derive(
	Copy,
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub enum RequestStatus<BlockNumber> {
	/// Waiting for the subject's answer.
	#[codec(index = 0)]
	Pending,
	/// The subject granted it; the grant has this id.
	#[codec(index = 1)]
	Granted {
		/// The grant made in answer.
		grant: GrantId,
	},
	/// The subject refused it.
	#[codec(index = 2)]
	Denied {
		/// When.
		at: BlockNumber,
	},
	/// The institution withdrew it.
	#[codec(index = 3)]
	Withdrawn {
		/// When.
		at: BlockNumber,
	},
	/// Its requested period ended before anyone answered.
	#[codec(index = 4)]
	Lapsed {
		/// When it was found lapsed.
		at: BlockNumber,
	},
}

/// A consent request, with every field of the payload of Vanin et al. (2023): timestamp,
/// consortium key, institution key, requester key, scope, purpose ("finality") and period.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ConsentRequest<AccountId, BlockNumber, Scope> {
	/// The institution asking (a consortium member).
	pub institution: AccountId,
	/// The person whose data is asked for.
	pub subject: AccountId,
	/// The data categories asked for.
	pub scope: Scope,
	/// Why the data is asked for.
	pub purpose: PurposeOfUse,
	/// The period during which the institution wants access.
	pub period: Period<BlockNumber>,
	/// Wall-clock time of the request, in milliseconds since the Unix epoch.
	pub timestamp: u64,
	/// The block in which the request was made.
	pub requested_at: BlockNumber,
	/// The consortium's X25519 key at the time of the request.
	pub consortium_key: X25519PublicKey,
	/// The institution's X25519 key at the time of the request.
	pub institution_key: X25519PublicKey,
	/// The X25519 key of the person or system at the institution that will read the data: the
	/// key shared data is re-encrypted to.
	pub requester_key: X25519PublicKey,
	/// Where the request stands.
	pub status: RequestStatus<BlockNumber>,
}

impl<AccountId, BlockNumber, Scope> ConsentRequest<AccountId, BlockNumber, Scope> {
	/// The same request with its scope converted, e.g. into a plain `Vec` for a runtime API.
	pub fn map_scope<S2>(
		self,
		f: impl FnOnce(Scope) -> S2,
	) -> ConsentRequest<AccountId, BlockNumber, S2> {
		ConsentRequest {
			institution: self.institution,
			subject: self.subject,
			scope: f(self.scope),
			purpose: self.purpose,
			period: self.period,
			timestamp: self.timestamp,
			requested_at: self.requested_at,
			consortium_key: self.consortium_key,
			institution_key: self.institution_key,
			requester_key: self.requester_key,
			status: self.status,
		}
	}
}

/// Who a grant lets in.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Grantee<AccountId> {
	/// One institution.
	#[codec(index = 0)]
	Institution(AccountId),
	/// Any active institution of the consortium: how people join statistics cohorts.
	#[codec(index = 1)]
	AnyMember,
}

/// Why a grant was revoked.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum RevocationReason<AccountId> {
	/// The subject, or a delegate acting for the subject, revoked it.
	#[codec(index = 0)]
	BySubject {
		/// The account that revoked it.
		by: AccountId,
	},
	/// The grantee institution was suspended or removed from the consortium.
	#[codec(index = 1)]
	GranteeSuspended,
}

/// Where a grant stands. A grant whose period has ended stays `Active` in storage: it ended by
/// itself, and every query compares its period with the current block.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum GrantStatus<AccountId, BlockNumber> {
	/// Not revoked (it may still not have started, or have ended: see its period).
	#[codec(index = 0)]
	Active,
	/// Revoked before its period ended.
	#[codec(index = 1)]
	Revoked {
		/// When.
		at: BlockNumber,
		/// Why.
		reason: RevocationReason<AccountId>,
	},
}

/// A consent grant.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Grant<AccountId, BlockNumber, Scope> {
	/// The person whose data the grant covers.
	pub subject: AccountId,
	/// Who may use it.
	pub grantee: Grantee<AccountId>,
	/// The data categories it covers.
	pub scope: Scope,
	/// The only purpose it may be used for.
	pub purpose: PurposeOfUse,
	/// When it may be used.
	pub period: Period<BlockNumber>,
	/// The request it answers; `None` for a consortium-wide grant.
	pub request: Option<RequestId>,
	/// The account that granted it: the subject or a delegate.
	pub granted_by: AccountId,
	/// The block in which it was granted.
	pub granted_at: BlockNumber,
	/// Whether it was revoked.
	pub status: GrantStatus<AccountId, BlockNumber>,
}

impl<AccountId, BlockNumber, Scope> Grant<AccountId, BlockNumber, Scope> {
	/// The same grant with its scope converted, e.g. into a plain `Vec` for a runtime API.
	pub fn map_scope<S2>(self, f: impl FnOnce(Scope) -> S2) -> Grant<AccountId, BlockNumber, S2> {
		Grant {
			subject: self.subject,
			grantee: self.grantee,
			scope: f(self.scope),
			purpose: self.purpose,
			period: self.period,
			request: self.request,
			granted_by: self.granted_by,
			granted_at: self.granted_at,
			status: self.status,
		}
	}
}

/// A request as a runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RequestSummary<AccountId, BlockNumber> {
	/// The request's id.
	pub id: RequestId,
	/// The request.
	pub request: ConsentRequest<AccountId, BlockNumber, Vec<DataCategory>>,
}

/// A grant as a runtime API returns it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct GrantSummary<AccountId, BlockNumber> {
	/// The grant's id.
	pub id: GrantId,
	/// The grant.
	pub grant: Grant<AccountId, BlockNumber, Vec<DataCategory>>,
	/// Whether it may be used at the block the question was asked for.
	pub live: bool,
}

/// What another pallet needs to know about a grant.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct GrantInfo<AccountId, BlockNumber> {
	/// The person whose data the grant covers.
	pub subject: AccountId,
	/// Who may use it.
	pub grantee: Grantee<AccountId>,
	/// The data categories it covers.
	pub scope: Vec<DataCategory>,
	/// The only purpose it may be used for.
	pub purpose: PurposeOfUse,
	/// When it may be used.
	pub period: Period<BlockNumber>,
}
