//! A simulated wearable (the PMHE client app): every interval it samples heart rate, blood
//! pressure, SpO2, respiration, skin temperature and steps once a second over a window, filters
//! out sensor artefacts, encodes the window as a FHIR R4 Bundle of vital-sign Observations
//! sealed to the wearer, uploads the object to IPFS and registers the record.
//!
//! Each upload carries a statistics report when the category has a schema and an aggregator
//! epoch is active (`--no-report` leaves it out), like `custodia record add`. The report's values
//! are the window's, as whole numbers, by the names a `wearable-readings` statistic schema names
//! its fields with (or with the LOINC codes of the Bundle's Observations, in their units):
//! `heart_rate` [/min], `systolic` [mm[Hg]], `diastolic` [mm[Hg]], `spo2` [%], `respiration`
//! [/min], `temperature` [0.1 Cel], `steps` in the window (at most [`MAX_STEPS`]).
//!
//! The sensor noise comes from `rand`/`rand_distr` (a simulation, not key material).

use std::time::Duration;

use clap::Args;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Poisson};
use serde_json::json;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::output::Output;
use crate::{
	chain::Chain,
	codes::Category,
	consent::AsArgs,
	fhir::{self, Reading, VitalSign},
	ipfs::IpfsArgs,
	progress, record, report, Cli, Error,
};

#[derive(Args)]
pub struct WearableArgs {
	#[command(flatten)]
	who: AsArgs,
	/// Seconds between uploads.
	#[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
	interval: u64,
	/// Stop after this many uploads [default: run until Ctrl-C].
	#[arg(long)]
	count: Option<u64>,
	/// Samples (one a second) per window.
	#[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u16).range(1..=3600))]
	samples: u16,
	/// Seed of the simulated wearer and sensor noise (the same seed gives the same readings).
	#[arg(long)]
	seed: Option<u64>,
	/// Register without a statistics report (left out of cohort statistics).
	#[arg(long)]
	no_report: bool,
	/// The data steward that pins the records [default: the first active steward].
	#[arg(long)]
	steward: Option<String>,
	#[command(flatten)]
	ipfs: IpfsArgs,
}

/// One simulated sensor: its vital sign, the plausible range a reading must fall in, its noise.
struct Sensor {
	sign: VitalSign,
	plausible: (f64, f64),
	noise: f64,
}

const SENSORS: [Sensor; 6] = [
	Sensor {
		sign: VitalSign { loinc: "8867-4", display: "Heart rate", unit: "/min" },
		plausible: (25.0, 230.0),
		noise: 2.0,
	},
	Sensor {
		sign: VitalSign { loinc: "8480-6", display: "Systolic blood pressure", unit: "mm[Hg]" },
		plausible: (60.0, 260.0),
		noise: 3.0,
	},
	Sensor {
		sign: VitalSign { loinc: "8462-4", display: "Diastolic blood pressure", unit: "mm[Hg]" },
		plausible: (30.0, 160.0),
		noise: 2.0,
	},
	Sensor {
		sign: VitalSign {
			loinc: "59408-5",
			display: "Oxygen saturation in Arterial blood by Pulse oximetry",
			unit: "%",
		},
		plausible: (50.0, 100.0),
		noise: 0.6,
	},
	Sensor {
		sign: VitalSign { loinc: "9279-1", display: "Respiratory rate", unit: "/min" },
		plausible: (4.0, 60.0),
		noise: 1.0,
	},
	Sensor {
		sign: VitalSign { loinc: "8310-5", display: "Body temperature", unit: "Cel" },
		plausible: (30.0, 43.0),
		noise: 0.05,
	},
];
const STEPS: VitalSign = VitalSign {
	loinc: "55423-8",
	display: "Number of steps in unspecified time Pedometer",
	unit: "{steps}",
};

/// The share of samples a sensor loses to an artefact (a dropout or a motion spike).
const ARTEFACT_RATE: f64 = 0.03;

/// A simulated wearer: resting values of the six signals and a walking rate.
pub struct Wearer {
	rng: StdRng,
	baseline: [f64; 6],
	steps_per_second: f64,
}

/// One window's filtered values: the six signals' medians and the step count.
#[derive(Debug, PartialEq)]
pub struct Window {
	pub values: [f64; 6],
	pub steps: u64,
	/// Samples rejected as implausible, per sensor.
	pub rejected: [usize; 6],
}

impl Wearer {
	pub fn new(seed: u64) -> Self {
		let mut rng = StdRng::seed_from_u64(seed);
		let mut around = |mean: f64, sd: f64| {
			Normal::new(mean, sd).expect("a positive deviation").sample(&mut rng)
		};
		let baseline = [
			around(72.0, 8.0),
			around(122.0, 12.0),
			around(79.0, 7.0),
			around(97.5, 1.0).min(99.5),
			around(15.0, 2.0),
			around(36.7, 0.2),
		];
		let steps_per_second = rng.gen_range(0.0..1.2);
		Self { rng, baseline, steps_per_second }
	}

