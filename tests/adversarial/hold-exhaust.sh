#!/usr/bin/env bash
# Defect 1 (pool exhaustion from one client): one remote client opens 1,000
# connections to the http_host-keyed brokered VS (no sg-control: every
# session stays held) and trickles 15 one-byte segments on each
# (TCP_NODELAY); a spoofed-source flood of datagrams to a brokered UDP VS
# runs beside it. Held segments pin mbufs: without per-worker mbuf budgets,
# a pool reserve and per-source-prefix limits, the pool empties and every
# port stops receiving (ARP included). Asserts: the DSR and NAT VIPs answer
# DURING the attack and after it, the prefix / rate counters moved, no crash.
. "$(dirname "$0")/lib.sh"

topo_up
backends_start || fail "backends"
make_config
cat >>"$SG_RUN/sg.yaml" <<'YAML'
  - { name: adv-udp, vip: 198.18.10.3, port: 5353, protocol: udp, mode: brokered, pool: web,
      brokered: { hold_timeout_ms: 20000 } }
YAML
dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
assert_served "before the attack"

# The trickling client: 1,000 connections, 15 one-byte segments each, then
# the sockets stay open (held) until the script is told to stop.
cat >"$SG_RUN/trickle.py" <<'PY'
import socket, sys, time, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
N, SEGS = 1000, 15
socks = []
t_end = time.time() + 40
for i in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(2)
    try:
        s.connect(("198.18.10.3", 80))
    except OSError:
        s.close()
        continue
    s.setblocking(False)
    socks.append(s)
    if time.time() > t_end:
        break
payload = b"GET / HTTP/1.1\r"  # 15 bytes, never a complete header: the key waits
for k in range(SEGS):
    for s in socks:
        try:
            s.send(payload[k:k + 1])
        except OSError:
            pass
    time.sleep(0.05)
print("trickle: %d connections, %d segments each" % (len(socks), SEGS), flush=True)
open(sys.argv[1], "w").close()
time.sleep(float(sys.argv[2]))
PY
client timeout 90 "$SG_PY" "$SG_RUN/trickle.py" "$SG_RUN/trickled" 12 >"$SG_RUN/trickle.log" 2>&1 &
trickle_pid=$!

# The spoofed UDP flood: 2 /24s x 250 sources x 6 datagrams = 3,000 packets.
scapy_in c <<'PY' >"$SG_RUN/udpflood.log" 2>&1 || fail "UDP flood: $(cat "$SG_RUN/udpflood.log")"
from scapy.all import IP, UDP, Raw, conf, send
conf.verb = 0
pkts = [IP(src="198.18.%d.%d" % (p, h), dst="198.18.10.3") / UDP(sport=40000 + h, dport=5353) /
        Raw(b"x" * 8) for p in (64, 65) for h in range(2, 252)]
send(pkts * 6, inter=0)
print("udp flood sent %d" % (len(pkts) * 6))
PY

wait_for 60 test -e "$SG_RUN/trickled" || fail "the trickling client did not finish: $(cat "$SG_RUN/trickle.log")"
cat "$SG_RUN/trickle.log"
held=$(dp_stat held)
echo "held segments so far: $held"
# DURING: the sessions are held (hold timeout 20 s) and the client keeps them open.
assert_served "during the attack"
ok "DSR and NAT VIPs answered during the attack"
wait "$trickle_pid" || true

refused=$(telemetry_get /sg/stats "d['hold_refused_prefix'] + d['session_new_ratelimited']")
budget=$(dp_stat hold_refused_budget)
echo "hold_refused_prefix+session_new_ratelimited=$refused hold_refused_budget=$budget"
[ "$refused" -gt 0 ] || fail "no held session was refused by source prefix or SESSION_NEW rate"
[ "$budget" -gt 0 ] || fail "no held segment was refused by the worker's mbuf budget"
assert_served "after the attack"
dp_alive || fail "sg-dataplane is gone"
ok "hold exhaustion refused (prefix/rate $refused, budget $budget), VIPs served"
