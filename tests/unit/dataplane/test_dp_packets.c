/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet fixtures of the data-plane core, one table per feature: each input
 * frame gives an exact expected output frame on an exact port, and exactly
 * the listed counters move (by one).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "dp_test.h"

#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define FIN RTE_TCP_FIN_FLAG

static void
expect(int port, const uint8_t *want, size_t len)
{
	assert_int_equal(R.out_port, port);
	assert_bytes(R.out, R.out_len, want, len);
}

#define NO_CNT() assert_cnt_delta(&R, NULL, 0)

/* ---------------- ARP ---------------- */

static const struct {
	const char *tip;
	uint16_t port;
	bool answered;
} arp_cases[] = {
	{"198.18.10.1", 0, true},  /* VIP */
	{"198.18.10.2", 1, true},  /* VIP, asked on the other port */
	{"198.18.1.100", 1, true}, /* NAT address */
	{"198.18.2.2", 0, true},   /* port 0's own address */
	{"198.18.1.2", 0, false},  /* port 1's address asked on port 0 */
	{"198.18.2.77", 0, false}, /* someone else */
};

static void
test_arp_reply(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(arp_cases); i++) {
		const char *pmac = arp_cases[i].port ? MAC_PORT1 : MAC_PORT0;
		const char *sip = arp_cases[i].port ? "198.18.1.11" : "198.18.2.1";
		const char *smac = arp_cases[i].port ? MAC_HOST1 : MAC_GW;
		size_t n = pb_frame_arp(in, RTE_ARP_OP_REQUEST, smac, sip, "00:00:00:00:00:00",
					arp_cases[i].tip, "ff:ff:ff:ff:ff:ff");

		run_pkt(0, arp_cases[i].port, in, n, &R, now_s(1));
		if (!arp_cases[i].answered) {
			assert_drop(&R, SG_DP_DROP_NOT_LOCAL, arp_cases[i].port);
			continue;
		}
		/* reply: from our port MAC, sender = the asked address, to the asker */
		n = pb_frame_arp(want, RTE_ARP_OP_REPLY, pmac, arp_cases[i].tip, smac, sip, smac);
		expect(arp_cases[i].port, want, n);
		CNT_MOVED(SG_DP_EV_ARP_REPLY, SG_DP_EV_NEIGH_LEARN);
	}
}

static void
test_arp_learn(void **state)
{
	uint8_t in[PKT_MAX], a[16], fam;
	struct rte_ether_addr mac;
	size_t n;

	(void)state;
	pb_ip_parse("198.18.2.77", a, &fam);
	assert_false(sg_dp_neigh_lookup(env.neigh, 0, AF_INET, a, now_s(1), &mac));
	/* a reply (to our request) from an on-link host is learned and consumed */
	n = pb_frame_arp(in, RTE_ARP_OP_REPLY, "02:00:00:00:02:77", "198.18.2.77", MAC_PORT0,
			 "198.18.2.2", MAC_PORT0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, -1);
	CNT_MOVED(SG_DP_EV_CONSUMED, SG_DP_EV_NEIGH_LEARN);
	assert_true(sg_dp_neigh_lookup(env.neigh, 0, AF_INET, a, now_s(1), &mac));
	assert_int_equal(mac.addr_bytes[5], 0x77);
	/* an off-link sender is not learned */
	n = pb_frame_arp(in, RTE_ARP_OP_REPLY, "02:00:00:00:02:78", "198.18.77.1", MAC_PORT0,
			 "198.18.2.2", MAC_PORT0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_NOT_LOCAL, 0);
}

/* ---------------- ND ---------------- */

