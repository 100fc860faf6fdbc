//! The Custodia runtime as the client sees it: its calls, events, storage entries, runtime APIs
//! and types, generated at compile time by subxt from `cli/metadata/custodia.scale` (the
//! runtime's V16 metadata, committed in the repository).
//!
//! A pallet, call, event or field that the client names here is checked by the compiler, and an
//! enum the client mirrors (the data categories, the purposes of use; see [`crate::codes`])
//! cannot drift from the runtime's: a variant added or removed breaks the build.
//!
//! The file is written by `scripts/export-metadata.sh`; `cargo test --locked --workspace
//! client_metadata` (runtime/tests/client_metadata.rs) fails while it differs from what the
//! runtime describes now. At run time subxt also compares each typed call with the node's
//! metadata, so a client built for another runtime is refused before anything is signed.

#[subxt::subxt(runtime_metadata_path = "metadata/custodia.scale")]
pub mod custodia {}

pub use custodia::runtime_types::custodia_primitives::consent::{DataCategory, PurposeOfUse};
