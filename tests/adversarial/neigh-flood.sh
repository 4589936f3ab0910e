#!/usr/bin/env bash
# Defect 4: the neighbour table (4,096 entries, never removed) was filled for
# good by attacker-chosen addresses: ARP requests from any on-link sender and
# any fe80::/10 advertisement created entries, and once full every new next
# hop failed. A LAN host (h2) floods ARP requests for the data plane's
# address from every on-link sender (distinct MACs) and unsolicited NAs for
# 10,000 distinct fe80:: addresses while a client keeps connecting; then a
# client on the LAN seen for the first time (a next hop the data plane must
# resolve itself: the NAT return to 198.18.1.50) is served. Defence:
# neigh_refused, drop_neigh_unsolicited, pinned gateways and members, LRU
# eviction (neigh_evicted, neigh_full).
. "$(dirname "$0")/lib.sh"
setup_all

N=10000 # advertisements (distinct fe80:: targets) and ARP requests each
H2=$(topo_ns h2)
mac=$(ip -n "$H2" neigh show 198.18.1.2 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") {print $(i + 1); exit}}')
[ -n "$mac" ] || fail "h2 has no ARP entry for the data plane"
# stat0 NAME: a counter of /sg/stats, 0 where this data plane lacks it
stat0() { telemetry_get /sg/stats "d.get('$1', 0)"; }
unsol=$(stat0 drop_neigh_unsolicited)
refused=$(stat0 neigh_refused)

# ARP senders 198.18.1.150-249: none of the LAN's real addresses (the hosts'
# ARP caches take the requests too, and must keep the NAT addresses' MAC)
scapy_in h2 "$mac" "$N" >"$SG_RUN/flood.log" 2>&1 <<'PY' &
import sys
from scapy.all import (ARP, Ether, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6, conf, sendp)
conf.verb = 0
mac, n = sys.argv[1], int(sys.argv[2])
s = conf.L2socket(iface="eth0")
for i in range(n):
    m = "02:5e:%02x:%02x:%02x:%02x" % (i >> 24 & 0xff, i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff)
    t = "fe80::5e:%x:%x" % (i >> 16, i & 0xffff)
    s.send(Ether(src=m, dst="33:33:00:00:00:01") /
           IPv6(src=t, dst="ff02::1", hlim=255) / ICMPv6ND_NA(tgt=t, R=0, S=0, O=1) /
           ICMPv6NDOptDstLLAddr(lladdr=m))
    s.send(Ether(src=m, dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc=m, psrc="198.18.1.%d" % (150 + i % 100), pdst="198.18.1.2"))
print("sent", 2 * n)
PY
during_flood $! "the flood"

# a LAN client seen for the first time, through the NAT VIP
ip -n "$H2" addr add 198.18.1.50/24 dev eth0
ip -n "$H2" route add 198.18.10.2/32 via 198.18.1.2 src 198.18.1.50
out=$(ip netns exec "$H2" curl -s --fail --max-time 10 --interface 198.18.1.50 http://198.18.10.2/) ||
	fail "a new LAN client (198.18.1.50) is not served through the NAT VIP after the flood"
ok "new LAN client served through the NAT VIP after the flood ($out)"

d_unsol=$(($(dp_stat drop_neigh_unsolicited) - unsol))
d_ref=$(($(dp_stat neigh_refused) - refused))
entries=$(dp_stat neigh_entries)
[ "$d_unsol" -ge $((N * 9 / 10)) ] || fail "drop_neigh_unsolicited +$d_unsol, want >= $((N * 9 / 10))"
[ "$d_ref" -ge $((N * 9 / 10)) ] || fail "neigh_refused +$d_ref, want >= $((N * 9 / 10))"
[ "$entries" -lt 64 ] || fail "neigh_entries $entries: the flood created entries"
[ "$(dp_stat neigh_full)" -eq 0 ] || fail "neigh_full moved"
ok "drop_neigh_unsolicited +$d_unsol, neigh_refused +$d_ref, $entries entries in use"
assert_served "after the flood"
ok "served after the flood, sg-dataplane alive"
echo "PASS neigh-flood"
