#!/usr/bin/env bash
# Active health checks end to end (issue 13, first scenario): 3 members
# (h1..h3, scripts/lib/backend.py) behind a DSR VIP (198.18.10.1) and a NAT
# VIP (198.18.10.2), both Maglev; pool health_check http / every 500 ms,
# timeout 300 ms, rise 2, fall 2, run by sg-control in the data plane's
# namespace over the exception path. A paced client opens a new connection
# every 20 ms to each VIP, 10 long transfers (~15 s) run beside it. host2's
# server is killed: new-connection failures only within fall x interval +
# timeout (+ slack for a loaded 2-CPU box under ASan; the window is printed),
# then none; the long transfers on host1/host3 complete with every byte from
# the member that started them. host2's server is restarted: it gets new
# flows again, not before (rise - 1) x interval after (its first passing
# check can come at once) and within rise x interval + interval + slack.
. "$(dirname "$0")/lib.sh"

INTERVAL=500 TIMEOUT=300 RISE=2 FALL=2
SLACK_MS=${SCEN_SLACK_MS:-1500}
LONG_N=1500000 LONG_RATE=100k # ~15 s each (the server sends at 100 kB/s too)
scen_topo
for h in 1 2 3; do
	scen_backend "$h" "host$h" || fail "backend host$h"
done
scen_appliance "    health_check: { type: http, path: /, interval_ms: $INTERVAL, timeout_ms: $TIMEOUT, rise: $RISE, fall: $FALL }" \
	"    no_live_member: reset"
dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
scen_warmup
scen_control
scen_ctl_start_dp
ok "sg-dataplane (exception path on) and sg-control (checks every ${INTERVAL} ms) up"

# all three members up and served through both VIPs (the checks pass)
ready() {
	local vip json
	for vip in 198.18.10.1 198.18.10.2; do
		json=$(client python3 "$SG_SRC/scripts/lib/httpload.py" "$vip" 80 60 --timeout 5) || return 1
		[ "$(jq_py "$json" "d['ok'] == 60 and len(d['backends']) == 3")" = True ] || return 1
	done
}
wait_for 20 ready || fail "the 3 members are not all served through both VIPs"
sleep $((2 * (RISE + FALL) * INTERVAL / 1000)) # several check rounds: no flapping
ready || fail "after several check rounds the 3 members are not all served"
ok "3 members served through the DSR and the NAT VIP"
exc0=$(telemetry_get /sg/stats "d['exc_to_kernel']")

paced --vip dsr=198.18.10.1:80 --vip nat=198.18.10.2:80 --log "$SG_RUN/paced.log" \
	--interval-ms 20 --duration 24 --timeout 2 >"$SG_RUN/paced.out" 2>&1 &
ppid=$!
for i in 0 1 2 3 4 5 6 7 8 9; do
	vip=198.18.10.$((1 + i % 2))
	long_start "$i" "http://$vip/bytes/$LONG_N?rate=100000" "$LONG_RATE"
done
sleep 3
for i in 0 1 2 3 4 5 6 7 8 9; do
	m=$(long_member "$i")
	[ -n "$m" ] || fail "long transfer $i has no X-Backend after 3 s"
	echo "$m" >"$SG_RUN/long$i.member0"
done
ok "10 long transfers started: $(cat "$SG_RUN"/long?.member0 | sort | uniq -c | tr -s ' \n' ' ')"

t_kill=$(now)
scen_backend_kill 2 || fail "kill host2's server"
ok "host2's server killed at $t_kill"
sleep 4
st=$(sgctl --json health | python3 "$SCEN_DIR/member.py" web host2) || fail "sgctl health lacks web/host2"
[[ $st =~ ^down\ .*fail ]] || fail "sgctl health: host2 is '$st' 4 s after its kill"
dst=$(dp_member web host2) || fail "/sg/members lacks web/host2"
[[ $dst =~ ^down ]] || fail "/sg/members: host2 is '$dst' 4 s after its kill"
ok "host2 down: sgctl health '$st', data plane '$dst'"
sleep 3
t_restart=$(now)
scen_backend 2 host2 || fail "restart host2's server"
t_listen=$(now) # (at most ~0.1 s late: the poll of its log)
ok "host2's server restarted at $t_restart (listening after $(ms_since "$t_restart") ms)"

