# shellcheck shell=bash
# Harness of scenario-identity (identity.sh): two users, two applications,
# three VMs on two host agents (libvirt test:///, simulated boot delay),
# sg-control with its identity store (control.idmgr_dir) written with the
# real sgid CLI, sg-dataplane with a brokered VS per application.
#
#   desk   198.18.10.3:8090  NAT hand-off, token in the cookie "sgtok"
#          pool desk: vm1 (198.18.1.11) and vm2 (198.18.1.13), agent h1 (ns h1)
#   files  198.18.10.3:8083  DSR hand-off, token in the Host's first label
#          ("<token>.files.example"); pool files: vm3 (198.18.1.21), agent h3
#          (ns h3, its tc-BPF datapath)
#
# Each VM is a backend.py that answers its own name ("vm1\n", X-Backend: vm1).
# Identities: sg-control registers the applications' graph (APP -> domain ->
# component = pool -> VMs); sgid adds users alice and bob; alice subscribes
# to desk and files, bob to desk; alice -ASSIGNED-> vm1 and vm3, bob
# -ASSIGNED-> vm2.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SG_SGID_BIN=${SG_SGID_BIN:-$SG_BUILD/idmgr/sgid}
[ -x "$SG_SGID_BIN" ] || fail "missing $SG_SGID_BIN (build idmgr/)"
[ -x "$SG_AGENT_BIN" ] || fail "missing $SG_AGENT_BIN (build hostagent/)"
SG_TOKEN_BIN=${SG_TOKEN_BIN:-$SG_BUILD/control/sg-token}
[ -x "$SG_TOKEN_BIN" ] || fail "missing $SG_TOKEN_BIN (build control/sg-token)"
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 40 "$SG_RUN/control.log" "$SG_RUN/agent.log" "$SG_RUN/agent3.log" >&2; broker_stop'
ID_BOOT_MS=${ID_BOOT_MS:-2000}
ID_MPORT=$((21000 + $$ % 20000))

# sgid ARGS...: the identity CLI on sg-control's store.
sgid() { "$SG_SGID_BIN" -d "$SG_RUN/idmgr" "$@"; }

# id_topo: the namespaces, vm2's address on h1, host h3 (198.18.1.21, no
# IPv6) and the three VMs' servers.
id_topo() {
	local P=$SG_TOPO
	topo_up
	ip -n "$P-h1" addr add 198.18.1.13/24 dev eth0
	topo_host3 198.18.1.21 - || fail "host h3"
	id_backend h1 vm1 198.18.1.11
	id_backend h1 vm2 198.18.1.13
	id_backend h3 vm3 198.18.1.21
}

# id_dp_start: sg-dataplane on $SG_RUN/sg.yaml; both VM hosts reach it.
id_dp_start() {
	local h
	dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
	for h in h1 h3; do
		wait_for 10 ip netns exec "$(topo_ns $h)" ping -c1 -W1 198.18.1.2 ||
			fail "host $h cannot reach the data plane's inside port"
	done
}

# id_backend NS NAME ADDR: backend.py as VM NAME on ADDR:80 in namespace NS.
id_backend() {
	local log="$SG_RUN/backend-$2.log"
	setsid ip netns exec "$(topo_ns "$1")" python3 "$SG_SRC/scripts/lib/backend.py" \
		--name "$2" --http "$3:80" >"$log" 2>&1 </dev/null &
	wait_for 15 grep -q "^backend $2: serving" "$log" ||
		{ cat "$log" >&2; fail "backend $2 did not start"; }
}

# id_appliance: $SG_RUN/sg.yaml: the demo appliance (make_config), whose
# brokered VS app-brokered-dsr (198.18.10.3:8083, key http_host) carries
# files, and a brokered VS "desk" keyed on the cookie sgtok.
id_appliance() {
	make_config
	cat >>"$SG_RUN/sg.yaml" <<'YAML'
  - name: desk
    vip: 198.18.10.3
    port: 8090
    protocol: tcp
    mode: brokered
    pool: web
    timeouts: { tcp_transitory: 5 }
    brokered: { key: http_cookie, key_name: sgtok, hold_timeout_ms: 20000 }
YAML
}

