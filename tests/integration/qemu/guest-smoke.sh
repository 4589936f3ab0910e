#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# qemu-guest-smoke: the guest image (scripts/guest/) under a real libvirtd
# (scripts/lib/libvirtd-ns.sh) in a host namespace, TCG where there is no KVM.
#   * two guests defined from scripts/guest/guest.xml (the variables
#     substituted as sg-hostagent does) on a bridge; a client namespace routed
#     to them answers HTTP / with each guest's name, /big is 1048576 bytes,
#     UDP echo on 7, TLS on 443 answers the name;
#   * managed save of one guest and restore: save time, restore time and
#     restore-to-first-HTTP-answer time printed; it answers again (HTTP, TLS,
#     UDP);
#   * kill -9 of the other guest's qemu: libvirt reports it shut off
#     (crashed/failed) within 2 s; the first keeps answering;
#   * a second libvirtd in a second namespace at the same time sees none of
#     the first's domains; stop ends libvirtd and every qemu it started.
# Root, qemu-system-x86, libvirtd's QEMU driver and the Debian kernel package
# are required: the test fails (never skips) without them.
set -euo pipefail

SRC=${SG_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${SG_BUILD:-$SRC/build}
T0=$(date +%s)
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
step() { echo "== [$(($(date +%s) - T0)) s] $*"; }
ms() { date +%s%3N; }
# cpu_ms PID: user + system CPU time of a process, in ms (what a restore
# costs on an idle machine, where wall time on a loaded one says little).
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }

[ "$(id -u)" -eq 0 ] || fail "needs root (namespaces, libvirtd)"
for c in qemu-system-x86_64 virsh curl openssl socat ip; do
	command -v "$c" >/dev/null || fail "$c missing (scripts/install-deps.sh)"
done

IMG=$(realpath -m "$BUILD/guest-image")
step "guest image in $IMG"
"$SRC/scripts/guest/build-image.sh" "$IMG" || fail "build-image.sh failed"
# shellcheck disable=SC1091
. "$SRC/scripts/lib/libvirtd-ns.sh"

ID=$$
HNS=sgq-h$ID HNS2=sgq-g$ID CNS=sgq-c$ID
W=$(mktemp -d /tmp/sgq.XXXXXX)
LVD=$W/lvd LVD2=$W/lvd2
MEM=${SG_GUEST_MEMORY_MB:-96}
cleanup() {
	local rc=$?
	set +e
	if [ $rc -ne 0 ]; then
		for f in "$LVD"/log/qemu/*.console "$LVD"/log/qemu/*.log "$LVD"/log/libvirtd.log; do
			[ -f "$f" ] && echo "--- $f" && tail -n 15 "$f"
		done
	fi
	sg_libvirtd_stop "$LVD"
	sg_libvirtd_stop "$LVD2"
	for n in "$HNS" "$HNS2" "$CNS"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$W"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "topology: $HNS (bridge br0 198.18.60.1/24) <- $CNS (198.18.61.2)"
for n in "$HNS" "$HNS2" "$CNS"; do
	ip netns add "$n"
	ip -n "$n" link set lo up
done
ip -n "$HNS" link add br0 type bridge
ip -n "$HNS" addr add 198.18.60.1/24 dev br0
ip -n "$HNS" link set br0 up
ip link add "sgqc$ID" netns "$CNS" type veth peer name "sgqh$ID" netns "$HNS"
ip -n "$CNS" link set "sgqc$ID" name eth0
ip -n "$HNS" link set "sgqh$ID" name c0
ip -n "$CNS" addr add 198.18.61.2/30 dev eth0
ip -n "$HNS" addr add 198.18.61.1/30 dev c0
ip -n "$CNS" link set eth0 up
ip -n "$HNS" link set c0 up
ip -n "$CNS" route add 198.18.60.0/24 via 198.18.61.1
ip netns exec "$HNS" sysctl -qw net.ipv4.ip_forward=1

step "libvirtd in $HNS and a second one in $HNS2"
sg_libvirtd_start "$HNS" "$LVD" || fail "libvirtd in $HNS"
sg_libvirtd_start "$HNS2" "$LVD2" || fail "libvirtd in $HNS2"
URI=$(sg_libvirtd_uri "$LVD")
URI2=$(sg_libvirtd_uri "$LVD2")
V() { virsh -q -c "$URI" "$@"; }

# define NAME ADDR: guest.xml with the variables sg-hostagent substitutes.
define() {
	local name=$1 addr=$2 mac uuid
	mac=52:54:00:$(printf '%s' "$name" | md5sum | sed 's/^\(..\)\(..\)\(..\).*/\1:\2:\3/')
	uuid=$(cat /proc/sys/kernel/random/uuid)
	sed -e "s|@NAME@|$name|g" -e "s|@UUID@|$uuid|g" -e "s|@ADDR@|$addr|g" \
		-e "s|@MAC@|$mac|g" -e "s|@KERNEL@|$IMG/vmlinuz|g" -e "s|@INITRD@|$IMG/initrd.img|g" \
		-e "s|@BRIDGE@|br0|g" -e "s|@PREFIX@|24|g" -e "s|@GATEWAY@|198.18.60.1|g" \
		-e "s|@MEMORY_MB@|$MEM|g" "$SRC/scripts/guest/guest.xml" >"$W/$name.xml"
	grep -q '@[A-Z_]*@' "$W/$name.xml" && fail "unsubstituted variable in guest.xml"
	V define "$W/$name.xml" >/dev/null || fail "virsh define $name"
}
# wait_ready NAME SECONDS: the console's ready line.
wait_ready() {
	local con="$LVD/log/qemu/$1.console" end=$(($(date +%s) + $2))
	until grep -q "^sg-guest $1 ready" "$con" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || fail "$1: no ready line within $2 s"
		grep -q "FAILED" "$con" 2>/dev/null && fail "$1: $(grep FAILED "$con")"
		sleep 0.1
	done
}
C() { ip netns exec "$CNS" "$@"; }
check_guest() { # NAME ADDR
	local got
	got=$(C curl -sS -m 10 "http://$2/") || fail "$1: HTTP / failed"
	[ "$got" = "$1" ] || fail "$1: HTTP / answered '$got'"
	got=$(C curl -sS -m 20 -o /dev/null -w '%{size_download}' "http://$2/big") || fail "$1: /big failed"
	[ "$got" = 1048576 ] || fail "$1: /big is $got bytes"
	got=$(C curl -sS -m 10 "http://$2/echo?x=1") || fail "$1: /echo failed"
	[ "$got" = "$1" ] || fail "$1: /echo answered '$got'"
	got=$(echo "ping-$1" | C socat -T 5 - "UDP4:$2:7") || fail "$1: UDP echo failed"
	[ "$got" = "ping-$1" ] || fail "$1: UDP echo answered '$got'"
	got=$(C curl -sS -k -m 20 "https://$2/") || fail "$1: TLS failed"
	[ "$got" = "$1" ] || fail "$1: TLS answered '$got'"
	echo "   $1 ($2): HTTP /, /big 1048576 bytes, /echo, UDP echo, TLS: ok"
}

