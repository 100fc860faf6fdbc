//! Agreeing on the Prio3 verification key among the aggregators of an epoch.
//!
//! Prio3's robustness (no invalid report is accepted) holds only while clients do not know the
//! verification key the aggregators share. Here every aggregator `i` draws 32 random bytes
//! `rᵢ` and publishes a [`Contribution`]: `rᵢ` sealed with HPKE to every aggregator of the epoch
//! (itself included, so a restarted node recovers its own from what it published), with the
//! chain, epoch, contributor and recipient as associated data. Each aggregator opens the
//! contributions sealed to it and derives
//! `key = BLAKE2b-256("custodia/statistics/v1/verify-key", genesis, epoch, r₀, …, r₍ₙ₋₁₎)`
//! ([`derive_verify_key`]).
//!
//! Nobody outside the aggregators learns the key while any one contributor keeps its `rᵢ`
//! secret: the published bytes are HPKE ciphertexts, and the hash of a secret input is
//! unpredictable. A contributor that publishes last could choose its `rᵢ` after opening the
//! others; that only lets it pick among keys it knows anyway, and a dishonest aggregator can
//! always break robustness on its own (Prio3 assumes every aggregator honest for robustness,
//! one honest for privacy). Privacy never depends on this key.

use crate::{
	envelope::{self, KeyPair, ENCAPPED_KEY_LEN, TAG_LEN},
	wire::{self, Kind},
	Error,
};

/// HPKE `info` of a contribution envelope.
pub const CONTRIBUTION_INFO: &[u8] = b"custodia/statistics/v1/verify-key-contribution";
/// Length of a contribution envelope: encapsulated key, 32 random bytes, tag.
pub const CONTRIBUTION_ENVELOPE_LEN: usize = ENCAPPED_KEY_LEN + 32 + TAG_LEN;

/// What aggregator `from` publishes for the epoch's verification key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// The aggregator epoch.
	pub epoch: u32,
	/// The contributor's index in the epoch.
	pub from: u8,
	/// Its random bytes sealed to each aggregator, in aggregator order.
	pub sealed: Vec<Vec<u8>>,
}

fn aad(genesis: &[u8; 32], epoch: u32, from: usize, to: usize, n: usize) -> Vec<u8> {
	let mut out = genesis.to_vec();
	out.extend_from_slice(&epoch.to_le_bytes());
	out.extend_from_slice(&[from as u8, to as u8, n as u8]);
	out
}

impl Contribution {
	/// Aggregator `from`'s contribution: fresh random bytes sealed to every key of the epoch.
	pub fn generate(
		genesis: [u8; 32],
		epoch: u32,
		from: usize,
		keys: &[[u8; 32]],
	) -> Result<Self, Error> {
		let n = keys.len();
		if !(2..=crate::MAX_AGGREGATORS).contains(&n) {
			return Err(Error::AggregatorCount(n));
		}
		if from >= n {
			return Err(Error::AggregatorIndex { index: from, count: n });
		}
		let mut r = [0u8; 32];
		envelope::random(&mut r)?;
		let sealed = keys
			.iter()
			.enumerate()
			.map(|(to, k)| {
				envelope::seal(k, to, CONTRIBUTION_INFO, &aad(&genesis, epoch, from, to, n), &r)
			})
			.collect::<Result<Vec<_>, _>>()?;
		Ok(Contribution { genesis, epoch, from: from as u8, sealed })
	}

	/// The deterministic encoding (wire kind 3): genesis | epoch (u32) | from (u8) |
	/// aggregators (u8) | aggregators × envelope of [`CONTRIBUTION_ENVELOPE_LEN`] bytes.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = Vec::with_capacity(
			wire::HEADER_LEN + 38 + self.sealed.len() * CONTRIBUTION_ENVELOPE_LEN,
		);
		wire::header(&mut out, Kind::Contribution);
		out.extend_from_slice(&self.genesis);
		wire::put_u32(&mut out, self.epoch);
		out.push(self.from);
		out.push(self.sealed.len() as u8);
		self.sealed.iter().for_each(|s| out.extend_from_slice(s));
		out
	}

	/// Decodes a contribution.
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let limit = wire::HEADER_LEN + 38 + crate::MAX_AGGREGATORS * CONTRIBUTION_ENVELOPE_LEN;
		let mut r = wire::open(bytes, limit, Kind::Contribution)?;
		let genesis = r.array()?;
		let epoch = r.u32()?;
		let from = r.u8()?;
		let n = r.u8()? as usize;
		if !(2..=crate::MAX_AGGREGATORS).contains(&n) || from as usize >= n {
			return Err(Error::Invalid {
				what: "contribution",
				detail: format!("from {from} of {n} aggregators"),
			});
		}
		let sealed = (0..n)
			.map(|_| r.take(CONTRIBUTION_ENVELOPE_LEN).map(<[u8]>::to_vec))
			.collect::<Result<_, _>>()?;
		r.finish()?;
		Ok(Contribution { genesis, epoch, from, sealed })
	}
}

/// Aggregator `me` (with its key pair) derives the epoch's verification key from the
/// contributions of all `n` aggregators (in any order; those of another chain or epoch are
/// ignored).
pub fn derive_verify_key(
	genesis: &[u8; 32],
	epoch: u32,
	me: usize,
	n: usize,
	keys: &KeyPair,
	contributions: &[Contribution],
) -> Result<[u8; 32], Error> {
	if !(2..=crate::MAX_AGGREGATORS).contains(&n) {
		return Err(Error::AggregatorCount(n));
	}
	if me >= n {
		return Err(Error::AggregatorIndex { index: me, count: n });
	}
	let mut randoms: Vec<Option<Vec<u8>>> = vec![None; n];
	for c in contributions.iter().filter(|c| &c.genesis == genesis && c.epoch == epoch) {
		let from = c.from as usize;
		if from >= n {
			continue;
		}
		if randoms[from].is_some() {
			return Err(Error::DuplicateContribution { from });
		}
		let envelope = c
			.sealed
			.get(me)
			.filter(|_| c.sealed.len() == n)
			.ok_or(Error::ContributionDoesNotOpen { from })?;
		let r =
			envelope::open(keys, CONTRIBUTION_INFO, &aad(genesis, epoch, from, me, n), envelope)
				.filter(|r| r.len() == 32)
				.ok_or(Error::ContributionDoesNotOpen { from })?;
		randoms[from] = Some(r);
	}
	let epoch_bytes = epoch.to_le_bytes();
	let mut parts: Vec<&[u8]> = Vec::with_capacity(n + 2);
	parts.push(genesis);
	parts.push(&epoch_bytes);
	for (from, r) in randoms.iter().enumerate() {
		parts.push(r.as_deref().ok_or(Error::MissingContribution { from })?);
	}
	Ok(wire::hash(b"custodia/statistics/v1/verify-key", &parts))
}
