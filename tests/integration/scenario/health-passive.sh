#!/usr/bin/env bash
# Passive detection end to end (issue 13): no active check; host3 accepts TCP
# and resets every connection (rstserver.py: SO_LINGER {1,0}, close) behind
# the NAT VIP 198.18.10.2 with two healthy members; pool passive:
# {consecutive_failures: 3, ejection_s: 3}; sg-control running. A paced
# client (a new connection every 20 ms): host3 is ejected (telemetry
# /sg/members: down; sgctl health: down, "ejected ..."), new connections then all succeed;
# after ejection_s it is re-admitted, fails again and is ejected again, for
# longer (the ejection time doubles).
. "$(dirname "$0")/lib.sh"

FAILS=3 EJECT_S=3
DOWN='^(down|ejected)' UP='^up'
scen_topo
scen_backend 1 host1 || fail "backend host1"
scen_backend 2 host2 || fail "backend host2"
setsid ip netns exec "$(topo_ns h3)" python3 "$SCEN_DIR/rstserver.py" 198.18.1.13 80 \
	>"$SG_RUN/rst.log" 2>&1 </dev/null &
wait_for 10 grep -q "^rstserver: serving" "$SG_RUN/rst.log" || fail "rstserver did not start"
scen_appliance "    passive: { consecutive_failures: $FAILS, ejection_s: $EJECT_S, max_ejected_pct: 50 }" ""
dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
scen_warmup
scen_control
scen_ctl_start_dp
member_wait 5 web host3 "$UP" >/dev/null || fail "host3 is not up at the start: $(cat "$SG_RUN/member.last")"
ok "sg-dataplane and sg-control up; host3 (resets every connection) up, no active check"

# ctl_wait SECONDS EXPR: poll sgctl health until EXPR holds on host3's row
# (as m); prints the epoch time; the row last read in $SG_RUN/host3.json
# ctl_wait S COND: the time COND was seen; the time the last poll that did
# not see it began goes to $SG_RUN/ctl_lo (the change happened in between:
# one poll is ~1 s under ASan on a loaded 2-CPU box)
ctl_wait() {
	local deadline=$(($(date +%s) + $1)) lo
	lo=$(now)
	while :; do
		echo "$lo" >"$SG_RUN/ctl_lo"
		lo=$(now)
		sgctl --json health | python3 -c '
import json, sys
m = [x for x in json.load(sys.stdin)["members"] if x["pool"] == "web" and x["member"] == "host3"][0]
print(json.dumps(m))
sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" >"$SG_RUN/host3.json" && { now; return 0; }
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}
paced --vip nat=198.18.10.2:80 --log "$SG_RUN/paced.log" --interval-ms 20 --duration 40 \
	--timeout 2 --stop-file "$SG_RUN/paced.stop" >"$SG_RUN/paced.out" 2>&1 &
ppid=$!
t0=$(now)
t1=$(ctl_wait 10 "m['ejections'] >= 1") || fail "host3 was not ejected within 10 s: $(cat "$SG_RUN/host3.json")"
lo1=$(cat "$SG_RUN/ctl_lo")
st1=$(python3 "$SCEN_DIR/member.py" web host3 <"$SG_RUN/host3.json")
[[ $st1 =~ ^down\ ejected\ for\ $EJECT_S\ s ]] || fail "sgctl health: host3 is '$st1', not down, ejected for $EJECT_S s"
dst=$(dp_member web host3) || fail "/sg/members lacks web/host3"
[[ $dst =~ ^down ]] || fail "/sg/members: host3 is '$dst' while ejected"
ok "host3 ejected $(python3 -c "print(round(($t1 - $t0) * 1000))") ms after traffic started; sgctl health: '$st1'; data plane: '$dst'"
t2=$(ctl_wait $((EJECT_S + 10)) "m['ejections'] >= 2") || fail "host3 was not re-admitted and ejected again: $(cat "$SG_RUN/host3.json")"
lo2=$(cat "$SG_RUN/ctl_lo")
st2=$(python3 "$SCEN_DIR/member.py" web host3 <"$SG_RUN/host3.json")
[[ $st2 =~ ^down\ ejected\ for\ $((2 * EJECT_S))\ s ]] || fail "second ejection: '$st2', not for $((2 * EJECT_S)) s"
t3=$(ctl_wait $((2 * EJECT_S + 10)) "m['ejections'] >= 3") || fail "host3 was not re-admitted after its second ejection: $(cat "$SG_RUN/host3.json")"
touch "$SG_RUN/paced.stop"
wait "$ppid" || fail "paced client: $(cat "$SG_RUN/paced.out")"
echo "paced client: $(cat "$SG_RUN/paced.out")"
d1=$(python3 -c "print(round(($t2 - $t1) * 1000))")
d2=$(python3 -c "print(round(($t3 - $t2) * 1000))")
ok "ejected, re-admitted and ejected again after ${d1} ms ('$st2'), again after ${d2} ms (ejection_s $EJECT_S)"
# each ejection began between the last poll that missed it and the one that
# saw it: the longest each can have lasted, and the shortest the first did
d1max=$(python3 -c "print(round(($t2 - $lo1) * 1000))")
d1min=$(python3 -c "print(round(($lo2 - $t1) * 1000))")
d2max=$(python3 -c "print(round(($t3 - $lo2) * 1000))")
[ "$d1max" -ge $((EJECT_S * 1000 - 300)) ] || fail "first ejection lasted ${d1max} ms at most < ejection_s $EJECT_S"
[ "$d2max" -ge $((2 * EJECT_S * 1000 - 300)) ] && [ "$d2max" -gt $((d1min + 1000)) ] ||
	fail "second ejection (${d2max} ms at most) not about twice the first (${d1min} ms at least)"

# while ejected, every new connection succeeded (an attempt already on its
# way at the ejection may still fail: 300 ms grace; re-admission ends it, and
# the ejection began up to one sgctl poll before it was seen: under ASan on a
# loaded 2-CPU box that is up to ~1 s, so the window stops 1.2 s early)
for w in "$t1 $EJECT_S" "$t2 $((2 * EJECT_S))"; do
	set -- $w
	res=$(python3 "$SCEN_DIR/paced.py" window --log "$SG_RUN/paced.log" --member host3 \
		--kill "$(python3 -c "print($1 + 0.3)")" --until "$(python3 -c "print($1 + $2 - 1.2)")") ||
		fail "paced.py window"
	[ "$(jq_py "$res" "d['failed_in_window']")" -eq 0 ] || fail "new connections failed while host3 was ejected: $res"
	ok "no new connection failed in the $2 s host3 was ejected"
done
fails=$(jq_py "$(cat "$SG_RUN/paced.out")" "d['nat']['failed']")
okn=$(jq_py "$(cat "$SG_RUN/paced.out")" "d['nat']['ok']")
ok "$okn connections served, $fails failed (host3's, before each ejection)"
# two ejections after 3 consecutive failures each: a bounded number of
# failures, not host3's third of every connection
[ "$fails" -le 60 ] || fail "$fails connections failed: host3 was not ejected soon enough"
echo "PASS health-passive"