static void
test_nd_reply(void **state)
{
	static const struct {
		const char *target;
		const char *slla; /* NULL: solicitation without the option */
		bool answered;
	} c[] = {
		{"2001:2:0:10::1", MAC_GW, true},  {"2001:2:0:10::2", NULL, true},
		{"2001:2:0:1::100", MAC_GW, true}, {"2001:2:0:2::2", MAC_GW, true},
		{"2001:2:0:1::2", MAC_GW, false},  {"2001:2:0:2::99", MAC_GW, false},
	};
	uint8_t in[PKT_MAX], want[PKT_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(c); i++) {
		size_t n = pb_frame_ns(in, MAC_GW, "2001:2:0:2::1", c[i].target, c[i].slla);

		run_pkt(0, 0, in, n, &R, now_s(1));
		if (!c[i].answered) {
			assert_drop(&R, SG_DP_DROP_NOT_LOCAL, 0);
			continue;
		}
		n = na_frame(want, MAC_GW, MAC_PORT0, c[i].target, "2001:2:0:2::1");
		/* na_frame puts the port MAC as eth source and TLLA: as the data plane must */
		expect(0, want, n);
		if (c[i].slla)
			CNT_MOVED(SG_DP_EV_ND_REPLY, SG_DP_EV_NEIGH_LEARN);
		else
			CNT_MOVED(SG_DP_EV_ND_REPLY);
	}
}

static void
test_nd_learn(void **state)
{
	uint8_t in[PKT_MAX], a[16], fam;
	struct rte_ether_addr mac;
	size_t n;

	(void)state;
	/* an unsolicited advertisement from an on-link neighbour creates nothing (issue 12) */
	n = na_frame(in, MAC_PORT0, "02:00:00:00:06:77", "2001:2:0:2::77", "2001:2:0:2::2");
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_NEIGH_UNSOLICITED, 0);
	pb_ip_parse("2001:2:0:2::77", a, &fam);
	/* once the data plane wants it (a miss), the advertisement is learned */
	assert_false(sg_dp_neigh_lookup(env.neigh, 0, AF_INET6, a, now_s(1), &mac));
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, -1);
	CNT_MOVED(SG_DP_EV_CONSUMED, SG_DP_EV_NEIGH_LEARN);
	assert_true(sg_dp_neigh_lookup(env.neigh, 0, AF_INET6, a, now_s(1), &mac));
	assert_int_equal(mac.addr_bytes[5], 0x77);
}

/* ---------------- ICMP echo ---------------- */

