/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Malformed-packet corpus: every case is a valid base frame with bytes
 * patched, cut or inserted, and names the one drop counter it must
 * increment (nothing else moves, nothing is transmitted). A second test
 * cuts every base frame at every length and checks that exactly one drop
 * counter moves.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_test.h"

enum base {
	B_TCP4,	   /* SYN client:40000 -> 198.18.10.1:80 (dsr), 54 bytes */
	B_UDP4,	   /* client:5000 -> 198.18.10.1:5353 (dsr gue), 8 bytes of payload */
	B_TCP6,	   /* SYN [client6]:40000 -> [2001:2:0:10::1]:80, 74 bytes */
	B_ICMP4,   /* echo request client -> 198.18.10.1, 8 bytes of payload */
	B_ICMP6,   /* echo request client6 -> 2001:2:0:10::1 */
	B_ARP,	   /* who-has 198.18.10.1 tell 198.18.2.1, 60 bytes */
	B_NS,	   /* NS from 2001:2:0:2::1 for 2001:2:0:10::1 with SLLA, 86 bytes */
	B_NAT4,	   /* SYN client:40000 -> 198.18.10.2:80 (nat) */
	B_RETURN4, /* ACK 198.18.1.11:80 -> 198.18.1.100:3000 on port 1 (nat return, no flow) */
	B_NONE,
};

#define FIX_IP4 0x1 /* recompute the IPv4 header checksum after patching */
#define FIX_L4	0x2 /* recompute the TCP/UDP/ICMP checksum after patching */

struct patch {
	uint16_t off;
	uint8_t len;
	uint8_t v[16];
};

#define P(o, ...)                                                                         \
	{                                                                                 \
		.off = (o), .len = sizeof((uint8_t[]){__VA_ARGS__}), .v = { __VA_ARGS__ } \
	}

struct mcase {
	const char *name;
	enum base base;
	struct patch p[4];
	int cut;		     /* > 0: frame length after patching */
	int fix;		     /* FIX_* */
	size_t (*build)(uint8_t *b); /* instead of base + patches */
	enum sg_dp_cnt want;
};

/* ---- frames that need bytes inserted ---- */

static size_t
insert(uint8_t *b, size_t len, size_t at, const uint8_t *what, size_t n)
{
	memmove(b + at + n, b + at, len - at);
	memcpy(b + at, what, n);
	return len + n;
}

static size_t
b_vlan_double(uint8_t *b)
{
	static const uint8_t tags[] = {0x81, 0x00, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x0b};

	return insert(
		b,
		pb_frame_tcp4(b, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, RTE_TCP_SYN_FLAG, 64, 0),
		12, tags, sizeof(tags));
}

static size_t
b_vlan_qinq(uint8_t *b)
{
	static const uint8_t tags[] = {0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x0b};

	return insert(
		b,
		pb_frame_tcp4(b, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, RTE_TCP_SYN_FLAG, 64, 0),
		12, tags, sizeof(tags));
}

static size_t
b_vlan_9100(uint8_t *b)
{
	static const uint8_t tags[] = {0x91, 0x00, 0x00, 0x0a};

	return insert(
		b,
		pb_frame_tcp4(b, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, RTE_TCP_SYN_FLAG, 64, 0),
		12, tags, sizeof(tags));
}

static size_t
b_vlan_trunc(uint8_t *b)
{
	pb_put_eth(b, MAC_PORT0, MAC_GW, RTE_ETHER_TYPE_VLAN);
	b[14] = 0x00;
	return 15;
}

static size_t
b_vlan_lldp(uint8_t *b)
{
	static const uint8_t tag_lldp[] = {0x00, 0x0a, 0x88, 0xcc};

	pb_put_eth(b, MAC_PORT0, MAC_GW, RTE_ETHER_TYPE_VLAN);
	memcpy(b + 14, tag_lldp, sizeof(tag_lldp));
	memset(b + 18, 0, 42);
	return 60;
}

