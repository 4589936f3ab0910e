#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# sg-pktgen when its forwarder goes away mid-run: dpdk-testpmd io-forward
# (memif client) is killed 0.5 s into the measurement. sg-pktgen must end
# within seconds with exit status 3 and say that a memif link went down:
# not a result measured against a peer that left (what it printed before),
# not a crash polling the rings the PMD unmaps, not a hang in its teardown.
# Then the same pair undisturbed: exit status 0 and a result with frames
# forwarded. Root (hugepages); ~15 s.
# usage: pktgen_peer_gone.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: pktgen_peer_gone.sh BUILD_DIR}
PKTGEN=$BUILD/tests/bench/dataplane/sg-pktgen
TESTPMD=${TESTPMD:-$(command -v dpdk-testpmd || true)}
[ "$(id -u)" -eq 0 ] || { echo "pktgen-peer-gone: FAIL: needs root (hugepages)" >&2; exit 1; }
[ -x "$PKTGEN" ] || { echo "pktgen-peer-gone: FAIL: missing $PKTGEN" >&2; exit 1; }
[ -x "$TESTPMD" ] || { echo "pktgen-peer-gone: FAIL: dpdk-testpmd not found" >&2; exit 1; }
mount | grep -q ' /dev/hugepages type hugetlbfs' ||
	{ echo "pktgen-peer-gone: FAIL: no hugetlbfs on /dev/hugepages" >&2; exit 1; }
d=/sys/kernel/mm/hugepages/hugepages-2048kB
free=$(($(cat $d/free_hugepages) - $(cat $d/resv_hugepages)))
# sg-pktgen -m 256 and testpmd -m 256, plus slack
[ "$free" -ge 300 ] || {
	echo "pktgen-peer-gone: FAIL: $free free 2 MiB hugepages, 300 needed; held by:" >&2
	python3 "$(dirname "$0")/hugepage_holders.py" >&2 || true
	exit 1
}

RUN=$(mktemp -d /tmp/sg-peergone.XXXXXX)
ID=sgpg$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$RUN" /var/run/dpdk/"$ID"* /dev/hugepages/"$ID"* 2>/dev/null || true
}
trap cleanup EXIT

# run KILL: one pair; KILL=1 kills testpmd 0.5 s into the measurement. Sets rc.
run() {
	local gen fwd tp
	rm -f "$RUN"/m*.sock
	timeout -s KILL 40 "$PKTGEN" --lcores 0@0,1@0 --file-prefix "${ID}g" --no-pci -m 256 \
		--vdev "net_memif0,role=server,id=0,socket=$RUN/m0.sock,socket-abstract=no" \
		--vdev "net_memif1,role=server,id=0,socket=$RUN/m1.sock,socket-abstract=no" \
		--log-level=lib.eal:error -- --no-arp --flows 1000 --warmup 0.3 --seconds 3 \
		>"$RUN/gen.out" 2>"$RUN/gen.err" &
	gen=$!
	pids+=("$gen")
	for _ in $(seq 1 200); do [ -S "$RUN/m1.sock" ] && break; sleep 0.05; done
	timeout -s KILL 40 "$TESTPMD" --lcores 0@0,1@0 --file-prefix "${ID}f" --no-pci -m 256 \
		--vdev "net_memif0,role=client,id=0,socket=$RUN/m0.sock,socket-abstract=no" \
		--vdev "net_memif1,role=client,id=0,socket=$RUN/m1.sock,socket-abstract=no" \
		--log-level=lib.eal:error -- --forward-mode=io --stats-period 1 --nb-cores=1 \
		--rxq=1 --txq=1 --total-num-mbufs=8192 >"$RUN/fwd.log" 2>&1 &
	fwd=$!
	pids+=("$fwd")
	for _ in $(seq 1 400); do
		grep -q measuring "$RUN/gen.err" 2>/dev/null && break
		kill -0 "$gen" 2>/dev/null || break
		sleep 0.05
	done
	if [ "$1" -eq 1 ]; then
		sleep 0.5
		tp=$(pgrep -P "$fwd" || true)
		[ -n "$tp" ] && kill -KILL "$tp"
	fi
	rc=0
	wait "$gen" || rc=$?
	kill -INT "$fwd" 2>/dev/null || true
	wait "$fwd" 2>/dev/null || true
}

t0=$(date +%s)
run 1
took=$(($(date +%s) - t0))
if [ "$rc" -ne 3 ] || ! grep -q "a memif link went down" "$RUN/gen.err"; then
	echo "pktgen-peer-gone: FAIL: forwarder killed: sg-pktgen exit status $rc (want 3)" >&2
	cat "$RUN/gen.err" "$RUN/gen.out" >&2
	exit 1
fi
grep -q '^{' "$RUN/gen.out" && { echo "pktgen-peer-gone: FAIL: a result printed after the peer left" >&2; exit 1; }
echo "pktgen-peer-gone: forwarder killed: exit status 3 after ${took}s, no result"

run 0
if [ "$rc" -ne 0 ] || ! grep -q '"rx_pkts": [1-9]' "$RUN/gen.out"; then
	echo "pktgen-peer-gone: FAIL: undisturbed run: exit status $rc, no frames back" >&2
	cat "$RUN/gen.err" "$RUN/gen.out" "$RUN/fwd.log" >&2
	exit 1
fi
echo "pktgen-peer-gone: undisturbed: $(tail -n 1 "$RUN/gen.out" | cut -c1-140)"
echo "pktgen-peer-gone: PASS"
