#!/usr/bin/env bash
# Idle mode (appliance.idle, doc/dataplane.md "Idle mode"): the same data
# plane, idle mode on then off. On: an idle data plane uses under 25 % of a
# core, its workers count sleeps; off: it polls flat out (over 50 % of a
# core, no sleeps). Both: after the idle period 200 UDP request/answers,
# 5 ms apart, through the NAT VIP are all answered (round-trip p50/p99
# reported, on against off); on: a reload while the worker sleeps completes.
. "$(dirname "$0")/lib.sh"
IDLE_MAX_US=500
CPU_SECONDS=3

# cpu_ticks PID: utime + stime of the process (all its threads), in clock ticks
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat") || fail "sg-dataplane ($1) is gone"
	awk '{ print $12 + $13 }' <<<"${stat##*) }"
}

# cpu_share: per cent of one core the data plane used over CPU_SECONDS
cpu_share() {
	local pid t0 t1 s0 s1 hz
	pid=$(cat "$SG_RUN/dataplane.pid")
	[ "$(cat "/proc/$pid/comm")" = sg-dataplane ] || fail "pid $pid is not sg-dataplane"
	hz=$(getconf CLK_TCK)
	t0=$(date +%s.%N) s0=$(cpu_ticks "$pid")
	sleep "$CPU_SECONDS"
	t1=$(date +%s.%N) s1=$(cpu_ticks "$pid")
	python3 -c "print(int(100 * ($s1 - $s0) / $hz / ($t1 - $t0)))"
}

# udp_rtts LABEL: 200 requests, 5 ms apart, to the NAT VIP; every one must be
# answered; prints "p50_us p99_us"
udp_rtts() {
	local out
	out=$(client python3 - <<'PY'
import socket, statistics, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
rtts, lost = [], 0
for i in range(200):
    t0 = time.perf_counter()
    s.sendto(b"idle %d" % i, ("198.18.10.2", 5353))
    try:
        data, _ = s.recvfrom(2048)
        if not data.endswith(b"idle %d" % i):
            lost += 1
        else:
            rtts.append((time.perf_counter() - t0) * 1e6)
    except socket.timeout:
        lost += 1
    time.sleep(0.005)
rtts.sort()
print(lost, int(statistics.median(rtts)) if rtts else -1,
      int(rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))]) if rtts else -1)
PY
	) || fail "$1: the UDP client failed"
	read -r lost p50 p99 <<<"$out"
	[ "$lost" -eq 0 ] || fail "$1: $lost of 200 UDP requests through the NAT VIP unanswered"
	echo "$p50 $p99"
}

stat_of() { telemetry_get /sg/stats "d['$1']"; }

# --- idle mode on
topo_up
backends_start
make_config -e "s/^appliance:\$/appliance:\n  idle: { enabled: true, after_polls: 512, min_us: 5, max_us: $IDLE_MAX_US }/"
grep -q "idle: { enabled: true" "$SG_RUN/sg.yaml" || fail "the configuration has no idle section"
dp_start "$SG_RUN/sg.yaml"
grep -q "(idle mode)" "$SG_RUN/dataplane.log" || fail "the worker did not start in idle mode"
sleeps0=$(stat_of idle_sleeps)
slept0=$(stat_of idle_sleep_us)
on_cpu=$(cpu_share)
sleeps1=$(stat_of idle_sleeps)
slept1=$(stat_of idle_sleep_us)
[ "$on_cpu" -lt 25 ] || fail "idle mode on: an idle data plane used $on_cpu % of a core (>= 25 %)"
ok "idle mode on: an idle data plane used $on_cpu % of a core over ${CPU_SECONDS} s"
[ "$sleeps1" -gt "$sleeps0" ] || fail "idle_sleeps did not move ($sleeps0 -> $sleeps1)"
[ $((slept1 - slept0)) -ge $((CPU_SECONDS * 1000000 / 2)) ] ||
	fail "idle_sleep_us moved $((slept1 - slept0)) us in ${CPU_SECONDS} s: under half the time asleep"
ok "idle_sleeps +$((sleeps1 - sleeps0)), idle_sleep_us +$((slept1 - slept0))"

t0=$(date +%s%N)
res=$(telemetry_get /sg/reload "d['result'] + ' ' + d['message']")
ms=$((($(date +%s%N) - t0) / 1000000))
case "$res" in ok*) ;; *) fail "reload while the worker sleeps: $res" ;; esac
[ "$ms" -lt 3000 ] || fail "reload while the worker sleeps took $ms ms"
ok "reload while the worker sleeps: $res ($ms ms)"

read -r on_p50 on_p99 <<<"$(udp_rtts "idle on")"
ok "idle mode on: 200/200 UDP answers through the NAT VIP, rtt p50 $on_p50 us p99 $on_p99 us"
# a worker asleep at most max_us per direction: the median stays far below a
# scheduler's tick; the bound leaves room for a shared, sanitised CI box
[ "$on_p50" -lt 20000 ] || fail "idle mode on: median round trip $on_p50 us"
sleeps2=$(stat_of idle_sleeps)
dp_stop

# --- idle mode off: the same data plane polls flat out
make_config
dp_start "$SG_RUN/sg.yaml"
grep -q "(idle mode)" "$SG_RUN/dataplane.log" && fail "idle mode on without appliance.idle"
off_cpu=$(cpu_share)
[ "$off_cpu" -gt 50 ] || fail "idle mode off: the polling data plane used only $off_cpu % of a core"
ok "idle mode off: the data plane used $off_cpu % of a core (polling)"
read -r off_p50 off_p99 <<<"$(udp_rtts "idle off")"
ok "idle mode off: 200/200 UDP answers, rtt p50 $off_p50 us p99 $off_p99 us"
[ "$(stat_of idle_sleeps)" -eq 0 ] || fail "idle mode off: idle_sleeps moved"
ok "idle mode off: idle_sleeps 0"

echo "idle: cpu on $on_cpu % off $off_cpu %; rtt p50/p99 on $on_p50/$on_p99 us" \
	"off $off_p50/$off_p99 us; idle_sleeps $sleeps2 (max_us $IDLE_MAX_US)"
echo "PASS idle"
