/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT rewrite's checksum update (core/nat.c, sg_dp_nat_rewrite()): the
 * addresses' change summed once in 32-bit words for both checksums must
 * give byte for byte what RFC 1624's update word by word gave (the former
 * code, kept here as the reference), for IPv4 and IPv6, TCP and UDP, valid
 * and wrong checksums, IPv4 UDP without a checksum, and leave valid
 * checksums valid; so must the IPv4 rewrite from a flow's checksum changes
 * made beforehand, both ways (sg_dp_nat_rewrite4_ck()).
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp_test.h"
#include "core/csum.h"
#include "core/nat.h"
#include "core/parse.h"

#define TRIALS 20000

/* The former sg_dp_nat_rewrite(): one RFC 1624 update per changed field. */
static void
ref_rewrite(uint8_t *l3, const struct sg_dp_pkt *p, const uint8_t *src, uint16_t sport,
	    const uint8_t *dst, uint16_t dport)
{
	uint8_t *l4 = l3 + p->l3_len, *ip_src, *ip_dst, *l4ck;
	unsigned int alen = p->key.family == AF_INET ? 4 : 16;
	bool udp = p->key.proto == IPPROTO_UDP;
	uint16_t ck;

	if (p->key.family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		uint8_t oldw[2] = {ip->time_to_live, ip->next_proto_id};
		uint8_t neww[2] = {(uint8_t)(ip->time_to_live - 1), ip->next_proto_id};

		ip_src = (uint8_t *)&ip->src_addr;
		ip_dst = (uint8_t *)&ip->dst_addr;
		ck = ip->hdr_checksum;
		ck = sg_dp_csum_replace(ck, oldw, neww, 2);
		ck = sg_dp_csum_replace(ck, ip_src, src, 4);
		ck = sg_dp_csum_replace(ck, ip_dst, dst, 4);
		ip->hdr_checksum = ck;
		ip->time_to_live--;
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		ip_src = ip->src_addr;
		ip_dst = ip->dst_addr;
		ip->hop_limits--;
	}
	l4ck = l4 + (udp ? offsetof(struct rte_udp_hdr, dgram_cksum)
			 : offsetof(struct rte_tcp_hdr, cksum));
	memcpy(&ck, l4ck, 2);
	if (!(udp && ck == 0 && p->key.family == AF_INET)) {
		uint16_t oldp[2], newp[2] = {sport, dport};

		memcpy(oldp, l4, 4);
		ck = sg_dp_csum_replace(ck, ip_src, src, alen);
		ck = sg_dp_csum_replace(ck, ip_dst, dst, alen);
		ck = sg_dp_csum_replace(ck, oldp, newp, 4);
		if (udp && ck == 0)
			ck = 0xffff;
		memcpy(l4ck, &ck, 2);
	}
	memcpy(ip_src, src, alen);
	memcpy(ip_dst, dst, alen);
	memcpy(l4, &sport, 2);
	memcpy(l4 + 2, &dport, 2);
}

/* Random unicast address of @p family as text (not a martian the parser drops). */
static void
rand_addr(int family, char *text, size_t len, uint8_t *raw)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		raw[i] = (uint8_t)rand();
	if (family == AF_INET6) {
		raw[0] = 0x20; /* global unicast */
	} else {
		raw[0] = (uint8_t)(1 + rand() % 126); /* not 0/8, loopback, multicast */
		raw[3] = (uint8_t)(1 + rand() % 254);
	}
	assert_non_null(inet_ntop(family, raw, text, (socklen_t)len));
}

/* Words whose checksum contribution is extreme: all-ones / all-zero fields. */
static void
extreme(uint8_t *b, size_t n)
{
	memset(b, (rand() & 1) ? 0xff : 0x00, n);
}

/*
 * The IPv4 rewrite with a flow's checksum changes made beforehand
 * (sg_dp_nat4_ck_make(), sg_dp_nat_rewrite4_ck()) of the frame @p frame
 * (parsed into @p p) to @p src : @p sport -> @p dst : @p dport must give
 * @p want, the reference's bytes: as a forward (the frame from a client to
 * a VIP) and as a return (from a member to a NAT address). Returns 1.
 */
static unsigned int
check_ck_rewrites(const uint8_t *frame, size_t len, const struct sg_dp_pkt *p, const uint8_t *src,
		  uint16_t sport, const uint8_t *dst, uint16_t dport, const uint8_t *want)
{
	uint16_t ck[SG_DP_NAT4_CK_N];
	struct rte_mbuf *m;

	/* forward: the frame's source is the client, its destination the VIP */
	sg_dp_nat4_ck_make(ck, p->key.src, p->key.sport, p->key.dst, p->key.dport, src, sport, dst,
			   dport);
	m = mbuf_from(frame, len);
	sg_dp_nat_rewrite4_ck(m, p, src, sport, dst, dport, ck[SG_DP_NAT4_CK_FWD_IP],
			      ck[SG_DP_NAT4_CK_FWD_L4]);
	assert_bytes(rte_pktmbuf_mtod(m, const uint8_t *), len, want, len);
	rte_pktmbuf_free(m);
	/* return: the frame's source is the member, its destination the NAT address */
	sg_dp_nat4_ck_make(ck, dst, dport, src, sport, p->key.dst, p->key.dport, p->key.src,
			   p->key.sport);
	m = mbuf_from(frame, len);
	sg_dp_nat_rewrite4_ck(m, p, src, sport, dst, dport, ck[SG_DP_NAT4_CK_RET_IP],
			      ck[SG_DP_NAT4_CK_RET_L4]);
	assert_bytes(rte_pktmbuf_mtod(m, const uint8_t *), len, want, len);
	rte_pktmbuf_free(m);
	return 1;
}

