//! The output-share store: how an aggregator keeps the output shares of the reports it verified,
//! and how it sums a cohort from them.
//!
//! One append-only file per (epoch, schema, aggregator). Layout:
//! ```text
//! header: magic "CSTS" | version | kind 7 | schema id (32) | aggregator (u8) |
//!         aggregators (u8) | output length L (u16)                           = 42 bytes
//! records: report id (16) | L × Field128 (16 bytes each, little-endian)     = 16 + 16·L bytes
//! ```
//! Fixed-size records make the file its own index: record `k` starts at `42 + k·(16 + 16·L)`.
//! A 20-field schema (L = 21 with the presence) uses 352 bytes per report: 1,285,000 reports
//! are 452 MB. Field elements are shares, uniformly random to anyone but the aggregator, so
//! they do not compress; 16 bytes each is the minimum for `Field128`.
//!
//! [`OutputShareStore::aggregate`] sums the records whose ids the chain lists for a cohort,
//! scanning the file sequentially with one thread per core (positioned reads of 4 MiB), so its
//! memory is the cohort's id table plus a few buffers, whatever the file's size. Ids of the
//! cohort that are not in the file (reports this aggregator rejected or never saw) are returned
//! as `missing`; an id stored twice counts once. A record cut short by a crash is dropped when
//! the store is opened again.

use crate::{
	aggregator::OutputShare,
	binding::ReportId,
	schema::Layout,
	wire::{self, Kind, FIELD_LEN},
	Error,
};
use prio::field::{Field128, FieldElement, FieldElementWithInteger};
use std::{
	collections::HashMap,
	fs::{File, OpenOptions},
	io::{Seek, SeekFrom, Write},
	os::unix::fs::FileExt,
	path::Path,
	sync::atomic::{AtomicBool, Ordering},
};

/// A running sum of canonical `Field128` elements read as integers: the low 128 bits and the
/// number of times they wrapped. Adding integers and reducing once at the end gives the same
/// field sum as adding field elements, without converting each stored element into prio's
/// internal (Montgomery) form; [`Wide::reduce`] does the single conversion.
#[derive(Clone, Copy, Default)]
struct Wide {
	low: u128,
	wraps: u64,
}

impl Wide {
	/// Adds one stored element (16 bytes, little-endian), refusing a non-canonical one.
	#[inline]
	fn add(&mut self, bytes: &[u8]) -> Result<(), Error> {
		let mut le = [0u8; FIELD_LEN];
		le.copy_from_slice(bytes);
		let v = u128::from_le_bytes(le);
		if v >= Field128::modulus() {
			return Err(Error::Invalid {
				what: "field element",
				detail: "not below the field modulus".into(),
			});
		}
		let (low, wrapped) = self.low.overflowing_add(v);
		self.low = low;
		self.wraps += wrapped as u64;
		Ok(())
	}

	/// `low + wraps · 2^128 (mod p)` as a field element.
	fn reduce(self) -> Field128 {
		let p = Field128::modulus();
		let two_128 = (u128::MAX % p + 1) % p;
		Field128::from(self.low % p) + Field128::from(self.wraps as u128) * Field128::from(two_128)
	}
}

/// Length of the store header.
pub const STORE_HEADER_LEN: usize = wire::HEADER_LEN + 32 + 1 + 1 + 2;
const READ_CHUNK: usize = 4 << 20;

/// An open output-share store.
#[derive(Debug)]
pub struct OutputShareStore {
	file: File,
	output_len: usize,
	record_len: usize,
	records: u64,
}

/// The sum of a cohort's output shares at one aggregator, before noise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CohortAggregate {
	/// The summed output shares, [`Layout::output_len`] field elements.
	pub values: Vec<Field128>,
	/// How many reports were summed.
	pub reports: u64,
	/// Cohort ids with no stored output share (rejected or never verified here).
	pub missing: Vec<ReportId>,
}