	/// Samples `samples` seconds and filters them: implausible readings (dropouts, spikes) are
	/// rejected, the rest summarised by their median (robust to what the range gate lets by).
	pub fn window(&mut self, samples: usize) -> Window {
		let mut values = [0.0; 6];
		let mut rejected = [0; 6];
		for (i, sensor) in SENSORS.iter().enumerate() {
			let noise = Normal::new(0.0, sensor.noise).expect("a positive deviation");
			let mut kept: Vec<f64> = Vec::with_capacity(samples);
			for _ in 0..samples {
				let reading = if self.rng.gen_bool(ARTEFACT_RATE) {
					// A dropout (0) or a motion spike far out of range.
					if self.rng.gen_bool(0.5) {
						0.0
					} else {
						sensor.plausible.1 * 1.5
					}
				} else {
					self.baseline[i] + noise.sample(&mut self.rng)
				};
				if (sensor.plausible.0..=sensor.plausible.1).contains(&reading) {
					kept.push(reading);
				} else {
					rejected[i] += 1;
				}
			}
			values[i] = median(&mut kept).unwrap_or(f64::NAN);
			// A slow drift between windows.
			self.baseline[i] += Normal::new(0.0, sensor.noise / 4.0)
				.expect("a positive deviation")
				.sample(&mut self.rng);
		}
		values[3] = values[3].min(100.0);
		let steps = if self.steps_per_second > 0.0 {
			Poisson::new(self.steps_per_second * samples as f64)
				.expect("a positive rate")
				.sample(&mut self.rng) as u64
		} else {
			0
		};
		Window { values, steps, rejected }
	}
}

fn median(values: &mut [f64]) -> Option<f64> {
	if values.is_empty() {
		return None;
	}
	values.sort_by(f64::total_cmp);
	let mid = values.len() / 2;
	Some(if values.len().is_multiple_of(2) {
		(values[mid - 1] + values[mid]) / 2.0
	} else {
		values[mid]
	})
}

/// The most steps a window reports (a `wearable-readings` schema's range; a window of an hour at
/// a brisk walk stays below it).
pub const MAX_STEPS: u64 = 8_000;

/// The window's values by report field name (see the module docs), or `None` when a sensor gave
/// no plausible sample (an unknown value must not enter a statistic as 0).
pub fn report_values(window: &Window) -> Option<report::Given> {
	let v = &window.values;
	if !v.iter().all(|x| x.is_finite()) {
		return None;
	}
	// Medians of plausible readings: all positive, so rounding keeps them in range.
	let whole = |x: f64| x.round() as u64;
	let values = [
		("heart_rate", whole(v[0])),
		("systolic", whole(v[1])),
		("diastolic", whole(v[2])),
		("spo2", whole(v[3])),
		("respiration", whole(v[4])),
		("temperature", whole(v[5] * 10.0)),
		("steps", window.steps.min(MAX_STEPS)),
	];
	Some(values.into_iter().map(|(name, value)| (name.to_string(), value)).collect())
}

fn round1(x: f64) -> f64 {
	(x * 10.0).round() / 10.0
}

/// The window as a FHIR Bundle of vital-sign Observations.
pub fn bundle(
	subject: &str,
	start: OffsetDateTime,
	end: OffsetDateTime,
	window: &Window,
) -> Vec<u8> {
	let v = &window.values;
	let readings: Vec<Reading> = [0, 3, 4, 5]
		.into_iter()
		.filter(|&i| v[i].is_finite())
		.map(|i| Reading { sign: SENSORS[i].sign, value: round1(v[i]) })
		.chain([Reading { sign: STEPS, value: window.steps as f64 }])
		.collect();
	let blood_pressure =
		(v[1].is_finite() && v[2].is_finite()).then(|| (v[1].round(), v[2].round()));
	let time = |t: OffsetDateTime| t.format(&Rfc3339).expect("a UTC time formats as RFC 3339");
	let bundle = fhir::vital_signs_bundle(
		subject,
		&time(start),
		&time(end),
		"Custodia wearable simulator",
		&readings,
		blood_pressure,
	);
	serde_json::to_vec(&bundle).expect("JSON values serialize")
}