static void
test_icmp_echo(void **state)
{
	static const struct {
		const char *dst;
		bool v6;
	} c[] = {
		{"198.18.10.1", false},
		{"198.18.2.2", false},
		{"2001:2:0:10::1", true},
		{"2001:2:0:2::2", true},
	};
	uint8_t in[PKT_MAX], want[PKT_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(c); i++) {
		size_t n, m;

		if (c[i].v6) {
			n = pb_frame_icmp6_echo(in, L2_GW, CLIENT6, c[i].dst, 128, 56);
			m = pb_frame_icmp6_echo(want, L2_GW, c[i].dst, CLIENT6, 129, 56);
		} else {
			n = pb_frame_icmp4_echo(in, L2_GW, CLIENT4, c[i].dst, 8, 56);
			m = pb_frame_icmp4_echo(want, L2_GW, c[i].dst, CLIENT4, 0, 56);
		}
		pb_put_eth(want, MAC_GW, MAC_PORT0,
			   c[i].v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
		run_pkt(0, 0, in, n, &R, now_s(1));
		expect(0, want, m);
		CNT_MOVED(SG_DP_EV_ICMP_REPLY);
		assert_int_equal(pb_check_csums(R.out + 14), 0);
	}
}

/* ---------------- DSR ---------------- */

static uint32_t
key_hash(const uint8_t *ip, uint8_t proto)
{
	struct sg_dp_flow_key k;

	memset(&k, 0, sizeof(k));
	if ((ip[0] >> 4) == 4) {
		memcpy(k.src, ip + 12, 4);
		memcpy(k.dst, ip + 16, 4);
		k.family = AF_INET;
		memcpy(&k.sport, ip + 20, 2);
		memcpy(&k.dport, ip + 22, 2);
	} else {
		memcpy(k.src, ip + 8, 16);
		memcpy(k.dst, ip + 24, 16);
		k.family = AF_INET6;
		memcpy(&k.sport, ip + 40, 2);
		memcpy(&k.dport, ip + 42, 2);
	}
	k.proto = proto;
	return sg_dp_flow_hash(&k);
}

/* Expected DSR frame: Ethernet + outer IPv4/IPv6 (+ GUE UDP) + the inner packet. */
static size_t
dsr_want(uint8_t *b, const char *dmac, const char *osrc, const char *odst, const uint8_t *inner,
	 size_t inner_len, bool gue, uint16_t gue_port, uint32_t hash)
{
	const struct pb_eth l2 = {dmac, MAC_PORT1, 0};
	/* GUE source port and IPv6 flow label: from the flow hash */
	const struct pb_tunnel t = {osrc, odst, (uint16_t)(0xc000 | (hash & 0x3fff)),
				    gue ? gue_port : 0, hash & 0xfffff};

	return pb_frame_tunnel(b, &l2, &t, inner, inner_len);
}

static void
test_dsr(void **state)
{
	static const struct {
		const char *name;
		const char *client, *vip;
		uint8_t proto;
		uint16_t dport;
		const char *dmac, *osrc, *odst;
		bool gue;
	} c[] = {
		{"ipip v4", CLIENT4, "198.18.10.1", IPPROTO_TCP, 80, MAC_HOST1, "198.18.1.2",
		 "198.18.1.11", false},
		{"ip6ip6", CLIENT6, "2001:2:0:10::1", IPPROTO_TCP, 80, MAC_HOST6, "2001:2:0:1::2",
		 "2001:2:0:1::11", false},
		{"gue v4", CLIENT4, "198.18.10.1", IPPROTO_UDP, 5353, MAC_HOST1, "198.18.1.2",
		 "198.18.1.11", true},
		{"underlay host", CLIENT4, "198.18.10.1", IPPROTO_TCP, 443, MAC_UNDER, "198.18.1.2",
		 "198.18.1.200", false},
		{"ipv4 in ipv6", CLIENT4, "198.18.10.1", IPPROTO_TCP, 8080, MAC_UNDER,
		 "2001:2:0:1::2", "2001:2:0:1::200", false},
	};
	uint8_t in[PKT_MAX], want[PKT_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < RTE_DIM(c); i++) {
		bool v6 = strchr(c[i].client, ':') != NULL;
		size_t n, m;

		print_message("dsr case: %s\n", c[i].name);
		if (c[i].proto == IPPROTO_UDP)
			n = pb_frame_udp4(in, L2_GW, c[i].client, c[i].vip, 40000, c[i].dport, 100);
		else if (v6)
			n = pb_frame_tcp6(in, L2_GW, c[i].client, c[i].vip, 40000, c[i].dport, SYN,
					  64, 0);
		else
			n = pb_frame_tcp4(in, L2_GW, c[i].client, c[i].vip, 40000, c[i].dport, SYN,
					  64, 0);
		m = dsr_want(want, c[i].dmac, c[i].osrc, c[i].odst, in + 14, n - 14, c[i].gue,
			     c[i].dport == 5353 ? 6080 : 0, key_hash(in + 14, c[i].proto));
		run_pkt(0, 0, in, n, &R, now_s(1));
		expect(1, want, m);
		CNT_MOVED(SG_DP_EV_FLOW_NEW);
		/* the second packet of the flow takes the same path, without a new flow */
		run_pkt(0, 0, in, n, &R, now_s(2));
		expect(1, want, m);
		NO_CNT();
	}
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), RTE_DIM(c));
}

static void
test_dsr_padding_and_mtu(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t n, m;

	(void)state;
	/* a 54-byte SYN padded to 60 bytes: the padding is not encapsulated */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40001, 80, SYN, 64, 0);
	memset(in + n, 0, 6);
	m = dsr_want(want, MAC_HOST1, "198.18.1.2", "198.18.1.11", in + 14, n - 14, false, 0, 0);
	run_pkt(0, 0, in, n + 6, &R, now_s(1));
	expect(1, want, m);
	/* 1480 bytes of inner IP fit a 1500 MTU with IPIP; 1481 do not */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40002, 80, SYN, 64, 1480 - 40);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, 1);
	assert_int_equal(R.out_len, 14 + 20 + 1480);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40003, 80, SYN, 64, 1481 - 40);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, -1);
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_DROP_MTU);
}

