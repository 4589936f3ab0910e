# shellcheck shell=bash
# Harness of the two-appliance scenario tests (issue 14, doc/cluster.md):
# private namespaces sgdp<PID>-*, every process killed and every namespace,
# shm region and DPDK runtime folder removed on exit (the dataplane harness's
# trap plus cl_down), loud failures, bounded waits.
#
#  client ($P-c)  c0 198.18.0.2 ---- rc 198.18.0.1   router ($P-r): BIRD 2, ECMP
#                                    ra 198.18.2.1 ---- out  appliance A ($P-a) 198.18.2.2 (DPDK)
#                                    rb 198.18.3.1 ---- out  appliance B ($P-b) 198.18.3.2 (DPDK)
#                                    br0 198.18.1.1 (LAN bridge)
#                                     |-- in  A 198.18.1.2 (DPDK) / in B 198.18.1.3 (DPDK)
#                                     |-- h1 eth0 198.18.1.11 (host1 = vm1), h2 eth0 198.18.1.12 (host2 = vm2)
#  sync link:    A sync 198.19.1.1/30 ---- B sync 198.19.1.2/30 (kernel UDP, doc/cluster.md)
#  management:   etcd ($P-e) bridge mg 198.19.0.1/24: A 198.19.0.10, B 198.19.0.11,
#                h1 198.19.0.21, h2 198.19.0.22 (etcd, sg-control <-> host agents)
#
# Each appliance: sg-dataplane (net_af_packet on "out" and "in", exception
# path on: BIRD's BGP and BFD run over its tap sgx0, idle mode on, one
# worker, state sync on its "sync" veth), sg-control (cluster mode on etcd),
# BIRD 2 + sg-routed (announce/withdraw from the data plane's liveness).
# VIPs: 198.18.10.1:80 DSR (wrr: not Maglev, so sync matters), 198.18.10.2:80
# NAT (A's NAT address 198.18.5.1, B's 198.18.5.2; each announces the
# other's as a backup route), 198.18.10.3:80 brokered (Host: app.example;
# vm1 on h1, vm2 on h2, libvirt test:/// host agents). The router learns
# every VIP from both appliances (ECMP, L4 hash) and its kernel installs them.
. "$SG_SRC/tests/integration/dataplane/lib.sh"
. "$SG_SRC/scripts/lib/brokered.sh" # broker_node, the binaries' paths
# shellcheck disable=SC2034 # for the tests that source this file
SCEN_DIR="$SG_SRC/tests/integration/scenario"
SG_ROUTED_BIN=${SG_ROUTED_BIN:-$SG_BUILD/routing/sg-routed}
for b in "$SG_BUILD/dataplane/sg-dataplane" "$SG_CTL_BIN" "$SG_SGCTL_BIN" "$SG_AGENT_BIN" \
	"$SG_ROUTED_BIN"; do
	[ -x "$b" ] || fail "missing $b (build dataplane/, control/, hostagent/, routing/)"
done
for b in bird birdc etcd etcdctl; do
	command -v "$b" >/dev/null || fail "missing $b (scripts/install-deps.sh: bird2, etcd-server, etcd-client)"
done
CL_ETCD=http://198.19.0.1:2379
CL_AGENT_PORT=7460
CL_BFD_MULT=${SCEN_BFD_MULT:-10} # x 100 ms (production: 3; see cl_appliance)
SG_CLEANUP_EXTRA='cl_down'

now() { date +%s.%N; }
# jq_py JSON EXPR: evaluate EXPR on the JSON text (as d).
jq_py() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }
# cl_ns NODE: the namespace of a, b, r, c, e, h1, h2.
cl_ns() { echo "$SG_TOPO-$1"; }
cl_in() {
	local n=$1
	shift
	ip netns exec "$(cl_ns "$n")" "$@"
}
# cl_prefix NODE: the appliance's EAL file prefix (and shm name).
cl_prefix() { echo "${SG_PREFIX}$1"; }
# cl_tel NODE COMMAND: one JSON line from the appliance's telemetry socket.
cl_tel() { python3 "$SG_SRC/scripts/sg-telemetry.py" "$(cl_prefix "$1")" "$2"; }
# cl_tel_get NODE COMMAND EXPR: EXPR on the reply's dict (as d).
cl_tel_get() {
	cl_tel "$1" "$2" | python3 -c "import json,sys; d=json.load(sys.stdin)[\"$2\".split(',')[0]]; print($3)"
}
cl_sgctl() { "$SG_SGCTL_BIN" -s "$SG_RUN/$1/control.sock" "$@"; }

