#!/usr/bin/env bash
# Defect 12 (host agent part): the host agent's admin socket blocked the
# libvirt event loop (blocking reads, ~51 s per trickling client). Local
# clients connect to h3's agent's admin socket: some send half a line and
# stall, some trickle one byte every 150 ms without ever ending the line,
# one sends a line over the bound. Asserts: a normal "status" request is
# answered within 2 s again and again during the attack, the control link
# stays up (keepalives flow: the loop never stalls), the stalled clients are
# closed at their deadline (admin_timeouts) or when newer clients need the
# slots (admin_evicted), the long line answered with an error (admin_too_long),
# no crash.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"

agent_setup
ok "control and both agents up"
sock="$SG_RUN/agent3.sock"

# one "status" request, answered within 2 s (agent_admin's socket timeout;
# the time printed includes python's start)
admin_status() {
	local t0 dt out
	t0=$(date +%s%N)
	out=$(agent_admin "$sock" status) || return 1
	dt=$((($(date +%s%N) - t0) / 1000000))
	echo "status in $dt ms"
	[[ $out == *"control up"* ]]
}

python3 - "$sock" >"$SG_RUN/stall.log" 2>&1 <<'PY' &
import socket, sys, time
path, socks = sys.argv[1], []
long = socket.socket(socket.AF_UNIX)
long.connect(path)
long.sendall(b"x" * 300 + b"\n")
long.settimeout(2)
print("long line answer:", long.recv(200))
for i in range(24):  # 24 > the agent's 8 admin slots
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(1)
    try:
        s.connect(path)
        s.sendall(b"stat")  # half a line
        s.setblocking(False)
        socks.append(s)
    except OSError:
        s.close()
print(len(socks), "connections sent half a line")
end = time.time() + 12
while time.time() < end:  # trickle one byte every 150 ms on every open connection
    for s in list(socks):
        try:
            s.send(b"u")
        except OSError:
            socks.remove(s)
    time.sleep(0.15)
    if len(socks) < 8:  # reopen: keep the slots under attack
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            s.close()
print("attack over,", len(socks), "connections open")
PY
attacker=$!
sleep 0.5
fails=0
for _ in $(seq 1 10); do
	admin_status || fails=$((fails + 1))
	agents_are 2 || fail "control link of h3 dropped during the attack"
	sleep 0.8
done
wait "$attacker" || true
cat "$SG_RUN/stall.log"
[ "$fails" -eq 0 ] || fail "$fails of 10 status requests not answered within 2 s during the attack"
grep -q "long line answer: b'error line over" "$SG_RUN/stall.log" || fail "long line not refused"
kill -0 "$(cat "$SG_RUN/agent3.pid")" || fail "h3's agent died"
to=$(agent_counter 3 admin_timeouts)
ev=$(agent_counter 3 admin_evicted)
tl=$(agent_counter 3 admin_too_long)
echo "admin_timeouts=$to admin_evicted=$ev admin_too_long=$tl status_failures=$fails"
[ "${ev:-0}" -ge 1 ] || fail "admin_evicted=${ev:-none}"
[ "${to:-0}" -ge 1 ] || fail "admin_timeouts=${to:-none}"
[ "${tl:-0}" -ge 1 ] || fail "admin_too_long=${tl:-none}"
admin_status || fail "status not answered after the attack"
agents_are 2 || fail "a control link dropped"
ok "admin socket: stalled clients bounded, agent served"
