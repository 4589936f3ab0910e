# shellcheck shell=bash
# Harness of the data-plane integration tests: a private topology
# (namespaces sgdp<PID>-*), sg-dataplane started from config/examples/demo.yaml
# with this test's own file prefix, cleanup in a trap, loud failures.
set -euo pipefail
: "${SG_SRC:?SG_SRC must name the source tree}" "${SG_BUILD:?SG_BUILD must name the build dir}"
if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL: integration tests need root (network namespaces, DPDK, BPF)" >&2
	exit 1
fi
export SG_TOPO="sgdp$$" SG_PREFIX="sgdp$$"
SG_RUN=$(mktemp -d "/tmp/sg-it-$$.XXXX")
export SG_RUN
. "$SG_SRC/scripts/lib/topology.sh"
. "$SG_SRC/scripts/lib/appliance.sh"

sg_cleanup() {
	local rc=$?
	# Cleanup never stops half way: a failing step (a log that was never
	# written, a process already gone) must not leave namespaces behind.
	set +e
	if [ "$rc" -ne 0 ] && [ -f "$SG_RUN/dataplane.log" ]; then
		echo "---- sg-dataplane log (last 40 lines)" >&2
		tail -n 40 "$SG_RUN/dataplane.log" >&2
	fi
	[ -n "${SG_CLEANUP_EXTRA:-}" ] && eval "$SG_CLEANUP_EXTRA"
	dp_stop || true
	topo_down
	rm -rf "/var/run/dpdk/$SG_PREFIX" "$SG_RUN" "/dev/shm/$SG_PREFIX"
	exit "$rc"
}
trap sg_cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# hugepages_add PAGES: PAGES more 2 MiB hugepages for this test, on a
# hugetlbfs of its own at $HUGE ($SG_RUN/huge; EAL: --huge-dir "$HUGE"), so
# a fresh machine (none reserved, nothing mounted) runs it as well;
# hugepages_release (in SG_CLEANUP_EXTRA, after the processes that map
# them stopped) gives them back.
HUGE_NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
HUGE_FREE=/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages
HUGE="$SG_RUN/huge"
HUGE_ADDED=0
hugepages_add() {
	local before now
	[ -w "$HUGE_NR" ] || fail "no 2 MiB hugepages on this kernel ($HUGE_NR)"
	before=$(cat "$HUGE_FREE")
	echo $(($(cat "$HUGE_NR") + $1)) >"$HUGE_NR"
	HUGE_ADDED=$1
	now=$(cat "$HUGE_FREE")
	[ $((now - before)) -ge "$1" ] ||
		fail "could not get $1 free hugepages (free $before -> $now): memory too fragmented?"
	mkdir -p "$HUGE"
	mount -t hugetlbfs -o pagesize=2M nodev "$HUGE" || fail "cannot mount hugetlbfs on $HUGE"
}
hugepages_release() {
	local nr
	if mountpoint -q "$HUGE"; then
		rm -f "$HUGE"/* 2>/dev/null
		umount "$HUGE"
	fi
	if [ "$HUGE_ADDED" -gt 0 ]; then
		nr=$(cat "$HUGE_NR")
		echo $((nr > HUGE_ADDED ? nr - HUGE_ADDED : 0)) >"$HUGE_NR"
		HUGE_ADDED=0
	fi
}
ok() { echo "ok: $*"; }

# The demo configuration with this test's file prefix; extra sed expressions
# in "$@" (e.g. weights).
make_config() {
	sed -e "s/file_prefix: sgdemo/file_prefix: $SG_PREFIX/" -e "s|shm: /sgdemo|shm: /$SG_PREFIX|" "$@" \
		"$SG_SRC/config/examples/demo.yaml" >"$SG_RUN/sg.yaml"
}

setup_all() {
	topo_up
	backends_start
	make_config "$@"
	dp_start "$SG_RUN/sg.yaml"
}

client() { ip netns exec "$(topo_ns c)" "$@"; }

# curl_name URL: the backend's name, one new connection.
curl_name() { client curl -s --max-time 5 "$1"; }

# telemetry_get COMMAND PYTHON-EXPR: evaluate EXPR on the JSON reply (as d).
telemetry_get() {
	dp_telemetry "$1" | python3 -c "import json,sys; d=json.load(sys.stdin)[\"$1\".split(',')[0]]; print($2)"
}
