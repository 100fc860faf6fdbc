//! # custodia-node
//!
//! The node a Custodia consortium validator runs: it imports and produces blocks of the
//! Custodia chain (Aura block production, GRANDPA finality), stores them in ParityDB, talks
//! to its peers over libp2p and serves JSON-RPC to polkadot.js Apps, subxt and the `custodia`
//! client.
//!
//! Modules:
//! - `cli`: the command line (`custodia-node --help`);
//! - `command`: runs the subcommand or the node;
//! - `chain_spec`: the built-in `dev` and `local` chains;
//! - `service`: wires client, network, consensus and RPC together;
//! - `rpc`: the node-specific JSON-RPC methods.

// sc-cli's and sc-service's errors are large, and every command and service constructor returns
// them (as polkadot-sdk's nodes do); they travel once per process, so boxing them buys nothing.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
