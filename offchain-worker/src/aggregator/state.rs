//! What the aggregator keeps on disk, in one folder readable by the node's user only
//! (`<base path>/chains/<chain>/custodia-worker/aggregator`, mode 0700):
//!
//! | file | holds | lost → |
//! |---|---|---|
//! | `epoch-<id>.key` (0600) | the epoch's X25519 secret key (32 bytes) | the node opens nothing sealed to it in that epoch: its batches and jobs time out until a new epoch |
//! | `epoch-<id>-schema-<sid>.shares` (0600) | the output shares of the reports it verified (`custodia_statistics::store` format) | it cannot sum that epoch's statistics |
//! | `job-<id>.share` (0600) | the noisy aggregate share of a job until the chain has it | a new noise draw (see below) |
//!
//! Keys and job shares are written to a temporary file, synced and renamed, so a crash leaves
//! the old file or the new one. A job's share is stored before it is submitted and reused for
//! every resubmission: two different noise draws of the same share, both seen in the
//! transaction pool, would average the noise down. The output-share store is append-only and
//! cuts a torn last record when opened; after a restart its report ids refill the replay guard,
//! so a report already stored is never appended twice.

use std::{
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::{Path, PathBuf},
};

use codec::{Decode, Encode};
use custodia_primitives::statistics::{AggregatorEpochId, SchemaId, StatisticJobId};
use custodia_statistics::{
	aggregator::{OutputShare, ReplayGuard},
	envelope::KeyPair,
	schema::Layout,
	store::OutputShareStore,
};

use super::{chain::ShareSubmission, Error};

/// The role's state folder.
#[derive(Clone, Debug)]
pub struct StateDir {
	dir: PathBuf,
}

/// The output shares of one (epoch, schema) and the report ids they hold.
#[derive(Debug)]
pub struct EpochShares {
	/// The store.
	pub store: OutputShareStore,
	/// Every report id in the store.
	pub stored: ReplayGuard,
	path: PathBuf,
	layout: Layout,
	index: usize,
}

impl EpochShares {
	fn open(path: PathBuf, layout: &Layout, index: usize) -> Result<Self, Error> {
		let store =
			OutputShareStore::open(&path, layout, index).map_err(|e| state("open", &path, e))?;
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
			.map_err(|e| state("protect", &path, e))?;
		let stored = store.report_ids().map_err(|e| state("read", &path, e))?.into_iter().collect();
		Ok(EpochShares { store, stored, path, layout: layout.clone(), index })
	}

	/// Appends the output shares whose report is not stored yet, in one write; how many.
	pub fn append_new(&mut self, shares: Vec<OutputShare>) -> Result<usize, Error> {
		let mut ids = std::collections::HashSet::new();
		let new: Vec<OutputShare> = shares
			.into_iter()
			.filter(|s| !self.stored.contains(&s.report_id) && ids.insert(s.report_id))
			.collect();
		if let Err(e) = self.store.append(&new) {
			// Part of the write may be on disk: reopen, which cuts a torn record and reads back
			// the ids that made it, so the rest is appended (once) next time.
			let error = state("append to", &self.path, e);
			*self = Self::open(self.path.clone(), &self.layout.clone(), self.index)?;
			return Err(error);
		}
		for share in &new {
			let _ = self.stored.check_and_insert(&share.report_id);
		}
		Ok(new.len())
	}
}

fn state(what: &str, path: &Path, e: impl std::fmt::Display) -> Error {
	Error::State(format!("cannot {what} {}: {e}", path.display()))
}

