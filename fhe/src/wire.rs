//! The wire format of every FHE object Custodia stores in IPFS or hashes on chain.
//!
//! Layout (all integers little-endian):
//! ```text
//! magic "CSTF" | format version (1 byte) | object kind (1 byte) | parameter set id (1 byte) | payload
//! ```
//! Encoding is deterministic: one object has exactly one encoding, so equal objects have equal
//! hashes. Decoding refuses more bytes than the largest object of its kind under any known
//! parameter set ([`crate::params::MAX_RECORD_BYTES`] and its siblings, derived from the sets in
//! one place), checks the magic, version, kind and parameter set, checks every length against
//! the parameter set, and rejects trailing bytes — malformed input yields an [`Error`], never a
//! panic.
//!
//! | kind | object | payload |
//! |---|---|---|
//! | 1 | [`PersonalRecord`] | seed (u128) · count (u16) · count × body (u64) |
//! | 2 | [`EncryptedScore`] | (n + 1) × u64: mask, then body |
//! | 7 | [`PersonalSecretKey`] (a secret) | n key bits, packed 8 per byte, least significant first |
//!
//! Kinds 3–6, 8 and 9 were the objects of the retired threshold-FHE cohort path; their numbers
//! are never reused, so old bytes can never decode as a different object.

use crate::{
	params::{
		FeatureCount, PersonalParameters, MAX_RECORD_BYTES, MAX_SCORE_BYTES, MAX_SECRET_KEY_BYTES,
		WIRE_HEADER_LEN,
	},
	personal::{EncryptedScore, PersonalRecord, PersonalSecretKey},
	Error,
};

/// The first bytes of every object.
pub const MAGIC: [u8; 4] = *b"CSTF";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = WIRE_HEADER_LEN;
const _: () = assert!(HEADER_LEN == MAGIC.len() + 3, "magic, version, kind, parameter set");

/// Object kinds (the fifth byte after the magic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
	PersonalRecord = 1,
	EncryptedScore = 2,
	PersonalSecretKey = 7,
}

impl Kind {
	/// The most bytes an object of this kind has under any known parameter set.
	pub const fn max_encoded_len(self) -> usize {
		match self {
			Kind::PersonalRecord => MAX_RECORD_BYTES,
			Kind::EncryptedScore => MAX_SCORE_BYTES,
			Kind::PersonalSecretKey => MAX_SECRET_KEY_BYTES,
		}
	}
}

impl core::fmt::Display for Kind {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str(match self {
			Kind::PersonalRecord => "personal record",
			Kind::EncryptedScore => "encrypted score",
			Kind::PersonalSecretKey => "personal secret key",
		})
	}
}

/// Reads little-endian fields from a byte slice, failing with [`Error::Truncated`].
struct Reader<'a> {
	kind: Kind,
	bytes: &'a [u8],
}

impl<'a> Reader<'a> {
	fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
		if self.bytes.len() < n {
			return Err(Error::Truncated { kind: self.kind, needed: n - self.bytes.len() });
		}
		let (head, tail) = self.bytes.split_at(n);
		self.bytes = tail;
		Ok(head)
	}

	fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
		Ok(self.take(N)?.try_into().expect("take returned N bytes"))
	}

	fn u16(&mut self) -> Result<u16, Error> {
		Ok(u16::from_le_bytes(self.array()?))
	}

	fn u64s(&mut self, count: usize) -> Result<Vec<u64>, Error> {
		let bytes = self.take(count * 8)?;
		Ok(bytes
			.chunks_exact(8)
			.map(|c| u64::from_le_bytes(c.try_into().expect("chunks of 8")))
			.collect())
	}

	fn finish(self) -> Result<(), Error> {
		match self.bytes.len() {
			0 => Ok(()),
			extra => Err(Error::TrailingBytes { kind: self.kind, extra }),
		}
	}
}

/// The header of an object whose whole encoding is `encoded_len` bytes.
fn header(kind: Kind, params_id: u8, encoded_len: usize) -> Vec<u8> {
	let mut out = Vec::with_capacity(encoded_len);
	out.extend_from_slice(&MAGIC);
	out.extend_from_slice(&[FORMAT_VERSION, kind as u8, params_id]);
	out
}

