#!/usr/bin/env bash
# The inventory changed at run time (issue 15, doc/control.md "Changing the
# inventory"): the real data plane (idle mode, the demo's brokered VS
# 198.18.10.3:80, key http_host), sg-control and one host agent on libvirt's
# test:/// driver whose YAML has no VM, only a template "guest": every VM is
# sg-control's, pushed (VM_DEFINE). Servers in the host namespaces are the VMs.
#  1. app "app" and VM vm1, defined only in sg-control's YAML, serve a request;
#     a long transfer on app runs the whole test;
#  2. sgctl pool add, vm add (template guest), app add: a request to the new
#     app (another Host on the same VS) reaches the new VM; the agent has it;
#  3. sgctl app remove, vm remove, pool remove: the app is refused (503), the
#     VM is stopped and gone from the agent (its admin status) and sg-control;
#  4. a YAML edit + sgctl reload adds an app, a second one removes it;
#  5. the long transfer completed intact, no daemon restarted (same PIDs), no
#     session dropped (sg-control's rejects are the refused requests only);
#  6. sg-control restarted: the object still added at run time is back
#     (<db_dir>/inventory.json) and serves.
. "$(dirname "$0")/lib.sh"
[ -x "$SG_AGENT_BIN" ] || fail "missing $SG_AGENT_BIN (build hostagent/)"

LONG_N=1500000 LONG_RATE=100k # ~15 s
topo_up
backends_start
# web9's server: host h2's namespace, port 8089 (the new app's backend port)
setsid ip netns exec "$(topo_ns h2)" python3 "$SG_SRC/scripts/lib/backend.py" --name web9 \
	--http 0.0.0.0:8089 >"$SG_RUN/web9.log" 2>&1 </dev/null &
echo $! >"$SG_RUN/web9.pid"
wait_for 15 grep -q "^backend web9: serving" "$SG_RUN/web9.log" || fail "backend web9"
make_config
dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"

aport=$((20000 + $$ % 20000))
mkdir -p "$SG_RUN/agent-keys" && chmod 700 "$SG_RUN/agent-keys"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SG_RUN/agent-keys/h1.key"
chmod 600 "$SG_RUN/agent-keys/h1.key"
ctl_yaml() { # ctl_yaml [EXTRA-APP-LINES]: sg-control's YAML
	cat >"$SG_RUN/control.yaml" <<YAML
control:
  shm_name: /$SG_PREFIX
  admin_socket: $SG_RUN/control.sock
  db_dir: $SG_RUN/db
  db_map_mb: 16
  agent_listen: 198.18.1.1:$aport
  agent_key_dir: $SG_RUN/agent-keys
  ring_poll_us: 100
  timeouts: { queue_ms: 10000, vm_start_ms: 10000, install_ms: 5000 }
hosts:
  - { name: h1, address: 198.18.1.11 }
pools:
  - name: p1
    vms:
      - { name: vm1, host: h1, address: 198.18.1.11, template: guest, probe: false }
applications:
  - { name: app, vip: 198.18.10.3, port: 80, match: { http_host: app.example }, pool: p1,
      mode: nat, backend_port: 80 }
$1
YAML
}
ctl_yaml ""
echo "<node><cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><max>4</max><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu><memory>8388608</memory></node>" >"$SG_RUN/node1.xml"
cat >"$SG_RUN/guest.xml" <<'XML'
<domain type="test">
  <name>@NAME@</name>
  <uuid>@UUID@</uuid>
  <description>pushed VM @NAME@ at @ADDR@ mac @MAC@</description>
  <memory unit="KiB">@MEMORY_KB@</memory>
  <vcpu>1</vcpu>
  <os><type arch="x86_64">hvm</type></os>
</domain>
XML
cat >"$SG_RUN/agent.yaml" <<YAML
host: h1
admin_socket: $SG_RUN/agent1.sock
libvirt: { uri: "test://$SG_RUN/node1.xml", boot_delay_ms: 200, resync_ms: 2000,
           stop_timeout_ms: 3000 }
control: { address: 198.18.1.1, port: $aport, key_file: $SG_RUN/agent-keys/h1.key, ping_ms: 1000,
           timeout_ms: 5000 }