_cl_sysctl() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
}

# _cl_veth NS1 IF1 NS2 IF2: a veth pair, both ends up, no checksum offload
# (the data plane and BPF rewrite packets: full checksums wanted).
_cl_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set dev "$2" up
	ip -n "$3" link set dev "$4" up
	ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null || fail "ethtool -K $2"
	ip netns exec "$3" ethtool -K "$4" tx off rx off >/dev/null || fail "ethtool -K $4"
}

cl_topo_up() {
	local P=$SG_TOPO n h
	for n in c r a b e h1 h2; do
		ip netns add "$P-$n"
		ip -n "$P-$n" link set lo up
		_cl_sysctl "$P-$n"
	done
	_cl_veth "$P-c" c0 "$P-r" rc
	_cl_veth "$P-r" ra "$P-a" out
	_cl_veth "$P-r" rb "$P-b" out
	ip -n "$P-r" link add br0 type bridge
	ip -n "$P-r" link set br0 up
	_cl_veth "$P-r" ba "$P-a" in
	_cl_veth "$P-r" bb "$P-b" in
	for h in 1 2; do
		_cl_veth "$P-h$h" eth0 "$P-r" "bh$h"
		ip -n "$P-r" link set "bh$h" master br0
		ip -n "$P-h$h" addr add "198.18.1.1$h/24" dev eth0
		ip -n "$P-h$h" route add default via 198.18.1.1
	done
	ip -n "$P-r" link set ba master br0
	ip -n "$P-r" link set bb master br0
	ip -n "$P-c" addr add 198.18.0.2/24 dev c0
	ip -n "$P-c" route add default via 198.18.0.1
	ip -n "$P-r" addr add 198.18.0.1/24 dev rc
	ip -n "$P-r" addr add 198.18.2.1/24 dev ra
	ip -n "$P-r" addr add 198.18.3.1/24 dev rb
	ip -n "$P-r" addr add 198.18.1.1/24 dev br0
	ip netns exec "$P-r" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
	# the sync link between the appliances
	_cl_veth "$P-a" sync "$P-b" sync
	ip -n "$P-a" addr add 198.19.1.1/30 dev sync
	ip -n "$P-b" addr add 198.19.1.2/30 dev sync
	# management: etcd and the host agents' links to both sg-controls
	ip -n "$P-e" link add mg type bridge
	ip -n "$P-e" link set mg up
	ip -n "$P-e" addr add 198.19.0.1/24 dev mg
	for n in a:10 b:11 h1:21 h2:22; do
		_cl_veth "$P-${n%:*}" mgmt "$P-e" "m${n%:*}"
		ip -n "$P-e" link set dev "m${n%:*}" master mg
		ip -n "$P-${n%:*}" addr add "198.19.0.${n#*:}/24" dev mgmt
	done
	# the client's kernel ports above the paced client's (paced.py --port-base 10000)
	ip netns exec "$P-c" sysctl -qw net.ipv4.ip_local_port_range="40000 65000"
	# DSR: the VIP on lo and the tc-BPF decapsulator on each host
	for h in 1 2; do
		ip -n "$P-h$h" addr add 198.18.10.1/32 dev lo
		ip netns exec "$P-h$h" tc qdisc add dev eth0 clsact
		ip netns exec "$P-h$h" tc filter add dev eth0 ingress bpf direct-action \
			obj "$SG_BUILD/scripts/sg-host-decap.bpf.o" sec tc || fail "tc-BPF decap on h$h"
	done
	for n in a b; do mkdir -p "$SG_RUN/$n"; done
}

