//! Statistic schemas between the chain and the statistics engine: the one place the client turns
//! the chain's `StatisticSchema` into a `custodia_statistics::schema::Schema` (whose id every
//! report is bound to), `--field` specs for registering one, and histogram bucket labels.
//!
//! **Conversion rule** (the node's worker must follow the same one, or no report verifies): the
//! engine schema is `Schema::from_parts(category, fields)` where `category` is the name of the
//! chain's `DataCategory` variant exactly as the runtime metadata spells it (`VitalSigns`,
//! `WearableReadings`, `PublicHealthCaseReports`, …) and `fields` are the chain's fields in
//! order: name and unit (UTF-8 bytes), `max`, bucket boundaries (`None` stays `None`).

use anyhow::{anyhow, Context};
use custodia_statistics::schema::{FieldParts, FieldSpec, Schema};
use serde_json::{json, Value as Json};

use crate::{
	codes::Category,
	runtime::{
		custodia::runtime_types::{
			bounded_collections::bounded_vec::BoundedVec,
			custodia_primitives::statistics::{SchemaField, SchemaInfo, StatisticSchema},
		},
		DataCategory,
	},
};

/// A schema's field as `StatisticsApi` answers it.
pub type ChainField = SchemaField<Vec<u8>, Vec<u64>>;
/// A registered schema as `StatisticsApi::schema` answers it.
pub type ChainInfo = SchemaInfo<u32, Vec<ChainField>>;
/// A schema as `Statistics::register_schema` takes it.
pub type NewSchema = StatisticSchema<BoundedVec<SchemaField<BoundedVec<u8>, BoundedVec<u64>>>>;

/// A schema as registered on chain.
#[derive(Clone, Debug, PartialEq)]
pub struct Registered {
	/// Its id on chain (`SchemaId`).
	pub id: u32,
	/// The schema as the engine reads it (its `category` is the `DataCategory` variant name).
	pub schema: Schema,
	pub registered_at: u64,
	pub superseded: bool,
}

/// The engine's schema of the chain's `StatisticSchema` (see the module doc for the rule).
pub fn from_chain_schema(schema: &StatisticSchema<Vec<ChainField>>) -> anyhow::Result<Schema> {
	// The variant's name as the metadata spells it (a generated unit variant's `Debug`).
	let category = format!("{:?}", schema.category);
	let parts = schema.fields.iter().map(|f| -> FieldParts<'_> {
		(f.name.as_slice(), f.unit.as_slice(), f.max, f.buckets.as_deref())
	});
	Schema::from_parts(&category, parts).map_err(|e| anyhow!("{e}"))
}

/// A `SchemaInfo` (what `StatisticsApi::schema` answers) as a [`Registered`] schema.
pub fn from_chain(id: u32, info: &ChainInfo) -> anyhow::Result<Registered> {
	let schema =
		from_chain_schema(&info.schema).with_context(|| format!("schema {id} on chain"))?;
	Ok(Registered {
		id,
		schema,
		registered_at: info.registered_at.into(),
		superseded: info.superseded,
	})
}

/// The chain's `StatisticSchema` for `fields` of `category` (what `register_schema` takes).
pub fn to_chain(category: Category, fields: &[FieldSpec]) -> NewSchema {
	let fields = fields
		.iter()
		.map(|f| SchemaField {
			name: BoundedVec(f.name.as_bytes().to_vec()),
			unit: BoundedVec(f.unit.as_bytes().to_vec()),
			max: f.max,
			buckets: f.buckets.clone().map(BoundedVec),
		})
		.collect();
	StatisticSchema { category: DataCategory::from(category), fields: BoundedVec(fields) }
}

/// A `--field` spec: `name:unit:max` or `name:unit:max:b1,b2,…` (histogram bucket boundaries).
/// The unit may be empty (`count::100`). Limits are checked with the whole schema.
pub fn parse_field(spec: &str) -> Result<FieldSpec, String> {
	let parts: Vec<&str> = spec.split(':').collect();
	let usage =
		|| {
			format!("`{spec}`: a field is NAME:UNIT:MAX or NAME:UNIT:MAX:B1,B2,… (e.g. age:a:120:18,40,65)")
		};
	let (name, unit, max, buckets) = match parts.as_slice() {
		[name, unit, max] => (name, unit, max, None),
		[name, unit, max, buckets] => (name, unit, max, Some(buckets)),
		_ => return Err(usage()),
	};
	if name.is_empty() {
		return Err(usage());
	}
	let integer = |what: &str, s: &str| {
		s.trim()
			.parse::<u64>()
			.map_err(|_| format!("`{spec}`: the {what} `{s}` is not a whole number ≥ 0"))
	};
	let max = integer("max", max)?;
	let mut field = FieldSpec::new(name, unit, max);
	if let Some(buckets) = buckets {
		field = field.with_buckets(
			buckets
				.split(',')
				.map(|b| integer("bucket boundary", b))
				.collect::<Result<_, _>>()?,
		);
	}
	Ok(field)
}