impl StateDir {
	/// Opens the folder, creating it with mode 0700.
	pub fn open(dir: impl Into<PathBuf>) -> Result<Self, Error> {
		let dir = dir.into();
		std::fs::create_dir_all(&dir)
			.and_then(|()| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)))
			.map_err(|e| state("create", &dir, e))?;
		Ok(Self { dir })
	}

	/// The folder.
	pub fn path(&self) -> &Path {
		&self.dir
	}

	fn key_path(&self, epoch: AggregatorEpochId) -> PathBuf {
		self.dir.join(format!("epoch-{epoch}.key"))
	}

	fn job_path(&self, job: StatisticJobId) -> PathBuf {
		self.dir.join(format!("job-{job}.share"))
	}

	/// The path of the output-share store of (epoch, schema).
	pub fn shares_path(&self, epoch: AggregatorEpochId, schema: SchemaId) -> PathBuf {
		self.dir.join(format!("epoch-{epoch}-schema-{schema}.shares"))
	}

	/// This node's key for `epoch`, if it made one. A file that is not a key is an error, never
	/// a reason to make a new key.
	pub fn epoch_key(&self, epoch: AggregatorEpochId) -> Result<Option<KeyPair>, Error> {
		let path = self.key_path(epoch);
		match std::fs::read(&path) {
			Ok(bytes) => {
				let secret: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
					state("read", &path, format!("{} bytes, not a 32-byte key", b.len()))
				})?;
				Ok(Some(KeyPair::from_secret_bytes(&secret)))
			},
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(state("read", &path, e)),
		}
	}

	/// This node's key for `epoch`: the stored one, or a new one (`KeyPair::generate`), written
	/// before it is returned.
	pub fn ensure_epoch_key(&self, epoch: AggregatorEpochId) -> Result<KeyPair, Error> {
		if let Some(keys) = self.epoch_key(epoch)? {
			return Ok(keys);
		}
		let keys = KeyPair::generate()?;
		write_atomically(&self.key_path(epoch), &keys.secret_bytes())?;
		Ok(keys)
	}

	/// Opens (creating it) the output-share store of (epoch, schema) for aggregator `index`
	/// of `layout`, with the ids it holds. Reads the whole file once: call it on a blocking
	/// thread.
	pub fn open_shares(
		&self,
		epoch: AggregatorEpochId,
		schema: SchemaId,
		layout: &Layout,
		index: usize,
	) -> Result<EpochShares, Error> {
		EpochShares::open(self.shares_path(epoch, schema), layout, index)
	}

	/// The share this node made for `job`, if it made one.
	pub fn job_share(&self, job: StatisticJobId) -> Result<Option<ShareSubmission>, Error> {
		let path = self.job_path(job);
		match std::fs::read(&path) {
			Ok(bytes) => ShareSubmission::decode(&mut &bytes[..])
				.map(Some)
				.map_err(|e| state("decode", &path, e)),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(state("read", &path, e)),
		}
	}

	/// Keeps `share` as this node's share of `job`.
	pub fn save_job_share(
		&self,
		job: StatisticJobId,
		share: &ShareSubmission,
	) -> Result<(), Error> {
		write_atomically(&self.job_path(job), &share.encode())
	}

	/// Deletes the shares of jobs that no longer wait for this node.
	pub fn forget_job_shares_except(&self, awaiting: &[StatisticJobId]) -> Result<(), Error> {
		let entries = std::fs::read_dir(&self.dir).map_err(|e| state("list", &self.dir, e))?;
		for entry in entries.flatten() {
			let name = entry.file_name();
			let Some(job) = name
				.to_str()
				.and_then(|n| n.strip_prefix("job-")?.strip_suffix(".share")?.parse().ok())
			else {
				continue;
			};
			if !awaiting.contains(&job) {
				std::fs::remove_file(entry.path())
					.map_err(|e| state("remove", &entry.path(), e))?;
			}
		}
		Ok(())
	}
}

/// Writes `bytes` (mode 0600) to a temporary file, syncs it, renames it over `path` and syncs
/// the folder: after a crash the file is the old one or the new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
	let mut temporary = path.as_os_str().to_owned();
	temporary.push(".tmp");
	let temporary = PathBuf::from(temporary);
	std::fs::OpenOptions::new()
		.write(true)
		.create(true)
		.truncate(true)
		.mode(0o600)
		.open(&temporary)
		.and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
		.and_then(|()| std::fs::rename(&temporary, path))
		.and_then(|()| match path.parent() {
			Some(dir) => std::fs::File::open(dir).and_then(|d| d.sync_all()),
			None => Ok(()),
		})
		.map_err(|e| state("write", path, e))
}