/// The hash that names a cohort: `BLAKE2b-256` over
/// ```text
/// u64 LE 29 | "custodia/statistics/v1/cohort" | u64 LE 16·k | id₀ | id₁ | … | id₍ₖ₋₁₎
/// ```
/// where `id₀ < id₁ < …` are the distinct report ids (sorted bytewise, duplicates counted once:
/// [`OutputShareStore::aggregate`] sums a repeated id once) — i.e.
/// [`wire::hash`]`("custodia/statistics/v1/cohort", [ids concatenated])`. Aggregators put it
/// beside their aggregate share so that anyone can check they all summed the same reports; a
/// chain can recompute it from its cohort with `blake2_256` alone.
pub fn cohort_hash(ids: &[ReportId]) -> [u8; 32] {
	let mut sorted = ids.to_vec();
	sorted.sort_unstable();
	sorted.dedup();
	wire::hash(b"custodia/statistics/v1/cohort", &[&sorted.concat()])
}

fn io(e: std::io::Error) -> Error {
	Error::Io(e.to_string())
}

fn header(layout: &Layout, aggregator: usize) -> Vec<u8> {
	let mut out = Vec::with_capacity(STORE_HEADER_LEN);
	wire::header(&mut out, Kind::Store);
	out.extend_from_slice(&layout.schema_id);
	out.push(aggregator as u8);
	out.push(layout.aggregators as u8);
	wire::put_u16(&mut out, layout.output_len as u16);
	out
}

impl OutputShareStore {
	/// Opens the store at `path` for aggregator `aggregator` of `layout`, creating it if absent.
	/// An existing file must carry the same header; a partial last record is cut off.
	pub fn open(path: &Path, layout: &Layout, aggregator: usize) -> Result<Self, Error> {
		let expected = header(layout, aggregator);
		let mut file =
			OpenOptions::new().read(true).append(true).create(true).open(path).map_err(io)?;
		let len = file.metadata().map_err(io)?.len();
		if len == 0 {
			file.write_all(&expected).map_err(io)?;
		} else {
			let mut found = vec![0u8; STORE_HEADER_LEN.min(len as usize)];
			file.read_exact_at(&mut found, 0).map_err(io)?;
			if found != expected {
				let mut r = wire::open(&found, STORE_HEADER_LEN, Kind::Store)?;
				r.take(STORE_HEADER_LEN - wire::HEADER_LEN)?;
				return Err(Error::Invalid {
					what: "output-share store",
					detail: "made for another schema, aggregator or epoch layout".into(),
				});
			}
		}
		let record_len = 16 + FIELD_LEN * layout.output_len;
		let body = file.metadata().map_err(io)?.len() - STORE_HEADER_LEN as u64;
		let records = body / record_len as u64;
		if !body.is_multiple_of(record_len as u64) {
			file.set_len(STORE_HEADER_LEN as u64 + records * record_len as u64)
				.map_err(io)?;
			file.seek(SeekFrom::End(0)).map_err(io)?;
		}
		Ok(OutputShareStore { file, output_len: layout.output_len, record_len, records })
	}

	/// Number of stored records.
	pub fn len(&self) -> u64 {
		self.records
	}

	/// Whether the store is empty.
	pub fn is_empty(&self) -> bool {
		self.records == 0
	}

	/// Bytes per record.
	pub fn record_len(&self) -> usize {
		self.record_len
	}

	/// Appends output shares (one write for the batch).
	pub fn append(&mut self, shares: &[OutputShare]) -> Result<(), Error> {
		let mut buf = Vec::with_capacity(shares.len() * self.record_len);
		for s in shares {
			if s.values.len() != self.output_len {
				return Err(Error::Invalid {
					what: "output share",
					detail: format!(
						"{} values, the store holds {}",
						s.values.len(),
						self.output_len
					),
				});
			}
			buf.extend_from_slice(&s.report_id);
			wire::put_fields(&mut buf, &s.values);
		}
		self.file.write_all(&buf).map_err(io)?;
		self.records += shares.len() as u64;
		Ok(())
	}

