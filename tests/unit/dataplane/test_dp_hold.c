/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hold buffer of brokered sessions: in-order append, duplicates, overlap
 * trimming, out of order, the bounds (bytes and segments per session, bytes
 * and mbufs per worker, the pool reserve), peek, pop and free (mbufs and
 * budget returned).
 */
#include <errno.h>
#include <string.h>

#include "dp_test.h"
#include "session/hold.h"

#define HDR 54 /* pretend Ethernet + IPv4 + TCP headers before the payload */

static unsigned int in_use0;

/* An mbuf with HDR header bytes then @p len payload bytes: byte i = seq + i. */
static struct rte_mbuf *
seg(uint32_t seq, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(env.mp);
	uint8_t *d;
	unsigned int i;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(HDR + len));
	assert_non_null(d);
	memset(d, 0xee, HDR);
	for (i = 0; i < len; i++)
		d[HDR + i] = (uint8_t)(seq + i);
	return m;
}

static enum sg_dp_hold_result
offer(struct sg_dp_hold *h, uint32_t seq, uint16_t len)
{
	struct rte_mbuf *m = seg(seq, len);
	enum sg_dp_hold_result r = sg_dp_hold_append(h, m, HDR, len, seq);

	if (r != SG_DP_HOLD_OK)
		rte_pktmbuf_free(m);
	return r;
}

static void
assert_stream(const struct sg_dp_hold *h, uint32_t first, size_t want)
{
	uint8_t buf[4096];
	size_t n = sg_dp_hold_peek(h, buf, sizeof(buf)), i;

	assert_int_equal(n, want);
	for (i = 0; i < n; i++)
		assert_int_equal(buf[i], (uint8_t)(first + i));
}

static int
setup(void **state)
{
	(void)state;
	in_use0 = rte_mempool_in_use_count(env.mp);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rte_mempool_in_use_count(env.mp) == in_use0 ? 0 : -1;
}

static void
test_hold_in_order(void **state)
{
	struct sg_dp_hold_budget bud = {.limit = 1 << 20, .mbuf_limit = 1024};
	struct sg_dp_hold h;
	struct sg_dp_hold_seg s;
	uint8_t small[5];
	uint32_t isn = 0xfffffff0u; /* the stream wraps */

	(void)state;
	assert_int_equal(sg_dp_hold_init(&h, &bud, isn + 1, 4096, 8), 0);
	assert_int_equal(offer(&h, isn + 1, 10), SG_DP_HOLD_OK);
	assert_int_equal(offer(&h, isn + 11, 20), SG_DP_HOLD_OK);
	assert_int_equal(offer(&h, isn + 31, 1), SG_DP_HOLD_OK);
	assert_int_equal(h.next_seq, isn + 32);
	assert_int_equal(h.bytes, 31);
	assert_int_equal(bud.used, 31);
	assert_stream(&h, isn + 1, 31);
	assert_int_equal(sg_dp_hold_peek(&h, small, sizeof(small)), 5);
	assert_int_equal(small[4], (uint8_t)(isn + 5));
	assert_int_equal(offer(&h, isn + 32, 0), SG_DP_HOLD_EMPTY);
	assert_non_null(sg_dp_hold_at(&h, 2));
	assert_null(sg_dp_hold_at(&h, 3));
	/* replay order */
	assert_int_equal(sg_dp_hold_pop(&h, &s), 0);
	assert_int_equal(s.seq, isn + 1);
	assert_int_equal(s.len, 10);
	assert_int_equal(s.off, HDR);
	rte_pktmbuf_free(s.m);
	assert_int_equal(bud.used, 21);
	assert_int_equal(sg_dp_hold_pop(&h, &s), 0);
	assert_int_equal(s.seq, isn + 11);
	rte_pktmbuf_free(s.m);
	assert_int_equal(sg_dp_hold_pop(&h, &s), 0);
	rte_pktmbuf_free(s.m);
	assert_int_equal(sg_dp_hold_pop(&h, &s), -ENOENT);
	assert_int_equal(bud.used, 0);
	assert_int_equal(sg_dp_hold_init(&h, &bud, 1, 0, 8), -EINVAL);
	assert_int_equal(sg_dp_hold_init(&h, &bud, 1, 10, 0), -EINVAL);
	assert_int_equal(sg_dp_hold_init(&h, &bud, 1, 10, SG_DP_HOLD_SEGS_MAX + 1), -EINVAL);
}

