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

paced --vip nat=198.18.10.2:80 --log "$SG_RUN/paced.log" --interval-ms 20 --duration 40 \
	--timeout 2 --stop-file "$SG_RUN/paced.stop" >"$SG_RUN/paced.out" 2>&1 &
ppid=$!
t0=$(now)
t1=$(member_wait 10 web host3 "$DOWN") || fail "host3 was not ejected within 10 s: $(cat "$SG_RUN/member.last")"
st1=$(sgctl --json health | python3 "$SCEN_DIR/member.py" web host3) || fail "sgctl health lacks web/host3"
[[ $st1 =~ ^down\ .*eject ]] || fail "sgctl health: host3 is '$st1', not down with a passive reason"
ok "host3 ejected $(python3 -c "print(round(($t1 - $t0) * 1000))") ms after traffic started; data plane: '$(cat "$SG_RUN/member.last")', sgctl health: '$st1'"
t1up=$(member_wait $((4 * EJECT_S)) web host3 "$UP") || fail "host3 not re-admitted within $((4 * EJECT_S)) s: $(cat "$SG_RUN/member.last")"
t2=$(member_wait 10 web host3 "$DOWN") || fail "host3 was not ejected again: $(cat "$SG_RUN/member.last")"
st2=$(sgctl --json health | python3 "$SCEN_DIR/member.py" web host3) || fail "sgctl health lacks web/host3"
t2up=$(member_wait $((8 * EJECT_S)) web host3 "$UP") || fail "host3 not re-admitted after its second ejection: $(cat "$SG_RUN/member.last")"
touch "$SG_RUN/paced.stop"
wait "$ppid" || fail "paced client: $(cat "$SG_RUN/paced.out")"
echo "paced client: $(cat "$SG_RUN/paced.out")"
d1=$(python3 -c "print(round(($t1up - $t1) * 1000))")
d2=$(python3 -c "print(round(($t2up - $t2) * 1000))")
ok "ejected ${d1} ms, re-admitted, ejected again ('$st2') for ${d2} ms (ejection_s $EJECT_S)"
[ "$d1" -ge $((EJECT_S * 1000 - 500)) ] || fail "first ejection lasted ${d1} ms < ejection_s $EJECT_S"
[ "$d2" -gt $((d1 + 500)) ] || fail "second ejection (${d2} ms) not longer than the first (${d1} ms)"

# while ejected, every new connection succeeded (an attempt already on its
# way at the ejection may still fail: 300 ms grace)
for w in "$t1 $t1up" "$t2 $t2up"; do
	set -- $w
	res=$(python3 "$SCEN_DIR/paced.py" window --log "$SG_RUN/paced.log" --member host3 \
		--kill "$(python3 -c "print($1 + 0.3)")" --until "$2") || fail "paced.py window"
	[ "$(jq_py "$res" "d['failed_in_window']")" -eq 0 ] || fail "new connections failed while host3 was ejected: $res"
	ok "no new connection failed while host3 was ejected ($res)"
done
fails=$(jq_py "$(cat "$SG_RUN/paced.out")" "d['nat']['failed']")
okn=$(jq_py "$(cat "$SG_RUN/paced.out")" "d['nat']['ok']")
ok "$okn connections served, $fails failed (host3's, before each ejection)"
# two ejections after 3 consecutive failures each: a bounded number of
# failures, not host3's third of every connection
[ "$fails" -le 60 ] || fail "$fails connections failed: host3 was not ejected soon enough"
echo "PASS health-passive"
