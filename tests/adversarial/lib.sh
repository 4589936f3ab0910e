# shellcheck shell=bash
# Harness of the adversarial tests (tests/adversarial/README.md): the
# data-plane integration harness (private namespaces sgdp<PID>-*, cleanup in
# a trap, loud failures) plus an attacker's tools.
#
# Where the attacker sits in the topology of scripts/lib/topology.sh:
#  - remote: the client namespace (c), behind the router; spoofs any source
#    routed to it by using raw sockets (scapy);
#  - LAN: a host namespace (h2) on the data plane's inside bridge, able to
#    send ARP, ND and any IPv4/IPv6 frame to the data plane's MAC.
. "$SG_SRC/tests/integration/dataplane/lib.sh"

SG_PY=/usr/bin/python3 # Debian's python3, where python3-scapy lives
"$SG_PY" -c 'import scapy' 2>/dev/null || fail "python3-scapy is missing (scripts/install-deps.sh)"

# scapy_in NS [ARGS...]: run the python (scapy) script on stdin in namespace
# NS ("c", "h1", "h2", "r", ...), bounded to 120 s.
scapy_in() {
	local ns=$1
	shift
	ip netns exec "$(topo_ns "$ns")" timeout 120 "$SG_PY" - "$@"
}

# dp_stat NAME: one counter of /sg/stats (summed over workers).
dp_stat() { telemetry_get /sg/stats "d['$1']"; }

# dp_alive: the data plane process still runs (no crash).
dp_alive() {
	local pid
	pid=$(cat "$SG_RUN/dataplane.pid" 2>/dev/null) || return 1
	kill -0 "$pid" 2>/dev/null
}

# legit_http URL [CURL-ARGS...]: a legitimate client's request succeeds
# (fresh connection, 10 s at most); prints the backend's answer.
legit_http() {
	local url=$1
	shift
	client curl -s --fail --max-time 10 "$@" "$url"
}

# assert_served WHAT: the demo's DSR and NAT VIPs (IPv4 and IPv6) still answer
# a new legitimate connection, and the data plane is alive.
assert_served() {
	dp_alive || fail "$1: sg-dataplane is gone"
	legit_http "http://$SG_VIP4/" >/dev/null || fail "$1: DSR VIP $SG_VIP4 unanswered"
	legit_http "http://198.18.10.2/" >/dev/null || fail "$1: NAT VIP 198.18.10.2 unanswered"
	legit_http "http://[2001:2:0:10::2]/" >/dev/null || fail "$1: NAT VIP 2001:2:0:10::2 unanswered"
}

# during_flood PID WHAT: the demo's VIPs are served while the flood PID runs
# (its output in $SG_RUN/flood.log), then the flood itself succeeded.
during_flood() {
	sleep 0.5
	assert_served "during $2"
	ok "DSR and NAT VIPs served during $2"
	wait "$1" || fail "$2 failed: $(cat "$SG_RUN/flood.log")"
}
