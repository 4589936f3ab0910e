/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet-layer hardening (issue 12, defects 3 and 13): frames whose data
 * ends exactly at the end of a malloc'd buffer (an external mbuf buffer),
 * so that any read past the packet is a heap overflow AddressSanitizer
 * reports, and multi-segment frames whose first segment stops inside the
 * TCP options.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "sessiongate/sg_msg.h"
#include "session/syncookie.h"

struct exact_buf {
	struct rte_mbuf_ext_shared_info shinfo;
};

static void
exact_free(void *addr, void *opaque)
{
	free(addr);
	free(opaque);
}

/* An mbuf whose data (@p len bytes of @p b) ends at the last byte of a heap buffer. */
static struct rte_mbuf *
mbuf_exact(const uint8_t *b, size_t len)
{
	struct exact_buf *x = calloc(1, sizeof(*x));
	uint8_t *buf = malloc(RTE_PKTMBUF_HEADROOM + len);
	struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);
	char *d;

	assert_non_null(x);
	assert_non_null(buf);
	assert_non_null(m);
	x->shinfo.free_cb = exact_free;
	x->shinfo.fcb_opaque = x;
	rte_mbuf_ext_refcnt_set(&x->shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, buf, RTE_BAD_IOVA, (uint16_t)(RTE_PKTMBUF_HEADROOM + len),
				  &x->shinfo);
	rte_pktmbuf_reset_headroom(m);
	d = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	memcpy(d, b, len);
	assert_int_equal(rte_pktmbuf_tailroom(m), 0);
	return m;
}

/* Exactly counter @p c moved by one and nothing was sent. */
static void
assert_only(enum sg_dp_cnt c)
{
	assert_int_equal(R.out_port, -1);
	assert_cnt_delta(&R, &c, 1);
}

/*
 * Defect 3: IPv4, protocol 58, TTL 255, ID 0xFFFF, first payload byte 135
 * or 136 (what the worker took for IPv6 ND), to the LAN port's own address,
 * to a VIP and to the solicited-node multicast group; with ICMP payloads
 * from 0 to 40 bytes. The ND code read the IPv4 ID as an IPv6 payload
 * length and checksummed 64 KB past the packet.
 */
static void
test_nd_over_ipv4(void **state)
{
	static const char *const dst[] = {"198.18.1.2", "198.18.10.1", "224.0.0.1"};
	static const uint8_t types[] = {135, 136};
	uint8_t f[128];
	unsigned int d, t, runs = 0;
	int plen;

	(void)state;
	for (d = 0; d < RTE_DIM(dst); d++) {
		for (t = 0; t < RTE_DIM(types); t++) {
			for (plen = 40; plen >= 0; plen -= 4) {
				size_t n = pb_put_l2(f, L2_HOST1, RTE_ETHER_TYPE_IPV4);
				uint8_t *ip = f + n;

				n += pb_put_ip4(ip, "198.18.1.12", dst[d], IPPROTO_ICMPV6, 255,
						(uint16_t)plen);
				ip[4] = ip[5] = 0xff; /* ID 0xFFFF: the "payload length" */
				pb_fix_ip4_csum(ip);
				memset(f + n, 0, (size_t)plen);
				if (plen > 0)
					f[n] = types[t];
				n += (size_t)plen;
				run_mbuf(0, 1, mbuf_exact(f, n), &R, now_s(1));
				assert_only(SG_DP_DROP_ICMP_FAMILY);
				runs++;
			}
		}
	}
	print_message("%u IPv4 protocol-58 frames refused\n", runs);
}

/* And the mirror: ICMP (1) over IPv6 with an echo request. */
static void
test_icmp_over_ipv6(void **state)
{
	uint8_t f[128];
	size_t n = pb_put_l2(f, L2_GW, RTE_ETHER_TYPE_IPV6);

	(void)state;
	n += pb_put_ip6(f + n, CLIENT6, "2001:2:0:10::1", IPPROTO_ICMP, 64, 16);
	memset(f + n, 0, 16);
	f[n] = 8;
	n += 16;
	run_mbuf(0, 0, mbuf_exact(f, n), &R, now_s(1));
	assert_only(SG_DP_DROP_ICMP_FAMILY);
}

/*
 * A SYN with data offset 15 (40 option bytes) whose first segment ends
 * @p first bytes into the TCP header; the rest in a second segment.
 */
