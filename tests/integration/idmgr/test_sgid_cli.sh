#!/bin/bash
# sgid CLI: commands, messages and exit codes a shell user relies on, and a
# JSON export/import round trip. Usage: test_sgid_cli.sh /path/to/sgid
set -u
SGID=${1:?usage: $0 SGID}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sgid-cli-$$-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export SGID_STORE="$WORK/store"
fails=0

# expect CODE DESCRIPTION -- command...  (stdout in $WORK/out, stderr in $WORK/err)
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >"$WORK/out" 2>"$WORK/err"
	local got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: exit $got, want $want"
		sed 's/^/  out: /' "$WORK/out"
		sed 's/^/  err: /' "$WORK/err"
		fails=$((fails + 1))
	fi
}
has() { # has FILE PATTERN DESCRIPTION
	if ! grep -q -- "$2" "$WORK/$1"; then
		echo "FAIL: $3: '$2' not in $1:"
		sed 's/^/  /' "$WORK/$1"
		fails=$((fails + 1))
	fi
}

expect 1 "read-only command on a missing store" -- "$SGID" show infra/dc/dc1
has err "register something first" "missing store hint"
expect 2 "no command" -- "$SGID"
expect 2 "unknown command" -- "$SGID" frobnicate
has err "unknown command 'frobnicate'" "unknown command message"
expect 0 "help" -- "$SGID" --help
has out "usage: sgid" "help text"

expect 0 "register dc" -- "$SGID" register infra/dc/dc1
has out "dc#1 *infra/dc/dc1" "register prints ID and handle"
expect 0 "register group" -- "$SGID" register infra/group/g1 -p infra/dc/dc1
expect 0 "register host" -- "$SGID" register infra/host/h1 -p infra/group/g1 -a underlay=198.18.0.1
expect 0 "register host2" -- "$SGID" register infra/host/h2 -p group#1
expect 0 "register vm" -- "$SGID" register infra/vm/web-1 -p infra/host/h1 -a image=http://198.18.0.100/web.qcow2 -a addr=198.18.1.1
expect 0 "register existing" -- "$SGID" register infra/vm/web-1
has out "vm#1" "existing name returns its ID"
has err "already registered" "existing name is reported"
expect 2 "bad name" -- "$SGID" register "infra/vm/Web 1"
has err "character 'W' at offset 0" "bad name says where"
expect 2 "unknown type" -- "$SGID" register infra/toaster/t1
has err "unknown type 'toaster'" "unknown type message"
expect 2 "type in wrong namespace" -- "$SGID" register user/vm/x
expect 2 "bad attribute" -- "$SGID" register infra/vm/web-2 -a novalue
expect 1 "missing parent" -- "$SGID" register infra/vm/web-3 -p infra/host/nope
has err "not registered" "missing parent message"
long=$(printf 'a%.0s' $(seq 1 300))
expect 2 "oversized name" -- "$SGID" register "infra/vm/$long"
has err "at most" "oversized name message"

expect 0 "show" -- "$SGID" show infra/vm/web-1
has out "parent   infra/host/h1" "show parent"
has out "attr     image=http://198.18.0.100/web.qcow2" "show attribute"
expect 0 "show by ID" -- "$SGID" show vm#1
expect 1 "show missing" -- "$SGID" show infra/vm/none
expect 2 "show bad handle" -- "$SGID" show "infra/vm"
expect 0 "where" -- "$SGID" where infra/vm/web-1
[ "$(awk '{print $2}' "$WORK/out" | tr '\n' ' ')" = "infra/vm/web-1 infra/host/h1 infra/group/g1 infra/dc/dc1 " ] ||
	{ echo "FAIL: where path: $(cat "$WORK/out")"; fails=$((fails + 1)); }
expect 0 "move" -- "$SGID" move infra/vm/web-1 infra/host/h2
expect 0 "where after move" -- "$SGID" where vm#1
has out "infra/host/h2" "where changed after move"
expect 3 "cycle" -- "$SGID" move infra/dc/dc1 infra/vm/web-1
has err "cannot move 'dc1' into itself" "cycle message"
expect 3 "unregister non-empty" -- "$SGID" unregister infra/host/h2
has err "still contains objects" "non-empty message"

