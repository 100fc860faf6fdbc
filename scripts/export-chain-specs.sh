#!/usr/bin/env bash
# Regenerates chain-spec/dev.json.gz and chain-spec/local.json.gz from the node's built-in chains
# (gzip: the hex of the runtime's wasm makes each spec over 6 MB). tests/chain-spec.test.mjs fails
# when the checked-in files are stale. To use one: gunzip -k chain-spec/local.json.gz.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -x "$NODE_BIN" ] || build_node
for chain in dev local; do
	"$NODE_BIN" export-chain-spec --chain "$chain" | gzip -9n >"$REPO_ROOT/chain-spec/$chain.json.gz"
	say "wrote chain-spec/$chain.json.gz"
done
