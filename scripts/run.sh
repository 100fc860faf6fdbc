#!/usr/bin/env bash
# The main job: set up, build, start an IPFS daemon and a Custodia development chain (or, with
# --net, the 4-validator local net) whose nodes run the worker (data steward, evaluator,
# statistics aggregator), tell the whole story with the `custodia`
# client (scripts/story.sh: an institution joins, a wearable records, consent, a vault read and
# expired, an encrypted prediction, a cohort statistic), serve the consent app and the public
# statistics portal (ui/), then keep it all running until Ctrl-C.
#
# Usage: scripts/run.sh [--net] [--once] [--no-story]
#   --net       the 4-validator local net (scripts/local-net.sh; governance by council motion)
#               instead of the dev chain
#   --once      stop everything after the story (what the test suite runs)
#   --no-story  only start the chain, IPFS and the consent app
# Environment:
#   CUSTODIA_RPC_PORT         JSON-RPC port (default 9944; with --net, Alice's, then +1 … +3)
#   CUSTODIA_P2P_PORT         p2p port (default 30333; with --net, +1 … +3 for the others)
#   CUSTODIA_PROMETHEUS_PORT  metrics port (default 9615; with --net, +1 … +3 for the others)
#   CUSTODIA_IPFS_PORT        the IPFS daemon's RPC API port (default 15001)
#   CUSTODIA_UI_PORT          the consent app's port (default 8080)
#   CUSTODIA_STATE_DIR        logs, the story's key files and the IPFS repository (default
#                             .local-net/story in the checkout; emptied at start)
#   CUSTODIA_STORY_LOG        the story's step log, one JSON object per step (default
#                             $CUSTODIA_STATE_DIR/story.jsonl; README.md, "The story's step log")
#   CUSTODIA_PEOPLE, CUSTODIA_DATA_DIR: see scripts/story.sh
set -euo pipefail
shopt -s inherit_errexit
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

once="" story=1 net=""
for arg in "$@"; do
	case "$arg" in
		--net) net=1 ;;
		--once) once=1 ;;
		--no-story) story="" ;;
		-h | --help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option '$arg' (see --help)" ;;
	esac
done

"$REPO_ROOT/scripts/setup.sh"
build_node
build_ui

rpc_port="${CUSTODIA_RPC_PORT:-9944}"
p2p_port="${CUSTODIA_P2P_PORT:-30333}"
prometheus_port="${CUSTODIA_PROMETHEUS_PORT:-9615}"
ipfs_port="${CUSTODIA_IPFS_PORT:-15001}"
ui_port="${CUSTODIA_UI_PORT:-8080}"
state="${CUSTODIA_STATE_DIR:-$REPO_ROOT/.local-net/story}"
# The folder is emptied: only when it is one of ours (or new/empty), never an arbitrary path.
if [ -e "$state" ] && [ -n "$(ls -A "$state" 2>/dev/null)" ] && [ ! -e "$state/.custodia-state" ]; then
	die "$state is not empty and not a Custodia state folder; choose another CUSTODIA_STATE_DIR"
fi
rm -rf "$state"
mkdir -p "$state"
touch "$state/.custodia-state"
ports=("$ipfs_port" "$ui_port")
nodes=2
[ -z "$net" ] || nodes=4
for ((i = 0; i < nodes; i++)); do ports+=($((rpc_port + i)) $((p2p_port + i)) $((prometheus_port + i))); done
ensure_ports_free "${ports[@]}"

pids=()
net_env=(CUSTODIA_NET_DIR="$state/net" CUSTODIA_NET_RPC_BASE="$rpc_port" CUSTODIA_NET_P2P_BASE="$p2p_port"
	CUSTODIA_NET_PROM_BASE="$prometheus_port")
