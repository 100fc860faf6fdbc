//! An IPFS daemon in memory for the roles' unit tests: objects by CID, bounded reads like the
//! real client's, a switch that makes it unreachable. Only reads and adds work: the evaluator
//! and the aggregator never pin, unpin, list pins or collect garbage, so those calls fail with a
//! daemon error that a test would notice.

use std::{
	collections::{HashMap, HashSet},
	sync::{
		atomic::{AtomicBool, Ordering},
		Mutex,
	},
	time::Duration,
};

use async_trait::async_trait;
use custodia_ipfs::{Error as IpfsError, Ipfs};
use custodia_primitives::fhe::IpfsRef;

use crate::shared::content_hash;

#[derive(Default)]
pub struct MemoryIpfs {
	objects: Mutex<HashMap<String, Vec<u8>>>,
	down: AtomicBool,
}

impl MemoryIpfs {
	/// Stores `bytes` under `cid`.
	pub fn insert(&self, cid: &str, bytes: Vec<u8>) {
		self.objects.lock().unwrap().insert(cid.into(), bytes);
	}

	/// Stores `bytes` under a CID named by their hash; the reference the chain would hold.
	pub fn put(&self, bytes: &[u8]) -> IpfsRef<Vec<u8>> {
		let cid = format!("mem-{:?}", content_hash(bytes));
		self.insert(&cid, bytes.to_vec());
		IpfsRef { cid: cid.into_bytes(), hash: content_hash(bytes) }
	}

	/// The object stored under `cid`; panics if there is none (a test's own mistake).
	pub fn get(&self, cid: &str) -> Vec<u8> {
		self.objects.lock().unwrap()[cid].clone()
	}

	/// Forgets the object stored under `cid`: nobody serves it any more.
	pub fn remove(&self, cid: &str) {
		self.objects.lock().unwrap().remove(cid);
	}

	/// Makes the daemon unreachable (`true`) or reachable again.
	pub fn set_down(&self, down: bool) {
		self.down.store(down, Ordering::Relaxed);
	}

	fn reachable(&self, call: &'static str) -> Result<(), IpfsError> {
		if self.down.load(Ordering::Relaxed) {
			return Err(IpfsError::Unreachable { call, detail: "connection refused".into() });
		}
		Ok(())
	}
}

/// A call the roles under test never make.
fn never(call: &'static str) -> IpfsError {
	IpfsError::Daemon {
		call,
		message: "the evaluator and the aggregator never make this call".into(),
	}
}

#[async_trait]
impl Ipfs for MemoryIpfs {
	async fn version(&self) -> Result<String, IpfsError> {
		self.reachable("version").map(|()| "memory".into())
	}
	async fn add(&self, data: Vec<u8>) -> Result<String, IpfsError> {
		self.reachable("add")?;
		Ok(String::from_utf8(self.put(&data).cid).expect("the CID is ASCII; qed"))
	}
	async fn cat(&self, cid: &str, limit: u64, _: Duration) -> Result<Vec<u8>, IpfsError> {
		self.reachable("cat")?;
		// What Kubo answers when nobody serves a CID within its lookup time.
		let bytes =
			self.objects
				.lock()
				.unwrap()
				.get(cid)
				.cloned()
				.ok_or_else(|| IpfsError::Daemon {
					call: "cat",
					message: "context deadline exceeded".into(),
				})?;
		if bytes.len() as u64 > limit {
			return Err(IpfsError::TooLarge { cid: cid.into(), limit });
		}
		Ok(bytes)
	}
	async fn pin_add(&self, _: &str, _: u64, _: Duration) -> Result<(), IpfsError> {
		Err(never("pin/add"))
	}
	async fn pin_rm(&self, _: &str) -> Result<(), IpfsError> {
		Err(never("pin/rm"))
	}
	async fn pins(&self) -> Result<HashSet<String>, IpfsError> {
		Err(never("pin/ls"))
	}
	async fn gc(&self) -> Result<(), IpfsError> {
		Err(never("repo/gc"))
	}
}