/// Checks the size limit and header; returns the parameter set and a reader over the payload.
fn open(bytes: &[u8], kind: Kind) -> Result<(&'static PersonalParameters, Reader<'_>), Error> {
	let limit = kind.max_encoded_len();
	if bytes.len() > limit {
		return Err(Error::TooLarge { kind, len: bytes.len(), limit });
	}
	let mut reader = Reader { kind, bytes };
	if reader.array::<4>()? != MAGIC {
		return Err(Error::BadMagic);
	}
	let [version, found_kind, params_id] = reader.array::<3>()?;
	if version != FORMAT_VERSION {
		return Err(Error::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
	}
	if found_kind != kind as u8 {
		return Err(Error::WrongKind { expected: kind, found: found_kind });
	}
	let params = PersonalParameters::from_wire_id(params_id)
		.ok_or(Error::UnknownParameters { found: params_id })?;
	Ok((params, reader))
}

/// Packs key bits (each 0 or 1) 8 per byte, least significant first.
fn pack_bits(bits: &[u64]) -> impl Iterator<Item = u8> + '_ {
	bits.chunks(8)
		.map(|byte| byte.iter().enumerate().fold(0u8, |acc, (i, &b)| acc | ((b as u8) << i)))
}

/// The bits packed by [`pack_bits`].
fn unpack_bits(packed: &[u8]) -> impl Iterator<Item = u8> + '_ {
	packed.iter().flat_map(|byte| (0..8).map(move |i| (byte >> i) & 1))
}

impl PersonalSecretKey {
	/// The key's bits, packed (N/8 bytes after the header). These bytes ARE the secret: keep
	/// them only where the individual's other secrets are kept (the `custodia` client seals
	/// them under a passphrase); never log or upload them.
	pub fn to_secret_bytes(&self) -> Vec<u8> {
		let bits = self.key.as_ref();
		let mut out =
			header(Kind::PersonalSecretKey, self.params.wire_id, self.params.secret_key_len());
		out.extend(pack_bits(bits));
		out
	}

	/// Decodes a key written by [`PersonalSecretKey::to_secret_bytes`].
	pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let (params, mut reader) = open(bytes, Kind::PersonalSecretKey)?;
		let packed = reader.take(params.secret_key_len() - HEADER_LEN)?;
		reader.finish()?;
		let bits: Vec<u64> =
			unpack_bits(packed).take(params.polynomial_size.0).map(u64::from).collect();
		let key = tfhe::core_crypto::entities::GlweSecretKey::from_container(
			bits,
			params.polynomial_size,
		);
		Ok(PersonalSecretKey { params, key })
	}
}

impl PersonalRecord {
	/// The canonical bytes of this record.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = header(
			Kind::PersonalRecord,
			self.params.wire_id,
			self.params.record_len(FeatureCount(self.len())),
		);
		out.extend_from_slice(&self.seed.to_le_bytes());
		out.extend_from_slice(&(self.bodies.len() as u16).to_le_bytes());
		self.bodies.iter().for_each(|b| out.extend_from_slice(&b.to_le_bytes()));
		out
	}

	/// Decodes a record (at most [`MAX_RECORD_BYTES`] bytes).
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let (params, mut reader) = open(bytes, Kind::PersonalRecord)?;
		let seed = u128::from_le_bytes(reader.array()?);
		let count = reader.u16()? as usize;
		if count == 0 || count > params.max_features.0 {
			return Err(Error::EncodedFeatureCount {
				count,
				max: params.max_features,
				params: params.name,
			});
		}
		let bodies = reader.u64s(count)?;
		reader.finish()?;
		Ok(PersonalRecord { params, seed, bodies })
	}
}

impl EncryptedScore {
	/// The canonical bytes of this score.
	pub fn to_bytes(&self) -> Vec<u8> {
		let mut out = header(Kind::EncryptedScore, self.params.wire_id, self.params.score_len());
		self.data.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
		out
	}

