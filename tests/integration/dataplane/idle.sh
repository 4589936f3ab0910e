#!/usr/bin/env bash
# Idle mode (appliance.idle, doc/dataplane.md "Idle mode"): the same data
# plane, idle mode on then off. On: an idle data plane uses under 25 % of a
# core, its workers count sleeps; off: it polls flat out (its threads run or
# wait for a CPU at least 80 % of the time, whatever else shares the CPUs;
# no sleeps). Both: after the idle period 200 UDP request/answers,
# 5 ms apart, through the NAT VIP are all answered (round-trip p50/p99
# reported, on against off); on: a reload while the worker sleeps completes.
. "$(dirname "$0")/lib.sh"
IDLE_MAX_US=500
CPU_SECONDS=3

# cpu_share: "CPU DEMAND" of the data plane over CPU_SECONDS, in per cent of
# one core: CPU = utime + stime (/proc/PID/stat); DEMAND = time its threads
# ran or were runnable waiting for a CPU (/proc/PID/task/*/schedstat), which
# a poller keeps near 100 % per worker even on a CPU it shares
cpu_share() {
	local pid
	pid=$(cat "$SG_RUN/dataplane.pid")
	[ "$(cat "/proc/$pid/comm")" = sg-dataplane ] || fail "pid $pid is not sg-dataplane"
	python3 - "$pid" "$CPU_SECONDS" <<'PY' || fail "cannot read the data plane's CPU use"
import glob, os, sys, time
pid, secs = sys.argv[1], float(sys.argv[2])
hz = os.sysconf("SC_CLK_TCK")
def sample():
    with open("/proc/%s/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    demand = 0
    for p in glob.glob("/proc/%s/task/*/schedstat" % pid):
        try:
            with open(p) as f:
                run, wait = f.read().split()[:2]
            demand += int(run) + int(wait)
        except (OSError, ValueError):
            pass  # a thread that just ended
    return time.monotonic(), (int(st[11]) + int(st[12])) / hz, demand / 1e9
t0, c0, d0 = sample()
time.sleep(secs)
t1, c1, d1 = sample()
print(int(100 * (c1 - c0) / (t1 - t0)), int(100 * (d1 - d0) / (t1 - t0)))
PY
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
# demo.yaml's own idle line (if any) gives way to this test's
make_config -e '/^  idle:/d' \
	-e "s/^appliance:\$/appliance:\n  idle: { enabled: true, after_polls: 512, min_us: 5, max_us: $IDLE_MAX_US }/"
grep -q "idle: { enabled: true" "$SG_RUN/sg.yaml" || fail "the configuration has no idle section"
dp_start "$SG_RUN/sg.yaml"
grep -q "(idle mode)" "$SG_RUN/dataplane.log" || fail "the worker did not start in idle mode"
sleeps0=$(stat_of idle_sleeps)
slept0=$(stat_of idle_sleep_us)
read -r on_cpu on_demand <<<"$(cpu_share)"
sleeps1=$(stat_of idle_sleeps)
slept1=$(stat_of idle_sleep_us)
[ "$on_cpu" -lt 25 ] || fail "idle mode on: an idle data plane used $on_cpu % of a core (>= 25 %)"
ok "idle mode on: an idle data plane used $on_cpu % of a core over ${CPU_SECONDS} s (ran or runnable $on_demand %)"
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
make_config -e '/^  idle:/d'
grep -q "^  idle:" "$SG_RUN/sg.yaml" && fail "idle mode still in the configuration"
dp_start "$SG_RUN/sg.yaml"
grep -q "(idle mode)" "$SG_RUN/dataplane.log" && fail "idle mode on without appliance.idle"
read -r off_cpu off_demand <<<"$(cpu_share)"
# the poller always wants its core: running, or runnable while others have it
[ "$off_demand" -ge 80 ] ||
	fail "idle mode off: the data plane ran or was runnable only $off_demand % of the time"
ok "idle mode off: the data plane used $off_cpu % of a core, ran or was runnable $off_demand % (polling)"
read -r off_p50 off_p99 <<<"$(udp_rtts "idle off")"
ok "idle mode off: 200/200 UDP answers, rtt p50 $off_p50 us p99 $off_p99 us"
[ "$(stat_of idle_sleeps)" -eq 0 ] || fail "idle mode off: idle_sleeps moved"
ok "idle mode off: idle_sleeps 0"

echo "idle: cpu on $on_cpu % off $off_cpu % (runnable on $on_demand % off $off_demand %); rtt p50/p99 on $on_p50/$on_p99 us" \
	"off $off_p50/$off_p99 us; idle_sleeps $sleeps2 (max_us $IDLE_MAX_US)"
echo "PASS idle"