static size_t
b_ip4_options(uint8_t *b)
{
	static const uint8_t nops[] = {0x01, 0x01, 0x01, 0x00}; /* NOP NOP NOP EOL */
	size_t n =
		pb_frame_tcp4(b, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, RTE_TCP_SYN_FLAG, 64, 0);

	n = insert(b, n, 34, nops, sizeof(nops));
	b[14] = 0x46;
	b[17] += 4; /* total length 44 */
	pb_fix_ip4_csum(b + 14);
	return n;
}

static size_t
b_ip4_ihl15(uint8_t *b)
{
	size_t n =
		pb_frame_tcp4(b, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, RTE_TCP_SYN_FLAG, 64, 0);

	b[14] = 0x4f; /* 60-byte header in a 40-byte packet */
	return n;
}

static size_t
ip6_ext(uint8_t *b, uint8_t nh)
{
	uint8_t ext[8] = {IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0}; /* PadN */
	size_t n = pb_frame_tcp6(b, L2_GW, CLIENT6, "2001:2:0:10::1", 40000, 80, RTE_TCP_SYN_FLAG,
				 64, 0);

	n = insert(b, n, 54, ext, sizeof(ext));
	b[20] = nh;
	b[19] += 8;
	return n;
}

static size_t
b_ip6_hbh(uint8_t *b)
{
	return ip6_ext(b, 0);
}

static size_t
b_ip6_routing(uint8_t *b)
{
	return ip6_ext(b, 43);
}

static size_t
b_ip6_dstopt(uint8_t *b)
{
	return ip6_ext(b, 60);
}

static size_t
b_ip6_frag(uint8_t *b)
{
	return ip6_ext(b, 44);
}

static size_t
b_garbage_max(uint8_t *b)
{
	memset(b, 0xab, 2048);
	return 2048;
}

static size_t
b_garbage_ip4(uint8_t *b)
{
	unsigned int i;

	pb_put_eth(b, MAC_PORT0, MAC_GW, RTE_ETHER_TYPE_IPV4);
	b[14] = 0x45;
	for (i = 15; i < 1500; i++)
		b[i] = (uint8_t)(i * 37 + 11);
	return 1500;
}

static size_t
b_nd_overrun(uint8_t *b)
{
	size_t n = pb_frame_ns(b, MAC_GW, "2001:2:0:2::1", "2001:2:0:10::1", MAC_GW);

	b[79] = 2; /* SLLA claims 16 bytes, 8 are there */
	pb_fix_l4_csum(b + 14);
	return n;
}

static size_t
b_nd_slla16(uint8_t *b)
{
	static const uint8_t more[8];
	size_t n = pb_frame_ns(b, MAC_GW, "2001:2:0:2::1", "2001:2:0:10::1", MAC_GW);

	n = insert(b, n, n, more, sizeof(more));
	b[79] = 2; /* a 16-byte link-layer option: not Ethernet */
	b[19] += 8;
	pb_fix_l4_csum(b + 14);
	return n;
}

static size_t
b_nd_optlen0(uint8_t *b)
{
	size_t n = pb_frame_ns(b, MAC_GW, "2001:2:0:2::1", "2001:2:0:10::1", MAC_GW);

	b[79] = 0;
	pb_fix_l4_csum(b + 14);
	return n;
}

static size_t
b_nd_short(uint8_t *b)
{
	size_t n = pb_frame_ns(b, MAC_GW, "2001:2:0:2::1", "2001:2:0:10::1", NULL);

	b[19] = 20; /* ICMPv6 of 20 bytes: no room for the target */
	n -= 4;
	pb_fix_l4_csum(b + 14);
	return n;
}

static size_t
b_icmp6_in_ip4(uint8_t *b)
{
	size_t n = pb_frame_icmp4_echo(b, L2_GW, CLIENT4, "198.18.10.1", 8, 8);

	b[23] = IPPROTO_ICMPV6;
	pb_fix_ip4_csum(b + 14);
	return n;
}

