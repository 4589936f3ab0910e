# shellcheck shell=bash
# The control side of brokered sessions for the demo and the tests:
# sg-control (LMDB stores under $SG_RUN) in the router namespace, and two
# sg-hostagent instances on libvirt's test driver, each with its own
# test:/// node:
#  - agent "h1" (namespace h1) owns vm1..vm5, the python HTTP servers of the
#    topology's hosts: vm1 198.18.1.11 and vm3 198.18.1.13 on host1, vm2
#    198.18.1.12 and vm4 198.18.1.14 on host2 (broker_vm_addrs adds
#    .13/.14/.15); vm5 (198.18.1.15, host1) alone in pool "solo" serves
#    198.18.10.3:8081. NAT hand-off: no datapath.
#  - agent "h3" (namespace h3, a third host on the LAN, 198.18.1.21) owns
#    vm6 (198.18.1.21) in pool "dsr" behind 198.18.10.3:8083 and runs the
#    tc-BPF datapath on its eth0: the DSR hand-off.
# VMs are shut off at the start and "booting" for BOOT_MS milliseconds when
# started. Needs: SG_BUILD, SG_RUN, SG_PREFIX (also the shm name), wait_for,
# topology.sh.

SG_CTL_BIN=${SG_CTL_BIN:-$SG_BUILD/control/sg-control}
SG_SGCTL_BIN=${SG_SGCTL_BIN:-$SG_BUILD/control/sgctl}
SG_AGENT_BIN=${SG_AGENT_BIN:-$SG_BUILD/hostagent/sg-hostagent}

sgctl() { "$SG_SGCTL_BIN" -s "$SG_RUN/control.sock" "$@"; }

# broker_vm_addrs: the addresses of vm3..vm5 on the topology's hosts, and
# host3 ($SG_TOPO-h3: eth0 198.18.1.21 on the LAN bridge, vm6's HTTP server).
broker_vm_addrs() {
	local P=$SG_TOPO
	ip -n "$(topo_ns h1)" addr add 198.18.1.13/24 dev eth0
	ip -n "$(topo_ns h2)" addr add 198.18.1.14/24 dev eth0
	ip -n "$(topo_ns h1)" addr add 198.18.1.15/24 dev eth0
	topo_host3 198.18.1.21 - || return 1
	setsid ip netns exec "$P-h3" python3 "$SG_SRC/scripts/lib/backend.py" --name vm6 \
		--http 198.18.1.21:80 >"$SG_RUN/backend3.log" 2>&1 </dev/null &
	wait_for 15 grep -q "^backend vm6: serving" "$SG_RUN/backend3.log" ||
		{ echo "backend vm6 did not start" >&2; return 1; }
}

# broker_configs BOOT_MS IDLE_STOP_MS [SESSION_CAP]: write control.yaml,
# agent.yaml, node.xml.
broker_configs() {
	local boot_ms=$1 idle_ms=$2 cap=${3:-100} aport mport vm
	aport=$((20000 + $$ % 20000))
	mport=$((aport + 1))
	mkdir -p "$SG_RUN/bpffs"
	mountpoint -q "$SG_RUN/bpffs" || mount -t bpf bpf "$SG_RUN/bpffs" || return 1
	# one key per host: sg-control reads agent-keys/<host>.key, each agent its own
	mkdir -p "$SG_RUN/agent-keys" && chmod 700 "$SG_RUN/agent-keys"
	for vm in h1 h3; do
		head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SG_RUN/agent-keys/$vm.key"
		chmod 600 "$SG_RUN/agent-keys/$vm.key"
	done
	cat >"$SG_RUN/control.yaml" <<YAML
control:
  shm_name: /$SG_PREFIX
  admin_socket: $SG_RUN/control.sock
  db_dir: $SG_RUN/db
  db_map_mb: 64
  agent_listen: 198.18.1.1:$aport
  agent_key_dir: $SG_RUN/agent-keys
  metrics_listen: 127.0.0.1:$mport
  ring_poll_us: 100
  idmgr_dir: $SG_RUN/idmgr
  timeouts: { queue_ms: 20000, vm_start_ms: 20000, install_ms: 5000 }
hosts:
  - { name: h1, address: 198.18.1.11 }
  - { name: h3, address: 198.18.1.21 }
pools:
  - name: vms
    session_cap: $cap
    idle_stop_ms: $idle_ms
    starts_inflight: 4
    vms:
      - { name: vm1, host: h1, address: 198.18.1.11 }
      - { name: vm2, host: h1, address: 198.18.1.12 }
      - { name: vm3, host: h1, address: 198.18.1.13 }
      - { name: vm4, host: h1, address: 198.18.1.14 }
  - name: solo
    session_cap: 100
    idle_stop_ms: $idle_ms
    vms:
      - { name: vm5, host: h1, address: 198.18.1.15 }
  - name: dsr
    session_cap: 100
    idle_stop_ms: $idle_ms
    vms:
      - { name: vm6, host: h3, address: 198.18.1.21 }
applications:
  - { name: app, vip: 198.18.10.3, port: 80, match: { http_host: app.example }, pool: vms,
      mode: nat, backend_port: 80, exec_limit: 1000, wait_limit: 500 }
  - { name: app-tls, vip: 198.18.10.3, port: 443, match: { tls_sni: tls.example }, pool: vms,
      mode: nat, backend_port: 443 }
  - { name: app-slow, vip: 198.18.10.3, port: 8080, match: { http_host: app.example },
      pool: vms, mode: nat, backend_port: 80 }
  - { name: app-redir, vip: 198.18.10.4, port: 80, pool: vms, mode: redirect, backend_port: 80 }
  - { name: app-solo, vip: 198.18.10.3, port: 8081, match: { http_host: app.example },
      pool: solo, mode: nat, backend_port: 80 }
  - { name: app-dsr, vip: 198.18.10.3, port: 8083, match: { http_host: app.example },
      pool: dsr, mode: dsr, backend_port: 80 }
  - { name: app-udp, vip: 198.18.10.3, port: 5353, protocol: udp, pool: vms, mode: nat,
      backend_port: 5354 }
YAML
	broker_node vm1 vm2 vm3 vm4 vm5 >"$SG_RUN/node1.xml"
	broker_node vm6 >"$SG_RUN/node3.xml"
	broker_agent_yaml h1 "$boot_ms" "$aport" >"$SG_RUN/agent.yaml"
	for vm in 1 2 3 4 5; do
		echo "  - { name: vm$vm, address: 198.18.1.1$vm, port: 80 }" >>"$SG_RUN/agent.yaml"
	done
	broker_agent_yaml h3 "$boot_ms" "$aport" >"$SG_RUN/agent3.yaml"
	cat >>"$SG_RUN/agent3.yaml" <<YAML
  - { name: vm6, address: 198.18.1.21, port: 80 }
datapath: { uplink: eth0, host_address: 198.18.1.21, pin_dir: $SG_RUN/bpffs/h3 }
YAML
}

