# shellcheck shell=bash
# Test and demo topology for sg-dataplane, built from network namespaces.
# Source this file; set SG_TOPO (namespace prefix, default "sgdemo") first.
#
#   client ns ($P-c)                 router ns ($P-r)                    dataplane ns ($P-d)
#   c0 198.18.0.2/24  ----------  rc 198.18.0.1/24
#      2001:2::2/64                  2001:2::1/64
#                                 rd 198.18.2.1/24  ----------------  out  (port "outside")
#                                    2001:2:0:2::1/64                       198.18.2.2 (DPDK)
#                                 br0 198.18.1.1/24 (bridge, the LAN)
#                                    2001:2:0:1::1/64
#                                  |-- bd  -------------------------  in   (port "inside")
#                                  |                                        198.18.1.2 (DPDK)
#                                  |-- bh1 ---- host ns ($P-h1) eth0 198.18.1.11, 2001:2:0:1::11
#                                  `-- bh2 ---- host ns ($P-h2) eth0 198.18.1.12, 2001:2:0:1::12
#
# The router sends the VIP prefixes 198.18.10.0/24 and 2001:2:0:10::/64 to the
# data plane. Hosts answer DSR traffic directly to the client through the
# router; NAT traffic returns through the data plane's NAT addresses
# 198.18.1.100-101 / 2001:2:0:1::100 on the LAN. Hosts decapsulate IPIP, GUE
# and IPv6-in-IPv6 with a tc-BPF program (this kernel has no ipip/fou device).

SG_TOPO=${SG_TOPO:-sgdemo}
SG_VIP4=198.18.10.1
SG_VIP6=2001:2:0:10::1

topo_ns() { echo "${SG_TOPO}-$1"; }

# Every veth whose packets the data plane or BPF rewrites must carry full
# checksums (no CHECKSUM_PARTIAL): turn transmit checksum offload off.
_topo_nooffload() {
	ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1 ||
		{ echo "topology: ethtool -K $2 in $1 failed" >&2; return 1; }
}

topo_up() {
	local P=$SG_TOPO n h
	for n in c r d h1 h2; do
		ip netns add "$P-$n"
		ip -n "$P-$n" link set lo up
	done
	# No router advertisements, no DAD delays anywhere.
	for n in c r d h1 h2; do
		ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
	done
	# The data plane's interfaces belong to DPDK: no kernel IPv6 on them.
	ip netns exec "$P-d" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1

	ip link add c0 netns "$P-c" type veth peer name rc netns "$P-r"
	ip link add rd netns "$P-r" type veth peer name out netns "$P-d"
	ip link add bd netns "$P-r" type veth peer name in netns "$P-d"
	ip -n "$P-r" link add br0 type bridge
	ip -n "$P-r" link set bd master br0
	for h in 1 2; do
		ip link add eth0 netns "$P-h$h" type veth peer name "bh$h" netns "$P-r"
		ip -n "$P-r" link set "bh$h" master br0
	done

	ip -n "$P-c" addr add 198.18.0.2/24 dev c0
	ip -n "$P-c" addr add 2001:2::2/64 dev c0 nodad
	ip -n "$P-r" addr add 198.18.0.1/24 dev rc
	ip -n "$P-r" addr add 2001:2::1/64 dev rc nodad
	ip -n "$P-r" addr add 198.18.2.1/24 dev rd
	ip -n "$P-r" addr add 2001:2:0:2::1/64 dev rd nodad
	ip -n "$P-r" addr add 198.18.1.1/24 dev br0
	ip -n "$P-r" addr add 2001:2:0:1::1/64 dev br0 nodad
	for h in 1 2; do
		ip -n "$P-h$h" addr add "198.18.1.1$h/24" dev eth0
		ip -n "$P-h$h" addr add "2001:2:0:1::1$h/64" dev eth0 nodad
	done

	for n in c r d h1 h2; do
		ip -n "$P-$n" link set dev lo up
	done
	ip -n "$P-c" link set c0 up
	ip -n "$P-r" link set rc up
	ip -n "$P-r" link set rd up
	ip -n "$P-r" link set bd up
	ip -n "$P-r" link set br0 up
	ip -n "$P-r" link set bh1 up
	ip -n "$P-r" link set bh2 up
	ip -n "$P-d" link set out up
	ip -n "$P-d" link set in up
	ip -n "$P-h1" link set eth0 up
	ip -n "$P-h2" link set eth0 up

	ip -n "$P-c" route add default via 198.18.0.1
	ip -n "$P-c" -6 route add default via 2001:2::1
	for h in 1 2; do
		ip -n "$P-h$h" route add default via 198.18.1.1
		ip -n "$P-h$h" -6 route add default via 2001:2:0:1::1
	done
	ip netns exec "$P-r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$P-r" route add 198.18.10.0/24 via 198.18.2.2
	ip -n "$P-r" -6 route add 2001:2:0:10::/64 via 2001:2:0:2::2

	_topo_nooffload "$P-c" c0 && _topo_nooffload "$P-r" rc && _topo_nooffload "$P-r" rd &&
		_topo_nooffload "$P-r" bd && _topo_nooffload "$P-r" bh1 &&
		_topo_nooffload "$P-r" bh2 && _topo_nooffload "$P-d" out &&
		_topo_nooffload "$P-d" in && _topo_nooffload "$P-h1" eth0 &&
		_topo_nooffload "$P-h2" eth0
}

