//! An attacker's report forger, for the end-to-end attack tests (`tests/statistics.test.mjs`).
//!
//! The `custodia` client refuses to make these reports; an attacker does not use it. Each
//! subcommand writes a report object to `--out` and prints its report id (hex) on stdout, for
//! the test to upload to IPFS and register with `Statistics::submit_report` as the attacker:
//!
//! - `out-of-range`: an honest report of `--values` except that field `--field-index` claims
//!   `--claim`, proven with the engine's own Prio3 prover under the honest circuit
//!   ([`custodia_statistics::testing::out_of_range_report`]): every aggregator opens and decodes
//!   it, and only the joint validity proof can catch it (`InvalidProof`).
//! - `rebind`: a byte copy of someone else's report (`--report`) re-labelled for the copier's
//!   binding: the id is re-derived from the copier's binding and the victim's salt, so it passes
//!   the id check, while the victim's sealed shares stay as they are (`ShareDoesNotOpen`).
//!
//! Binding and schema as the chain holds them (the aggregators rebuild both from the chain):
//! `--genesis HEX --epoch N --owner HEX(32-byte account) --record N`, and
//! `--category VARIANT --field NAME:UNIT:MAX[:B1,B2,…]` once per schema field, in order;
//! `out-of-range` also takes `--key HEX` per aggregator (the epoch's keys, in order).
//!
//! Needs the crate's `testing` feature (`cargo build -p custodia-statistics --examples
//! --features testing`; the workspace build enables it through the worker's tests).

use std::{collections::BTreeMap, process::ExitCode};

use custodia_statistics::{
	binding::{report_id, Binding},
	report::Report,
	schema::Schema,
	testing::out_of_range_report,
};

const USAGE: &str =
	"usage: forge_report (out-of-range|rebind) --genesis HEX --epoch N --owner HEX --record N \
	--category VARIANT --field NAME:UNIT:MAX[:B1,…]… --out FILE \
	[out-of-range: --key HEX… --values V1,V2,… --field-index I --claim V] [rebind: --report FILE]";

/// The command line: `--name value` pairs, each name possibly repeated.
struct Args(BTreeMap<String, Vec<String>>);

impl Args {
	fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
		let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
		while let Some(name) = args.next() {
			let name = name
				.strip_prefix("--")
				.ok_or_else(|| format!("`{name}`: expected --NAME VALUE"))?
				.to_string();
			let value = args.next().ok_or_else(|| format!("--{name} needs a value"))?;
			map.entry(name).or_default().push(value);
		}
		Ok(Self(map))
	}

	fn all(&self, name: &str) -> &[String] {
		self.0.get(name).map_or(&[], Vec::as_slice)
	}

	fn one(&self, name: &str) -> Result<&str, String> {
		match self.all(name) {
			[value] => Ok(value),
			[] => Err(format!("--{name} is missing")),
			_ => Err(format!("--{name} is given more than once")),
		}
	}

	fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, String> {
		let value = self.one(name)?;
		value.parse().map_err(|_| format!("--{name} {value}: not a whole number"))
	}
}

fn hex_bytes<const N: usize>(what: &str, text: &str) -> Result<[u8; N], String> {
	let digits = text.strip_prefix("0x").unwrap_or(text);
	let bad = || format!("{what} {text}: expected {N} bytes of hex");
	if digits.len() != 2 * N {
		return Err(bad());
	}
	let mut out = [0u8; N];
	for (i, byte) in out.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
	}
	Ok(out)
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The engine's schema built as client and worker build it (`Schema::from_parts`).
fn schema(args: &Args) -> Result<Schema, String> {
	let fields = args
		.all("field")
		.iter()
		.map(|spec| {
			let parts: Vec<&str> = spec.split(':').collect();
			let (name, unit, max, buckets) = match parts.as_slice() {
				[name, unit, max] => (*name, *unit, *max, None),
				[name, unit, max, buckets] => (*name, *unit, *max, Some(*buckets)),
				_ => return Err(format!("--field {spec}: expected NAME:UNIT:MAX[:B1,B2,…]")),
			};
			let number = |s: &str| {
				s.parse::<u64>()
					.map_err(|_| format!("--field {spec}: `{s}` is not a whole number"))
			};
			let buckets = buckets
				.map(|b| b.split(',').map(number).collect::<Result<Vec<_>, _>>())
				.transpose()?;
			Ok((name.as_bytes().to_vec(), unit.as_bytes().to_vec(), number(max)?, buckets))
		})
		.collect::<Result<Vec<_>, String>>()?;
	let parts = fields.iter().map(|(name, unit, max, buckets)| {
		(name.as_slice(), unit.as_slice(), *max, buckets.as_deref())
	});
	Schema::from_parts(args.one("category")?, parts).map_err(|e| e.to_string())
}

fn binding(args: &Args, schema: &Schema) -> Result<Binding, String> {
	Ok(Binding {
		genesis: hex_bytes("--genesis", args.one("genesis")?)?,
		epoch: args.number("epoch")?,
		schema: schema.id(),
		owner: hex_bytes("--owner", args.one("owner")?)?,
		record: args.number("record")?,
	})
}

fn out_of_range(args: &Args) -> Result<Report, String> {
	let schema = schema(args)?;
	let binding = binding(args, &schema)?;
	let keys = args
		.all("key")
		.iter()
		.map(|k| hex_bytes::<32>("--key", k))
		.collect::<Result<Vec<_>, _>>()?;
	let layout = schema.layout(keys.len()).map_err(|e| e.to_string())?;
	let values = args
		.one("values")?
		.split(',')
		.map(|v| v.parse::<u64>().map_err(|_| format!("--values: `{v}` is not a whole number")))
		.collect::<Result<Vec<_>, _>>()?;
	out_of_range_report(
		&layout,
		&binding,
		&keys,
		&values,
		args.number("field-index")?,
		args.number("claim")?,
	)
	.map_err(|e| e.to_string())
}

fn rebind(args: &Args) -> Result<Report, String> {
	let schema = schema(args)?;
	let binding = binding(args, &schema)?;
	let path = args.one("report")?;
	let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
	let mut report = Report::from_bytes(&bytes).map_err(|e| format!("{path}: {e}"))?;
	report.id = report_id(&binding, &report.salt);
	Ok(report)
}

fn run() -> Result<(), String> {
	let mut argv = std::env::args().skip(1);
	let command = argv.next().ok_or_else(|| USAGE.to_string())?;
	let args = Args::parse(argv)?;
	let report = match command.as_str() {
		"out-of-range" => out_of_range(&args)?,
		"rebind" => rebind(&args)?,
		other => return Err(format!("unknown command `{other}`\n{USAGE}")),
	};
	let out = args.one("out")?;
	std::fs::write(out, report.to_bytes()).map_err(|e| format!("{out}: {e}"))?;
	println!("0x{}", hex(&report.id));
	Ok(())
}

fn main() -> ExitCode {
	match run() {
		Ok(()) => ExitCode::SUCCESS,
		Err(message) => {
			eprintln!("forge_report: {message}");
			ExitCode::FAILURE
		},
	}
}
