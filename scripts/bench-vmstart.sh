#!/usr/bin/env bash
# Cold boot against resume of a real qemu guest, measured through the
# appliance (issue 15; doc/vmfarm.md, "Figures"): the farm of
# scripts/lib/vmfarm.sh (one host namespace with its own libvirtd, TCG
# where there is no KVM), a client request to web.example (guest g1, NAT
# hand-off) with g1 shut off (cold boot) and with g1 saved by `sgctl vm
# save` (resume), ROUNDS of each, interleaved. Per start: SYN -> first
# response byte at the client (curl's time_starttransfer: the appliance
# answers the SYN at once and holds the request) and its split from the
# agent's START timings (sgctl vms last_start): libvirt (LIBVIRT_MS: the
# create or restore call), guest (READY_MS - LIBVIRT_MS: kernel or restored
# guest to its service answering the agent's probe), hand-off and the rest
# (total - READY_MS: the agent's report, sg-control's install, the data
# plane's hand-off, the guest's answer). Prints a table of the medians and
# writes JSON (--out FILE).
#
#   scripts/bench-vmstart.sh [--rounds N] [--out FILE]     (root; bench suite: vmstart)
set -euo pipefail
SG_SRC=${SG_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
SG_BUILD=${SG_BUILD:-$SG_SRC/build}
export SG_SRC SG_BUILD
ROUNDS=5
OUTFILE=
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=$2; shift 2 ;;
	--out) OUTFILE=$2; shift 2 ;;
	*) echo "usage: $0 [--rounds N] [--out FILE]" >&2; exit 2 ;;
	esac
done
[[ $ROUNDS =~ ^[1-9][0-9]?$ ]] || { echo "--rounds: 1..99" >&2; exit 2; }
# the integration harness: namespaces sgdp<PID>-*, cleanup in a trap
. "$SG_SRC/tests/integration/scenario/lib.sh"
. "$SG_SRC/scripts/lib/vmfarm.sh"
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/control.log" "$SG_RUN/agent1.log" >&2; vmf_down'

vmf_up 600000 || fail "the farm did not come up"
vmf_wait 20 g1 "v['state'] == 'stopped'" || fail "g1 not pushed: $(sgctl vms)"
echo "farm up; $ROUNDS rounds of cold boot and resume of g1 ($(nproc) CPUs, load" \
	"$(cut -d' ' -f1 /proc/loadavg), domain type qemu: TCG)"

# retry SECONDS CMD...: CMD until it succeeds (a session just closed may
# still count on the VM for a moment).
retry() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >"$SG_RUN/retry.out" 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && { cat "$SG_RUN/retry.out" >&2; return 1; }
		sleep 0.5
	done
}

# one KIND: a request with g1 in the state for KIND; appends a JSON line.
one() {
	local kind=$1 t body rec
	read -r t body < <(vmf_time web.example) || fail "$kind: request failed"
	[ "$body" = g1 ] || fail "$kind: expected g1, got '$body'"
	rec=$(vmf_vm g1 "json.dumps(dict(kind='$kind', got=v['last_start']['kind'], \
total_ms=round($t * 1000, 1), libvirt_ms=v['last_start']['libvirt_ms'], \
ready_ms=v['last_start']['ready_ms'], ctl_ms=v['last_start']['total_ms']))")
	[ "$(jq_py "$rec" "d['got']")" = "${kind/cold/boot}" ] ||
		fail "$kind: the agent reports start kind $(jq_py "$rec" "d['got']")"
	echo "$rec" >>"$SG_RUN/rounds.jsonl"
	echo "  $kind: $(jq_py "$rec" "'%(total_ms)s ms (libvirt %(libvirt_ms)s, ready %(ready_ms)s)' % d")"
}

: >"$SG_RUN/rounds.jsonl"
for i in $(seq 1 "$ROUNDS"); do
	echo "round $i"
	one cold
	retry 30 sgctl vm save g1 || fail "sgctl vm save g1"
	vmf_wait 60 g1 "v['saved'] and v['state'] == 'stopped'" || fail "g1 not saved: $(sgctl vms)"
	one resume
	retry 30 sgctl vm stop g1 || fail "sgctl vm stop g1"
	vmf_wait 60 g1 "not v['saved'] and v['state'] == 'stopped'" ||
		fail "g1 not stopped: $(sgctl vms)"
done

python3 - "$SG_RUN/rounds.jsonl" "${OUTFILE:-}" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
out = {"unit": "ms", "rounds": rows, "median": {}}
print("%-7s %6s %10s %10s %10s %10s" % ("start", "n", "total", "libvirt", "guest", "handoff+"))
for kind in ("cold", "resume"):
    r = [x for x in rows if x["kind"] == kind]
    med = lambda f: round(statistics.median(f(x) for x in r), 1)
    m = {"n": len(r), "total_ms": med(lambda x: x["total_ms"]),
         "libvirt_ms": med(lambda x: x["libvirt_ms"]),
         "guest_ms": med(lambda x: x["ready_ms"] - x["libvirt_ms"]),
         "handoff_rest_ms": med(lambda x: x["total_ms"] - x["ready_ms"])}
    out["median"][kind] = m
    print("%-7s %6d %10.1f %10.1f %10.1f %10.1f" % (kind, m["n"], m["total_ms"], m["libvirt_ms"],
          m["guest_ms"], m["handoff_rest_ms"]))
res = out["median"]["resume"]["total_ms"]
print("resume median %.1f ms: %s the 1 s target" % (res, "under" if res < 1000 else "OVER"))
if sys.argv[2]:
    with open(sys.argv[2], "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
PY