	/// Every stored report id, in file order (to refill a [`crate::aggregator::ReplayGuard`]
	/// after a restart).
	pub fn report_ids(&self) -> Result<Vec<ReportId>, Error> {
		let mut ids = Vec::with_capacity(self.records as usize);
		self.scan(0..self.records, &mut |rec| {
			let mut id = [0u8; 16];
			id.copy_from_slice(&rec[..16]);
			ids.push(id);
			Ok(())
		})?;
		Ok(ids)
	}

	/// Calls `f` on each record of `range`, reading 4 MiB at a time.
	fn scan(
		&self,
		range: std::ops::Range<u64>,
		f: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
	) -> Result<(), Error> {
		let per_chunk = (READ_CHUNK / self.record_len).max(1) as u64;
		let mut buf = vec![0u8; per_chunk as usize * self.record_len];
		let mut k = range.start;
		while k < range.end {
			let n = per_chunk.min(range.end - k);
			let bytes = &mut buf[..n as usize * self.record_len];
			self.file
				.read_exact_at(bytes, STORE_HEADER_LEN as u64 + k * self.record_len as u64)
				.map_err(io)?;
			for rec in bytes.chunks_exact(self.record_len) {
				f(rec)?;
			}
			k += n;
		}
		Ok(())
	}

	/// Sums the stored output shares of the reports in `cohort` (the ids the chain says count),
	/// using `threads` threads (at least 1).
	pub fn aggregate(&self, cohort: &[ReportId], threads: usize) -> Result<CohortAggregate, Error> {
		let wanted: HashMap<ReportId, usize> =
			cohort.iter().enumerate().map(|(i, id)| (*id, i)).collect();
		let taken: Vec<AtomicBool> = (0..cohort.len()).map(|_| AtomicBool::new(false)).collect();
		let threads = threads.max(1) as u64;
		let per = self.records.div_ceil(threads);
		let results: Vec<Result<(Vec<Wide>, u64), Error>> = std::thread::scope(|s| {
			let handles: Vec<_> = (0..threads)
				.map(|t| {
					let (wanted, taken) = (&wanted, &taken);
					let range = (t * per).min(self.records)..((t + 1) * per).min(self.records);
					s.spawn(move || {
						let mut sum = vec![Wide::default(); self.output_len];
						let mut count = 0u64;
						self.scan(range, &mut |rec| {
							let Some(&i) = wanted.get(&rec[..16]) else { return Ok(()) };
							if taken[i].swap(true, Ordering::Relaxed) {
								return Ok(());
							}
							for (acc, bytes) in
								sum.iter_mut().zip(rec[16..].chunks_exact(FIELD_LEN))
							{
								acc.add(bytes)?;
							}
							count += 1;
							Ok(())
						})?;
						Ok((sum, count))
					})
				})
				.collect();
			handles
				.into_iter()
				.map(|h| {
					h.join().unwrap_or_else(|_| Err(Error::Io("a reader thread panicked".into())))
				})
				.collect()
		});
		let mut values = vec![Field128::zero(); self.output_len];
		let mut reports = 0;
		for r in results {
			let (sum, count) = r?;
			values.iter_mut().zip(sum).for_each(|(a, b)| *a += b.reduce());
			reports += count;
		}
		let mut missing: Vec<ReportId> = wanted
			.iter()
			.filter(|(_, &i)| !taken[i].load(Ordering::Relaxed))
			.map(|(id, _)| *id)
			.collect();
		missing.sort_unstable();
		Ok(CohortAggregate { values, reports, missing })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn wide_sums_equal_field_sums_and_refuse_non_canonical_elements() {
		let p = Field128::modulus();
		let mut elements: Vec<Field128> =
			[p - 1, p - 2, 0, 1, p / 2, u128::MAX >> 1].map(Field128::from).to_vec();
		elements.extend(Field128::random_vector(10_000));
		let mut wide = Wide::default();
		let mut field = Field128::zero();
		for e in &elements {
			wide.add(&<[u8; FIELD_LEN]>::from(*e)).unwrap();
			field += *e;
		}
		assert!(wide.wraps > 0, "the test wraps");
		assert_eq!(wide.reduce(), field);
		assert!(wide.add(&p.to_le_bytes()).is_err());
		assert!(wide.add(&u128::MAX.to_le_bytes()).is_err());
	}
}
