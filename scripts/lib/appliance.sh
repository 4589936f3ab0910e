# shellcheck shell=bash
# Start and stop sg-dataplane inside the topology of topology.sh.
# Needs: SG_TOPO, SG_BUILD (meson build dir), SG_RUN (run dir for logs).

# dp_start CONFIG: start sg-dataplane in $SG_TOPO-d, wait until it is ready.
dp_start() {
	local cfg=$1 ready="$SG_RUN/dataplane.ready"
	rm -f "$ready"
	setsid ip netns exec "$(topo_ns d)" "$SG_BUILD/dataplane/sg-dataplane" -c "$cfg" \
		--ready-file "$ready" >"$SG_RUN/dataplane.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/dataplane.pid"
	if ! wait_for 30 test -s "$ready"; then
		echo "sg-dataplane did not become ready; its log:" >&2
		cat "$SG_RUN/dataplane.log" >&2
		return 1
	fi
	dp_warmup
}

# Let the data plane learn its neighbours (ARP/ND) before traffic starts.
dp_warmup() {
	local h
	for h in 1 2; do
		wait_for 10 ip netns exec "$(topo_ns "h$h")" ping -c1 -W1 198.18.1.2 ||
			{ echo "host h$h cannot reach the data plane (198.18.1.2)" >&2; return 1; }
		ip netns exec "$(topo_ns "h$h")" ping -6 -c1 -W1 2001:2:0:1::2 >/dev/null 2>&1 || true
	done
	wait_for 10 ip netns exec "$(topo_ns r)" ping -c1 -W1 198.18.2.2 ||
		{ echo "the router cannot reach the data plane (198.18.2.2)" >&2; return 1; }
	ip netns exec "$(topo_ns r)" ping -6 -c1 -W1 2001:2:0:2::2 >/dev/null 2>&1 || true
}

dp_stop() {
	local pid
	pid=$(cat "$SG_RUN/dataplane.pid" 2>/dev/null) || return 0
	kill -INT "$pid" 2>/dev/null || return 0
	wait_for 10 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	rm -f "$SG_RUN/dataplane.pid"
}

# dp_telemetry COMMAND: one JSON line from the data plane's telemetry socket.
dp_telemetry() {
	python3 "$SG_SRC/scripts/sg-telemetry.py" "$SG_PREFIX" "$@"
}

# backends_start: HTTP on :80 (v4+v6) and UDP on :5353 (VIP for DSR, own
# address for NAT) in both hosts; DSR decapsulation on both.
backends_start() {
	local h ns
	for h in 1 2; do
		ns=$(topo_ns "h$h")
		topo_host_dsr "$h" "$SG_BUILD/scripts/sg-host-decap.bpf.o"
		setsid ip netns exec "$ns" python3 "$SG_SRC/scripts/lib/backend.py" --name "host$h" \
			--http 0.0.0.0:80 --http "[::]:80" --udp "$SG_VIP4:5353" \
			--udp "198.18.1.1$h:5353" >"$SG_RUN/backend$h.log" 2>&1 </dev/null &
	done
	for h in 1 2; do
		wait_for 15 grep -q "^backend host$h: serving" "$SG_RUN/backend$h.log" ||
			{ echo "backend host$h did not start" >&2; cat "$SG_RUN/backend$h.log" >&2; return 1; }
	done
}