static struct rte_mbuf *
syn_doff15(const char *dst, uint16_t dport, unsigned int first)
{
	uint8_t f[128];
	size_t n = pb_put_l2(f, L2_GW, RTE_ETHER_TYPE_IPV4), l3 = n, l4, tot;
	struct rte_mbuf *m, *tail;
	char *d;

	n += pb_put_ip4(f + n, CLIENT4, dst, IPPROTO_TCP, 64, 60);
	l4 = n;
	n += pb_put_tcp(f + n, 40000, dport, RTE_TCP_SYN_FLAG);
	f[l4 + 12] = 0xf0;    /* data offset 15 */
	memset(f + n, 1, 40); /* 40 NOPs */
	f[n] = 2;	      /* MSS 1460 first */
	f[n + 1] = 4;
	f[n + 2] = 0x05;
	f[n + 3] = 0xb4;
	tot = n + 40;
	pb_fix_l4_csum(f + l3);
	m = mbuf_exact(f, l4 + first);
	tail = rte_pktmbuf_alloc(env.mp);
	assert_non_null(tail);
	d = rte_pktmbuf_append(tail, (uint16_t)(tot - l4 - first));
	assert_non_null(d);
	memcpy(d, f + l4 + first, tot - l4 - first);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	return m;
}

/*
 * Defect 13: the options of a SYN to the brokered VIP (read by the SYN
 * cookie code), the NAT VIP and the DSR VIP, cut after the fixed header and
 * inside the options: refused before anyone reads them.
 */
static void
test_tcp_options_split(void **state)
{
	static const struct {
		const char *dst;
		uint16_t port;
	} to[] = {{"198.18.10.3", 80}, {"198.18.10.2", 80}, {"198.18.10.1", 80}};
	static const unsigned int cut[] = {20, 24, 36, 59};
	unsigned int i, c;

	(void)state;
	for (i = 0; i < RTE_DIM(to); i++) {
		for (c = 0; c < RTE_DIM(cut); c++) {
			run_mbuf(0, 0, syn_doff15(to[i].dst, to[i].port, cut[c]), &R, now_s(1));
			assert_only(SG_DP_DROP_TCP_DOFF);
		}
	}
	assert_int_equal(sg_dp_worker_flow_count(env.w[0]), 0);
}

/* The same SYN in one segment is served: a SYN-ACK with a cookie from the brokered VIP. */
static void
test_tcp_options_whole(void **state)
{
	enum sg_dp_cnt c = SG_DP_EV_SYNCOOKIE;

	(void)state;
	run_mbuf(0, 0, syn_doff15("198.18.10.3", 80, 60), &R, now_s(1));
	assert_int_equal(R.out_port, 0);
	assert_cnt_delta(&R, &c, 1);
}

/* A short SYN claiming 60 bytes of header in a 40-byte segment. */
static void
test_tcp_doff_past_packet(void **state)
{
	uint8_t f[128];
	size_t n =
		pb_frame_tcp4(f, L2_GW, CLIENT4, "198.18.10.3", 40000, 80, RTE_TCP_SYN_FLAG, 64, 0);

	(void)state;
	f[14 + 20 + 12] = 0xf0;
	pb_fix_l4_csum(f + 14);
	run_mbuf(0, 0, mbuf_exact(f, n), &R, now_s(1));
	assert_only(SG_DP_DROP_TCP_DOFF);
}

/* ---------------- neighbours (defect 4) ---------------- */

static uint64_t
neigh_stat(struct sg_dp_neigh *n, const char *name)
{
	const char *names[8];
	uint64_t vals[8];
	unsigned int k = sg_dp_neigh_stats(n, names, vals, RTE_DIM(names)), i;

	for (i = 0; i < k; i++)
		if (strcmp(names[i], name) == 0)
			return vals[i];
	fail_msg("no neighbour counter %s", name);
	return 0;
}

/* An unsolicited neighbour advertisement for @p target (to all nodes' solicited group). */
static size_t
na_unsolicited(uint8_t *f, const char *target, const char *mac)
{
	size_t n = pb_frame_ns(f, mac, target, target, mac);
	uint8_t *icmp = f + 14 + 40;

	icmp[0] = 136;	/* advertisement */
	icmp[4] = 0x20; /* override */
	icmp[24] = 2;	/* target link-layer address */
	icmp[2] = icmp[3] = 0;
	pb_fix_l4_csum(f + 14);
	return n;
}

/*
 * A LAN host floods ARP requests for our address from every on-link sender
 * and advertisements for thousands of link-local addresses: answered or
 * dropped, and not one neighbour entry created.
 */
