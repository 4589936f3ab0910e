#!/usr/bin/env bash
# Defect 6: the agent port held without the key. Connections from an
# address that is no configured host (h2) and from a configured host's
# address (h1, a compromised host) trickle one byte of a HELLO header every
# 2 s. Asserts: sg-control refuses the unknown source
# (sg_ctl_agent_refused_addr_total), bounds the unauthenticated connections
# (sg_ctl_agent_unauth_full_total), closes the trickling ones at the
# absolute handshake deadline (sg_ctl_agent_handshake_timeout_total), does
# not crash, and host h3's agent authenticates during the attack (restarted
# mid-attack) and after it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_setup
ok "control and both agents up"

trickle() { # NS COUNT SECONDS: hold COUNT connections, one byte every 2 s
	ip netns exec "$(topo_ns "$1")" timeout 60 python3 - 198.18.1.1 "$SG_APORT" "$2" "$3" <<'PY'
import socket, sys, time
dst, port, n, dur = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
hdr = bytes([0x53, 0x47, 1, 1, 0, 0, 0x0f, 0xa0]) + bytes(8)  # HELLO of 4000 bytes
socks, refused = [], 0
for _ in range(n):
    s = socket.socket()
    s.settimeout(1.0)
    try:
        s.connect((dst, port))
        s.setblocking(False)
        socks.append(s)
    except OSError:
        refused += 1
        s.close()
end, i, closed = time.time() + dur, 0, 0
while time.time() < end and socks:
    live = []
    for s in socks:
        try:
            s.send(hdr[i % len(hdr):i % len(hdr) + 1])
            try:
                if s.recv(64) == b"":
                    raise OSError
            except BlockingIOError:
                pass
            live.append(s)
        except OSError:
            closed += 1
            s.close()
    socks, i = live, i + 1
    time.sleep(2)
print(f"trickle: {n} tried, {refused} not connected, {closed} closed by peer, "
      f"{len(socks)} still open after {dur:.0f} s")
PY
}

trickle h2 150 24 >"$SG_RUN/trickle-h2.log" 2>&1 &
tp2=$!
trickle h1 150 24 >"$SG_RUN/trickle-h1.log" 2>&1 &
tp1=$!
sleep 4
# During the attack: h3's agent makes a fresh handshake and must get in.
agent3_restart
wait_for 15 agents_are 2 ||
	fail "h3's agent could not authenticate during the attack"
ok "h3's agent authenticated during the attack"
wait "$tp2" "$tp1" || true
cat "$SG_RUN/trickle-h2.log" "$SG_RUN/trickle-h1.log"
ctl_alive || fail "sg-control is gone"

refused=$(ctl_metric sg_ctl_agent_refused_addr_total)
full=$(ctl_metric sg_ctl_agent_unauth_full_total)
tmo=$(ctl_metric sg_ctl_agent_handshake_timeout_total)
echo "refused_addr=$refused unauth_full=$full handshake_timeout=$tmo"
[ "$refused" -ge 100 ] || fail "sg_ctl_agent_refused_addr_total=$refused: h2 (no host) not refused"
[ "$full" -ge 100 ] || fail "sg_ctl_agent_unauth_full_total=$full: h1's connections not bounded"
[ "$tmo" -ge 1 ] || fail "sg_ctl_agent_handshake_timeout_total=$tmo: trickling kept its slot"
grep -q "still open after" "$SG_RUN/trickle-h1.log" || fail "trickle h1 did not run"
grep -q " 0 still open" "$SG_RUN/trickle-h1.log" ||
	fail "h1's trickling connections outlived the handshake deadline"

# After the attack: a fresh handshake again, and the links stay up.
agent3_restart
wait_for 15 agents_are 2 ||
	fail "h3's agent could not authenticate after the attack"
ctl_alive || fail "sg-control is gone"
ok "agent slots: unknown sources refused, handshakes bounded, agents served"
