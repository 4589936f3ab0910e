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
