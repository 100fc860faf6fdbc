# shellcheck shell=bash
# Shared settings for the scripts in this folder; sourced, not run.
#
# CARGO_TARGET_DIR defaults to one persistent folder outside the checkout, so every clone,
# script and CI run on this machine reuses one build (a clean build takes most of an hour).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/custodia/target}"
# One cargo profile (dev, tuned in Cargo.toml) builds the node and runs every test.
NODE_BIN="${CUSTODIA_NODE_BIN:-$CARGO_TARGET_DIR/debug/custodia-node}"
export CUSTODIA_NODE_BIN="$NODE_BIN"

# Status lines go to stderr so stdout stays free for data.
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Builds the node (and with it the runtime's wasm blob) and every test of the workspace; a no-op
# when nothing changed. Building all targets at once gives the node and the tests one feature
# resolution, so `cargo test --workspace` afterwards reuses every artifact instead of compiling
# a second variant of the dependencies.
build_node() {
	say "Building custodia-node and the tests (first build: ~60 min on 2 cores; later: seconds to minutes)"
	(cd "$REPO_ROOT" && cargo build --locked --workspace --all-targets) || die "cargo build failed"
	say "Building the custodia client (cli/, its own workspace)"
	(cd "$REPO_ROOT/cli" && cargo build --locked --all-targets) || die "cargo build of cli/ failed"
}

# Builds the consent app and the statistics portal (ui/ → ui/dist; type-checked, ~20 s). One build
# at a time per checkout (flock): vite empties ui/dist first, so a second run.sh building beside
# it would delete the files the first one writes. The test command builds once and sets
# CUSTODIA_UI_BUILT=1, so that the two run.sh it starts serve that build and never empty ui/dist
# under each other's server.
build_ui() {
	if [ "${CUSTODIA_UI_BUILT:-}" = 1 ] && [ -f "$REPO_ROOT/ui/dist/index.html" ]; then
		say "The consent app and statistics portal are built (ui/dist, CUSTODIA_UI_BUILT=1)"
		return 0
	fi
	say "Building the consent app and statistics portal (ui/)"
	mkdir -p "$REPO_ROOT/ui/node_modules"
	(cd "$REPO_ROOT/ui" && flock node_modules/.custodia-build.lock npm run --silent build >/dev/null) ||
		die "the web app's build failed (cd ui && npm run build)"
}

# Serves ui/dist and its IPFS proxy on loopback PORT for the node at WS_URL and the IPFS API at
# IPFS_API; sets UI_PID. Usage: start_ui PORT WS_URL IPFS_API LOG
start_ui() {
	local port="$1" url="$2" ipfs_api="$3" log="$4" i
	node "$REPO_ROOT/ui/server.mjs" --port "$port" --rpc "$url" --ipfs-api "$ipfs_api" >"$log" 2>&1 &
	UI_PID=$!
	for ((i = 0; i < 60; i++)); do
		kill -0 "$UI_PID" 2>/dev/null || die "the web app's server exited; log: $log"
		curl -sf "http://127.0.0.1:$port/config.json" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	stop_pids "$UI_PID"
	die "the web app's server did not answer on port $port; log: $log"
}

# One JSON-RPC call over HTTP; prints the `result` as JSON. Usage: rpc PORT METHOD [PARAMS_JSON]
rpc() {
	local port="$1" method="$2" params="${3:-[]}"
	curl -sf --max-time 5 -H 'Content-Type: application/json' \
		-d "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"$method\",\"params\":$params}" \
		"http://127.0.0.1:$port" |
		python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["result"]))'
}

# Block number of the best (or, with `finalized`, the finalized) head of the node at PORT.
head_number() {
	local port="$1" which="${2:-best}" hash
	if [ "$which" = finalized ]; then
		hash=$(rpc "$port" chain_getFinalizedHead) || return 1
		rpc "$port" chain_getHeader "[$hash]" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["number"],16))'
	else
		rpc "$port" chain_getHeader | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["number"],16))'
	fi
}

# Waits until the node at PORT answers JSON-RPC, or fails after SECONDS (default 60).
wait_for_rpc() {
	local port="$1" seconds="${2:-60}" i
	for ((i = 0; i < seconds * 2; i++)); do
		rpc "$port" system_health >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}

# Fails unless every PORT is free on loopback (so that a stale node or daemon holding one is
# never mistaken for ours). Usage: ensure_ports_free PORT...
ensure_ports_free() {
	python3 - "$@" <<'PY' || die "a port the job needs is in use (another node or IPFS daemon?); stop it or choose other ports (see --help)"
import socket, sys
busy = []
for port in map(int, sys.argv[1:]):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            busy.append(port)
if busy:
    print("busy ports: " + " ".join(map(str, busy)), file=sys.stderr)
    sys.exit(1)
PY
}

# Stops the processes PIDS: SIGTERM, then SIGKILL for any still running after 30 s.
stop_pids() {
	local pid i
	for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
	for ((i = 0; i < 60; i++)); do
		any_alive "$@" || return 0
		sleep 0.5
	done
	for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# Whether any of PIDS is still running.
any_alive() {
	local pid
	for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
	return 1
}

# Starts a js-ipfs daemon (installed in tests/ipfs by setup.sh) on a fresh repository in DIR,
# offline, its RPC API on loopback PORT; sets IPFS_PID. Usage: start_ipfs DIR PORT
start_ipfs() {
	local dir="$1" port="$2" jsipfs="$REPO_ROOT/tests/ipfs/node_modules/.bin/jsipfs" i
	[ -x "$jsipfs" ] || die "$jsipfs is missing: run scripts/setup.sh"
	mkdir -p "$dir"
	IPFS_PATH="$dir/repo" "$jsipfs" init --profile test --emptyRepo >"$dir/init.log" 2>&1 || die "IPFS init failed: $dir/init.log"
	python3 - "$dir/repo/config" "$port" <<'PY'
import json, sys
path, port = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config["Addresses"].update(API=f"/ip4/127.0.0.1/tcp/{port}", Gateway="", RPC="")
config["Bootstrap"] = []
config["Discovery"]["MDNS"]["Enabled"] = False
json.dump(config, open(path, "w"), indent=2)
PY
	IPFS_PATH="$dir/repo" "$jsipfs" daemon --offline >"$dir/daemon.log" 2>&1 &
	IPFS_PID=$!
	# Up to 180 s: js-ipfs starts in seconds, but minutes on a machine busy with other nodes.
	for ((i = 0; i < 360; i++)); do
		kill -0 "$IPFS_PID" 2>/dev/null || die "the IPFS daemon exited; log: $dir/daemon.log"
		curl -sf -X POST "http://127.0.0.1:$port/api/v0/version" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	stop_pids "$IPFS_PID"
	die "the IPFS daemon did not answer on port $port; log: $dir/daemon.log"
}
