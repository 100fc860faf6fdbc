//! The chain, through subxt and the runtime's generated API ([`crate::runtime`]): signed calls
//! with readable errors, storage and runtime-API questions, and waiting for events in finalized
//! blocks.
//!
//! Every call, storage entry, runtime API and event is a generated, typed one: its pallet and
//! name are checked by the compiler against `metadata/custodia.scale`, and by subxt against the
//! node's metadata before it is used. Two things are read generically, as [`Value`]s: what
//! `--json` shows of a stored struct or an API's answer (the chain's own field names and shapes,
//! [`crate::output::to_json`]), and a dispatch error inside an event ([`Chain::explain`]).

use std::{marker::PhantomData, time::Duration};

use anyhow::anyhow;
use subxt::{
	client::{ClientAtBlock, OnlineClientAtBlockImpl},
	config::{DefaultExtrinsicParamsBuilder, RpcConfigFor},
	dynamic::Value,
	error::{DispatchError, TransactionEventsError},
	events::DecodeAsEvent,
	ext::{scale_decode::DecodeAsType, scale_encode::EncodeAsType},
	extrinsics::ExtrinsicEvents,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	runtime_apis::Payload as ApiPayload,
	storage::Address,
	transactions::{Payload, TransactionProgress, TransactionStatus},
	utils::AccountId32,
	OnlineClient, PolkadotConfig,
};

use crate::{account::AccountKey, runtime::custodia, Error};

/// The chain at one block.
type AtBlock = ClientAtBlock<PolkadotConfig, OnlineClientAtBlockImpl<PolkadotConfig>>;

/// An event of a finalized block, as [`Chain::wait_for`] shows it to its caller.
pub type SeenEvent<'a> = subxt::events::Event<'a, PolkadotConfig>;

/// A connected client.
pub struct Chain {
	api: OnlineClient<PolkadotConfig>,
	/// The same connection's plain JSON-RPC methods: `system_accountNextIndex`, the one nonce
	/// that counts the account's transactions still in the node's pool.
	rpc: LegacyRpcMethods<RpcConfigFor<PolkadotConfig>>,
}

/// A call that made it into a block.
pub struct Included {
	pub block: u64,
	/// The extrinsic's events, decoded on demand as the generated types ([`Included::find`]).
	events: ExtrinsicEvents<PolkadotConfig>,
}

impl Included {
	/// The first event of type `E` (a generated event, e.g.
	/// `custodia::vaults::events::RecordRegistered`) the call emitted.
	pub fn find<E: DecodeAsEvent>(&self) -> Result<E, Error> {
		self.try_find::<E>()?.ok_or_else(|| {
			Error::Refused(format!(
				"the call was included in block {} but emitted no {} event",
				self.block,
				event_name::<E>()
			))
		})
	}

	/// The first event of type `E` the call emitted, if any.
	pub fn try_find<E: DecodeAsEvent>(&self) -> Result<Option<E>, Error> {
		self.events.find_first::<E>().transpose().map_err(|e| {
			Error::Unreachable(anyhow!("decoding the {} event: {e}", event_name::<E>()))
		})
	}

	/// The fields of the first event of type `E`, read generically: for a dispatch result that
	/// [`Chain::explain`] names.
	pub fn fields_of<E: DecodeAsEvent>(&self) -> Result<Value, Error> {
		for event in self.events.iter() {
			let event = event.map_err(|e| Error::Unreachable(anyhow!("{e}")))?;
			if event.is::<E>() {
				return event.decode_fields_unchecked_as::<Value>().map_err(|e| {
					Error::Unreachable(anyhow!("decoding the {} event: {e}", event_name::<E>()))
				});
			}
		}
		Err(Error::Refused(format!(
			"the call was included in block {} but emitted no {} event",
			self.block,
			event_name::<E>()
		)))
	}
}

/// The name of a generated event type, for messages.
fn event_name<E>() -> &'static str {
	std::any::type_name::<E>().rsplit("::").next().unwrap_or_default()
}

