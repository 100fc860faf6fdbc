// This file is part of Custodia.
// SPDX-License-Identifier: Apache-2.0

//! The worker under the node's panic hook. `custodia-node` (through `sc-cli`) installs
//! `sp_panic_handler`, which ends the whole process on a panic in any thread that has not opted
//! out. This test installs it the same way, so a panic that escapes the worker's blocking pool
//! ends this test binary with exit code 1 instead of passing. (A binary of its own: the hook is
//! global, and any failing assertion here also ends the binary with exit code 1.) The hook prints
//! a backtrace for every panic, caught or not: the two this test injects say so in their message.

use custodia_worker::shared::on_blocking_pool;

/// The attack (docs/threat-model.md, F27): any account can put bytes in front of every evaluator
/// (a program, its inputs, an evaluation key) and every aggregator (a report). If those bytes
/// make tfhe or prio panic, that must fail one job or one report, not stop every evaluator and
/// aggregator of the network at once.
/// The message of the panics this test injects: the hook prints it, with a backtrace, to stderr.
const INJECTED: &str = "a panic this test injects on purpose (tfhe: mismatched dimensions)";

#[tokio::test]
async fn a_panic_on_the_blocking_pool_is_an_error_and_the_node_lives_on() {
	sp_panic_handler::set("https://example.invalid/custodia/issues", "test");
	let panicked = on_blocking_pool(|| -> u8 { panic!("{INJECTED}") }).await;
	assert!(panicked.unwrap_err().is_panic());

	// The evaluator's own catch, inside the pool, now runs too: the job fails, with a reason.
	let caught =
		on_blocking_pool(|| std::panic::catch_unwind(|| -> u8 { panic!("{INJECTED}") }).is_err())
			.await;
	assert!(caught.unwrap());

	// The pool and this process go on.
	assert_eq!(on_blocking_pool(|| 7).await.unwrap(), 7);
}
