# shellcheck shell=bash
# A real VM farm in the test topology (doc/vmfarm.md): host h1 runs its own
# libvirtd (scripts/lib/libvirtd-ns.sh, qemu:///system, TCG where there is
# no KVM) and sg-hostagent with the guest template (scripts/guest/guest.xml)
# and its tc-BPF datapath on eth0; the guests of the image built by
# scripts/guest/build-image.sh sit on a bridge vbr0 in h1, with addresses of
# the LAN (198.18.1.31, .32, ...; h1 answers ARP for them on the LAN and for
# the LAN on vbr0: proxy ARP, a /32 route per guest). The VMs, pools and
# applications are defined once, in sg-control's YAML: sg-control pushes
# each VM to h1's agent (VM_DEFINE with template "guest").
#
#   client -- router (br0 LAN 198.18.1.0/24) -- sg-dataplane (198.18.1.2)
#                        |-- h1 eth0 198.18.1.11 (agent, libvirtd, datapath)
#                              `-- vbr0 -- tap -- guest g1 198.18.1.31
#                                      `-- tap -- guest g2 198.18.1.32
#
# Needs: SG_SRC, SG_BUILD, SG_RUN, SG_PREFIX, topology.sh, appliance.sh and
# brokered.sh sourced (topo_ns, wait_for, dp_start, ctl_start, sgctl).

VMF_LIBVIRTD=${VMF_LIBVIRTD:-$SG_SRC/scripts/lib/libvirtd-ns.sh}
VMF_TEMPLATE=${VMF_TEMPLATE:-$SG_SRC/scripts/guest/guest.xml}
VMF_IMAGE=${VMF_IMAGE:-$SG_BUILD/guest}
VMF_VIP=198.18.10.3
VMF_MEMORY_MB=${VMF_MEMORY_MB:-128}

# vmf_image: the guest image (kernel + initramfs) in $VMF_IMAGE, built or
# taken from its cache.
vmf_image() {
	"$SG_SRC/scripts/guest/build-image.sh" "$VMF_IMAGE" >"$SG_RUN/image.log" 2>&1 ||
		{ cat "$SG_RUN/image.log" >&2; echo "guest image build failed" >&2; return 1; }
	[ -s "$VMF_IMAGE/vmlinuz" ] && [ -s "$VMF_IMAGE/initrd.img" ] ||
		{ echo "no $VMF_IMAGE/vmlinuz or initrd.img" >&2; return 1; }
}

# vmf_host ADDR...: h1's guest bridge vbr0 and its proxy ARP for the guests
# with these LAN addresses.
vmf_host() {
	local ns a
	ns=$(topo_ns h1)
	ip -n "$ns" link add vbr0 type bridge
	ip -n "$ns" link set vbr0 up
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.eth0.proxy_arp=1 \
		net.ipv4.conf.vbr0.proxy_arp=1 net.ipv4.neigh.eth0.proxy_delay=0 \
		net.ipv4.neigh.vbr0.proxy_delay=0 net.ipv4.conf.vbr0.rp_filter=0
	for a in "$@"; do
		ip -n "$ns" route add "$a/32" dev vbr0
	done
}

# vmf_libvirtd: h1's own libvirtd; its URI in $VMF_URI.
vmf_libvirtd() {
	"$VMF_LIBVIRTD" start "$(topo_ns h1)" "$SG_RUN/libvirt" >"$SG_RUN/libvirtd-start.log" 2>&1 ||
		{ cat "$SG_RUN/libvirtd-start.log" >&2; echo "libvirtd did not start" >&2; return 1; }
	VMF_URI=$("$VMF_LIBVIRTD" uri "$SG_RUN/libvirt")
	# the QEMU driver probes qemu's capabilities once: here, not in the
	# first guest's start
	vmf_virsh domcapabilities >/dev/null || { echo "virsh domcapabilities failed" >&2; return 1; }
}

# vmf_libvirtd_stop: libvirtd and every qemu it started.
vmf_libvirtd_stop() {
	[ -d "$SG_RUN/libvirt" ] || return 0
	"$VMF_LIBVIRTD" stop "$SG_RUN/libvirt" >/dev/null 2>&1 || true
}

# vmf_virsh ARGS...: virsh on h1's libvirtd.
vmf_virsh() { virsh -q -c "$VMF_URI" "$@"; }

