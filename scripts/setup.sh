#!/usr/bin/env bash
# Installs everything Custodia needs on a fresh Debian machine: apt packages (protoc, clang,
# curl, jq, chromium), the Rust wasm targets and rust-src, and the npm packages of the test suite
# and the web app.
# Idempotent and quiet when everything is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# protobuf-compiler: litep2p/libp2p protocol definitions; clang: C/C++ in -sys crates;
# curl + python3: the scripts' JSON-RPC calls; nodejs + npm: the end-to-end tests and the web
# app's build; chromium: the browser the consent app's tests drive (Debian's build: test tools
# must never download a browser of their own).
# systemd: its systemd-analyze checks the Debian package's unit (no systemd needs to run);
# binutils: objcopy strips the packaged binaries; adduser: the package's postinst.
# The test command lints scripts/ with shellcheck. jq: scripts/story.sh reads the client's JSON
# and writes its step log with it.
apt_packages=(protobuf-compiler clang curl python3 git chromium systemd binutils adduser shellcheck jq)
# A machine may carry its own Node.js outside apt (>= 18 has the test runner); use it then.
command -v node >/dev/null && command -v npm >/dev/null || apt_packages+=(nodejs npm)
missing=()
for pkg in "${apt_packages[@]}"; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "Installing apt packages: ${missing[*]}"
	as_root apt-get update -qq
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || die "Rust is not installed: install rustup (https://rustup.rs) and re-run"
# The runtime is also compiled to wasm. Adding a target during a build breaks the runtime's
# build script, so this runs before any build.
installed_targets=$(rustup target list --installed)
for target in wasm32v1-none wasm32-unknown-unknown; do
	grep -qx "$target" <<<"$installed_targets" || { say "Adding Rust target $target"; rustup target add "$target" >/dev/null; }
done
rustup component list --installed | grep -q '^rust-src' || { say "Adding rust-src"; rustup component add rust-src >/dev/null; }
# rustfmt and clippy: scripts/test.sh checks every crate's formatting (rustfmt.toml) and lints.
rustup component list --installed | grep -q '^rustfmt' || { say "Adding rustfmt"; rustup component add rustfmt >/dev/null; }
rustup component list --installed | grep -q '^clippy' || { say "Adding clippy"; rustup component add clippy >/dev/null; }

# npm packages, each folder pinned by its package-lock.json: the end-to-end tests (tests/) and
# the IPFS daemon they run (tests/ipfs: js-ipfs 0.66.1, a real IPFS node with Kubo's RPC API;
# Kubo itself cannot be installed without downloading a Go binary — see docs/ipfs.md), and the
# consent app with its statistics portal (ui/: Vite, @polkadot/api, hpke-js, Chart.js).
# Vite (the web app's build) needs Node.js >= 20.19; Debian's own nodejs package is older.
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
	die "Node.js $(node --version) is too old for the web app's build: install Node.js 20.19 or newer (e.g. from nodejs.org or NodeSource) and re-run"
for dir in tests tests/ipfs ui; do
	lock="$REPO_ROOT/$dir/package-lock.json"
	stamp="$REPO_ROOT/$dir/node_modules/.custodia-installed"
	if [ ! -f "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
		say "Installing npm packages of $dir ($dir/package-lock.json)"
		(cd "$REPO_ROOT/$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
		touch "$stamp"
	fi
done