/* Too big for the tunnel with DF (IPv4) or always (IPv6): the client learns the path MTU. */
static void
test_dsr_toobig(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX], *ip, *icmp;
	size_t n, off;

	(void)state;
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40004, 80, ACK, 64, 1481 - 40);
	in[14 + 6] = 0x40; /* DF */
	pb_fix_ip4_csum(in + 14);
	off = pb_put_eth(want, MAC_GW, MAC_PORT0, RTE_ETHER_TYPE_IPV4);
	ip = want + off;
	off += pb_put_ip4(ip, "198.18.10.1", CLIENT4, IPPROTO_ICMP, 64, 8 + 28);
	icmp = want + off;
	memset(icmp, 0, 8);
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 4; /* fragmentation needed */
	icmp[6] = 1480 >> 8;
	icmp[7] = 1480 & 0xff;
	memcpy(icmp + 8, in + 14, 28); /* the IP header and 8 bytes of TCP */
	pb_fix_l4_csum(ip);
	off += 8 + 28;
	run_pkt(0, 0, in, n, &R, now_s(1));
	expect(0, want, off);
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_EV_ICMP_TOOBIG);

	/* IPv6 in IPv6: 1460 bytes fit, the PTB quotes 1232 bytes (1280 in all) */
	n = pb_frame_tcp6(in, L2_GW, CLIENT6, "2001:2:0:10::1", 40004, 80, ACK, 64, 1461 - 60);
	off = pb_put_eth(want, MAC_GW, MAC_PORT0, RTE_ETHER_TYPE_IPV6);
	ip = want + off;
	off += pb_put_ip6(ip, "2001:2:0:10::1", CLIENT6, IPPROTO_ICMPV6, 64, 8 + 1232);
	icmp = want + off;
	memset(icmp, 0, 8);
	icmp[0] = 2; /* packet too big */
	icmp[6] = 1460 >> 8;
	icmp[7] = 1460 & 0xff;
	memcpy(icmp + 8, in + 14, 1232);
	pb_fix_l4_csum(ip);
	off += 8 + 1232;
	run_pkt(0, 0, in, n, &R, now_s(1));
	expect(0, want, off);
	assert_int_equal(R.out_len, 14 + 1280);
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_EV_ICMP_TOOBIG);
	assert_int_equal(pb_check_csums(R.out + 14), 0);
}

/* One 802.1Q tag: served; replies keep the tag, forwarded packets leave untagged. */
static size_t
tag(uint8_t *b, size_t n)
{
	memmove(b + 16, b + 12, n - 12);
	b[12] = 0x81;
	b[13] = 0x00;
	b[14] = 0x00;
	b[15] = 0x2a; /* VLAN 42 */
	return n + 4;
}

static void
test_vlan(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t n, m;

	(void)state;
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, SYN, 64, 0);
	m = dsr_want(want, MAC_HOST1, "198.18.1.2", "198.18.1.11", in + 14, n - 14, false, 0, 0);
	n = tag(in, n);
	run_pkt(0, 0, in, n, &R, now_s(1));
	expect(1, want, m);
	CNT_MOVED(SG_DP_EV_FLOW_NEW);

	n = pb_frame_arp(in, RTE_ARP_OP_REQUEST, MAC_GW, "198.18.2.1", "00:00:00:00:00:00",
			 "198.18.10.1", "ff:ff:ff:ff:ff:ff");
	n = tag(in, n);
	m = pb_frame_arp(want, RTE_ARP_OP_REPLY, MAC_PORT0, "198.18.10.1", MAC_GW, "198.18.2.1",
			 MAC_GW);
	m = tag(want, m);
	run_pkt(0, 0, in, n, &R, now_s(1));
	expect(0, want, m);
	CNT_MOVED(SG_DP_EV_ARP_REPLY, SG_DP_EV_NEIGH_LEARN);
}

/* ---------------- NAT ---------------- */

static void
set_eth(uint8_t *b, const char *dst, const char *src)
{
	uint16_t type = (uint16_t)(b[12] << 8 | b[13]);

	pb_put_eth(b, dst, src, type);
}