# cl_router_start: BIRD 2 in the router: BGP (eBGP, AS 65000) with BFD to
# both appliances (AS 65001), every learnt route into the kernel, equal ones
# merged into one ECMP route.
cl_router_start() {
	local d=$SG_RUN/r
	mkdir -p "$d"
	cat >"$d/bird.conf" <<EOF
router id 198.18.0.1;
log "$d/bird.log" all;
debug protocols { states };
protocol device { scan time 1; }
protocol kernel {
	ipv4 { import none; export all; };
	merge paths on;
}
protocol bfd { interface "ra", "rb" { interval 100 ms; multiplier $CL_BFD_MULT; }; }
template bgp appliance {
	local as 65000;
	hold time 9;
	connect retry time 1;
	error wait time 1, 4;
	bfd on;
	ipv4 { import all; export none; };
}
protocol bgp a from appliance { neighbor 198.18.2.2 as 65001; }
protocol bgp b from appliance { neighbor 198.18.3.2 as 65001; }
EOF
	ip netns exec "$(cl_ns r)" bird -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" ||
		fail "the router's BIRD did not start"
}

# cl_nexthops PREFIX: the router kernel's next hops for PREFIX, sorted, one
# line ("198.18.2.2 198.18.3.2"; empty when there is no route).
cl_nexthops() {
	cl_in r ip -4 route show "$1" | grep -o 'via [0-9.]*' | awk '{ print $2 }' | sort | tr '\n' ' ' |
		sed 's/ $//' || true
}

# cl_routes_are "EXPECTED" PREFIX...: every PREFIX has exactly these next
# hops at the router (for wait_for: evaluated on each call).
cl_routes_are() {
	local want=$1 p
	shift
	for p in "$@"; do
		[ "$(cl_nexthops "$p")" = "$want" ] || return 1
	done
}

# cl_etcd_start: one etcd member in the management namespace (no fsync).
cl_etcd_start() {
	local d=$SG_RUN/etcd
	mkdir -p "$d"
	setsid ip netns exec "$(cl_ns e)" etcd --name e0 --data-dir "$d/data" \
		--listen-client-urls "$CL_ETCD" --advertise-client-urls "$CL_ETCD" \
		--listen-peer-urls http://198.19.0.1:2380 --initial-advertise-peer-urls http://198.19.0.1:2380 \
		--initial-cluster e0=http://198.19.0.1:2380 --unsafe-no-fsync \
		>"$d/etcd.log" 2>&1 </dev/null &
	echo $! >"$d/etcd.pid"
	wait_for 20 cl_in e etcdctl --endpoints "$CL_ETCD" endpoint health ||
		{ tail -n 20 "$d/etcd.log" >&2; fail "etcd did not become healthy"; }
}
cl_etcdctl() { ETCDCTL_API=3 cl_in e etcdctl --endpoints "$CL_ETCD" "$@"; }

# cl_keys: the sync key (shared) and the host-agent keys (one per host).
cl_keys() {
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SG_RUN/sync.key"
	chmod 600 "$SG_RUN/sync.key"
	mkdir -p "$SG_RUN/agent-keys" && chmod 700 "$SG_RUN/agent-keys"
	for h in h1 h2; do
		head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SG_RUN/agent-keys/$h.key"
		chmod 600 "$SG_RUN/agent-keys/$h.key"
	done
}

