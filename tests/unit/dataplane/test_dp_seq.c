/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence-number translation of spliced TCP connections: wrap-safe
 * comparisons, seq/ack/SACK rewriting across 2^32, checksums verified
 * independently after every rewrite.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "session/seq.h"

#define L4_OFF4 (RTE_ETHER_HDR_LEN + 20)
#define L4_OFF6 (RTE_ETHER_HDR_LEN + 40)

static void
test_seq_compare(void **state)
{
	(void)state;
	assert_true(sg_dp_seq_lt(1, 2));
	assert_true(sg_dp_seq_lt(0xfffffff0u, 0x10));
	assert_true(sg_dp_seq_gt(0x10, 0xfffffff0u));
	assert_true(sg_dp_seq_le(5, 5) && sg_dp_seq_ge(5, 5));
	assert_false(sg_dp_seq_lt(5, 5) || sg_dp_seq_gt(5, 5));
	assert_true(sg_dp_seq_lt(0x7fffffffu, 0x80000000u));
	assert_true(sg_dp_seq_le(0xffffffffu, 0));
	assert_false(sg_dp_seq_gt(0xffffffffu, 0));
}

/*
 * A TCP segment with @p flags, seq, ack, the option bytes @p opt (multiple
 * of 4) and 7 bytes of payload, checksums right.
 */
static size_t
segment(uint8_t *b, bool v6, uint8_t flags, uint32_t seq, uint32_t ack, const uint8_t *opt,
	size_t opt_len)
{
	size_t off =
		pb_put_eth(b, MAC_PORT0, MAC_GW, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	uint8_t *ip = b + off;
	struct rte_tcp_hdr *th;
	uint16_t l4 = (uint16_t)(20 + opt_len + 7);

	off += v6 ? pb_put_ip6(ip, CLIENT6, "2001:2:0:10::3", IPPROTO_TCP, 64, l4)
		  : pb_put_ip4(ip, CLIENT4, "198.18.10.3", IPPROTO_TCP, 64, l4);
	th = (struct rte_tcp_hdr *)(b + off);
	off += pb_put_tcp(b + off, 40000, 80, flags);
	th->sent_seq = htonl(seq);
	th->recv_ack = htonl(ack);
	th->data_off = (uint8_t)((20 + opt_len) / 4 << 4);
	if (opt_len > 0)
		memcpy(b + off, opt, opt_len);
	off += opt_len;
	for (unsigned int i = 0; i < 7; i++)
		b[off++] = (uint8_t) "payload"[i];
	pb_fix_l4_csum(ip);
	return off;
}

static const struct rte_tcp_hdr *
tcp_of(struct rte_mbuf *m, bool v6)
{
	return rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, v6 ? L4_OFF6 : L4_OFF4);
}

static void
assert_csum_ok(struct rte_mbuf *m)
{
	assert_int_equal(pb_check_csums(rte_pktmbuf_mtod_offset(m, uint8_t *, RTE_ETHER_HDR_LEN)),
			 0);
}

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static void
test_seq_rewrite_wrap(void **state)
{
	static const struct {
		uint32_t seq, ack, seq_add, ack_sub;
	} cases[] = {
		{0xfffffff0u, 0x00000010u, 0x20, 0x30}, /* seq wraps, ack wraps back */
		{0x00000005u, 0xfffffffeu, 0xfffffff0u, 0xfffffff0u}, /* huge deltas */
		{0x7fffffffu, 0x80000000u, 1, 1},
		{0, 0, 0, 0},
		{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
	};
	uint8_t b[PKT_MAX];
	unsigned int i, v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		for (i = 0; i < RTE_DIM(cases); i++) {
			size_t n = segment(b, v6, RTE_TCP_ACK_FLAG, cases[i].seq, cases[i].ack,
					   NULL, 0);
			struct rte_mbuf *m = mbuf_from(b, n);

			assert_int_equal(sg_dp_seq_rewrite(m, v6 ? L4_OFF6 : L4_OFF4,
							   cases[i].seq_add, cases[i].ack_sub),
					 0);
			assert_int_equal(ntohl(tcp_of(m, v6)->sent_seq),
					 (uint32_t)(cases[i].seq + cases[i].seq_add));
			assert_int_equal(ntohl(tcp_of(m, v6)->recv_ack),
					 (uint32_t)(cases[i].ack - cases[i].ack_sub));
			assert_csum_ok(m);
			/* the inverse restores the original bytes */
			assert_int_equal(sg_dp_seq_rewrite(m, v6 ? L4_OFF6 : L4_OFF4,
							   (uint32_t)-cases[i].seq_add,
							   (uint32_t)-cases[i].ack_sub),
					 0);
			assert_csum_ok(m);
			assert_int_equal(ntohl(tcp_of(m, v6)->sent_seq), cases[i].seq);
			rte_pktmbuf_free(m);
		}
	}
}

