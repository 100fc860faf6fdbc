//! Runs what the command line asks for.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use clap::{parser::ValueSource, CommandFactory};
use custodia_runtime::opaque::Block;
use sc_cli::{NetworkBackendType, OffchainWorkerEnabled, SubstrateCli};
use sc_service::PartialComponents;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"Custodia Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://github.com/custodia/custodia/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" => Box::new(chain_spec::development()?),
			"" | "local" => Box::new(chain_spec::local_testnet()?),
			path => {
				Box::new(chain_spec::ChainSpec::from_json_file(std::path::PathBuf::from(path))?)
			},
		})
	}
}

/// Whether the argument with clap id `id` was given on the command line (rather than left at
/// its default).
fn given_on_command_line(id: &str) -> bool {
	Cli::command()
		.try_get_matches_from(std::env::args_os())
		.map(|matches| matches.value_source(id) == Some(ValueSource::CommandLine))
		.unwrap_or(false)
}

/// Parses the command line and runs the chosen subcommand, or the node.
pub fn run() -> sc_cli::Result<()> {
	let mut cli = Cli::from_args();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		},
		None => {
			// sc-cli defaults to litep2p; Custodia runs sc-network's libp2p backend unless the
			// operator picks another with `--network-backend`.
			if !given_on_command_line("network_backend") {
				cli.run.network_params.network_backend = NetworkBackendType::Libp2p;
			}
			// sc-cli runs the runtime's offchain workers only on validators. Custodia runs them on
			// every node: pallet-node-authorization's worker is what makes a node accept only the
			// peers the council named, and an RPC or steward node must refuse strangers as a
			// validator does. `--offchain-worker never` opts out (a node that then accepts any
			// peer; docs/operations.md, "Permissioned peers").
			if !given_on_command_line("enabled") {
				cli.run.offchain_worker_params.enabled = OffchainWorkerEnabled::Always;
			}
			let runner = cli.create_runner(&cli.run)?;
			let worker = cli.worker.clone();
			runner.run_node_until_exit(|config| async move {
				match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							Block,
							<Block as sp_runtime::traits::Block>::Hash,
						>,
					>(config, worker),
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config, worker)
					},
				}
				.map_err(sc_cli::Error::Service)
			})
		},
	}
}
