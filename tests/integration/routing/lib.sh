# shellcheck shell=bash
# Helpers of the routing integration tests (doc/cluster.md, "BGP and
# liveness"): BIRD 2 in a namespace with its own control socket, the
# router's configuration (ECMP: merge paths, L4 multipath hash), sg-routed,
# and polling the router's kernel for a route. Sourced after
# tests/integration/dataplane/lib.sh (trap, fail, ok, wait_for, SG_RUN).
for b in bird birdc; do
	command -v "$b" >/dev/null || fail "$b not installed (Debian bird2: scripts/install-deps.sh)"
done
SG_ROUTED_BIN="$SG_BUILD/routing/sg-routed"
SG_CTLBEAT_BIN="$SG_BUILD/tests/integration/routing/sg-ctlbeat"
[ -x "$SG_ROUTED_BIN" ] || fail "missing $SG_ROUTED_BIN (build routing/)"

# bird_start NS NAME CONF: BIRD in NS with socket $SG_RUN/NAME.ctl.
bird_start() {
	local ns=$1 name=$2 conf=$3
	ip netns exec "$ns" bird -c "$conf" -s "$SG_RUN/$name.ctl" -P "$SG_RUN/$name.pid" ||
		fail "bird $name did not start with $conf"
	wait_for 10 test -S "$SG_RUN/$name.ctl" || fail "bird $name: no control socket"
}

# pidfile_stop FILE SIGNAL: stop the process of FILE (SIGNAL, SIGKILL after
# 10 s) and remove FILE.
pidfile_stop() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	rm -f "$1"
	kill "-$2" "$pid" 2>/dev/null || return 0
	wait_for 10 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	return 0
}

# bird_stop NAME: stop that BIRD.
bird_stop() { pidfile_stop "$SG_RUN/$1.pid" TERM; }

# birdc_in NAME CMD...: birdc on that BIRD's socket.
birdc_in() {
	local name=$1
	shift
	birdc -s "$SG_RUN/$name.ctl" "$@"
}

# router_conf FILE ROUTER_ID ASN IFACE PEER:ASN...: BIRD config of the ECMP
# router: BFD on IFACE, one BGP session per peer, every learnt route into
# the kernel with multipath merged.
router_conf() {
	local f=$1 rid=$2 asn=$3 ifc=$4 i=0 p
	shift 4
	cat >"$f" <<CONF
router id $rid;
protocol device { scan time 10; }
protocol bfd {
	interface "$ifc" { min rx interval 100 ms; min tx interval 100 ms; multiplier 5; };
}
protocol kernel k4 { ipv4 { import none; export all; }; merge paths on; }
protocol kernel k6 { ipv6 { import none; export all; }; merge paths on; }
CONF
	for p in "$@"; do
		i=$((i + 1))
		local addr=${p%:*} pasn=${p##*:} ch=ipv4 local=$rid
		case "$p" in *:*:*) ch=ipv6 addr=${p%:*} ;; esac
		[ "$ch" = ipv6 ] && local=$ROUTER_ADDR6
		cat >>"$f" <<CONF
protocol bgp app$i {
	local $local as $asn;
	neighbor $addr as $pasn;
	direct;
	hold time 9;
	connect retry time 2;
	error wait time 1, 16;
	graceful restart off;
	bfd on;
	$ch { import all; export none; $([ "$asn" = "$pasn" ] && echo "gateway direct;") };
}
CONF
	done
}

# route_of NS PREFIX: the router kernel's route to PREFIX (empty if none).
route_of() {
	local fam=-4
	case "$2" in *:*) fam=-6 ;; esac
	ip -n "$1" "$fam" route show "$2" proto bird 2>/dev/null | tr '\n' ' '
}

