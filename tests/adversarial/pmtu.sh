#!/usr/bin/env bash
# Defect 8: ICMP "fragmentation needed" / "packet too big" sent to a VIP or a
# NAT address was dropped (drop_icmp_bad), so a client behind a smaller link
# stalled on any response larger than its path MTU. The router's link to the
# client is set to 1280 bytes (the client's own MTU stays 1500, so it
# announces an MSS of 1460 and the responses need path-MTU discovery); the
# client downloads 200 kB through the NAT VIP (IPv4 and IPv6) and the DSR
# VIP while the members are watched: each member must receive the router's
# error translated (quoting member -> NAT address, or encapsulated for DSR).
# Then a flood of 3,000 errors quoting a live flow is rate-limited.
# Defence: icmp_relayed, drop_icmp_ratelimited.
. "$(dirname "$0")/lib.sh"
setup_all

SIZE=200000
R=$(topo_ns r)
ip -n "$R" link set rc mtu 1280
relayed=$(telemetry_get /sg/stats "d.get('icmp_relayed', 0)")

for h in 1 2; do
	ip netns exec "$(topo_ns "h$h")" timeout 60 tcpdump -l -n -i eth0 \
		'icmp[0] == 3 or (ip[9] == 4 and ip[29] == 1) or icmp6[0] == 2' \
		>"$SG_RUN/cap$h.txt" 2>/dev/null &
done
sleep 1

# download URL LABEL: the whole response arrives within 20 s
download() {
	local got
	got=$(client curl -s --fail --max-time 20 -o /dev/null -w '%{size_download}' "$1") ||
		fail "$2: download through the 1280-byte link stalled (got ${got:-0} of $SIZE bytes)"
	[ "$got" -eq "$SIZE" ] || fail "$2: $got of $SIZE bytes"
	ok "$2: $SIZE bytes through the 1280-byte link"
}
download "http://198.18.10.2/bytes/$SIZE" "NAT VIP (IPv4)"
download "http://[2001:2:0:10::2]/bytes/$SIZE" "NAT VIP (IPv6)"
download "http://$SG_VIP4/bytes/$SIZE" "DSR VIP (IPv4)"
sleep 1
cat "$SG_RUN"/cap?.txt >"$SG_RUN/cap.txt"
grep -q "198.18.1.11 > 198.18.1.100\|198.18.1.12 > 198.18.1.100" "$SG_RUN/cap.txt" ||
	grep -q "need to frag" "$SG_RUN/cap.txt" ||
	fail "no member received the translated frag-needed: $(head -c 2000 "$SG_RUN/cap.txt")"
grep -q "packet too big" "$SG_RUN/cap.txt" || fail "no member received the packet-too-big"
ok "members received the translated errors"
now=$(dp_stat icmp_relayed)
[ "$((now - relayed))" -ge 3 ] || fail "icmp_relayed moved by $((now - relayed)), want >= 3"
ok "icmp_relayed +$((now - relayed))"

# a flood of errors quoting a live NAT flow (a connection kept open), bounded
limited=$(dp_stat drop_icmp_ratelimited)
client /usr/bin/python3 - >"$SG_RUN/conn.txt" <<'PY' &
import socket, time
s = socket.create_connection(("198.18.10.2", 80))
print(s.getsockname()[1], flush=True)
time.sleep(15)
PY
conn=$!
wait_for 5 test -s "$SG_RUN/conn.txt" || fail "the long connection did not open"
cport=$(head -1 "$SG_RUN/conn.txt")
scapy_in r "$cport" >"$SG_RUN/flood.log" 2>&1 <<'PY' &
import socket, sys
from scapy.all import IP, ICMP, TCP
q = IP(src="198.18.10.2", dst="198.18.0.2") / TCP(sport=80, dport=int(sys.argv[1]), flags="A")
e = bytes(IP(src="198.18.2.1", dst="198.18.10.2") / ICMP(type=3, code=4, nexthopmtu=1280) /
          bytes(q)[:28])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for _ in range(3000):  # as fast as a raw socket goes: well over the 1000/s relay rate
    s.sendto(e, ("198.18.10.2", 0))
print("sent 3000")
PY
during_flood $! "the error flood"
kill "$conn" 2>/dev/null || true
d=$(($(dp_stat drop_icmp_ratelimited) - limited))
[ "$d" -gt 0 ] || fail "drop_icmp_ratelimited did not move under 3000 errors"
ok "drop_icmp_ratelimited +$d"
assert_served "after the error flood"
ok "served after the error flood, sg-dataplane alive"
echo "PASS pmtu"
