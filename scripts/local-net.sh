#!/usr/bin/env bash
# A 4-validator Custodia test net (Alice, Bob, Charlie, Dave) on loopback.
#
# Usage: local-net.sh start [NAME...]   start all validators, or only the named ones
#        local-net.sh stop [NAME...]    stop all validators, or only the named ones
#        local-net.sh status            one line per validator; exits 1 when a validator is
#                                       down or finality is stuck
#
# Each validator i (alice=0 … dave=3) listens on loopback only:
#   p2p  CUSTODIA_NET_P2P_BASE+i (default 30333)   JSON-RPC CUSTODIA_NET_RPC_BASE+i (default 9944)
#   Prometheus CUSTODIA_NET_PROM_BASE+i (default 9615)
# and keeps its database and log in CUSTODIA_NET_DIR/NAME (default .local-net/ in the checkout):
#   CUSTODIA_NET_DIR/NAME/node.log
# Finality counts as stuck when the finalized head lags the best head by more than
# CUSTODIA_NET_MAX_LAG blocks (default 8; GRANDPA normally trails by 1-3).
# CUSTODIA_NET_WORKER_ARGS (e.g. "--evaluator --aggregator --ipfs-api http://127.0.0.1:5001")
# runs each validator's worker with those roles, signing as the validator's own development
# account (--worker-dev-key //Alice …): the founding evaluators of the local chain spec.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NET_DIR="${CUSTODIA_NET_DIR:-$REPO_ROOT/.local-net}"
P2P_BASE="${CUSTODIA_NET_P2P_BASE:-30333}"
RPC_BASE="${CUSTODIA_NET_RPC_BASE:-9944}"
PROM_BASE="${CUSTODIA_NET_PROM_BASE:-9615}"
MAX_LAG="${CUSTODIA_NET_MAX_LAG:-8}"
VALIDATORS=(alice bob charlie dave)
read -r -a WORKER_ARGS <<<"${CUSTODIA_NET_WORKER_ARGS:-}"

index_of() {
	local i
	for i in "${!VALIDATORS[@]}"; do [ "${VALIDATORS[$i]}" = "$1" ] && { echo "$i"; return; }; done
	die "unknown validator '$1' (expected one of: ${VALIDATORS[*]})"
}

# Fixed, public node keys (test net only) give every validator a known peer id, so each can
# name all the others as boot nodes and a restarted validator finds the net again. The local
# genesis names exactly these peer ids as its well-known nodes (pallet-node-authorization):
# a node with any other key is refused by every validator.
node_key() { printf '%064x' "$(($1 + 1))"; }
peer_id() {
	local cache="$NET_DIR/peer-id-$1"
	[ -s "$cache" ] || node_key "$1" | "$NODE_BIN" key inspect-node-key 2>/dev/null >"$cache"
	cat "$cache"
}

pid_file() { echo "$NET_DIR/$1/node.pid"; }
is_running() { local f; f=$(pid_file "$1"); [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

start_one() {
	local name="$1" i j boot=() worker=()
	i=$(index_of "$name")
	if [ ${#WORKER_ARGS[@]} -gt 0 ]; then
		worker=("${WORKER_ARGS[@]}" --worker-dev-key "//${name^}")
	fi
	if is_running "$name"; then say "$name is already running"; return; fi
	mkdir -p "$NET_DIR/$name"
	for j in "${!VALIDATORS[@]}"; do
		[ "$j" = "$i" ] || boot+=("/ip4/127.0.0.1/tcp/$((P2P_BASE + j))/p2p/$(peer_id "$j")")
	done
	"$NODE_BIN" --chain local --"$name" --validator \
		--base-path "$NET_DIR/$name" \
		--node-key "$(node_key "$i")" \
		--listen-addr "/ip4/127.0.0.1/tcp/$((P2P_BASE + i))" \
		--bootnodes "${boot[@]}" \
		--rpc-port "$((RPC_BASE + i))" \
		--prometheus-port "$((PROM_BASE + i))" \
		--no-mdns \
		"${worker[@]}" \
		>>"$NET_DIR/$name/node.log" 2>&1 &
	echo $! >"$(pid_file "$name")"
	say "started $name (pid $!, rpc $((RPC_BASE + i)), log $NET_DIR/$name/node.log)"
}

stop_one() {
	local name="$1" pid i
	index_of "$name" >/dev/null
	is_running "$name" || { rm -f "$(pid_file "$name")"; return; }
	pid=$(cat "$(pid_file "$name")")
	kill -INT "$pid"
	for ((i = 0; i < 60; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	kill -0 "$pid" 2>/dev/null && { say "$name did not stop within 30 s; killing it"; kill -KILL "$pid"; }
	rm -f "$(pid_file "$name")"
	say "stopped $name"
}

status() {
	local healthy=0 name i port best final peers
	printf '%-8s %-8s %6s %10s %6s\n' NAME STATE BEST FINALIZED PEERS
	for i in "${!VALIDATORS[@]}"; do
		name="${VALIDATORS[$i]}" port=$((RPC_BASE + i))
		if ! is_running "$name" || ! best=$(head_number "$port" best 2>/dev/null); then
			printf '%-8s %-8s\n' "$name" down; healthy=1; continue
		fi
		final=$(head_number "$port" finalized)
		peers=$(rpc "$port" system_health | python3 -c 'import json,sys; print(json.load(sys.stdin)["peers"])')
		if ((best - final > MAX_LAG)); then
			printf '%-8s %-8s %6s %10s %6s  finality stuck (lag %d > %d)\n' "$name" up "$best" "$final" "$peers" $((best - final)) "$MAX_LAG"
			healthy=1
		else
			printf '%-8s %-8s %6s %10s %6s\n' "$name" up "$best" "$final" "$peers"
		fi
	done
	return $healthy
}

command="${1:-}"
[ $# -gt 0 ] && shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${VALIDATORS[@]}")
case "$command" in
	start)
		[ -x "$NODE_BIN" ] || build_node
		mkdir -p "$NET_DIR"
		for name in "${names[@]}"; do start_one "$name"; done
		;;
	stop) for name in "${names[@]}"; do stop_one "$name"; done ;;
	status) status ;;
	*) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
