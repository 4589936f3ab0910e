#!/usr/bin/env bash
# Defect 3: an IPv4 packet with protocol 58 and a first payload byte of 135
# or 136 was handed to the IPv6 neighbour-discovery code, which took the IPv4
# ID (0xFFFF) for the IPv6 payload length and checksummed up to 64 KB past the
# packet. A LAN host (h2) sends such frames to the data plane's own address,
# to a VIP and to a multicast group, with ICMP payloads of 0 to 40 bytes,
# while a client keeps connecting. Defence: drop_icmp_family.
. "$(dirname "$0")/lib.sh"
setup_all

N=2000 # frames in the flood (2 types x 3 destinations x 11 lengths, repeated)
mac=$(ip -n "$(topo_ns h2)" neigh show 198.18.1.2 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") {print $(i + 1); exit}}')
[ -n "$mac" ] || fail "h2 has no ARP entry for the data plane"
before=$(dp_stat drop_icmp_family)

scapy_in h2 "$mac" "$N" >"$SG_RUN/flood.log" 2>&1 <<'PY' &
import sys
from scapy.all import Ether, IP, Raw, sendp, conf
conf.verb = 0
mac, n = sys.argv[1], int(sys.argv[2])
frames = []
for dst, edst in (("198.18.1.2", mac), ("198.18.10.1", mac), ("224.0.0.1", "01:00:5e:00:00:01")):
    for t in (135, 136):
        for plen in range(0, 41, 4):
            pay = (bytes([t]) + bytes(plen - 1)) if plen else b""
            frames.append(Ether(dst=edst) / IP(src="198.18.1.12", dst=dst, proto=58, ttl=255,
                                               id=0xFFFF) / Raw(pay))
sent = 0
while sent < n:
    chunk = frames[: min(len(frames), n - sent)]
    sendp(chunk, iface="eth0")
    sent += len(chunk)
print("sent", sent)
PY
during_flood $! "the flood"

after=$(dp_stat drop_icmp_family)
# the multicast copies may be lost on the bridge: at least the unicast ones
[ $((after - before)) -ge $((N * 2 / 3)) ] ||
	fail "drop_icmp_family moved by $((after - before)), want >= $((N * 2 / 3))"
ok "drop_icmp_family +$((after - before)) for $N frames"
assert_served "after the flood"
ok "served after the flood, sg-dataplane alive"
echo "PASS nd-ipv4"
