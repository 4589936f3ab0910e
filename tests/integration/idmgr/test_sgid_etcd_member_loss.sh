#!/bin/bash
# etcd member loss: a 3-member etcd cluster; sgid writes and a follower use
# all three endpoints. kill -9 the member both talk to first: writes go on
# through another endpoint (bounded), the follower's watch reconnects and
# its store shows every write. Usage: test_sgid_etcd_member_loss.sh SGID
set -u
SGID=${1:?usage: $0 SGID}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sgid-etcd3-$$-XXXXXX")
. "$(dirname "$0")/../etcd/lib.sh"
FPID=
cleanup() {
	[ -n "$FPID" ] && { kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null; }
	etcd_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

etcd_cluster3 m1 m2 m3 || exit 1
export SGID_ETCD="${ETCD_URL[m1]},${ETCD_URL[m2]},${ETCD_URL[m3]}" SGID_ETCD_PREFIX=/sgloss
W="$SGID -d $WORK/writer"

until_in() { # until_in SECONDS HANDLE: the follower's store has it
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do
		SGID_ETCD= "$SGID" -d "$WORK/follower" show "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "follower: $2 missing after $1 s"
}

$W register infra/host/h1 >/dev/null || fail "register h1"
"$SGID" -d "$WORK/follower" follow >"$WORK/follow.log" 2>&1 &
FPID=$!
until_in 10 infra/host/h1
for i in 1 2 3; do
	$W register "infra/vm/before-$i" -p infra/host/h1 >/dev/null || fail "register before-$i"
done
until_in 10 infra/vm/before-3

# the member both talk to first (m1) dies
etcd_kill m1
t0=$(date +%s%N)
for i in 1 2 3 4 5; do
	timeout 15 $W register "infra/vm/after-$i" -p infra/host/h1 >"$WORK/out" 2>"$WORK/err" ||
		fail "register after-$i with m1 dead: $(cat "$WORK/err")"
done
t1=$(date +%s%N)
echo "5 writes with one member dead: $(((t1 - t0) / 1000000)) ms"
until_in 15 infra/vm/after-5
t2=$(date +%s%N)
echo "follower caught up $(((t2 - t1) / 1000000)) ms after the last write"
for i in 1 2 3 4 5; do
	until_in 1 "infra/vm/after-$i"
done
# the writer's own store and the follower's agree
a=$(SGID_ETCD= $W list -t vm | sort)
b=$(SGID_ETCD= "$SGID" -d "$WORK/follower" list -t vm | sort)
[ "$a" = "$b" ] || fail "stores differ after member loss: writer '$a' follower '$b'"
[ "$(echo "$b" | grep -c .)" = 8 ] || fail "follower holds $(echo "$b" | grep -c .) VMs, want 8"
kill -0 "$FPID" 2>/dev/null || fail "the follower died: $(cat "$WORK/follow.log")"
grep "rejected [1-9]\|failed [1-9]" "$WORK/follow.log" && fail "follower rejected or failed keys"

[ $fails = 0 ] && echo "sgid etcd member loss: all checks passed"
exit $((fails > 0))
