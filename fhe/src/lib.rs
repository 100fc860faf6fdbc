//! # custodia-fhe
//!
//! The fully homomorphic encryption engine of Custodia, built on
//! [tfhe-rs](https://docs.zama.org/tfhe-rs). It knows nothing of the chain or of IPFS: it turns
//! numbers into ciphertexts, computes on ciphertexts, and turns ciphertexts into versioned bytes.
//!
//! ## Audience
//! - **Individuals' clients** (`custodia` CLI, wearable simulator): [`personal`] keys, feature
//!   encryption and decryption of their diagnosis.
//! - **Evaluators** (the node-side worker): [`model`] evaluation of a registered linear model on
//!   encrypted features.
//! - **Everyone handling bytes**: [`wire`], the versioned, size-limited, parameter-checked format.
//!
//! Model authors and auditors train, quantise and check a model with the `custodia-fhe` tool of
//! the separate `custodia-fhe-tools` crate (`fhe/tools`), built on this crate's public API: the
//! engine that validators link carries no CSV or command-line parser.
//!
//! ## Personal disease prediction (PMHE without round trips)
//! An individual encrypts fixed-point features under their own LWE secret key
//! ([`personal::PersonalSecretKey`]); the mask of every feature comes from one public seed, so a
//! 20-feature record is a seed plus 20 × 8 bytes. An evaluator computes the score
//! `Σ wᵢ·xᵢ + b` of a public [`model::LinearModel`] with additions and plaintext
//! multiplications only — no bootstrapping, no key material, byte-identical on every machine.
//! The individual decrypts the score and applies the sigmoid and the threshold locally.
//!
//! ## Generic programs
//! [`program::Program`]: PMHE's contract API (add, mult) plus scalar operations, comparison and
//! select, as a serialisable op list evaluated with tfhe's high-level integer API under an
//! individual's keys; byte-identical across evaluators.
//!
//! ## Parameters
//! [`params`] names each parameter set, its security argument and its noise budget; every bound
//! that decryption relies on is checked when a model or a record is accepted, and every size
//! limit on encoded objects ([`params::MAX_RECORD_BYTES`], …) is derived from the sets there.
//!
//! ## Errors
//! Every failure is a variant of [`Error`] carrying the offending index, value and limit (typed:
//! [`params::FeatureIndex`], [`params::FeatureCount`], [`program::ValueId`]), never a free-form
//! string, except tfhe's own (de)serialization messages.
//!
//! Cohort statistics are not computed here: they use Prio3 (the `custodia-statistics` crate).

pub mod error;
pub mod model;
pub mod params;
pub mod personal;
pub mod program;
pub mod wire;

pub use error::Error;
