#!/usr/bin/env bash
# Passive detection (doc/dataplane.md, "Passive detection"): a NAT VIP
# (198.18.10.2:8080, wrr) over three members of pool "pass" with
# passive.consecutive_failures 3 and no active check: "good" (host1:80,
# the HTTP backend), "reset" (host1:81, accepts every connection and
# resets it at once: SO_LINGER 0 close) and "refuse" (host2:82, nothing
# listens: the kernel's RST). A paced client opens 60 connections; a small
# stand-in for sg-control (sg-suspect-read) reads the MEMBER_SUSPECT
# messages from the rings. Checked: "reset" is suspected for reset_early,
# "refuse" for refused, "good" never; the good member served its share;
# the counters moved; at most one report per member and second.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
READER="$SG_BUILD/tests/integration/dataplane/sg-suspect-read"
[ -x "$READER" ] || fail "$READER not built"

topo_up
backends_start
make_config
python3 - "$SG_RUN/sg.yaml" <<'PY'
import sys, yaml
p = sys.argv[1]
c = yaml.safe_load(open(p))
c["pools"].append({"name": "pass", "passive": {"consecutive_failures": 3},
    "members": [{"name": "good", "address": "198.18.1.11", "port": 80},
                {"name": "reset", "address": "198.18.1.11", "port": 81},
                {"name": "refuse", "address": "198.18.1.12", "port": 82}]})
c["virtual_services"].append({"name": "pass-nat", "vip": "198.18.10.2", "port": 8080,
    "protocol": "tcp", "mode": "nat", "scheduler": "wrr", "pool": "pass"})
yaml.safe_dump(c, open(p, "w"), sort_keys=False)
PY
# "reset": accept, then RST (no byte sent: the RST is at the member's ISN + 1)
setsid ip netns exec "$(topo_ns h1)" python3 -c '
import socket, struct
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.1.11", 81)); s.listen(64); print("resetter: serving", flush=True)
while True:
    c, _ = s.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
' >"$SG_RUN/resetter.log" 2>&1 </dev/null &
echo $! >"$SG_RUN/resetter.pid"
SG_CLEANUP_EXTRA='kill $(cat "$SG_RUN/resetter.pid" "$SG_RUN/reader.pid" 2>/dev/null) 2>/dev/null || true'
wait_for 10 grep -q "resetter: serving" "$SG_RUN/resetter.log" || fail "the resetting member did not start"
dp_start "$SG_RUN/sg.yaml"

"$READER" --shm "/$SG_PREFIX" --seconds 25 >"$SG_RUN/suspects.txt" 2>"$SG_RUN/reader.log" &
echo $! >"$SG_RUN/reader.pid"
wait_for 10 grep -q attached "$SG_RUN/reader.log" || fail "sg-suspect-read did not attach: $(cat "$SG_RUN/reader.log")"
sleep 0.2 # its heartbeat seen: sg-control counts as up

good=0
t0=$(date +%s%N)
for i in $(seq 1 60); do
	out=$(client curl -s --max-time 2 "http://198.18.10.2:8080/" 2>/dev/null || true)
	[ "$out" = host1 ] && good=$((good + 1))
	sleep 0.05
done
secs=$((($(date +%s%N) - t0 + 999999999) / 1000000000)) # the traffic's seconds, rounded up
ok "60 paced connections in ${secs} s, $good served by the good member"
[ "$good" -ge 15 ] || fail "the good member served only $good of its ~20 connections"

wait_for 10 grep -q "^suspect pass refuse " "$SG_RUN/suspects.txt" ||
	fail "refuse never suspected: $(cat "$SG_RUN/suspects.txt")"
wait_for 10 grep -q "^suspect pass reset " "$SG_RUN/suspects.txt" ||
	fail "reset never suspected: $(cat "$SG_RUN/suspects.txt")"
kill -INT "$(cat "$SG_RUN/reader.pid")"
wait "$(cat "$SG_RUN/reader.pid")" || fail "sg-suspect-read: $(cat "$SG_RUN/reader.log")"
cat "$SG_RUN/suspects.txt"
if grep -q "^suspect pass good " "$SG_RUN/suspects.txt"; then
	fail "the healthy member was suspected"
fi
grep -v "^suspect pass refuse refused " "$SG_RUN/suspects.txt" | grep "^suspect pass refuse " &&
	fail "refuse suspected for another reason than refused"
grep -v "^suspect pass reset reset_early " "$SG_RUN/suspects.txt" | grep "^suspect pass reset " &&
	fail "reset suspected for another reason than reset_early"
ok "suspects: refuse (refused), reset (reset_early); good never"
# at most one report per member and second of traffic (one worker), plus one: ~3.5 s
# on a quiet box, longer on a loaded one (the connections' pace, not the limit, stretches)
for m in refuse reset; do
	n=$(grep -c "^suspect pass $m " "$SG_RUN/suspects.txt")
	[ "$n" -le $((secs + 1)) ] || fail "$m reported $n times in $secs s of traffic"
done
f=$(telemetry_get /sg/stats "d['passive_failures']")
s=$(telemetry_get /sg/stats "d['passive_suspects']")
u=$(telemetry_get /sg/stats "d['passive_rst_unvalidated']")
[ "$f" -ge 30 ] || fail "passive_failures $f, expected one per failed connection (~40)"
[ "$s" -ge 2 ] || fail "passive_suspects $s"
[ "$u" -eq 0 ] || fail "passive_rst_unvalidated $u: a real member's RST failed validation"
ok "passive_failures $f, passive_suspects $s, passive_rst_unvalidated 0"