stop_all() {
	[ -z "$net" ] || env "${net_env[@]}" "$REPO_ROOT/scripts/local-net.sh" stop >/dev/null 2>&1 || true
	[ ${#pids[@]} -eq 0 ] || stop_pids "${pids[@]}"
	pids=()
}
trap 'say "Stopping the chain, IPFS and the consent app"; stop_all; exit 130' INT
trap 'say "Stopping the chain, IPFS and the consent app"; stop_all; exit 143' TERM
trap 'stop_all' EXIT

say "Starting an IPFS daemon (js-ipfs, offline, loopback port $ipfs_port)"
start_ipfs "$state/ipfs" "$ipfs_port"
pids+=("$IPFS_PID")
ipfs_api="http://127.0.0.1:$ipfs_port"
worker_roles="--steward --evaluator --aggregator --ipfs-api $ipfs_api"

if [ -n "$net" ]; then
	say "Starting the 4-validator local net (each validator's worker pins, evaluates and aggregates statistics)"
	env "${net_env[@]}" CUSTODIA_NET_WORKER_ARGS="$worker_roles" "$REPO_ROOT/scripts/local-net.sh" start
	node_log="$state/net/alice/node.log"
	node_alive() { kill -0 "$(cat "$state/net/alice/node.pid" 2>/dev/null)" 2>/dev/null; }
else
	say "Starting a development chain (Alice validates; her node's worker pins, evaluates and aggregates statistics) and Bob's node (the second statistics aggregator)"
	# Fixed, public node keys (development only) so that Bob's node can name Alice's as its boot node.
	alice_key=$(printf '%064x' 1)
	alice_peer=$("$NODE_BIN" key inspect-node-key <<<"$alice_key")
	# shellcheck disable=SC2086 # one word per worker flag
	"$NODE_BIN" --dev --tmp --node-key "$alice_key" --no-mdns --rpc-port "$rpc_port" --port "$p2p_port" \
		--prometheus-port "$prometheus_port" $worker_roles --worker-dev-key //Alice >"$state/dev-node.log" 2>&1 &
	pids+=("$!")
	"$NODE_BIN" --chain dev --tmp --node-key "$(printf '%064x' 2)" --no-mdns --rpc-port $((rpc_port + 1)) \
		--port $((p2p_port + 1)) --prometheus-port $((prometheus_port + 1)) \
		--bootnodes "/ip4/127.0.0.1/tcp/$p2p_port/p2p/$alice_peer" \
		--aggregator --ipfs-api "$ipfs_api" --worker-dev-key //Bob >"$state/bob-node.log" 2>&1 &
	pids+=("$!")
	node_log="$state/dev-node.log"
	node_alive() { kill -0 "${pids[1]}" 2>/dev/null; }
fi
wait_for_rpc "$rpc_port" 120 || { tail -n 30 "$node_log" >&2; die "the node did not start; full log: $node_log"; }
url="ws://127.0.0.1:$rpc_port"
app="http://127.0.0.1:$ui_port"
say "Serving the consent app and the statistics portal on $app"
start_ui "$ui_port" "$url" "$ipfs_api" "$state/ui.log"
pids+=("$UI_PID")

if [ -n "$story" ]; then
	say "Telling the story with the custodia client ($CARGO_TARGET_DIR/debug/custodia)"
	started=$SECONDS
	"$REPO_ROOT/scripts/story.sh" ${net:+--net} "$url" "$ipfs_api" "$state" || die "the story stopped; node log: $node_log"
	say "The story is told ($((SECONDS - started)) s)."
fi
[ -z "$once" ] || exit 0

chain_name="dev chain"
[ -z "$net" ] || chain_name="4-validator local net (its validators' logs: $state/net/*/node.log)"
apps="https://polkadot.js.org/apps/?rpc=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$url")#/explorer"
cat <<INFO

  Custodia $chain_name is running.
    JSON-RPC (WebSocket and HTTP): $url
    Consent app:                   $app/
    Statistics portal:             $app/portal.html
    polkadot.js Apps:              $apps
                                   (or open Apps, choose "Development > Local Node" and $url)
    Prometheus metrics:            http://127.0.0.1:$prometheus_port/metrics
    IPFS RPC API:                  $ipfs_api
    Node log:                      $node_log
    The story's step log:          ${CUSTODIA_STORY_LOG:-$state/story.jsonl}
    The story's identities:        CUSTODIA_KEYS_DIR=$state/keys CUSTODIA_PASSPHRASE="custodia demo passphrase"
                                   e.g. $CARGO_TARGET_DIR/debug/custodia status
  Press Ctrl-C to stop.

INFO

# One line per finalized block, so the terminal shows the chain is alive.
last=-1
while node_alive; do
	best=$(head_number "$rpc_port" best 2>/dev/null || echo "?")
	final=$(head_number "$rpc_port" finalized 2>/dev/null || echo "?")
	if [ "$final" != "$last" ]; then say "best block #$best, finalized #$final"; last="$final"; fi
	sleep 3
done
