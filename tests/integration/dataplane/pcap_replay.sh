#!/usr/bin/env bash
# pcap replay through the real sg-dataplane (the model: glb-director's
# tests/pcap_tests.sh). replay/cases.py is the table of cases; replay.py
# builds the input pcap and the expected output, sg-dataplane reads the
# input through DPDK's net_pcap vdev (--no-huge, one worker, its own file
# prefix) in its deterministic test mode (dataplane/testmode.h), and the
# output pcap is compared packet by packet, with the counters each case
# moves and the SYN cookies' fields. Needs python3-scapy; not root.
# Bounded: 20 s to start, 15 s to take the input, 10 s to stop (meson: 60 s).
# SG_PCAP_GOLDEN=1 rewrites the golden SYN-ACKs (see below).
set -euo pipefail
: "${SG_SRC:?SG_SRC must name the source tree}" "${SG_BUILD:?SG_BUILD must name the build dir}"
REPLAY="$SG_SRC/tests/integration/dataplane/replay"
PY=/usr/bin/python3 # Debian's python3, where python3-scapy lives
export PYTHONDONTWRITEBYTECODE=1 SG_SRC
PREFIX="sgpcap$$"
RUN=$(mktemp -d "/tmp/sg-pcap-$$.XXXX")
DP_PID=

cleanup() {
	local rc=$?
	set +e
	trap '' PIPE # a closed stdout must not cut the cleanup short
	if [ -n "$DP_PID" ] && kill -0 "$DP_PID" 2>/dev/null; then
		kill -9 "$DP_PID" 2>/dev/null || true
		wait "$DP_PID" 2>/dev/null || true
	fi
	if [ "$rc" -ne 0 ] && [ -f "$RUN/dataplane.log" ]; then
		echo "---- sg-dataplane log (last 30 lines)" >&2
		tail -n 30 "$RUN/dataplane.log" >&2
	fi
	rm -rf "$RUN" "/var/run/dpdk/$PREFIX" "${XDG_RUNTIME_DIR:-/tmp}/dpdk/$PREFIX"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# until SECONDS COMMAND...: COMMAND succeeds before the deadline
until_deadline() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}
dp_gone() { ! kill -0 "$DP_PID" 2>/dev/null; }
dp_ready() { test -s "$RUN/ready" || dp_gone; }

"$PY" -c 'import scapy' 2>/dev/null || fail "python3-scapy is missing (scripts/install-deps.sh)"
"$PY" "$REPLAY/replay.py" gen "$RUN"
sed -e "s|@IN@|$RUN/in.pcap|" -e "s|@OUT@|$RUN/out.pcap|" -e "s|@PREFIX@|$PREFIX|" \
	"$REPLAY/appliance.yaml" >"$RUN/sg.yaml"
mapfile -t NEIGH <"$RUN/neigh.args"

"$SG_BUILD/dataplane/sg-dataplane" -c "$RUN/sg.yaml" --test-deterministic "${NEIGH[@]}" \
	--ready-file "$RUN/ready" >"$RUN/dataplane.log" 2>&1 </dev/null &
DP_PID=$!
until_deadline 20 dp_ready || fail "sg-dataplane did not become ready in 20 s"
dp_gone && fail "sg-dataplane exited before it was ready"
"$PY" "$REPLAY/replay.py" wait "$RUN" "$PREFIX" 15 || fail "input not consumed"

# stop: closing the port flushes and closes the output pcap
kill -INT "$DP_PID"
until_deadline 10 dp_gone || fail "sg-dataplane did not stop in 10 s"
rc=0
wait "$DP_PID" || rc=$?
DP_PID=
[ "$rc" -eq 0 ] || fail "sg-dataplane exited with status $rc"
if grep -E "runtime error|Sanitizer" "$RUN/dataplane.log" >&2; then
	fail "sanitizer report in the sg-dataplane log"
fi

# SG_PCAP_GOLDEN=1: (re)write replay/golden/ from this run (only after a change
# of the SYN-ACK's format; the cookie's checkable fields are checked first)
if [ "${SG_PCAP_GOLDEN:-0}" = 1 ]; then
	"$PY" "$REPLAY/replay.py" golden "$RUN" || fail "no golden files written"
	"$PY" "$REPLAY/replay.py" gen "$RUN" >/dev/null
fi
"$PY" "$REPLAY/replay.py" compare "$RUN" || fail "output differs from the expected (above)"
echo "ok: pcap replay"