/// Decodes `event` as the generated event `E` if it is one (what [`Chain::wait_for`] looks
/// for).
pub fn event_as<E: DecodeAsEvent>(event: &SeenEvent<'_>) -> Result<Option<E>, Error> {
	event
		.decode_fields_as::<E>()
		.transpose()
		.map_err(|e| Error::Unreachable(anyhow!("decoding the {} event: {e}", event_name::<E>())))
}

/// A generated runtime-API call whose answer is decoded as `R` rather than the generated type
/// (a [`Value`] for `--json`): same trait, method, arguments and metadata check.
struct Answer<P, R>(P, PhantomData<R>);

impl<P: ApiPayload, R: DecodeAsType> ApiPayload for Answer<P, R> {
	type ArgsType = P::ArgsType;
	type ReturnType = R;

	fn trait_name(&self) -> &str {
		self.0.trait_name()
	}

	fn method_name(&self) -> &str {
		self.0.method_name()
	}

	fn args(&self) -> &Self::ArgsType {
		self.0.args()
	}

	fn validation_hash(&self) -> Option<[u8; 32]> {
		self.0.validation_hash()
	}
}

impl Chain {
	/// Connects to the node at `url`: wss://, or ws:// to a loopback host. An unencrypted ws://
	/// URL to any other host is refused unless `insecure` (the global `--insecure`): what the
	/// node answers — e.g. the key a vault is sealed to — is trusted, and on a network anyone on
	/// the path could change it.
	pub async fn connect(url: &str, insecure: bool) -> Result<Self, Error> {
		check_transport(url, insecure)?;
		let cannot_reach = |e: &dyn std::fmt::Display| {
			Error::Unreachable(anyhow!(
				"cannot reach the node at {url}: {e} (is it running? see --url)"
			))
		};
		let rpc = if is_ws(url) && !is_loopback(url) {
			RpcClient::from_insecure_url(url).await
		} else {
			RpcClient::from_url(url).await
		}
		.map_err(|e| cannot_reach(&e))?;
		let api = OnlineClient::<PolkadotConfig>::from_rpc_client(rpc.clone())
			.await
			.map_err(|e| cannot_reach(&e))?;
		Ok(Self { api, rpc: LegacyRpcMethods::new(rpc) })
	}

	/// Signs the generated call `payload` (e.g.
	/// `custodia::transactions().vaults().close_vault(vault)`) as `signer`, submits it and waits
	/// until it is in a finalized block — so that what the command prints, and every later query
	/// (they read the finalized state), already reflects it. The call is checked against the
	/// node's metadata before it is signed; a dispatch error becomes [`Error::Refused`] naming
	/// the pallet error and its documentation.
	///
	/// The nonce is the node's `system_accountNextIndex`: the account's nonce at the best block
	/// plus its transactions still in the pool. Another signer of the same account (a node's
	/// worker signing as its validator, a second client) may still take it first: the pool then
	/// calls ours outdated, of too low a priority or usurped, and it was never dispatched. Such a
	/// call is signed again with a fresh nonce (up to [`NONCE_RACE_ATTEMPTS`] times, a few
	/// seconds apart) instead of failing the command.
	pub async fn submit<Call: Payload>(
		&self,
		payload: &Call,
		signer: &AccountKey,
	) -> Result<Included, Error> {
		let (pallet, call) = (payload.pallet_name(), payload.call_name());
		let mut attempt = 1;
		loop {
			let at = self
				.api
				.at_current_block()
				.await
				.map_err(|e| unreachable(pallet, call, e.into()))?;
			encode(&at, payload)?;
			let nonce = self.next_nonce(signer, pallet, call).await?;
			let params =
				DefaultExtrinsicParamsBuilder::<PolkadotConfig>::new().nonce(nonce).build();
			let outcome = match at.tx().sign_and_submit_then_watch(payload, signer, params).await {
				Ok(progress) => finalized(pallet, call, progress).await,
				Err(e) => Err(unreachable(pallet, call, e.into())),
			};
			match outcome {
				Err(failure) if attempt < NONCE_RACE_ATTEMPTS && lost_nonce_race(&failure) => {
					attempt += 1;
					tokio::time::sleep(NONCE_RACE_PAUSE).await;
				},
				outcome => return outcome,
			}
		}
	}