# vmf_dp_yaml FILE: the appliance: brokered VSs on $VMF_VIP port 80
# (http_host), 443 (tls_sni) and UDP 7, each holding up to 90 s (a TCG boot
# on a loaded box).
vmf_dp_yaml() {
	cat >"$1" <<YAML
appliance:
  workers: 1
  memory_mb: 512
  no_huge: true
  file_prefix: $SG_PREFIX
  mbufs: 8191
  flow_table_size: 65536
  eal_args: ["--log-level=lib.eal:notice"]
  idle: { enabled: true }
  ports:
    - name: outside
      device: "net_af_packet0,iface=out,qpairs=1"
      address: 198.18.2.2/24
      gateway: 198.18.2.1
    - name: inside
      device: "net_af_packet1,iface=in,qpairs=1"
      address: 198.18.1.2/24
  control:
    shm: /$SG_PREFIX
    hold_budget_kb: 8192
nat:
  addresses: [198.18.1.100]
  ports: 1024-65535
pools:
  - name: web
    members:
      - { name: host1, address: 198.18.1.11, weight: 1 }
virtual_services:
  - name: farm-http
    vip: $VMF_VIP
    port: 80
    protocol: tcp
    mode: brokered
    pool: web
    timeouts: { tcp_transitory: 5 }
    brokered: { key: http_host, hold_timeout_ms: 90000 }
  - name: farm-tls
    vip: $VMF_VIP
    port: 443
    protocol: tcp
    mode: brokered
    pool: web
    timeouts: { tcp_transitory: 5 }
    brokered: { key: tls_sni, hold_timeout_ms: 90000 }
  - name: farm-echo
    vip: $VMF_VIP
    port: 7
    protocol: udp
    mode: brokered
    pool: web
    brokered: { hold_timeout_ms: 90000 }
YAML
}

# vmf_keys: one agent key for h1 (sg-control reads agent-keys/h1.key).
vmf_keys() {
	mkdir -p "$SG_RUN/agent-keys" "$SG_RUN/bpffs"
	chmod 700 "$SG_RUN/agent-keys"
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SG_RUN/agent-keys/h1.key"
	chmod 600 "$SG_RUN/agent-keys/h1.key"
	mountpoint -q "$SG_RUN/bpffs" || mount -t bpf bpf "$SG_RUN/bpffs"
}

# vmf_ctl_yaml FILE IDLE_MS [IDLE_MS2]: sg-control with host h1 and the one
# description of the farm: pool p1 (g1: app "web", HTTP Host web.example by
# NAT; idle save after IDLE_MS) and pool p2 (g2: app "dsr", Host
# dsr.example by DSR; "tls", SNI tls.example by NAT to :443; "echo", UDP 7;
# idle save after IDLE_MS2, default 10 minutes).
vmf_ctl_yaml() {
	local aport=$((20000 + $$ % 20000))
	cat >"$1" <<YAML
control:
  { shm_name: /$SG_PREFIX, admin_socket: $SG_RUN/control.sock, db_dir: $SG_RUN/db, db_map_mb: 64,
    agent_listen: "198.18.1.1:$aport", agent_key_dir: $SG_RUN/agent-keys, ring_poll_us: 100,
    metrics_listen: "127.0.0.1:$((aport + 1))",
    timeouts: { queue_ms: 90000, vm_start_ms: 90000, install_ms: 10000 } }
hosts:
  - { name: h1, address: 198.18.1.11 }
pools:
  - name: p1
    session_cap: 100
    idle_stop_ms: $2
    idle_action: save
    restart_backoff_ms: ${VMF_RESTART_BACKOFF_MS:-2000}
    vms: [{ name: g1, host: h1, address: 198.18.1.31, template: guest }]
  - name: p2
    session_cap: 100
    idle_stop_ms: ${3:-600000}
    idle_action: save
    vms: [{ name: g2, host: h1, address: 198.18.1.32, template: guest }]
applications:
  - { name: web, vip: $VMF_VIP, port: 80, match: { http_host: web.example }, pool: p1,
      mode: nat, backend_port: 80, on_vm_down: reset }
  - { name: dsr, vip: $VMF_VIP, port: 80, match: { http_host: dsr.example }, pool: p2,
      mode: dsr, backend_port: 80 }
  - { name: tls, vip: $VMF_VIP, port: 443, match: { tls_sni: tls.example }, pool: p2,
      mode: nat, backend_port: 443 }
  - { name: echo, vip: $VMF_VIP, port: 7, protocol: udp, pool: p2, mode: nat,
      backend_port: 7 }
YAML
	VMF_AGENT_PORT=$aport
}