# id_keyfile PATH BYTES: a random key, hex, mode 0600.
id_keyfile() { head -c "$2" /dev/urandom | od -An -tx1 | tr -d ' \n' >"$1" && chmod 600 "$1"; }

# id_keys: one signing key per application (32 random bytes, hex, 0600).
id_keys() {
	mkdir -p "$SG_RUN/keys" && chmod 700 "$SG_RUN/keys"
	id_keyfile "$SG_RUN/keys/desk-1.key" 32 && id_keyfile "$SG_RUN/keys/files-1.key" 32
}

# id_control AUTH_DESK AUTH_FILES: control.yaml, agent.yaml, agent3.yaml and
# the libvirt nodes. AUTH_*: the application's YAML lines after its name
# (auth:, qos:), indented by 4.
id_control() {
	local aport=$((ID_MPORT + 1))
	mkdir -p "$SG_RUN/bpffs"
	mountpoint -q "$SG_RUN/bpffs" || mount -t bpf bpf "$SG_RUN/bpffs" || fail "bpffs"
	mkdir -p "$SG_RUN/agent-keys" && chmod 700 "$SG_RUN/agent-keys"
	id_keyfile "$SG_RUN/agent-keys/h1.key" 24 && id_keyfile "$SG_RUN/agent-keys/h3.key" 24
	cat >"$SG_RUN/control.yaml" <<YAML
control:
  shm_name: /$SG_PREFIX
  admin_socket: $SG_RUN/control.sock
  db_dir: $SG_RUN/db
  db_map_mb: 32
  agent_listen: 198.18.1.1:$aport
  agent_key_dir: $SG_RUN/agent-keys
  metrics_listen: 127.0.0.1:$ID_MPORT
  ring_poll_us: 100
  idmgr_dir: $SG_RUN/idmgr
  timeouts: { queue_ms: 20000, vm_start_ms: 20000, install_ms: 5000 }
${ID_CONTROL_EXTRA:-}
hosts: [{ name: h1, address: 198.18.1.11 }, { name: h3, address: 198.18.1.21 }]
pools:
  - { name: desk, session_cap: 50, idle_stop_ms: 600000,
      vms: [{ name: vm1, host: h1, address: 198.18.1.11 }, { name: vm2, host: h1, address: 198.18.1.13 }] }
  - { name: files, session_cap: 50, idle_stop_ms: 600000,
      vms: [{ name: vm3, host: h3, address: 198.18.1.21 }] }
applications:
  - name: desk
    vip: 198.18.10.3
    port: 8090
    match: { http_cookie: sgtok }
    pool: desk
    mode: nat
    backend_port: 80
    domain: desk.main
$1
  - name: files
    vip: 198.18.10.3
    port: 8083
    match: { http_host: "*.files.example" }
    pool: files
    mode: dsr
    backend_port: 80
    domain: files.main
$2
YAML
	broker_node vm1 vm2 >"$SG_RUN/node1.xml"
	broker_node vm3 >"$SG_RUN/node3.xml"
	broker_agent_yaml h1 "$ID_BOOT_MS" "$aport" >"$SG_RUN/agent.yaml"
	cat >>"$SG_RUN/agent.yaml" <<YAML
  - { name: vm1, address: 198.18.1.11, port: 80 }
  - { name: vm2, address: 198.18.1.13, port: 80 }
YAML
	broker_agent_yaml h3 "$ID_BOOT_MS" "$aport" >"$SG_RUN/agent3.yaml"
	cat >>"$SG_RUN/agent3.yaml" <<YAML
  - { name: vm3, address: 198.18.1.21, port: 80 }
datapath: { uplink: eth0, host_address: 198.18.1.21, pin_dir: $SG_RUN/bpffs/h3 }
YAML
}