	/// The next nonce of `signer`'s account, counting its transactions in the node's pool.
	async fn next_nonce(
		&self,
		signer: &AccountKey,
		pallet: &str,
		call: &str,
	) -> Result<u64, Error> {
		self.rpc
			.system_account_next_index(&signer.public_key().to_account_id())
			.await
			.map_err(|e| Error::Unreachable(anyhow!("{pallet}.{call}: reading the nonce: {e}")))
	}

	/// Like [`Chain::submit`] for several generated calls of one type by one signer: all are
	/// submitted at once with consecutive nonces, and the last is followed until it is in a
	/// finalized block (which, nonces being consecutive, holds every earlier one too). Following
	/// one call instead of each keeps the client's pinned blocks few: with dozens of watchers,
	/// subxt lost blocks it was asked to read events from. The callers check the calls' effects.
	///
	/// A call the pool refuses on arrival because another signer of the account took its nonce
	/// is signed again with the next free nonce (the calls before it are in the pool, so the
	/// node's count includes them); none is ever submitted twice.
	pub async fn submit_all<Call: Payload>(
		&self,
		calls: &[Call],
		signer: &AccountKey,
	) -> Result<Included, Error> {
		let Some(last) = calls.last() else {
			return Err(Error::Refused("nothing to submit".into()));
		};
		let (pallet, call) = (last.pallet_name(), last.call_name());
		let at = self
			.api
			.at_current_block()
			.await
			.map_err(|e| unreachable(pallet, call, e.into()))?;
		for payload in calls {
			encode(&at, payload)?;
		}
		let mut nonce = self.next_nonce(signer, pallet, call).await?;
		let (last_index, mut attempt) = (calls.len() - 1, 1);
		let mut index = 0;
		while index <= last_index {
			let params =
				DefaultExtrinsicParamsBuilder::<PolkadotConfig>::new().nonce(nonce).build();
			let payload = &calls[index];
			let submitted = if index < last_index {
				at.tx().sign_and_submit(payload, signer, params).await.map(|_| None)
			} else {
				at.tx().sign_and_submit_then_watch(payload, signer, params).await.map(Some)
			}
			.map_err(|e| unreachable(pallet, call, e.into()));
			match submitted {
				Ok(Some(progress)) => return finalized(pallet, call, progress).await,
				Ok(None) => {
					index += 1;
					nonce += 1;
				},
				Err(failure) if attempt < NONCE_RACE_ATTEMPTS && lost_nonce_race(&failure) => {
					attempt += 1;
					tokio::time::sleep(NONCE_RACE_PAUSE).await;
					nonce = self.next_nonce(signer, pallet, call).await?;
				},
				Err(failure) => return Err(failure),
			}
		}
		unreachable!("the last call returns from the loop; qed")
	}

	/// A runtime call's name (`Pallet.call`, for messages) and its SCALE length (a council
	/// motion's length bound), encoded as the node's metadata describes the runtime's calls.
	pub async fn describe(&self, call: &custodia::Call) -> Result<(String, u32), Error> {
		let failed = |e: &dyn std::fmt::Display| {
			Error::Unreachable(anyhow!("encoding a governance call: {e}"))
		};
		let at = self.api.at_current_block().await.map_err(|e| failed(&e))?;
		let metadata = at.metadata_ref();
		let encoded = call
			.encode_as_type(metadata.outer_enums().call_enum_ty(), metadata.types())
			.map_err(|e| failed(&e))?;
		let pallet = encoded.first().and_then(|&i| metadata.pallet_by_call_index(i));
		let name = pallet
			.and_then(|p| {
				Some(format!("{}.{}", p.name(), p.call_variant_by_index(*encoded.get(1)?)?.name))
			})
			.ok_or_else(|| failed(&"a call this runtime does not know"))?;
		Ok((name, encoded.len() as u32))
	}

	/// Calls a generated runtime API (e.g.
	/// `custodia::runtime_apis().consortium_api().active_members(kind)`) at the latest finalized
	/// block, and decodes its answer as the generated type.
	pub async fn call_api<Call: ApiPayload>(&self, call: Call) -> Result<Call::ReturnType, Error> {
		let name = format!("{}.{}", call.trait_name(), call.method_name());
		let failed = |e: subxt::Error| Error::Unreachable(anyhow!("{name}: {e}"));
		let at = self.api.at_current_block().await.map_err(|e| failed(e.into()))?;
		at.runtime_apis().call(call).await.map_err(|e| failed(e.into()))
	}

