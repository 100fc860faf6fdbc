//! Reports that lie below the API, made the way an attacker would make them, for tests of code
//! built on this crate (feature `testing`; never in a production build).
//!
//! [`Report::generate`] refuses an out-of-range value before anything is sent. An attacker does
//! not use it: it runs the crate's own prover on an encoding the honest encoder refuses, under
//! the honest circuit (same Prio3 algorithm id and shapes), so honest aggregators decode its
//! shares and only the validity proof can catch it. [`Forge`] is that prover's type, and
//! [`out_of_range_report`] a whole report made with it.

use crate::{
	binding::{report_id, Binding},
	envelope,
	report::Report,
	schema::{Layout, Part},
	vdaf, wire, Error,
};
use prio::{
	codec::Encode,
	field::Field128,
	flp::{
		gadgets::{Mul, ParallelSum},
		types::SumVec,
		Flp, FlpError, Gadget, Type,
	},
	vdaf::{
		prio3::{optimal_chunk_length, Prio3},
		xof::XofTurboShake128,
		Client,
	},
};

/// The honest FLP type `T`, except that it "encodes" whatever field elements it is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forge<T>(pub T);

impl<T: Flp<Field = Field128>> Flp for Forge<T> {
	type Field = Field128;
	fn gadget(&self) -> Vec<Box<dyn Gadget<Field128>>> {
		self.0.gadget()
	}
	fn num_gadgets(&self) -> usize {
		self.0.num_gadgets()
	}
	fn valid(
		&self,
		g: &mut Vec<Box<dyn Gadget<Field128>>>,
		input: &[Field128],
		joint_rand: &[Field128],
		num_shares: usize,
	) -> Result<Vec<Field128>, FlpError> {
		self.0.valid(g, input, joint_rand, num_shares)
	}
	fn input_len(&self) -> usize {
		self.0.input_len()
	}
	fn proof_len(&self) -> usize {
		self.0.proof_len()
	}
	fn verifier_len(&self) -> usize {
		self.0.verifier_len()
	}
	fn joint_rand_len(&self) -> usize {
		self.0.joint_rand_len()
	}
	fn eval_output_len(&self) -> usize {
		self.0.eval_output_len()
	}
	fn prove_rand_len(&self) -> usize {
		self.0.prove_rand_len()
	}
}

impl<T: Type<Field = Field128>> Type for Forge<T> {
	type Measurement = Vec<Field128>;
	type AggregateResult = T::AggregateResult;
	fn encode_measurement(&self, m: &Vec<Field128>) -> Result<Vec<Field128>, FlpError> {
		Ok(m.clone())
	}
	fn truncate(&self, input: Vec<Field128>) -> Result<Vec<Field128>, FlpError> {
		self.0.truncate(input)
	}
	fn decode_result(&self, data: &[Field128], n: usize) -> Result<T::AggregateResult, FlpError> {
		self.0.decode_result(data, n)
	}
	fn output_len(&self) -> usize {
		self.0.output_len()
	}
}

/// Prio3's algorithm id of `Prio3SumVec` (what honest aggregators run for a sum part).
pub const PRIO3_SUM_VEC_ID: u32 = 0x00000003;
/// Prio3's algorithm id of `Prio3Histogram`.
pub const PRIO3_HISTOGRAM_ID: u32 = 0x00000004;

/// A report whose part `forged` carries the raw encoded measurement `input`, proven with `forge`
/// (the honest circuit wrapped in [`Forge`]); the other parts honest for `values`. Sealed to
/// `keys` under `binding` like an honest report.
pub fn forged_report<T: Type<Field = Field128>>(
	layout: &Layout,
	binding: &Binding,
	keys: &[[u8; 32]],
	values: &[u64],
	forged: usize,
	forge: &Prio3<Forge<T>, XofTurboShake128, 32>,
	input: Vec<Field128>,
) -> Result<Report, Error> {
	let vdaf_error = |e: prio::vdaf::VdafError| Error::Vdaf(e.to_string());
	let encode = |e: &dyn Fn() -> Result<Vec<u8>, prio::codec::CodecError>| {
		e().map_err(|e| Error::Vdaf(e.to_string()))
	};
	let mut salt = [0u8; 16];
	envelope::random(&mut salt)?;
	let id = report_id(binding, &salt);
	let mut public_shares = Vec::with_capacity(layout.parts.len());
	let mut plaintexts = vec![Vec::new(); layout.aggregators];
	for (i, part) in layout.parts.iter().enumerate() {
		let (public, inputs) = if i == forged {
			let (p, s) = forge.shard(&binding.vdaf_ctx(i), &input, &id).map_err(vdaf_error)?;
			let inputs =
				s.iter().map(|s| encode(&|| s.get_encoded())).collect::<Result<Vec<_>, _>>()?;
			(encode(&|| p.get_encoded())?, inputs)
		} else {
			vdaf::shard(part, &layout.schema, &binding.vdaf_ctx(i), values, &id)?
		};
		public_shares.push(public);
		inputs
			.iter()
			.enumerate()
			.for_each(|(j, s)| wire::put_bytes32(&mut plaintexts[j], s));
	}
	Report::seal(layout, binding, id, salt, public_shares, plaintexts, keys)
}

/// A report of `values` except that schema field `field` claims `value`, which may lie outside
/// `[0, max]`: in the field's sum part, the first "bit" of the field is `value` (a valid report
/// has 0 or 1 there) and the field's other bits are 0. Every aggregator decodes it; the proof
/// fails (`Rejection::InvalidProof`) whenever `value > 1`.
pub fn out_of_range_report(
	layout: &Layout,
	binding: &Binding,
	keys: &[[u8; 32]],
	values: &[u64],
	field: usize,
	value: u64,
) -> Result<Report, Error> {
	crate::report::check_values(layout, values)?;
	let (part, fields, max) = layout
		.parts
		.iter()
		.enumerate()
		.find_map(|(i, p)| match p {
			Part::Sums { fields, max, .. } if fields.contains(&field) => Some((i, fields, *max)),
			_ => None,
		})
		.ok_or_else(|| Error::InvalidStatistic(format!("field {field} is in no sum part")))?;
	let bits = 64 - max.leading_zeros() as usize;
	let flp_error = |e: FlpError| Error::Vdaf(e.to_string());
	let honest = SumVec::<Field128, ParallelSum<Field128, Mul>>::new(
		max as u128,
		fields.len(),
		optimal_chunk_length(bits * fields.len()),
	)
	.map_err(flp_error)?;
	let position = fields.iter().position(|&f| f == field).expect("found above; qed");
	let measurement: Vec<u128> = fields
		.iter()
		.map(|&f| if f == field { 0 } else { u128::from(values[f]) })
		.collect();
	let mut input = honest.encode_measurement(&measurement).map_err(flp_error)?;
	input[position * bits] = Field128::from(u128::from(value));
	let forge = Prio3::new(layout.aggregators as u8, 1, PRIO3_SUM_VEC_ID, Forge(honest))
		.map_err(|e| Error::Vdaf(e.to_string()))?;
	forged_report(layout, binding, keys, values, part, &forge, input)
}