static void
test_neigh_flood(void **state)
{
	uint64_t entries = neigh_stat(env.neigh, "neigh_entries");
	uint8_t f[256];
	char ip[64], mac[32];
	unsigned int i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		enum sg_dp_cnt c = SG_DP_DROP_NEIGH_UNSOLICITED;
		size_t n;

		snprintf(ip, sizeof(ip), "fe80::%x:%x", i >> 8, i & 0xff);
		snprintf(mac, sizeof(mac), "02:00:5e:%02x:%02x:%02x", i >> 16 & 0xff, i >> 8 & 0xff,
			 i & 0xff);
		n = na_unsolicited(f, ip, mac);
		run_pkt(0, 1, f, n, &R, now_s(1));
		assert_int_equal(R.out_port, -1);
		assert_cnt_delta(&R, &c, 1);
	}
	for (i = 0; i < 2000; i++) {
		const enum sg_dp_cnt c[] = {SG_DP_EV_ARP_REPLY, SG_DP_EV_NEIGH_REFUSED};
		size_t n;

		snprintf(ip, sizeof(ip), "198.18.2.%u", 20 + i % 230);
		snprintf(mac, sizeof(mac), "02:00:5e:01:%02x:%02x", i >> 8 & 0xff, i & 0xff);
		n = pb_frame_arp(f, RTE_ARP_OP_REQUEST, mac, ip, "00:00:00:00:00:00", "198.18.2.2",
				 "ff:ff:ff:ff:ff:ff");
		run_pkt(0, 0, f, n, &R, now_s(1));
		assert_int_equal(R.out_port, 0); /* still answered */
		assert_cnt_delta(&R, c, 2);
	}
	assert_int_equal(neigh_stat(env.neigh, "neigh_entries"), entries);
}

static void
addr_of(unsigned int i, uint8_t a[16])
{
	uint8_t fam;
	char ip[32];

	snprintf(ip, sizeof(ip), "198.18.%u.%u", 64 + (i >> 8 & 0x3f), i & 0xff);
	pb_ip_parse(ip, a, &fam);
}

/*
 * A small table: misses for many spoofed next hops evict the least
 * recently used unpinned entries, never the pinned gateways and members;
 * a cached entry whose slot was reused is never read as the new key's; an
 * unanswered entry ages after its probes, an unused one after 300 s.
 */
static void
test_neigh_evict_age(void **state)
{
	struct sg_dp_neigh *n = sg_dp_neigh_create(64, SOCKET_ID_ANY);
	struct rte_ether_addr mac, got;
	struct sg_dp_neigh_entry *e;
	struct rte_mbuf *out[64];
	uint16_t out_port[64];
	uint8_t a[16], gw[16], fam;
	uint32_t gen, egen;
	unsigned int i, k, cnt;

	(void)state;
	assert_non_null(n);
	pb_mac_parse(MAC_GW, mac.addr_bytes);
	sg_dp_neigh_pin(n, env.t, now_s(0)); /* gateways, members and hosts of the tables */
	assert_true(neigh_stat(n, "neigh_entries") > 0);
	pb_ip_parse("198.18.2.1", gw, &fam);
	assert_true(sg_dp_neigh_update(n, 0, AF_INET, gw, &mac, now_s(0)));
	/* a learned next hop, cached as a flow would */
	addr_of(0, a);
	assert_false(sg_dp_neigh_update(n, 0, AF_INET, a, &mac, now_s(0))); /* not wanted yet */
	assert_null(sg_dp_neigh_get(n, 0, AF_INET, a, now_s(0), &got, &gen));
	assert_true(sg_dp_neigh_update(n, 0, AF_INET, a, &mac, now_s(0)));
	e = sg_dp_neigh_get(n, 0, AF_INET, a, now_s(0), &got, &egen);
	assert_non_null(e);
	/* 2000 spoofed next hops later */
	for (i = 1; i <= 2000; i++) {
		addr_of(i, a);
		assert_null(sg_dp_neigh_get(n, 0, AF_INET, a, now_s(1 + i * 0.001), &got, &gen));
	}
	assert_true(neigh_stat(n, "neigh_evicted") > 1000);
	assert_true(neigh_stat(n, "neigh_entries") <= 64);
	assert_false(sg_dp_neigh_entry_mac(n, e, egen, now_s(3), &got)); /* slot reused */
	addr_of(0, a);
	assert_false(sg_dp_neigh_lookup(n, 0, AF_INET, a, now_s(3), &got)); /* evicted */
	assert_true(sg_dp_neigh_lookup(n, 0, AF_INET, gw, now_s(3), &got)); /* pinned */
	/* unanswered entries age after three solicitations a second apart */
	for (k = 0; k < 5; k++) {
		cnt = sg_dp_neigh_solicit(n, env.t, env.mp, now_s(4 + k * 1.1), out, out_port,
					  RTE_DIM(out));
		for (i = 0; i < cnt; i++)
			rte_pktmbuf_free(out[i]);
		print_message("solicit %u: %u sent, %" PRIu64 " aged\n", k, cnt,
			      neigh_stat(n, "neigh_aged"));
	}
	assert_true(neigh_stat(n, "neigh_aged") > 0);
	assert_true(sg_dp_neigh_lookup(n, 0, AF_INET, gw, now_s(10), &got));
	/* an answered next hop nobody uses for 300 s ages too; the pinned gateway stays */
	addr_of(3000, a);
	assert_false(sg_dp_neigh_lookup(n, 0, AF_INET, a, now_s(10), &got));
	assert_true(sg_dp_neigh_update(n, 0, AF_INET, a, &mac, now_s(10)));
	cnt = sg_dp_neigh_solicit(n, env.t, env.mp, now_s(400), out, out_port, RTE_DIM(out));
	for (i = 0; i < cnt; i++)
		rte_pktmbuf_free(out[i]);
	assert_false(sg_dp_neigh_update(n, 0, AF_INET, a, &mac, now_s(400)));
	assert_true(sg_dp_neigh_update(n, 0, AF_INET, gw, &mac, now_s(400)));
	assert_int_equal(neigh_stat(n, "neigh_full"), 0);
	sg_dp_neigh_free(n);
}