	/// [`Chain::call_api`], the answer read generically (for `--json`, which shows it as the
	/// chain gives it).
	pub async fn call_api_value<Call: ApiPayload>(&self, call: Call) -> Result<Value, Error> {
		self.call_api(Answer::<Call, Value>(call, PhantomData)).await
	}

	/// Waits (at most `timeout`) for the first event in a finalized block for which `found`
	/// gives something (it decodes the events it wants with [`event_as`]), and returns that
	/// block's number with what `found` gave. `from` names who is expected to answer, for the
	/// timeout's message.
	pub async fn wait_for<T>(
		&self,
		from: &str,
		found: impl Fn(&SeenEvent<'_>) -> Result<Option<T>, Error>,
		timeout: Duration,
	) -> Result<(u64, T), Error> {
		let failed =
			|e: subxt::Error| Error::Unreachable(anyhow!("waiting for a {from} event: {e}"));
		let search = async {
			let mut blocks = self.api.stream_blocks().await.map_err(|e| failed(e.into()))?;
			while let Some(block) = blocks.next().await {
				let block = block.map_err(|e| failed(e.into()))?;
				let events = block
					.at()
					.await
					.map_err(|e| failed(e.into()))?
					.events()
					.fetch()
					.await
					.map_err(|e| failed(e.into()))?;
				for event in events.iter() {
					if let Some(answer) = found(&event.map_err(|e| failed(e.into()))?)? {
						return Ok((block.number(), answer));
					}
				}
			}
			Err(Error::Unreachable(anyhow!("the node stopped sending blocks")))
		};
		tokio::time::timeout(timeout, search).await.unwrap_or_else(|_| {
			Err(Error::Refused(format!(
				"no answer from {from} within {} s (raise --timeout)",
				timeout.as_secs()
			)))
		})
	}

	/// The value of a generated storage entry (e.g. `custodia::storage().vaults().records()`)
	/// under `keys` at the latest finalized block, or `None`.
	pub async fn fetch<A: Address>(
		&self,
		address: A,
		keys: A::KeyParts,
	) -> Result<Option<A::Value>, Error> {
		self.fetch_as::<A::Value, A>(address, keys).await
	}

	/// [`Chain::fetch`], the value decoded as `T` (a [`Value`] for `--json`, which shows a
	/// stored struct as the chain holds it).
	pub async fn fetch_as<T: DecodeAsType, A: Address>(
		&self,
		address: A,
		keys: A::KeyParts,
	) -> Result<Option<T>, Error> {
		let name = format!("{}.{}", address.pallet_name(), address.entry_name());
		let failed = |e: subxt::Error| Error::Unreachable(anyhow!("{name}: {e}"));
		let at = self.api.at_current_block().await.map_err(|e| failed(e.into()))?;
		match at.storage().try_fetch(address, keys).await.map_err(|e| failed(e.into()))? {
			Some(value) => Ok(Some(value.decode_as::<T>().map_err(|e| failed(e.into()))?)),
			None => Ok(None),
		}
	}

	/// Names a dispatch error given as a value (e.g. the result in `Sudo.Sudid`): `Pallet.Error:
	/// docs` for a module error, else the error as JSON. It stays generic: the error's pallet and
	/// variant are only known from the node's metadata at run time.
	pub async fn explain(&self, error: &Value) -> String {
		let json = crate::output::to_json(error);
		let module = json
			.get("Module")
			.and_then(|m| Some((m["index"].as_u64()? as u8, m["error"].get(0)?.as_u64()? as u8)));
		if let (Some((index, variant)), Ok(at)) = (module, self.api.at_current_block().await) {
			let metadata = at.metadata();
			if let Some(pallet) = metadata.pallet_by_error_index(index) {
				if let Some(v) = pallet.error_variant_by_index(variant) {
					return format!("{}.{}: {}", pallet.name(), v.name, v.docs.join(" "));
				}
			}
		}
		json.to_string()
	}

	/// The chain's genesis hash (reports are bound to it).
	pub fn genesis_hash(&self) -> [u8; 32] {
		self.api.genesis_hash().0
	}

	/// Whether the runtime offers the runtime API of generated call `call` (e.g. any
	/// `StatisticsApi` call): lets a command say "this chain does not do that" instead of failing
	/// on an older runtime.
	pub async fn has_runtime_api<Call: ApiPayload>(&self, call: &Call) -> Result<bool, Error> {
		let at = self
			.api
			.at_current_block()
			.await
			.map_err(|e| Error::Unreachable(anyhow!("reading the runtime's metadata: {e}")))?;
		Ok(at.metadata_ref().runtime_api_trait_by_name(call.trait_name()).is_some())
	}

	/// The number of the latest finalized block.
	pub async fn finalized_number(&self) -> Result<u64, Error> {
		let at = self
			.api
			.at_current_block()
			.await
			.map_err(|e| Error::Unreachable(anyhow!("{e}")))?;
		Ok(at.block_number())
	}
}

/// How many times [`Chain::submit`] signs a call that keeps losing its nonce to another signer.
const NONCE_RACE_ATTEMPTS: usize = 12;
/// The pause before signing again: the other signer's transaction is in the pool by then, so
/// the node's next nonce counts it.
const NONCE_RACE_PAUSE: Duration = Duration::from_secs(2);

/// Whether the pool refused a call because another transaction of the same account took its
/// nonce: outdated or of too low a priority on arrival, or usurped in the pool (subxt reports
/// that as invalid). Either way it was never dispatched and may be signed again.
fn lost_nonce_race(failure: &Error) -> bool {
	let text = match failure {
		Error::Refused(text) | Error::Usage(text) | Error::Key(text) => text.clone(),
		Error::Unreachable(e) => e.to_string(),
	};
	let text = text.to_lowercase();
	text.contains("transaction is outdated")
		|| text.contains("usurped")
		|| (text.contains("priority") && text.contains("too low"))
}

fn unreachable(pallet: &str, call: &str, e: subxt::Error) -> Error {
	Error::Unreachable(anyhow!("{pallet}.{call}: {e}"))
}

/// The call data of `payload` as the node's runtime reads it: refused when a generated call does
/// not match the node's metadata (a client built for another runtime).
fn encode<Call: Payload>(at: &AtBlock, payload: &Call) -> Result<Vec<u8>, Error> {
	at.tx().call_data(payload).map_err(|e| {
		Error::Refused(format!(
			"{}.{}: the call does not fit this chain's runtime: {e}",
			payload.pallet_name(),
			payload.call_name()
		))
	})
}

/// Follows a submitted call until it is in a finalized block; a dispatch error becomes
/// [`Error::Refused`] naming the pallet error and its documentation.
async fn finalized(
	pallet: &str,
	call: &str,
	mut progress: TransactionProgress<PolkadotConfig, OnlineClientAtBlockImpl<PolkadotConfig>>,
) -> Result<Included, Error> {
	let unreachable = |e: subxt::Error| unreachable(pallet, call, e);
	loop {
		match progress.next().await {
			Some(Ok(TransactionStatus::InFinalizedBlock(block))) => {
				let number = block.at().await.map_err(|e| unreachable(e.into()))?.block_number();
				return match block.wait_for_success().await {
					Ok(events) => Ok(Included { block: number, events }),
					Err(TransactionEventsError::ExtrinsicFailed(DispatchError::Module(error))) => {
						Err(Error::Refused(match error.details() {
							Ok(d) => format!(
								"{}.{}: {}",
								d.pallet.name(),
								d.variant.name,
								d.variant.docs.join(" ")
							),
							Err(_) => format!("{pallet}.{call} failed: {error}"),
						}))
					},
					Err(TransactionEventsError::ExtrinsicFailed(other)) => {
						Err(Error::Refused(format!("{pallet}.{call} failed: {other}")))
					},
					Err(e) => Err(unreachable(e.into())),
				};
			},
			Some(Ok(
				TransactionStatus::Invalid { message }
				| TransactionStatus::Dropped { message }
				| TransactionStatus::Error { message },
			)) => return Err(Error::Refused(format!("{pallet}.{call} was not accepted: {message}"))),
			Some(Ok(_)) => continue,
			Some(Err(e)) => return Err(unreachable(e.into())),
			None => {
				return Err(Error::Unreachable(anyhow!(
					"{pallet}.{call}: the node stopped reporting its status"
				)))
			},
		}
	}
}

/// Refuses `ws://` to a host other than this machine unless `insecure`; `wss://` and loopback
/// `ws://` pass, and any other scheme is left to subxt to refuse.
pub fn check_transport(url: &str, insecure: bool) -> Result<(), Error> {
	if insecure || !is_ws(url) || is_loopback(url) {
		return Ok(());
	}
	Err(Error::Usage(format!(
		"{url} is an unencrypted connection to another machine: anyone on the network path could read and change what \
		 the node answers (e.g. the key a vault is sealed to). Use wss:// (TLS), or an SSH tunnel to a loopback ws:// URL; \
		 --insecure connects anyway"
	)))
}

/// Whether `url` is unencrypted WebSocket (`ws://`, in any case).
fn is_ws(url: &str) -> bool {
	url.get(..5).is_some_and(|scheme| scheme.eq_ignore_ascii_case("ws://"))
}

/// Whether a `ws://` URL's host is this machine: `localhost` or a loopback address
/// (127.0.0.0/8, ::1).
fn is_loopback(url: &str) -> bool {
	let authority = url[5.min(url.len())..].split(['/', '?', '#']).next().unwrap_or_default();
	// Userinfo (`user@host`) is not the host.
	let host_port = authority.rsplit('@').next().unwrap_or_default();
	let host = match host_port.strip_prefix('[') {
		Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
		None => host_port.split(':').next().unwrap_or_default(),
	};
	host.eq_ignore_ascii_case("localhost")
		|| host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// An account from its SS58 address (or its 32 bytes in hex, as `--json` output shows
/// accounts).
pub fn account_id(address: &str) -> anyhow::Result<AccountId32> {
	use std::str::FromStr;
	if let Some(hex) = address.strip_prefix("0x") {
		let bytes: [u8; 32] = hex::decode(hex)
			.ok()
			.and_then(|b| b.try_into().ok())
			.ok_or_else(|| anyhow!("`{address}` is not 32 bytes of hex"))?;
		return Ok(AccountId32(bytes));
	}
	AccountId32::from_str(address)
		.map_err(|e| anyhow!("`{address}` is not an SS58 account address: {e}"))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn unencrypted_connections_to_other_hosts_need_insecure() {
		for url in [
			"ws://127.0.0.1:9944",
			"ws://127.8.0.1",
			"ws://localhost:9944/",
			"ws://LOCALHOST",
			"ws://[::1]:9944",
			"wss://node.example:443",
			"wss://10.0.0.5",
		] {
			assert!(check_transport(url, false).is_ok(), "{url}");
		}
		for url in [
			"ws://10.0.0.5:9944",
			"ws://node.example",
			"WS://node.example:9944",
			"ws://127.0.0.1.evil.example:9944",
			"ws://localhost.evil.example",
			"ws://127.0.0.1@evil.example:9944",
			"ws://[::2]:9944",
			"ws://[::ffff:7f00:1]",
		] {
			assert!(
				matches!(check_transport(url, false), Err(Error::Usage(m)) if m.contains("--insecure")),
				"{url}"
			);
			assert!(check_transport(url, true).is_ok(), "{url}");
		}
	}

	#[test]
	fn only_a_lost_nonce_race_is_signed_again() {
		let refused = |m: &str| Error::Refused(format!("Council.vote was not accepted: {m}"));
		assert!(lost_nonce_race(&refused("Invalid transaction: Transaction is outdated")));
		assert!(lost_nonce_race(&refused(
			"The priority of the transaction is too low (pool 3420 > current 3420)"
		)));
		assert!(!lost_nonce_race(&refused("Invalid transaction: Inability to pay some fees")));
		assert!(!lost_nonce_race(&Error::Refused("Statistics.BudgetExhausted: ...".into())));
	}
}
