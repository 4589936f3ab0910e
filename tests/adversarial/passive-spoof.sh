#!/usr/bin/env bash
# Passive detection under spoofed RSTs (doc/dataplane.md, "Passive
# detection"): an attacker on the LAN tries to get a healthy member ejected.
#
# Pool "web" (host1, host2) with passive.consecutive_failures 2 behind the
# NAT VIP 198.18.10.2:80; the NAT range cut to 256 ports. The client holds 8
# connections open without sending its request: the members have answered
# the SYNs and sent nothing yet, so each flow waits for its member's first
# byte (watched). From h2 the attacker sends, for every NAT address x port of
# the range and both members, a RST with a random sequence number and a
# RST|ACK with random numbers (2,048 frames, the right 4-tuple among them for
# every held connection). Checked: passive_rst_unvalidated moved, no
# failure counted, no member suspected (passive_failures and
# passive_suspects stay 0), the VIPs served during and after, and every
# held connection then completes its request.
. "$(dirname "$0")/lib.sh"

topo_up
backends_start
make_config -e 's/^  ports: 1024-65535/  ports: 40000-40255/'
grep -q "ports: 40000-40255" "$SG_RUN/sg.yaml" || fail "demo.yaml: the NAT range line changed"
python3 - "$SG_RUN/sg.yaml" <<'PY'
import sys, yaml
p = sys.argv[1]
c = yaml.safe_load(open(p))
for pool in c["pools"]:
    if pool["name"] == "web":
        pool["passive"] = {"consecutive_failures": 2}
yaml.safe_dump(c, open(p, "w"), sort_keys=False)
PY
dp_start "$SG_RUN/sg.yaml"

# 8 connections, held silent across the attack, then each sends its request
client timeout 60 python3 - "$SG_RUN/go" >"$SG_RUN/held.log" 2>&1 <<'PY' &
import os, socket, sys, time
ss = [socket.create_connection(("198.18.10.2", 80), timeout=5) for _ in range(8)]
print("connected", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.1)
served = 0
for s in ss:
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    d = b"".join(iter(lambda: s.recv(4096), b""))
    served += b"host1" in d or b"host2" in d
print("served", served, flush=True)
PY
held_pid=$!
wait_for 10 grep -q connected "$SG_RUN/held.log" || fail "held connections: $(cat "$SG_RUN/held.log")"
f0=$(dp_stat passive_failures)
s0=$(dp_stat passive_suspects)
u0=$(dp_stat passive_rst_unvalidated)

scapy_in h2 >"$SG_RUN/flood.log" 2>&1 <<'PY' &
import random
from scapy.all import IP, TCP, conf, send
conf.verb = 0
pk = []
for member in ("198.18.1.11", "198.18.1.12"):
    for nat in ("198.18.1.100", "198.18.1.101"):
        for port in range(40000, 40256):
            base = IP(src=member, dst=nat) / TCP(sport=80, dport=port)
            pk.append(base.copy())
            pk[-1][TCP].flags, pk[-1][TCP].seq = "R", random.getrandbits(32)
            pk.append(base.copy())
            pk[-1][TCP].flags = "RA"
            pk[-1][TCP].seq, pk[-1][TCP].ack = random.getrandbits(32), random.getrandbits(32)
send(pk, inter=0.001)
print("forged %d RSTs" % len(pk))
PY
during_flood $! "spoofed member RSTs"
grep -q "forged 2048 RSTs" "$SG_RUN/flood.log" || fail "the attack did not run: $(cat "$SG_RUN/flood.log")"

u=$(($(dp_stat passive_rst_unvalidated) - u0))
f=$(($(dp_stat passive_failures) - f0))
s=$(($(dp_stat passive_suspects) - s0))
[ "$u" -ge 8 ] || fail "passive_rst_unvalidated moved by $u, expected one per held connection at least"
[ "$f" -eq 0 ] || fail "spoofed RSTs counted $f member failures"
[ "$s" -eq 0 ] || fail "spoofed RSTs made $s member suspects"
ok "passive_rst_unvalidated +$u, passive_failures +0, passive_suspects +0"
assert_served "after spoofed member RSTs"
touch "$SG_RUN/go"
wait "$held_pid" || fail "held connections: $(cat "$SG_RUN/held.log")"
grep -q "^served 8$" "$SG_RUN/held.log" || fail "held connections: $(cat "$SG_RUN/held.log")"
ok "the 8 held connections completed their requests after the attack"
