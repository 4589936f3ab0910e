#!/usr/bin/env bash
# State sync between two data planes (doc/dataplane.md "State sync: the
# channel", doc/cluster.md): A (ns d, the demo's addresses, NAT 198.18.1.100-101)
# and B (ns b: outside 198.18.4.2 behind the router, inside 198.18.1.3 on the
# LAN, NAT 198.18.1.110) sync over their own veth (198.18.3.1 - 198.18.3.2).
#
#  1. A starts alone: no peer answers, ready after dump_wait_ms (no_peer).
#  2. B starts: it asks A for a full dump, ready once A's DUMP_DONE arrived
#     (dump_done); HELLOs make each the other's "up" peer.
#  3. A paced 6 MB download through A's NAT VIP: its flow reaches B (B's
#     rx_records, B's flow table), kill -9 A, the router's VIP route and the
#     hosts' routes for A's NAT addresses move to B: the download completes
#     byte-exact through B (sync_takeover).
#  4. A restarts: it asks B for a dump, is ready after B's DUMP_DONE
#     (dump_done, records > 0) and holds the flow again.
#  5. B stops on SIGTERM with status 0.
# Bounded: each wait has its deadline; ~35 s (~45 s under ASan).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
SIZE=6000000 RATE=300000 # 20 s of download
P=$SG_TOPO B=$(topo_ns b) PB="${SG_PREFIX}b"
SG_CLEANUP_EXTRA="rm -rf /var/run/dpdk/$PB /dev/shm/$PB"

# B's namespace: outside on its own router link, inside on the LAN bridge
topo_up
sync_link b
ip -n "$P-r" link add rb type veth peer name out netns "$B"
ip -n "$P-r" link add bb type veth peer name in netns "$B"
ip -n "$P-r" link set bb master br0
ip -n "$P-r" addr add 198.18.4.1/24 dev rb
ip -n "$P-r" addr add 2001:2:0:4::1/64 dev rb nodad
ip netns exec "$B" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
for l in rb bb; do ip -n "$P-r" link set "$l" up; done
for l in out in; do
	ip -n "$B" link set "$l" up
	_topo_nooffload "$B" "$l"
done
_topo_nooffload "$P-r" rb && _topo_nooffload "$P-r" bb
backends_start

tel_b() { python3 "$SG_SRC/scripts/sg-telemetry.py" "$PB" "$1"; }
# get_b COMMAND PYTHON-EXPR / get_a: EXPR on B's (A's) telemetry reply (as d)
get_b() { tel_b "$1" | python3 -c "import json,sys; d=json.load(sys.stdin)[\"$1\"]; print($2)"; }
get_a() { telemetry_get "$1" "$2"; }

# 1. A alone
make_config -e "$(sync_cfg_line 1 198.18.3.1 198.18.3.2 'dump_wait_ms: 1500')"
dp_start "$SG_RUN/sg.yaml"
wait_val 10 = 1 get_a /sg/cluster "d['ready']" || fail "A never ready"
[ "$(get_a /sg/cluster "d['ready_reason']")" = no_peer ] || fail "A: not ready for no_peer"
ok "A alone: ready after dump_wait_ms, no peer answered (no_peer)"

# 2. B joins: a full dump from A
sed -e "s/file_prefix: sgdemo/file_prefix: $PB/" -e "s|shm: /sgdemo|shm: /$PB|" \
	-e 's|198.18.2.2/24|198.18.4.2/24|' -e 's|gateway: 198.18.2.1|gateway: 198.18.4.1|' \
	-e 's|2001:2:0:2::2/64|2001:2:0:4::2/64|' -e 's|gateway6: 2001:2:0:2::1|gateway6: 2001:2:0:4::1|' \
	-e 's|198.18.1.2/24|198.18.1.3/24|' -e 's|2001:2:0:1::2/64|2001:2:0:1::3/64|' \
	-e 's|\[198.18.1.100, 198.18.1.101, "2001:2:0:1::100"\]|[198.18.1.110, 198.18.1.111, "2001:2:0:1::110"]|' \
	-e "$(sync_cfg_line 2 198.18.3.2 198.18.3.1 'dump_wait_ms: 1500')" \
	"$SG_SRC/config/examples/demo.yaml" >"$SG_RUN/b.yaml"
grep -q 198.18.1.110 "$SG_RUN/b.yaml" || fail "B's configuration: NAT addresses not replaced"
setsid ip netns exec "$B" "$SG_BUILD/dataplane/sg-dataplane" -c "$SG_RUN/b.yaml" \
	--ready-file "$SG_RUN/b.ready" >"$SG_RUN/b.log" 2>&1 </dev/null &
BPID=$!
wait_for 30 test -s "$SG_RUN/b.ready" || { cat "$SG_RUN/b.log" >&2; fail "B did not start"; }
for h in 1 2; do
	wait_for 10 ip netns exec "$(topo_ns "h$h")" ping -c1 -W1 198.18.1.3 || fail "h$h cannot reach B"
