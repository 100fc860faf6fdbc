//! The command line of `custodia-node`.

/// Command line of `custodia-node`. Without a subcommand it runs the node.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// The node-side worker's roles (data steward, evaluator, statistics aggregator) and its IPFS
	/// daemon.
	#[clap(flatten)]
	pub worker: custodia_worker::WorkerParams,
}

/// Operator tools besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect, and `insert` validator keys into the keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Export a chain specification (`--chain dev|local|<file>`) as JSON, plain or `--raw`.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Delete the whole chain database of the selected chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain by a number of (unfinalized) blocks.
	Revert(sc_cli::RevertCmd),
}
