//! What a report is bound to, and its id.
//!
//! A [`Binding`] names the chain (genesis hash), the aggregator epoch, the schema, the owner
//! account and the record. Aggregators never take the binding from the report: they rebuild it
//! from what the chain says about the record (who registered it, under which id, in which epoch),
//! so a byte copy registered by another account or under another record is judged against the
//! copier's binding, and fails.
//!
//! The binding enters the report three times:
//! - **HPKE associated data** of every input share ([`Binding::aad`]): a share opens only under
//!   the exact binding it was sealed for, so a copy under another owner, record, epoch or chain
//!   does not open (`Rejection::ShareDoesNotOpen`). This is what stops the copy attack of issue
//!   12: the copier cannot re-seal the victim's shares without knowing them.
//! - **Prio3 context string** ([`Binding::vdaf_ctx`]): every XOF call of sharding and
//!   verification is domain-separated by it, so shares verified under another binding (or of
//!   another part of the report) do not verify.
//! - **Report id** ([`report_id`]): `BLAKE2b-256("custodia/statistics/v1/report-id",
//!   binding, salt)` truncated to 16 bytes, with a fresh 16-byte random salt carried in the
//!   report. The id is also the Prio3 nonce (16 bytes, as Prio3 requires).
//!
//! Why derive the id rather than use a random nonce alone: the chain and the aggregators can
//! check that an id belongs to its record without opening anything (a byte copy keeps the
//! victim's id, which the copier's binding does not produce), and one nonce per report is all
//! Prio3 asks. Why a salt rather than the hash of the binding alone: a record may upload a new
//! report in the same epoch (the newest valid one counts); each needs its own id and its own
//! nonce. A 128-bit id collides with probability ~2⁻⁶⁴ after 2³² reports.

use crate::wire;

/// The 16-byte report id, also the Prio3 nonce.
pub type ReportId = [u8; 16];

/// Everything a report is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Binding {
	/// The chain's genesis hash.
	pub genesis: [u8; 32],
	/// The aggregator epoch (its set of aggregators and their keys).
	pub epoch: u32,
	/// The schema id ([`crate::schema::Schema::id`]).
	pub schema: [u8; 32],
	/// The owner's account (32 bytes, sr25519 public key).
	pub owner: [u8; 32],
	/// The record id on chain.
	pub record: u64,
}

/// Length of [`Binding::to_bytes`].
pub const BINDING_LEN: usize = 32 + 4 + 32 + 32 + 8;

impl Binding {
	/// Fixed-length encoding: genesis | epoch (u32 LE) | schema | owner | record (u64 LE).
	pub fn to_bytes(&self) -> [u8; BINDING_LEN] {
		let mut out = [0u8; BINDING_LEN];
		out[..32].copy_from_slice(&self.genesis);
		out[32..36].copy_from_slice(&self.epoch.to_le_bytes());
		out[36..68].copy_from_slice(&self.schema);
		out[68..100].copy_from_slice(&self.owner);
		out[100..].copy_from_slice(&self.record.to_le_bytes());
		out
	}

	/// The HPKE associated data of aggregator `index`'s input share of report `id`.
	pub fn aad(&self, id: &ReportId, index: usize, aggregators: usize) -> Vec<u8> {
		let mut out = Vec::with_capacity(BINDING_LEN + 18);
		out.extend_from_slice(&self.to_bytes());
		out.extend_from_slice(id);
		out.push(index as u8);
		out.push(aggregators as u8);
		out
	}

	/// The Prio3 context string of part `part` of a report.
	pub fn vdaf_ctx(&self, part: usize) -> Vec<u8> {
		let mut out = Vec::with_capacity(32 + BINDING_LEN + 2);
		out.extend_from_slice(b"custodia/statistics/v1/prio3");
		out.extend_from_slice(&self.to_bytes());
		out.extend_from_slice(&(part as u16).to_le_bytes());
		out
	}
}

/// The report id of a report with `salt` under `binding`:
/// `BLAKE2b-256("custodia/statistics/v1/report-id", binding, salt)[..16]`.
pub fn report_id(binding: &Binding, salt: &[u8; 16]) -> ReportId {
	let h = wire::hash(b"custodia/statistics/v1/report-id", &[&binding.to_bytes(), salt]);
	let mut id = [0u8; 16];
	id.copy_from_slice(&h[..16]);
	id
}
