#!/usr/bin/env bash
# Two appliances active/active behind an ECMP router (doc/cluster.md, "BGP
# and liveness"): a router namespace running BIRD 2 (iBGP to both, BFD,
# merge paths, L4 multipath hash) on a LAN with appliances A and B, each
# sg-dataplane (exception path, idle mode) + BIRD + sg-routed. Shows: the
# VIP route has two next hops; each NAT address goes to its owner (local
# pref owned over the peer's backup); kill -9 of A's data plane moves A's
# NAT address to B and leaves the VIP on B alone (both measured); A's
# restart brings both back.
. "$(dirname "$0")/../dataplane/lib.sh"
. "$(dirname "$0")/lib.sh"
P=$SG_TOPO R=$(topo_ns r)
SG_CLEANUP_EXTRA='[ "$rc" -ne 0 ] && tail -n 20 "$SG_RUN"/routed-*.log "$SG_RUN"/dp-*.log >&2; for x in a b; do routed_stop routed-$x; dpx_stop $x; bird_stop bird-$x; done; bird_stop router; for x in a b; do ip netns del $P-$x 2>/dev/null; done'

# appliance X (a, b) at 198.18.2.N: namespace, uplink to the router's bridge
appl_ns() {
	local x=$1 n=$2
	ip netns add "$P-$x"
	ip -n "$P-$x" link set lo up
	ip netns exec "$P-$x" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip link add upl netns "$P-$x" type veth peer name "r$x" netns "$R"
	ip -n "$R" link set "r$x" master br0
	ip -n "$R" link set "r$x" up
	ip -n "$P-$x" link set upl up
	ip netns exec "$R" ethtool -K "r$x" tx off rx off >/dev/null
	ip netns exec "$P-$x" ethtool -K upl tx off rx off >/dev/null
	cat >"$SG_RUN/$x.yaml" <<YAML
appliance:
  workers: 1
  memory_mb: 256
  no_huge: true
  file_prefix: $P-$x
  mbufs: 4095
  flow_table_size: 4096
  eal_args: ["--log-level=lib.eal:notice"]
  ports:
    - name: uplink
      device: "net_af_packet0,iface=upl,qpairs=1"
      address: 198.18.2.$n/24
      gateway: 198.18.2.1
  control: { shm: /$P-$x }
  exception: { enabled: true }
  idle: { enabled: true }
  cluster:
    node_id: $((n - 1))
    name: sg-$x
    bgp:
      enabled: true
      asn: 65000
      peers: [ { name: router, address: 198.18.2.1, asn: 65000 } ]
      backup: [$3]
      check_ms: 50
      stale_ms: 500
      bfd_multiplier: 5
      bird_socket: $SG_RUN/bird-$x.ctl
      bird_config: $SG_RUN/bird-$x.conf
      status_file: $SG_RUN/routed-$x.json
nat:
  addresses: [$4]
pools:
  - name: web
    members: [ { name: m1, address: 198.18.2.50, weight: 1 } ]
virtual_services:
  - { name: web-nat, vip: 198.18.10.2, port: 80, protocol: tcp, mode: nat, pool: web }
  - { name: web-dsr, vip: 198.18.10.1, port: 80, protocol: tcp, mode: dsr, pool: web }
YAML
}

dpx_start() {
	local x=$1 ready="$SG_RUN/dp-$1.ready"
	rm -f "$ready"
	setsid ip netns exec "$P-$x" "$SG_BUILD/dataplane/sg-dataplane" -c "$SG_RUN/$x.yaml" \
		--ready-file "$ready" >"$SG_RUN/dp-$x.log" 2>&1 </dev/null &
	echo $! >"$SG_RUN/dp-$x.pid"
	wait_for 30 test -s "$ready" || fail "sg-dataplane $x did not become ready"
}

dpx_stop() {
	pidfile_stop "$SG_RUN/dp-$1.pid" INT
	rm -rf "/dev/shm/$P-$1" "/var/run/dpdk/$P-$1"
}

ip netns add "$R"
ip -n "$R" link set lo up
ip -n "$R" link add br0 type bridge
ip -n "$R" addr add 198.18.2.1/24 dev br0
ip -n "$R" link set br0 up
ip netns exec "$R" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1
appl_ns a 2 198.18.2.110 198.18.2.100
appl_ns b 3 198.18.2.100 198.18.2.110
router_conf "$SG_RUN/router.conf" 198.18.2.1 65000 br0 198.18.2.2:65000 198.18.2.3:65000
bird_start "$R" router "$SG_RUN/router.conf"
for x in a b; do
	dpx_start $x
	"$SG_ROUTED_BIN" -c "$SG_RUN/$x.yaml" --write-config-only || fail "sg-routed $x config"
	bird_start "$P-$x" "bird-$x" "$SG_RUN/bird-$x.conf"
	routed_start "$P-$x" "routed-$x" "$SG_RUN/$x.yaml"
done
ECMP="nexthop via 198.18.2.[23] dev br0 weight 1[[:space:]]+nexthop via 198.18.2.[23] dev br0 weight 1"

# 1. ECMP for the VIPs, each NAT address to its owner, the backup in BIRD
wait_route "$R" 198.18.10.2 40 "$ECMP" || fail "no two-path VIP route"
wait_route "$R" 198.18.10.1 5 "$ECMP" || fail "no two-path DSR VIP route"
r=$(route_of "$R" 198.18.10.2)
[[ "$r" == *198.18.2.2* && "$r" == *198.18.2.3* ]] || fail "VIP next hops: $r"
wait_route "$R" 198.18.2.100 10 "via 198.18.2.2 dev br0" || fail "A's NAT address not via A"
wait_route "$R" 198.18.2.110 10 "via 198.18.2.3 dev br0" || fail "B's NAT address not via B"
rt=$(birdc_in router show route for 198.18.2.100 all)
grep -q "BGP.local_pref: 100" <<<"$rt" && grep -q "BGP.local_pref: 200" <<<"$rt" ||
	fail "router: A's NAT address lacks owned (200) and backup (100) routes: $rt"
ok "router: VIPs over two next hops ($r); NAT addresses via their owners, backups at local pref 100"

# 2. A's data plane dies: its NAT address moves to B, the VIP keeps B alone
kill -9 "$(cat "$SG_RUN/dp-a.pid")"
t0=$(date +%s%N)
wait_route "$R" 198.18.2.100 10 "^198.18.2.100 via 198.18.2.3 dev br0" ||
	fail "A's NAT address did not move to B"
t1=$(date +%s%N)
wait_route "$R" 198.18.10.2 5 "^198.18.10.2 via 198.18.2.3 dev br0" || fail "VIP not on B alone"
echo "measure: kill -9 A's sg-dataplane -> A's NAT address via B in $(((t1 - t0) / 1000000)) ms"
[ $(((t1 - t0) / 1000000)) -le 3000 ] || fail "the move took over 3 s"
ok "A's data plane killed: NAT address moved to B, VIP on B alone"
rm -f "$SG_RUN/dp-a.pid"

# 3. A restarts: its NAT address back to it, ECMP again
dpx_start a
wait_route "$R" 198.18.2.100 30 "via 198.18.2.2 dev br0" || fail "A's NAT address did not come back"
wait_route "$R" 198.18.10.2 10 "$ECMP" || fail "VIP not over two next hops again"
ok "A restarted: NAT address back to A, VIP over both"
echo "PASS routing-ecmp"
