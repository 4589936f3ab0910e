/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Idle mode of the workers (dataplane/idle.c): no sleep while off or busy,
 * the first sleep after after_polls empty rounds, doubling up to max_us,
 * reset by any work; counters measured; a long sleep offline in RCU (a
 * grace period ends while the worker sleeps, not before it sleeps again).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

#include "dp_test.h"
#include "idle.h"

static const struct sg_dp_stats *
stats(void)
{
	return sg_dp_worker_stats(env.w[0]);
}

static void
test_idle_off(void **state)
{
	struct sg_cfg_idle cfg = {.enabled = false, .after_polls = 1, .min_us = 5, .max_us = 10};
	uint64_t sleeps = stats()->cnt[SG_DP_EV_IDLE_SLEEPS];
	struct sg_dp_idle s;

	(void)state;
	assert_int_equal(sg_dp_idle_init(&s, &cfg, env.w[0], NULL, 0), 0);
	assert_false(sg_dp_idle_enabled(&s));
	assert_true(sg_dp_idle_rings_busy(&s)); /* off: the rings are not read */
	for (unsigned int i = 0; i < 100000; i++)
		sg_dp_idle_round(&s, false);
	assert_int_equal(stats()->cnt[SG_DP_EV_IDLE_SLEEPS], sleeps);
	assert_int_equal(sg_dp_idle_init(&s, NULL, env.w[0], NULL, 0), 0);
	assert_false(sg_dp_idle_enabled(&s));
	assert_int_equal(sg_dp_idle_init(&s, &cfg, NULL, NULL, 0), -EINVAL);
}

/* One round; returns the sleep it took in us (0: none), from the counters. */
static uint32_t
round_sleep(struct sg_dp_idle *s, bool busy)
{
	uint64_t n = stats()->cnt[SG_DP_EV_IDLE_SLEEPS];

	sg_dp_idle_round(s, busy);
	return stats()->cnt[SG_DP_EV_IDLE_SLEEPS] == n ? 0 : s->next_us;
}

static void
test_idle_backoff(void **state)
{
	struct sg_cfg_idle cfg = {.enabled = true, .after_polls = 3, .min_us = 5, .max_us = 40};
	static const uint32_t want[] = {0, 0, 0, 5, 10, 20, 40, 40, 40};
	uint64_t us0 = stats()->cnt[SG_DP_EV_IDLE_SLEEP_US];
	uint64_t n0 = stats()->cnt[SG_DP_EV_IDLE_SLEEPS];
	uint64_t asked = 0;
	struct sg_dp_idle s;

	(void)state;
	assert_int_equal(sg_dp_idle_init(&s, &cfg, env.w[0], NULL, 0), 0);
	assert_true(sg_dp_idle_enabled(&s));
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < RTE_DIM(want); i++) {
			assert_int_equal(round_sleep(&s, false), want[i]);
			asked += want[i];
		}
		/* work resets it: polling again, then min_us first */
		assert_int_equal(round_sleep(&s, true), 0);
	}
	assert_int_equal(stats()->cnt[SG_DP_EV_IDLE_SLEEPS] - n0, 12);
	/* measured: at least what was asked (a sleep never ends early) */
	assert_true(stats()->cnt[SG_DP_EV_IDLE_SLEEP_US] - us0 >= asked - 12);
}

static void
test_idle_bounds(void **state)
{
	struct sg_cfg_idle cfg = {.enabled = true, .after_polls = 0, .min_us = 0, .max_us = 0};
	struct sg_dp_idle s;

	(void)state;
	/* a hand-built configuration's zeros: the defaults */
	assert_int_equal(sg_dp_idle_init(&s, &cfg, env.w[0], NULL, 0), 0);
	assert_int_equal(s.min_us, SG_DP_IDLE_MIN_US_DEFAULT);
	assert_int_equal(s.max_us, SG_DP_IDLE_MAX_US_DEFAULT);
	assert_int_equal(round_sleep(&s, false), SG_DP_IDLE_MIN_US_DEFAULT); /* after_polls 0 */
	cfg = (struct sg_cfg_idle){
		.enabled = true, .after_polls = UINT32_MAX, .min_us = 900000, .max_us = 800000};
	assert_int_equal(sg_dp_idle_init(&s, &cfg, env.w[0], NULL, 0), 0);
	assert_int_equal(s.max_us, SG_DP_IDLE_MAX_US_LIMIT);
	assert_int_equal(s.min_us, SG_DP_IDLE_MAX_US_LIMIT);
	assert_int_equal(s.after_polls, SG_DP_IDLE_AFTER_LIMIT);
	assert_true(sg_dp_idle_enabled(&s));
}

