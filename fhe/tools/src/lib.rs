//! # custodia-fhe-tools
//!
//! Tooling around the [`custodia_fhe`] engine for the people around a model rather than for the
//! validators that evaluate it: the [`pipeline`] that trains, quantises and checks a registered
//! model's accuracy on a CSV data set, and the `custodia-fhe` command (accuracy, benchmarks, the
//! individual's key/encrypt/decrypt for developers).
//!
//! It is a separate crate so that the engine validators link (`custodia-fhe`, through the
//! off-chain worker) carries no CSV parser or command-line parser: everything here is built on
//! the engine's public API only.

pub mod pipeline;