static void
test_rewrite_matches_reference(void **state)
{
	static uint8_t frame[256], want[256];
	unsigned int t, n_valid = 0, n_udp0 = 0, n_bad = 0, n_ck = 0;

	(void)state;
	srand(17);
	for (t = 0; t < TRIALS; t++) {
		int family = (t & 1) ? AF_INET6 : AF_INET;
		bool udp = (t & 2) != 0;
		unsigned int alen = family == AF_INET ? 4 : 16, kind = (unsigned int)rand() % 8;
		char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
		uint8_t raw[16], ip[192], src[16] = {0}, dst[16] = {0}, payload[64];
		size_t plen = (size_t)rand() % sizeof(payload), len, k;
		uint16_t sport, dport;
		struct rte_mbuf *m;
		struct sg_dp_pkt p;

		rand_addr(family, s, sizeof(s), raw);
		rand_addr(family, d, sizeof(d), raw);
		for (k = 0; k < plen; k++)
			payload[k] = (uint8_t)rand();
		len = udp ? pb_ip_udp(ip, s, d, (uint16_t)rand(), (uint16_t)(rand() | 1), payload,
				      plen)
			  : pb_ip_tcp(ip, s, d, (uint16_t)rand(), (uint16_t)(rand() | 1),
				      RTE_TCP_ACK_FLAG, 64, payload, plen);
		if (family == AF_INET) {
			ip[8] = (uint8_t)(2 + rand() % 254); /* TTL */
			pb_fix_ip4_csum(ip);
		} else {
			ip[7] = (uint8_t)(2 + rand() % 254); /* hop limit */
		}
		for (k = 0; k < alen; k++) {
			src[k] = (uint8_t)rand();
			dst[k] = (uint8_t)rand();
		}
		sport = (uint16_t)rand();
		dport = (uint16_t)rand();
		if (kind == 0) { /* extreme words in and out */
			extreme(src, alen);
			extreme(dst, alen);
			extreme((uint8_t *)&sport, 2);
		} else if (kind == 1 && udp && family == AF_INET) { /* no UDP checksum */
			size_t off = (ip[0] & 0xfu) * 4u + 6u;

			ip[off] = ip[off + 1] = 0;
			n_udp0++;
		} else if (kind == 2) { /* a wrong L4 checksum stays as wrong */
			ip[(family == AF_INET ? 20 : 40) + (udp ? 6 : 16)] ^= 0x5a;
			n_bad++;
		}
		len = pb_frame_ip(frame, L2_GW, ip, len);
		m = mbuf_from(frame, len);
		assert_int_equal(sg_dp_pkt_parse(m, &p), SG_DP_CNT_MAX);
		memcpy(want, frame, len);
		ref_rewrite(want + p.l2_len, &p, src, rte_cpu_to_be_16(sport), dst,
			    rte_cpu_to_be_16(dport));
		sg_dp_nat_rewrite(m, &p, src, rte_cpu_to_be_16(sport), dst,
				  rte_cpu_to_be_16(dport));
		assert_bytes(rte_pktmbuf_mtod(m, const uint8_t *), len, want, len);
		if (family == AF_INET)
			n_ck += check_ck_rewrites(frame, len, &p, src, rte_cpu_to_be_16(sport), dst,
						  rte_cpu_to_be_16(dport), want);
		if (kind != 2) {
			assert_int_equal(pb_check_csums(want + p.l2_len), 0);
			n_valid++;
		}
		rte_pktmbuf_free(m);
	}
	assert_true(n_valid > TRIALS / 2 && n_udp0 > 100 && n_bad > 1000);
	assert_int_equal(n_ck, TRIALS / 2);
}

/*
 * A UDP datagram whose updated checksum comes out as zero is sent with
 * 0xffff (RFC 768): found by search over the source port.
 */
static void
test_udp_zero_result(void **state)
{
	static uint8_t frame[128];
	uint8_t ip[64], src[4] = {198, 18, 1, 100}, dst[4] = {198, 18, 1, 11};
	unsigned int sport, hits = 0;
	size_t len;

	(void)state;
	len = pb_ip_udp(ip, "198.19.0.1", "198.18.10.2", 1024, 53, "abcd", 4);
	len = pb_frame_ip(frame, L2_GW, ip, len);
	for (sport = 1; sport < 65536 && hits == 0; sport++) {
		struct rte_mbuf *m = mbuf_from(frame, len);
		struct sg_dp_pkt p;
		uint16_t ck;

		assert_int_equal(sg_dp_pkt_parse(m, &p), SG_DP_CNT_MAX);
		sg_dp_nat_rewrite(m, &p, src, rte_cpu_to_be_16((uint16_t)sport), dst,
				  rte_cpu_to_be_16(5353));
		memcpy(&ck, rte_pktmbuf_mtod_offset(m, uint8_t *, p.l2_len + p.l3_len + 6), 2);
		assert_int_not_equal(ck, 0); /* never "no checksum" */
		if (ck == 0xffff) {
			assert_int_equal(
				pb_check_csums(rte_pktmbuf_mtod_offset(m, uint8_t *, p.l2_len)), 0);
			hits++;
		}
		rte_pktmbuf_free(m);
	}
	assert_int_equal(hits, 1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite_matches_reference),
		cmocka_unit_test(test_udp_zero_result),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
