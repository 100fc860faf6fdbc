#!/usr/bin/env bash
# The main job: set up, build, and run a Custodia development chain until Ctrl-C.
#
# Options (environment):
#   CUSTODIA_RPC_PORT  JSON-RPC port (default 9944)
#   CUSTODIA_LOG_DIR   where the node's log goes (default .local-net/ in the checkout)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_ROOT/scripts/setup.sh"
build_node

rpc_port="${CUSTODIA_RPC_PORT:-9944}"
log_dir="${CUSTODIA_LOG_DIR:-$REPO_ROOT/.local-net}"
mkdir -p "$log_dir"
log_file="$log_dir/dev-node.log"

say "Starting a development chain (Alice is the only validator; state is temporary)"
"$NODE_BIN" --dev --tmp --rpc-port "$rpc_port" --prometheus-port 9615 \
	>"$log_file" 2>&1 &
node_pid=$!
trap 'say "Stopping the node"; kill -INT "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; exit 0' INT TERM

wait_for_rpc "$rpc_port" 120 || { tail -n 30 "$log_file" >&2; die "the node did not start; full log: $log_file"; }
url="ws://127.0.0.1:$rpc_port"
cat <<INFO

  Custodia dev chain is running.
    JSON-RPC (WebSocket and HTTP): $url
    Prometheus metrics:            http://127.0.0.1:9615/metrics
    Node log:                      $log_file
    polkadot.js Apps:              https://polkadot.js.org/apps/?rpc=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$url")#/explorer
                                   (or open Apps, choose "Development > Local Node" and $url)
  Press Ctrl-C to stop.

INFO

# One line per finalized block, so the terminal shows the chain is alive.
last=-1
while kill -0 "$node_pid" 2>/dev/null; do
	best=$(head_number "$rpc_port" best 2>/dev/null || echo "?")
	final=$(head_number "$rpc_port" finalized 2>/dev/null || echo "?")
	if [ "$final" != "$last" ]; then say "best block #$best, finalized #$final"; last="$final"; fi
	sleep 3
done
wait "$node_pid"
