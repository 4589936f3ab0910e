# shellcheck shell=bash
# Shared by the agent-link attack tests (agent-slots.sh, agent-impersonate.sh):
# sg-control and both host agents of scripts/lib/brokered.sh, without the
# data plane (the agent port is all these tests attack), and readers of
# sg-control's metrics and status.
. "$SG_SRC/scripts/lib/brokered.sh"
for b in "$SG_CTL_BIN" "$SG_SGCTL_BIN" "$SG_AGENT_BIN"; do
	[ -x "$b" ] || fail "missing $b (build control/ and hostagent/)"
done
# shellcheck disable=SC2034,SC2016 # read by the harness's cleanup (eval)
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/control.log" "$SG_RUN/agent.log" "$SG_RUN/agent3.log" >&2; broker_stop'

# agent_setup: namespaces, control and both agents up (agents_connected 2).
agent_setup() {
	topo_up
	broker_vm_addrs || fail "host3"
	broker_configs 500 600000 || fail "configs"
	SG_APORT=$(sed -n 's/^  agent_listen: .*:\([0-9]*\)$/\1/p' "$SG_RUN/control.yaml")
	SG_MPORT=$((SG_APORT + 1))
	ctl_start || fail "sg-control did not start"
	agent_start || fail "the host agents did not connect"
}

# ctl_metric NAME: one counter of sg-control's metrics (0 when absent).
ctl_metric() {
	ip netns exec "$(topo_ns r)" curl -s --max-time 5 "http://127.0.0.1:$SG_MPORT/metrics" |
		awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}

# agents_connected: sg-control's count of authenticated agents.
agents_connected() {
	sgctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["agents_connected"])'
}

# agents_are N: exactly N agents are authenticated.
agents_are() { [ "$(agents_connected)" = "$1" ]; }

# ctl_alive: sg-control still runs.
ctl_alive() { kill -0 "$(cat "$SG_RUN/control.pid")" 2>/dev/null; }

# agent3_restart: stop host h3's agent and start it again (a fresh handshake).
agent3_restart() {
	local pid
	pid=$(cat "$SG_RUN/agent3.pid")
	kill -TERM "$pid" 2>/dev/null || true
	wait_for 5 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
	setsid ip netns exec "$(topo_ns h3)" "$SG_AGENT_BIN" -c "$SG_RUN/agent3.yaml" \
		>>"$SG_RUN/agent3.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/agent3.pid"
}

# agent_admin SOCK LINE: a host agent's answer to one admin line (2 s at most).
agent_admin() {
	timeout 3 python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])  # blocking, as an operator's client: waits out a full backlog
s.settimeout(2)
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
PY
}

# agent_counter N NAME: a counter of the agent of host hN (its admin socket).
agent_counter() {
	agent_admin "$SG_RUN/agent$1.sock" counters | awk -v n="$2" '$1 == n { print $2 }'
}
