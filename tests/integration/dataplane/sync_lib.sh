# shellcheck shell=bash
# Helpers of the state-sync tests (sync.sh, tests/adversarial/sync-forgery.sh),
# sourced after lib.sh: the sync link, the shared key, the cluster block of
# the configuration, a stand-in peer (syncpeer.py) and /sg/cluster reads.
#
#   data plane ns ($P-d)  sy 198.18.3.1/24 ---- sy 198.18.3.2/24, .3  peer ns ($P-NAME)
#
# The peer's namespace is a stand-in (syncpeer.py, NAME "s") or a second
# data plane (sync.sh, NAME "b").
SYNC_KEY="$SG_RUN/sync.key"
SYNC_PY=/usr/bin/python3
SYNC_PEER="$SG_SRC/tests/integration/dataplane/syncpeer.py"

_sync_ns_down() {
	local ns=$1 pids
	ip netns list | grep -qw "$ns" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null || true)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
}

# sync_link NAME: the peer's namespace $P-NAME and the sync veth; the shared key.
sync_link() {
	local S
	S=$(topo_ns "$1")
	SG_CLEANUP_EXTRA="_sync_ns_down $S; ${SG_CLEANUP_EXTRA:-}"
	ip netns add "$S"
	ip -n "$S" link set lo up
	ip link add sy netns "$(topo_ns d)" type veth peer name sy netns "$S"
	ip -n "$(topo_ns d)" addr add 198.18.3.1/24 dev sy
	ip -n "$S" addr add 198.18.3.2/24 dev sy
	ip -n "$S" addr add 198.18.3.3/24 dev sy
	ip -n "$(topo_ns d)" link set sy up
	ip -n "$S" link set sy up
	head -c 32 /dev/urandom >"$SYNC_KEY"
	chmod 600 "$SYNC_KEY"
}

# sync_cfg_line NODE LISTEN PEER [EXTRA-SYNC-KEYS]: a sed expression adding
# appliance.cluster (node NODE, sync on LISTEN, one peer "peer" at PEER) to
# a configuration file.
sync_cfg_line() {
	local extra=${4:+, $4}
	echo "/^appliance:/a\\  cluster: { node_id: $1, name: node$1, sync: { enabled: true, listen: $2, key_file: $SYNC_KEY, peers: [ { name: peer, address: $3 } ], queue: 4096$extra } }"
}

# syncpeer [--bind A:P] CMD ...: the stand-in peer (node 2) in its namespace;
# its boot and sequence carry over between calls ($SG_RUN/peer.state).
syncpeer() {
	local bind=198.18.3.2:7450
	if [ "$1" = --bind ]; then
		bind=$2
		shift 2
	fi
	ip netns exec "$(topo_ns s)" timeout 60 "$SYNC_PY" "$SYNC_PEER" --key "$SYNC_KEY" \
		--bind "$bind" --to 198.18.3.1:7450 --state "$SG_RUN/peer.state" "$@"
}

# cluster_get PYTHON-EXPR: EXPR on /sg/cluster (as d); sync_get KEY: d['sync'][KEY].
cluster_get() { telemetry_get /sg/cluster "$1"; }
sync_get() { cluster_get "d['sync']['$1']"; }
peer_get() { cluster_get "d['peer/peer']['$1']"; }

# sync_snap FILE: the sync dict of /sg/cluster, as JSON, into FILE.
sync_snap() { dp_telemetry /sg/cluster | "$SYNC_PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["/sg/cluster"]["sync"]))' >"$1"; }

# sync_delta BEFORE AFTER KEY=N...: each sync counter KEY moved by exactly N
# between the snapshots (prints the mismatches; fails if any).
sync_delta() {
	"$SYNC_PY" - "$@" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
bad = [f"{k}: {a[k]} -> {b[k]}, expected +{n}" for k, n in
       (x.split("=") for x in sys.argv[3:]) if b[k] - a[k] != int(n)]
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}

# wait_val SECS OP VALUE COMMAND...: poll until COMMAND's output compares to
# VALUE with test's OP (=, -ge, ...); COMMAND runs again on each try.
wait_val() {
	local deadline=$(($(date +%s) + $1)) op=$2 want=$3 v
	shift 3
	while :; do
		v=$("$@" 2>/dev/null || true)
		[ -n "$v" ] && test "$v" "$op" "$want" && return 0
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}
