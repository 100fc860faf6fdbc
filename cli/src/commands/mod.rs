//! The client's commands, one module per command (or group of subcommands).
//!
//! Each module holds its clap options (a `Subcommand` enum or an `Args` struct) and a
//! `run(cli, opts, out)` that does the work: `cli` is the context (global options, the key
//! store, [`Cli::identity`](crate::Cli::identity)), `out` the [`Output`](crate::output::Output)
//! it writes its data and status to, so that tests can capture both. Failures are
//! [`Error`](crate::Error)s, whose kind alone decides the exit code.
//!
//! To add a command: a module here with its options and `run`, its variant in `Command`
//! (main.rs) and one dispatch line in `Cli::run`.

pub mod completions;
pub mod consent;
pub mod govern;
pub mod keys;
pub mod model;
pub mod predict;
pub mod program;
pub mod record;
pub mod report;
pub mod statistic;
pub mod status;
pub mod steward;
pub mod transfer;
pub mod vault;
pub mod wearable;
