#!/usr/bin/env bash
# Builds a runtime upgrade for tests/upgrade.test.mjs: the working tree's runtime with
# `spec_version` raised (to SPEC_VERSION, default: the committed value + 1) and nothing else changed.
#
# Usage: build-upgrade-runtime.sh [SPEC_VERSION]
#   Prints the path of the wasm blob on stdout (status and its blake2-256 hash on stderr):
#   CUSTODIA_UPGRADE_DIR/custodia_runtime-SPEC_VERSION.wasm (default ~/.cache/custodia/upgrade).
#   Needs the node built first (cargo build --locked --workspace --all-targets): it reuses that
#   build's wasm artifacts and the runtime's compiled build script.
#
# How, and why this way: `#[sp_version::runtime_version]` only accepts a literal `spec_version`
# (it writes the version into the blob's `runtime_version` section at compile time, and
# `system.setCode` compares that section), so the number cannot come from an environment variable.
# Editing runtime/src/lib.rs for a second build would rebuild the node's runtime twice, and a copy
# of the sources elsewhere would recompile every pallet (cargo keys path crates by their path). So
# the script runs the runtime's own build script (substrate-wasm-builder: same cargo command,
# target, profile, RUSTFLAGS and two-pass metadata hash as the main build) in a private mount
# namespace where runtime/src/lib.rs is a bind mount of a copy with the new `spec_version`: every
# path stays the same, so cargo recompiles only the workspace crates changed since the last run
# (never a dependency). The wasm project lives in
# CUSTODIA_UPGRADE_DIR, seeded once (~700 MB) from the main build's
# CARGO_TARGET_DIR/debug/wbuild/custodia-runtime, which is never written.
#
# An operator building a real upgrade needs none of this: raise `spec_version` in
# runtime/src/lib.rs and build (docs/operations.md, "Runtime upgrades").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LIB_RS="$REPO_ROOT/runtime/src/lib.rs"
UPGRADE_DIR="${CUSTODIA_UPGRADE_DIR:-$HOME/.cache/custodia/upgrade}"
# The wasm builder puts its project in `<dir>/wbuild` next to `<dir>/build` (found from OUT_DIR),
# and builds the blob with cargo's release profile because the folder after `target` is `debug`:
# the same layout as the main build's.
TARGET="$UPGRADE_DIR/target/debug"
OUT_DIR="$TARGET/build/custodia-runtime/out"
WBUILD="$TARGET/wbuild/custodia-runtime"
MAIN_WBUILD="$CARGO_TARGET_DIR/debug/wbuild/custodia-runtime"

current=$(sed -nE 's/^[[:space:]]*spec_version: ([0-9]+),$/\1/p' "$LIB_RS")
[[ "$current" =~ ^[0-9]+$ ]] || die "expected one 'spec_version: N,' line in $LIB_RS"
spec="${1:-$((current + 1))}"
if ! [[ "$spec" =~ ^[0-9]+$ ]] || ((spec <= current)); then
	die "SPEC_VERSION must be a number above the committed spec_version ($current)"
fi

# The runtime's build script, compiled with the metadata-hash feature (the node's build). Newest
# first: an older one may predate a change of build.rs.
build_script=""
while read -r _ candidate; do
	if grep -q merkleized_metadata "$candidate"; then
		build_script="$candidate"
		break
	fi
done < <(find "$CARGO_TARGET_DIR/debug/build" -path '*/custodia-runtime-*/build-script-build' -type f -printf '%T@ %p\n' | sort -rn)
[ -n "$build_script" ] || die "no compiled build script of custodia-runtime in $CARGO_TARGET_DIR: run cargo build --locked --workspace --all-targets first"

if [ ! -d "$WBUILD/target" ]; then
	[ -d "$MAIN_WBUILD/target" ] || die "no wasm build in $MAIN_WBUILD: run cargo build --locked --workspace --all-targets first"
	say "Seeding $WBUILD from the main build's wasm artifacts (once, ~700 MB)"
	mkdir -p "$WBUILD"
	cp -a "$MAIN_WBUILD/target" "$WBUILD/"
fi
mkdir -p "$OUT_DIR"

# The copy of lib.rs is rewritten only when its content changes, so that an unchanged runtime
# is not recompiled (cargo compares modification times).
patched="$UPGRADE_DIR/lib.rs"
sed -E "s/^([[:space:]]*spec_version: )[0-9]+,$/\1$spec,/" "$LIB_RS" >"$patched.new"
if cmp -s "$patched.new" "$patched"; then rm "$patched.new"; else mv "$patched.new" "$patched"; fi

wasm="$UPGRADE_DIR/custodia_runtime-$spec.wasm"
# The files the last build read (its `cargo:rerun-if-changed` list): when none is newer than the
# blob, it is up to date. (The builder compiles the runtime twice, for the metadata hash, even
# when nothing changed: ~4 min saved.)
inputs="$UPGRADE_DIR/inputs-$spec.txt"
up_to_date() {
	local file
	[ -f "$wasm" ] && [ -f "$inputs" ] || return 1
	for file in "$patched" "$build_script"; do [ "$file" -nt "$wasm" ] && return 1; done
	while read -r file; do
		[ -e "$file" ] && [ ! "$file" -nt "$wasm" ] || return 1
	done <"$inputs"
}
if up_to_date; then
	say "Up to date: $wasm"
	echo "$wasm"
	exit 0
fi

log="$UPGRADE_DIR/build.log"
say "Building the runtime with spec_version $spec (was $current); log: $log"
mount_ns=(unshare --mount --propagation private)
[ "$(id -u)" = 0 ] || mount_ns=(unshare --map-root-user --mount --propagation private)
started=$SECONDS
# The environment and folder cargo gives the build script (with .cargo/config.toml's
# WASM_BUILD_WORKSPACE_HINT: the blob must be built with this workspace's Cargo.lock);
# SKIP_WASM_BUILD would make it do nothing, WASM_TARGET_DIRECTORY copy the blob elsewhere.
cd "$REPO_ROOT/runtime"
# shellcheck disable=SC2016 # $1…$3 are the child bash's arguments
if ! env -u SKIP_WASM_BUILD -u SKIP_CUSTODIA_RUNTIME_WASM_BUILD -u WASM_TARGET_DIRECTORY \
	-u CARGO_ENCODED_RUSTFLAGS -u RUSTC \
	OUT_DIR="$OUT_DIR" CARGO_MANIFEST_DIR="$REPO_ROOT/runtime" CARGO_PKG_NAME=custodia-runtime \
	CARGO="$(rustup which cargo)" PROFILE=debug CARGO_FEATURE_STD=1 CARGO_FEATURE_METADATA_HASH=1 \
	WASM_BUILD_WORKSPACE_HINT="$REPO_ROOT" WASM_BUILD_NO_COLOR=1 \
	"${mount_ns[@]}" -- bash -c 'mount --bind "$1" "$2" && exec nice "$3"' _ "$patched" "$LIB_RS" "$build_script" \
	>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "the upgrade runtime's build failed; log: $log"
fi

cp "$WBUILD/custodia_runtime.wasm" "$wasm"
sed -n 's/^cargo:rerun-if-changed=//p' "$log" >"$inputs"
say "Built in $((SECONDS - started)) s: $wasm ($(stat -c %s "$wasm") bytes, blake2-256 0x$(b2sum -l 256 "$wasm" | cut -d' ' -f1))"
echo "$wasm"
