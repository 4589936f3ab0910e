#!/usr/bin/env bash
# sessiongate demo appliance (README's first command).
#
#   ./scripts/demo.sh        install, build, start the appliance, show traffic
#   ./scripts/demo.sh stop   stop it and remove its namespaces
#   ./scripts/demo.sh --qemu the same appliance in front of a real qemu guest
#                            (scripts/lib/vmfarm.sh, doc/vmfarm.md): booted on
#                            demand through the VIP, saved when idle, resumed
#                            by the next request
#
# Builds namespaces for a client, a router and two backend hosts
# (scripts/lib/topology.sh, addresses from 198.18.0.0/15 and 2001:2::/48),
# starts sg-dataplane on net_af_packet ports with config/examples/demo.yaml,
# and has a real curl reach both hosts through a DSR VIP and a NAT VIP; then
# starts sg-control and two sg-hostagent instances (libvirt test:///, one
# with its eBPF datapath on a third host) and shows a brokered session wait
# for its VM to boot, a second go straight through, the same handed off in
# DSR form, sgctl listing them, a redirect, and the idle VM stopped after its
# timeout.
set -euo pipefail
SG_SRC=$(cd "$(dirname "$0")/.." && pwd)
export SG_SRC SG_TOPO=sgdemo SG_PREFIX=sgdemo
SG_BUILD=${SG_BUILD:-$SG_SRC/build}
SG_RUN=$SG_SRC/run/demo
# shellcheck source=lib/topology.sh
. "$SG_SRC/scripts/lib/topology.sh"
# shellcheck source=lib/appliance.sh
. "$SG_SRC/scripts/lib/appliance.sh"
# shellcheck source=lib/brokered.sh
. "$SG_SRC/scripts/lib/brokered.sh"
# shellcheck source=lib/vmfarm.sh
. "$SG_SRC/scripts/lib/vmfarm.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (namespaces, DPDK)" >&2
	exit 1
fi

if [ "${1:-}" = "stop" ]; then
	broker_stop || true
	vmf_libvirtd_stop
	dp_stop || true
	topo_down
	echo "demo stopped, namespaces sgdemo-* removed"
	exit 0
fi

"$SG_SRC/scripts/install-deps.sh"
if [ ! -f "$SG_BUILD/build.ninja" ]; then
	meson setup "$SG_BUILD" "$SG_SRC" >/dev/null
fi
meson compile -C "$SG_BUILD" >/dev/null

mkdir -p "$SG_RUN"
broker_stop || true
vmf_libvirtd_stop
dp_stop || true
rm -rf "$SG_RUN/db" "$SG_RUN/idmgr" "$SG_RUN/libvirt"
topo_down
if [ "${1:-}" = "--qemu" ]; then
	# shellcheck source=demo-qemu.sh
	. "$SG_SRC/scripts/demo-qemu.sh"
	exit 0
fi
echo "== building namespaces sgdemo-{c,r,d,h1,h2,h3}"
topo_up
broker_vm_addrs
echo "== starting backends (python HTTP/UDP) on host1, host2 with tc-BPF DSR decapsulation"
backends_start
echo "== starting sg-dataplane (log: $SG_RUN/dataplane.log)"
dp_start "$SG_SRC/config/examples/demo.yaml"
echo "== starting sg-control (LMDB in $SG_RUN/db) and two sg-hostagent (libvirt test:///, 4 s boot)"
broker_configs 4000 10000
ctl_start
agent_start

client() { ip netns exec sgdemo-c "$@"; }
show() {
	local label=$1 url=$2 i out
	printf '%-34s' "$label"
	for i in 1 2 3 4 5 6; do
		out=$(client curl -s --max-time 5 --local-port $((40000 + RANDOM % 20000)) "$url") ||
			out="FAILED"
		printf ' %s' "$out"
	done
	echo
}
echo "== curl from the client namespace (each request a new connection)"
show "DSR  http://198.18.10.1/" "http://198.18.10.1/"
show "NAT  http://198.18.10.2/" "http://198.18.10.2/"
show "DSR  http://[2001:2:0:10::1]/" "http://[2001:2:0:10::1]/"
show "NAT  http://[2001:2:0:10::2]/" "http://[2001:2:0:10::2]/"
printf '%-34s %s\n' "DSR  udp 198.18.10.1:5353" \
	"$(echo ping | client socat -t2 - UDP:198.18.10.1:5353 || echo FAILED)"
printf '%-34s %s\n' "NAT  udp 198.18.10.2:5353" \
	"$(echo ping | client socat -t2 - UDP:198.18.10.2:5353 || echo FAILED)"
echo "== brokered sessions: http://198.18.10.3/ (Host: app.example), VMs vm1..vm6 shut off"
sgctl vms
brokered() {
	local t0 t1 out
	t0=$(date +%s%N)
	out=$(client curl -s --max-time 30 -H "Host: app.example" "http://198.18.10.3:${2:-80}/") ||
		out=FAILED
	t1=$(date +%s%N)
	printf '%-34s %s after %d ms\n' "$1" "$out" $(((t1 - t0) / 1000000))
}
brokered "first request (VM boots)"
brokered "second request (VM running)"
brokered "DSR hand-off, vm6 boots" 8083
brokered "DSR hand-off, vm6 running" 8083
sgctl sessions
printf '%-34s %s\n' "redirect http://198.18.10.4/" \
	"$(client curl -s -L --max-time 30 http://198.18.10.4/ || echo FAILED)"
echo "== waiting for the idle VM to be stopped (pool idle_stop_ms: 10000)"
if wait_for 90 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' vms | grep vm1 | grep -qv running"; then
	sgctl vms
else
	echo "vm1 still running after 90 s" >&2
fi
echo "== counters (DPDK telemetry, /sg/vs)"
dp_telemetry /sg/vs
cat <<MSG

The appliance keeps running:
  counters:  python3 scripts/sg-telemetry.py sgdemo /sg/stats /sg/ports /sg/vs /sg/members
             (or: dpdk-telemetry.py -f sgdemo)
  reload:    edit config/examples/demo.yaml, then kill -HUP \$(cat $SG_RUN/dataplane.pid)
  a client:  ip netns exec sgdemo-c curl http://198.18.10.1/
  brokered:  ip netns exec sgdemo-c curl -H 'Host: app.example' http://198.18.10.3/
  sessions:  $SG_SGCTL_BIN -s $SG_RUN/control.sock sessions
  stop:      ./scripts/demo.sh stop
MSG
