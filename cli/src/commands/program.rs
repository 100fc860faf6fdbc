//! A person's generic program over their own encrypted values (PMHE's add/mult contract API), the
//! person's side: check the program, encrypt the inputs under the person's program key, put both
//! in IPFS, ask for the program job, wait for the evaluators' agreed result, fetch, check and
//! decrypt it. Only this identity can decrypt the outputs.
//!
//! The program key is a tfhe client key, kept next to the identity's key file
//! (`<keys dir>/<name>.program-key`, mode 0600), sealed with XChaCha20-Poly1305 under a key derived
//! from the identity's secrets, so it opens with the identity's passphrase and nothing else. On
//! first use the command makes it and registers its evaluation key (the compressed server key,
//! over 48 MiB, pinned on the client's IPFS daemon) with `Fhe::register_evaluation_key`; the
//! file keeps the registered key's hash, and a later run registers a new evaluation key only if
//! the chain holds none or another one (e.g. after `remove_evaluation_key`).

use std::{path::PathBuf, time::Duration};

use anyhow::{anyhow, bail, Context};
use blake2::{
	digest::{consts::U32, Mac},
	Blake2bMac,
};
use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use clap::{Args, Subcommand};
use custodia_fhe::program::{self, ClientKey, CompressedServerKey, Program};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::json;
use subxt::utils::H256;
use zeroize::Zeroizing;

use crate::output::Output;
use crate::{
	chain::Chain,
	fhe_jobs::{await_result, given_or_read, Job},
	ipfs::{content_hash, IpfsArgs},
	keystore::Identity,
	runtime::custodia::{
		self,
		fhe::events::ProgramRequested,
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec, custodia_primitives::fhe::IpfsRef,
		},
	},
	Cli, Error,
};

#[derive(Subcommand)]
pub enum ProgramCommand {
	/// Run a program over values you encrypt under your own key; print the decrypted outputs.
	///
	/// Example: custodia program run --as me --program sum-times.json --inputs-file values.txt
	Run(RunArgs),
}

#[derive(Args)]
pub struct RunArgs {
	/// The identity whose program key encrypts the inputs and decrypts the outputs.
	#[arg(long = "as", value_name = "NAME")]
	name: String,
	/// The program, as JSON: `{"inputs": N, "ops": [{"op": "add", "a": 0, "b": 1}, …],
	/// "outputs": [ids]}` (see `custodia_fhe::program`).
	#[arg(long, value_name = "FILE.json")]
	program: PathBuf,
	/// The input values (16-bit signed integers), comma-separated.
	#[arg(
		long,
		value_delimiter = ',',
		allow_hyphen_values = true,
		required_unless_present = "inputs_file",
		conflicts_with = "inputs_file"
	)]
	inputs: Vec<i16>,
	/// Read the input values from FILE (`-`: stdin), separated by commas, spaces or lines: values
	/// on a command line are visible to other local users.
	#[arg(long, value_name = "FILE")]
	inputs_file: Option<PathBuf>,
	#[command(flatten)]
	ipfs: IpfsArgs,
	/// How long to wait for the result, in seconds.
	#[arg(long, default_value_t = 300)]
	timeout: u64,
}

pub async fn run(cli: &Cli, command: &ProgramCommand, out: &mut Output) -> Result<(), Error> {
	match command {
		ProgramCommand::Run(args) => run_program(cli, args, out).await,
	}
}

/// An input value: a 16-bit signed integer.
fn parse_input(item: &str) -> anyhow::Result<i16> {
	item.parse::<i16>()
		.map_err(|_| anyhow!("`{item}` is not an integer between -32768 and 32767"))
}

/// The program key file as stored.
#[derive(Serialize, Deserialize)]
struct ProgramKeyFile {
	version: u8,
	/// The account the key belongs to (also bound into the seal).
	account: String,
	/// XChaCha20-Poly1305 nonce, hex.
	nonce: String,
	/// The sealed client key, hex.
	sealed: String,
	/// The hash of the evaluation key last registered for it, hex.
	evaluation_key_hash: Option<String>,
}

const PROGRAM_KEY_VERSION: u8 = 1;
/// Domain separation of the sealing key derived from the identity's envelope secret.
const SEALING_CONTEXT: &[u8] = b"custodia/program-key/v1";

fn key_path(cli: &Cli, name: &str) -> PathBuf {
	cli.keystore().dir().join(format!("{name}.program-key"))
}

