#!/usr/bin/env bash
# Defect 13: TCP options were read as if the whole header (data offset up to
# 15 words) lay in the packet's first segment; the parser checked 20 bytes.
# The remote client sends SYNs with data offset 15 and fewer header bytes than
# that (no options, 4, 20 bytes of options) to the brokered VIP (whose SYN
# cookies parse options) and to the NAT VIP, while a client keeps connecting.
# Defence: drop_tcp_doff (the multi-segment case is in tests/unit/dataplane
# test_dp_pkthard.c: a veth delivers one segment).
. "$(dirname "$0")/lib.sh"
setup_all

N=1500 # SYNs in the flood
before=$(dp_stat drop_tcp_doff)
cookies=$(dp_stat syncookie)

scapy_in c "$N" >"$SG_RUN/flood.log" 2>&1 <<'PY' &
import sys
from scapy.all import IP, TCP, send, conf
conf.verb = 0
n = int(sys.argv[1])
opts = ([], [("MSS", 1460)], [("MSS", 1460), ("SAckOK", b""), ("WScale", 7), ("NOP", None),
                              ("NOP", None), ("Timestamp", (1, 0))])
pk = []
for vip in ("198.18.10.3", "198.18.10.2"):
    for i, o in enumerate(opts):
        pk.append(IP(src="198.18.0.2", dst=vip) /
                  TCP(sport=20000 + i, dport=80, flags="S", dataofs=15, options=o))
sent = 0
while sent < n:
    chunk = pk[: min(len(pk), n - sent)]
    send(chunk)
    sent += len(chunk)
print("sent", sent)
PY
during_flood $! "the flood"

after=$(dp_stat drop_tcp_doff)
[ $((after - before)) -ge "$N" ] || fail "drop_tcp_doff moved by $((after - before)), want >= $N"
ok "drop_tcp_doff +$((after - before)) for $N SYNs"
[ "$(dp_stat syncookie)" -eq "$cookies" ] || fail "a cut SYN was answered with a cookie"
ok "no cut SYN answered"
assert_served "after the flood"
ok "served after the flood, sg-dataplane alive"
echo "PASS tcp-options"
