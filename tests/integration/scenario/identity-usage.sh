#!/usr/bin/env bash
# scenario-identity-usage (issue 16): every session accounted, on the
# identity scenario's appliance (identity-lib.sh: token apps desk, NAT
# hand-off, and files, DSR hand-off) with sg-control's usage records, access
# log and the data plane's telemetry in its Prometheus /metrics. Checks:
#  1. a 1 MB download by alice through desk (NAT) and one through files
#     (DSR): after close, each has one final usage record (sgctl usage
#     --user alice) with the right user, app, VM and host, and bytes_s2c
#     within what the client received (body + HTTP headers) and that plus
#     the IP/TCP headers of its packets (NAT: IP bytes forwarded; DSR: bytes
#     the client's ACKs acknowledged, within 2 of what it received);
#  2. a refused (forged) session has a usage record (zeros, reason
#     forbidden) and access-log lines "rejected"; the downloads "installed"
#     and "closed" ones;
#  3. a Prometheus scrape of sg-control before and after: sg_dp_up 1, and the
#     data plane's per-VS bytes and outside port's tx bytes moved by at least
#     the downloads;
#  4. control/examples/control-token.yaml (token apps, usage) passes
#     sg-control --check (its key files made here).
. "$(dirname "$0")/identity-lib.sh"
"$SG_SGCTL_BIN" -h 2>&1 | grep -q "^  usage " ||
	fail "$SG_SGCTL_BIN has no 'usage' command: sg-control's usage records are not built in"

ID_CONTROL_EXTRA="usage: { path: $SG_RUN/usage/usage.jsonl, max_mb: 1, keep: 2, access_log: $SG_RUN/usage/access.jsonl }
dataplane_telemetry: /var/run/dpdk/$SG_PREFIX/dpdk_telemetry.v2"
mkdir -p "$SG_RUN/usage"
id_setup

# scrape: sg-control's /metrics (it runs in the router namespace)
scrape() { ip netns exec "$(topo_ns r)" curl -s --max-time 5 "http://127.0.0.1:$ID_MPORT/metrics"; }
# metric TEXT NAME{LABELS}: the sample's value (0 when absent)
metric() { awk -v m="$2" '$1 == m { v = $2 } END { print v + 0 }' <<<"$1"; }
# dl PORT WHAT CURL-ARGS...: a 1 MB download from client port PORT; sets
# BODY and HDRS: the sizes curl received.
dl() {
	local port=$1 what=$2
	shift 2
	client curl -s --max-time 40 --local-port "$port" -o /dev/null \
		-w '%{http_code} %{size_download} %{size_header}' "$@" >"$SG_RUN/dl" ||
		fail "$what: curl failed ($(cat "$SG_RUN/dl"))"
	read -r code BODY HDRS <"$SG_RUN/dl" || true # (no newline at its end)
	[ "$code" = 200 ] && [ "$BODY" = 1000000 ] || fail "$what: HTTP $code, $BODY bytes"
}
# record PORT: alice's final usage record of client port PORT (JSON), or fails
record() {
	sgctl --json usage --user alice | python3 -c '
import json, sys
for r in json.load(sys.stdin)["records"]:
    if r["kind"] == "final" and r["client_port"] == int(sys.argv[1]):
        print(json.dumps(r)); break
else:
    sys.exit(1)' "$1"
}

m0=$(scrape)
[ "$(metric "$m0" sg_dp_up)" = 1 ] || { echo "$m0" | grep sg_dp_ >&2; fail "sg_dp_up is not 1 before traffic"; }
a_desk=$(mint desk alice)
a_files=$(mint files alice)

# --- 1: a refused session is recorded too -------------------------------------
forged=$(python3 "$SCEN_DIR/tokentool.py" alter "$a_desk" 12)
got=$(desk_get "$forged")
[ "${got%% *}" = 403 ] || fail "forged token: expected 403, got '$got'"

# --- 2: 1 MB through NAT (desk, vm1) and DSR (files, vm3) --------------------
dl 45001 "desk (NAT)" -b "sgtok=$a_desk" http://198.18.10.3:8090/bytes/1000000
nb=$BODY nh=$HDRS
dl 45002 "files (DSR)" -H "Host: $a_files.files.example" http://198.18.10.3:8083/bytes/1000000
db=$BODY dh=$HDRS
ok "alice: 1 MB through desk (NAT hand-off) and 1 MB through files (DSR hand-off)"
wait_for 30 record 45001 || { sgctl usage --user alice >&2; fail "no final usage record of the desk download"; }
wait_for 30 record 45002 || { sgctl usage --user alice >&2; fail "no final usage record of the files download"; }
rn=$(record 45001)
rd=$(record 45002)
echo "desk:  $rn"
echo "files: $rd"
python3 - "$rn" "$rd" "$nb" "$nh" "$db" "$dh" <<'PY' || fail "usage records do not match what the client received"
import json, sys
rn, rd = json.loads(sys.argv[1]), json.loads(sys.argv[2])
nb, nh, db, dh = map(int, sys.argv[3:])
bad = []
def want(r, k, v):
    if r[k] != v:
        bad.append("%s %s=%r, not %r" % (r["app"], k, r[k], v))
for r, app, vm, host in ((rn, "desk", "vm1", "h1"), (rd, "files", "vm3", "h3")):
    for k, v in (("user", "alice"), ("app", app), ("vm", vm), ("host", host),
                 ("proto", "tcp"), ("family", "ipv4")):
        want(r, k, v)
    if not r["installed_ms"] > 0 or not r["end_ms"] >= r["start_ms"]:
        bad.append("%s: times %r" % (app, r))
