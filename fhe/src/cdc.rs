//! Encoding of CDC COVID-19 case-surveillance rows into cohort record fields.
//!
//! The schema is the CDC "COVID-19 Case Surveillance Public Use Data" export (columns
//! `current_status, sex, age_group, race_ethnicity_combined, hosp_yn, icu_yn, death_yn,
//! medcond_yn`; older exports name the race column `Race and ethnicity (combined)`). Each
//! categorical answer becomes an indicator field, so sums of fields are counts and histograms.
//! `Missing`/`Unknown` answers set no indicator of their group.

use crate::Error;

/// Names of the 20 fields of an encoded row, in order.
pub const FIELDS: [&str; 20] = [
	"age 0-9", "age 10-19", "age 20-29", "age 30-39", "age 40-49", "age 50-59", "age 60-69", "age 70-79", "age 80+",
	"female", "male", "laboratory-confirmed", "hospitalized", "icu", "died", "medical condition",
	"white non-hispanic", "black non-hispanic", "hispanic/latino", "other race",
];

const AGE_GROUPS: [&str; 9] = [
	"0 - 9 Years", "10 - 19 Years", "20 - 29 Years", "30 - 39 Years", "40 - 49 Years", "50 - 59 Years",
	"60 - 69 Years", "70 - 79 Years", "80+ Years",
];

/// Column positions of the fields the encoding reads, found from a header row.
#[derive(Clone, Debug)]
pub struct CdcColumns {
	status: usize,
	sex: usize,
	age: usize,
	race: usize,
	yes_no: [usize; 4],
}

impl CdcColumns {
	/// Finds the columns in a CDC header.
	pub fn from_header(header: &[&str]) -> Result<Self, Error> {
		let find = |names: &[&str]| {
			header.iter().position(|h| names.contains(&h.trim())).ok_or_else(|| Error::Invalid {
				what: "CDC header",
				detail: format!("no column {:?}", names[0]),
			})
		};
		Ok(Self {
			status: find(&["current_status"])?,
			sex: find(&["sex"])?,
			age: find(&["age_group"])?,
			race: find(&["race_ethnicity_combined", "Race and ethnicity (combined)"])?,
			yes_no: [find(&["hosp_yn"])?, find(&["icu_yn"])?, find(&["death_yn"])?, find(&["medcond_yn"])?],
		})
	}

	/// Encodes one row into the 20 indicator fields of [`FIELDS`].
	pub fn encode(&self, row: &[&str]) -> Result<[i64; 20], Error> {
		let cell = |i: usize| {
			row.get(i).map(|c| c.trim()).ok_or_else(|| Error::Invalid { what: "CDC row", detail: format!("no column {}", i + 1) })
		};
		let mut fields = [0i64; 20];
		let age = cell(self.age)?;
		if let Some(bin) = AGE_GROUPS.iter().position(|g| *g == age) {
			fields[bin] = 1;
		}
		match cell(self.sex)? {
			"Female" => fields[9] = 1,
			"Male" => fields[10] = 1,
			_ => {},
		}
		fields[11] = i64::from(cell(self.status)? == "Laboratory-confirmed case");
		for (k, &column) in self.yes_no.iter().enumerate() {
			fields[12 + k] = i64::from(cell(column)? == "Yes");
		}
		let race = cell(self.race)?;
		let race_field = match race {
			"White, Non-Hispanic" => Some(16),
			"Black, Non-Hispanic" => Some(17),
			"Hispanic/Latino" => Some(18),
			"Missing" | "Unknown" | "NA" | "" => None,
			_ => Some(19),
		};
		if let Some(field) = race_field {
			fields[field] = 1;
		}
		Ok(fields)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn encodes_a_row_into_indicators() {
		let header = ["cdc_report_dt", "current_status", "sex", "age_group", "race_ethnicity_combined", "hosp_yn", "icu_yn", "death_yn", "medcond_yn"];
		let columns = CdcColumns::from_header(&header).unwrap();
		let row = ["2020-03-22", "Laboratory-confirmed case", "Female", "20 - 29 Years", "Multiple/Other, Non-Hispanic", "Yes", "No", "Unknown", "Yes"];
		let fields = columns.encode(&row).unwrap();
		let set: Vec<&str> = FIELDS.iter().zip(fields).filter(|(_, v)| *v == 1).map(|(n, _)| *n).collect();
		assert_eq!(set, vec!["age 20-29", "female", "laboratory-confirmed", "hospitalized", "medical condition", "other race"]);
	}

	#[test]
	fn older_header_name_is_accepted_and_missing_columns_are_errors() {
		assert!(CdcColumns::from_header(&["current_status", "sex", "age_group", "Race and ethnicity (combined)", "hosp_yn", "icu_yn", "death_yn", "medcond_yn"]).is_ok());
		assert!(CdcColumns::from_header(&["sex"]).is_err());
	}
}
