#!/usr/bin/env bash
# The test suite: Rust unit and runtime tests, then end-to-end tests against real
# custodia-node processes (a dev node, the 4-validator net, the exported chain specs) and the
# consent app in a real browser (Debian's chromium).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_ROOT/scripts/setup.sh"
build_node
build_ui

say "Rust tests (cargo test --workspace, then the client's)"
(cd "$REPO_ROOT" && cargo test --locked --workspace)
(cd "$REPO_ROOT/cli" && cargo test --locked)

say "Web app unit tests (cd ui && npm test)"
(cd "$REPO_ROOT/ui" && npm test)

say "End-to-end tests (node --test tests/)"
(cd "$REPO_ROOT/tests" && node --test --test-concurrency=1 ./*.test.mjs)
