#!/usr/bin/env bash
# Issue 16 (QoS rate of a brokered session, doc/sessions.md "Usage and
# QoS"): a remote client pulls 1 MB as fast as TCP goes through the
# http_host-keyed brokered VS 198.18.10.3:80, whose sessions sg-ctlecho
# installs (NAT to the VM 198.18.1.11:80) with rate_bps 262144 and a 64 KiB
# burst and a usage interval of 1 s. Asserts: drop_qos_rate moves; the download never beats the rate
# (1 MB takes at least (1 MB - burst) / rate); the demo's DSR and NAT VIPs
# and a second brokered client are served during the download and after it;
# the SESSION_CLOSED messages carry the bytes the clients received (bodies
# + headers, s2c) and the drops, SESSION_USAGE came during the download;
# no crash.
. "$(dirname "$0")/lib.sh"

CTLECHO=$SG_BUILD/tests/bench/dataplane/sg-ctlecho
[ -x "$CTLECHO" ] || fail "missing $CTLECHO (build tests/bench/dataplane)"
RATE=262144 BURST=65536 SIZE=1000000
SG_CLEANUP_EXTRA='[ -n "${echo_pid:-}" ] && kill "$echo_pid" 2>/dev/null'

topo_up
backends_start || fail "backends"
make_config
dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
"$CTLECHO" --shm "/$SG_PREFIX" --vm 198.18.1.11 --port 80 --rate-bps "$RATE" --burst "$BURST" \
	--usage-s 1 --idle-sleep-us 1000 --wait 20 --deadline 100 >"$SG_RUN/ctlecho.json" 2>"$SG_RUN/ctlecho.log" &
echo_pid=$!
assert_served "before the download"
# the control path is up once a brokered request is installed (heartbeats seen)
brokered_get() { legit_http "http://198.18.10.3$1" -H "Host: app.example"; }
for _ in $(seq 1 40); do
	brokered_get / >/dev/null 2>&1 && break
	sleep 0.25
done
brokered_get / >/dev/null || fail "brokered VS not served through sg-ctlecho: $(cat "$SG_RUN/ctlecho.log")"
ok "brokered VS served through sg-ctlecho"
drops0=$(dp_stat drop_qos_rate)

client curl -s -o /dev/null --max-time 40 -w '%{size_download} %{time_total}\n' \
	-H "Host: app.example" "http://198.18.10.3/bytes/$SIZE" >"$SG_RUN/flood.log" 2>&1 &
dl_pid=$!
sleep 1
assert_served "during the rated download"
brokered_get / >/dev/null || fail "a second brokered client not served during the download"
ok "DSR and NAT VIPs and a second brokered client served during the rated download"
wait "$dl_pid" || fail "the download failed: $(cat "$SG_RUN/flood.log")"
read -r got secs <"$SG_RUN/flood.log"
[ "$got" = "$SIZE" ] || fail "downloaded $got bytes, not $SIZE"
python3 -c "import sys; s=float('$secs'); sys.exit(0 if ($SIZE - $BURST) / s <= $RATE * 1.05 else 1)" ||
	fail "$SIZE bytes in $secs s: faster than $RATE bytes/s (+ $BURST burst)"
ok "$SIZE bytes in $secs s: within $RATE bytes/s"
drops=$(($(dp_stat drop_qos_rate) - drops0))
[ "$drops" -gt 0 ] || fail "drop_qos_rate did not move"
ok "drop_qos_rate +$drops"
assert_served "after the download"
ok "served after the download"

# the flows end (tcp_transitory 5 s): SESSION_CLOSED to sg-ctlecho, which prints its sums
sleep 8
kill "$echo_pid"
wait "$echo_pid" || true
echo_pid=
read -r s2c qd closed usage <<<"$(python3 -c "
import json; d = json.loads(open('$SG_RUN/ctlecho.json').read())
print(d['closed_bytes_s2c'], d['closed_qos_dropped'], d['session_closed'], d['session_usage'])")"
[ "$closed" -ge 3 ] || fail "$closed SESSION_CLOSED, expected the 3+ brokered sessions"
# the bodies (1 MB and the small pages) and their headers, nothing more
[ "$s2c" -ge "$SIZE" ] && [ "$s2c" -le $((SIZE + 30000)) ] ||
	fail "SESSION_CLOSED carries $s2c bytes to the clients, expected $SIZE + headers"
[ "$qd" -ge "$drops" ] || fail "SESSION_CLOSED carries $qd QoS drops, drop_qos_rate moved $drops"
ok "SESSION_CLOSED: $s2c bytes to the clients, $qd QoS drops, $closed sessions"
# the 1 MB session lasted 3.5 s or more: one SESSION_USAGE a second meanwhile
[ "$usage" -ge 3 ] || fail "$usage SESSION_USAGE, expected one a second of the download"
ok "$usage SESSION_USAGE"
dp_alive || fail "sg-dataplane is gone"
ok "qos-flood"
