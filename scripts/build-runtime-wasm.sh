#!/usr/bin/env bash
# Builds a variant of the working tree's runtime blob beside the main build: with `spec_version`
# raised (a runtime upgrade for tests/upgrade.test.mjs) and/or with extra cargo features
# (`runtime-benchmarks` for scripts/benchmark-weights.sh), and nothing else changed.
#
# Usage: build-runtime-wasm.sh [--spec-version N|+1] [--features F1,F2]
#   Prints the path of the wasm blob on stdout (status and its blake2-256 hash on stderr):
#   CUSTODIA_VARIANTS_DIR/VARIANT/custodia_runtime.wasm (default ~/.cache/custodia/runtime-variants).
#   `--spec-version +1` is the committed value + 1. Needs the node built first
#   (cargo build --locked --workspace --all-targets): it reuses that build's wasm artifacts and
#   the runtime's compiled build script.
#
# How, and why this way: a second `cargo build -p custodia-runtime --features …` would resolve
# features differently, rebuild the native runtime and every dependency, and overwrite the main
# build's blob in `debug/wbuild` (the node would then embed the variant). So the script runs the
# runtime's own build script (substrate-wasm-builder: same cargo command, target, profile,
# RUSTFLAGS and two-pass metadata hash as the main build) with the variant's features in its
# environment (the builder enables each `CARGO_FEATURE_*` the runtime declares), on a copy of the
# main build's wasm artifacts (seeded once per variant, ~700 MB; the main build's `debug/wbuild`
# is never written). Only what the variant changes recompiles: for a spec bump the runtime crate,
# for a feature the crates it reaches.
#
# `#[sp_version::runtime_version]` takes only a literal `spec_version` (it writes the version into
# the blob's `runtime_version` section at compile time, and `system.setCode` compares that
# section), so it cannot come from an environment variable: for a spec bump, the build runs in a
# private mount namespace where runtime/src/lib.rs is a bind mount of a copy with the new number.
# Every path stays the same, so cargo recompiles only the crates changed since the last run.
#
# An operator building a real upgrade needs none of this: raise `spec_version` in
# runtime/src/lib.rs and build (docs/operations.md, "Runtime upgrades").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LIB_RS="$REPO_ROOT/runtime/src/lib.rs"
current=$(sed -nE 's/^[[:space:]]*spec_version: ([0-9]+),$/\1/p' "$LIB_RS")
[[ "$current" =~ ^[0-9]+$ ]] || die "expected one 'spec_version: N,' line in $LIB_RS"

spec="$current"
features=()
while [ $# -gt 0 ]; do
	case "$1" in
	--spec-version)
		[ $# -ge 2 ] || die "--spec-version needs a value"
		spec="$2"
		[ "$spec" != "+1" ] || spec=$((current + 1))
		if ! [[ "$spec" =~ ^[0-9]+$ ]] || ((spec <= current)); then
			die "--spec-version must be +1 or a number above the committed spec_version ($current)"
		fi
		shift 2
		;;
	--features)
		[ $# -ge 2 ] || die "--features needs a value"
		IFS=, read -r -a more <<<"$2"
		features+=("${more[@]}")
		shift 2
		;;
	*) die "usage: build-runtime-wasm.sh [--spec-version N|+1] [--features F1,F2]" ;;
	esac
done
for feature in "${features[@]}"; do
	grep -qE "^${feature//-/\\-} = \[" "$REPO_ROOT/runtime/Cargo.toml" || die "the runtime has no feature '$feature'"
done

variant="spec-$spec"
for feature in "${features[@]}"; do variant+="+$feature"; done
VARIANT_DIR="${CUSTODIA_VARIANTS_DIR:-$HOME/.cache/custodia/runtime-variants}/$variant"
# The wasm builder puts its project in `<dir>/wbuild` next to `<dir>/build` (found from OUT_DIR),
# and builds the blob with cargo's release profile because the folder after `target` is `debug`:
# the same layout as the main build's.
TARGET="$VARIANT_DIR/target/debug"
OUT_DIR="$TARGET/build/custodia-runtime/out"
WBUILD="$TARGET/wbuild/custodia-runtime"
MAIN_WBUILD="$CARGO_TARGET_DIR/debug/wbuild/custodia-runtime"

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
	say "Seeding $WBUILD from the main build's wasm artifacts (once per variant, ~700 MB)"
	mkdir -p "$WBUILD"
	cp -a "$MAIN_WBUILD/target" "$WBUILD/"
fi
mkdir -p "$OUT_DIR"

# The runtime's lib.rs as this variant compiles it, rewritten only when its content changes so
# that an unchanged runtime is not recompiled (cargo compares modification times).
patched="$VARIANT_DIR/lib.rs"
sed -E "s/^([[:space:]]*spec_version: )[0-9]+,$/\1$spec,/" "$LIB_RS" >"$patched.new"
if cmp -s "$patched.new" "$patched"; then rm "$patched.new"; else mv "$patched.new" "$patched"; fi

wasm="$VARIANT_DIR/custodia_runtime.wasm"
# The files the last build read (its `cargo:rerun-if-changed` list): when none is newer than the
# blob, it is up to date. (The builder compiles the runtime twice, for the metadata hash, even
# when nothing changed: minutes saved.)
inputs="$VARIANT_DIR/inputs.txt"
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

# The environment and folder cargo gives the build script (with .cargo/config.toml's
# WASM_BUILD_WORKSPACE_HINT: the blob must be built with this workspace's Cargo.lock);
# SKIP_WASM_BUILD would make it do nothing, WASM_TARGET_DIRECTORY copy the blob elsewhere.
environment=(
	OUT_DIR="$OUT_DIR" CARGO_MANIFEST_DIR="$REPO_ROOT/runtime" CARGO_PKG_NAME=custodia-runtime
	CARGO="$(rustup which cargo)" PROFILE=debug CARGO_FEATURE_STD=1 CARGO_FEATURE_METADATA_HASH=1
	WASM_BUILD_WORKSPACE_HINT="$REPO_ROOT" WASM_BUILD_NO_COLOR=1
)
for feature in "${features[@]}"; do
	name="${feature^^}"
	environment+=("CARGO_FEATURE_${name//-/_}=1")
done
command=(nice "$build_script")
if [ "$spec" != "$current" ]; then
	mount_ns=(unshare --mount --propagation private)
	[ "$(id -u)" = 0 ] || mount_ns=(unshare --map-root-user --mount --propagation private)
	# shellcheck disable=SC2016 # $1…$3 are the child bash's arguments
	command=("${mount_ns[@]}" -- bash -c 'mount --bind "$1" "$2" && exec nice "$3"' _ "$patched" "$LIB_RS" "$build_script")
fi

log="$VARIANT_DIR/build.log"
say "Building the runtime variant $variant (spec_version $spec, committed $current); log: $log"
started=$SECONDS
cd "$REPO_ROOT/runtime"
if ! env -u SKIP_WASM_BUILD -u SKIP_CUSTODIA_RUNTIME_WASM_BUILD -u WASM_TARGET_DIRECTORY \
	-u CARGO_ENCODED_RUSTFLAGS -u RUSTC "${environment[@]}" "${command[@]}" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "the runtime variant's build failed; log: $log"
fi

cp "$WBUILD/custodia_runtime.wasm" "$wasm"
sed -n 's/^cargo:rerun-if-changed=//p' "$log" >"$inputs"
say "Built in $((SECONDS - started)) s: $wasm ($(stat -c %s "$wasm") bytes, blake2-256 0x$(b2sum -l 256 "$wasm" | cut -d' ' -f1))"
echo "$wasm"