/// One histogram bucket of a field: the values `lo ≤ v < hi` (`hi` is `max + 1` for the last).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
	pub lo: u64,
	pub hi: u64,
	/// `[lo, hi)`, or `[lo, max]` for the last bucket.
	pub label: String,
}

/// The buckets of `field` (boundaries `t₀ < … < t_{k−1}`: `[0, t₀)`, `[t₀, t₁)`, …,
/// `[t_{k−1}, max]`), as the engine counts them; empty without boundaries.
pub fn buckets(field: &FieldSpec) -> Vec<Bucket> {
	let Some(bounds) = &field.buckets else { return Vec::new() };
	let mut out = Vec::with_capacity(bounds.len() + 1);
	let mut lo = 0;
	for &t in bounds {
		out.push(Bucket { lo, hi: t, label: format!("[{lo}, {t})") });
		lo = t;
	}
	out.push(Bucket {
		lo,
		hi: field.max.saturating_add(1),
		label: format!("[{lo}, {}]", field.max),
	});
	out
}

/// The indices of the fields `names` name (a field's name, or its index), in the order given.
pub fn resolve_fields(schema: &Schema, names: &[String]) -> Result<Vec<u16>, String> {
	names
		.iter()
		.map(|name| {
			let name = name.trim();
			schema
				.fields
				.iter()
				.position(|f| f.name == name)
				.or_else(|| name.parse::<usize>().ok().filter(|&i| i < schema.fields.len()))
				.map(|i| i as u16)
				.ok_or_else(|| {
					format!("the schema has no field `{name}`; its fields: {}", field_list(schema))
				})
		})
		.collect()
}

/// `name [unit] 0..=max` of every field, comma-separated (for error messages).
pub fn field_list(schema: &Schema) -> String {
	schema
		.fields
		.iter()
		.map(|f| format!("{} [{}] 0..={}", f.name, f.unit, f.max))
		.collect::<Vec<_>>()
		.join(", ")
}

/// How a category reads on the command line (`WearableReadings` → `wearable-readings`).
pub fn category_name(variant: &str) -> String {
	Category::from_variant(variant)
		.map(Category::name)
		.unwrap_or_else(|| variant.to_string())
}

/// A registered schema as JSON.
pub fn to_json(registered: &Registered) -> Json {
	let schema = &registered.schema;
	json!({
		"id": registered.id,
		"category": category_name(&schema.category),
		"registered_at": registered.registered_at,
		"superseded": registered.superseded,
		"schema_hash": format!("0x{}", hex::encode(schema.id())),
		"fields": schema.fields.iter().enumerate().map(|(i, f)| json!({
			"index": i, "name": f.name, "unit": f.unit, "max": f.max, "buckets": f.buckets,
			"bucket_labels": buckets(f).into_iter().map(|b| b.label).collect::<Vec<_>>(),
		})).collect::<Vec<_>>(),
	})
}

/// A registered schema as text lines.
pub fn describe(registered: &Registered) -> Vec<String> {
	let schema = &registered.schema;
	let mut lines = vec![format!(
		"schema {} for {}: {} fields, registered in block {}{} (hash 0x{})",
		registered.id,
		category_name(&schema.category),
		schema.fields.len(),
		registered.registered_at,
		if registered.superseded { ", superseded by a newer schema" } else { "" },
		hex::encode(schema.id()),
	)];
	for (i, f) in schema.fields.iter().enumerate() {
		let histogram = match buckets(f) {
			b if b.is_empty() => String::new(),
			b => format!(
				"; histogram {}",
				b.iter().map(|b| b.label.as_str()).collect::<Vec<_>>().join(" ")
			),
		};
		lines.push(format!("  {i:>2} {} [{}] 0..={}{histogram}", f.name, f.unit, f.max));
	}
	lines
}

#[cfg(test)]
mod tests {
	use super::*;

	fn chain_field(name: &str, unit: &str, max: u64, buckets: Option<&[u64]>) -> ChainField {
		SchemaField {
			name: name.as_bytes().to_vec(),
			unit: unit.as_bytes().to_vec(),
			max,
			buckets: buckets.map(<[u64]>::to_vec),
		}
	}