/* ---------------- ICMP errors relayed along flows (defect 8) ---------------- */

#define ICMP_ROUTER "198.18.2.1" /* the gateway reports (outside) */
#define LAN_ROUTER  "198.18.1.1" /* a router between us and the members (inside) */

/*
 * An ICMP error frame on @p l2 from @p src to @p dst (IPv4 type @p type code
 * @p code, announcing @p mtu) quoting the first 28 bytes of the IPv4 packet
 * @p quoted.
 */
static size_t
icmp4_error(uint8_t *f, const struct pb_eth *l2, const char *src, const char *dst, uint8_t type,
	    uint8_t code, uint16_t mtu, const uint8_t *quoted)
{
	size_t n = pb_put_l2(f, l2, RTE_ETHER_TYPE_IPV4);
	uint8_t *ip = f + n;

	n += pb_put_ip4(ip, src, dst, IPPROTO_ICMP, 64, 8 + 28);
	memset(f + n, 0, 8);
	f[n] = type;
	f[n + 1] = code;
	f[n + 6] = (uint8_t)(mtu >> 8);
	f[n + 7] = (uint8_t)mtu;
	memcpy(f + n + 8, quoted, 28);
	pb_fix_l4_csum(ip);
	return n + 8 + 28;
}

static void
assert_ip4(const uint8_t *a, const char *want)
{
	uint8_t w[16], fam;

	pb_ip_parse(want, w, &fam);
	assert_memory_equal(a, w, 4);
}

/* A NAT flow client:40000 -> 198.18.10.2:80; returns the packet forwarded to the member. */
static void
nat_flow(uint8_t fwd[64])
{
	uint8_t f[128];
	size_t n =
		pb_frame_tcp4(f, L2_GW, CLIENT4, "198.18.10.2", 40000, 80, RTE_TCP_SYN_FLAG, 64, 0);

	run_pkt(0, 0, f, n, &R, now_s(1));
	assert_int_equal(R.out_port, 1);
	memcpy(fwd, R.out + 14, 64);
}