templates:
  - { name: guest, path: $SG_RUN/guest.xml, vars: { MEMORY_KB: "131072" } }
YAML
agent() { echo "$1" | socat -t2 - "UNIX-CONNECT:$SG_RUN/agent1.sock"; }

ctl_start || fail "sg-control did not start"
setsid ip netns exec "$(topo_ns h1)" "$SG_AGENT_BIN" -c "$SG_RUN/agent.yaml" \
	>>"$SG_RUN/agent.log" 2>&1 </dev/null &
echo $! >"$SG_RUN/agent.pid"
wait_for 15 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' --json status |
	grep -q '\"agents_connected\": *1'" || { cat "$SG_RUN/agent.log" >&2; fail "the agent did not connect"; }
wait_for 10 bash -c "echo status | socat -t2 - UNIX-CONNECT:$SG_RUN/agent1.sock | grep -q vm1" ||
	{ agent status >&2; fail "vm1 was not pushed to the agent"; }
pids() { echo "$(cat "$SG_RUN/dataplane.pid") $(cat "$SG_RUN/control.pid") $(cat "$SG_RUN/agent.pid")"; }
pids0=$(pids)
ok "sg-dataplane, sg-control, one sg-hostagent (no VM in its YAML, template guest) up; vm1 pushed"

# get HOST: one request to the brokered VS with that Host; the answer's body
get() { client curl -s --max-time 15 -H "Host: $1" http://198.18.10.3/; }
# code HOST: the HTTP status of one such request
code() { client curl -s -o /dev/null -w '%{http_code}' --max-time 15 -H "Host: $1" http://198.18.10.3/; }

# --- 1: the YAML's app and VM serve; a long transfer starts ------------------
[ "$(get app.example)" = host1 ] || fail "app.example: not answered by vm1 (host1)"
(
	rc=0
	client curl -s --max-time 50 --limit-rate "$LONG_RATE" -H "Host: app.example" \
		-o "$SG_RUN/long.body" -w '%{size_download}' \
		"http://198.18.10.3/bytes/$LONG_N?rate=100000" >"$SG_RUN/long.size" || rc=$?
	echo "$rc" >"$SG_RUN/long.rc"
) >/dev/null 2>&1 </dev/null &
wait_for 10 test -s "$SG_RUN/long.body" || fail "the long transfer did not start"
ok "app.example answered by vm1; a long transfer of $LONG_N bytes runs"

# --- 2: sgctl pool / vm / app add ------------------------------------------
t=$(now)
sgctl pool add '{name: p2, session_cap: 10, idle_stop_ms: 0}' || fail "sgctl pool add"
sgctl vm add '{name: web9, host: h1, pool: p2, address: 198.18.1.12, template: guest, port: 8089, probe: false}' ||
	fail "sgctl vm add"
sgctl app add '{name: app2, vip: 198.18.10.3, port: 80, match: {http_host: app2.example}, pool: p2, mode: nat, backend_port: 8089}' ||
	fail "sgctl app add"
sgctl app add '{name: app5, vip: 198.18.10.3, port: 80, match: {http_host: app5.example}, pool: p1, mode: nat, backend_port: 80}' ||
	fail "sgctl app add app5"
wait_for 5 bash -c "echo status | socat -t2 - UNIX-CONNECT:$SG_RUN/agent1.sock | grep -q web9" ||
	{ agent status >&2; fail "web9 was not pushed to the agent"; }
[ "$(get app2.example)" = web9 ] || { sgctl vms; fail "app2.example: not answered by web9"; }
[ "$(get app5.example)" = host1 ] || fail "app5.example: not answered by vm1"
ok "pool p2, vm web9 (pushed to h1's agent), apps app2 and app5 added; app2.example answered by web9 $(ms_since "$t") ms after the first add"
# sgctl's errors name the spec's line and key, and the refusals
bad=$(sgctl app add '{name: app9, vip: 198.18.10.3, port: 70000, pool: p1}' 2>&1) && fail "port 70000 accepted"
[[ $bad == *spec:1:* && $bad == *port* ]] || fail "a bad spec's error: $bad"
out=$(sgctl app remove app 2>&1) && fail "a YAML app removed with sgctl"
[[ $out == *"defined in $SG_RUN/control.yaml"* ]] || fail "removing a YAML app: $out"
ok "refused: a bad spec ($bad), a YAML app's removal ($out)"

# --- 3: sgctl app / vm / pool remove ----------------------------------------
sgctl app remove app2 || fail "sgctl app remove app2"
[ "$(code app2.example)" = 503 ] || fail "app2.example still served after app remove"
sgctl vm remove web9 || fail "sgctl vm remove web9"
wait_for 10 bash -c "! echo status | socat -t2 - UNIX-CONNECT:$SG_RUN/agent1.sock | grep -q web9" ||
	{ agent status >&2; fail "web9 still known by the agent"; }
wait_for 5 bash -c "! '$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' vms | grep -q web9" ||
	fail "web9 still in sgctl vms"
sgctl pool remove p2 || fail "sgctl pool remove p2"
ok "app2 refused (503), web9 stopped and forgotten by the agent, p2 removed"

# --- 4: YAML edit + reload ---------------------------------------------------
ctl_yaml "  - { name: app3, vip: 198.18.10.3, port: 80, match: { http_host: app3.example }, pool: p1,
      mode: nat, backend_port: 80 }"
sgctl reload || fail "reload adding app3"
[ "$(get app3.example)" = host1 ] || fail "app3.example not served after the reload"
ctl_yaml ""
sgctl reload || fail "reload removing app3"
[ "$(code app3.example)" = 503 ] || fail "app3.example still served after its removal"
ok "reload: app3 added, served, removed, refused"

# --- 5: nothing dropped, nothing restarted -----------------------------------
wait_for 30 test -s "$SG_RUN/long.rc" || fail "the long transfer still runs"
[ "$(cat "$SG_RUN/long.rc")" = 0 ] && [ "$(cat "$SG_RUN/long.size")" = "$LONG_N" ] ||
	fail "long transfer: curl rc $(cat "$SG_RUN/long.rc"), $(cat "$SG_RUN/long.size") of $LONG_N bytes"
[ "$(pids)" = "$pids0" ] || fail "a daemon restarted: pids $pids0 -> $(pids)"
st=$(sgctl --json status) || fail "sgctl status"
rej=$(jq_py "$st" "sum(v for k, v in d['stats']['rejects'].items() if k != 'no_app')")
noapp=$(jq_py "$st" "d['stats']['rejects'].get('no_app', 0)")
[ "$rej" = 0 ] && [ "$noapp" = 2 ] || { echo "$st" >&2; fail "rejects: $rej other, $noapp no_app (want 0, 2)"; }
dps() { telemetry_get /sg/stats "d['$1']"; }
[ "$(dps sess_rejected)" = 2 ] && [ "$(dps sess_timeout)" = 0 ] && [ "$(dps install_failed)" = 0 ] &&
	[ "$(dps sess_installed)" -ge 5 ] ||
	fail "data plane: rejected $(dps sess_rejected) (want 2), timeout $(dps sess_timeout), install_failed $(dps install_failed), installed $(dps sess_installed)"
ok "long transfer complete ($LONG_N bytes), same PIDs ($pids0), rejects: the 2 refused requests only (sg-control and the data plane: $(dps sess_installed) installed, 0 timeouts)"

# --- 6: restart sg-control: the runtime app is back --------------------------
grep -q app5 "$SG_RUN/db/inventory.json" || fail "app5 not in inventory.json"
kill -TERM "$(cat "$SG_RUN/control.pid")"
wait_for 5 bash -c "! kill -0 $(cat "$SG_RUN/control.pid")" || fail "sg-control did not stop"
rm -f "$SG_RUN/control.sock"
ctl_start || fail "sg-control did not start again"
wait_for 15 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' --json status |
	grep -q '\"agents_connected\": *1'" || fail "the agent did not reconnect"
[[ $(sgctl apps) == *app5* ]] || fail "app5 lost at the restart"
[ "$(get app5.example)" = host1 ] || fail "app5.example not served after the restart"
ok "sg-control restarted: app5 (inventory.json) back and served"