	#[test]
	fn the_chain_schema_becomes_the_engine_schema_named_by_its_category_variant() {
		let info = SchemaInfo {
			schema: StatisticSchema {
				category: DataCategory::WearableReadings,
				fields: vec![
					chain_field("heart_rate", "/min", 250, Some(&[60, 100])),
					chain_field("steps", "{steps}", 8000, None),
				],
			},
			registered_at: 12,
			superseded: false,
		};
		let registered = from_chain(3, &info).unwrap();
		let expected = Schema {
			category: "WearableReadings".into(),
			fields: vec![
				FieldSpec::new("heart_rate", "/min", 250).with_buckets(vec![60, 100]),
				FieldSpec::new("steps", "{steps}", 8000),
			],
		};
		assert_eq!(
			registered,
			Registered { id: 3, schema: expected.clone(), registered_at: 12, superseded: false }
		);
		assert_eq!(registered.schema.id(), expected.id(), "the id every report is bound to");
		// What `schema register` sends is what the chain gives back.
		let sent = to_chain(Category::WearableReadings, &expected.fields);
		let given_back = StatisticSchema {
			category: sent.category,
			fields: sent
				.fields
				.0
				.into_iter()
				.map(|f| SchemaField {
					name: f.name.0,
					unit: f.unit.0,
					max: f.max,
					buckets: f.buckets.map(|b| b.0),
				})
				.collect(),
		};
		assert_eq!(from_chain_schema(&given_back).unwrap(), expected);
	}

	#[test]
	fn a_chain_schema_the_engine_cannot_use_is_an_error() {
		let schema = StatisticSchema {
			category: DataCategory::VitalSigns,
			fields: vec![chain_field("bp", "mm[Hg]", 0, None)],
		};
		let err = format!("{:#}", from_chain_schema(&schema).unwrap_err());
		assert!(err.contains("max must be in"), "{err}");
	}

	#[test]
	fn field_specs_parse_with_and_without_buckets() {
		assert_eq!(
			parse_field("age:a:120:18,40,65").unwrap(),
			FieldSpec::new("age", "a", 120).with_buckets(vec![18, 40, 65])
		);
		assert_eq!(
			parse_field("systolic:mm[Hg]:300").unwrap(),
			FieldSpec::new("systolic", "mm[Hg]", 300)
		);
		assert_eq!(parse_field("cases::1").unwrap(), FieldSpec::new("cases", "", 1));
		for (bad, says) in [
			("age", "NAME:UNIT:MAX"),
			("age:a", "NAME:UNIT:MAX"),
			(":a:3", "NAME:UNIT:MAX"),
			("age:a:-1", "max `-1`"),
			("age:a:12.5", "max"),
			("age:a:120:18,x", "bucket boundary `x`"),
			("a:b:1:2:3", "NAME:UNIT:MAX"),
		] {
			let err = parse_field(bad).unwrap_err();
			assert!(err.contains(says), "{bad}: {err}");
		}
	}

	#[test]
	fn histogram_buckets_are_labelled_by_their_ranges() {
		let field = FieldSpec::new("age", "a", 120).with_buckets(vec![18, 65]);
		let labels: Vec<_> = buckets(&field).into_iter().map(|b| (b.lo, b.hi, b.label)).collect();
		assert_eq!(
			labels,
			vec![
				(0, 18, "[0, 18)".to_string()),
				(18, 65, "[18, 65)".to_string()),
				(65, 121, "[65, 120]".to_string())
			]
		);
		// The labels agree with the engine's bucket of each value.
		for v in [0, 17, 18, 64, 65, 120] {
			let b = field.bucket_of(v).unwrap();
			let bucket = &buckets(&field)[b];
			assert!(bucket.lo <= v && v < bucket.hi, "{v} in {}", bucket.label);
		}
		assert!(buckets(&FieldSpec::new("x", "", 5)).is_empty());
	}

	#[test]
	fn fields_are_named_or_numbered() {
		let schema = Schema {
			category: "VitalSigns".into(),
			fields: vec![
				FieldSpec::new("systolic", "mm[Hg]", 300),
				FieldSpec::new("diastolic", "mm[Hg]", 200),
			],
		};
		assert_eq!(resolve_fields(&schema, &["diastolic".into(), "0".into()]).unwrap(), vec![1, 0]);
		let err = resolve_fields(&schema, &["pulse".into()]).unwrap_err();
		assert!(
			err.contains("no field `pulse`")
				&& err.contains("systolic [mm[Hg]] 0..=300, diastolic"),
			"{err}"
		);
		assert!(resolve_fields(&schema, &["2".into()]).is_err());
	}
}
