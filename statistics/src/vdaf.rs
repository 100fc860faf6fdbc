//! The three Prio3 steps on one [`Part`] of a report, with bytes in and out.
//!
//! Every part uses `Field128` and the TurboSHAKE128 XOF, so all parts share the same share,
//! state and message types; only the circuit differs. These functions turn the crate's errors
//! into our typed ones and never panic on the bytes they are given.

use crate::{
	schema::{Part, Schema},
	Error, Rejection,
};
use prio::{
	codec::{Encode, ParameterizedDecode},
	field::Field128,
	vdaf::{
		prio3::{Prio3VerifierShare, Prio3VerifyState},
		Aggregator, Client, OutputShare, VerifyTransition,
	},
};

/// Length of the verification key (Prio3 with TurboSHAKE128: 32 bytes).
pub const VERIFY_KEY_LEN: usize = 32;
/// Length of the nonce (the report id).
pub const NONCE_LEN: usize = 16;

/// An aggregator's state between `verify_init` and `verify_next` for one part.
pub type VerifyState = Prio3VerifyState<Field128, VERIFY_KEY_LEN>;

/// Runs `$e` with `$v` bound to the part's Prio3 instance, whatever its circuit.
macro_rules! on_vdaf {
	($part:expr, $v:ident => $e:expr) => {
		match $part {
			Part::Presence($v) | Part::Histogram { vdaf: $v, .. } => $e,
			Part::Sums { vdaf: $v, .. } => $e,
		}
	};
}

fn encode<T: Encode>(t: &T) -> Result<Vec<u8>, Error> {
	t.get_encoded().map_err(|e| Error::Vdaf(e.to_string()))
}

fn shard_with<V: Client<NONCE_LEN>>(
	v: &V,
	ctx: &[u8],
	m: &V::Measurement,
	nonce: &[u8; NONCE_LEN],
) -> Result<(Vec<u8>, Vec<Vec<u8>>), Error> {
	let (public, inputs) = v.shard(ctx, m, nonce).map_err(|e| Error::Vdaf(e.to_string()))?;
	Ok((encode(&public)?, inputs.iter().map(encode).collect::<Result<_, _>>()?))
}

/// Shards the values of a record (already range-checked against `schema`) for one part:
/// the encoded public share and one encoded input share per aggregator.
pub fn shard(
	part: &Part,
	schema: &Schema,
	ctx: &[u8],
	values: &[u64],
	nonce: &[u8; NONCE_LEN],
) -> Result<(Vec<u8>, Vec<Vec<u8>>), Error> {
	match part {
		Part::Presence(v) => shard_with(v, ctx, &0usize, nonce),
		Part::Sums { vdaf, fields, .. } => {
			let m: Vec<u128> = fields.iter().map(|&f| values[f] as u128).collect();
			shard_with(vdaf, ctx, &m, nonce)
		},
		Part::Histogram { vdaf, field } => {
			let bucket = schema.fields[*field].bucket_of(values[*field]).ok_or_else(|| {
				Error::InvalidSchema(format!("field {field} has a histogram part but no buckets"))
			})?;
			shard_with(vdaf, ctx, &bucket, nonce)
		},
	}
}

fn init_with<V>(
	v: &V,
	key: &[u8; VERIFY_KEY_LEN],
	ctx: &[u8],
	agg: usize,
	nonce: &[u8; NONCE_LEN],
	public: &[u8],
	input: &[u8],
) -> Result<(VerifyState, Vec<u8>), Rejection>
where
	V: Aggregator<VERIFY_KEY_LEN, NONCE_LEN, AggregationParam = (), VerifyState = VerifyState>,
{
	let public =
		V::PublicShare::get_decoded_with_param(v, public).map_err(|_| Rejection::MalformedShare)?;
	let input = V::InputShare::get_decoded_with_param(&(v, agg), input)
		.map_err(|_| Rejection::MalformedShare)?;
	let (state, share) = v
		.verify_init(key, ctx, agg, &(), nonce, &public, &input)
		.map_err(|_| Rejection::MalformedShare)?;
	let share = share.get_encoded().map_err(|_| Rejection::MalformedShare)?;
	Ok((state, share))
}

/// `verify_init` of aggregator `agg` on one part: its state and its encoded verifier share.
pub fn verify_init(
	part: &Part,
	key: &[u8; VERIFY_KEY_LEN],
	ctx: &[u8],
	agg: usize,
	nonce: &[u8; NONCE_LEN],
	public: &[u8],
	input: &[u8],
) -> Result<(VerifyState, Vec<u8>), Rejection> {
	on_vdaf!(part, v => init_with(v, key, ctx, agg, nonce, public, input))
}

fn finish_with<V>(
	v: &V,
	ctx: &[u8],
	state: VerifyState,
	shares: &[&[u8]],
) -> Result<Vec<Field128>, Rejection>
where
	V: Aggregator<
		VERIFY_KEY_LEN,
		NONCE_LEN,
		AggregationParam = (),
		VerifyState = VerifyState,
		VerifierShare = Prio3VerifierShare<Field128, VERIFY_KEY_LEN>,
		OutputShare = OutputShare<Field128>,
	>,
{
	let decoded = shares
		.iter()
		.map(|b| V::VerifierShare::get_decoded_with_param(&state, b))
		.collect::<Result<Vec<_>, _>>()
		.map_err(|_| Rejection::MalformedVerifierShare)?;
	let message = v
		.verifier_shares_to_message(ctx, &(), decoded)
		.map_err(|_| Rejection::InvalidProof)?;
	match v.verify_next(ctx, state, message).map_err(|_| Rejection::InvalidProof)? {
		VerifyTransition::Finish(out) => Ok(out.as_ref().to_vec()),
		VerifyTransition::Continue(..) => Err(Rejection::InvalidProof),
	}
}

/// Combines every aggregator's verifier share (in aggregator order) and finishes one part:
/// this aggregator's output share, or why the part is invalid.
pub fn finish(
	part: &Part,
	ctx: &[u8],
	state: VerifyState,
	shares: &[&[u8]],
) -> Result<Vec<Field128>, Rejection> {
	on_vdaf!(part, v => finish_with(v, ctx, state, shares))
}