static void
test_nat_tcp4(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t n, m;

	(void)state;
	/* client -> VIP:80 becomes 198.18.1.100:1024 -> host1:80, TTL - 1 */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, SYN, 64, 10);
	m = pb_frame_tcp4(want, L2_GW, "198.18.1.100", "198.18.1.11", 1024, 80, SYN, 63, 10);
	set_eth(want, MAC_HOST1, MAC_PORT1);
	run_pkt(0, 0, in, n, &R, now_s(1));
	expect(1, want, m);
	assert_int_equal(pb_check_csums(R.out + 14), 0);
	CNT_MOVED(SG_DP_EV_FLOW_NEW);

	/* return host1:80 -> 198.18.1.100:1024 becomes VIP:80 -> client:40000 */
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", "198.18.1.100", 80, 1024, SYN | ACK, 64, 0);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	m = pb_frame_tcp4(want, L2_GW, "198.18.10.2", CLIENT4, 80, 40000, SYN | ACK, 63, 0);
	set_eth(want, MAC_GW, MAC_PORT0);
	run_pkt(0, 1, in, n, &R, now_s(1));
	expect(0, want, m);
	assert_int_equal(pb_check_csums(R.out + 14), 0);
	NO_CNT();

	/* client's ACK with data: same translation */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, ACK, 30, 100);
	m = pb_frame_tcp4(want, L2_GW, "198.18.1.100", "198.18.1.11", 1024, 80, ACK, 29, 100);
	set_eth(want, MAC_HOST1, MAC_PORT1);
	run_pkt(0, 0, in, n, &R, now_s(2));
	expect(1, want, m);
	NO_CNT();

	/* a second client gets the next port of this worker */
	n = pb_frame_tcp4(in, L2_GW, "198.18.0.51", "198.18.10.2", 40000, 80, SYN, 64, 0);
	m = pb_frame_tcp4(want, L2_GW, "198.18.1.100", "198.18.1.11", 1025, 80, SYN, 63, 0);
	set_eth(want, MAC_HOST1, MAC_PORT1);
	run_pkt(0, 0, in, n, &R, now_s(2));
	expect(1, want, m);
	CNT_MOVED(SG_DP_EV_FLOW_NEW);
}

static void
test_nat_udp4_member_port(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t n, m;

	(void)state;
	n = pb_frame_udp4(in, L2_GW, CLIENT4, "198.18.10.2", 5000, 53, 33);
	m = pb_frame_udp4(want, L2_GW, "198.18.1.100", "198.18.1.11", 1024, 5353, 33);
	want[14 + 8] = 63; /* TTL */
	pb_fix_ip4_csum(want + 14);
	pb_fix_l4_csum(want + 14);
	set_eth(want, MAC_HOST1, MAC_PORT1);
	run_pkt(0, 0, in, n, &R, now_s(1));
	expect(1, want, m);
	assert_int_equal(pb_check_csums(R.out + 14), 0);
	CNT_MOVED(SG_DP_EV_FLOW_NEW);

	n = pb_frame_udp4(in, L2_GW, "198.18.1.11", "198.18.1.100", 5353, 1024, 70);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	m = pb_frame_udp4(want, L2_GW, "198.18.10.2", CLIENT4, 53, 5000, 70);
	want[14 + 8] = 63;
	pb_fix_ip4_csum(want + 14);
	pb_fix_l4_csum(want + 14);
	set_eth(want, MAC_GW, MAC_PORT0);
	run_pkt(0, 1, in, n, &R, now_s(1));
	expect(0, want, m);
	NO_CNT();

	/* IPv4 UDP without checksum stays without checksum */
	n = pb_frame_udp4(in, L2_GW, CLIENT4, "198.18.10.2", 5001, 53, 10);
	memset(in + 14 + 20 + 6, 0, 2);
	m = pb_frame_udp4(want, L2_GW, "198.18.1.100", "198.18.1.11", 1025, 5353, 10);
	want[14 + 8] = 63;
	pb_fix_ip4_csum(want + 14);
	memset(want + 14 + 20 + 6, 0, 2);
	set_eth(want, MAC_HOST1, MAC_PORT1);
	run_pkt(0, 0, in, n, &R, now_s(1));
	expect(1, want, m);
}

