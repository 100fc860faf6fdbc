//! Shell completions for `custodia`, generated from its command line.

use clap::{Args, CommandFactory};

use crate::{output::Output, Cli, Error};

#[derive(Args)]
pub struct CompletionsArgs {
	/// The shell.
	shell: clap_complete::Shell,
}

/// Writes the completion script for the shell named on the command line to the output.
pub fn run(args: &CompletionsArgs, out: &mut Output) -> Result<(), Error> {
	let mut script = Vec::new();
	clap_complete::generate(args.shell, &mut Cli::command(), "custodia", &mut script);
	out.emit_bytes(&script);
	Ok(())
}
