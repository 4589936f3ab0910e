# shellcheck shell=bash
# The control side of brokered sessions for the demo and the tests:
# sg-control (LMDB stores under $SG_RUN) and one sg-hostagent on libvirt's
# test driver whose four VMs (vm1..vm4) are the python HTTP servers of the
# topology's hosts: vm1 198.18.1.11 and vm3 198.18.1.13 on host1, vm2
# 198.18.1.12 and vm4 198.18.1.14 on host2 (broker_vm_addrs adds .13/.14),
# shut off at the start and "booting" for BOOT_MS milliseconds when started;
# vm5 (198.18.1.15, host1) alone in pool "solo" serves 198.18.10.3:8081.
# Needs: SG_BUILD, SG_RUN, SG_PREFIX (also the shm name), wait_for.

SG_CTL_BIN=${SG_CTL_BIN:-$SG_BUILD/control/sg-control}
SG_SGCTL_BIN=${SG_SGCTL_BIN:-$SG_BUILD/control/sgctl}
SG_AGENT_BIN=${SG_AGENT_BIN:-$SG_BUILD/hostagent/sg-hostagent}

sgctl() { "$SG_SGCTL_BIN" -s "$SG_RUN/control.sock" "$@"; }

# broker_vm_addrs: the addresses of vm3 and vm4 on the topology's hosts.
broker_vm_addrs() {
	ip -n "$(topo_ns h1)" addr add 198.18.1.13/24 dev eth0
	ip -n "$(topo_ns h2)" addr add 198.18.1.14/24 dev eth0
	ip -n "$(topo_ns h1)" addr add 198.18.1.15/24 dev eth0
}

# broker_configs BOOT_MS IDLE_STOP_MS [SESSION_CAP]: write control.yaml,
# agent.yaml, node.xml.
broker_configs() {
	local boot_ms=$1 idle_ms=$2 cap=${3:-100} aport mport vm
	aport=$((20000 + $$ % 20000))
	mport=$((aport + 1))
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SG_RUN/agent.key"
	chmod 600 "$SG_RUN/agent.key"
	cat >"$SG_RUN/control.yaml" <<YAML
control:
  shm_name: /$SG_PREFIX
  admin_socket: $SG_RUN/control.sock
  db_dir: $SG_RUN/db
  db_map_mb: 64
  agent_listen: 127.0.0.1:$aport
  agent_key_file: $SG_RUN/agent.key
  metrics_listen: 127.0.0.1:$mport
  ring_poll_us: 100
  idmgr_dir: $SG_RUN/idmgr
  timeouts: { queue_ms: 20000, vm_start_ms: 20000, install_ms: 5000 }
hosts:
  - { name: h1, address: 127.0.0.1 }
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
  - { name: app-udp, vip: 198.18.10.3, port: 5353, protocol: udp, pool: vms, mode: nat,
      backend_port: 5354 }
YAML
	{
		echo "<node><cpu><mhz>2000</mhz><model>x86_64</model><active>4</active><max>4</max>" \
			"<nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads></cpu>" \
			"<memory>8388608</memory>"
		for vm in vm1 vm2 vm3 vm4 vm5; do
			echo "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>" \
				"<name>$vm</name><memory>262144</memory><vcpu>1</vcpu>" \
				"<os><type arch='x86_64'>hvm</type></os><test:runstate>5</test:runstate></domain>"
		done
		echo "</node>"
	} >"$SG_RUN/node.xml"
	cat >"$SG_RUN/agent.yaml" <<YAML
host: h1
admin_socket: $SG_RUN/agent.sock
libvirt: { uri: "test://$SG_RUN/node.xml", boot_delay_ms: $boot_ms, resync_ms: 2000,
           stop_timeout_ms: 3000 }
control: { address: 127.0.0.1, port: $aport, key_file: $SG_RUN/agent.key, ping_ms: 1000,
           timeout_ms: 5000 }
vms:
YAML
	for vm in 1 2 3 4 5; do
		echo "  - { name: vm$vm, address: 198.18.1.1$vm, port: 80 }" >>"$SG_RUN/agent.yaml"
	done
}

ctl_start() {
	setsid "$SG_CTL_BIN" -c "$SG_RUN/control.yaml" -f >>"$SG_RUN/control.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/control.pid"
	wait_for 10 test -S "$SG_RUN/control.sock" ||
		{ cat "$SG_RUN/control.log" >&2; echo "sg-control did not start" >&2; return 1; }
}

agent_start() {
	setsid "$SG_AGENT_BIN" -c "$SG_RUN/agent.yaml" >>"$SG_RUN/agent.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/agent.pid"
	wait_for 15 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' --json status |
		grep -q '\"agents_connected\": *1'" ||
		{ cat "$SG_RUN/agent.log" >&2; echo "the host agent did not connect" >&2; return 1; }
}

# broker_stop: sg-hostagent and sg-control, even when stopped or frozen.
broker_stop() {
	local f pid
	for f in agent control; do
		pid=$(cat "$SG_RUN/$f.pid" 2>/dev/null) || continue
		kill -CONT "$pid" 2>/dev/null || true
		kill -TERM "$pid" 2>/dev/null || true
		wait_for 5 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
		rm -f "$SG_RUN/$f.pid"
	done
	return 0
}
