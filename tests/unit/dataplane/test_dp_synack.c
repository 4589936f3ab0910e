/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prebuilt SYN-ACK templates (session/synack.h): for IPv4 and IPv6, with
 * and without a VLAN tag and payload in the SYN, every option layout
 * (timestamps, SACK permitted, window scale on or off) and many addresses,
 * ports, sequence numbers and windows (to reach every checksum carry), the
 * template's SYN-ACK is byte for byte the one sg_dp_tcpgen_synack() builds
 * (headers, lengths and mbuf metadata), and its checksums verify.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "dp_test.h"
#include "session/synack.h"
#include "session/tcpgen.h"

/* A SYN from a client address varied by @p i, parsed into @p p. */
static struct rte_mbuf *
syn_frame(bool v6, size_t payload, unsigned int i, struct sg_dp_pkt *p)
{
	uint8_t b[PKT_MAX];
	char src[64];
	size_t n;
	struct rte_mbuf *m;

	if (v6)
		(void)snprintf(src, sizeof(src), "2001:2:%x:99::%x", i & 0xffff,
			       (i * 7919) & 0xffff);
	else
		(void)snprintf(src, sizeof(src), "198.18.%u.%u", i & 1, (i * 37) & 0xff);
	n = v6 ? pb_frame_tcp6(b, L2_GW, src, "2001:2:0:10::3", (uint16_t)(1024 + i * 131), 443,
			       RTE_TCP_SYN_FLAG, 60, payload)
	       : pb_frame_tcp4(b, L2_GW, src, "198.18.10.3", (uint16_t)(1024 + i * 131), 80,
			       RTE_TCP_SYN_FLAG, 60, payload);
	m = mbuf_from(b, n);
	assert_non_null(m);
	assert_int_equal(sg_dp_pkt_parse(m, p), SG_DP_CNT_MAX);
	return m;
}

static void
assert_same(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	assert_int_equal(rte_pktmbuf_data_len(a), rte_pktmbuf_data_len(b));
	assert_int_equal(rte_pktmbuf_pkt_len(a), rte_pktmbuf_pkt_len(b));
	assert_int_equal(a->l2_len, b->l2_len);
	assert_int_equal(a->l3_len, b->l3_len);
	assert_int_equal(a->l4_len, b->l4_len);
	assert_int_equal(a->ol_flags, b->ol_flags);
	assert_memory_equal(rte_pktmbuf_mtod(a, const void *), rte_pktmbuf_mtod(b, const void *),
			    rte_pktmbuf_data_len(a));
}

static void
assert_csum_ok(const struct rte_mbuf *m, bool v6)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	const void *th = ip + m->l3_len;

	if (v6) {
		assert_int_equal(rte_ipv6_udptcp_cksum_verify((const void *)ip, th), 0);
	} else {
		assert_int_equal(rte_ipv4_cksum((const void *)ip), 0);
		assert_int_equal(rte_ipv4_udptcp_cksum_verify((const void *)ip, th), 0);
	}
}

static void
test_same_as_builder(void **state)
{
	unsigned int fam, layout, i, n = 0;

	(void)state;
	srand(17);
	for (fam = 0; fam < 2; fam++)
		for (layout = 0; layout < 8; layout++)
			for (i = 0; i < 64; i++) {
				bool v6 = fam == 1;
				struct sg_dp_tcp_opts o = {
					.mss = (uint16_t)(536 + rand() % 9000),
					.wscale = (uint8_t)(rand() % 16), /* 15: clamped to 14 */
					.has_ts = (layout & 1) != 0,
					.sack_ok = (layout & 2) != 0,
					.has_wscale = (layout & 4) != 0,
					.tsval = (uint32_t)rand() * 2654435761u,
					.tsecr = (uint32_t)rand() ^ 0xffff0000u,
				};
				uint32_t seq = (uint32_t)rand() * 40503u, ack = (uint32_t)rand();
				uint16_t win = i == 0 ? 65535 : (uint16_t)rand();
				struct sg_dp_pkt p, q;
				struct rte_mbuf *a = syn_frame(v6, i % 3 == 0 ? 100 : 0, i, &p);
				struct rte_mbuf *b = syn_frame(v6, i % 3 == 0 ? 100 : 0, i, &q);

				assert_int_equal(sg_dp_tcpgen_synack(a, &p, seq, ack, win, &o), 0);
				assert_int_equal(sg_dp_synack_build(b, &q, seq, ack, win, &o), 0);
				assert_same(a, b);
				assert_csum_ok(b, v6);
				assert_int_equal(sg_dp_pkt_parse(b, &q), SG_DP_CNT_MAX);
				rte_pktmbuf_free(a);
				rte_pktmbuf_free(b);
				n++;
			}
	assert_int_equal(n, 2 * 8 * 64);
}

static void
test_errors(void **state)
{
	const struct sg_dp_tcp_opts none = {.mss = 0}, o = {.mss = 1460};
	struct sg_dp_pkt p;
	struct rte_mbuf *m = syn_frame(false, 0, 1, &p);

	(void)state;
	/* no MSS: the templates all carry one */
	assert_int_equal(sg_dp_synack_build(m, &p, 1, 2, 3, &none), -EINVAL);
	p.key.proto = IPPROTO_UDP;
	assert_int_equal(sg_dp_synack_build(m, &p, 1, 2, 3, &o), -EINVAL);
	p.key.proto = IPPROTO_TCP;
	p.key.family = 0;
	assert_int_equal(sg_dp_synack_build(m, &p, 1, 2, 3, &o), -EINVAL);
	p.key.family = AF_INET;
	p.l3_len = 2000; /* headers beyond the first segment */
	assert_int_equal(sg_dp_synack_build(m, &p, 1, 2, 3, &o), -EINVAL);
	rte_pktmbuf_free(m);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_builder),
		cmocka_unit_test(test_errors),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