# Make host h$1 a DSR backend: VIPs on lo, tc-BPF decapsulation on eth0.
# $2: the decapsulator object (build/scripts/sg-host-decap.bpf.o).
topo_host_dsr() {
	local ns; ns=$(topo_ns "h$1")
	ip -n "$ns" addr add "$SG_VIP4/32" dev lo
	ip -n "$ns" addr add "$SG_VIP6/128" dev lo nodad
	ip netns exec "$ns" tc qdisc add dev eth0 clsact
	ip netns exec "$ns" tc filter add dev eth0 ingress bpf direct-action obj "$2" sec tc
}

# topo_host3 [ADDR4 [ADDR6]]: a third host namespace ($P-h3) on the LAN
# bridge like h1 and h2: eth0 ADDR4/24 (default 198.18.1.13) and ADDR6/64
# (default 2001:2:0:1::13; "-" for no IPv6 at all).
topo_host3() {
	local P=$SG_TOPO a4=${1:-198.18.1.13} a6=${2:-2001:2:0:1::13}
	ip netns add "$P-h3"
	ip netns exec "$P-h3" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
	[ "$a6" = - ] && ip netns exec "$P-h3" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip link add eth0 netns "$P-h3" type veth peer name bh3 netns "$P-r"
	ip -n "$P-r" link set bh3 master br0
	ip -n "$P-h3" addr add "$a4/24" dev eth0
	[ "$a6" = - ] || ip -n "$P-h3" addr add "$a6/64" dev eth0 nodad
	ip -n "$P-h3" link set lo up
	ip -n "$P-h3" link set eth0 up
	ip -n "$P-r" link set bh3 up
	ip -n "$P-h3" route add default via 198.18.1.1
	[ "$a6" = - ] || ip -n "$P-h3" -6 route add default via 2001:2:0:1::1
	_topo_nooffload "$P-r" bh3 && _topo_nooffload "$P-h3" eth0
}

# Stop everything started in the topology's namespaces and remove them.
topo_down() {
	local P=$SG_TOPO n pids
	for n in c r d h1 h2 h3; do
		if ip netns list | grep -qw "$P-$n"; then
			pids=$(ip netns pids "$P-$n" 2>/dev/null || true)
			[ -n "$pids" ] && kill $pids 2>/dev/null
		fi
	done
	sleep 0.2
	for n in c r d h1 h2 h3; do
		if ip netns list | grep -qw "$P-$n"; then
			pids=$(ip netns pids "$P-$n" 2>/dev/null || true)
			[ -n "$pids" ] && kill -9 $pids 2>/dev/null
			ip netns del "$P-$n" 2>/dev/null
		fi
	done
	return 0
}

# wait_for DEADLINE_SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}
