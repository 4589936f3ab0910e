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

# bird_stop NAME: stop that BIRD (SIGTERM, then SIGKILL).
bird_stop() {
	local pid
	pid=$(cat "$SG_RUN/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	wait_for 5 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	rm -f "$SG_RUN/$1.pid"
}

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

routed_stop() {
	local pid
	pid=$(cat "$SG_RUN/$1.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_for 10 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	rm -f "$SG_RUN/$1.pid"
}

# status_get FILE PYTHON-EXPR: EXPR on sg-routed's status JSON (as d).
status_get() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