	/// Decodes a score (at most [`MAX_SCORE_BYTES`] bytes).
	pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
		let (params, mut reader) = open(bytes, Kind::EncryptedScore)?;
		let data = reader.u64s(params.lwe_dimension().0 + 1)?;
		reader.finish()?;
		Ok(EncryptedScore { params, data })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		model::{FeatureSpec, LinearModel, ModelTemplate},
		params::PERSONAL_V1,
		personal::PersonalSecretKey,
	};

	fn record() -> (PersonalSecretKey, PersonalRecord) {
		let key = PersonalSecretKey::generate(&PERSONAL_V1);
		let record = key.encrypt(&(0..20).map(|i| i * 100 - 1000).collect::<Vec<_>>()).unwrap();
		(key, record)
	}

	#[test]
	fn a_20_feature_record_round_trips_in_under_1_kb() {
		let (key, record) = record();
		let bytes = record.to_bytes();
		assert_eq!(bytes.len(), 7 + 16 + 2 + 20 * 8);
		let decoded = PersonalRecord::from_bytes(&bytes).unwrap();
		assert_eq!(decoded, record);
		assert_eq!(decoded.to_bytes(), bytes);
		assert_eq!(key.decrypt_record(&decoded).unwrap(), key.decrypt_record(&record).unwrap());
	}

	#[test]
	fn a_score_round_trips() {
		let (key, record) = record();
		let template = ModelTemplate {
			features: (0..20)
				.map(|i| FeatureSpec {
					name: format!("f{i}"),
					unit: String::new(),
					offset: 0.0,
					scale: 1.0,
				})
				.collect(),
			weights: vec![2; 20],
			bias: 5,
			score_unit: 1.0,
			outcome: String::new(),
			provenance: String::new(),
		};
		let model = LinearModel::new(&PERSONAL_V1, template).unwrap();
		let score = model.evaluate(&record).unwrap();
		let decoded = EncryptedScore::from_bytes(&score.to_bytes()).unwrap();
		assert_eq!(decoded, score);
		assert_eq!(
			key.decrypt_score(&decoded).unwrap(),
			2 * (0..20).map(|i| i * 100 - 1000).sum::<i64>() + 5
		);
	}

	#[test]
	fn malformed_bytes_are_typed_errors() {
		let (_, record) = record();
		let bytes = record.to_bytes();
		let oversized = [bytes.as_slice(), &[0; MAX_RECORD_BYTES]].concat();
		assert_eq!(
			PersonalRecord::from_bytes(&oversized),
			Err(Error::TooLarge {
				kind: Kind::PersonalRecord,
				len: oversized.len(),
				limit: MAX_RECORD_BYTES
			})
		);
		assert_eq!(PersonalRecord::from_bytes(b"nope"), Err(Error::BadMagic));
		assert_eq!(
			PersonalRecord::from_bytes(b"CS"),
			Err(Error::Truncated { kind: Kind::PersonalRecord, needed: 2 })
		);
		let mut v = bytes.clone();
		v[4] = 9;
		assert_eq!(
			PersonalRecord::from_bytes(&v),
			Err(Error::UnsupportedVersion { found: 9, supported: 1 })
		);
		let mut v = bytes.clone();
		v[5] = Kind::EncryptedScore as u8;
		assert_eq!(
			PersonalRecord::from_bytes(&v),
			Err(Error::WrongKind { expected: Kind::PersonalRecord, found: 2 })
		);
		let mut v = bytes.clone();
		v[6] = 77;
		assert_eq!(PersonalRecord::from_bytes(&v), Err(Error::UnknownParameters { found: 77 }));
		let mut v = bytes.clone();
		v[23] = 33; // count = 33 > 32
		assert_eq!(
			PersonalRecord::from_bytes(&v),
			Err(Error::EncodedFeatureCount {
				count: 33,
				max: FeatureCount(32),
				params: PERSONAL_V1.name
			})
		);
		assert_eq!(
			PersonalRecord::from_bytes(&bytes[..bytes.len() - 3]),
			Err(Error::Truncated { kind: Kind::PersonalRecord, needed: 3 })
		);
		let mut v = bytes.clone();
		v.push(0);
		assert_eq!(
			PersonalRecord::from_bytes(&v),
			Err(Error::TrailingBytes { kind: Kind::PersonalRecord, extra: 1 })
		);
		assert!(matches!(EncryptedScore::from_bytes(&bytes), Err(Error::WrongKind { .. })));
	}

	#[test]
	fn arbitrary_prefixes_never_panic() {
		let (_, record) = record();
		let bytes = record.to_bytes();
		for end in 0..bytes.len() {
			assert!(PersonalRecord::from_bytes(&bytes[..end]).is_err());
			assert!(EncryptedScore::from_bytes(&bytes[..end]).is_err());
		}
	}

	/// Every decoder, on thousands of corrupted encodings of every object: each input decodes to
	/// a value whose encoding is exactly the input, or fails with a typed error — never a panic.
	/// (The cargo-fuzz targets in `fhe/fuzz` explore further; this runs in every test run.)
	#[test]
	fn corrupted_encodings_decode_canonically_or_fail_with_a_typed_error() {
		use tfhe::core_crypto::commons::math::random::{
			DefaultRandomGenerator, RandomGenerator, Seed, Uniform,
		};

		let (secret, record) = record();
		let template = ModelTemplate {
			features: (0..20)
				.map(|i| FeatureSpec {
					name: format!("f{i}"),
					unit: String::new(),
					offset: 0.0,
					scale: 1.0,
				})
				.collect(),
			weights: vec![3; 20],
			bias: -7,
			score_unit: 1.0,
			outcome: "test".into(),
			provenance: "test".into(),
		};
		let score = LinearModel::new(&PERSONAL_V1, template).unwrap().evaluate(&record).unwrap();
		let samples = [record.to_bytes(), score.to_bytes(), secret.to_secret_bytes()];
		type Decoder = fn(&[u8]) -> Result<Vec<u8>, Error>;
		let decoders: [(&str, Decoder); 3] = [
			("personal record", |b| PersonalRecord::from_bytes(b).map(|v| v.to_bytes())),
			("encrypted score", |b| EncryptedScore::from_bytes(b).map(|v| v.to_bytes())),
			("personal secret key", |b| {
				PersonalSecretKey::from_secret_bytes(b).map(|v| v.to_secret_bytes())
			}),
		];

		let mut generator = RandomGenerator::<DefaultRandomGenerator>::new(Seed(2026));
		let mut random = |n: usize| {
			let mut words = vec![0u64; n];
			generator.fill_slice_with_random_from_distribution(&mut words, Uniform);
			words
		};
		let mut inputs: Vec<Vec<u8>> = Vec::new();
		for sample in &samples {
			// Every header byte set to boundary values.
			for position in 0..sample.len().min(48) {
				for value in [0x00, 0xff, sample[position] ^ 0x01, sample[position] ^ 0x80] {
					let mut v = sample.clone();
					v[position] = value;
					inputs.push(v);
				}
			}
			// Random bytes changed, anywhere.
			for _ in 0..300 {
				let words = random(9);
				let mut v = sample.clone();
				for w in &words[..1 + (words[8] % 8) as usize] {
					let position = (*w >> 8) as usize % v.len();
					v[position] = *w as u8;
				}
				inputs.push(v);
			}
			// Cut short, or with bytes appended.
			for w in random(40) {
				let mut v = sample.clone();
				if w % 2 == 0 {
					v.truncate((w >> 1) as usize % v.len());
				} else {
					v.extend(std::iter::repeat_n((w >> 8) as u8, 1 + (w >> 16) as usize % 64));
				}
				inputs.push(v);
			}
		}
		let mut decoded = 0;
		for input in &inputs {
			for (name, decode) in decoders {
				if let Ok(encoded) = decode(input) {
					assert_eq!(
						&encoded, input,
						"{name}: a decoded value must re-encode to its input"
					);
					decoded += 1;
				}
			}
		}
		// Some corruptions (e.g. of a ciphertext coefficient) are valid objects; most are not.
		assert!(
			decoded > 0 && decoded < inputs.len(),
			"{decoded} of {} inputs decoded",
			inputs.len()
		);
	}

	#[test]
	fn a_personal_secret_key_round_trips_and_still_decrypts() {
		let (key, record) = record();
		let bytes = key.to_secret_bytes();
		assert_eq!(bytes.len(), HEADER_LEN + 2048 / 8);
		let restored = PersonalSecretKey::from_secret_bytes(&bytes).unwrap();
		assert_eq!(restored.to_secret_bytes(), bytes);
		assert_eq!(restored.decrypt_record(&record).unwrap(), key.decrypt_record(&record).unwrap());
		assert!(matches!(
			PersonalSecretKey::from_secret_bytes(&bytes[..bytes.len() - 1]),
			Err(Error::Truncated { .. })
		));
		assert!(matches!(
			PersonalSecretKey::from_secret_bytes(&record.to_bytes()),
			Err(Error::WrongKind { .. })
		));
	}
}