wait "$ppid" || fail "paced client: $(cat "$SG_RUN/paced.out")"
t_end=$(now)
echo "paced client: $(cat "$SG_RUN/paced.out")"
res=$(python3 "$SCEN_DIR/paced.py" window --log "$SG_RUN/paced.log" --member host2 \
	--kill "$t_kill" --restart "$t_restart" --listen "$t_listen" --until "$t_end") || fail "paced.py window"
echo "failover: $res"
w=$(jq_py "$res" "d['window_ms']")
bound=$((FALL * INTERVAL + TIMEOUT))
[ "$(jq_py "$res" "d['failed_before_kill']")" -eq 0 ] || fail "new connections failed before the kill: $res"
[ "$(jq_py "$res" "d['failed_in_window']")" -gt 0 ] ||
	fail "no new connection failed after the kill: did host2 get flows at all? $res"
python3 -c "import sys; sys.exit(0 if $w <= $bound + $SLACK_MS else 1)" ||
	fail "failure window ${w} ms > fall x interval + timeout = $bound ms (+ slack $SLACK_MS ms)"
[ "$(jq_py "$res" "d['failed_after_window']")" -eq 0 ] || fail "failures after the window: $res"
[ "$(jq_py "$res" "d['member_ok_while_down']")" -eq 0 ] || fail "host2 answered while killed?: $res"
ok "failure window ${w} ms (bound fall x interval + timeout = $bound ms, slack $SLACK_MS ms), then zero failures"

# Checks are due interval (+ up to 10 % jitter) after the last result: the
# first passing one comes 0..1.1 x interval after the server listens, the
# rise-th (rise - 1) x interval later. So the first new flow: not before
# (rise - 1) x interval after the restart, and within rise x 1.1 x interval
# (+ timeout + slack) after the server listens.
back=$(jq_py "$res" "d['first_back_ms']")
[ "$back" != None ] || fail "host2 got no new flow after its restart: $res"
backl=$(jq_py "$res" "d['first_back_listen_ms']")
lo=$(((RISE - 1) * INTERVAL)) hi=$((RISE * INTERVAL * 11 / 10 + TIMEOUT + SLACK_MS))
python3 -c "import sys; sys.exit(0 if $back >= $lo else 1)" ||
	fail "host2's first new flow ${back} ms after its restart: before (rise - 1) x interval = $lo ms"
python3 -c "import sys; sys.exit(0 if $backl <= $hi else 1)" ||
	fail "host2's first new flow ${backl} ms after it listened: want <= $hi ms"
ok "host2 back: first new flow ${back} ms after the restart, ${backl} ms after it listened (rise x interval = $((RISE * INTERVAL)) ms; $(jq_py "$res" "d['member_ok_after_restart']") flows after)"

n_other=0
for i in 0 1 2 3 4 5 6 7 8 9; do
	wait "$(cat "$SG_RUN/long$i.pid")" || true
	m0=$(cat "$SG_RUN/long$i.member0") m=$(long_member "$i")
	rc=$(cat "$SG_RUN/long$i.rc") size=$(cat "$SG_RUN/long$i.size")
	[ "$m" = "$m0" ] || fail "long transfer $i changed member: $m0 -> $m"
	if [ "$m0" = host2 ]; then
		echo "long transfer $i (host2, killed): curl rc $rc, $size bytes"
		continue
	fi
	[ "$rc" -eq 0 ] && [ "$size" -eq "$LONG_N" ] && [ "$(long_bytes "$i")" -eq "$LONG_N" ] ||
		fail "long transfer $i on $m0: curl rc $rc, $size of $LONG_N bytes"
	n_other=$((n_other + 1))
done
[ "$n_other" -ge 3 ] || fail "only $n_other long transfers on host1/host3"
ok "$n_other long transfers on host1/host3 completed ($LONG_N bytes each, no change of member)"
# the checks went through the exception path and passed on the others
exc=$(($(telemetry_get /sg/stats "d['exc_to_kernel']") - exc0))
[ "$exc" -gt 0 ] || fail "no packet went to the kernel through the exception path"
h=$(sgctl --json health)
for m in host1 host3; do
	jq_py "$h" "[x for x in d['members'] if x['member'] == '$m'][0]['last']" | grep -q '^ok' ||
		fail "$m's last check is not ok: $h"
done
ok "$exc packets to the appliance's kernel through the exception path during the run; host1 and host3 last checks ok"
echo "PASS health-failover"
