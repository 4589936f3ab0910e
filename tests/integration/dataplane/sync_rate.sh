#!/usr/bin/env bash
# The sync channel against a stand-in peer (syncpeer.py, with the key):
#  1. the data plane starts while the peer answers its DUMP_REQ with 600
#     records and DUMP_DONE: ready (dump_done) once the worker took them
#     all (600 flows installed, dump.records 600);
#  2. its HELLOs: one a second, every MAC good;
#  3. the peer asks for a full dump: with sync.rate 200 records/s the 600
#     records take at least 2.5 s, the thread counted rate_limited, and
#     DUMP_DONE echoes the peer's dump id.
# Bounded: ~20 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
N=600 RATE=200

topo_up
backends_start
sync_link s
make_config -e "$(sync_cfg_line 1 198.18.3.1 198.18.3.2 "rate: $RATE, dump_wait_ms: 3000")"

# 1. start-up dump from the peer
syncpeer answer-dump 30 "$N" >"$SG_RUN/answer.json" &
ANSWER=$!
dp_start "$SG_RUN/sg.yaml"
wait_val 15 = 1 cluster_get "d['ready']" || fail "never ready"
[ "$(cluster_get "d['ready_reason']")" = dump_done ] || fail "ready for $(cluster_get "d['ready_reason']")"
wait "$ANSWER" || fail "the stand-in peer failed: $(cat "$SG_RUN/answer.json")"
grep -q '"answered": 1' "$SG_RUN/answer.json" || fail "no DUMP_REQ reached the peer: $(cat "$SG_RUN/answer.json")"
[ "$(cluster_get "d['dump']['records']")" -eq "$N" ] || fail "dump.records $(cluster_get "d['dump']['records']")"
[ "$(telemetry_get /sg/flows "d['total']")" -eq "$N" ] || fail "flows: $(telemetry_get /sg/flows "d['total']"), not $N"
ok "ready (dump_done) after the peer's $N records were installed"

# 2. HELLOs
syncpeer listen 2.5 >"$SG_RUN/listen.json"
"$SYNC_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["hello"] >= 2 and d["bad_mac"] == 0 else 1)' \
	"$SG_RUN/listen.json" || fail "HELLOs: $(cat "$SG_RUN/listen.json")"
ok "HELLO every second, MAC good: $(cat "$SG_RUN/listen.json")"

# 3. a full dump for the peer, within the rate
rl0=$(sync_get rate_limited)
syncpeer ask-dump 15 >"$SG_RUN/dump.json"
"$SYNC_PY" - "$SG_RUN/dump.json" "$N" "$RATE" <<'PY' || fail "dump: $(cat "$SG_RUN/dump.json")"
import json, sys
d, n, rate = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
# the GCRA lets 10 ms of records and one datagram through at once
floor_ms = (n - rate // 100 - 11) * 1000 // rate
sys.exit(0 if d["done"] == 1 and d["records"] >= n and d["ms"] >= floor_ms else 1)
PY
[ "$(sync_get rate_limited)" -gt "$rl0" ] || fail "rate_limited did not move"
[ "$(cluster_get "d['peer/peer']['dumps_served']")" -ge 1 ] || fail "dumps_served 0"
ok "full dump within $RATE records/s: $(cat "$SG_RUN/dump.json"), rate_limited $(sync_get rate_limited)"
