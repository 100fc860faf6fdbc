#!/usr/bin/env bash
# Runs every cargo-fuzz target on arbitrary bytes: the FHE engine's wire decoders (fhe/fuzz) and
# the Prio3 engine's (statistics/fuzz). Exits non-zero when a target fails to build, fails to
# run, or finds an input that panics or does not re-encode to itself.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 240; the test command runs it briefly)
#
# libFuzzer's flags need a nightly compiler: RUSTC_BOOTSTRAP=1 enables them on the stable
# toolchain. Targets are built unoptimised (`--dev`) without sanitizer or comparison tracing:
# instrumenting tfhe for a release build takes far longer than the fuzzing itself, and the
# decoders are safe Rust, so what the fuzzer looks for is panics and non-canonical round trips.
# Seeds are in <crate>/fuzz/seeds/, the wire-header dictionaries in <crate>/fuzz/wire.dict; new
# corpus entries go to $CUSTODIA_FUZZ_CORPUS (default ~/.cache/custodia/fuzz-corpus).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SECONDS_PER_TARGET="${1:-240}"
TOOLS="${CUSTODIA_TOOLS_DIR:-$HOME/.cache/custodia/tools}"
CORPUS="${CUSTODIA_FUZZ_CORPUS:-$HOME/.cache/custodia/fuzz-corpus}"
export PATH="$TOOLS/bin:$PATH" RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CUSTODIA_FUZZ_TARGET_DIR:-$HOME/.cache/custodia/fuzz-target}"
BUILD_FLAGS=(--dev -s none --no-trace-compares)

# crate folder: its targets and the longest input worth growing (a few KB covers every header,
# count and length field of these objects).
declare -A TARGETS=(
	[fhe/fuzz]="decode_personal decode_program"
	[statistics/fuzz]="decode_objects"
)

command -v cargo-fuzz >/dev/null || {
	say "Installing cargo-fuzz into $TOOLS"
	cargo install cargo-fuzz --locked --root "$TOOLS"
}

for crate in "${!TARGETS[@]}"; do
	say "Building the fuzz targets of $crate"
	(cd "$REPO_ROOT/$crate" && cargo fuzz build "${BUILD_FLAGS[@]}") || die "the fuzz targets of $crate do not build"
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for crate in "${!TARGETS[@]}"; do
	for target in ${TARGETS[$crate]}; do
		mkdir -p "$CORPUS/$target"
		say "Fuzzing $crate: $target for ${SECONDS_PER_TARGET}s"
		status=0
		(cd "$REPO_ROOT/$crate" && cargo fuzz run "${BUILD_FLAGS[@]}" "$target" "$CORPUS/$target" "seeds/$target" -- \
			-dict=wire.dict -max_len=4096 -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096) >"$log" 2>&1 || status=$?
		grep -E "^(#[0-9]+ +DONE|Done [0-9]+ runs|==[0-9]+== ERROR|thread '.*' panicked|SUMMARY)" "$log" >&2 || true
		# A crash leaves its input under artifacts/ and makes cargo-fuzz exit non-zero.
		if compgen -G "$REPO_ROOT/$crate/artifacts/$target/*" >/dev/null; then
			die "$target found a crashing input: $crate/artifacts/$target/ (reproduce: cd $crate && cargo fuzz run ${BUILD_FLAGS[*]} $target <input>)"
		fi
		[ "$status" -eq 0 ] || { tail -n 30 "$log" >&2; die "$target failed to run (exit $status)"; }
		grep -qE "^Done [0-9]+ runs" "$log" || { tail -n 30 "$log" >&2; die "$target did not report its runs"; }
	done
done
say "No crash found"