static void
test_nat_tcp6(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	size_t n, m;

	(void)state;
	n = pb_frame_tcp6(in, L2_GW, CLIENT6, "2001:2:0:10::2", 40000, 80, SYN, 64, 20);
	m = pb_frame_tcp6(want, L2_GW, "2001:2:0:1::100", "2001:2:0:1::11", 1024, 80, SYN, 63, 20);
	set_eth(want, MAC_HOST6, MAC_PORT1);
	run_pkt(0, 0, in, n, &R, now_s(1));
	expect(1, want, m);
	assert_int_equal(pb_check_csums(R.out + 14), 0);
	CNT_MOVED(SG_DP_EV_FLOW_NEW);

	n = pb_frame_tcp6(in, L2_GW, "2001:2:0:1::11", "2001:2:0:1::100", 80, 1024, SYN | ACK, 64,
			  0);
	set_eth(in, MAC_PORT1, MAC_HOST6);
	m = pb_frame_tcp6(want, L2_GW, "2001:2:0:10::2", CLIENT6, 80, 40000, SYN | ACK, 63, 0);
	set_eth(want, MAC_GW, MAC_PORT0);
	run_pkt(0, 1, in, n, &R, now_s(1));
	expect(0, want, m);
	NO_CNT();
}

static void
test_nat_handoff(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	struct sg_dp_txq *q = calloc(1, sizeof(*q));
	const struct sg_dp_stats *s0 = sg_dp_worker_stats(env.w[0]);
	size_t n, m;

	(void)state;
	assert_non_null(q);
	/* worker 0 of 2 owns the even ports: its first flow gets 1024 */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, 1);
	assert_int_equal(R.out[14 + 20] << 8 | R.out[14 + 21], 1024);

	/* worker 1 receives the return (RSS put it there): it hands it to worker 0 */
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", "198.18.1.100", 80, 1024, SYN | ACK, 64, 0);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	run_pkt(1, 1, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, -1);
	CNT_MOVED(SG_DP_EV_HANDOFF_OUT);
	assert_int_equal(rte_ring_count(env.ring[0]), 1);

	/* worker 0 drains its ring and translates */
	sg_dp_worker_handoff_drain(env.w[0], env.t, q, now_s(1));
	assert_int_equal(s0->cnt[SG_DP_EV_HANDOFF_IN], 1);
	assert_int_equal(q->n[0], 1);
	m = pb_frame_tcp4(want, L2_GW, "198.18.10.2", CLIENT4, 80, 40000, SYN | ACK, 63, 0);
	set_eth(want, MAC_GW, MAC_PORT0);
	assert_bytes(rte_pktmbuf_mtod(q->pkts[0][0], uint8_t *), rte_pktmbuf_pkt_len(q->pkts[0][0]),
		     want, m);
	rte_pktmbuf_free(q->pkts[0][0]);
	q->n[0] = 0;

	/* worker 1's flows use odd ports; a return to an unknown even port on
	 * worker 0 itself is no_flow, on worker 1 it is handed off */
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", "198.18.1.100", 80, 2000, ACK, 64, 0);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	run_pkt(0, 1, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_NO_FLOW, 1);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.2", 40001, 80, SYN, 64, 0);
	run_pkt(1, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out[14 + 20] << 8 | R.out[14 + 21], 1025);

	/* a full ring: the hand-off is dropped and counted */
	while (rte_ring_free_count(env.ring[0]) > 0)
		assert_int_equal(rte_ring_enqueue(env.ring[0], mbuf_from(in, 60)), 0);
	n = pb_frame_tcp4(in, L2_GW, "198.18.1.11", "198.18.1.100", 80, 1024, ACK, 64, 0);
	set_eth(in, MAC_PORT1, MAC_HOST1);
	run_pkt(1, 1, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_HANDOFF_FULL, 1);
	free(q);
}

/* ---------------- reload ---------------- */