# broker_node VM...: a libvirt test:/// node with these domains, shut off.
broker_node() {
	local vm
	echo "<node><cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><max>4</max>" \
		"<nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>" \
		"<memory>8388608</memory>"
	for vm in "$@"; do
		echo "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>" \
			"<name>$vm</name><memory>262144</memory><vcpu>1</vcpu>" \
			"<os><type arch='x86_64'>hvm</type></os><test:runstate>5</test:runstate></domain>"
	done
	echo "</node>"
}

# broker_agent_yaml HOST BOOT_MS PORT: an agent's configuration up to "vms:".
broker_agent_yaml() {
	local n=${1#h}
	cat <<YAML
host: $1
admin_socket: $SG_RUN/agent$n.sock
libvirt: { uri: "test://$SG_RUN/node$n.xml", boot_delay_ms: $2, resync_ms: 2000,
           stop_timeout_ms: 3000 }
control: { address: 198.18.1.1, port: $3, key_file: $SG_RUN/agent-keys/$1.key, ping_ms: 1000,
           timeout_ms: 5000 }
vms:
YAML
}

ctl_start() {
	setsid ip netns exec "$(topo_ns r)" "$SG_CTL_BIN" -c "$SG_RUN/control.yaml" -f >>"$SG_RUN/control.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/control.pid"
	wait_for 10 test -S "$SG_RUN/control.sock" ||
		{ cat "$SG_RUN/control.log" >&2; echo "sg-control did not start" >&2; return 1; }
}

# agent_start: both host agents, each in its host's namespace.
agent_start() {
	setsid ip netns exec "$(topo_ns h1)" "$SG_AGENT_BIN" -c "$SG_RUN/agent.yaml" \
		>>"$SG_RUN/agent.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/agent.pid"
	setsid ip netns exec "$(topo_ns h3)" "$SG_AGENT_BIN" -c "$SG_RUN/agent3.yaml" \
		>>"$SG_RUN/agent3.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/agent3.pid"
	wait_for 15 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' --json status |
		grep -q '\"agents_connected\": *2'" ||
		{ cat "$SG_RUN/agent.log" "$SG_RUN/agent3.log" >&2
		  echo "the host agents did not connect" >&2; return 1; }
}

# broker_stop: sg-hostagent and sg-control, even when stopped or frozen.
broker_stop() {
	local f pid
	for f in agent agent1 agent2 agent3 control; do
		pid=$(cat "$SG_RUN/$f.pid" 2>/dev/null) || continue
		kill -CONT "$pid" 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
		wait_for 5 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
		rm -f "$SG_RUN/$f.pid"
	done
	# the datapath outlives its agent (pinned): the namespace's removal detaches it
	if mountpoint -q "$SG_RUN/bpffs" 2>/dev/null; then
		rm -rf "$SG_RUN/bpffs/h2" "$SG_RUN/bpffs/h3"
		umount "$SG_RUN/bpffs" 2>/dev/null || true
	fi
	return 0
}