static void
test_seq_xlate_directions(void **state)
{
	struct sg_dp_seq_xlate x;
	uint8_t b[PKT_MAX];
	struct rte_mbuf *m;
	size_t n;

	(void)state;
	/* client ISN 100 replayed as is; server ISN 0xfffffff0, client got cookie 50 */
	sg_dp_seq_xlate_set(&x, 100, 100, 0xfffffff0u, 50);
	assert_int_equal(x.c2s, 0);
	/* client -> server: ack 51 (cookie + 1) becomes server ISN + 1 */
	n = segment(b, false, RTE_TCP_ACK_FLAG, 101, 51, NULL, 0);
	m = mbuf_from(b, n);
	assert_int_equal(sg_dp_seq_to_server(&x, m, L4_OFF4), 0);
	assert_int_equal(ntohl(tcp_of(m, false)->sent_seq), 101);
	assert_int_equal(ntohl(tcp_of(m, false)->recv_ack), 0xfffffff1u);
	assert_csum_ok(m);
	rte_pktmbuf_free(m);
	/* server -> client: seq 0x5 (past the wrap) becomes 50 + 0x15 */
	n = segment(b, false, RTE_TCP_ACK_FLAG, 0x5, 101, NULL, 0);
	m = mbuf_from(b, n);
	assert_int_equal(sg_dp_seq_to_client(&x, m, L4_OFF4), 0);
	assert_int_equal(ntohl(tcp_of(m, false)->sent_seq), 50 + 0x15);
	assert_int_equal(ntohl(tcp_of(m, false)->recv_ack), 101);
	assert_csum_ok(m);
	rte_pktmbuf_free(m);
	/* without ACK the ack field is left alone */
	n = segment(b, false, RTE_TCP_SYN_FLAG, 7, 1234, NULL, 0);
	m = mbuf_from(b, n);
	assert_int_equal(sg_dp_seq_rewrite(m, L4_OFF4, 10, 20), 0);
	assert_int_equal(ntohl(tcp_of(m, false)->sent_seq), 17);
	assert_int_equal(ntohl(tcp_of(m, false)->recv_ack), 1234);
	assert_csum_ok(m);
	rte_pktmbuf_free(m);
}

static void
test_seq_sack(void **state)
{
	/* NOP NOP SACK(2 blocks) + TS-less padding: blocks at even offsets */
	static const uint8_t even[] = {0x01, 0x01, 0x05, 0x12, 0xff, 0xff, 0xff, 0xf0, 0x00, 0x00,
				       0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x30};
	/* NOP SACK(1 block) NOP NOP NOP: block edges at odd offsets */
	static const uint8_t odd[] = {0x01, 0x05, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x00,
				      0x00, 0x00, 0x08, 0x01, 0x01, 0x01, 0x00, 0x00};
	static const uint8_t bad[] = {0x05, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	uint8_t b[PKT_MAX], before[PKT_MAX];
	struct rte_mbuf *m;
	const uint8_t *o;
	size_t n;
	unsigned int v6;

	(void)state;
	for (v6 = 0; v6 < 2; v6++) {
		unsigned int l4 = v6 ? L4_OFF6 : L4_OFF4;

		n = segment(b, v6, RTE_TCP_ACK_FLAG, 1, 0x20, even, sizeof(even));
		m = mbuf_from(b, n);
		assert_int_equal(sg_dp_seq_rewrite(m, (uint16_t)l4, 0, 0x20), 0);
		o = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4 + 20);
		assert_int_equal(rd32(o + 4), 0xffffffd0u);
		assert_int_equal(rd32(o + 8), 0xfffffff0u);
		assert_int_equal(rd32(o + 12), 0);
		assert_int_equal(rd32(o + 16), 0x10);
		assert_int_equal(ntohl(tcp_of(m, v6)->recv_ack), 0);
		assert_csum_ok(m);
		rte_pktmbuf_free(m);

		n = segment(b, v6, RTE_TCP_ACK_FLAG, 1, 2, odd, sizeof(odd));
		m = mbuf_from(b, n);
		assert_int_equal(sg_dp_seq_rewrite(m, (uint16_t)l4, 5, 0xfffffffeu), 0);
		o = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4 + 20);
		assert_int_equal(rd32(o + 3), 1);
		assert_int_equal(rd32(o + 7), 10);
		assert_int_equal(ntohl(tcp_of(m, v6)->recv_ack), 4);
		assert_int_equal(ntohl(tcp_of(m, v6)->sent_seq), 6);
		assert_csum_ok(m);
		rte_pktmbuf_free(m);

		/* malformed SACK length: refused, nothing changed */
		n = segment(b, v6, RTE_TCP_ACK_FLAG, 1, 2, bad, sizeof(bad));
		memcpy(before, b, n);
		m = mbuf_from(b, n);
		assert_int_equal(sg_dp_seq_rewrite(m, (uint16_t)l4, 5, 5), -EBADMSG);
		assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), before, n);
		/* header beyond the segment */
		assert_int_equal(sg_dp_seq_rewrite(m, (uint16_t)(n - 10), 5, 5), -EINVAL);
		rte_pktmbuf_free(m);
	}
}

static void
test_seq_csum_patch(void **state)
{
	uint8_t area[32];
	unsigned int off, i;

	(void)state;
	for (off = 0; off < 8; off++) {
		uint32_t v = 0xdeadbeef + off;
		uint16_t ck;

		for (i = 0; i < sizeof(area); i++)
			area[i] = (uint8_t)(i * 37 + off);
		ck = (uint16_t)~rte_raw_cksum(area, sizeof(area));
		ck = sg_dp_csum_patch(ck, area, off, &v, 4);
		/* the stored checksum and the new data sum to -0 */
		assert_int_equal(sg_dp_csum_fold((uint32_t)rte_raw_cksum(area, sizeof(area)) + ck),
				 0xffff);
	}
}

static int
setup(void **state)
{
	(void)state;
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_compare),
		cmocka_unit_test(test_seq_rewrite_wrap),
		cmocka_unit_test(test_seq_xlate_directions),
		cmocka_unit_test(test_seq_sack),
		cmocka_unit_test(test_seq_csum_patch),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, setup, NULL);
	dp_eal_fini();
	return rc;
}
