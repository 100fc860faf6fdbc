//! # custodia-statistics
//!
//! Private cohort statistics for Custodia on **Prio3**, the verifiable distributed aggregation
//! function of the IETF CFRG (draft-irtf-cfrg-vdaf, crate [`prio`] 0.18.1 by ISRG / Divvi Up).
//! It knows nothing of the chain, IPFS or the node: it turns a record's statistic fields into a
//! report, verifies reports, sums a cohort, adds differential-privacy noise and adds shares up,
//! with versioned, size-limited bytes at every boundary ([`wire`]).
//!
//! ## Threat model it serves (issue 12)
//! Institutions, evaluators and key holders are not trusted with each other's patients. So:
//! - **Privacy while one aggregator is honest.** A report is split into additive shares, one
//!   per aggregator of the epoch, each HPKE-sealed to its aggregator; a coalition missing any
//!   one aggregator sees uniformly random field elements. Nobody decrypts anything: there is no
//!   key whose holders could be asked for a crafted decryption (the CPA^D weakness of threshold
//!   FHE), and no joint key a last holder could cancel.
//! - **Robustness while every aggregator is honest.** Each report carries a fully linear proof
//!   that its values are in their schema ranges and that each histogram is one-hot; aggregators
//!   check it jointly without learning the values, under a verification key agreed among them
//!   and unknown to clients ([`verify_key`]).
//! - **Reports are bound** to chain (genesis hash), epoch, schema, owner account and record
//!   ([`binding`]): a byte copy registered by another account does not open, a replayed report
//!   id is refused ([`aggregator::ReplayGuard`]), a share sealed to another aggregator does not
//!   open.
//! - **Differential privacy** ([`noise`]): every aggregator adds its own discrete Laplace noise
//!   (from `prio::dp`) to its aggregate share, so each published value is ε-DP while one
//!   aggregator is honest; asking around one person's join gains at most ε per statistic.
//! - **Leaks anyway**: which records have reports, the cohort (it is on chain), the number of
//!   valid reports summed, which reports were rejected and why, and the schema's ranges.
//!
//! ## Who calls what
//! | party | calls |
//! |---|---|
//! | governance / pallet | [`schema::Schema`] (registered per category; id = hash of its bytes), [`schema::Statistic`] |
//! | client (person's app, `custodia` CLI) | [`schema::Schema::layout`], [`report::Report::generate`] → upload the report, register its id |
//! | aggregator (node worker), per epoch | [`envelope::KeyPair`], [`verify_key::Contribution::generate`], [`verify_key::derive_verify_key`] |
//! | aggregator, per epoch (restart) | [`envelope::KeyPair::secret_bytes`] / [`envelope::KeyPair::from_secret_bytes`] (its key on disk), [`verify_key::derive_verify_key`] again |
//! | aggregator, per batch of reports | [`aggregator::ReplayGuard`], [`aggregator::Aggregator::verify_init`] → publish an [`aggregator::VerifierBatch`] → [`aggregator::VerifierBatch::decode_for`] every aggregator's → [`aggregator::VerifierBatch::verdict`] → [`aggregator::Aggregator::finish`] → [`store::OutputShareStore::append`] |
//! | aggregator, per statistic | [`store::OutputShareStore::aggregate`] (ids the chain lists) → [`noise::AggregateShare::new`], [`noise::noise_scales`], [`store::cohort_hash`] → submit |
//! | anyone (chain observer, portal) | [`unshard::unshard`] → [`unshard::Published`] |
//!
//! ## Mapping statistics onto Prio3
//! [`schema`] explains the choice: one report per record and epoch, made of a presence part
//! (`Prio3Histogram` with one bucket: exactly 1 per valid report, the count), one `Prio3SumVec`
//! per distinct field range (all fields at once), and one `Prio3Histogram` per field with
//! buckets. Count, sum, mean and histogram of one or several fields are all read from the same
//! stored output shares.
//!
//! ## Measured (2-core machine; `docs/benchmarks.md` has the command and the full table)
//! See `statistics/README.md`.

#![warn(missing_docs)]

pub mod aggregator;
pub mod binding;
pub mod envelope;
pub mod error;
pub mod noise;
pub mod report;
pub mod schema;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod unshard;
pub mod vdaf;
pub mod verify_key;
pub mod wire;

#[cfg(test)]
mod tests;

pub use error::{Error, Rejection};
/// The exact `prio` the engine runs (pinned), for callers that must agree with its field
/// arithmetic, e.g. a chain that adds `Field128` shares without linking Prio3.
pub use prio;

/// Most aggregators an epoch may have (Prio3 allows 254; an epoch names its evaluators).
pub const MAX_AGGREGATORS: usize = 32;