/// The sealing key: keyed BLAKE2b-256 of the identity's envelope secret.
fn sealing_key(me: &Identity) -> Zeroizing<[u8; 32]> {
	let mut mac = <Blake2bMac<U32> as KeyInit>::new_from_slice(SEALING_CONTEXT)
		.expect("a short key is valid");
	mac.update(&me.x25519_secret.to_bytes());
	Zeroizing::new(mac.finalize().into_bytes().into())
}

fn seal(me: &Identity, key: &ClientKey) -> anyhow::Result<ProgramKeyFile> {
	let plain = Zeroizing::new(program::client_key_to_bytes(key)?);
	let mut nonce = [0u8; 24];
	OsRng.fill_bytes(&mut nonce);
	let account = me.account();
	let sealed = XChaCha20Poly1305::new((&*sealing_key(me)).into())
		.encrypt(XNonce::from_slice(&nonce), Payload { msg: &plain, aad: account.as_bytes() })
		.map_err(|_| anyhow!("cannot seal the program key"))?;
	Ok(ProgramKeyFile {
		version: PROGRAM_KEY_VERSION,
		account,
		nonce: hex::encode(nonce),
		sealed: hex::encode(sealed),
		evaluation_key_hash: None,
	})
}

fn open(me: &Identity, file: &ProgramKeyFile) -> anyhow::Result<ClientKey> {
	if file.version != PROGRAM_KEY_VERSION || file.account != me.account() {
		bail!("the program key file is not one of `{}` (version {})", me.name, file.version);
	}
	let nonce = hex::decode(&file.nonce).context("nonce is not hex")?;
	if nonce.len() != 24 {
		bail!("the program key file's nonce is not 24 bytes");
	}
	let sealed = hex::decode(&file.sealed).context("the sealed key is not hex")?;
	let plain = Zeroizing::new(
		XChaCha20Poly1305::new((&*sealing_key(me)).into())
			.decrypt(
				XNonce::from_slice(&nonce),
				Payload { msg: &sealed, aad: file.account.as_bytes() },
			)
			.map_err(|_| anyhow!("the program key file does not open (altered?)"))?,
	);
	Ok(program::client_key_from_bytes(&plain)?)
}

/// The identity's program key file: read, or made on first use.
fn program_key(cli: &Cli, me: &Identity) -> Result<(ClientKey, ProgramKeyFile), Error> {
	let path = key_path(cli, &me.name);
	let io = |e: &dyn std::fmt::Display| Error::Key(format!("{}: {e}", path.display()));
	if path.exists() {
		let file: ProgramKeyFile =
			serde_json::from_slice(&std::fs::read(&path).map_err(|e| io(&e))?)
				.map_err(|e| io(&e))?;
		let key = open(me, &file).map_err(|e| io(&format!("{e:#}")))?;
		return Ok((key, file));
	}
	let client_key = program::generate_keys().0;
	let file = seal(me, &client_key)?;
	write_private(&path, &file).map_err(|e| io(&e))?;
	Ok((client_key, file))
}

/// Writes the key file (mode 0600) through a temporary file, so that it is never half written.
fn write_private(path: &std::path::Path, file: &ProgramKeyFile) -> std::io::Result<()> {
	use std::io::Write;
	let bytes = serde_json::to_vec(file).map_err(std::io::Error::other)?;
	let temporary = path.with_extension("program-key.new");
	let mut options = std::fs::OpenOptions::new();
	options.write(true).create(true).truncate(true);
	#[cfg(unix)]
	std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
	options.open(&temporary)?.write_all(&bytes)?;
	std::fs::rename(&temporary, path)
}

/// An object in IPFS as a call names it.
fn ipfs_ref(cid: &str, hash: [u8; 32]) -> IpfsRef<BoundedVec<u8>> {
	IpfsRef { cid: BoundedVec(cid.as_bytes().to_vec()), hash: H256(hash) }
}

