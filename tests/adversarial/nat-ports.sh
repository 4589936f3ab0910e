#!/usr/bin/env bash
# Defect 2 of the "Hold under attack" issue: NAT ports and flow-table state
# under a spoofed SYN flood (doc/dataplane.md, "NAT source ports" and "Flow
# table").
#
# The NAT range is cut to 512 ports (nat: ports: 40000-40511) and the flow
# table to 2048 entries, so a few thousand SYNs reproduce in seconds what
# 70,000 did against the demo. The client namespace sends SYNs from random
# sources in 198.19.0.0/16, which the router routes back to it: the
# backends' SYN-ACKs come back through the data plane (NAT) or go straight
# to the client (DSR), where nobody answers.
#
#  A. 1,300 spoofed SYNs to the NAT VIP 198.18.10.2:80 (more than both IPv4
#     NAT addresses hold): the NAT VIPs (IPv4 and IPv6) and a brokered NAT
#     hand-off answer legitimate clients during and after the flood; the
#     flood's flows stay embryonic and give their ports back
#     (nat_port_exhausted, nat_port_reclaimed), /sg/nat shows the ports.
#  B. An established connection to a WRR DSR VIP, idle while 3,000 spoofed
#     SYNs to the same VIP overflow the flow table: the table evicts the
#     embryonic flows (flow_table_full, flow_evicted_embryonic), the
#     established connection completes its request afterwards. The NAT
#     ports freed by those evictions are half-open at the members (A's
#     SYNs): a member's SYN-ACK from such a connection is dropped and the
#     member reset (drop_nat_stale_synack, nat_stale_rst), so the NAT VIP
#     answers new clients at once (before that, 5 runs of 21 under load
#     timed out there).
. "$(dirname "$0")/lib.sh"
. "$SG_SRC/scripts/lib/brokered.sh"
for b in "$SG_CTL_BIN" "$SG_SGCTL_BIN" "$SG_AGENT_BIN"; do
	[ -x "$b" ] || fail "missing $b (build control/ and hostagent/)"
done
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 20 "$SG_RUN/control.log" "$SG_RUN/agent.log" >&2; broker_stop'

WRR_VIP=198.18.10.5
topo_up
broker_vm_addrs || fail "host3 and the VM addresses"
backends_start
# the WRR DSR VIP is local on both hosts (decapsulated packets are delivered)
for h in 1 2; do ip -n "$(topo_ns "h$h")" addr add "$WRR_VIP/32" dev lo; done
# spoofed sources: routed back to the client namespace, which does not forward
ip -n "$(topo_ns r)" route add 198.19.0.0/16 via 198.18.0.2
make_config -e 's/^  ports: 1024-65535/  ports: 40000-40511/' \
	-e 's/^  flow_table_size: 65536/  flow_table_size: 2048/'
grep -q "ports: 40000-40511" "$SG_RUN/sg.yaml" || fail "demo.yaml: the NAT range line changed"
grep -q "flow_table_size: 2048" "$SG_RUN/sg.yaml" || fail "demo.yaml: flow_table_size changed"
cat >>"$SG_RUN/sg.yaml" <<YAML
  - name: web-wrr-dsr
    vip: $WRR_VIP
    port: 80
    protocol: tcp
    mode: dsr
    scheduler: wrr
    pool: web
YAML
dp_start "$SG_RUN/sg.yaml"
broker_configs 500 600000 60
ctl_start || fail "sg-control did not start"
agent_start || fail "the host agents did not connect"

# stat0 NAME: a counter before an attack, "0" when /sg/stats lacks it (the
# check that it moved says so after the attack, whose effect comes first)
stat0() { dp_stat "$1" 2>/dev/null || echo 0; }

# brokered_nat: a new brokered session handed off to its VM through NAT
brokered_nat() {
	local out
	out=$(legit_http http://198.18.10.3/ -H "Host: app.example") || return 1
	case "$out" in host1 | host2) return 0 ;; *) return 1 ;; esac
}

# flood VIP COUNT SECONDS: spoofed SYNs from 198.19.0.0/16 to VIP:80, paced
# over about SECONDS; prints the number sent.
flood() {
	scapy_in c "$@" <<'PY'
import random, sys, time
from scapy.all import IP, TCP, conf
vip, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = conf.L3socket()
t0 = time.time()
for i in range(n):
    src = "198.19.%d.%d" % (random.randint(0, 255), random.randint(1, 254))
    s.send(IP(src=src, dst=vip) / TCP(sport=random.randint(1024, 65535), dport=80,
                                      flags="S", seq=random.getrandbits(32)))
    lag = t0 + secs * (i + 1) / n - time.time()
    if lag > 0:
        time.sleep(lag)
print(n)
PY
}

assert_served "before the flood"
brokered_nat || fail "brokered NAT hand-off unanswered before the flood"
ok "DSR, NAT (IPv4, IPv6) and brokered NAT VIPs answer before the flood"

# --- A: NAT port exhaustion ---------------------------------------------------
ex0=$(stat0 nat_port_exhausted)
rc0=$(stat0 nat_port_reclaimed)
flood 198.18.10.2 1300 6 >"$SG_RUN/floodA.out" 2>&1 &
fpid=$!
sleep 3 # past the capacity of the range: the flood is reclaiming now
legit_http http://198.18.10.2/ >/dev/null || fail "during the NAT flood: NAT VIP 198.18.10.2 unanswered"
legit_http "http://[2001:2:0:10::2]/" >/dev/null ||
	fail "during the NAT flood: NAT VIP 2001:2:0:10::2 unanswered"