pub async fn run(cli: &Cli, args: &WearableArgs, out: &mut Output) -> Result<(), Error> {
	let me = cli.identity(&args.who.name)?;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let ipfs = args.ipfs.client()?;
	let mut wearer = Wearer::new(args.seed.unwrap_or_else(|| rand::thread_rng().gen()));
	let mut ticks = tokio::time::interval(Duration::from_secs(args.interval));
	let mut uploads = 0u64;
	loop {
		tokio::select! {
			_ = ticks.tick() => {},
			_ = tokio::signal::ctrl_c() => break,
		}
		let end = OffsetDateTime::now_utc();
		let start = end - Duration::from_secs(args.samples.into());
		let window = wearer.window(args.samples.into());
		let body = bundle(&me.account(), start, end, &window);
		let measured = report_values(&window);
		let reporting = match &measured {
			_ if args.no_report => report::Reporting::Without("no statistics report (--no-report)".into()),
			Some(values) => report::Reporting::Measured(values),
			None => report::Reporting::Without("no statistics report for this window: a sensor gave no plausible sample (an unknown value is not reported as 0)".into()),
		};
		let spinner = progress::spinner(cli.json(), "uploading the window");
		let added = tokio::select! {
			added = record::add(&chain, &ipfs, &me, &body, &[Category::WearableReadings], args.steward.as_deref(), &reporting) => added,
			_ = tokio::signal::ctrl_c() => break,
		};
		spinner.finish_and_clear();
		let added = added?;
		uploads += 1;
		let v = &window.values;
		let mut data = json!({
			"record": added.record, "cid": added.cid, "block": added.block,
			"values": measured, "rejected_samples": window.rejected,
		});
		added.reports.add_to(&mut data);
		out.emit(data, || {
			let mut lines = vec![format!(
				"record {} in block {}: HR {:.0}/min, BP {:.0}/{:.0} mm[Hg], SpO2 {:.0} %, resp {:.0}/min, temp {:.1} °C, {} steps ({} artefacts filtered)",
				added.record, added.block, v[0], v[1], v[2], v[3], v[4], v[5], window.steps, window.rejected.iter().sum::<usize>(),
			)];
			lines.extend(added.reports.lines(&args.who.name, added.record));
			lines
		});
		if args.count.is_some_and(|count| uploads >= count) {
			break;
		}
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn windows_are_plausible_and_artefacts_are_filtered() {
		let mut wearer = Wearer::new(7);
		let window = wearer.window(120);
		for (i, sensor) in SENSORS.iter().enumerate() {
			assert!(
				(sensor.plausible.0..=sensor.plausible.1).contains(&window.values[i]),
				"{} = {}",
				sensor.sign.display,
				window.values[i]
			);
			// Artefacts fall outside the plausible range, so the median stays near the baseline.
			assert!(
				(window.values[i] - wearer.baseline[i]).abs() < 4.0 * sensor.noise + 1.0,
				"{}",
				sensor.sign.display
			);
		}
		assert!(window.rejected.iter().sum::<usize>() > 0, "3 % of 720 samples are artefacts");
		assert!(window.values[3] <= 100.0);
	}

	#[test]
	fn the_same_seed_gives_the_same_readings() {
		assert_eq!(Wearer::new(3).window(30), Wearer::new(3).window(30));
		assert_ne!(Wearer::new(3).window(30), Wearer::new(4).window(30));
	}

	#[test]
	fn report_values_follow_the_documented_layout() {
		let window = Window {
			values: [71.6, 121.2, 78.5, 97.4, 14.6, 36.74],
			steps: 9_000,
			rejected: [0; 6],
		};
		let named: Vec<(String, u64)> = report_values(&window).unwrap().into_iter().collect();
		let expected = [
			("diastolic", 79),
			("heart_rate", 72),
			("respiration", 15),
			("spo2", 97),
			("steps", MAX_STEPS),
			("systolic", 121),
			("temperature", 367),
		];
		assert_eq!(named, expected.map(|(name, value)| (name.to_string(), value)));
		let lost = Window {
			values: [f64::NAN, 121.2, 78.5, 97.4, 14.6, 36.74],
			steps: 0,
			rejected: [1, 0, 0, 0, 0, 0],
		};
		assert_eq!(report_values(&lost), None, "an unknown heart rate is not recorded as 0");
	}

	#[test]
	fn a_window_is_a_bundle_of_vital_sign_observations() {
		let window = Wearer::new(1).window(60);
		let end = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
		let body = bundle("5Grw", end - Duration::from_secs(60), end, &window);
		let summary = fhir::check_bundle(&body).unwrap();
		assert_eq!(summary.entries, 6, "HR, SpO2, respiration, temperature, steps, BP panel");
		let text = String::from_utf8(body).unwrap();
		for code in
			["8867-4", "59408-5", "9279-1", "8310-5", "55423-8", "85354-9", "8480-6", "8462-4"]
		{
			assert!(text.contains(code), "LOINC {code}");
		}
		assert!(text.contains("2027-01-15T08:00:00Z"), "{text}");
	}
}
