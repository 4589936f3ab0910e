# shellcheck shell=bash
# Harness of the scenario tests (tests/integration/scenario/README.md): the
# data-plane harness (private namespaces sgdp<PID>-*, cleanup in a trap, loud
# failures), the control side of scripts/lib/brokered.sh, a third host (h3,
# 198.18.1.13) and the appliance / sg-control configurations of the health
# scenarios.
. "$SG_SRC/tests/integration/dataplane/lib.sh"
. "$SG_SRC/scripts/lib/brokered.sh"
for b in "$SG_CTL_BIN" "$SG_SGCTL_BIN"; do
	[ -x "$b" ] || fail "missing $b (build control/)"
done
SCEN_DIR="$SG_SRC/tests/integration/scenario"
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && [ -f "$SG_RUN/control.log" ] && tail -n 40 "$SG_RUN/control.log" >&2; broker_stop'

now() { date +%s.%N; }
# ms_since T: milliseconds from epoch T to now.
ms_since() { python3 -c "import time; print(round((time.time() - $1) * 1000))"; }
# jq_py JSON EXPR: evaluate EXPR on the JSON text (as d).
jq_py() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }

# scen_backend H NAME [ARGS...]: backend.py in host h$H serving HTTP on :80
# (v4, v6); waits until it listens; its pid in $SG_RUN/backend$H.pid.
scen_backend() {
	local h=$1 name=$2 log="$SG_RUN/backend$1.log"
	shift 2
	: >"$log"
	setsid ip netns exec "$(topo_ns "h$h")" python3 "$SG_SRC/scripts/lib/backend.py" \
		--name "$name" --http 0.0.0.0:80 --http "[::]:80" "$@" >"$log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/backend$h.pid"
	disown $! # no "Killed" notice when a test stops it
	wait_for 15 grep -q "^backend $name: serving" "$log" ||
		{ cat "$log" >&2; echo "backend $name did not start" >&2; return 1; }
}

# scen_backend_kill H: stop host h$H's server at once (SIGKILL).
scen_backend_kill() {
	local pid
	pid=$(cat "$SG_RUN/backend$1.pid") || return 1
	kill -9 "$pid"
	wait_for 5 bash -c "! kill -0 $pid" || return 1
}

# scen_topo: the topology plus h3, DSR decapsulation on the 3 hosts.
scen_topo() {
	local h
	topo_up
	topo_host3 || fail "host h3"
	# the kernel's ephemeral ports (curl, httpload.py) above the paced
	# client's own (paced.py --port-base 10000: 10000-33999)
	ip netns exec "$(topo_ns c)" sysctl -qw net.ipv4.ip_local_port_range="40000 65000"
	for h in 1 2 3; do
		topo_host_dsr "$h" "$SG_BUILD/scripts/sg-host-decap.bpf.o"
	done
}

# scen_warmup: every host reaches the data plane (its neighbour table).
scen_warmup() {
	local h
	for h in 1 2 3; do
		wait_for 10 ip netns exec "$(topo_ns "h$h")" ping -c1 -W1 198.18.1.2 ||
			fail "host h$h cannot reach the data plane (198.18.1.2)"
	done
}

# scen_appliance POOL_EXTRA VS_EXTRA [MEMBER3_ADDR]: $SG_RUN/sg.yaml: the
# demo's appliance with the exception path on, pool "web" of host1..host3
# (POOL_EXTRA: YAML lines under the pool, e.g. its health_check), a DSR VIP
# 198.18.10.1:80 and a NAT VIP 198.18.10.2:80 (Maglev; VS_EXTRA: lines under
# each VS).
scen_appliance() {
	local pool_extra=$1 vs_extra=$2
	cat >"$SG_RUN/sg.yaml" <<YAML
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
      address6: 2001:2:0:2::2/64
      gateway: 198.18.2.1
      gateway6: 2001:2:0:2::1
    - name: inside
      device: "net_af_packet1,iface=in,qpairs=1"
      address: 198.18.1.2/24
      address6: 2001:2:0:1::2/64
  control:
    shm: /$SG_PREFIX
    hold_budget_kb: 8192
  exception:
    enabled: true
    ifname_prefix: sgx
nat:
  addresses: [198.18.1.100, 198.18.1.101]
  ports: 1024-65535
pools:
  - name: web
    members:
      - { name: host1, address: 198.18.1.11, weight: 1 }
      - { name: host2, address: 198.18.1.12, weight: 1 }
      - { name: host3, address: 198.18.1.13, weight: 1 }
$pool_extra
virtual_services:
  - name: web-dsr
    vip: 198.18.10.1
    port: 80
    protocol: tcp
    mode: dsr
    encap: ipip
    scheduler: maglev
    pool: web
$vs_extra
  - name: web-nat
    vip: 198.18.10.2
    port: 80
    protocol: tcp
    mode: nat
    scheduler: maglev
    pool: web
$vs_extra
YAML
}

