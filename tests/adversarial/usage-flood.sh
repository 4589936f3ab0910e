#!/usr/bin/env bash
# Issue 16 (accounting): every brokered session a remote client opens makes
# sg-control write a usage record and access-log lines. A client that opens
# 2,000 short sessions as fast as it can (8 connections at a time, 60 s at
# most) must not fill the disk: both files rotate at usage.max_mb (1 MiB)
# and keep usage.keep (1) old copy. Asserts: the access log rotated
# (sg_ctl_access_log_rotations_total moved), no file past PATH.1, each at
# most 1 MiB, every line whole JSON; nothing lost (write errors 0); `sgctl
# usage` answers during the flood; the demo's VIPs and a new brokered
# session are served during and after; sg-control and the data plane alive;
# sg-control's /metrics carries the real data plane's telemetry (sg_dp_up 1)
# and its brokered VS's bytes moved with the flood.
. "$(dirname "$0")/lib.sh"

. "$SG_SRC/scripts/lib/brokered.sh"
for b in "$SG_CTL_BIN" "$SG_SGCTL_BIN" "$SG_AGENT_BIN"; do
	[ -x "$b" ] || fail "missing $b (build control/ and hostagent/)"
done
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/control.log" >&2; broker_stop'

topo_up
broker_vm_addrs || fail "host3 and the VM addresses"
backends_start || fail "backends"
make_config
dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
broker_configs 300 60000 5000
cat >>"$SG_RUN/control.yaml" <<YAML
usage: { path: $SG_RUN/usage.jsonl, max_mb: 1, keep: 1, access_log: $SG_RUN/access.jsonl }
dataplane_telemetry: /var/run/dpdk/$SG_PREFIX/dpdk_telemetry.v2
YAML
ctl_start || fail "sg-control did not start"
agent_start || fail "the host agents did not connect"
mport=$(sed -n 's/^ *metrics_listen: 127.0.0.1:\([0-9]*\)$/\1/p' "$SG_RUN/control.yaml")
# metric NAME: its value in sg-control's /metrics (sg-control runs in the router's namespace)
metric() {
	ip netns exec "$(topo_ns r)" curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" |
		awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print "none" }'
}
brokered() { legit_http http://198.18.10.3/ -H "Host: app.example" >/dev/null; }
brokered || fail "a brokered session before the flood"
ok "appliance up, a brokered session served"
[ "$(metric sg_dp_up)" = 1 ] || fail "sg_dp_up is $(metric sg_dp_up): the data plane's telemetry not scraped"
vs='sg_dp_vs_bytes_total{vs="app-brokered"}'
bytes0=$(metric "$vs")
[ "$bytes0" != none ] || fail "no $vs in /metrics"

client timeout 90 python3 - >"$SG_RUN/flood.log" 2>&1 <<'PY' &
import socket, threading, time
N, T, t_end = 2000, 8, time.time() + 60
done = bad = 0
lock = threading.Lock()
def run():
    global done, bad
    while time.time() < t_end:
        with lock:
            if done + bad >= N:
                return
        try:
            s = socket.create_connection(("198.18.10.3", 80), timeout=10)
            s.settimeout(10)
            s.sendall(b"GET / HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n\r\n")
            while s.recv(4096):
                pass
            s.close()
            with lock:
                done += 1
        except OSError:
            with lock:
                bad += 1
th = [threading.Thread(target=run) for _ in range(T)]
[t.start() for t in th]
[t.join() for t in th]
print("sessions: %d done, %d failed" % (done, bad))
PY
flood=$!
sleep 2
sgctl usage --limit 5 >/dev/null || fail "sgctl usage during the flood"
ok "sgctl usage answered during the flood"
during_flood "$flood" "the session flood"
cat "$SG_RUN/flood.log"
n=$(sed -n 's/^sessions: \([0-9]*\) done.*/\1/p' "$SG_RUN/flood.log")
[ "${n:-0}" -ge 1900 ] || fail "only ${n:-0} sessions in 60 s: too few to fill 1 MiB of access log"

# SESSION_CLOSED comes once a session's flows are gone (tcp_transitory: 5 s); the
# last few may still be closing: 95% are enough to have filled the files. Some
# sessions' flows stay installed well past that under the flood (0.5-5 % after
# 30 s on the loaded box under ASan; why is not pinned down yet: the data plane
# may have missed their end, which then comes at the idle timeout), so the
# wait is 60 s, and the stragglers are shown if it is not enough.
closed_ge() { [ "$(metric sg_ctl_closed_total)" -ge "$1" ]; }
wait_for 60 closed_ge $((n * 95 / 100)) || {
	sgctl sessions --limit 10 >&2
	dp_telemetry /sg/stats | tr ',' '\n' | grep -E 'drop|closed|expired|evict' | grep -v ': 0' >&2
	fail "sessions not closed: $(metric sg_ctl_closed_total) of $n"
}
ok "closed: $(metric sg_ctl_closed_total) of $n sessions, still installed: $(metric 'sg_ctl_sessions{state="installed"}')"
rot=$(metric sg_ctl_access_log_rotations_total)
[ "$rot" -ge 1 ] || fail "the access log never rotated (sg_ctl_access_log_rotations_total $rot)"
ok "access log rotated $rot times, usage file $(metric sg_ctl_usage_rotations_total) times"
for c in sg_ctl_usage_write_errors_total sg_ctl_access_log_write_errors_total; do
	[ "$(metric $c)" = 0 ] || fail "lines lost: $c $(metric $c)"
done
for f in usage access; do
	[ ! -e "$SG_RUN/$f.jsonl.2" ] || fail "$f.jsonl.2 exists: keep 1 not applied"
	for g in "$SG_RUN/$f.jsonl" "$SG_RUN/$f.jsonl.1"; do
		[ ! -e "$g" ] || [ "$(stat -c %s "$g")" -le 1048576 ] || fail "$g over 1 MiB"
		[ ! -e "$g" ] || python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$g" ||
			fail "$g: a line that is not JSON"
	done
done
ok "usage files bounded: $(du -cb "$SG_RUN"/usage.jsonl* "$SG_RUN"/access.jsonl* | tail -1 | cut -f1) bytes in all"
bytes1=$(metric "$vs")
[ "$bytes1" -gt "$bytes0" ] || fail "$vs did not move: $bytes0 -> $bytes1"
ok "$vs moved with the flood: $bytes0 -> $bytes1"
assert_served "after the session flood"
brokered || fail "a brokered session after the flood"
kill -0 "$(cat "$SG_RUN/control.pid")" || fail "sg-control is gone"
ok "served after the flood; sg-control and the data plane alive"
