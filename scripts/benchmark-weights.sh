#!/usr/bin/env bash
# Measures the Custodia pallets with frame-omni-bencher and rewrites their weights.rs files.
#
#   scripts/benchmark-weights.sh [pallet_consortium pallet_consent ...]   (default: all)
#
# Builds the runtime's wasm with the `runtime-benchmarks` feature beside the main build
# (scripts/build-runtime-wasm.sh: the node's own blob is never touched), installs frame-omni-bencher 0.28.0 (the stable2609 release) into
# ~/.cache/custodia/tools if missing, and runs each pallet's benchmarks on the wasm runtime from
# the `development` genesis preset. Run it on an otherwise idle machine; the figures are for it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

TOOLS="${CUSTODIA_TOOLS_DIR:-$HOME/.cache/custodia/tools}"
BENCHER="$TOOLS/bin/frame-omni-bencher"
STEPS="${CUSTODIA_BENCH_STEPS:-50}"
REPEAT="${CUSTODIA_BENCH_REPEAT:-20}"

declare -A PALLET_DIR=(
	[pallet_consortium]=pallets/consortium
	[pallet_consent]=pallets/consent
	[pallet_vaults]=pallets/vaults
	[pallet_fhe]=pallets/fhe
	[pallet_statistics]=pallets/statistics
	[pallet_validators]=pallets/validators
)
pallets=("$@")
[ ${#pallets[@]} -gt 0 ] || pallets=(pallet_consortium pallet_consent pallet_vaults pallet_fhe pallet_statistics pallet_validators)

if [ ! -x "$BENCHER" ]; then
	# Its RocksDB dependency's bindings are generated with libclang: clang-sys needs the
	# unversioned libclang.so of Debian's libclang-dev.
	if ! dpkg-query -W -f='${Status}' libclang-dev 2>/dev/null | grep -q "install ok installed"; then
		say "Installing libclang-dev (apt)"
		as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
		DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq libclang-dev >/dev/null
	fi
	say "Installing frame-omni-bencher 0.28.0 into $TOOLS (compiles for a long while)"
	cargo install frame-omni-bencher --version 0.28.0 --locked --root "$TOOLS" \
		--target-dir "$HOME/.cache/custodia/tools-target"
fi

say "Building the runtime's wasm with runtime-benchmarks"
WASM="$("$REPO_ROOT/scripts/build-runtime-wasm.sh" --features runtime-benchmarks)"

for pallet in "${pallets[@]}"; do
	dir="${PALLET_DIR[$pallet]:?unknown pallet $pallet}"
	say "Benchmarking $pallet ($STEPS steps, $REPEAT repeats)"
	"$BENCHER" v1 benchmark pallet \
		--runtime "$WASM" \
		--genesis-builder-preset development \
		--pallet "$pallet" --extrinsic '*' \
		--steps "$STEPS" --repeat "$REPEAT" \
		--template "$REPO_ROOT/scripts/benchmark/pallet-weights.hbs" \
		--output "$REPO_ROOT/$dir/src/weights.rs"
done
say "Done. Check the result builds: scripts/test.sh"
