#!/usr/bin/env bash
# Defect 10 (held TCP data acknowledged without checking its checksum): a
# client completes a valid cookie handshake to the http_host-keyed brokered
# VS, then its first data segment arrives corrupted (payload bytes changed,
# TCP checksum left as it was: "Host: bpp.example" in place of app.example).
# The data plane must not acknowledge, hold or key on it: it drops it
# (drop_held_csum) and the client's retransmission of the good segment is
# held, keyed on app.example and served by a VM. Asserts: no ACK for the
# corrupted bytes, the good retransmission gets the VM's HTTP answer, the
# counter moved, a legitimate client is served during and after, no crash.
. "$(dirname "$0")/lib.sh"
. "$SG_SRC/tests/adversarial/handoff-attack.sh"

adv_broker_up </dev/null
c0=$(adv_ctr drop_held_csum)

# scapy plays a client at 198.18.0.77, an address the client's kernel does
# not own (so it does not reset what it did not open): the router delivers it
# to the client namespace's MAC, where scapy's sniffer sees it.
ip -n "$(topo_ns r)" neigh replace 198.18.0.77 dev rc \
	lladdr "$(ip -n "$(topo_ns c)" -br link show c0 | awk '{print $3}')"

scapy_in c >"$SG_RUN/csum.log" 2>&1 <<'PY' || { cat "$SG_RUN/csum.log"; fail "the corrupted-segment client"; }
import random, sys, time
from scapy.all import IP, TCP, Raw, AsyncSniffer, conf, send, sr1
conf.verb = 0
dst, src = "198.18.10.3", "198.18.0.77"
sport, isn = random.randint(20000, 60000), random.getrandbits(32)
req = b"GET / HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n\r\n"
sa = sr1(IP(src=src, dst=dst) / TCP(sport=sport, dport=80, flags="S", seq=isn,
                           options=[("MSS", 1400)]), timeout=3)
if sa is None or (sa[TCP].flags & 0x12) != 0x12:
    sys.exit("no SYN-ACK")
cookie = sa[TCP].seq
base = IP(src=src, dst=dst) / TCP(sport=sport, dport=80, flags="A", seq=isn + 1, ack=cookie + 1)
got = []  # what the data plane sends this client (AsyncSniffer.results is only set at stop)
sn = AsyncSniffer(filter="tcp and src host %s and src port 80 and dst port %d" % (dst, sport),
                  prn=got.append, store=False)
sn.start()
time.sleep(0.3)
send(base)  # the cookie ACK alone: a held session, no key yet
good = IP(bytes(base / Raw(req)))  # checksums computed
bad = good.copy()
bad[Raw].load = req.replace(b"app.example", b"bpp.example")  # corrupted, checksum kept
bad = IP(bytes(bad))
end = isn + 1 + len(req)
def acks_data():
    return [p for p in got if p[TCP].ack == (end & 0xffffffff)]
send(bad)
time.sleep(1.5)
if acks_data():
    sys.exit("FAIL: the corrupted segment was acknowledged: %r" %
             [bytes(p[TCP].payload)[:40] for p in got])
print("corrupted segment: not acknowledged")
served = False
for i in range(40):
    if i % 4 == 0:
        send(good)  # the client's retransmission
    time.sleep(0.25)
    data = [bytes(p[TCP].payload) for p in got if len(p[TCP].payload) > 0]
    if any(b" 200 " in d for d in data):
        served = True
        break
sn.stop()
send(IP(src=src, dst=dst) / TCP(sport=sport, dport=80, flags="R", seq=end))
if not acks_data():
    sys.exit("FAIL: the good retransmission was never acknowledged")
if not served:
    sys.exit("FAIL: no HTTP answer from the VM after the good retransmission")
print("good retransmission: acknowledged and served: %r" % b"".join(data)[:60])
PY
cat "$SG_RUN/csum.log"
legit_brokered "during the attack"
c1=$(adv_ctr drop_held_csum)
[ "$c1" -gt "$c0" ] || fail "drop_held_csum did not move ($c0 -> $c1)"
legit_brokered "after the attack"
assert_served "after the attack"
ok "corrupted held segment dropped (drop_held_csum $c0 -> $c1), retransmission served"
