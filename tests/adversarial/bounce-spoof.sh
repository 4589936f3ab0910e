#!/usr/bin/env bash
# Defect 9 (bounces spoofable): a brokered session is being handed off in
# DSR form to vm6 on host3 (whose sg-hostagent runs the tc-BPF datapath).
# While its hand-off waits for the VM's SYN-ACK (host3's bounces are held
# back by a filter on its bridge port for the length of the attack), a host
# on the LAN (h2) forges bounces "from host3": the outer source spoofed, the
# session ID guessed (here: known, the worst case), the inner packet a RST
# from the VM that acknowledges the client's SYN. Without a per-session
# token each one ends the session with a 503; with it, every forged bounce
# is dropped (drop_bounce_token) and the session completes once the VM's
# real bounces pass. Asserts: the client gets vm6's answer, the counter
# moved, legitimate clients are served during and after, no crash.
. "$(dirname "$0")/lib.sh"
. "$SG_SRC/tests/adversarial/handoff-attack.sh"

adv_broker_up </dev/null
c0=$(adv_ctr drop_bounce_token)

# host3's bounces (UDP to the hand-off port) stop at its bridge port for now
drop_filter_on "$(topo_ns r)" bh3 ingress 198.18.1.21 6640
# host3 sees the hand-off SYN: the session ID in its meta, the client's port
# and ISN (the attacker's perfect guess); the forger on h2 waits for them.
scapy_in h3 "$SG_RUN/syn.txt" >"$SG_RUN/sniff.log" 2>&1 <<'PY' &
import os, sys
sys.path.insert(0, os.environ["SG_SRC"] + "/tests/adversarial")
from handoff_attack import tell
from scapy.all import IP, TCP, Raw, sniff
p = sniff(iface="eth0", count=1, timeout=30,
          started_callback=lambda: print("ready", flush=True),
          lfilter=lambda p: IP in p and p[IP].proto == 4 and TCP in p and
          p[TCP].flags == "S" and p[TCP].dport == 8083 and Raw in p)
if not p:
    sys.exit("no hand-off SYN to host3")
t, meta = p[0][TCP], bytes(p[0][Raw].load)
tell(sys.argv[1], p[0][TCP].underlayer.src, t.sport, t.seq, meta[8:16].hex())
PY
sniff_pid=$!
scapy_in h2 "$SG_RUN/syn.txt" >"$SG_RUN/forge.log" 2>&1 <<'PY' &
import os, sys
sys.path.insert(0, os.environ["SG_SRC"] + "/tests/adversarial")
import random
from handoff_attack import learned
from scapy.all import IP, TCP, UDP, Raw, conf, send
conf.verb = 0
client, cport, isn, sid = learned(sys.argv[1])
cport, isn, sid = int(cport), int(isn), bytes.fromhex(sid)
print("hand-off of session %s: client %s:%d, ISN %d" % (sid[::-1].hex(), client, cport, isn))
rst = IP(src="198.18.1.21", dst=client) / TCP(sport=80, dport=cport, flags="RA", seq=1,
                                               ack=(isn + 1) & 0xffffffff)
pk = []
for i in range(20):
    # version 1 (no token) and version 2 with a guessed token
    hdr = b"SGHB" + bytes([1, 0, 0, 0]) + sid if i % 2 == 0 else \
        b"SGHB" + bytes([2, 0, 0, 0]) + sid + random.getrandbits(64).to_bytes(8, "little")
    pk.append(IP(src="198.18.1.21", dst="198.18.1.2") / UDP(sport=49152, dport=6640) /
              Raw(hdr + bytes(rst)))
send(pk)
print("forged %d bounces" % len(pk))
PY
forge_pid=$!
handoff_attack http://198.18.10.3:8083/ vm6 drop_bounce_token "$c0"