static void
test_idle_rings(void **state)
{
	struct sg_cfg_idle cfg = {.enabled = true, .after_polls = 1, .min_us = 5, .max_us = 10};
	struct rte_ring *r[SG_DP_IDLE_RINGS_MAX + 1];
	struct sg_dp_idle s;
	void *obj = &s;

	(void)state;
	assert_int_equal(sg_dp_idle_init(&s, &cfg, env.w[0], NULL, 0), 0);
	assert_false(sg_dp_idle_rings_busy(&s)); /* none watched */
	for (unsigned int i = 0; i < RTE_DIM(r); i++) {
		char name[RTE_RING_NAMESIZE];

		(void)snprintf(name, sizeof(name), "idle_ut%u", i);
		r[i] = rte_ring_create(name, 16, SOCKET_ID_ANY, 0);
		assert_non_null(r[i]);
		assert_int_equal(sg_dp_idle_watch(&s, r[i]),
				 i < SG_DP_IDLE_RINGS_MAX ? 0 : -ENOSPC);
	}
	assert_int_equal(sg_dp_idle_watch(&s, NULL), 0); /* ignored */
	assert_int_equal(s.n_rings, SG_DP_IDLE_RINGS_MAX);
	assert_false(sg_dp_idle_rings_busy(&s));
	assert_int_equal(rte_ring_enqueue(r[SG_DP_IDLE_RINGS_MAX - 1], obj), 0);
	assert_true(sg_dp_idle_rings_busy(&s));
	for (unsigned int i = 0; i < RTE_DIM(r); i++)
		rte_ring_free(r[i]);
}

/* RCU: a reader (the test's thread) that never reports a quiescent state. */
struct rcu_probe {
	struct rte_rcu_qsbr *q;
	volatile int sleeping; /* set just before the long sleep */
	volatile int done;     /* set once it returned */
	int ended_during;      /* a grace period ended before it returned */
};

static void *
rcu_checker(void *arg)
{
	struct rcu_probe *p = arg;
	uint64_t token;

	while (!p->sleeping)
		rte_pause();
	token = rte_rcu_qsbr_start(p->q);
	while (!p->done)
		if (rte_rcu_qsbr_check(p->q, token, false) == 1) {
			p->ended_during = 1;
			break;
		}
	return NULL;
}

static void
test_idle_rcu_offline(void **state)
{
	struct sg_cfg_idle cfg = {
		.enabled = true, .after_polls = 0, .min_us = 100000, .max_us = 100000};
	struct rcu_probe p = {0};
	struct sg_dp_idle s;
	pthread_t th;
	size_t sz = rte_rcu_qsbr_get_memsize(1);

	(void)state;
	p.q = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	assert_non_null(p.q);
	assert_int_equal(rte_rcu_qsbr_init(p.q, 1), 0);
	assert_int_equal(rte_rcu_qsbr_thread_register(p.q, 0), 0);
	rte_rcu_qsbr_thread_online(p.q, 0);
	assert_int_equal(sg_dp_idle_init(&s, &cfg, env.w[0], p.q, 0), 0);
	assert_int_equal(pthread_create(&th, NULL, rcu_checker, &p), 0);
	p.sleeping = 1;
	sg_dp_idle_round(&s, false); /* 100 ms, offline */
	p.done = 1;
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(p.ended_during);
	/* online again: a new grace period waits for this thread's next report */
	assert_int_equal(rte_rcu_qsbr_check(p.q, rte_rcu_qsbr_start(p.q), false), 0);
	rte_rcu_qsbr_quiescent(p.q, 0);
	rte_rcu_qsbr_thread_offline(p.q, 0);
	rte_rcu_qsbr_thread_unregister(p.q, 0);
	free(p.q);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_off),	 cmocka_unit_test(test_idle_backoff),
		cmocka_unit_test(test_idle_bounds),	 cmocka_unit_test(test_idle_rings),
		cmocka_unit_test(test_idle_rcu_offline),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	if (env_setup(1, 1024) != 0)
		return 1;
	rc = cmocka_run_group_tests_name("dataplane idle mode", tests, NULL, NULL);
	env_teardown();
	dp_eal_fini();
	return rc;
}
