//! Client side: one report per record per epoch.
//!
//! [`Report::generate`] checks every value against its range (an out-of-range value is refused
//! here with [`Error::ValueOutOfRange`]: every aggregator would reject its proof), draws a fresh
//! salt, derives the report id from the binding and the salt (see [`crate::binding`]), shards
//! each part of the schema's [`Layout`] with Prio3 under the report id as nonce and the binding
//! as context, and seals each aggregator's input shares (all parts, one envelope) to that
//! aggregator with HPKE, the binding and report id as associated data.
//!
//! Wire format (kind 2), after the header:
//! ```text
//! schema id (32) | report id (16) | salt (16) | aggregators (u8) | parts (u8)
//! | parts × (u32 length | public share) | aggregators × (u32 length | envelope)
//! ```
//! The plaintext of an envelope is `parts × (u32 length | input share)`. The binding itself is
//! NOT in the report: aggregators rebuild it from the chain.

use crate::{
	binding::{report_id, Binding, ReportId},
	envelope,
	schema::Layout,
	vdaf,
	wire::{self, Kind},
	Error,
};

/// HPKE `info` of an input-share envelope.
pub const INPUT_SHARE_INFO: &[u8] = b"custodia/statistics/v1/input-share";
/// Largest encoded report.
pub const MAX_REPORT_BYTES: usize = 512 * 1024;
/// Largest single share (public or input) inside a report.
pub const MAX_SHARE_BYTES: usize = 256 * 1024;
/// Most parts of a report: presence + one sum group per field + one histogram per field.
pub const MAX_PARTS: usize = 1 + 2 * crate::schema::MAX_FIELDS;

/// A record's report: what the client uploads (to IPFS) and registers (its id, on chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
	/// The schema id the report was made for.
	pub schema: [u8; 32],
	/// The report id (also the Prio3 nonce).
	pub id: ReportId,
	/// The random salt the id was derived with.
	pub salt: [u8; 16],
	/// One Prio3 public share per part.
	pub public_shares: Vec<Vec<u8>>,
	/// One HPKE envelope per aggregator, in aggregator order.
	pub sealed: Vec<Vec<u8>>,
}

impl Report {
	/// Makes the report of `values` (one per schema field) bound to `binding`, sealed to the
	/// epoch's aggregators' HPKE public keys in aggregator order.
	pub fn generate(
		layout: &Layout,
		values: &[u64],
		binding: &Binding,
		keys: &[[u8; 32]],
	) -> Result<Self, Error> {
		check_values(layout, values)?;
		if binding.schema != layout.schema_id {
			return Err(Error::InvalidStatistic(
				"the binding names another schema than the layout".into(),
			));
		}
		let mut salt = [0u8; 16];
		envelope::random(&mut salt)?;
		let id = report_id(binding, &salt);
		let mut public_shares = Vec::with_capacity(layout.parts.len());
		let mut plaintexts = vec![Vec::new(); layout.aggregators];
		for (i, part) in layout.parts.iter().enumerate() {
			let (public, inputs) =
				vdaf::shard(part, &layout.schema, &binding.vdaf_ctx(i), values, &id)?;
			public_shares.push(public);
			for (j, input) in inputs.iter().enumerate() {
				wire::put_bytes32(&mut plaintexts[j], input);
			}
		}
		Self::seal(layout, binding, id, salt, public_shares, plaintexts, keys)
	}

	/// Seals per-aggregator plaintexts: the last step of [`Report::generate`], separate so
	/// tests can build reports from shards made at a lower layer.
	pub(crate) fn seal(
		layout: &Layout,
		binding: &Binding,
		id: ReportId,
		salt: [u8; 16],
		public_shares: Vec<Vec<u8>>,
		plaintexts: Vec<Vec<u8>>,
		keys: &[[u8; 32]],
	) -> Result<Self, Error> {
		if keys.len() != layout.aggregators {
			return Err(Error::AggregatorCount(keys.len()));
		}
		let sealed = plaintexts
			.iter()
			.enumerate()
			.map(|(j, p)| {
				envelope::seal(&keys[j], j, INPUT_SHARE_INFO, &binding.aad(&id, j, keys.len()), p)
			})
			.collect::<Result<Vec<_>, _>>()?;
		Ok(Report { schema: layout.schema_id, id, salt, public_shares, sealed })
	}

	/// The deterministic encoding (wire kind 2).
	pub fn to_bytes(&self) -> Vec<u8> {
		let len = wire::HEADER_LEN
			+ 66 + self
			.public_shares
			.iter()
			.chain(&self.sealed)
			.map(|s| 4 + s.len())
			.sum::<usize>();
		let mut out = Vec::with_capacity(len);
		wire::header(&mut out, Kind::Report);
		out.extend_from_slice(&self.schema);
		out.extend_from_slice(&self.id);
		out.extend_from_slice(&self.salt);
		out.push(self.sealed.len() as u8);
		out.push(self.public_shares.len() as u8);
		self.public_shares.iter().for_each(|s| wire::put_bytes32(&mut out, s));
		self.sealed.iter().for_each(|s| wire::put_bytes32(&mut out, s));
		out
	}

	/// Decodes a report (structure only: shares are checked by the aggregators).
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let mut r = wire::open(bytes, MAX_REPORT_BYTES, Kind::Report)?;
		let schema = r.array()?;
		let id = r.array()?;
		let salt = r.array()?;
		let aggregators = r.u8()? as usize;
		let parts = r.u8()? as usize;
		if !(2..=crate::MAX_AGGREGATORS).contains(&aggregators) {
			return Err(Error::Invalid {
				what: "aggregator count",
				detail: aggregators.to_string(),
			});
		}
		if parts == 0 || parts > MAX_PARTS {
			return Err(Error::Invalid { what: "part count", detail: parts.to_string() });
		}
		let public_shares = (0..parts)
			.map(|_| r.bytes32("public share", MAX_SHARE_BYTES).map(<[u8]>::to_vec))
			.collect::<Result<Vec<_>, _>>()?;
		let sealed = (0..aggregators)
			.map(|_| r.bytes32("envelope", MAX_SHARE_BYTES).map(<[u8]>::to_vec))
			.collect::<Result<Vec<_>, _>>()?;
		r.finish()?;
		Ok(Report { schema, id, salt, public_shares, sealed })
	}
}

/// One value per field, each within its field's range.
pub fn check_values(layout: &Layout, values: &[u64]) -> Result<(), Error> {
	let fields = &layout.schema.fields;
	if values.len() != fields.len() {
		return Err(Error::MeasurementLength { expected: fields.len(), given: values.len() });
	}
	for (i, (f, &v)) in fields.iter().zip(values).enumerate() {
		if v > f.max {
			return Err(Error::ValueOutOfRange {
				field: i,
				name: f.name.clone(),
				value: v,
				max: f.max,
			});
		}
	}
	Ok(())
}
