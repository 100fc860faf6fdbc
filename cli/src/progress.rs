//! Progress on long work (waiting for finality, for evaluators, for a wearable's next window):
//! a spinner on stderr when it is a terminal and the output is for people; nothing otherwise, so
//! `--json` output and logs stay clean.

use std::{io::IsTerminal, time::Duration};

use indicatif::{ProgressBar, ProgressStyle};

/// A spinner showing `message`, or a hidden one with `--json` or when stderr is not a terminal.
pub fn spinner(json: bool, message: impl Into<String>) -> ProgressBar {
	if json || !std::io::stderr().is_terminal() {
		return ProgressBar::hidden();
	}
	let bar = ProgressBar::new_spinner().with_message(message.into());
	bar.set_style(
		ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
	);
	bar.enable_steady_tick(Duration::from_millis(120));
	bar
}