# wait_route NS PREFIX SECONDS REGEX: until the route matches REGEX.
wait_route() {
	local deadline=$((SECONDS + $3)) r
	while :; do
		r=$(route_of "$1" "$2")
		[[ "$r" =~ $4 ]] && return 0
		[ "$SECONDS" -ge "$deadline" ] && { echo "route $2 in $1: '$r' (wanted /$4/)" >&2; return 1; }
		sleep 0.1
	done
}

# time_until_gone NS PREFIX LIMIT_MS: poll every 50 ms; print the ms until
# the route left the kernel (fail past LIMIT_MS).
time_until_gone() {
	local t0 now
	t0=$(date +%s%N)
	while [ -n "$(route_of "$1" "$2")" ]; do
		now=$(date +%s%N)
		[ $(((now - t0) / 1000000)) -gt "$3" ] && return 1
		sleep 0.05
	done
	now=$(date +%s%N)
	echo $(((now - t0) / 1000000))
}

# routed_start NS NAME CONFIG: sg-routed (config already written), log NAME.log.
routed_start() {
	setsid ip netns exec "$1" "$SG_ROUTED_BIN" -c "$3" >"$SG_RUN/$2.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/$2.pid"
}

routed_stop() { pidfile_stop "$SG_RUN/$1.pid" TERM; }

# status_get FILE PYTHON-EXPR: EXPR on sg-routed's status JSON (as d).
status_get() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# What a test with bgp_appliance_up stops at exit (SG_CLEANUP_EXTRA).
BGP_CLEANUP='[ "$rc" -ne 0 ] && tail -n 30 "$SG_RUN/routed.log" >&2; routed_stop routed; bird_stop appl; bird_stop router'
ROUTER_ADDR6=2001:2:0:2::1

# bgp_appliance_up EXCEPTION-MAP: the standard topology (scripts/lib/topology.sh)
# with the demo appliance (EXCEPTION-MAP as appliance.exception, idle mode
# on, appliance.cluster.bgp: eBGP AS 65001 to the router's AS 65000 over
# IPv4 and IPv6, BFD 100 ms x 5, backup 198.18.1.110); the router's static
# VIP routes replaced by its BIRD (ECMP, L4 hash); the appliance's BIRD and
# sg-routed started.
bgp_appliance_up() {
	local R D
	R=$(topo_ns r) D=$(topo_ns d)
	topo_up
	backends_start
	make_config -e "/^appliance:/a\\  $1\\n  idle: { enabled: true }"
	cat >"$SG_RUN/sg.yaml.cluster" <<YAML
  cluster:
    node_id: 1
    name: sg-a
    bgp:
      enabled: true
      asn: 65001
      peers:
        - { name: router, address: 198.18.2.1, asn: 65000 }
        - { name: router6, address: "2001:2:0:2::1", asn: 65000 }
      backup: [198.18.1.110]
      check_ms: 50
      stale_ms: 500
      bfd_interval_ms: 100
      bfd_multiplier: 5
      bird_socket: $SG_RUN/appl.ctl
      bird_config: $SG_RUN/appl.conf
      status_file: $SG_RUN/routed.json
YAML
	# the cluster map goes at the end of the appliance section (before "nat:")
	sed -i "/^nat:/e cat $SG_RUN/sg.yaml.cluster" "$SG_RUN/sg.yaml"
	dp_start "$SG_RUN/sg.yaml" || fail "sg-dataplane did not start"
	ip -n "$R" route del 198.18.10.0/24
	ip -n "$R" -6 route del 2001:2:0:10::/64
	ip netns exec "$R" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
	router_conf "$SG_RUN/router.conf" 198.18.2.1 65000 rd 198.18.2.2:65001 2001:2:0:2::2:65001
	bird_start "$R" router "$SG_RUN/router.conf"
	"$SG_ROUTED_BIN" -c "$SG_RUN/sg.yaml" --write-config-only || fail "sg-routed --write-config-only"
	bird_start "$D" appl "$SG_RUN/appl.conf"
	routed_start "$D" routed "$SG_RUN/sg.yaml"
}