done
wait_for 10 ip netns exec "$P-r" ping -c1 -W1 198.18.4.2 || fail "the router cannot reach B"
wait_val 10 = 1 get_b /sg/cluster "d['ready']" || fail "B never ready"
[ "$(get_b /sg/cluster "d['ready_reason']")" = dump_done ] ||
	fail "B: ready for $(get_b /sg/cluster "d['ready_reason']"), not A's dump"
[ "$(get_a /sg/cluster "d['peer/peer']['dumps_served']")" -ge 1 ] || fail "A served no dump"
wait_val 5 = up get_a /sg/cluster "d['peer/peer']['state']" || fail "A does not see B up"
ok "B joins: A's full dump, then ready (dump_done); each sees the other up"

# 3. a long download through A's NAT VIP, A killed, routes moved to B
client curl -s --max-time 60 -o "$SG_RUN/dl" "http://198.18.10.2/bytes/$SIZE?rate=$RATE" &
CURL=$!
wait_val 10 -ge 1 get_b /sg/cluster "d['sync']['rx_records']" ||
	fail "no record reached B"
wait_val 5 -ge 1 get_b /sg/flows "d['total']" || fail "B installed no flow"
wait_val 5 -ge 1 get_b /sg/stats "d['sync_installed']" || fail "B: sync_installed 0"
kill -9 "$(cat "$SG_RUN/dataplane.pid")"
got=$(stat -c %s "$SG_RUN/dl" 2>/dev/null || echo 0)
[ "$got" -lt $((SIZE * 9 / 10)) ] || fail "the download was nearly over before the failover ($got bytes)"
ip -n "$P-r" route replace 198.18.10.0/24 via 198.18.4.2
for h in 1 2; do
	for nat in 198.18.1.100 198.18.1.101; do # A's NAT addresses (a flow takes either)
		ip -n "$(topo_ns "h$h")" route replace "$nat/32" via 198.18.1.3
	done
done
ok "A's NAT flow synced to B (rx_records $(get_b /sg/cluster "d['sync']['rx_records']"), flows $(get_b /sg/flows "d['total']")); A killed at $got of $SIZE bytes, routes moved to B"
if ! wait "$CURL"; then
	rc=$?
	echo "---- B's counters" >&2
	tel_b /sg/stats | python3 -c 'import json,sys; d=json.load(sys.stdin)["/sg/stats"]; print({k: v for k, v in d.items() if v})' >&2 || true
	tel_b /sg/ports >&2 || true
	tel_b /sg/flows >&2 || true
	for n in c h1 h2; do
		echo "---- $n: ss" >&2
		ip netns exec "$(topo_ns "$n")" ss -tin >&2 || true
	done
	echo "---- B's log" >&2
	tail -n 20 "$SG_RUN/b.log" >&2
	fail "the download failed after the failover (curl $rc, $(stat -c %s "$SG_RUN/dl") bytes)"
fi
got=$(stat -c %s "$SG_RUN/dl")
[ "$got" -eq "$SIZE" ] || fail "download: $got bytes, not $SIZE"
[ "$(tr -d x <"$SG_RUN/dl" | wc -c)" -eq 0 ] || fail "download: bytes other than the server's"
[ "$(get_b /sg/stats "d['sync_takeover']")" -ge 1 ] || fail "B: sync_takeover 0"
ok "kill -9 A: the download completed byte-exact through B ($SIZE bytes; sync_takeover $(get_b /sg/stats "d['sync_takeover']"))"

# 4. A restarts: B's dump, then ready, holding the flow
rm -f "$SG_RUN/dataplane.pid"
dp_start "$SG_RUN/sg.yaml"
wait_val 15 = 1 get_a /sg/cluster "d['ready']" || fail "A never ready after its restart"
[ "$(get_a /sg/cluster "d['ready_reason']")" = dump_done ] ||
	fail "A restarted: ready for $(get_a /sg/cluster "d['ready_reason']"), not B's dump"
recs=$(get_a /sg/cluster "d['dump']['records']")
[ "$recs" -ge 1 ] || fail "A restarted: B's dump held no record"
[ "$(get_a /sg/flows "d['total']")" -ge 1 ] || fail "A restarted: it holds no flow"
ok "A restarted: B's dump ($recs records), ready (dump_done), $(get_a /sg/flows "d['total']") flows held"

# 5. SIGTERM: B's sync thread and rings go with it, cleanly
kill -TERM "$BPID"
wait_for 10 bash -c "! kill -0 $BPID" || fail "B did not stop on SIGTERM"
wait "$BPID" || fail "B exited with status $? on SIGTERM"
grep -q "sg-dataplane: stopping" "$SG_RUN/b.log" || fail "B: no clean stop in its log"
ok "B stopped cleanly on SIGTERM"