static void
test_reload_keeps_flow(void **state)
{
	uint8_t in[PKT_MAX], want[PKT_MAX];
	struct cfg_store *cs;
	unsigned int vs_slot, h1_slot;
	const char *pool;
	size_t n, m;

	(void)state;
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, 1);
	vs_slot = env.t->vs[VS_DSR_IPIP].slot;
	h1_slot = env.t->pools[0].members[0].slot;
	assert_string_equal(sg_dp_tables_vs_name(env.t, vs_slot), "dsr-ipip");
	assert_string_equal(sg_dp_tables_member_name(env.t, h1_slot, &pool), "host1");
	assert_string_equal(pool, "one");

	/* new configuration: host1 leaves pool "one", host2 takes its place;
	 * the VS list is rotated so positions change but names do not */
	cs = cfg_new();
	(void)snprintf(cs->members[0][0].name, SG_CFG_NAME_MAX, "host2");
	cfg_addr(&cs->members[0][0].addr, "198.18.1.12");
	{
		struct sg_cfg_vs first = cs->vs[0];

		memmove(&cs->vs[0], &cs->vs[1], sizeof(cs->vs[0]) * (VS_COUNT - 1));
		cs->vs[VS_COUNT - 1] = first;
	}
	assert_int_equal(env_rebuild(cs), 0);
	assert_int_equal(env.t->vs[VS_COUNT - 1].slot, vs_slot);
	assert_null(sg_dp_tables_member_name(env.t, h1_slot, NULL)); /* not reused at once */

	/* the installed flow still goes to host1 */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, ACK, 64, 5);
	m = dsr_want(want, MAC_HOST1, "198.18.1.2", "198.18.1.11", in + 14, n - 14, false, 0, 0);
	run_pkt(0, 0, in, n, &R, now_s(2));
	expect(1, want, m);
	NO_CNT();
	/* a new flow goes to host2 */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40001, 80, SYN, 64, 0);
	m = dsr_want(want, MAC_HOST2, "198.18.1.2", "198.18.1.12", in + 14, n - 14, false, 0, 0);
	run_pkt(0, 0, in, n, &R, now_s(2));
	expect(1, want, m);
	CNT_MOVED(SG_DP_EV_FLOW_NEW);
}

/* ---------------- flow table life cycle ---------------- */

static void
test_flow_expiry(void **state)
{
	uint8_t in[PKT_MAX];
	const struct sg_dp_stats *s = sg_dp_worker_stats(env.w[0]);
	size_t n;

	(void)state;
	/* UDP (60 s), TCP SYN only (transitory 30 s), TCP closed by FIN (30 s) */
	n = pb_frame_udp4(in, L2_GW, CLIENT4, "198.18.10.1", 5000, 5353, 10);
	run_pkt(0, 0, in, n, &R, now_s(0));
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(0));
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40001, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(0));
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40001, 80, ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40001, 80, FIN | ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(2));
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 3);

	sg_dp_worker_expire(env.w[0], env.t, now_s(29), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 3);
	sg_dp_worker_expire(env.w[0], env.t, now_s(31), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 2);
	assert_int_equal(s->cnt[SG_DP_EV_FLOW_EXPIRED], 1);
	sg_dp_worker_expire(env.w[0], env.t, now_s(33), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 1);
	assert_int_equal(s->cnt[SG_DP_EV_FLOW_CLOSED], 1);
	/* the scan is incremental: a budget of 0 examines nothing */
	sg_dp_worker_expire(env.w[0], env.t, now_s(1000), 0);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 1);
	sg_dp_worker_expire(env.w[0], env.t, now_s(61), 1024);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
	assert_int_equal(s->cnt[SG_DP_EV_FLOW_EXPIRED], 2);
	assert_int_equal(s->vs[env.t->vs[VS_DSR_IPIP].slot].active_flows, 0);
}

