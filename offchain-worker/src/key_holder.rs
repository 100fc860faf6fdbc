//! The key holder: its secret share of each consortium key epoch it holds, the public-key share
//! it publishes for the epoch's joint key, and its decryption shares of agreed statistic
//! aggregates.
//!
//! The secret share is made on this node and never leaves it: [`ShareStore`] keeps it in a file
//! readable by the node's user only (like the node's keystore), beside the public share made
//! with it, so that a restarted worker re-publishes the same public share and can still decrypt
//! every aggregate under the epoch. Losing the file means the epoch can no longer decrypt
//! anything: governance must start a new one.

use std::{
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::{Path, PathBuf},
};

use custodia_fhe::{
	cohort::{Aggregate, KeyHolder},
	params::COHORT_V1,
};
use custodia_primitives::fhe::{EpochId, IpfsRef};
use sp_core::H256;

use crate::{
	evaluator::{blocking, fetch_checked, store},
	ipfs::{Ipfs, IpfsError},
};

/// The largest aggregate read (64 fields under COHORT_V1: 66,577 bytes).
const MAX_AGGREGATE_BYTES: usize = 128 * 1024;

/// Why a key holder could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum KeyHolderError {
	/// IPFS could not store or deliver something now: retry later.
	#[error(transparent)]
	Ipfs(#[from] IpfsError),
	/// The share files could not be read or written.
	#[error("key share store: {0}")]
	Store(String),
	/// This node holds no secret share for the epoch (made elsewhere, or lost).
	#[error("no secret share of key epoch {0} on this node")]
	NoSecret(EpochId),
	/// The agreed aggregate cannot be decrypted as it is.
	#[error("aggregate unusable: {0}")]
	BadAggregate(String),
}

/// The secret and public shares of this node's key epochs, one pair of files per epoch.
#[derive(Clone)]
pub struct ShareStore {
	dir: PathBuf,
}

impl ShareStore {
	/// Opens (creating it, mode 0700) the folder that holds the shares.
	pub fn open(dir: impl Into<PathBuf>) -> Result<Self, KeyHolderError> {
		let dir = dir.into();
		std::fs::create_dir_all(&dir)
			.and_then(|()| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)))
			.map_err(|e| KeyHolderError::Store(format!("cannot create {}: {e}", dir.display())))?;
		Ok(Self { dir })
	}

	fn paths(&self, epoch: EpochId) -> (PathBuf, PathBuf) {
		(self.dir.join(format!("epoch-{epoch}.secret")), self.dir.join(format!("epoch-{epoch}.public")))
	}

	/// The secret share of `epoch`, if this node made one.
	pub fn secret(&self, epoch: EpochId) -> Result<Option<KeyHolder>, KeyHolderError> {
		let (secret, _) = self.paths(epoch);
		match std::fs::read(&secret) {
			Ok(bytes) => KeyHolder::from_secret_bytes(&bytes)
				.map(Some)
				.map_err(|e| KeyHolderError::Store(format!("{} is not a secret share: {e}", secret.display()))),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
			Err(e) => Err(KeyHolderError::Store(format!("cannot read {}: {e}", secret.display()))),
		}
	}

	/// The public share of `epoch` for holder `index`: the stored one, or a new secret and
	/// public share made with `common_seed` and stored first.
	pub fn public_share(&self, epoch: EpochId, index: u16, common_seed: u128) -> Result<Vec<u8>, KeyHolderError> {
		let (secret_path, public_path) = self.paths(epoch);
		if let (Some(secret), Ok(public)) = (self.secret(epoch)?, std::fs::read(&public_path)) {
			if secret.index() == index {
				return Ok(public);
			}
		}
		let (secret, public) = KeyHolder::generate(&COHORT_V1, index, common_seed);
		let public = public.to_bytes();
		// The public share first: a secret on disk always has its public share beside it.
		write_atomically(&public_path, &public, 0o644)?;
		write_atomically(&secret_path, &secret.to_secret_bytes(), 0o600)?;
		Ok(public)
	}
}

/// Writes `bytes` to a temporary file with `mode`, then renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<(), KeyHolderError> {
	let temporary = path.with_extension("tmp");
	let written = std::fs::OpenOptions::new()
		.write(true)
		.create(true)
		.truncate(true)
		.mode(mode)
		.open(&temporary)
		.and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
		.and_then(|()| std::fs::rename(&temporary, path));
	written.map_err(|e| KeyHolderError::Store(format!("cannot write {}: {e}", path.display())))
}

/// Publishes this node's public-key share of `epoch` (as holder `index`) to IPFS: its CID and hash.
pub async fn key_share(
	ipfs: &dyn Ipfs,
	shares: &ShareStore,
	epoch: EpochId,
	index: u16,
	common_seed: u128,
) -> Result<(String, H256), KeyHolderError> {
	// Key generation samples a 4096-coefficient key: FHE work, off the async threads.
	let shares = shares.clone();
	let public = blocking(move || shares.public_share(epoch, index, common_seed)).await??;
	Ok(store(ipfs, public).await?)
}

/// This node's flooded partial decryption of `field` of an agreed aggregate under `epoch`,
/// stored in IPFS: its CID and hash.
pub async fn decryption_share(
	ipfs: &dyn Ipfs,
	shares: &ShareStore,
	epoch: EpochId,
	field: u16,
	aggregate: &IpfsRef<Vec<u8>>,
) -> Result<(String, H256), KeyHolderError> {
	let secret = shares.secret(epoch)?.ok_or(KeyHolderError::NoSecret(epoch))?;
	let bytes = fetch_checked(ipfs, aggregate)
		.await?
		.ok_or_else(|| KeyHolderError::BadAggregate("its content does not match its hash".into()))?;
	let share = blocking(move || {
		let aggregate = Aggregate::from_bytes(&bytes, MAX_AGGREGATE_BYTES)?;
		secret.partial_decrypt_field(&aggregate, usize::from(field)).map(|share| share.to_bytes())
	})
	.await?
	.map_err(|e| KeyHolderError::BadAggregate(e.to_string()))?;
	Ok(store(ipfs, share).await?)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn store_dir(name: &str) -> PathBuf {
		let dir = std::env::temp_dir().join(format!("custodia-shares-{name}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		dir
	}

	#[test]
	fn a_share_is_made_once_per_epoch_kept_private_and_survives_a_restart() {
		let dir = store_dir("restart");
		let store = ShareStore::open(&dir).unwrap();
		assert!(store.secret(3).unwrap().is_none());
		let public = store.public_share(3, 1, 42).unwrap();
		// A restarted worker (a new store on the same folder) publishes the same share.
		let reopened = ShareStore::open(&dir).unwrap();
		assert_eq!(reopened.public_share(3, 1, 42).unwrap(), public);
		assert_eq!(reopened.secret(3).unwrap().unwrap().index(), 1);
		let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
		assert_eq!(mode("epoch-3.secret"), 0o600);
		assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
		// Another epoch gets another secret.
		assert_ne!(reopened.public_share(4, 1, 42).unwrap(), public);
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_corrupt_secret_file_is_an_error_not_a_new_key() {
		let dir = store_dir("corrupt");
		let store = ShareStore::open(&dir).unwrap();
		store.public_share(0, 0, 7).unwrap();
		std::fs::write(dir.join("epoch-0.secret"), b"garbage").unwrap();
		assert!(matches!(store.secret(0), Err(KeyHolderError::Store(_))));
		assert!(matches!(store.public_share(0, 0, 7), Err(KeyHolderError::Store(_))));
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