/// Makes sure the chain holds an evaluation key of this identity's program key: unless it holds
/// the one the key file names, registers a new one (and names it in the key file).
async fn ensure_evaluation_key(
	cli: &Cli,
	chain: &Chain,
	ipfs: &crate::ipfs::Ipfs,
	me: &Identity,
	client_key: &ClientKey,
	file: &mut ProgramKeyFile,
) -> Result<(), Error> {
	let account = me.keypair.public_key().to_account_id();
	let registered = chain
		.call_api(custodia::runtime_apis().fhe_api().evaluation_key(account))
		.await?;
	let registered_hash = registered.map(|k| hex::encode(k.key.hash.0));
	if registered_hash.is_some() && registered_hash == file.evaluation_key_hash {
		return Ok(());
	}
	let server_key: CompressedServerKey = program::evaluation_key_for(client_key);
	let bytes = program::evaluation_key_to_bytes(&server_key)
		.map_err(|e| Error::Refused(format!("cannot encode the evaluation key: {e}")))?;
	if !cli.json() {
		eprintln!(
			"registering `{}`'s evaluation key for programs ({:.1} MiB)…",
			me.name,
			bytes.len() as f64 / (1 << 20) as f64
		);
	}
	let hash = content_hash(&bytes);
	let cid = ipfs.add(bytes, true).await?;
	let call = custodia::transactions()
		.fhe()
		.register_evaluation_key(BoundedVec(cid.as_bytes().to_vec()), H256(hash));
	chain.submit(&call, &me.keypair).await?;
	file.evaluation_key_hash = Some(hex::encode(hash));
	let path = key_path(cli, &me.name);
	write_private(&path, file).map_err(|e| Error::Key(format!("{}: {e}", path.display())))
}

async fn run_program(cli: &Cli, args: &RunArgs, out: &mut Output) -> Result<(), Error> {
	let source = std::fs::read(&args.program)
		.map_err(|e| Error::Usage(format!("{}: {e}", args.program.display())))?;
	let program = Program::from_json(&source)
		.map_err(|e| Error::Usage(format!("{}: {e}", args.program.display())))?;
	let values = given_or_read(&args.inputs, args.inputs_file.as_deref(), parse_input)?;
	if values.len() != usize::from(program.inputs) {
		return Err(Error::Usage(format!(
			"the program takes {} inputs, {} given",
			program.inputs,
			values.len()
		)));
	}
	let me = cli.identity(&args.name)?;
	let chain = Chain::connect(cli.url(), cli.insecure()).await?;
	let ipfs = args.ipfs.client()?;
	let (client_key, mut key_file) = program_key(cli, &me)?;
	ensure_evaluation_key(cli, &chain, &ipfs, &me, &client_key, &mut key_file).await?;

	let input = program::encrypt_inputs(&values, &client_key)
		.map_err(|e| Error::Usage(format!("cannot encrypt these inputs: {e}")))?;
	let (input_hash, program_hash) = (content_hash(&input), content_hash(&source));
	let input_cid = ipfs.add(input, true).await?;
	let program_cid = ipfs.add(source, true).await?;
	let call = custodia::transactions()
		.fhe()
		.request_program(ipfs_ref(&program_cid, program_hash), ipfs_ref(&input_cid, input_hash));
	let included = chain.submit(&call, &me.keypair).await?;
	let job = included.find::<ProgramRequested>()?.job;
	if !cli.json() {
		out.status(format!(
			"program job {job} requested in block {}; waiting for the evaluators…",
			included.block
		));
	}

	let ready = await_result(&chain, Job::Program(job), Duration::from_secs(args.timeout)).await?;
	let (block, result_cid) = (ready.block, ready.cid.clone());
	let result = ready.fetch(&ipfs, program::MAX_OUTPUT_LIST_BYTES).await?;
	let outputs = program::decrypt_outputs(&result, &client_key).map_err(|e| {
		Error::Refused(format!("the result does not decrypt with `{}`'s program key: {e}", me.name))
	})?;

	let data = json!({
		"job": job, "requested_in": included.block, "final_in": block,
		"outputs": outputs, "result_cid": result_cid,
	});
	out.emit(data, || {
		vec![
			format!(
				"job {job}: requested in block {}, result final in block {block}",
				included.block
			),
			format!(
				"outputs: {}",
				outputs.iter().map(i16::to_string).collect::<Vec<_>>().join(", ")
			),
		]
	});
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn inputs_are_16_bit_integers_separated_by_commas_or_whitespace() {
		let parse_inputs = |text| crate::fhe_jobs::parse_list(text, parse_input);
		assert_eq!(parse_inputs("2, 3\n-7\t").unwrap(), vec![2, 3, -7]);
		assert!(parse_inputs("2,40000").unwrap_err().to_string().contains("`40000`"));
		assert!(parse_inputs("1.5").is_err());
	}
}