# vmf_agent_yaml FILE: h1's agent: no VMs of its own, the template "guest"
# with the image and h1's bridge, the datapath on eth0 (DSR hand-off).
vmf_agent_yaml() {
	cat >"$1" <<YAML
host: h1
admin_socket: $SG_RUN/agent1.sock
libvirt: { uri: "$VMF_URI", resync_ms: 2000, stop_timeout_ms: 5000 }
control: { address: 198.18.1.1, port: $VMF_AGENT_PORT, key_file: $SG_RUN/agent-keys/h1.key,
           ping_ms: 1000, timeout_ms: 5000 }
templates:
  - name: guest
    path: $VMF_TEMPLATE
    vars: { KERNEL: $VMF_IMAGE/vmlinuz, INITRD: $VMF_IMAGE/initrd.img, BRIDGE: vbr0,
            PREFIX: "24", GATEWAY: 198.18.1.1, MEMORY_MB: "$VMF_MEMORY_MB" }
datapath: { uplink: eth0, host_address: 198.18.1.11, pin_dir: $SG_RUN/bpffs/h1 }
YAML
}

# vmf_agent_start: h1's agent in h1; waits until sg-control counts it.
vmf_agent_start() {
	setsid ip netns exec "$(topo_ns h1)" "$SG_AGENT_BIN" -c "$SG_RUN/agent1.yaml" \
		>>"$SG_RUN/agent1.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/agent1.pid"
	wait_for 20 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/control.sock' --json status |
		grep -q '\"agents_connected\": *1'" ||
		{ cat "$SG_RUN/agent1.log" >&2; echo "h1's agent did not connect" >&2; return 1; }
}

# vmf_up IDLE_MS [IDLE_MS2]: everything above, in order: image, topology,
# data plane, sg-control (router namespace), libvirtd and the agent in h1.
vmf_up() {
	vmf_image || return 1
	topo_up
	vmf_host 198.18.1.31 198.18.1.32
	vmf_dp_yaml "$SG_RUN/sg.yaml"
	dp_start "$SG_RUN/sg.yaml" || return 1
	vmf_keys || return 1
	vmf_ctl_yaml "$SG_RUN/control.yaml" "$@"
	vmf_libvirtd || return 1
	vmf_agent_yaml "$SG_RUN/agent1.yaml"
	ctl_start || return 1
	vmf_agent_start
}

# vmf_down: agent, sg-control, pins, libvirtd and its qemu (the caller
# stops the data plane and the namespaces).
vmf_down() {
	broker_stop
	vmf_libvirtd_stop
	rm -rf "$SG_RUN/bpffs/h1"
	umount "$SG_RUN/bpffs" 2>/dev/null || true
	return 0
}

# vmf_vm NAME EXPR: EXPR (python, the VM's sgctl vms object as v) of a VM.
vmf_vm() {
	"$SG_SGCTL_BIN" -s "$SG_RUN/control.sock" --json vms |
		python3 -c "import json,sys
v=[x for x in json.load(sys.stdin) if x['name']=='$1'][0]
print($2)"
}

# vmf_wait SECONDS NAME EXPR: poll until vmf_vm NAME EXPR prints True.
vmf_wait() {
	local deadline=$(($(date +%s) + $1))
	until [ "$(vmf_vm "$2" "$3" 2>/dev/null)" = True ]; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# vmf_console NAME: the guest's console file (guest.xml, libvirtd-ns.sh).
vmf_console() { echo "$SG_RUN/libvirt/log/qemu/$1.console"; }

# vmf_qemu_pid NAME: the pid of the guest's qemu (libvirt's pid file, checked
# against the process's -name guest=NAME in h1's namespace).
vmf_qemu_pid() {
	local p
	p=$(cat "$SG_RUN/libvirt/run/qemu/$1.pid" 2>/dev/null) &&
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "guest=$1," &&
		{ echo "$p"; return 0; }
	for p in $(ip netns pids "$(topo_ns h1)"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "-name guest=$1," &&
			{ echo "$p"; return 0; }
	done
	return 1
}

# vmf_time HOST [CURL ARGS...]: one HTTP GET of http://VIP/ with Host: HOST
# from the client: prints "SECONDS BODY" (SECONDS: SYN to first response
# byte, curl's time_starttransfer: the appliance answers the SYN at once
# and holds the request until the guest has answered it).
vmf_time() {
	local host=$1 out
	shift
	out=$(ip netns exec "$(topo_ns c)" curl -s --max-time 120 -H "Host: $host" \
		-w '\n%{time_starttransfer}' "$@" "http://$VMF_VIP/") || return 1
	printf '%s %s\n' "$(tail -n1 <<<"$out")" "$(head -n1 <<<"$out")"
}