# cl_appliance NODE: $SG_RUN/NODE/sg.yaml, appliance A (node 1) or B (node
# 2), from config/examples/cluster-pair.yaml (A's; its header says how B's
# differs) with this test's prefixes and paths.
cl_appliance() {
	local n=$1 d=$SG_RUN/$1 b=()
	if [ "$n" = b ]; then
		b=(-e 's/^    node_id: 1$/    node_id: 2/' -e 's/node-a/node-A/; s/node-b/node-a/; s/node-A/node-b/'
			-e 's/198\.18\.2\./198.18.3./g' -e 's/198\.18\.1\.2\//198.18.1.3\//'
			-e 's/198\.19\.1\.1$/198.19.1.X/; s/198\.19\.1\.2 }/198.19.1.1 }/; s/198\.19\.1\.X/198.19.1.2/'
			-e 's/\[198\.18\.5\.1\]/[198.18.5.X]/; s/\[198\.18\.5\.2\]/[198.18.5.1]/; s/5\.X/5.2/')
	fi
	# stale_ms 2000, not 500, and BFD 100 ms x CL_BFD_MULT: on a shared,
	# loaded CI box a data plane's threads (and its exception path, which
	# carries BFD) can be starved for half a second, and a healthy
	# appliance's routes withdrawn
	sed -e "s|/run/sessiongate/sg-a/|$d/|; s|sg-a|$(cl_prefix "$n")|; s|/etc/sessiongate/sync.key|$SG_RUN/sync.key|" \
		-e "s|stale_ms: 500$|stale_ms: 2000|; s|bfd_multiplier: 3$|bfd_multiplier: $CL_BFD_MULT|" \
		-e "/^#/d" "${b[@]}" \
		"$SG_SRC/config/examples/cluster-pair.yaml" >"$d/sg.yaml"
	"$SG_BUILD/config/sg-config-check" "$d/sg.yaml" >/dev/null || fail "appliance $n: sg-config-check $d/sg.yaml"
}

# cl_dp_start NODE: sg-dataplane of appliance NODE; waits for its ready
# file and for its neighbours (the router, both hosts) to be learnt.
cl_dp_start() {
	local n=$1 d=$SG_RUN/$1 h
	rm -f "$d/dp.ready"
	setsid ip netns exec "$(cl_ns "$n")" "$SG_BUILD/dataplane/sg-dataplane" -c "$d/sg.yaml" \
		--ready-file "$d/dp.ready" >>"$d/dataplane.log" 2>&1 </dev/null &
	echo $! >"$d/dp.pid"
	disown $!
	wait_for 30 test -s "$d/dp.ready" || { tail -n 30 "$d/dataplane.log" >&2; fail "sg-dataplane $n not ready"; }
	for h in 1 2; do
		wait_for 10 cl_in "h$h" ping -c1 -W1 "$([ "$n" = a ] && echo 198.18.1.2 || echo 198.18.1.3)" ||
			fail "host h$h cannot reach appliance $n"
	done
}

# cl_dp_kill NODE: kill -9 the appliance's sg-dataplane; waits until it is gone.
cl_dp_kill() {
	local pid
	pid=$(cat "$SG_RUN/$1/dp.pid") || return 1
	kill -9 "$pid"
	wait_for 5 bash -c "! kill -0 $pid" || fail "sg-dataplane $1 survived kill -9"
	rm -f "/dev/shm/$(cl_prefix "$1")"
}

# cl_ready NODE: /sg/cluster says ready (sync: after the peer's dump).
cl_ready() { [ "$(cl_tel_get "$1" /sg/cluster "d['ready']")" = 1 ]; }

# cl_routed_start NODE: BIRD 2 in the appliance's namespace, configured by
# sg-routed from the appliance YAML, then sg-routed itself.
cl_routed_start() {
	local n=$1 d=$SG_RUN/$1
	"$SG_ROUTED_BIN" -c "$d/sg.yaml" --write-config-only >>"$d/routed.log" 2>&1 ||
		{ cat "$d/routed.log" >&2; fail "sg-routed --write-config-only ($n)"; }
	cl_in "$n" bird -c "$d/bird.conf" -s "$d/bird.ctl" -P "$d/bird.pid" ||
		fail "BIRD of appliance $n did not start (config $d/bird.conf)"
	setsid ip netns exec "$(cl_ns "$n")" "$SG_ROUTED_BIN" -c "$d/sg.yaml" >>"$d/routed.log" 2>&1 </dev/null &
	echo $! >"$d/routed.pid"
	disown $!
}

