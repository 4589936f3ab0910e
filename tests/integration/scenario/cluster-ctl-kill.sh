#!/usr/bin/env bash
# kill -9 of one sg-control in a two-appliance cluster (issue 14, "What it
# must show", second bullet; topology in cluster-lib.sh). 60 long brokered
# downloads spread over A and B by ECMP and a paced client of new brokered
# connections run; sg-control A is killed: A's data plane sees its heartbeat
# stall, sg-routed withdraws A's brokered VIP (the router keeps only B's next
# hop for it, and both for the DSR and NAT VIPs, which need no sg-control),
# new brokered clients land on B, which keeps brokering (new sessions in etcd
# owned by B); the sessions installed through A keep flowing (>= 99 % of the
# downloads complete byte-exact, via B's synced copies); no session is
# brokered twice: every session ID is in at most one LMDB, and every one of
# etcd's session keys names the node whose LMDB holds it.
. "$(dirname "$0")/cluster-lib.sh"

N=60 BYTES=240000 RATE=20000 # 12 s per download
MAX_WINDOW_MS=${SCEN_MAX_WINDOW_MS:-6000} # heartbeat stall (3 s) + sg-routed + BGP, slack for ASan
ms() { python3 -c "print(round(($2 - $1) * 1000))"; }
# etcd_sessions: {sid hex: node} of etcd's session keys.
etcd_sessions() {
	cl_etcdctl get --prefix /sessiongate/v1/sessions/ -w json | python3 -c '
import base64, json, sys
d = json.load(sys.stdin)
out = {}
for kv in d.get("kvs", []):
    k = base64.b64decode(kv["key"]).decode()
    v = json.loads(base64.b64decode(kv["value"]))
    out[k.rsplit("/", 1)[1]] = v.get("node")
print(json.dumps(out))'
}

cl_up
for v in 198.18.10.1 198.18.10.2 198.18.10.3; do
	wait_for 20 client curl -sf --max-time 5 -H "Host: app.example" "http://$v/" ||
		fail "no answer through $v"
done
ok "two appliances up, every VIP answers; brokered VIP via $(cl_nexthops 198.18.10.3)"

client python3 "$SCEN_DIR/longconns.py" --vip brokered=198.18.10.3:80 --host app.example --count $N \
	--bytes $BYTES --rate $RATE --port-base 38000 --timeout 60 --spread 2 \
	--ready-file "$SG_RUN/long.ready" >"$SG_RUN/long.json" 2>"$SG_RUN/long.err" &
long_pid=$!
wait_for 20 test -s "$SG_RUN/long.ready" || fail "not every brokered download started within 20 s"
es=$(etcd_sessions)
na=$(jq_py "$es" "sum(1 for n in d.values() if n == 'node-a')")
nb=$(jq_py "$es" "sum(1 for n in d.values() if n == 'node-b')")
if [ "$na" -eq 0 ] || [ "$nb" -eq 0 ]; then
	fail "sessions in etcd: node-a $na, node-b $nb (ECMP should spread them)"
fi
ok "$N brokered downloads running; etcd sessions: node-a $na, node-b $nb"

client python3 "$SCEN_DIR/paced.py" run --vip brokered=198.18.10.3:80 --host app.example \
	--port-base 2000 --interval-ms 50 --duration 60 --timeout 5 --stop-file "$SG_RUN/paced.stop" \
	--log "$SG_RUN/paced.log" >"$SG_RUN/paced.out" 2>&1 &
paced_pid=$!
sleep 1

t_kill=$(now)
pid=$(cat "$SG_RUN/a/control.pid")
kill -9 "$pid"
wait_for 5 bash -c "! kill -0 $pid" || fail "sg-control A survived kill -9"
# withdrawn: the brokered VIP via B only while the DSR VIP is still via both
# (a BGP flap of a loaded box, which takes both away for a moment, is no
# withdrawal)
withdrawn() {
	cl_routes_are 198.18.3.2 198.18.10.3 && cl_routes_are "198.18.2.2 198.18.3.2" 198.18.10.1 198.18.10.2
}
deadline=$(($(date +%s) + 15))
until withdrawn; do
	[ "$(date +%s)" -lt "$deadline" ] ||
		fail "15 s after the kill: brokered VIP via '$(cl_nexthops 198.18.10.3)', DSR VIP via '$(cl_nexthops 198.18.10.1)'"
	sleep 0.05
