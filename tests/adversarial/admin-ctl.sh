#!/usr/bin/env bash
# Defect 12 (sg-control): the admin socket is bounded. A local client sends
# a request line over 4 KB (answered with an error, then closed), holds 40
# idle connections (more than the 32 allowed: the oldest make room, the rest
# are closed after the idle timeout), and pipelines requests without ever
# reading the answers (dropped once its unread answers pass the bound).
# sgctl is answered during and after each attack; the counters moved.
. "$(dirname "$0")/lib.sh"

. "$SG_SRC/scripts/lib/brokered.sh"
[ -x "$SG_CTL_BIN" ] && [ -x "$SG_SGCTL_BIN" ] || fail "missing $SG_CTL_BIN or $SG_SGCTL_BIN"
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/control.log" >&2; broker_stop'

topo_up
broker_configs 300 60000
ctl_start || fail "sg-control did not start"
ctr() { sgctl --json status | python3 -c "import json,sys; print(json.load(sys.stdin)['stats']['$1'])"; }
sgctl status >/dev/null || fail "sgctl before the attack"

"$SG_PY" - "$SG_RUN/control.sock" "$SG_SGCTL_BIN" <<'PY' || fail "admin socket attack"
import socket, subprocess, sys, time
path, sgctl = sys.argv[1], sys.argv[2]

def conn():
    # a full listen backlog answers EAGAIN to a non-blocking connect: retry, as
    # a blocking client would wait (15 s at most)
    deadline = time.time() + 15
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(15)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.time() > deadline:
                raise
            time.sleep(0.05)

def served(what):
    r = subprocess.run([sgctl, "-s", path, "status"], capture_output=True, timeout=10)
    if r.returncode != 0:
        sys.exit("%s: sgctl status failed: %s" % (what, r.stderr.decode()[:200]))

def read_to_eof(s):
    data = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        data += d
    return data

# 1. a request line over 4 KB, no newline: an error answer, then EOF
s = conn()
s.sendall(b"x" * 6000)
data = read_to_eof(s)
if b"too long" not in data:
    sys.exit("oversize line: got %r" % data[:200])
served("after the oversize line")
# the same with a newline inside the bound of the read buffer
s = conn()
s.sendall(b"{" + b" " * 5000 + b"}\n")
data = read_to_eof(s)
if b"too long" not in data:
    sys.exit("oversize line with newline: got %r" % data[:200])
print("oversize: answered and closed")

# 2. 40 idle connections: the socket still serves sgctl; the idle ones go
idle = [conn() for _ in range(40)]
served("during 40 idle connections")
time.sleep(12)  # SG_CTL_ADMIN_IDLE_S = 10
closed = 0
for s in idle:
    s.settimeout(2)
    try:
        closed += s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        closed += 0
    s.close()
if closed < 30:
    sys.exit("only %d of 40 idle connections were closed" % closed)
served("after the idle connections")
print("idle: %d of 40 closed" % closed)

# 3. a client that pipelines requests and never reads its answers
s = conn()
s.settimeout(20)
req = b'{"cmd":"identities"}\n' * 200
t0 = time.time()
try:
    while time.time() - t0 < 20:
        s.sendall(req)
except (BrokenPipeError, ConnectionResetError, socket.timeout):
    pass
served("during the non-reading client")
s.close()
print("non-reading client: dropped after %.1f s" % (time.time() - t0))
PY
ok "admin socket attacks done; sgctl answered during each"

for k in admin_oversize admin_evicted admin_idle_closed admin_slow_dropped; do
	v=$(ctr "$k")
	[ "$v" -ge 1 ] || fail "counter $k did not move ($v)"
	echo "ok: $k = $v"
done
[ "$(ctr admin_oversize)" -ge 2 ] || fail "admin_oversize: both oversize lines should count"
[ "$(ctr admin_evicted)" -ge 8 ] || fail "admin_evicted: 40 connections over a bound of 32"
sgctl status >/dev/null || fail "sgctl after the attacks"
# the operator's slot safety net answers too (no such session here)
out=$(sgctl close 0x1 2>&1) && fail "sgctl close of an unknown session succeeded"
[[ $out == *"no session"* ]] || fail "sgctl close: unexpected answer '$out'"
kill -0 "$(cat "$SG_RUN/control.pid")" || fail "sg-control crashed"
ok "counters moved, sg-control alive and answering"
echo "PASS admin-ctl"
