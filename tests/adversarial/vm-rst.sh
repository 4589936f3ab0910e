#!/usr/bin/env bash
# Defect 11 (a VM RST in the connecting window accepted with no sequence
# check): a brokered session is being handed off (the data plane's SYN to
# the VM sent, its SYN-ACK not back yet: host1 drops vm5's SYN-ACKs with a
# small tc-BPF filter for the length of the attack) and a host on the LAN
# (h2) forges RSTs "from the VM" to the hand-off's NAT address and port: RST
# without ACK, and RST+ACK with acknowledgment numbers other than the
# client's ISN + 1. Each must be dropped (drop_vm_rst_bad), not turned into a
# 503 for the client; once the filter goes, the SYN re-sent gets its SYN-ACK
# and the client is served. Asserts: the client gets the VM's answer, the
# counter moved, legitimate clients served during and after, no crash.
. "$(dirname "$0")/lib.sh"
. "$SG_SRC/tests/adversarial/handoff-attack.sh"

adv_broker_up <<'YAML'
  - { name: app-solo, vip: 198.18.10.3, port: 8081, protocol: tcp, mode: brokered, pool: web,
      brokered: { key: http_host, hold_timeout_ms: 20000 } }
YAML
c0=$(adv_ctr drop_vm_rst_bad)

drop_filter_on "$(topo_ns h1)" eth0 egress 198.18.1.15
# host1 learns the hand-off's NAT address, port and ISN from the SYN to vm5
# (the attacker's perfect guess: NAT ports are handed out in order); the
# forger on h2 waits for it, scapy loaded, so the RSTs land in the window.
scapy_in h1 "$SG_RUN/syn.txt" >"$SG_RUN/sniff.log" 2>&1 <<'PY' &
import os, sys
sys.path.insert(0, os.environ["SG_SRC"] + "/tests/adversarial")
from handoff_attack import tell
from scapy.all import IP, TCP, sniff
p = sniff(iface="eth0", count=1, timeout=30,
          started_callback=lambda: print("ready", flush=True),
          lfilter=lambda p: TCP in p and p[IP].dst == "198.18.1.15" and p[TCP].dport == 80 and
          p[TCP].flags == "S")
if not p:
    sys.exit("no SYN to vm5")
tell(sys.argv[1], p[0][IP].src, p[0][TCP].sport, p[0][TCP].seq)
PY
sniff_pid=$!
scapy_in h2 "$SG_RUN/syn.txt" >"$SG_RUN/forge.log" 2>&1 <<'PY' &
import os, sys
sys.path.insert(0, os.environ["SG_SRC"] + "/tests/adversarial")
import random
from handoff_attack import learned
from scapy.all import IP, TCP, conf, send
conf.verb = 0
addr, port, isn = learned(sys.argv[1])
port, isn = int(port), int(isn)
print("hand-off: %s:%d -> 198.18.1.15:80, client ISN %d" % (addr, port, isn))
base = IP(src="198.18.1.15", dst=addr) / TCP(sport=80, dport=port)
pk = []
for i in range(100):
    pk.append(base.copy())
    pk[-1][TCP].flags, pk[-1][TCP].seq = "R", random.getrandbits(32)
    ack = random.getrandbits(32)
    if ack == (isn + 1) & 0xffffffff:
        ack += 1
    pk.append(base.copy())
    pk[-1][TCP].flags, pk[-1][TCP].seq, pk[-1][TCP].ack = "RA", random.getrandbits(32), ack
for a in (isn, isn + 2, isn + 1 + 65536):
    pk.append(base.copy())
    pk[-1][TCP].flags, pk[-1][TCP].ack = "RA", a & 0xffffffff
send(pk)
print("forged %d RSTs" % len(pk))
PY
forge_pid=$!
handoff_attack http://198.18.10.3:8081/ host1 drop_vm_rst_bad "$c0"