# NAT: IP bytes the data plane forwarded to the client: what curl received
# plus 20 (IP) + 20..60 (TCP) bytes per packet.
got, lo = rn["bytes_s2c"], nb + nh
hi = lo + rn["pkts_s2c"] * 80
if rn["s2c_acked"] or not lo <= got <= hi or rn["pkts_s2c"] < lo // 65535:
    bad.append("desk: bytes_s2c %d (pkts %d) outside [%d, %d]" % (got, rn["pkts_s2c"], lo, hi))
# DSR: the VM answers the client directly; s2c counted from the client's
# ACKs: the bytes it acknowledged (+1 for the FIN).
got, lo = rd["bytes_s2c"], db + dh
if not rd["s2c_acked"] or not lo <= got <= lo + 2:
    bad.append("files: bytes_s2c %d (s2c_acked %r), received %d" % (got, rd["s2c_acked"], lo))
for r in (rn, rd):
    if r["bytes_c2s"] <= 0 or r["pkts_c2s"] <= 0:
        bad.append("%s: nothing client to server" % r["app"])
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
ok "usage records: desk bytes_s2c $(jq_py "$rn" "d['bytes_s2c']") for $((nb + nh)) received ($(jq_py "$rn" "d['pkts_s2c']") packets); files (DSR, from ACKs) $(jq_py "$rd" "d['bytes_s2c']") for $((db + dh))"

# --- 3: the refused session's record and the access log -----------------------
n=$(sgctl --json usage --app desk | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["records"]
          if r["reason"] == "forbidden" and r["bytes_s2c"] == 0 and r["vm"] == ""))') || n=0
[ "$n" -ge 1 ] || { sgctl usage --app desk >&2; fail "no usage record of the refused (forged) session"; }
python3 - "$SG_RUN/usage/access.jsonl" <<'PY' || fail "access log"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
def has(**kw):
    return any(all(e.get(k) == v for k, v in kw.items()) for e in ev)
bad = [w for w, ok in (("rejected forbidden", has(event="rejected", reason="forbidden")),
                       ("installed desk", has(event="installed", app="desk", user="alice")),
                       ("closed desk 45001", has(event="closed", client_port=45001)),
                       ("closed files 45002", has(event="closed", client_port=45002))) if not ok]
print("missing:", bad, "in", len(ev), "lines")
sys.exit(1 if bad else 0)
PY
ok "the refused session has its usage record (reason forbidden); access log: rejected, installed, closed lines"

# --- 4: Prometheus: the data plane's counters moved with the traffic ----------
m1=$(scrape)
[ "$(metric "$m1" sg_dp_up)" = 1 ] || fail "sg_dp_up is not 1 after traffic"
for s in 'sg_dp_vs_bytes_total{vs="desk"}' 'sg_dp_vs_bytes_total{vs="app-brokered-dsr"}' \
	'sg_dp_port_tx_bytes_total{port="outside"}'; do
	d=$(($(metric "$m1" "$s") - $(metric "$m0" "$s")))
	echo "$s +$d"
	[ "$d" -gt 0 ] || { echo "$m1" | grep "^sg_dp_" | head -40 >&2; fail "$s did not move"; }
done
d=$(($(metric "$m1" 'sg_dp_port_tx_bytes_total{port="outside"}') - $(metric "$m0" 'sg_dp_port_tx_bytes_total{port="outside"}')))
[ "$d" -ge 1000000 ] || fail "outside port sent $d bytes for a 1 MB NAT download"
[ "$(metric "$m1" sg_ctl_usage_records_total)" -ge 3 ] || fail "sg_ctl_usage_records_total < 3"
ok "Prometheus: sg_dp_up 1, data-plane VS and port byte counters moved with the downloads"
# --- 4b: sgctl vs from the real data plane's VS_STATS (the issue's defect: never sent)
vs_ok() {
	sgctl --json vs | python3 -c '
import json, sys
a = {v["name"]: v for v in json.load(sys.stdin)}
d = a.get("desk")
sys.exit(0 if d and d["held"] >= 2 and d["installed"] >= 1 and d["rejected"] >= 1 else 1)'
}
wait_for 5 vs_ok || { sgctl vs >&2; fail "sgctl vs: no VS_STATS of desk from the data plane (held >= 2, installed >= 1, rejected >= 1)"; }
ok "sgctl vs: the data plane's VS_STATS of desk (held, installed, rejected) $(sgctl --json vs | python3 -c '
import json, sys
print([(v["name"], v["held"], v["installed"], v["rejected"]) for v in json.load(sys.stdin) if v["name"] == "desk"])')"
# --- 5: the operator's example of token applications and usage ---------------
mkdir -p "$SG_RUN/exkeys" && chmod 700 "$SG_RUN/exkeys"
for k in desk-2 desk-1 files-1; do
	head -c 32 /dev/urandom >"$SG_RUN/exkeys/$k.key" && chmod 600 "$SG_RUN/exkeys/$k.key"
done
sed "s|/etc/sessiongate/keys|$SG_RUN/exkeys|" "$SG_SRC/control/examples/control-token.yaml" \
	>"$SG_RUN/example.yaml"
"$SG_CTL_BIN" -c "$SG_RUN/example.yaml" --check || fail "control/examples/control-token.yaml does not load"
ok "control/examples/control-token.yaml loads (sg-control --check)"
echo "PASS identity-usage"