step "define and start g1, g2 (TCG, $MEM MiB)"
define g1 198.18.60.11
define g2 198.18.60.12
t=$(ms)
V start g1 >/dev/null || fail "virsh start g1"
V start g2 >/dev/null || fail "virsh start g2"
wait_ready g1 120
wait_ready g2 120
echo "   both ready $(($(ms) - t)) ms after the first start"
check_guest g1 198.18.60.11
check_guest g2 198.18.60.12

step "the second libvirtd is isolated"
[ -z "$(virsh -q -c "$URI2" list --all --name)" ] || fail "$HNS2's libvirtd sees domains"
[ "$(V list --name | sort | tr '\n' ' ')" = "g1 g2 " ] || fail "$HNS's libvirtd lists $(V list --name)"

step "managed save and restore of g1"
sleep 1
t=$(ms)
V managedsave g1 >/dev/null || fail "virsh managedsave g1"
save_ms=$(($(ms) - t))
[ "$(V domstate g1 --reason)" = "shut off (saved)" ] || fail "g1 after save: $(V domstate g1 --reason)"
C curl -s -m 1 -o /dev/null http://198.18.60.11/ && fail "g1 answers while saved"
size=$(stat -c %s "$LVD/lib/qemu/save/g1.save")
lpid=$(cat "$LVD/libvirtd.pid")
lcpu=$(cpu_ms "$lpid")
t=$(ms)
V start g1 >/dev/null || fail "virsh start g1 (restore)"
restore_ms=$(($(ms) - t))
qcpu=$(cpu_ms "$(cat "$LVD/run/qemu/g1.pid")")
lcpu=$(($(cpu_ms "$lpid") - lcpu))
until got=$(C curl -s -m 1 http://198.18.60.11/); do
	[ $(($(ms) - t)) -lt 30000 ] || fail "g1 does not answer within 30 s of its restore"
done
first_ms=$(($(ms) - t))
[ "$got" = g1 ] || fail "g1 after restore answered '$got'"
echo "   save ${save_ms} ms (image $((size / 1048576)) MiB), restore ${restore_ms} ms," \
	"restore to first HTTP answer ${first_ms} ms"
echo "   restore CPU time: qemu ${qcpu} ms, libvirtd ${lcpu} ms; load: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$(V domstate g1 --reason)" = "running (restored)" ] || fail "g1: $(V domstate g1 --reason)"
check_guest g1 198.18.60.11

step "kill -9 of g2's qemu"
qpid=$(cat "$LVD/run/qemu/g2.pid")
[ "$(readlink "/proc/$qpid/exe")" = /usr/bin/qemu-system-x86_64 ] || fail "g2.pid is not qemu"
t=$(ms)
kill -9 "$qpid"
until state=$(V domstate g2 --reason) && [[ "$state" == "shut off"* ]]; do
	[ $(($(ms) - t)) -lt 2000 ] || fail "g2 still '$state' 2 s after kill -9"
	sleep 0.05
done
echo "   g2 '$state' $(($(ms) - t)) ms after kill -9"
[[ "$state" =~ ^shut\ off\ \((crashed|failed)\)$ ]] || fail "g2's reason: '$state'"
check_guest g1 198.18.60.11

step "stop ends libvirtd and every qemu"
qpid=$(cat "$LVD/run/qemu/g1.pid")
lpid=$(cat "$LVD/libvirtd.pid")
sg_libvirtd_stop "$LVD"
sg_libvirtd_stop "$LVD2"
for p in $qpid $lpid; do
	kill -0 "$p" 2>/dev/null && fail "process $p still alive after stop"
done
step "ok: save ${save_ms} ms, restore ${restore_ms} ms, first answer ${first_ms} ms after restore"