static size_t
b_icmp4_in_ip6(uint8_t *b)
{
	size_t n = pb_frame_icmp6_echo(b, L2_GW, CLIENT6, "2001:2:0:10::1", 128, 8);

	b[20] = IPPROTO_ICMP;
	return n;
}

/* ---- the corpus ---- */

static const struct mcase corpus[] = {
	/* Ethernet */
	{"zero-length frame", B_TCP4, .cut = -1, .want = SG_DP_DROP_TRUNC_L2},
	{"1-byte frame", B_TCP4, .cut = 1, .want = SG_DP_DROP_TRUNC_L2},
	{"13-byte frame", B_TCP4, .cut = 13, .want = SG_DP_DROP_TRUNC_L2},
	{"VLAN tag cut", B_NONE, .build = b_vlan_trunc, .want = SG_DP_DROP_TRUNC_L2},
	{"two 802.1Q tags", B_NONE, .build = b_vlan_double, .want = SG_DP_DROP_VLAN},
	{"802.1ad QinQ outer tag", B_NONE, .build = b_vlan_qinq, .want = SG_DP_DROP_VLAN},
	{"0x9100 tag", B_NONE, .build = b_vlan_9100, .want = SG_DP_DROP_VLAN},
	{"LLDP ethertype", B_TCP4, {P(12, 0x88, 0xcc)}, .want = SG_DP_DROP_ETHERTYPE},
	{"LLDP inside a VLAN tag", B_NONE, .build = b_vlan_lldp, .want = SG_DP_DROP_ETHERTYPE},
	{"max-size garbage", B_NONE, .build = b_garbage_max, .want = SG_DP_DROP_ETHERTYPE},
	{"other station's unicast MAC",
	 B_TCP4,
	 {P(0, 0x02, 0, 0, 0, 0, 0x99)},
	 .want = SG_DP_DROP_NOT_LOCAL},
	/* IPv4 header */
	{"IPv4 ethertype, no header", B_TCP4, .cut = 14, .want = SG_DP_DROP_TRUNC_L3},
	{"IPv4 header cut at 19 bytes", B_TCP4, .cut = 33, .want = SG_DP_DROP_TRUNC_L3},
	{"version 6 in IPv4 ethertype",
	 B_TCP4,
	 {P(14, 0x65)},
	 .fix = FIX_IP4,
	 .want = SG_DP_DROP_IP_VERSION},
	{"IHL 4", B_TCP4, {P(14, 0x44)}, .fix = FIX_IP4, .want = SG_DP_DROP_IP_IHL},
	{"IHL 0", B_TCP4, {P(14, 0x40)}, .want = SG_DP_DROP_IP_IHL},
	{"IHL 15 beyond the frame", B_NONE, .build = b_ip4_ihl15, .want = SG_DP_DROP_IP_IHL},
	{"bad header checksum", B_TCP4, {P(24, 0xde, 0xad)}, .want = SG_DP_DROP_IP_CSUM},
	{"max-size IPv4 garbage", B_NONE, .build = b_garbage_ip4, .want = SG_DP_DROP_IP_CSUM},
	{"total length > frame",
	 B_TCP4,
	 {P(16, 0x00, 0x29)},
	 .fix = FIX_IP4,
	 .want = SG_DP_DROP_IP_LEN},
	{"total length < header",
	 B_TCP4,
	 {P(16, 0x00, 0x13)},
	 .fix = FIX_IP4,
	 .want = SG_DP_DROP_IP_LEN},
	{"frame cut inside TCP", B_TCP4, .cut = 44, .want = SG_DP_DROP_IP_LEN},
	{"more-fragments", B_TCP4, {P(20, 0x20, 0x00)}, .fix = FIX_IP4, .want = SG_DP_DROP_IP_FRAG},
	{"fragment offset 8",
	 B_TCP4,
	 {P(20, 0x00, 0x01)},
	 .fix = FIX_IP4,
	 .want = SG_DP_DROP_IP_FRAG},
	{"IPv4 options", B_NONE, .build = b_ip4_options, .want = SG_DP_DROP_IP_OPTIONS},
	{"TTL 0", B_TCP4, {P(22, 0)}, .fix = FIX_IP4, .want = SG_DP_DROP_IP_TTL},
	{"TTL 1 to a NAT VS", B_NAT4, {P(22, 1)}, .fix = FIX_IP4, .want = SG_DP_DROP_IP_TTL},
	{"source multicast",
	 B_TCP4,
	 {P(26, 224, 0, 0, 1)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_IP_SRC},
	{"source broadcast",
	 B_TCP4,
	 {P(26, 255, 255, 255, 255)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_IP_SRC},
	{"source loopback",
	 B_TCP4,
	 {P(26, 127, 0, 0, 1)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_IP_SRC},
	{"source 0.0.0.0",
	 B_TCP4,
	 {P(26, 0, 0, 0, 0)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_IP_SRC},
	{"source is a VIP",
	 B_TCP4,
	 {P(26, 198, 18, 10, 2)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_IP_SRC},
	{"destination not ours",
	 B_TCP4,
	 {P(30, 198, 18, 99, 99)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_NOT_LOCAL},
	{"destination multicast",
	 B_TCP4,
	 {P(30, 224, 0, 0, 5)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_NOT_LOCAL},
	/* TCP */
	{"TCP header of 10 bytes",
	 B_TCP4,
	 {P(16, 0x00, 30)},
	 .cut = 44,
	 .fix = FIX_IP4,
	 .want = SG_DP_DROP_TRUNC_L4},
	{"TCP data offset 4", B_TCP4, {P(46, 0x40)}, .fix = FIX_L4, .want = SG_DP_DROP_TCP_FLAGS},
	{"TCP data offset 15 > segment",
	 B_TCP4,
	 {P(46, 0xf0)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_TCP_DOFF},
	{"SYN+FIN", B_TCP4, {P(47, 0x03)}, .fix = FIX_L4, .want = SG_DP_DROP_TCP_FLAGS},
	{"SYN+RST", B_TCP4, {P(47, 0x06)}, .fix = FIX_L4, .want = SG_DP_DROP_TCP_FLAGS},
	{"no flags (null scan)",
	 B_TCP4,
	 {P(47, 0x00)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_TCP_FLAGS},
	{"FIN+PSH+URG without ACK (xmas)",
	 B_TCP4,
	 {P(47, 0x29)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_TCP_FLAGS},
	{"TCP to an own address",
	 B_TCP4,
	 {P(30, 198, 18, 2, 2)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_L4_PROTO},
	{"TCP to a VIP port not served",
	 B_TCP4,
	 {P(36, 0x1f, 0x91)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_NO_VS},
	{"ACK to a NAT VS without flow",
	 B_NAT4,
	 {P(47, 0x10)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_NO_FLOW},
	{"NAT return without flow", B_RETURN4, .want = SG_DP_DROP_NO_FLOW},
	{"brokered VS",
	 B_TCP4,
	 {P(30, 198, 18, 10, 3)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_VS_MODE},
	{"pool with every weight 0",
	 B_TCP4,
	 {P(30, 198, 18, 10, 3), P(36, 0, 81)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_NO_MEMBER},
	/* UDP and other protocols */
	{"UDP length 7", B_UDP4, {P(38, 0, 7)}, .fix = FIX_L4, .want = SG_DP_DROP_IP_LEN},
	{"UDP length > IP payload", B_UDP4, {P(38, 0, 200)}, .want = SG_DP_DROP_IP_LEN},
	{"UDP header of 4 bytes",
	 B_UDP4,
	 {P(16, 0, 24)},
	 .cut = 38,
	 .fix = FIX_IP4,
	 .want = SG_DP_DROP_TRUNC_L4},
	{"UDP to a TCP-only VIP port",
	 B_UDP4,
	 {P(36, 0, 80)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_NO_VS},
	{"SCTP to a VIP", B_TCP4, {P(23, 132)}, .fix = FIX_IP4, .want = SG_DP_DROP_L4_PROTO},
	{"ICMPv6 in IPv4", B_NONE, .build = b_icmp6_in_ip4, .want = SG_DP_DROP_ICMP_FAMILY},
	/* ICMP */
	{"ICMP of 4 bytes",
	 B_ICMP4,
	 {P(16, 0, 24)},
	 .cut = 38,
	 .fix = FIX_IP4,
	 .want = SG_DP_DROP_TRUNC_L4},
	{"ICMP bad checksum", B_ICMP4, {P(36, 0xbe, 0xef)}, .want = SG_DP_DROP_ICMP_BAD},
	{"ICMP destination unreachable to a VIP",
	 B_ICMP4,
	 {P(34, 3, 3)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_ICMP_BAD},
	{"ICMP echo code 1", B_ICMP4, {P(35, 1)}, .fix = FIX_L4, .want = SG_DP_DROP_ICMP_BAD},
	{"ICMP echo to a NAT address",
	 B_ICMP4,
	 {P(30, 198, 18, 1, 100)},
	 .fix = FIX_IP4 | FIX_L4,
	 .want = SG_DP_DROP_ICMP_BAD},
	{"ICMPv6 echo bad checksum", B_ICMP6, {P(56, 0xbe, 0xef)}, .want = SG_DP_DROP_ICMP_BAD},
	{"ICMPv6 router advertisement to a VIP",
	 B_ICMP6,
	 {P(54, 134)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_ICMP_BAD},
	{"ICMPv4 in IPv6", B_NONE, .build = b_icmp4_in_ip6, .want = SG_DP_DROP_ICMP_FAMILY},
	/* IPv6 */
	{"IPv6 header cut at 39 bytes", B_TCP6, .cut = 53, .want = SG_DP_DROP_TRUNC_L3},
	{"version 4 in IPv6 ethertype", B_TCP6, {P(14, 0x45)}, .want = SG_DP_DROP_IP_VERSION},
	{"payload length > frame", B_TCP6, {P(18, 0, 21)}, .want = SG_DP_DROP_IP_LEN},
	{"payload length 0 (jumbogram)", B_TCP6, {P(18, 0, 0)}, .want = SG_DP_DROP_IP_LEN},
	{"hop-by-hop options", B_NONE, .build = b_ip6_hbh, .want = SG_DP_DROP_IP_OPTIONS},
	{"routing header", B_NONE, .build = b_ip6_routing, .want = SG_DP_DROP_IP_OPTIONS},
	{"destination options", B_NONE, .build = b_ip6_dstopt, .want = SG_DP_DROP_IP_OPTIONS},
	{"fragment header", B_NONE, .build = b_ip6_frag, .want = SG_DP_DROP_IP_FRAG},
	{"hop limit 0", B_TCP6, {P(21, 0)}, .want = SG_DP_DROP_IP_TTL},
	{"source ff02::1",
	 B_TCP6,
	 {P(22, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_IP_SRC},
	{"source ::1",
	 B_TCP6,
	 {P(22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_IP_SRC},
	{"source :: (DAD solicitation)",
	 B_NS,
	 {P(22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_IP_SRC},
	{"TCPv6 data offset 4", B_TCP6, {P(66, 0x40)}, .fix = FIX_L4, .want = SG_DP_DROP_TCP_FLAGS},
	{"TCPv6 cut at 10 bytes", B_TCP6, {P(18, 0, 10)}, .cut = 64, .want = SG_DP_DROP_TRUNC_L4},
	/* ARP */
	{"ARP cut at 20 bytes", B_ARP, .cut = 34, .want = SG_DP_DROP_ARP_BAD},
	{"ARP hardware length 8", B_ARP, {P(18, 8)}, .want = SG_DP_DROP_ARP_BAD},
	{"ARP protocol length 16", B_ARP, {P(19, 16)}, .want = SG_DP_DROP_ARP_BAD},
	{"ARP hardware type 6", B_ARP, {P(14, 0, 6)}, .want = SG_DP_DROP_ARP_BAD},
	{"ARP protocol IPv6", B_ARP, {P(16, 0x86, 0xdd)}, .want = SG_DP_DROP_ARP_BAD},
	{"ARP opcode 3", B_ARP, {P(20, 0, 3)}, .want = SG_DP_DROP_ARP_BAD},
	{"ARP multicast sender MAC",
	 B_ARP,
	 {P(22, 0x01, 0, 0x5e, 0, 0, 1)},
	 .want = SG_DP_DROP_ARP_BAD},
	{"ARP zero sender MAC", B_ARP, {P(22, 0, 0, 0, 0, 0, 0)}, .want = SG_DP_DROP_ARP_BAD},
	/* neighbour discovery */
	{"NS hop limit 64", B_NS, {P(21, 64)}, .want = SG_DP_DROP_ND_BAD},
	{"NS code 1", B_NS, {P(55, 1)}, .fix = FIX_L4, .want = SG_DP_DROP_ND_BAD},
	{"NS bad checksum", B_NS, {P(56, 0xbe, 0xef)}, .want = SG_DP_DROP_ND_BAD},
	{"NS for a multicast target",
	 B_NS,
	 {P(62, 0xff, 0x02)},
	 .fix = FIX_L4,
	 .want = SG_DP_DROP_ND_BAD},
	{"NS option length 0", B_NONE, .build = b_nd_optlen0, .want = SG_DP_DROP_ND_BAD},
	{"NS option beyond the packet", B_NONE, .build = b_nd_overrun, .want = SG_DP_DROP_ND_BAD},
	{"NS 16-byte link-layer option", B_NONE, .build = b_nd_slla16, .want = SG_DP_DROP_ND_BAD},
	{"NS of 20 bytes", B_NONE, .build = b_nd_short, .want = SG_DP_DROP_ND_BAD},
};

static size_t
base_frame(enum base b, uint8_t *f, uint16_t *port)
{
	*port = 0;
	switch (b) {
	case B_TCP4:
		return pb_frame_tcp4(f, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, RTE_TCP_SYN_FLAG,
				     64, 0);
	case B_UDP4:
		return pb_frame_udp4(f, L2_GW, CLIENT4, "198.18.10.1", 5000, 5353, 8);
	case B_TCP6:
		return pb_frame_tcp6(f, L2_GW, CLIENT6, "2001:2:0:10::1", 40000, 80,
				     RTE_TCP_SYN_FLAG, 64, 0);
	case B_ICMP4:
		return pb_frame_icmp4_echo(f, L2_GW, CLIENT4, "198.18.10.1", 8, 8);
	case B_ICMP6:
		return pb_frame_icmp6_echo(f, L2_GW, CLIENT6, "2001:2:0:10::1", 128, 8);
	case B_ARP:
		return pb_frame_arp(f, RTE_ARP_OP_REQUEST, MAC_GW, "198.18.2.1",
				    "00:00:00:00:00:00", "198.18.10.1", "ff:ff:ff:ff:ff:ff");
	case B_NS:
		return pb_frame_ns(f, MAC_GW, "2001:2:0:2::1", "2001:2:0:10::1", MAC_GW);
	case B_NAT4:
		return pb_frame_tcp4(f, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, RTE_TCP_SYN_FLAG,
				     64, 0);
	case B_RETURN4:
		*port = 1;
		return pb_frame_tcp4(f, L2_HOST1, "198.18.1.11", "198.18.1.100", 80, 3000,
				     RTE_TCP_ACK_FLAG, 64, 0);
	default:
		return 0;
	}
}

static size_t
make_case(const struct mcase *c, uint8_t *f, uint16_t *port)
{
	size_t n;
	unsigned int i;

	*port = 0;
	if (c->build)
		return c->build(f);
	n = base_frame(c->base, f, port);
	for (i = 0; i < RTE_DIM(c->p) && c->p[i].len; i++)
		memcpy(f + c->p[i].off, c->p[i].v, c->p[i].len);
	if (c->fix & FIX_IP4)
		pb_fix_ip4_csum(f + 14);
	if (c->fix & FIX_L4)
		pb_fix_l4_csum(f + 14);
	if (c->cut < 0)
		n = 0;
	else if (c->cut > 0)
		n = (size_t)c->cut;
	return n;
}

static int
setup(void **state)
{
	(void)state;
	run_result_init(&R);
	return env_setup(1, 1024);
}

static int
teardown(void **state)
{
	(void)state;
	env_teardown();
	run_result_fini(&R);
	return 0;
}

static void
test_corpus(void **state)
{
	uint8_t f[PKT_MAX];
	unsigned int i, bad = 0;

	(void)state;
	assert_true(RTE_DIM(corpus) >= 45);
	for (i = 0; i < RTE_DIM(corpus); i++) {
		const struct mcase *c = &corpus[i];
		uint16_t port;
		size_t n = make_case(c, f, &port);
		unsigned int k, moved = 0;
		enum sg_dp_cnt got = SG_DP_CNT_MAX;

		run_pkt(0, port, f, n, &R, now_s(1));
		for (k = 0; k < SG_DP_CNT_MAX; k++) {
			if (R.after->cnt[k] != R.before->cnt[k]) {
				moved++;
				got = (enum sg_dp_cnt)k;
			}
		}
		if (moved != 1 || got != c->want || R.out_port != -1 ||
		    R.after->cnt[got] - R.before->cnt[got] != 1 ||
		    R.after->port[port].drops - R.before->port[port].drops != 1) {
			print_error("case %u \"%s\": want %s, got %s (%u counters moved, out port "
				    "%d)\n",
				    i, c->name, sg_dp_cnt_name(c->want),
				    got < SG_DP_CNT_MAX ? sg_dp_cnt_name(got) : "none", moved,
				    R.out_port);
			bad++;
		}
	}
	print_message("%zu malformed cases, %u wrong\n", RTE_DIM(corpus), bad);
	assert_int_equal(bad, 0);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
}

/* Every prefix of every valid base frame is dropped with exactly one counter. */
static void
test_every_truncation(void **state)
{
	static const enum base bases[] = {B_TCP4,  B_UDP4, B_TCP6, B_ICMP4,
					  B_ICMP6, B_ARP,  B_NS,   B_NAT4};
	uint8_t f[PKT_MAX];
	unsigned int i, bad = 0, runs = 0;

	(void)state;
	for (i = 0; i < RTE_DIM(bases); i++) {
		uint16_t port;
		size_t full = base_frame(bases[i], f, &port), len;

		/* the ARP frame carries 18 bytes of padding: cuts inside it are valid */
		if (bases[i] == B_ARP)
			full = 42;
		for (len = 0; len < full; len++) {
			uint64_t drops = 0, rx;
			unsigned int k;

			base_frame(bases[i], f, &port);
			run_pkt(0, port, f, len, &R, now_s(1));
			runs++;
			for (k = 0; k < SG_DP_DROP_END; k++)
				drops += R.after->cnt[k] - R.before->cnt[k];
			rx = R.after->port[port].rx_pkts - R.before->port[port].rx_pkts;
			if (drops != 1 || rx != 1 || R.out_port != -1) {
				print_error("base %u cut at %zu: %llu drops, out port %d\n", i, len,
					    (unsigned long long)drops, R.out_port);
				bad++;
			}
		}
	}
	print_message("%u truncated frames\n", runs);
	assert_int_equal(bad, 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_corpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation, setup, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests_name("dataplane malformed packets", tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