# cl_ctl_config NODE: sg-control's file (cluster mode on etcd, agents of
# h1 and h2 on its management address; pool "vms" = vm1 on h1, vm2 on h2).
cl_ctl_config() {
	local n=$1 d=$SG_RUN/$1 addr mport
	addr=$([ "$n" = a ] && echo 198.19.0.10 || echo 198.19.0.11)
	mport=$((20001 + $$ % 20000 + $([ "$n" = a ] && echo 0 || echo 1)))
	cat >"$d/control.yaml" <<YAML
control:
  shm_name: /$(cl_prefix "$n")
  admin_socket: $d/control.sock
  db_dir: $d/db
  db_map_mb: 32
  agent_listen: $addr:$CL_AGENT_PORT
  agent_key_dir: $SG_RUN/agent-keys
  metrics_listen: 127.0.0.1:$mport
  ring_poll_us: 200
  idmgr_dir: $d/idmgr
  appliance_config: $d/sg.yaml
  timeouts: { queue_ms: 10000, vm_start_ms: 10000, install_ms: 5000 }
cluster:
  node: node-$n
  etcd: { endpoints: ["$CL_ETCD"], prefix: /sessiongate, lease_ttl_s: 3, timeout_ms: 1000 }
hosts:
  - { name: h1, address: 198.18.1.11, agent_address: 198.19.0.21 }
  - { name: h2, address: 198.18.1.12, agent_address: 198.19.0.22 }
pools:
  - name: vms
    session_cap: 1000
    idle_stop_ms: 600000
    vms:
      - { name: vm1, host: h1, address: 198.18.1.11 }
      - { name: vm2, host: h2, address: 198.18.1.12 }
applications:
  - { name: app, vip: 198.18.10.3, port: 80, match: { http_host: app.example }, pool: vms,
      mode: nat, backend_port: 80 }
YAML
}

cl_ctl_start() {
	local n=$1 d=$SG_RUN/$1
	rm -f "$d/control.sock"
	setsid ip netns exec "$(cl_ns "$n")" "$SG_CTL_BIN" -c "$d/control.yaml" -f \
		>>"$d/control.log" 2>&1 </dev/null &
	echo $! >"$d/control.pid"
	disown $!
	wait_for 10 test -S "$d/control.sock" || { tail -n 30 "$d/control.log" >&2; fail "sg-control $n did not start"; }
}

# cl_agents_start: one host agent per host (libvirt test:///, its VM shut
# off, 300 ms boot), linked to both sg-controls (`control:` a list; only a
# VM's owner sends it commands: doc/control.md "Cluster mode").
cl_agents_start() {
	local h n d ctl
	for h in 1 2; do
		d=$SG_RUN/h$h
		mkdir -p "$d"
		broker_node "vm$h" >"$d/node.xml"
		cat >"$d/agent.yaml" <<YAML
host: h$h
admin_socket: $d/agent.sock
libvirt: { uri: "test://$d/node.xml", boot_delay_ms: 300, resync_ms: 2000, stop_timeout_ms: 3000 }
control:
YAML
		for ctl in 198.19.0.10 198.19.0.11; do
			echo "  - { address: $ctl, port: $CL_AGENT_PORT, key_file: $SG_RUN/agent-keys/h$h.key, ping_ms: 1000, timeout_ms: 3000 }" >>"$d/agent.yaml"
		done
		printf 'vms:\n  - { name: vm%s, address: 198.18.1.1%s, port: 80 }\n' "$h" "$h" >>"$d/agent.yaml"
		setsid ip netns exec "$(cl_ns "h$h")" "$SG_AGENT_BIN" -c "$d/agent.yaml" \
			>>"$d/agent.log" 2>&1 </dev/null &
		echo $! >"$d/agent.pid"
		disown $!
	done
	for n in a b; do
		wait_for 15 bash -c "'$SG_SGCTL_BIN' -s '$SG_RUN/$n/control.sock' --json status |
			grep -q '\"agents_connected\": *2'" ||
			{ tail -n 20 "$SG_RUN"/h?/agent.log >&2; fail "the host agents did not connect to sg-control $n"; }
	done
}

# cl_backends: backend.py on both hosts (HTTP :80, named host1 / host2).
cl_backends() {
	local h
	for h in 1 2; do
		setsid ip netns exec "$(cl_ns "h$h")" python3 "$SG_SRC/scripts/lib/backend.py" --name "host$h" \
			--http 0.0.0.0:80 >"$SG_RUN/h$h.backend.log" 2>&1 </dev/null &
		disown $!
	done
	for h in 1 2; do
		wait_for 15 grep -q "^backend host$h: serving" "$SG_RUN/h$h.backend.log" ||
			fail "backend host$h did not start"
	done
}