brokered_nat || fail "during the NAT flood: brokered NAT hand-off unanswered"
ok "NAT VIPs (IPv4, IPv6) and a brokered NAT hand-off answered during the flood"
wait "$fpid" || fail "the NAT flood failed: $(cat "$SG_RUN/floodA.out")"
assert_served "after the NAT flood"
brokered_nat || { dp_telemetry /sg/stats; dp_telemetry /sg/nat; fail "brokered NAT hand-off unanswered after the NAT flood"; }
ok "DSR, NAT (IPv4, IPv6) and brokered NAT VIPs answer after 1,300 spoofed SYNs"
ex1=$(dp_stat nat_port_exhausted) || fail "no counter nat_port_exhausted in /sg/stats"
rc1=$(dp_stat nat_port_reclaimed) || fail "no counter nat_port_reclaimed in /sg/stats"
[ "$ex1" -gt "$ex0" ] || fail "nat_port_exhausted did not move ($ex0 -> $ex1)"
[ "$rc1" -gt "$rc0" ] || fail "nat_port_reclaimed did not move ($rc0 -> $rc1)"
ok "nat_port_exhausted $ex0 -> $ex1, nat_port_reclaimed $rc0 -> $rc1"
# /sg/nat: per NAT address, free and used ports; both IPv4 pools hold 512
nat=$(dp_telemetry /sg/nat)
echo "$nat"
python3 - "$nat" <<'PY' || fail "/sg/nat does not show two full IPv4 pools of 512 ports"
import json, sys
d = {v["name"]: v for v in json.loads(sys.argv[1])["/sg/nat"].values()}
for a in ("198.18.1.100", "198.18.1.101"):
    p = d[a]
    assert p["free"] + p["used"] == 512, p
    assert p["used"] > 400, p
assert d["2001:2:0:1::100"]["free"] > 500, d
PY
ok "/sg/nat shows the ports of each NAT address"

# --- B: eviction prefers embryonic flows ------------------------------------
client "$SG_PY" - "$WRR_VIP" "$SG_RUN/go" >"$SG_RUN/held.out" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=5)
s.sendall(b"GET / HTTP/1.0\r\n")  # established, the request not finished
deadline = time.time() + 60
while not os.path.exists(sys.argv[2]) and time.time() < deadline:
    time.sleep(0.1)
s.sendall(b"Host: wrr.example\r\n\r\n")
s.settimeout(5)
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
print(data.decode(errors="replace").split("\r\n")[0])
PY
hpid=$!
n=0
for _ in $(seq 1 50); do
	n=$(telemetry_get /sg/vs "d['web_wrr_dsr']['active_flows']")
	[ "$n" -ge 1 ] && break
	sleep 0.1
done
[ "$n" -ge 1 ] || fail "the held connection to $WRR_VIP made no flow"
sleep 0.5 # its ACK and first bytes are through: established
ft0=$(stat0 flow_table_full)
em0=$(stat0 flow_evicted_embryonic)
es0=$(stat0 flow_evicted_established)
flood "$WRR_VIP" 3000 8 >"$SG_RUN/floodB.out" 2>&1 &
fpid=$!
sleep 5
legit_http "http://$WRR_VIP/" >/dev/null || fail "during the DSR flood: WRR DSR VIP unanswered"
ok "WRR DSR VIP answered a new client during the flood"
wait "$fpid" || fail "the DSR flood failed: $(cat "$SG_RUN/floodB.out")"
touch "$SG_RUN/go"
wait "$hpid" || fail "the established WRR connection broke: $(cat "$SG_RUN/held.out")"
grep -q "^HTTP/1.[01] 200" "$SG_RUN/held.out" ||
	fail "the established WRR connection got no answer: $(cat "$SG_RUN/held.out")"
ok "the established WRR DSR connection outlived the flood ($(head -c 40 "$SG_RUN/held.out"))"
ft1=$(dp_stat flow_table_full) || fail "no counter flow_table_full in /sg/stats"
em1=$(dp_stat flow_evicted_embryonic) || fail "no counter flow_evicted_embryonic in /sg/stats"
es1=$(dp_stat flow_evicted_established) || fail "no counter flow_evicted_established in /sg/stats"
[ "$ft1" -gt "$ft0" ] || fail "flow_table_full did not move ($ft0 -> $ft1)"
[ "$em1" -gt "$em0" ] || fail "flow_evicted_embryonic did not move ($em0 -> $em1)"
[ "$es1" -eq "$es0" ] || fail "established flows were evicted ($es0 -> $es1)"
ok "flow_table_full $ft0 -> $ft1, flow_evicted_embryonic $em0 -> $em1, established kept"
assert_served "after the DSR flood"
# the NAT ports the DSR flood's evictions freed are half-open at the members
# (the NAT flood's spoofed SYNs): a member's SYN-ACK from such a connection
# is dropped and the member reset, never passed to the client
st=$(dp_stat nat_stale_rst) || fail "no counter nat_stale_rst in /sg/stats"
sd=$(dp_stat drop_nat_stale_synack) || fail "no counter drop_nat_stale_synack in /sg/stats"
[ "$st" -eq "$sd" ] || fail "stale SYN-ACKs dropped $sd, members reset $st: one RST each"
ok "stale member connections on reused NAT ports: $sd SYN-ACKs dropped, $st members reset"
brokered_nat || fail "brokered NAT hand-off unanswered after the DSR flood"
dp_alive || fail "sg-dataplane is gone"
ok "every VIP answers after both floods, no crash"
echo "PASS nat-ports"