expect 0 "app" -- "$SGID" register app/app/crm
expect 0 "domain" -- "$SGID" register app/domain/crm.main
expect 0 "component" -- "$SGID" register app/component/crm.main.web
expect 0 "user" -- "$SGID" register user/user/alice@corp.example
expect 0 "user2" -- "$SGID" register user/user/bob
expect 0 "relate" -- "$SGID" relate app/app/crm has_domain app/domain/crm.main
expect 0 "relate" -- "$SGID" relate app/domain/crm.main has_component app/component/crm.main.web
expect 0 "ref" -- "$SGID" ref infra/vm/web-1 app/component/crm.main.web
expect 0 "subscribe" -- "$SGID" relate user/user/alice@corp.example subscribes app/app/crm
expect 0 "assign" -- "$SGID" relate user/user/alice@corp.example assigned infra/vm/web-1
expect 2 "unknown relation" -- "$SGID" relate user/user/bob likes app/app/crm
has err "'likes' is not one relation" "unknown relation message"
expect 2 "relation list where one is wanted" -- "$SGID" relate user/user/bob subscribes,assigned app/app/crm
has err "is not one relation (give one of: subscribes" "relation list message"
expect 0 "serving" -- "$SGID" serving user/user/alice@corp.example app/app/crm
has out "infra/vm/web-1" "serving answer"
expect 3 "serving not subscribed" -- "$SGID" serving user/user/bob app/app/crm
has err "does not subscribe" "not subscribed message"
expect 4 "output that cannot be written" -- bash -c '"$0" list >/dev/full' "$SGID"
has err "list: cannot write output" "write error on stdout is reported"
expect 0 "related" -- "$SGID" related app/app/crm -n 3 -t vm
has out "infra/vm/web-1" "related answer"
expect 0 "related in" -- "$SGID" related infra/vm/web-1 --in -r assigned
has out "alice@corp.example" "related reverse"
expect 3 "related bound" -- "$SGID" related infra/vm/web-1 --in -n 3 -m 1
has err "truncated" "truncation message"
expect 0 "affected" -- "$SGID" affected infra/host/h2 -t user -r assigned
has out "alice@corp.example" "affected answer"
expect 0 "contained" -- "$SGID" contained infra/dc/dc1
expect 0 "set" -- "$SGID" set infra/vm/web-1 addr=198.18.1.2
expect 0 "show" -- "$SGID" show infra/vm/web-1
has out "addr=198.18.1.2" "set attribute"
expect 0 "unset" -- "$SGID" unset infra/vm/web-1 addr
expect 1 "unset again" -- "$SGID" unset infra/vm/web-1 addr
expect 0 "list" -- "$SGID" list -t host
[ "$(wc -l <"$WORK/out")" = 2 ] || { echo "FAIL: list -t host"; fails=$((fails + 1)); }

expect 0 "session" -- "$SGID" session stream --ttl 60000 -o user/user/alice@corp.example
has out "session/stream/1" "session handle"
expect 0 "show session" -- "$SGID" show session/stream/1
has out "owner    user#1" "session owner"
expect 0 "release" -- "$SGID" release stream#1
expect 1 "release again" -- "$SGID" release stream#1
expect 0 "sweep" -- "$SGID" sweep

expect 0 "unregister" -- "$SGID" unregister user/user/bob
expect 0 "export" -- "$SGID" export "$WORK/a.json"
expect 0 "import into new store" -- env SGID_STORE="$WORK/store2" "$SGID" import "$WORK/a.json"
has out "imported 9 object(s), 5 edge(s)" "import counts"
expect 0 "export again" -- env SGID_STORE="$WORK/store2" "$SGID" export "$WORK/b.json"
cmp -s "$WORK/a.json" "$WORK/b.json" || { echo "FAIL: export/import round trip differs"; diff "$WORK/a.json" "$WORK/b.json" | head; fails=$((fails + 1)); }
# bob's deleted ID stays unused after import
expect 0 "register after import" -- env SGID_STORE="$WORK/store2" "$SGID" register user/user/carol
has out "user#3" "IDs never reused across export/import"
expect 3 "import twice" -- env SGID_STORE="$WORK/store2" "$SGID" import "$WORK/a.json"
has err "objects\[0\]" "import error names the entry"
echo '{"format":"x"}' >"$WORK/bad.json"
expect 2 "import wrong format" -- env SGID_STORE="$WORK/store3" "$SGID" import "$WORK/bad.json"
echo '{"format":' >"$WORK/bad2.json"
expect 2 "import broken JSON" -- env SGID_STORE="$WORK/store3" "$SGID" import "$WORK/bad2.json"
has err "bad2.json:[0-9]*:[0-9]*: " "JSON error position"
expect 0 "stats" -- "$SGID" stats
has out "objects 9" "stats"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "all sgid CLI checks passed"
