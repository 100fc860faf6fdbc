/**
 * Codes: the 18 data categories (primitives/src/consent.rs `DataCategory`, with their FHIR R4
 * resource types and LOINC section codes) and the 12 HL7 v3 PurposeOfUse codes, in SCALE index
 * order, with plain-words meanings for people. Also the statistic purposes and kinds.
 */

export interface Category {
  /** SCALE index. */
  index: number;
  /** Runtime variant name. */
  name: string;
  /** Plain words for people. */
  label: string;
  /** A short description. */
  description: string;
  /** FHIR R4 resource type(s). */
  fhir: string;
  /** LOINC code of the document section, where one exists. */
  loinc: string | null;
}

export const CATEGORIES: readonly Category[] = [
  { index: 0, name: 'Demographics', label: 'Personal details', description: 'who you are: name, birth date, sex, contact', fhir: 'Patient', loinc: null },
  { index: 1, name: 'Allergies', label: 'Allergies', description: 'allergies and intolerances', fhir: 'AllergyIntolerance', loinc: '48765-2' },
  { index: 2, name: 'Conditions', label: 'Diagnoses and problems', description: 'diagnoses and health problems', fhir: 'Condition', loinc: '11450-4' },
  { index: 3, name: 'Medications', label: 'Medicines', description: 'medicines you take or were prescribed', fhir: 'MedicationStatement, MedicationRequest', loinc: '10160-0' },
  { index: 4, name: 'Immunizations', label: 'Vaccinations', description: 'vaccinations', fhir: 'Immunization', loinc: '11369-6' },
  { index: 5, name: 'LaboratoryResults', label: 'Laboratory results', description: 'blood tests and other laboratory results', fhir: 'Observation (laboratory), DiagnosticReport', loinc: '30954-2' },
  { index: 6, name: 'VitalSigns', label: 'Vital signs', description: 'blood pressure, pulse, temperature, weight measured in care', fhir: 'Observation (vital-signs)', loinc: '8716-3' },
  { index: 7, name: 'WearableReadings', label: 'Wearable readings', description: 'readings from your wearable devices (heart rate, steps)', fhir: 'Observation, Device', loinc: '8867-4' },
  { index: 8, name: 'Procedures', label: 'Procedures and operations', description: 'procedures and operations', fhir: 'Procedure', loinc: '47519-4' },
  { index: 9, name: 'Imaging', label: 'Medical imaging', description: 'X-rays, scans and their reports', fhir: 'ImagingStudy, DiagnosticReport', loinc: '18748-4' },
  { index: 10, name: 'ClinicalNotes', label: 'Clinical notes and letters', description: 'notes and letters written by your carers', fhir: 'DocumentReference', loinc: '11506-3' },
  { index: 11, name: 'Encounters', label: 'Hospital stays and visits', description: 'hospital stays and visits', fhir: 'Encounter', loinc: '46240-8' },
  { index: 12, name: 'CarePlans', label: 'Care plans', description: 'your care plans', fhir: 'CarePlan', loinc: '18776-5' },
  { index: 13, name: 'FamilyHistory', label: 'Family health history', description: "your family's health history", fhir: 'FamilyMemberHistory', loinc: '10157-6' },
  { index: 14, name: 'SocialHistory', label: 'Social history', description: 'smoking, alcohol, occupation', fhir: 'Observation (social-history)', loinc: '29762-2' },
  { index: 15, name: 'Genomics', label: 'Genetic test results', description: 'genetic test results', fhir: 'MolecularSequence, Observation (genetics)', loinc: '51969-4' },
  { index: 16, name: 'PublicHealthCaseReports', label: 'Public-health case reports', description: 'notifiable-disease case reports, e.g. COVID-19', fhir: 'Condition, Observation', loinc: '55751-2' },
  { index: 17, name: 'RiskAssessments', label: 'Risk predictions', description: 'encrypted disease-risk predictions computed for you', fhir: 'RiskAssessment', loinc: null },
];

export interface Purpose {
  index: number;
  /** HL7 v3 ActReason code (the runtime variant name). */
  code: string;
  /** HL7 display name. */
  display: string;
  /** What it means for the person. */
  meaning: string;
}

export const PURPOSE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

export const PURPOSES: readonly Purpose[] = [
  { index: 0, code: 'TREAT', display: 'treatment', meaning: 'to provide care to you' },
  { index: 1, code: 'ETREAT', display: 'emergency treatment', meaning: 'to treat you in an emergency' },
  { index: 2, code: 'CAREMGT', display: 'care management', meaning: 'to coordinate and manage your care' },
  { index: 3, code: 'HRESCH', display: 'healthcare research', meaning: 'for research that may not benefit you directly' },
  { index: 4, code: 'CLINTRCH', display: 'clinical trial research', meaning: 'for a clinical trial' },
  { index: 5, code: 'PUBHLTH', display: 'public health', meaning: 'for public-health reporting and statistics' },
  { index: 6, code: 'POPHLTH', display: 'population health', meaning: 'to manage the health of a population you belong to' },
  { index: 7, code: 'HOPERAT', display: 'healthcare operations', meaning: "for the institution's own operations, quality and audits" },
  { index: 8, code: 'HPAYMT', display: 'healthcare payment', meaning: 'to bill or pay for your care' },
  { index: 9, code: 'PATRQT', display: 'patient requested', meaning: 'because you asked for it' },
  { index: 10, code: 'FAMRQT', display: 'family requested', meaning: 'because your family asked for it' },
  { index: 11, code: 'PWATRNY', display: 'power of attorney', meaning: 'for the person holding your power of attorney' },
];

/** Purposes for which statistics cohorts exist (primitives `STATISTICS_PURPOSES`). */
export const STATISTICS_PURPOSES = ['PUBHLTH', 'HRESCH', 'POPHLTH'] as const;

/** A category by runtime name or index; unknown ones get a generic entry (a newer runtime). */
export function category(key: string | number): Category {
  const found = CATEGORIES.find((c) => c.name === key || c.index === key);
  return found ?? { index: -1, name: String(key), label: String(key), description: String(key), fhir: 'unknown', loinc: null };
}

/** A purpose by code or index. */
export function purpose(key: string | number): Purpose {
  const found = PURPOSES.find((p) => p.code === key || p.index === key);
  return found ?? { index: -1, code: String(key), display: String(key), meaning: '' };
}

/** "Laboratory results (FHIR Observation (laboratory), DiagnosticReport; LOINC 30954-2)". */
export function categoryText(key: string | number): string {
  const c = category(key);
  return `${c.label} (FHIR ${c.fhir}${c.loinc ? `; LOINC ${c.loinc}` : ''})`;
}

/** "TREAT — treatment: to provide care to you". */
export function purposeText(key: string | number): string {
  const p = purpose(key);
  return `${p.code} — ${p.display}${p.meaning ? `: ${p.meaning}` : ''}`;
}

/** Statistic kinds (primitives `statistics::StatisticKind`). */
export const STATISTIC_KINDS = ['Count', 'Sum', 'Mean', 'Histogram'] as const;
