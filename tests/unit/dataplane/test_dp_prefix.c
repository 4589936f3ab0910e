/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source-prefix limits of brokered sessions (session/prefix.h, issue
 * 12 defect 1): held sessions per /24 or /64, the rate of new sessions per
 * prefix, and a prefix that collides with a flooding one in one row of the
 * count-min table still admitted.
 */
#include <errno.h>
#include <string.h>

#include "dp_test.h"
#include "session/prefix.h"

#define HZ 1000000ull /* a clock of 1 MHz: 1 tick = 1 us */

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static struct sg_dp_flow_key
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct sg_dp_flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.src[0] = a;
	k.src[1] = b;
	k.src[2] = c;
	k.src[3] = d;
	return k;
}

static void
test_pfx_held(void **state)
{
	static struct sg_dp_pfx_tab t;
	struct sg_dp_flow_key a = v4(198, 18, 0, 2), a2 = v4(198, 18, 0, 200);
	struct sg_dp_flow_key b = v4(198, 18, 1, 2);
	struct sg_dp_pfx_ref ra, ra2, rb;
	unsigned int i;

	(void)state;
	sg_dp_pfx_init(&t, 3, 0, 0, HZ, key);
	ra = sg_dp_pfx_of(&t, &a);
	ra2 = sg_dp_pfx_of(&t, &a2);
	rb = sg_dp_pfx_of(&t, &b);
	/* the same /24 is one prefix */
	assert_memory_equal(&ra, &ra2, sizeof(ra));
	for (i = 0; i < 3; i++)
		assert_int_equal(sg_dp_pfx_admit(&t, i % 2 ? ra : ra2, 1000), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, ra2, 1000), -ENOSPC);
	assert_int_equal(sg_dp_pfx_admit(&t, rb, 1000), 0); /* another /24 */
	sg_dp_pfx_release(&t, ra);
	assert_int_equal(sg_dp_pfx_admit(&t, ra, 1000), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, ra, 1000), -ENOSPC);
}

static void
test_pfx_v6_64(void **state)
{
	static struct sg_dp_pfx_tab t;
	struct sg_dp_flow_key a, b;
	struct sg_dp_pfx_ref ra, rb;

	(void)state;
	sg_dp_pfx_init(&t, 1, 0, 0, HZ, key);
	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.src[0] = 0x20;
	a.src[1] = 0x01;
	a.src[3] = 0x02;
	b = a;
	a.src[15] = 1;
	b.src[15] = 2; /* the same /64 */
	b.src[8] = 0xff;
	ra = sg_dp_pfx_of(&t, &a);
	rb = sg_dp_pfx_of(&t, &b);
	assert_memory_equal(&ra, &rb, sizeof(ra));
	assert_int_equal(sg_dp_pfx_admit(&t, ra, 1), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, rb, 1), -ENOSPC);
}

static void
test_pfx_rate(void **state)
{
	static struct sg_dp_pfx_tab t;
	struct sg_dp_flow_key a = v4(198, 19, 7, 1);
	struct sg_dp_pfx_ref r;
	uint64_t now = 5 * HZ;
	unsigned int i;

	(void)state;
	/* 10 per second, bursts of 5 */
	sg_dp_pfx_init(&t, 0, 10, 5, HZ, key);
	r = sg_dp_pfx_of(&t, &a);
	for (i = 0; i < 5; i++)
		assert_int_equal(sg_dp_pfx_admit(&t, r, now), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, r, now), -EBUSY);
	/* a connection that sends no SESSION_NEW neither checks nor spends the rate */
	assert_int_equal(sg_dp_pfx_admit_held(&t, r), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, r, now), -EBUSY);
	/* a tenth of a second later: one more */
	now += HZ / 10;
	assert_int_equal(sg_dp_pfx_admit(&t, r, now), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, r, now), -EBUSY);
	/* a second later: the burst again */
	now += HZ;
	for (i = 0; i < 5; i++)
		assert_int_equal(sg_dp_pfx_admit(&t, r, now), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, r, now), -EBUSY);
}

/* A prefix sharing one slot with a full one is admitted through its other row. */
static void
test_pfx_collision(void **state)
{
	static struct sg_dp_pfx_tab t;
	struct sg_dp_flow_key atk = v4(198, 18, 64, 1), k;
	struct sg_dp_pfx_ref ra, r;
	unsigned int i, c;
	bool found = false;

	(void)state;
	sg_dp_pfx_init(&t, 2, 0, 0, HZ, key);
	ra = sg_dp_pfx_of(&t, &atk);
	assert_int_equal(sg_dp_pfx_admit(&t, ra, 1), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, ra, 1), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, ra, 1), -ENOSPC);
	for (c = 0; c < 65536 && !found; c++) {
		k = v4(10, (uint8_t)(c >> 8), (uint8_t)c, 1); /* 65,536 other /24s */
		r = sg_dp_pfx_of(&t, &k);
		found = r.slot[0] == ra.slot[0] && r.slot[1] != ra.slot[1];
	}
	assert_true(found);
	for (i = 0; i < 2; i++)
		assert_int_equal(sg_dp_pfx_admit(&t, r, 1), 0);
	assert_int_equal(sg_dp_pfx_admit(&t, r, 1), -ENOSPC);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pfx_held),
		cmocka_unit_test(test_pfx_v6_64),
		cmocka_unit_test(test_pfx_rate),
		cmocka_unit_test(test_pfx_collision),
	};

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