# cl_appliance_up NODE: data plane, BIRD + sg-routed, sg-control.
cl_appliance_up() {
	cl_appliance "$1"
	cl_dp_start "$1"
	cl_routed_start "$1"
	cl_ctl_config "$1"
	cl_ctl_start "$1"
}

# cl_up: the whole scenario up: both appliances ready, the router with two
# next hops for every VIP, both host agents linked to both sg-controls.
cl_up() {
	local v
	cl_topo_up
	cl_keys
	cl_etcd_start
	cl_router_start
	cl_backends
	cl_appliance_up a
	cl_appliance_up b
	cl_agents_start
	wait_for 20 cl_ready a || fail "appliance a not ready: $(cl_tel a /sg/cluster)"
	wait_for 20 cl_ready b || fail "appliance b not ready: $(cl_tel b /sg/cluster)"
	for v in 198.18.10.1 198.18.10.2 198.18.10.3; do
		wait_for 30 cl_routes_are "198.18.2.2 198.18.3.2" "$v" ||
			fail "the router has no ECMP route for $v: '$(cl_nexthops "$v")'; $(cl_in r birdc -s "$SG_RUN/r/bird.ctl" show protocols)"
	done
	[ "$(cl_nexthops 198.18.5.1)" = 198.18.2.2 ] || fail "A's NAT address not via A: '$(cl_nexthops 198.18.5.1)'"
	[ "$(cl_nexthops 198.18.5.2)" = 198.18.3.2 ] || fail "B's NAT address not via B: '$(cl_nexthops 198.18.5.2)'"
}

# cl_down: every process of the scenario (TERM, then KILL), BIRDs, the
# namespaces, the shm regions and DPDK runtime folders of both appliances.
cl_down() {
	local n f pid pids list
	set +e +o pipefail # on the way out: a dead pid or a missing file is no reason to stop
	if [ "${rc:-0}" -ne 0 ]; then
		for f in "$SG_RUN"/a/dataplane.log "$SG_RUN"/b/dataplane.log "$SG_RUN"/a/control.log \
			"$SG_RUN"/b/control.log "$SG_RUN"/a/routed.log "$SG_RUN"/b/routed.log; do
			[ -f "$f" ] && { echo "---- $f (last 15 lines)" >&2; tail -n 15 "$f" >&2; }
		done
	fi
	# SCEN_KEEP_LOGS=DIR: every log (and the paced client's paced.log) kept there
	if [ -n "${SCEN_KEEP_LOGS:-}" ]; then
		mkdir -p "$SCEN_KEEP_LOGS"
		(cd "$SG_RUN" && find . -name '*.log' -exec cp --parents {} "$SCEN_KEEP_LOGS" \;)
	fi
	for f in "$SG_RUN"/*/*.pid; do
		pid=$(cat "$f" 2>/dev/null) || continue
		kill -CONT "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
	done
	list=$(ip netns list)
	for n in c r a b e h1 h2; do
		grep -qw "$SG_TOPO-$n" <<<"$list" || continue
		pids=$(ip netns pids "$SG_TOPO-$n" 2>/dev/null)
		# shellcheck disable=SC2086 # one pid a word
		[ -n "$pids" ] && kill $pids 2>/dev/null
	done
	sleep 0.5
	for n in c r a b e h1 h2; do
		grep -qw "$SG_TOPO-$n" <<<"$list" || continue
		pids=$(ip netns pids "$SG_TOPO-$n" 2>/dev/null)
		# shellcheck disable=SC2086 # one pid a word
		[ -n "$pids" ] && kill -9 $pids 2>/dev/null
		ip netns del "$SG_TOPO-$n" 2>/dev/null
	done
	for n in a b; do
		rm -rf "/var/run/dpdk/$(cl_prefix "$n")" "/dev/shm/$(cl_prefix "$n")"
	done
	return 0
}
