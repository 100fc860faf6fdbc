//! The wire format shared by every statistics object Custodia stores in IPFS, puts on chain or
//! keeps on an aggregator's disk.
//!
//! Layout (all integers little-endian):
//! ```text
//! magic "CSTS" | format version (1 byte) | object kind (1 byte) | payload
//! ```
//! Encoding is deterministic: one object has exactly one encoding, so equal objects have equal
//! hashes (the schema id is the hash of the schema's encoding). Decoding takes a size limit,
//! checks the magic, version and kind, checks every count against its limit before allocating,
//! and rejects trailing bytes: malformed input yields an [`Error`], never a panic.
//!
//! | kind | object | module |
//! |---|---|---|
//! | 1 | [`Schema`](crate::schema::Schema) | [`schema`](crate::schema) |
//! | 2 | [`Report`](crate::report::Report) | [`report`](crate::report) |
//! | 3 | [`Contribution`](crate::verify_key::Contribution) | [`verify_key`](crate::verify_key) |
//! | 4 | [`VerifierShares`](crate::aggregator::VerifierShares) | [`aggregator`](crate::aggregator) |
//! | 5 | [`AggregateShare`](crate::noise::AggregateShare) | [`noise`](crate::noise) |
//! | 6 | [`Statistic`](crate::schema::Statistic) | [`schema`](crate::schema) |
//! | 7 | output-share store header | [`store`](crate::store) |
//! | 8 | [`VerifierBatch`](crate::aggregator::VerifierBatch) | [`aggregator`](crate::aggregator) |
//!
//! Field elements (Prio3's `Field128`) are 16 bytes, little-endian, canonical (below the
//! modulus); a non-canonical element is an error.

use crate::Error;
use prio::field::{Field128, FieldElement};

/// The first bytes of every object.
pub const MAGIC: [u8; 4] = *b"CSTS";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Length of the header: magic, version, kind.
pub const HEADER_LEN: usize = MAGIC.len() + 2;
/// Bytes of one field element.
pub const FIELD_LEN: usize = Field128::ENCODED_SIZE;

/// Object kinds (the byte after the version).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)] // see the table in the module doc
pub enum Kind {
	Schema = 1,
	Report = 2,
	Contribution = 3,
	VerifierShares = 4,
	AggregateShare = 5,
	Statistic = 6,
	Store = 7,
	VerifierBatch = 8,
}

impl Kind {
	pub(crate) fn name(self) -> &'static str {
		match self {
			Kind::Schema => "statistic schema",
			Kind::Report => "report",
			Kind::Contribution => "verification-key contribution",
			Kind::VerifierShares => "verifier shares",
			Kind::AggregateShare => "aggregate share",
			Kind::Statistic => "statistic",
			Kind::Store => "output-share store",
			Kind::VerifierBatch => "verifier batch",
		}
	}
}

/// Reads little-endian fields from a byte slice, failing with [`Error::Truncated`].
pub(crate) struct Reader<'a> {
	pub(crate) kind: &'static str,
	bytes: &'a [u8],
}

impl<'a> Reader<'a> {
	pub(crate) fn new(kind: &'static str, bytes: &'a [u8]) -> Self {
		Reader { kind, bytes }
	}

	pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
		if self.bytes.len() < n {
			return Err(Error::Truncated { kind: self.kind, needed: n - self.bytes.len() });
		}
		let (head, tail) = self.bytes.split_at(n);
		self.bytes = tail;
		Ok(head)
	}

	pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
		let mut out = [0u8; N];
		out.copy_from_slice(self.take(N)?);
		Ok(out)
	}

	pub(crate) fn u8(&mut self) -> Result<u8, Error> {
		Ok(self.array::<1>()?[0])
	}

	pub(crate) fn u16(&mut self) -> Result<u16, Error> {
		Ok(u16::from_le_bytes(self.array()?))
	}

	pub(crate) fn u32(&mut self) -> Result<u32, Error> {
		Ok(u32::from_le_bytes(self.array()?))
	}

	pub(crate) fn u64(&mut self) -> Result<u64, Error> {
		Ok(u64::from_le_bytes(self.array()?))
	}

	/// A count read as u16 and checked against `max` before anything is allocated for it.
	pub(crate) fn count16(&mut self, what: &'static str, max: usize) -> Result<usize, Error> {
		let n = self.u16()? as usize;
		if n > max {
			return Err(Error::Invalid { what, detail: format!("{n} exceeds the limit of {max}") });
		}
		Ok(n)
	}

	/// Bytes prefixed by a u32 length, checked against `max`.
	pub(crate) fn bytes32(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], Error> {
		let n = self.u32()? as usize;
		if n > max {
			return Err(Error::Invalid {
				what,
				detail: format!("{n} bytes exceed the limit of {max}"),
			});
		}
		self.take(n)
	}

	/// A UTF-8 string prefixed by a u16 length, checked against `max` bytes.
	pub(crate) fn string(&mut self, what: &'static str, max: usize) -> Result<String, Error> {
		let n = self.count16(what, max)?;
		let raw = self.take(n)?;
		String::from_utf8(raw.to_vec())
			.map_err(|_| Error::Invalid { what, detail: "not UTF-8".into() })
	}

	pub(crate) fn fields(&mut self, count: usize) -> Result<Vec<Field128>, Error> {
		let needed = count
			.checked_mul(FIELD_LEN)
			.ok_or(Error::Truncated { kind: self.kind, needed: usize::MAX })?;
		self.take(needed)?.chunks_exact(FIELD_LEN).map(decode_field).collect()
	}

	pub(crate) fn finish(self) -> Result<(), Error> {
		match self.bytes.len() {
			0 => Ok(()),
			extra => Err(Error::TrailingBytes { kind: self.kind, extra }),
		}
	}
}

/// One canonical field element from exactly [`FIELD_LEN`] bytes.
pub(crate) fn decode_field(bytes: &[u8]) -> Result<Field128, Error> {
	Field128::try_from(bytes).map_err(|_| Error::Invalid {
		what: "field element",
		detail: "not below the field modulus".into(),
	})
}

/// Appends the header of an object of `kind`.
pub(crate) fn header(out: &mut Vec<u8>, kind: Kind) {
	out.extend_from_slice(&MAGIC);
	out.extend_from_slice(&[FORMAT_VERSION, kind as u8]);
}

/// Checks the size limit and header; returns a reader over the payload.
pub(crate) fn open(bytes: &[u8], limit: usize, kind: Kind) -> Result<Reader<'_>, Error> {
	if bytes.len() > limit {
		return Err(Error::TooLarge { kind: kind.name(), len: bytes.len(), limit });
	}
	let mut reader = Reader::new(kind.name(), bytes);
	if reader.array::<4>()? != MAGIC {
		return Err(Error::BadMagic);
	}
	let [version, found] = reader.array::<2>()?;
	if version != FORMAT_VERSION {
		return Err(Error::UnsupportedVersion(version, FORMAT_VERSION));
	}
	if found != kind as u8 {
		return Err(Error::WrongKind { expected: kind.name(), found });
	}
	Ok(reader)
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
	out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
	out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
	out.extend_from_slice(&v.to_le_bytes());
}

/// A string with a u16 length (callers have checked the length against the format's limit).
pub(crate) fn put_string(out: &mut Vec<u8>, s: &str) {
	put_u16(out, s.len() as u16);
	out.extend_from_slice(s.as_bytes());
}

/// Bytes with a u32 length.
pub(crate) fn put_bytes32(out: &mut Vec<u8>, b: &[u8]) {
	put_u32(out, b.len() as u32);
	out.extend_from_slice(b);
}

pub(crate) fn put_fields(out: &mut Vec<u8>, fields: &[Field128]) {
	for f in fields {
		out.extend_from_slice(&<[u8; FIELD_LEN]>::from(*f));
	}
}

/// BLAKE2b-256 of the concatenation of `parts`, each prefixed by its length so that no two
/// different part lists hash alike.
pub fn hash(domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
	use blake2::{digest::consts::U32, Blake2b, Digest};
	let mut h = Blake2b::<U32>::new();
	h.update((domain.len() as u64).to_le_bytes());
	h.update(domain);
	for p in parts {
		h.update((p.len() as u64).to_le_bytes());
		h.update(p);
	}
	h.finalize().into()
}