# id_graph: the users and their relations, with sgid, while sg-control runs.
# sg-control registered hosts, VMs (in their host, SERVED_BY their pool's
# component) and, per application, its APP object -HAS_DOMAIN-> domain
# -HAS_COMPONENT-> the pool's component: checked here first.
id_graph() {
	local a want
	for a in desk files; do
		want="vm1 vm2"
		[ "$a" = files ] && want="vm3"
		[ "$(sgid related "app/app/$a" -n 3 -t vm | awk -F/ '{ print $NF }' | sort | xargs)" = "$want" ] ||
			{ sgid related "app/app/$a" -n 3 >&2; fail "sg-control did not write app/app/$a's graph down to its VMs ($want)"; }
	done
	sgid register user/user/alice >/dev/null || fail "sgid register alice"
	sgid register user/user/bob >/dev/null || fail "sgid register bob"
	sgid relate user/user/alice subscribes app/app/desk || fail "alice subscribes desk"
	sgid relate user/user/alice subscribes app/app/files || fail "alice subscribes files"
	sgid relate user/user/bob subscribes app/app/desk || fail "bob subscribes desk"
	sgid relate user/user/alice assigned infra/vm/vm1 || fail "alice assigned vm1"
	sgid relate user/user/bob assigned infra/vm/vm2 || fail "bob assigned vm2"
	sgid relate user/user/alice assigned infra/vm/vm3 || fail "alice assigned vm3"
}

# id_of HANDLE: idmgr's ID text of an object ("user#1", "vapp#2").
id_of() { sgid show "$1" | awk '$1 == "id" { print $2 }'; }

# id_serving USER APP: the VM idmgr resolves (sgid serving), or "" (exit 1).
id_serving() { sgid serving "user/user/$1" "app/app/$2" 2>/dev/null | awk '{ print $NF }'; }

# vm_starts: sg-control's count of VM starts requested from the agents.
vm_starts() { sgctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["vm_starts"])'; }

# vm_state VM: its state in sg-control (from the agents).
vm_state() {
	sgctl --json vms | python3 -c '
import json, sys
for v in json.load(sys.stdin):
    if v["name"] == sys.argv[1]:
        print(v["state"])' "$1"
}

# desk_get TOKEN [CURL-ARGS...]: "HTTP-CODE BODY" of GET / on desk with the
# token in the cookie sgtok (a new connection).
desk_get() {
	local tok=$1
	shift
	client curl -s --max-time 25 -o "$SG_RUN/out" -w '%{http_code}' \
		-b "lang=en; sgtok=$tok" "$@" http://198.18.10.3:8090/ >"$SG_RUN/code" || true
	echo "$(cat "$SG_RUN/code") $(tr -d '\n' <"$SG_RUN/out" | head -c 80)"
}

# files_get TOKEN [PATH]: the same on files, the token as the Host's first label.
files_get() {
	client curl -s --max-time 25 -o "$SG_RUN/out" -w '%{http_code}' \
		-H "Host: $1.files.example" "http://198.18.10.3:8083${2:-/}" >"$SG_RUN/code" || true
	echo "$(cat "$SG_RUN/code") $(tr -d '\n' <"$SG_RUN/out" | head -c 80)"
}

# id_setup: everything up: topology, sg-dataplane, keys, sg-control (desk:
# tokens, refusals 403; files: tokens, refusals 302 to a login URL), the
# two host agents, the users' graph. ID_CONTROL_EXTRA: top-level YAML lines
# of sg-control (usage:, dataplane_telemetry:).
id_setup() {
	id_topo
	id_appliance
	id_dp_start
	id_keys
	id_control "    auth: { mode: token, keys: [{ id: 1, file: $SG_RUN/keys/desk-1.key }], on_fail: forbid }" \
		"    auth: { mode: token, keys: [{ id: 1, file: $SG_RUN/keys/files-1.key }], on_fail: login,
            login_url: \"http://login.example/?app=files\" }"
	ctl_start || fail "sg-control did not start"
	agent_start || fail "the host agents did not connect"
	id_graph
	ok "sg-dataplane, sg-control (identity store), two host agents up; graph written with sgid"
}

# mint APP USER [TTL]: a token from sg-control (signed with the app's first key).
mint() { sgctl token mint "$1" "$2" ${3:+--ttl "$3"} || fail "sgctl token mint $*"; }
