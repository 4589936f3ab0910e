#!/usr/bin/env bash
# Issue 13, exception path: a LAN host (h2) floods the data plane's own
# address (198.18.1.2) with UDP to random ports, TCP SYNs (port 179 and
# random) and ICMP echo replies - all of which the data plane passes to the
# appliance's kernel - far over appliance.exception.rate_pps. Defence: a
# token bucket per worker and a bounded ring (drop_exc_rate,
# drop_exc_queue). Asserts: what reached the kernel stays within
# rate_pps x time + burst, the drops are counted, the VIPs are served during
# and after, and the kernel's own connection to a backend works after.
. "$(dirname "$0")/lib.sh"
RATE=1000 BURST=100 N=60000
setup_all -e "/^appliance:/a\\  exception: { enabled: true, rate_pps: $RATE, burst: $BURST }"

appl() { ip netns exec "$(topo_ns d)" "$@"; }
H2=$(topo_ns h2)
mac=$(ip -n "$H2" neigh show 198.18.1.2 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") {print $(i + 1); exit}}')
[ -n "$mac" ] || fail "h2 has no ARP entry for the data plane"
appl curl -s --fail --max-time 5 http://198.18.1.11/ >/dev/null || fail "kernel: no HTTP to a backend before the flood"

to0=$(dp_stat exc_to_kernel)
rate0=$(dp_stat drop_exc_rate)
queue0=$(dp_stat drop_exc_queue)
t0=$(date +%s.%N)
# pre-built frames on a raw socket: tens of thousands of packets a second
scapy_in h2 "$mac" "$N" >"$SG_RUN/flood.log" 2>&1 <<'PY' &
import random, socket, sys, time
from scapy.all import ICMP, IP, TCP, UDP, Ether, get_if_hwaddr
mac, n = sys.argv[1], int(sys.argv[2])
src = get_if_hwaddr("eth0")
rnd = random.Random(13)
frames = []
for i in range(256):
    l4 = [UDP(sport=rnd.randint(1024, 65535), dport=rnd.randint(1, 65535)) / (b"x" * 8),
          TCP(sport=rnd.randint(1024, 65535), dport=rnd.choice([179, rnd.randint(1, 65535)]),
              flags="S", seq=rnd.getrandbits(32)),
          ICMP(type=0, id=rnd.getrandbits(16), seq=i) / (b"y" * 16)][i % 3]
    frames.append(bytes(Ether(src=src, dst=mac) / IP(src="198.18.1.12", dst="198.18.1.2") / l4))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
t = time.time()
sent = 0
while sent < n and time.time() - t < 30:
    for f in frames:
        try:
            s.send(f)
            sent += 1
        except BlockingIOError:
            pass
print("sent", sent, "in %.1f s" % (time.time() - t))
PY
during_flood $! "the flood to the own address"
t1=$(date +%s.%N)
sleep 0.2 # the ring drained
cat "$SG_RUN/flood.log"

d_to=$(($(dp_stat exc_to_kernel) - to0))
d_rate=$(($(dp_stat drop_exc_rate) - rate0))
d_queue=$(($(dp_stat drop_exc_queue) - queue0))
cap=$(python3 -c "print(int($RATE * ($t1 - $t0 + 0.2) + $BURST))")
secs=$(python3 -c "print('%.1f' % ($t1 - $t0))")
[ "$d_to" -le "$cap" ] || fail "to the kernel: $d_to packets in $secs s, over rate x time + burst = $cap"
[ "$d_to" -ge $((RATE / 2)) ] || fail "to the kernel: only $d_to packets in $secs s (the flood never reached it?)"
[ "$d_rate" -ge $((N / 4)) ] || fail "drop_exc_rate +$d_rate, want >= $((N / 4)) of $N"
ok "to the kernel $d_to packets in $secs s (cap $cap), drop_exc_rate +$d_rate, drop_exc_queue +$d_queue"

assert_served "after the flood"
out=$(appl curl -s --fail --max-time 5 http://198.18.1.11/) || fail "kernel: no HTTP to a backend after the flood"
[ "$out" = host1 ] || fail "kernel: unexpected answer '$out' after the flood"
appl ping -c 2 -i 0.2 -W 2 198.18.1.12 >/dev/null || fail "kernel: ping after the flood unanswered"
ok "VIPs served after the flood, the kernel's own HTTP and ping to backends work, sg-dataplane alive"
echo "PASS exc-flood"