static void
test_hold_dup_overlap_ooo(void **state)
{
	struct sg_dp_hold_budget bud = {.limit = 1 << 20, .mbuf_limit = 1024};
	struct sg_dp_hold h;
	struct rte_mbuf *m;

	(void)state;
	assert_int_equal(sg_dp_hold_init(&h, &bud, 0xfffffffau, 4096, 8), 0);
	assert_int_equal(offer(&h, 0xfffffffau, 10), SG_DP_HOLD_OK);  /* .. 0x3 */
	assert_int_equal(offer(&h, 0xfffffffau, 10), SG_DP_HOLD_DUP); /* retransmission */
	assert_int_equal(offer(&h, 0xfffffffcu, 4), SG_DP_HOLD_DUP);  /* inside */
	assert_int_equal(offer(&h, 0x5, 4), SG_DP_HOLD_OUT_OF_ORDER); /* hole at 0x4 */
	assert_int_equal(offer(&h, 0x80000000u, 4), SG_DP_HOLD_OUT_OF_ORDER);
	/* overlap: 0xfffffffe.. 0x9, 6 new bytes from 0x4 */
	assert_int_equal(offer(&h, 0xfffffffeu, 12), SG_DP_HOLD_OK);
	assert_int_equal(h.bytes, 16);
	assert_int_equal(sg_dp_hold_at(&h, 1)->seq, 4);
	assert_int_equal(sg_dp_hold_at(&h, 1)->len, 6);
	assert_int_equal(sg_dp_hold_at(&h, 1)->off, HDR + 6);
	assert_stream(&h, 0xfffffffau, 16);
	/* payload beyond the mbuf */
	m = seg(0xa, 4);
	assert_int_equal(sg_dp_hold_append(&h, m, HDR, 5, 0xa), SG_DP_HOLD_BAD);
	assert_int_equal(sg_dp_hold_append(&h, m, HDR + 5, 0, 0xa), SG_DP_HOLD_EMPTY);
	assert_int_equal(sg_dp_hold_append(&h, m, 100000, 4, 0xa), SG_DP_HOLD_BAD);
	rte_pktmbuf_free(m);
	sg_dp_hold_free(&h);
	assert_int_equal(bud.used, 0);
}