#[cfg(test)]
mod tests {
	use super::*;
	use custodia_statistics::schema::{FieldSpec, Schema};
	use sp_core::H256;

	pub(crate) fn temp_dir(name: &str) -> PathBuf {
		let dir =
			std::env::temp_dir().join(format!("custodia-aggregator-{name}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		dir
	}

	fn mode(path: &Path) -> u32 {
		std::fs::metadata(path).unwrap().permissions().mode() & 0o777
	}

	#[test]
	fn an_epoch_key_is_made_once_kept_private_and_survives_a_restart() {
		let dir = temp_dir("keys");
		let state = StateDir::open(&dir).unwrap();
		assert!(state.epoch_key(3).unwrap().is_none());
		let key = state.ensure_epoch_key(3).unwrap();
		let restarted = StateDir::open(&dir).unwrap();
		assert_eq!(restarted.ensure_epoch_key(3).unwrap().public(), key.public());
		assert_eq!(restarted.epoch_key(3).unwrap().unwrap().public(), key.public());
		assert_ne!(restarted.ensure_epoch_key(4).unwrap().public(), key.public());
		assert_eq!(mode(&dir), 0o700);
		assert_eq!(mode(&dir.join("epoch-3.key")), 0o600);
		assert!(!dir.join("epoch-3.key.tmp").exists());
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_corrupt_key_file_is_an_error_not_a_new_key() {
		let dir = temp_dir("corrupt-key");
		let state = StateDir::open(&dir).unwrap();
		std::fs::write(dir.join("epoch-0.key"), b"garbage").unwrap();
		assert!(matches!(state.epoch_key(0), Err(Error::State(_))));
		assert!(matches!(state.ensure_epoch_key(0), Err(Error::State(_))));
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_job_share_is_kept_until_the_job_no_longer_waits() {
		let dir = temp_dir("jobs");
		let state = StateDir::open(&dir).unwrap();
		let share = ShareSubmission {
			reports: 12,
			cohort_hash: H256::repeat_byte(7),
			values: vec![1, u128::MAX],
			noise: vec![],
		};
		state.save_job_share(5, &share).unwrap();
		state.save_job_share(6, &share).unwrap();
		assert_eq!(StateDir::open(&dir).unwrap().job_share(5).unwrap(), Some(share.clone()));
		assert_eq!(mode(&dir.join("job-5.share")), 0o600);
		state.forget_job_shares_except(&[6]).unwrap();
		assert_eq!(state.job_share(5).unwrap(), None);
		assert_eq!(state.job_share(6).unwrap(), Some(share));
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn stored_output_shares_are_appended_once_even_after_a_restart() {
		let dir = temp_dir("shares");
		let state = StateDir::open(&dir).unwrap();
		let layout = Schema {
			category: "VitalSigns".into(),
			fields: vec![FieldSpec::new("pulse", "/min", 250)],
		}
		.layout(2)
		.unwrap();
		let share = |id: u8| OutputShare {
			report_id: [id; 16],
			values: vec![
				custodia_statistics::prio::field::Field128::from(u128::from(id));
				layout.output_len
			],
		};
		let mut shares = state.open_shares(1, 2, &layout, 0).unwrap();
		assert_eq!(shares.append_new(vec![share(1), share(2)]).unwrap(), 2);
		assert_eq!(shares.append_new(vec![share(2), share(3)]).unwrap(), 1);
		drop(shares);
		let mut reopened = state.open_shares(1, 2, &layout, 0).unwrap();
		assert_eq!(reopened.store.len(), 3);
		assert_eq!(reopened.append_new(vec![share(1), share(3)]).unwrap(), 0);
		assert_eq!(mode(&state.shares_path(1, 2)), 0o600);
		// Another aggregator index is another store: refused.
		assert!(matches!(state.open_shares(1, 2, &layout, 1), Err(Error::State(_))));
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
