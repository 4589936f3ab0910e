#!/bin/bash
# Clustered identities: sgid writes go to a real etcd first; two stores follow
# it (sgid follow: range + watch) and show every write and delete; a stopped
# follower resumes from the revision kept in its store (no full read again);
# after a compaction it reads everything again and drops what etcd lost; two
# writers never hand out one ID twice; hostile keys in etcd are counted and
# skipped. Usage: test_sgid_cluster.sh /path/to/sgid
set -u
SGID=${1:?usage: $0 SGID}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sgid-cluster-$$-XXXXXX")
. "$(dirname "$0")/../etcd/lib.sh"
declare -A FPID
cleanup() {
	local n
	for n in "${!FPID[@]}"; do kill "${FPID[$n]}" 2>/dev/null; wait "${FPID[$n]}" 2>/dev/null; done
	etcd_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

etcd_single e1 || exit 1
export SGID_ETCD=${ETCD_URL[e1]} SGID_ETCD_PREFIX=/sgtest
W="$SGID -d $WORK/writer"

# run CMD... (must succeed)
run() { "$@" >"$WORK/out" 2>"$WORK/err" || fail "$* -> exit $? $(cat "$WORK/err")"; }
# follower NAME: start `sgid follow` on store NAME (log in $WORK/NAME.log)
follower() {
	"$SGID" -d "$WORK/$1" follow >>"$WORK/$1.log" 2>&1 &
	FPID[$1]=$!
}
stop_follower() { kill "${FPID[$1]}"; wait "${FPID[$1]}" 2>/dev/null; unset "FPID[$1]"; }
# until_in STORE SECONDS CMD...: the read command on STORE (read-only, no etcd) succeeds
until_in() {
	local store=$1 end=$((SECONDS + $2))
	shift 2
	while [ $SECONDS -lt $end ]; do
		SGID_ETCD= "$SGID" -d "$WORK/$store" "$@" >"$WORK/q" 2>&1 && return 0
		sleep 0.1
	done
	fail "$store: '$*' not true within the deadline: $(cat "$WORK/q")"
	return 1
}
until_not_in() {
	local store=$1 end=$((SECONDS + $2))
	shift 2
	while [ $SECONDS -lt $end ]; do
		SGID_ETCD= "$SGID" -d "$WORK/$store" "$@" >"$WORK/q" 2>&1 || return 0
		sleep 0.1
	done
	fail "$store: '$*' still true after the deadline"
}

# --- two followers, then writes: they show in both LMDBs (and the writer's)
follower f1
follower f2
run $W register infra/host/h1
run $W register infra/vm/vm1 -p infra/host/h1 -a os=linux
run $W register user/user/alice
run $W register app/app/desk
run $W register app/domain/desk.example -a tier=gold
run $W register app/component/desk-ui
run $W relate user/user/alice subscribes app/app/desk
run $W relate app/app/desk has_domain app/domain/desk.example
run $W relate app/domain/desk.example has_component app/component/desk-ui
run $W ref infra/vm/vm1 app/component/desk-ui # the VM's dual ID: its component
run $W relate user/user/alice assigned infra/vm/vm1
run $W set infra/vm/vm1 color=blue
for s in writer f1 f2; do
	until_in $s 10 serving user/user/alice app/app/desk &&
		grep -q "vm#1" "$WORK/q" || fail "$s: alice is not served by vm#1: $(cat "$WORK/q")"
	until_in $s 10 show infra/vm/vm1 &&
		{ grep -q "color=blue" "$WORK/q" && grep -q "parent *infra/host/h1" "$WORK/q" &&
			grep -q "os=linux" "$WORK/q"; } || fail "$s: vm1 record: $(cat "$WORK/q")"
done
# same IDs everywhere
for s in f1 f2; do
	for h in infra/host/h1 infra/vm/vm1 user/user/alice app/component/desk-ui; do
		a=$(SGID_ETCD= $W show "$h" | head -1)
		b=$(SGID_ETCD= "$SGID" -d "$WORK/$s" show "$h" | head -1)
		[ "$a" = "$b" ] || fail "$s: $h is '$b', the writer has '$a'"
	done
done

# --- deletes
run $W unrelate user/user/alice assigned infra/vm/vm1
run $W unset infra/vm/vm1 color
run $W ref infra/vm/vm1 -
run $W unregister infra/vm/vm1
for s in f1 f2; do
	until_not_in $s 10 show infra/vm/vm1
	until_in $s 5 show infra/host/h1
	until_not_in $s 5 serving user/user/alice app/app/desk -q 2>/dev/null
done
"$SGID" -d "$WORK/f1" related user/user/alice --both >"$WORK/q" 2>&1
grep -q "vm#" "$WORK/q" && fail "f1: alice still related to a VM: $(cat "$WORK/q")"

# --- a stopped follower resumes from its revision: it does not read everything again
stop_follower f1
grep -q "follow: started: revision [1-9][0-9]* .* resyncs 1" "$WORK/f1.log" ||
	fail "f1's first start is not a full read: $(cat "$WORK/f1.log")"
run $W register infra/vm/vm2 -p infra/host/h1
run $W register infra/vm/vm3 -p infra/host/h1
follower f1
until_in f1 10 show infra/vm/vm3
sleep 1.2 # one stats line
stop_follower f1
started=$(grep "follow: started" "$WORK/f1.log" | tail -1)
echo "$started" | grep -q "applied 0 .* resyncs 0" || fail "restart read everything again: $started"
stopped=$(grep "follow: stopped" "$WORK/f1.log" | tail -1)
applied=$(echo "$stopped" | sed 's/.* applied \([0-9]*\) .*/\1/')
# the two new objects, their tree entries, the last revision re-applied: not all ~20 keys
[ "$applied" -ge 4 ] && [ "$applied" -le 6 ] || fail "resumed follower applied $applied keys: $stopped"
echo "resume: $stopped"

# --- two writers: distinct IDs for distinct names, one ID for one name
W2="$SGID -d $WORK/writer2"
writers=()
for i in 1 2 3 4 5; do
	$W register infra/vm/a$i >/dev/null 2>&1 &
	writers+=($!)
	$W2 register infra/vm/b$i >/dev/null 2>&1 &
	writers+=($!)
done
for p in "${writers[@]}"; do wait "$p" || fail "a concurrent register failed"; done
run $W2 register infra/vm/vm2 # writer2's store does not know vm2: etcd does
grep -q "vm#2 " "$WORK/out" || fail "second writer got another ID for vm2: $(cat "$WORK/out")"
ids=$(etcd_ctl e1 get --prefix /sgtest/v1/id/obj/04 --print-value-only | sed 's/.*"id":"\([^"]*\)".*/\1/' | sort)
[ "$(echo "$ids" | sort -u | wc -l)" = 12 ] || fail "VM IDs in etcd not 12 distinct: $ids"
names=$(etcd_ctl e1 get --prefix /sgtest/v1/id/name/infra/vm/ --keys-only | grep -c name/)
[ "$names" = 12 ] || fail "$names VM names in etcd, want 12"

# --- hostile keys in etcd: counted and skipped, the follower goes on
follower f2b
until_in f2b 10 show infra/vm/b5
etcd_ctl e1 put /sgtest/v1/id/obj/zz 'x' >/dev/null
etcd_ctl e1 put /sgtest/v1/id/obj/0400000000000063 '{"id":"host#3","name":"x"}' >/dev/null
etcd_ctl e1 put /sgtest/v1/id/rel/0400000000000001/explodes/0300000000000001 '{}' >/dev/null
etcd_ctl e1 put /sgtest/v1/id/tree/0400000000000002 '[1,2' >/dev/null
run $W register infra/vm/after-garbage
until_in f2b 10 show infra/vm/after-garbage
sleep 1.2
stop_follower f2b
grep "follow: stopped" "$WORK/f2b.log" | grep -q "rejected 4" ||
	fail "hostile keys not counted: $(tail -2 "$WORK/f2b.log")"

# --- compaction: a follower that slept past it reads everything again, drops what went
stop_follower f2
run $W unregister infra/vm/a1
etcd_ctl e1 del --prefix /sgtest/v1/id/obj/zz >/dev/null
rev=$(etcd_ctl e1 get /sgtest/x -w json | sed 's/.*"revision":\([0-9]*\).*/\1/')
etcd_ctl e1 compact "$rev" >/dev/null || fail "compact"
follower f2
until_not_in f2 10 show infra/vm/a1
until_in f2 10 show infra/vm/after-garbage
sleep 1.2
grep "follow: " "$WORK/f2.log" | tail -1 | grep -q "resyncs 1 removed [1-9]" ||
	fail "compaction did not resync: $(tail -2 "$WORK/f2.log")"

# --- a store that never followed catches up once, then says the same
run "$SGID" -d "$WORK/late" follow --once
grep -q "resyncs 1" "$WORK/out" || fail "follow --once: $(cat "$WORK/out")"
for h in infra/host/h1 infra/vm/vm3 infra/vm/b3 app/domain/desk.example; do
	a=$(SGID_ETCD= "$SGID" -d "$WORK/f2" show "$h" 2>&1)
	b=$(SGID_ETCD= "$SGID" -d "$WORK/late" show "$h" 2>&1)
	[ "$a" = "$b" ] || fail "late store: $h differs: '$b' vs f2's '$a'"
done

# --- refused writes leave etcd untouched; etcd down: writes fail, nothing local
n0=$(etcd_ctl e1 get --prefix /sgtest/ --keys-only | grep -c .)
"$SGID" -d "$WORK/writer" unregister infra/host/h1 >/dev/null 2>&1
[ $? = 3 ] || fail "unregister of a host with VMs not refused"
"$SGID" -d "$WORK/writer" register infra/vm/bad -p infra/host/none >/dev/null 2>&1
[ $? = 1 ] || fail "register under a missing parent not refused"
n1=$(etcd_ctl e1 get --prefix /sgtest/ --keys-only | grep -c .)
[ "$n0" = "$n1" ] || fail "refused writes changed etcd: $n0 -> $n1 keys"
etcd_kill e1
"$SGID" -d "$WORK/writer" register infra/vm/offline >"$WORK/out" 2>"$WORK/err"
[ $? = 4 ] || fail "register with etcd down: exit $?, want 4"
grep -q "etcd" "$WORK/err" || fail "etcd down: no etcd message: $(cat "$WORK/err")"
SGID_ETCD= "$SGID" -d "$WORK/writer" show infra/vm/offline >/dev/null 2>&1 &&
	fail "a write etcd refused is in the local store"

# followers refused nothing but the record of a lost name race (writer2's vm2)
bad=$(grep -h "not applied" "$WORK"/f*.log | grep -v "name 'vm2' already registered")
[ -z "$bad" ] || fail "followers refused keys: $bad"

[ $fails = 0 ] && echo "sgid cluster: all checks passed"
exit $((fails > 0))