static void
test_icmp_relay_nat(void **state)
{
	const enum sg_dp_cnt relayed = SG_DP_EV_ICMP_RELAYED;
	uint8_t fwd[64], ret[64], f[256];
	const uint8_t *o, *q;
	size_t n;

	(void)state;
	nat_flow(fwd); /* 198.18.1.100:P -> 198.18.1.11:80 */
	/* a LAN router: the forwarded packet (NAT address -> member) is too big */
	n = icmp4_error(f, L2_HOST1, LAN_ROUTER, "198.18.1.100", 3, 4, 1280, fwd);
	run_pkt(0, 1, f, n, &R, now_s(2));
	assert_int_equal(R.out_port, 0); /* to the client, through the gateway */
	assert_cnt_delta(&R, &relayed, 1);
	o = R.out + 14;
	assert_int_equal(pb_check_csums(o), 0);
	assert_ip4(o + 12, LAN_ROUTER);
	assert_ip4(o + 16, CLIENT4);
	assert_int_equal(o[8], 63); /* TTL - 1 */
	q = o + 20 + 8;		    /* the quote is now what the client sent */
	assert_ip4(q + 12, CLIENT4);
	assert_ip4(q + 16, "198.18.10.2");
	assert_int_equal(q[20] << 8 | q[21], 40000);
	assert_int_equal(q[22] << 8 | q[23], 80);
	{ /* quoted IPv4 header checksum */
		uint8_t h[20];

		memcpy(h, q, 20);
		pb_fix_ip4_csum(h);
		assert_memory_equal(h, q, 20);
	}

	/* a router on the client's path: the return packet (VIP -> client) is too big */
	pb_ip_tcp(ret, "198.18.10.2", CLIENT4, 80, 40000, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 64,
		  NULL, 0);
	n = icmp4_error(f, L2_GW, ICMP_ROUTER, "198.18.10.2", 3, 4, 1280, ret);
	run_pkt(0, 0, f, n, &R, now_s(2));
	assert_int_equal(R.out_port, 1); /* to the member */
	assert_cnt_delta(&R, &relayed, 1);
	o = R.out + 14;
	assert_int_equal(pb_check_csums(o), 0);
	assert_ip4(o + 16, "198.18.1.11");
	q = o + 20 + 8; /* the quote is now what the member sent: member -> NAT address */
	assert_memory_equal(q + 12, fwd + 16, 4);
	assert_memory_equal(q + 16, fwd + 12, 4);
	assert_memory_equal(q + 20, fwd + 22, 2);
	assert_memory_equal(q + 22, fwd + 20, 2);

	/* time exceeded and port unreachable quote flows too; an unknown quote does not */
	n = icmp4_error(f, L2_GW, ICMP_ROUTER, "198.18.10.2", 11, 0, 0, ret);
	run_pkt(0, 0, f, n, &R, now_s(2));
	assert_int_equal(R.out_port, 1);
	ret[23] ^= 1; /* another client port */
	n = icmp4_error(f, L2_GW, ICMP_ROUTER, "198.18.10.2", 3, 3, 0, ret);
	run_pkt(0, 0, f, n, &R, now_s(2));
	assert_drop(&R, SG_DP_DROP_ICMP_NOFLOW, 0);
}