# scen_control: $SG_RUN/control.yaml for sg-control without host agents,
# reading the appliance's pools from $SG_RUN/sg.yaml.
scen_control() {
	local mport=$((20001 + $$ % 20000))
	cat >"$SG_RUN/control.yaml" <<YAML
control:
  shm_name: /$SG_PREFIX
  admin_socket: $SG_RUN/control.sock
  db_dir: $SG_RUN/db
  db_map_mb: 16
  metrics_listen: 127.0.0.1:$mport
  ring_poll_us: 100
  appliance_config: $SG_RUN/sg.yaml
YAML
}

# scen_ctl_start_dp: sg-control in the data plane's namespace, where the
# exception path's interfaces are: its health checks reach the members
# through the data plane's inside port.
scen_ctl_start_dp() {
	setsid ip netns exec "$(topo_ns d)" "$SG_CTL_BIN" -c "$SG_RUN/control.yaml" -f \
		>>"$SG_RUN/control.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/control.pid"
	wait_for 10 test -S "$SG_RUN/control.sock" ||
		{ cat "$SG_RUN/control.log" >&2; fail "sg-control did not start"; }
}

# paced ARGS...: the paced client (paced.py run) in the client namespace,
# each attempt on a client port of its own (10000 up, see scen_topo).
paced() { client python3 "$SCEN_DIR/paced.py" run --port-base 10000 "$@"; }

# long_start I URL RATE: a long transfer in the background: headers in
# $SG_RUN/long$I.hdr, body size in .size, curl's exit status in .rc.
long_start() {
	local i=$1 url=$2 rate=$3
	(
		rc=0
		client curl -s --max-time 60 --limit-rate "$rate" -D "$SG_RUN/long$i.hdr" \
			-o "$SG_RUN/long$i.body" -w '%{size_download}' "$url" >"$SG_RUN/long$i.size" || rc=$?
		echo "$rc" >"$SG_RUN/long$i.rc"
	) >/dev/null 2>&1 </dev/null &
	echo $! >"$SG_RUN/long$i.pid"
}

# long_member I: the X-Backend of transfer I (from its response headers).
long_member() {
	tr -d '\r' <"$SG_RUN/long$1.hdr" 2>/dev/null | awk -F': ' 'tolower($1) == "x-backend" { print $2 }'
}

# long_bytes I: bytes transfer I has received so far.
long_bytes() { stat -c %s "$SG_RUN/long$1.body" 2>/dev/null || echo 0; }

# dp_member POOL MEMBER: "STATE REASON" of a member in the data plane's
# telemetry /sg/members.
dp_member() { dp_telemetry /sg/members | python3 "$SCEN_DIR/member.py" "$1" "$2"; }

# member_wait SECONDS POOL MEMBER REGEX: poll the member's "STATE REASON"
# until it matches REGEX (bash =~); prints the epoch time it was seen. The
# last state read is in $SG_RUN/member.last.
member_wait() {
	local deadline=$(($(date +%s) + $1)) s
	while :; do
		s=$(dp_member "$2" "$3" 2>/dev/null || true)
		echo "$s" >"$SG_RUN/member.last"
		if [[ $s =~ $4 ]]; then
			now
			return 0
		fi
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}
