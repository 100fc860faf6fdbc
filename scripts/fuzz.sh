#!/usr/bin/env bash
# Runs the FHE engine's cargo-fuzz targets (fhe/fuzz): every wire decoder on arbitrary bytes.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 240)
#
# This machine has only a stable toolchain, so libFuzzer's nightly flags are enabled with
# RUSTC_BOOTSTRAP=1. Targets are built unoptimised (`--dev`) without sanitizer or comparison
# tracing: instrumenting tfhe for a release build takes far longer than the fuzzing itself, and
# the decoders are safe Rust, so what the fuzzer looks for is panics and non-canonical
# round trips. Seeds are in fhe/fuzz/seeds/, the wire-header dictionary in fhe/fuzz/wire.dict;
# new corpus entries go to $CUSTODIA_FUZZ_CORPUS (default ~/.cache/custodia/fuzz-corpus).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SECONDS_PER_TARGET="${1:-240}"
TOOLS="${CUSTODIA_TOOLS_DIR:-$HOME/.cache/custodia/tools}"
CORPUS="${CUSTODIA_FUZZ_CORPUS:-$HOME/.cache/custodia/fuzz-corpus}"
export PATH="$TOOLS/bin:$PATH" RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CUSTODIA_FUZZ_TARGET_DIR:-$HOME/.cache/custodia/fuzz-target}"

command -v cargo-fuzz >/dev/null || {
	say "Installing cargo-fuzz into $TOOLS"
	cargo install cargo-fuzz --locked --root "$TOOLS"
}
cd "$REPO_ROOT/fhe/fuzz"
for target in decode_personal decode_cohort decode_program; do
	mkdir -p "$CORPUS/$target"
	# Cohort objects are ~57 KB (a 20-field record); let the fuzzer grow inputs that far.
	max_len=4096
	[ "$target" = decode_cohort ] && max_len=70000
	say "Fuzzing $target for ${SECONDS_PER_TARGET}s"
	cargo fuzz run --dev -s none --no-trace-compares "$target" "$CORPUS/$target" "seeds/$target" -- \
		-dict=wire.dict -max_len="$max_len" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 2>&1 | grep -E "^(#[0-9]+ +DONE|Done|==|thread|SUMMARY)" || true
	# cargo-fuzz exits non-zero and leaves an artifact when the target panics.
	if compgen -G "artifacts/$target/*" >/dev/null; then
		echo "crash inputs in fhe/fuzz/artifacts/$target" >&2
		exit 1
	fi
done
say "No crash found"