static void
test_flow_eviction(void **state)
{
	uint8_t in[PKT_MAX];
	uint16_t i;
	size_t n;

	(void)state;
	env_teardown();
	assert_int_equal(env_setup(1, 4), 0);
	for (i = 0; i < 4; i++) {
		n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", (uint16_t)(40000 + i), 80, SYN,
				  64, 0);
		run_pkt(0, 0, in, n, &R, now_s(i));
		CNT_MOVED(SG_DP_EV_FLOW_NEW);
	}
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 4);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 50000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(10));
	assert_int_equal(R.out_port, 1);
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_EV_FLOW_EVICTED, SG_DP_EV_FLOW_TABLE_FULL,
		  SG_DP_EV_FLOW_EVICTED_EMB);
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 4);
	/* the oldest embryonic flow (port 40000) was the one evicted: its next
	 * packet is a new flow again, the others are not */
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40003, 80, ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(11));
	NO_CNT();
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.1", 40000, 80, ACK, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(11));
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_EV_FLOW_EVICTED, SG_DP_EV_FLOW_TABLE_FULL,
		  SG_DP_EV_FLOW_EVICTED_EMB);
}

static void
test_vs_limit(void **state)
{
	uint8_t in[PKT_MAX];
	uint16_t i;
	size_t n;

	(void)state;
	for (i = 0; i < 2; i++) {
		n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.5", (uint16_t)(40000 + i), 81, SYN,
				  64, 0);
		run_pkt(0, 0, in, n, &R, now_s(1));
		CNT_MOVED(SG_DP_EV_FLOW_NEW);
	}
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.5", 40002, 81, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_drop(&R, SG_DP_DROP_VS_LIMIT, 0);
}

static void
test_neigh_miss_and_solicit(void **state)
{
	uint8_t in[PKT_MAX];
	struct rte_mbuf *out[8];
	uint16_t out_port[8];
	unsigned int k;
	size_t n;

	(void)state;
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.4", 40000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(1));
	assert_int_equal(R.out_port, -1);
	CNT_MOVED(SG_DP_EV_FLOW_NEW, SG_DP_DROP_NEIGH_MISS);
	/* the main lcore now solicits 198.18.1.99 on port 1, once per second */
	k = sg_dp_neigh_solicit(env.neigh, env.t, env.mp, now_s(1), out, out_port, 8);
	assert_int_equal(k, 1);
	assert_int_equal(out_port[0], 1);
	{
		uint8_t want[PKT_MAX];
		size_t m = pb_frame_arp(want, RTE_ARP_OP_REQUEST, MAC_PORT1, "198.18.1.2",
					"00:00:00:00:00:00", "198.18.1.99", "ff:ff:ff:ff:ff:ff");

		assert_bytes(rte_pktmbuf_mtod(out[0], uint8_t *), rte_pktmbuf_pkt_len(out[0]), want,
			     42);
		(void)m;
	}
	rte_pktmbuf_free(out[0]);
	assert_int_equal(
		sg_dp_neigh_solicit(env.neigh, env.t, env.mp, now_s(1.5), out, out_port, 8), 0);
	/* the answer arrives; the flow's next packet goes out */
	n = pb_frame_arp(in, RTE_ARP_OP_REPLY, "02:00:00:00:03:99", "198.18.1.99", MAC_PORT1,
			 "198.18.1.2", MAC_PORT1);
	run_pkt(0, 1, in, n, &R, now_s(2));
	CNT_MOVED(SG_DP_EV_CONSUMED, SG_DP_EV_NEIGH_LEARN);
	n = pb_frame_tcp4(in, L2_GW, CLIENT4, "198.18.10.4", 40000, 80, SYN, 64, 0);
	run_pkt(0, 0, in, n, &R, now_s(2));
	assert_int_equal(R.out_port, 1);
	assert_int_equal(R.out[5], 0x99);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp_reply, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_arp_learn, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_nd_reply, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_nd_learn, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_dsr, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_dsr_padding_and_mtu, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_dsr_toobig, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_vlan, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_nat_tcp4, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_nat_udp4_member_port, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_nat_tcp6, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_nat_handoff, dp_setup2, dp_teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_flow, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_flow_expiry, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_flow_eviction, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_vs_limit, dp_setup1, dp_teardown),
		cmocka_unit_test_setup_teardown(test_neigh_miss_and_solicit, dp_setup1,
						dp_teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests_name("dataplane packets", tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
