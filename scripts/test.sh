#!/usr/bin/env bash
# The test suite: Rust unit and runtime tests, then end-to-end tests against real
# custodia-node processes (a dev node, the 4-validator net, the exported chain specs) and the
# consent app in a real browser (Debian's chromium).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_ROOT/scripts/setup.sh"
CLIPPY_TARGET_DIR="${CUSTODIA_CLIPPY_TARGET_DIR:-$HOME/.cache/custodia/clippy-target}"
build_node
build_ui
export CUSTODIA_UI_BUILT=1

say "Shell scripts (shellcheck: scripts/, .ci/run, the Debian package's maintainer scripts)"
shellcheck -x -P SCRIPTDIR "$REPO_ROOT"/scripts/*.sh "$REPO_ROOT/.ci/run" \
	"$REPO_ROOT"/packaging/debian/post{inst,rm}
say "Rust formatting (cargo fmt --check, rustfmt.toml; every cargo workspace)"
for manifest in Cargo.toml cli/Cargo.toml fhe/fuzz/Cargo.toml statistics/fuzz/Cargo.toml; do
	cargo fmt --manifest-path "$REPO_ROOT/$manifest" --all --check
done

# Lints in a target directory of their own: clippy checks without the wasm runtime
# (SKIP_WASM_BUILD), which in the build's directory would make the next build rerun the
# runtime's build script. Cold: about 25 minutes; warm: seconds to minutes.
say "Rust lints (cargo clippy --all-targets -- -D warnings; every cargo workspace)"
for workspace in . cli fhe/fuzz statistics/fuzz; do
	(cd "$REPO_ROOT/$workspace" && CARGO_TARGET_DIR="$CLIPPY_TARGET_DIR" SKIP_WASM_BUILD=1 \
		cargo clippy --locked --workspace --all-targets -- -D warnings)
done

say "Rust tests (cargo test --workspace, then the client's)"
(cd "$REPO_ROOT" && cargo test --locked --workspace)
(cd "$REPO_ROOT/cli" && cargo test --locked)
# The pallets' benchmark suites (each benchmark run once against the pallet's mock) compile only
# with runtime-benchmarks; the pallets alone, so the node is not rebuilt with the feature.
pallets=(pallet-consortium pallet-consent pallet-vaults pallet-fhe pallet-statistics pallet-validators)
(cd "$REPO_ROOT" && cargo test --locked "${pallets[@]/#/-p}" \
	--features "$(IFS=,; echo "${pallets[*]/%//runtime-benchmarks}")")

say "Fuzzing every wire decoder briefly (scripts/fuzz.sh 20)"
"$REPO_ROOT/scripts/fuzz.sh" 20

# Built here rather than in the test's `before`, so that its compile (minutes after a runtime
# change, seconds otherwise) does not run beside four end-to-end files.
say "The runtime upgrade tests/upgrade.test.mjs applies (scripts/build-runtime-wasm.sh --spec-version +1)"
CUSTODIA_UPGRADE_WASM="$("$REPO_ROOT/scripts/build-runtime-wasm.sh" --spec-version +1)"
export CUSTODIA_UPGRADE_WASM

say "Web app unit tests (cd ui && npm test)"
(cd "$REPO_ROOT/ui" && npm test)

# The end-to-end files are independent (each starts its own nodes, IPFS daemon and state on
# ports of its own), and mostly wait for blocks: run four at once, the six long files
# first so that the short files fill the lanes they leave. The dev-chain story of consent-app.test.mjs
# is sized for CI (CUSTODIA_TEST_PEOPLE people; scripts/run.sh's own default is 52).
say "End-to-end tests (node --test tests/, 4 files at a time)"
export CUSTODIA_TEST_PEOPLE="${CUSTODIA_TEST_PEOPLE:-16}"
(
	cd "$REPO_ROOT/tests"
	long=(story.test.mjs consent-app.test.mjs statistics.test.mjs faults.test.mjs validators.test.mjs upgrade.test.mjs)
	short=()
	for file in ./*.test.mjs; do
		file="${file#./}"
		[[ " ${long[*]} " == *" $file "* ]] || short+=("$file")
	done
	# TAP on stdout as it happens; the spec reporter's copy ends with every failure's error and
	# stack, printed last so that the end of the output says what failed and why.
	failures="$(mktemp -t custodia-e2e-spec.XXXXXX)"
	if node --test --test-concurrency=4 --test-reporter=tap --test-reporter-destination=stdout \
		--test-reporter=spec --test-reporter-destination="$failures" "${long[@]}" "${short[@]}"; then
		rm -f "$failures"
	else
		say "End-to-end failures (the spec reporter's summary; all of it: $failures)"
		sed -n '/failing tests:/,$p' "$failures"
		exit 1
	fi
)
