//! Signed extrinsics from the node's own keystore, with the worker's own key type, into the
//! local transaction pool.
//!
//! The secret never leaves the keystore: the worker asks it to sign. A nonce is the account's
//! nonce at the best block moved past every nonce its ready transactions in the pool hold — its
//! own, and those of anyone else signing as the same account (an operator's client, a test's
//! sudo on a dev chain), which would otherwise be usurped or make the worker's refused.

use std::sync::Arc;

use codec::Encode;
use custodia_runtime::{
	opaque::Block, AccountId, BlockNumber, Nonce, Runtime, RuntimeCall, Signature, SignedPayload,
	TxExtension, UncheckedExtrinsic,
};
use frame_system_rpc_runtime_api::AccountNonceApi;
use sc_transaction_pool_api::{InPoolTransaction, TransactionPool, TransactionSource};
use sp_api::{Core, ProvideRuntimeApi};
use sp_blockchain::HeaderBackend;
use sp_core::{crypto::KeyTypeId, sr25519};
use sp_keystore::KeystorePtr;
use sp_runtime::{generic::Era, traits::Block as BlockT};

/// The keystore key type of the worker's account: `cust`. Insert it with
/// `custodia-node key insert --key-type cust --scheme sr25519 --suri <secret>`.
pub const KEY_TYPE: KeyTypeId = KeyTypeId(*b"cust");

/// Blocks a worker extrinsic stays valid for, from the best block it was signed at: one that
/// could not be included by then (a full pool, a fork that lost) is dropped and can never be
/// replayed later; the role submits again if the chain still waits for it.
pub const MORTALITY: u64 = 64;

/// The era of an extrinsic signed at best block `best`, and the number of its birth block
/// (whose hash `CheckEra` signs).
pub fn mortal_era(best: BlockNumber) -> (Era, BlockNumber) {
	let era = Era::mortal(MORTALITY, best.into());
	let birth = era.birth(best.into()) as BlockNumber;
	(era, birth)
}

/// Why an extrinsic was not submitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
	#[error("runtime API call failed: {0}")]
	RuntimeApi(String),
	#[error("the keystore could not sign with the worker key: {0}")]
	Signing(String),
	#[error("the transaction pool refused the extrinsic: {0}")]
	Pool(String),
}

/// Signs the worker's calls and puts them in the pool.
pub struct Signer<C, P> {
	client: Arc<C>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	public: sr25519::Public,
	account: AccountId,
	next_nonce: tokio::sync::Mutex<Option<Nonce>>,
}

impl<C, P> Signer<C, P>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: AccountNonceApi<Block, AccountId, Nonce> + Core<Block>,
	P: TransactionPool<Block = Block> + 'static,
{
	/// The signer of the first `cust` sr25519 key in the keystore, if there is one.
	pub fn from_keystore(client: Arc<C>, pool: Arc<P>, keystore: KeystorePtr) -> Option<Self> {
		let public = *keystore.sr25519_public_keys(KEY_TYPE).first()?;
		let account = AccountId::from(public);
		Some(Self {
			client,
			pool,
			keystore,
			public,
			account,
			next_nonce: tokio::sync::Mutex::new(None),
		})
	}

	/// The account the worker acts as.
	pub fn account(&self) -> &AccountId {
		&self.account
	}

	/// Signs `call` with the next nonce and submits it to the local pool.
	pub async fn submit(&self, call: RuntimeCall) -> Result<(), SubmitError> {
		let info = self.client.info();
		let (best, best_number) = (info.best_hash, info.best_number);
		let mut next = self.next_nonce.lock().await;
		let on_chain = self
			.client
			.runtime_api()
			.account_nonce(best, self.account.clone())
			.map_err(|e| SubmitError::RuntimeApi(e.to_string()))?;
		// The chain's nonce is behind while extrinsics of the account wait in the pool; the local
		// count covers one of ours the pool has accepted but not yet made ready.
		let in_pool = self.past_ready_in_pool(on_chain);
		let nonce = next.map_or(in_pool, |n| n.max(in_pool));
		let extrinsic = self.sign(call, nonce, best, best_number)?;
		match self.pool.submit_one(best, TransactionSource::Local, extrinsic.into()).await {
			Ok(_) => {
				*next = Some(nonce + 1);
				Ok(())
			},
			Err(e) => {
				// Re-read the nonce from the chain next time.
				*next = None;
				Err(SubmitError::Pool(e.to_string()))
			},
		}
	}

	/// The first nonce from `nonce` on that no ready transaction in the pool holds for the
	/// worker's account. frame-system's `CheckNonce` makes a transaction provide the tag
	/// `(account, nonce)`; ready ones hold consecutive nonces from the chain's.
	fn past_ready_in_pool(&self, mut nonce: Nonce) -> Nonce {
		let account_tag_prefix = self.account.encode();
		let held: std::collections::BTreeSet<Vec<u8>> = self
			.pool
			.ready()
			.flat_map(|tx| tx.provides().to_vec())
			.filter(|tag| tag.starts_with(&account_tag_prefix))
			.collect();
		while held.contains(&(&self.account, nonce).encode()) {
			nonce += 1;
		}
		nonce
	}

	fn sign(
		&self,
		call: RuntimeCall,
		nonce: Nonce,
		best: <Block as BlockT>::Hash,
		best_number: BlockNumber,
	) -> Result<UncheckedExtrinsic, SubmitError> {
		let version = self
			.client
			.runtime_api()
			.version(best)
			.map_err(|e| SubmitError::RuntimeApi(e.to_string()))?;
		let genesis = self.client.info().genesis_hash;
		let (era, birth) = mortal_era(best_number);
		// `CheckEra` signs the hash of the era's birth block, not of the best block.
		let birth_hash = self
			.client
			.hash(birth)
			.map_err(|e| SubmitError::RuntimeApi(e.to_string()))?
			.ok_or_else(|| {
				SubmitError::RuntimeApi(format!("no hash for block {birth}, the era's birth"))
			})?;
		let extension: TxExtension = (
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(era),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			// A node signs with its own keystore, never through a hardware signer: no digest.
			frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let implicit = (
			(),
			version.spec_version,
			version.transaction_version,
			genesis,
			birth_hash,
			(),
			(),
			(),
			None,
			(),
		);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload
			.using_encoded(|message| self.keystore.sr25519_sign(KEY_TYPE, &self.public, message))
			.map_err(|e| SubmitError::Signing(e.to_string()))?
			.ok_or_else(|| SubmitError::Signing("the key is no longer in the keystore".into()))?;
		Ok(UncheckedExtrinsic::new_signed(
			call,
			self.account.clone().into(),
			Signature::Sr25519(signature),
			extension,
		))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn an_era_is_born_at_or_before_the_best_block_and_lives_mortality_blocks() {
		for best in [0, 1, 63, 64, 65, 1_000, 123_456] {
			let (era, birth) = mortal_era(best);
			assert!(matches!(era, Era::Mortal(64, _)), "{era:?}");
			assert!(birth <= best && best - birth < 64, "best {best}, birth {birth}");
			assert_eq!(era.death(best.into()), u64::from(birth) + MORTALITY);
		}
	}
}
