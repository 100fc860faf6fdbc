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
//! - **Model authors and auditors**: [`pipeline`], the train → quantise → encrypt → evaluate →
//!   decrypt accuracy check behind a registered model.
//! - **Everyone handling bytes**: [`wire`], the versioned, size-limited, parameter-checked format.
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
//! that decryption relies on is checked when a model or a record is accepted.
//!
//! Cohort statistics are not computed here: they use Prio3 (the `custodia-statistics` crate).

pub mod error;
pub mod model;
pub mod params;
pub mod personal;
pub mod pipeline;
pub mod program;
pub mod wire;

pub use error::Error;
