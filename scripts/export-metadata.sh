#!/usr/bin/env bash
# Writes cli/metadata/custodia.scale, the runtime metadata (V16, SCALE) from which the custodia
# client generates its typed calls, events and storage (subxt's static code generation), from
# the runtime as it is now. Run it after changing the runtime's calls, events, storage or types,
# then rebuild the client. `cargo test --locked --workspace client_metadata` fails while the
# committed file is stale (runtime/tests/client_metadata.rs: the same test writes the file here).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

say "Exporting the runtime's metadata for the client (cargo test client_metadata, writing)"
(cd "$REPO_ROOT" && CUSTODIA_EXPORT_METADATA=1 cargo test --locked --workspace client_metadata_is_up_to_date) >&2 ||
	die "could not export the metadata (cargo test --workspace client_metadata_is_up_to_date)"
[ -s "$REPO_ROOT/cli/metadata/custodia.scale" ] || die "cli/metadata/custodia.scale was not written"
say "wrote cli/metadata/custodia.scale ($(wc -c <"$REPO_ROOT/cli/metadata/custodia.scale") bytes); rebuild the client: cd cli && cargo build --locked"