static void
test_hold_bounds(void **state)
{
	struct sg_dp_hold_budget bud = {.limit = 1 << 20, .mbuf_limit = 1024};
	struct sg_dp_hold h;
	unsigned int i;

	(void)state;
	/* per-session bytes */
	assert_int_equal(sg_dp_hold_init(&h, &bud, 1, 100, 8), 0);
	assert_int_equal(offer(&h, 1, 60), SG_DP_HOLD_OK);
	assert_int_equal(offer(&h, 61, 41), SG_DP_HOLD_FULL_BYTES); /* never partially */
	assert_int_equal(offer(&h, 61, 40), SG_DP_HOLD_OK);
	assert_int_equal(offer(&h, 101, 1), SG_DP_HOLD_FULL_BYTES);
	sg_dp_hold_free(&h);
	assert_int_equal(bud.used, 0);
	/* per-session segments */
	assert_int_equal(sg_dp_hold_init(&h, &bud, 1, 4096, 3), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(offer(&h, 1 + i, 1), SG_DP_HOLD_OK);
	assert_int_equal(offer(&h, 4, 1), SG_DP_HOLD_FULL_SEGS);
	assert_int_equal(offer(&h, 1, 1), SG_DP_HOLD_DUP); /* a duplicate is still a dup */
	sg_dp_hold_free(&h);
	/* full array with ring wrap: pop, then append again */
	assert_int_equal(sg_dp_hold_init(&h, &bud, 1, 1 << 20, SG_DP_HOLD_SEGS_MAX), 0);
	for (i = 0; i < 3 * SG_DP_HOLD_SEGS_MAX; i++) {
		struct sg_dp_hold_seg s;

		if (h.n == SG_DP_HOLD_SEGS_MAX) {
			assert_int_equal(offer(&h, h.next_seq, 3), SG_DP_HOLD_FULL_SEGS);
			assert_int_equal(sg_dp_hold_pop(&h, &s), 0);
			rte_pktmbuf_free(s.m);
		}
		assert_int_equal(offer(&h, h.next_seq, 3), SG_DP_HOLD_OK);
	}
	assert_stream(&h, h.next_seq - 3u * SG_DP_HOLD_SEGS_MAX, 3u * SG_DP_HOLD_SEGS_MAX);
	sg_dp_hold_free(&h);
	assert_int_equal(bud.used, 0);
}

static void
test_hold_budget_shared(void **state)
{
	struct sg_dp_hold_budget bud = {.limit = 100, .mbuf_limit = 1024};
	struct sg_dp_hold a, b;

	(void)state;
	assert_int_equal(sg_dp_hold_init(&a, &bud, 1000, 4096, 8), 0);
	assert_int_equal(sg_dp_hold_init(&b, &bud, 5000, 4096, 8), 0);
	assert_int_equal(offer(&a, 1000, 70), SG_DP_HOLD_OK);
	assert_int_equal(offer(&b, 5000, 31), SG_DP_HOLD_FULL_BUDGET);
	assert_int_equal(offer(&b, 5000, 30), SG_DP_HOLD_OK);
	assert_int_equal(bud.used, 100);
	assert_int_equal(offer(&a, 1070, 1), SG_DP_HOLD_FULL_BUDGET);
	/* freeing one session gives its bytes to the other */
	sg_dp_hold_free(&a);
	assert_int_equal(bud.used, 30);
	assert_int_equal(offer(&b, 5030, 70), SG_DP_HOLD_OK);
	assert_int_equal(offer(&b, 5100, 1), SG_DP_HOLD_FULL_BUDGET);
	sg_dp_hold_free(&b);
	assert_int_equal(bud.used, 0);
	sg_dp_hold_free(&b); /* twice is harmless */
}

static void
test_hold_chained_mbuf(void **state)
{
	struct sg_dp_hold_budget bud = {.limit = 1 << 20, .mbuf_limit = 1024};
	struct sg_dp_hold h;
	struct rte_mbuf *m1 = seg(1, 10), *m2 = rte_pktmbuf_alloc(env.mp);
	uint8_t *d;
	unsigned int i;

	(void)state;
	assert_non_null(m2);
	d = (uint8_t *)rte_pktmbuf_append(m2, 10);
	for (i = 0; i < 10; i++)
		d[i] = (uint8_t)(11 + i);
	assert_int_equal(rte_pktmbuf_chain(m1, m2), 0);
	assert_int_equal(sg_dp_hold_init(&h, &bud, 1, 4096, 8), 0);
	assert_int_equal(sg_dp_hold_append(&h, m1, HDR, 20, 1), SG_DP_HOLD_OK);
	assert_stream(&h, 1, 20);
	sg_dp_hold_free(&h);
}

/*
 * Defect 1 of issue 12: one-byte segments pin whole mbufs. The worker's
 * budget counts mbufs (a chain counts each), whatever the bytes.
 */
static void
test_hold_mbuf_budget(void **state)
{
	struct sg_dp_hold_budget bud = {.limit = 1 << 20, .mbuf_limit = 20};
	struct sg_dp_hold h[2];
	struct rte_mbuf *m1, *m2;
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++)
		assert_int_equal(sg_dp_hold_init(&h[i], &bud, 1000 * (i + 1), 4096, 16), 0);
	for (i = 0; i < 15; i++)
		assert_int_equal(offer(&h[0], 1000 + i, 1), SG_DP_HOLD_OK);
	assert_int_equal(bud.mbufs, 15);
	assert_int_equal(bud.used, 15);
	for (i = 0; i < 5; i++)
		assert_int_equal(offer(&h[1], 2000 + i, 1), SG_DP_HOLD_OK);
	assert_int_equal(offer(&h[1], 2005, 1), SG_DP_HOLD_FULL_MBUFS);
	assert_int_equal(offer(&h[0], 1015, 1), SG_DP_HOLD_FULL_MBUFS);
	sg_dp_hold_free(&h[1]);
	assert_int_equal(bud.mbufs, 15);
	/* a chain of two mbufs takes two */
	m1 = seg(2000, 1);
	m2 = seg(2001, 1);
	assert_int_equal(rte_pktmbuf_chain(m1, m2), 0);
	assert_int_equal(sg_dp_hold_init(&h[1], &bud, 2000, 4096, 16), 0);
	assert_int_equal(sg_dp_hold_append(&h[1], m1, HDR, 1, 2000), SG_DP_HOLD_OK);
	assert_int_equal(bud.mbufs, 17);
	sg_dp_hold_free(&h[0]);
	sg_dp_hold_free(&h[1]);
	assert_int_equal(bud.mbufs, 0);
	assert_int_equal(bud.used, 0);
}

/* A hold never takes the pool's last free mbufs (the reserve). */
static void
test_hold_pool_reserve(void **state)
{
	struct sg_dp_hold_budget bud = {.limit = 1 << 20, .mbuf_limit = 1 << 20, .pool = env.mp};
	struct sg_dp_hold h;

	(void)state;
	assert_int_equal(sg_dp_hold_init(&h, &bud, 1, 4096, 16), 0);
	bud.reserve = rte_mempool_avail_count(env.mp) - 2;
	/* seg() takes one mbuf: avail - 1 >= reserve */
	assert_int_equal(offer(&h, 1, 1), SG_DP_HOLD_OK);
	/* the next one leaves avail - 2 free: below the reserve once taken */
	assert_int_equal(offer(&h, 2, 1), SG_DP_HOLD_OK);
	assert_int_equal(offer(&h, 3, 1), SG_DP_HOLD_FULL_RESERVE);
	assert_int_equal(h.n, 2);
	sg_dp_hold_free(&h);
	assert_int_equal(bud.mbufs, 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_dup_overlap_ooo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_budget_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_chained_mbuf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_mbuf_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_pool_reserve, setup, teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
