#!/usr/bin/env bash
# Regenerates chain-spec/dev.json and chain-spec/local.json from the node's built-in chains.
# tests/chain-spec.test.mjs fails when the checked-in files are stale.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ -x "$NODE_BIN" ] || build_node
for chain in dev local; do
	"$NODE_BIN" export-chain-spec --chain "$chain" --output "$REPO_ROOT/chain-spec/$chain.json" >/dev/null
	say "wrote chain-spec/$chain.json"
done