static void
test_icmp_relay_dsr(void **state)
{
	const enum sg_dp_cnt relayed = SG_DP_EV_ICMP_RELAYED;
	uint8_t f[256], ret[64];
	size_t n =
		pb_frame_tcp4(f, L2_GW, CLIENT4, "198.18.10.1", 40001, 80, RTE_TCP_SYN_FLAG, 64, 0);
	const uint8_t *o;

	(void)state;
	run_pkt(0, 0, f, n, &R, now_s(1));
	assert_int_equal(R.out_port, 1);
	pb_ip_tcp(ret, "198.18.10.1", CLIENT4, 80, 40001, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	n = icmp4_error(f, L2_GW, ICMP_ROUTER, "198.18.10.1", 3, 4, 1280, ret);
	run_pkt(0, 0, f, n, &R, now_s(2));
	assert_int_equal(R.out_port, 1);
	assert_cnt_delta(&R, &relayed, 1);
	o = R.out + 14; /* IPIP to the member's host, the error unchanged inside */
	assert_int_equal(o[9], IPPROTO_IPIP);
	assert_ip4(o + 16, "198.18.1.11");
	assert_memory_equal(o + 20, f + 14, n - 14);
}

/*
 * ICMPv6 packet too big about a NAT return packet (VIP6 -> client6), as large
 * as a router sends it (1280 bytes): to the member.
 */
static void
test_icmp_relay_nat6(void **state)
{
	const enum sg_dp_cnt relayed = SG_DP_EV_ICMP_RELAYED;
	static uint8_t f[PKT_MAX], ret[PKT_MAX], pay[1172];
	uint8_t fam, member[16];
	size_t n = pb_frame_tcp6(f, L2_GW, CLIENT6, "2001:2:0:10::2", 40002, 80, RTE_TCP_SYN_FLAG,
				 64, 0);
	const uint8_t *o;
	uint8_t *ip;

	(void)state;
	run_pkt(0, 0, f, n, &R, now_s(1));
	assert_int_equal(R.out_port, 1);
	memset(pay, 'x', sizeof(pay));
	pb_ip_tcp(ret, "2001:2:0:10::2", CLIENT6, 80, 40002, RTE_TCP_ACK_FLAG, 64, pay,
		  sizeof(pay));
	n = pb_put_l2(f, L2_GW, RTE_ETHER_TYPE_IPV6);
	ip = f + n;
	n += pb_put_ip6(ip, "2001:2:0:2::1", "2001:2:0:10::2", IPPROTO_ICMPV6, 64, 8 + 1232);
	memset(f + n, 0, 8);
	f[n] = 2; /* packet too big, MTU 1280 */
	f[n + 6] = 0x05;
	memcpy(f + n + 8, ret, 1232);
	n += 8 + 1232;
	pb_fix_l4_csum(ip);
	run_pkt(0, 0, f, n, &R, now_s(2));
	assert_int_equal(R.out_port, 1);
	assert_int_equal(R.out_len, 14 + 1280);
	assert_cnt_delta(&R, &relayed, 1);
	o = R.out + 14;
	assert_int_equal(pb_check_csums(o), 0); /* ICMPv6 checksum over the new pseudo-header */
	pb_ip_parse("2001:2:0:1::11", member, &fam);
	assert_memory_equal(o + 24, member, 16);
	assert_memory_equal(o + 40 + 8 + 8, member, 16); /* quoted source: the member */
	assert_int_equal(pb_check_csums(o + 48), 0);	 /* the quoted TCP checksum follows */
}

/* A flood of errors quoting a live flow: at most the bucket is relayed. */
static void
test_icmp_relay_ratelimit(void **state)
{
	uint8_t fwd[64], ret[64], f[256];
	unsigned int i, relayed = 0, limited = 0;
	size_t n;

	(void)state;
	nat_flow(fwd);
	pb_ip_tcp(ret, "198.18.10.2", CLIENT4, 80, 40000, RTE_TCP_ACK_FLAG, 64, NULL, 0);
	n = icmp4_error(f, L2_GW, ICMP_ROUTER, "198.18.10.2", 3, 4, 1280, ret);
	for (i = 0; i < 1000; i++) {
		run_pkt(0, 0, f, n, &R, now_s(2));
		relayed += R.out_port == 1;
		limited += (unsigned int)(R.after->cnt[SG_DP_DROP_ICMP_RATELIMITED] -
					  R.before->cnt[SG_DP_DROP_ICMP_RATELIMITED]);
	}
	print_message("%u relayed, %u rate-limited\n", relayed, limited);
	assert_true(relayed >= 100 && relayed <= 102);
	assert_int_equal(relayed + limited, 1000);
	run_pkt(0, 0, f, n, &R, now_s(3)); /* a second later the bucket has refilled */
	assert_int_equal(R.out_port, 1);
}

static struct sg_dp_syncookie_secret cookies;
static const char *const ring_name[] = {"ut_ph_to_ctl", "ut_ph_from_ctl"};
static struct rte_ring *ring[2]; /* to sg-control, from sg-control */
static bool ctl_up = true;

static int
setup(void **state)
{
	static const uint8_t key[16] = "sessiongate-ut-9";
	struct cfg_store *cs;
	unsigned int i;

	(void)state;
	run_result_init(&R);
	if (env_setup(1, 1024) != 0)
		return -1;
	cs = cfg_new();
	cs->vs[VS_BROKERED].brokered.key = SG_CFG_L7_HTTP_HOST;
	cs->vs[VS_BROKERED].brokered.hold_timeout_ms = 30000;
	if (env_rebuild(cs) != 0 || sg_dp_syncookie_init(&cookies) != 0)
		return -1;
	sg_dp_syncookie_rotate(&cookies, key);
	for (i = 0; i < RTE_DIM(ring); i++) {
		ring[i] = rte_ring_create_elem(ring_name[i], SG_MSG_SIZE, 64, SOCKET_ID_ANY,
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ring[i] == NULL)
			return -1;
	}
	return env_enable_broker(0, ring[0], ring[1], &ctl_up, &cookies, 8);
}

static int
teardown(void **state)
{
	unsigned int i;

	(void)state;
	env_teardown();
	for (i = 0; i < RTE_DIM(ring); i++)
		rte_ring_free(ring[i]);
	run_result_fini(&R);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_options_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nd_over_ipv4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_over_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_options_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_doff_past_packet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neigh_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neigh_evict_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_relay_nat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_relay_dsr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_relay_nat6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_relay_ratelimit, setup, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests_name("dataplane packet-layer hardening", tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
