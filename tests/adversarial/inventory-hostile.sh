#!/usr/bin/env bash
# Issue 15 (sg-control's inventory at run time): hostile inventory changes on
# the admin socket. A local client sends garbage specs, a 3.5 KB spec, unknown
# keys, duplicate names, a removal of the YAML's objects, an unknown command,
# and adds applications until the slots run out (256). Each is refused with
# its error; the counter moved; sgctl (an app added and served by `apps`) is
# answered during and after; inventory.json holds only what was accepted; a
# corrupt inventory.json stops the next start with its file and reason.
. "$(dirname "$0")/lib.sh"

. "$SG_SRC/scripts/lib/brokered.sh"
[ -x "$SG_CTL_BIN" ] && [ -x "$SG_SGCTL_BIN" ] || fail "missing $SG_CTL_BIN or $SG_SGCTL_BIN"
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/control.log" >&2; broker_stop'

topo_up
broker_configs 300 60000
ctl_start || fail "sg-control did not start"
inv() { sgctl --json status | python3 -c "import json,sys; print(json.load(sys.stdin)['inventory']['$1'])"; }
pid=$(cat "$SG_RUN/control.pid")
r0=$(inv refused)

"$SG_PY" - "$SG_RUN/control.sock" "$SG_SGCTL_BIN" 3>"$SG_RUN/counts" <<'PY' || fail "hostile inventory changes"
import json, socket, subprocess, sys
path, sgctl = sys.argv[1], sys.argv[2]

def ask(obj):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    s.sendall((obj if isinstance(obj, str) else json.dumps(obj)).encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    return json.loads(data)

def refused(obj, want):
    a = ask(obj)
    if a.get("ok") or want not in a.get("error", ""):
        sys.exit("not refused with %r: %r -> %r" % (want, obj, a))
    return 1

def served(what):
    r = subprocess.run([sgctl, "-s", path, "apps"], capture_output=True, timeout=10)
    if r.returncode != 0 or b"app" not in r.stdout:
        sys.exit("%s: sgctl apps failed: %s" % (what, r.stderr.decode()[:200]))

n = 0
add = lambda kind, spec: {"cmd": kind, "op": "add", "spec": spec}
n += refused(add("app", "{{{"), "spec:1:")
n += refused(add("app", "{name: x, vip: 198.18.10.9, port: 80, pool: vms, shell: rm}"), "shell")
n += refused(add("app", "{name: app, vip: 198.18.10.9, port: 80, pool: vms}"), "exists")
n += refused(add("vm", "{name: vm1, host: h1, pool: vms, address: 198.18.1.11}"), "twice")
n += refused(add("vm", "{name: vm9, host: nohost, pool: vms, address: 198.18.1.19}"), "nohost")
n += refused(add("pool", "{name: px, vms: [{name: v, host: h1, address: 198.18.1.19}]}"),
             "sgctl vm add")
n += refused(add("host", "{name: " + "h" * 3500 + "}"), "spec")
n += refused({"cmd": "app", "op": "remove", "name": "app"}, "remove it there and reload")
n += refused({"cmd": "pool", "op": "remove", "name": "nopool"}, "no pool nopool")
served("during the hostile specs")
# not inventory changes: refused by the parser, sg-control unharmed
for bad in ['{"cmd":"nosuch"}', '{"cmd":"app","op":"add","spec":7}',
            '{"cmd":"app","op":"add","spec":"' + "x" * 3600 + '"}',
            '{"cmd":"vm","op":"add","name":"vm1"}']:
    if ask(bad).get("ok"):
        sys.exit("accepted: %s" % bad[:80])
# a legitimate change in between
a = ask(add("app", "{name: legit, vip: 198.18.10.3, port: 80, match: {http_host: legit.example}, pool: vms, mode: nat}"))
if not a.get("ok"):
    sys.exit("legit add refused: %r" % a)
# the slots run out: 256 applications at most
added = 0
for i in range(300):
    a = ask(add("app", "{name: x%d, vip: 198.18.11.%d, port: %d, pool: vms}" % (i, i % 250 + 1, 1000 + i)))
    if not a.get("ok"):
        if "no free application slot (256)" not in a.get("error", ""):
            sys.exit("slot %d: %r" % (i, a))
        n += 1
        break
    added += 1
else:
    sys.exit("300 applications added: no bound")
served("after the slots ran out")
print("refused %d, added %d to the bound" % (n, added))
with open("/dev/fd/3", "w") as f:
    f.write("%d %d\n" % (n, added))
PY
read -r nref nadd <"$SG_RUN/counts"
r1=$(inv refused)
[ $((r1 - r0)) -eq "$nref" ] || fail "inventory.refused moved by $((r1 - r0)), not $nref"
kill -0 "$pid" || fail "sg-control crashed"
[ "$(cat "$SG_RUN/control.pid")" = "$pid" ] || fail "sg-control restarted"
n=$(python3 -c "import json; d=json.load(open('$SG_RUN/db/inventory.json')); print(len(d['apps']), len(d['vms']), len(d['hosts']), len(d['pools']))")
[ "$n" = "$((nadd + 1)) 0 0 0" ] || fail "inventory.json holds $n (want $((nadd + 1)) 0 0 0)"
sgctl app remove x0 || fail "sgctl app remove x0 after the attack"
[[ $(sgctl apps) == *legit* ]] || fail "the legitimate app is gone"
ok "refused $nref hostile changes (inventory.refused +$((r1 - r0))), slots bounded at 256, sg-control alive, inventory.json holds only the accepted"

# a corrupt inventory.json stops the next start, with the file and the reason
kill -TERM "$pid"
wait_for 5 bash -c "! kill -0 $pid" || fail "sg-control did not stop"
rm -f "$SG_RUN/control.sock"
printf '{"version":1,"apps":["{name: y, vip: 198.18.10.9, port: 80, pool: nopool}"]}' >"$SG_RUN/db/inventory.json"
out=$(ip netns exec "$(topo_ns r)" timeout 10 "$SG_CTL_BIN" -c "$SG_RUN/control.yaml" 2>&1) &&
	fail "sg-control started with a corrupt inventory.json"
[[ $out == *"$SG_RUN/db/inventory.json: apps[0]: "*"nopool"* ]] || fail "corrupt inventory.json: '$out'"
rm "$SG_RUN/db/inventory.json"
ctl_start || fail "sg-control did not start without inventory.json"
sgctl status >/dev/null || fail "sgctl after the restart"
ok "a corrupt inventory.json refused at start: $out"
echo "PASS inventory-hostile"
