#!/usr/bin/env bash
# Install every Debian 12 package sessiongate needs to build, test, run the
# demo and benchmark. Idempotent: does nothing when all are present.
set -euo pipefail

PKGS=(
	# build
	meson ninja-build pkg-config gcc clang llvm lld clang-format clang-tidy
	libclang-rt-14-dev
	# libraries
	dpdk dpdk-dev libdpdk-dev libyaml-dev liblmdb-dev lmdb-utils
	libvirt-dev libvirt-clients libvirt-daemon libbpf-dev bpftool linux-libc-dev libelf-dev
	zlib1g-dev libcmocka-dev libjansson-dev libevent-dev libssl-dev libcurl4-openssl-dev
	# the exception path configures its tap interfaces with libnl (dataplane/exception.c)
	libnl-3-dev libnl-route-3-dev
	# test and demo peers
	iproute2 iputils-ping ethtool curl python3 socat procps psmisc tcpdump
	openssl netcat-openbsd
	# BGP: sg-routed drives BIRD 2 (routing/, tests/integration/routing)
	bird2
	# adversarial tests (gdb stops sg-control at a chosen instant) and the
	# pcap replay test (tests/integration/dataplane/pcap_replay.sh)
	gdb
	python3-scapy
	# the cluster-wide store: lib/etcd tests, sgid follow, sg-control cluster mode
	etcd-server etcd-client
	# real guests (issue 15, doc/guest-image.md): qemu under a private
	# libvirtd per host namespace (scripts/lib/libvirtd-ns.sh; libvirtd's
	# QEMU driver, no libvirt-daemon-system), and what
	# scripts/guest/build-image.sh packs (busybox-static, socat, openssl)
	# and uses (cpio, zstd, kmod's depmod); the guest kernel is not
	# installed: build-image.sh fetches it with apt-get download
	qemu-system-x86 libvirt-daemon-driver-qemu busybox-static cpio zstd kmod
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (apt-get install)" >&2
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