done
wd_ms=$(ms "$t_kill" "$(now)")
[ "$(cl_tel_get a /sg/cluster "d['ctl_up']")" = 0 ] || fail "A's data plane still sees sg-control up"
ok "sg-control A killed: the router keeps only B for the brokered VIP after $wd_ms ms; DSR and NAT VIPs still on both"

sleep 4 # new brokered clients land on B meanwhile
touch "$SG_RUN/paced.stop"
wait "$paced_pid" || fail "paced client: $(cat "$SG_RUN/paced.out")"
echo "paced client: $(cat "$SG_RUN/paced.out")"
w=$(python3 "$SCEN_DIR/paced.py" window --log "$SG_RUN/paced.log" --member none --kill "$t_kill")
echo "new brokered connections: $w"
[ "$(jq_py "$w" "d['failed_before_kill']")" -eq 0 ] || fail "new connections failed before the kill"
[ "$(jq_py "$w" "d['failed_after_window']")" -eq 0 ] || fail "new connections failed after the window: $w"
python3 -c "import sys; sys.exit(0 if $(jq_py "$w" "d['window_ms']") <= $MAX_WINDOW_MS else 1)" ||
	fail "failure window over $MAX_WINDOW_MS ms: $w"
es2=$(etcd_sessions)
nb2=$(jq_py "$es2" "sum(1 for n in d.values() if n == 'node-b')")
[ "$nb2" -gt "$nb" ] || fail "B brokered no new session after the kill (node-b sessions $nb -> $nb2)"
ok "new brokered clients on B: failure window $(jq_py "$w" "d['window_ms']") ms ($(jq_py "$w" "d['failed_in_window']") failed), none after; node-b sessions in etcd $nb -> $nb2"

wait "$long_pid" || fail "brokered downloads: $(cat "$SG_RUN/long.err")"
r=$(cat "$SG_RUN/long.json")
echo "brokered downloads: $r"
pct=$(jq_py "$r" "d['pct']")
python3 -c "import sys; sys.exit(0 if $pct >= 99 else 1)" || fail "only $pct % of $N brokered downloads completed"
ok "$pct % of $N brokered downloads completed byte-exact across the kill"

# no session brokered twice: etcd and both LMDBs (A's read from its files)
es3=$(etcd_sessions)
la=$(python3 "$SCEN_DIR/lmdb_sids.py" "$SG_RUN/a/db") || fail "A's LMDB"
lb=$(python3 "$SCEN_DIR/lmdb_sids.py" "$SG_RUN/b/db") || fail "B's LMDB"
python3 - "$es3" "$la" "$lb" <<'PY' || fail "a session brokered twice or out of step (etcd $es3, A $la, B $lb)"
import json, sys
# session IDs compared as numbers: etcd's keys may be written without the zero padding
etcd = {int(k, 16): v for k, v in json.loads(sys.argv[1]).items()}
la, lb = [[int(x, 16) for x in json.loads(a)] for a in sys.argv[2:4]]
both = set(la) & set(lb)
dup = len(la) != len(set(la)) or len(lb) != len(set(lb))
wrong = [s for s in lb if s in etcd and etcd[s] != "node-b"]
wrong += [s for s in la if s in etcd and etcd[s] != "node-a"]
print("LMDB A %d, LMDB B %d sessions, etcd %d keys, in both LMDBs %d, node mismatch %d" %
      (len(la), len(lb), len(etcd), len(both), len(wrong)))
sys.exit(1 if both or dup or wrong else 0)
PY
ok "no session brokered twice (etcd's session keys, A's and B's LMDB)"
echo "figures: brokered VIP withdrawn ${wd_ms} ms after the kill; new-connection window $(jq_py "$w" "d['window_ms']") ms; $pct % of downloads survived"
echo "PASS cluster-ctl-kill"
