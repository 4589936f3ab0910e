/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of control/health.c on a fake clock: the rise/fall state
 * machine, check scheduling (interval + jitter, one in flight), passive
 * ejection (threshold, doubling, max_ejected_pct, unknown names), drains
 * with deadlines (member and all) and a reload that keeps state.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"

#define S_NS 1000000000ull

static struct sg_ctl_clock clk;
static struct sg_cfg_member mem[2][8];
static struct sg_cfg_pool pools[2];
static struct sg_cfg cfg;

/* Pool "web" (tcp check, rise 2, fall 3) with @p n_web members, pool "app" (passive only, 4). */
static void
build(unsigned int n_web)
{
	unsigned int p, i;

	memset(&cfg, 0, sizeof(cfg));
	memset(pools, 0, sizeof(pools));
	memset(mem, 0, sizeof(mem));
	for (p = 0; p < 2; p++) {
		snprintf(pools[p].name, sizeof(pools[p].name), "%s", p == 0 ? "web" : "app");
		pools[p].members = mem[p];
		pools[p].n_members = p == 0 ? n_web : 4;
		for (i = 0; i < pools[p].n_members; i++) {
			snprintf(mem[p][i].name, sizeof(mem[p][i].name), "m%u", i);
			mem[p][i].addr.family = AF_INET;
			mem[p][i].addr.v4 = htonl(0xc6120000u + 10 * p + i); /* 198.18.0.x */
			mem[p][i].port = 8080;
		}
	}
	pools[0].check = (struct sg_cfg_health_check){.type = SG_CFG_CHECK_TCP,
						      .interval_ms = 1000,
						      .timeout_ms = 500,
						      .rise = 2,
						      .fall = 3};
	pools[1].passive = (struct sg_cfg_passive){
		.consecutive_failures = 5, .ejection_s = 30, .max_ejected_pct = 50};
	cfg.pools = pools;
	cfg.n_pools = 2;
}

static int
setup(void **state)
{
	static struct sg_ctl_health h;

	clk.now_ns = 1000 * S_NS;
	build(3);
	sg_ctl_health_init(&h, &clk, NULL, NULL);
	assert_int_equal(sg_ctl_health_set(&h, &cfg), 0);
	*state = &h;
	return 0;
}

static int
teardown(void **state)
{
	sg_ctl_health_fini(*state);
	return 0;
}

/* The 10 ms tick of ctl.c: ejections and drain deadlines. */
static void
tick(struct sg_ctl_health *h)
{
	sg_ctl_health_tick(h);
	sg_ctl_health_drain_tick(h);
}

static void
suspect(struct sg_ctl_health *h, const char *pool, const char *member, uint32_t failures)
{
	struct sg_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_MEMBER_SUSPECT;
	m.suspect.reason = SG_MSG_SUSPECT_RESET_EARLY;
	m.suspect.failures = failures;
	snprintf(m.suspect.pool, sizeof(m.suspect.pool), "%s", pool);
	snprintf(m.suspect.member, sizeof(m.suspect.member), "%s", member);
	sg_ctl_health_on_suspect(h, &m);
}

static void
test_rise_fall(void **state)
{
	struct sg_ctl_health *h = *state;
	int i = sg_ctl_health_find(h, "web", "m1");

	assert_int_equal(i, 1);
	assert_int_equal(sg_ctl_health_state(h, 1), SG_MSG_MEMBER_UP); /* starts up */
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_FAIL, "refused");
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_TIMEOUT, "no answer");
	assert_int_equal(sg_ctl_health_state(h, 1), SG_MSG_MEMBER_UP);
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_OK, "connected"); /* breaks the run */
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_FAIL, "refused");
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_FAIL, "refused");
	assert_int_equal(sg_ctl_health_state(h, 1), SG_MSG_MEMBER_UP);
	assert_int_equal(h->st.state_changes, 0);
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_FAIL, "refused"); /* fall = 3 */
	assert_int_equal(sg_ctl_health_state(h, 1), SG_MSG_MEMBER_DOWN);
	assert_int_equal(h->m[1].published, SG_MSG_MEMBER_DOWN);
	assert_int_equal(h->st.state_changes, 1);
	assert_non_null(strstr(h->m[1].reason, "3 checks failed"));
	assert_string_equal(h->m[1].last, "fail: refused");
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_OK, "connected");
	assert_int_equal(sg_ctl_health_state(h, 1), SG_MSG_MEMBER_DOWN);
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_OK, "connected"); /* rise = 2 */
	assert_int_equal(sg_ctl_health_state(h, 1), SG_MSG_MEMBER_UP);
	assert_int_equal(h->st.state_changes, 2);
	assert_int_equal(h->st.checks[SG_CTL_CHECK_FAIL], 4);
	assert_int_equal(h->st.checks[SG_CTL_CHECK_TIMEOUT], 1);
	assert_int_equal(h->st.checks[SG_CTL_CHECK_OK], 3);
	/* The other members were not touched. */
	assert_int_equal(sg_ctl_health_state(h, 0), SG_MSG_MEMBER_UP);
	assert_int_equal(sg_ctl_health_state(h, 2), SG_MSG_MEMBER_UP);
}

static void
test_schedule(void **state)
{
	struct sg_ctl_health *h = *state;
	unsigned int k;
	int i;

	/* New members are due at once; only the pool with a check is scheduled. */
	for (k = 0; k < 3; k++)
		assert_int_equal(sg_ctl_health_due(h, k), (int)k);
	assert_int_equal(sg_ctl_health_due(h, 0), -1); /* all in flight: one per member */
	sg_ctl_health_result(h, 0, SG_CTL_CHECK_OK, "connected");
	assert_true(h->m[0].next_ns >= clk.now_ns + 1000 * 1000000ull);
	assert_true(h->m[0].next_ns <= clk.now_ns + 1100 * 1000000ull); /* <= 10 % jitter */
	assert_int_equal(sg_ctl_health_due(h, 0), -1);
	clk.now_ns += 1100 * 1000000ull;
	i = sg_ctl_health_due(h, 0);
	assert_int_equal(i, 0);
	sg_ctl_health_cancelled(h, 0);
	assert_false(h->m[0].inflight);
	assert_int_equal(sg_ctl_health_due(h, 0), 0);
}

static void
test_passive(void **state)
{
	struct sg_ctl_health *h = *state;
	int a0 = sg_ctl_health_find(h, "app", "m0");
	int a1 = sg_ctl_health_find(h, "app", "m1");
	int a2 = sg_ctl_health_find(h, "app", "m2");

	assert_true(a0 >= 0 && a1 >= 0 && a2 >= 0);
	/* Passive-only pool: no active check is ever due. */
	assert_int_equal(sg_ctl_health_due(h, (unsigned int)a0), -1);
	suspect(h, "app", "m0", 4); /* below consecutive_failures */
	assert_int_equal(h->st.suspects_ignored, 1);
	suspect(h, "nope", "m0", 9);
	suspect(h, "app", "m9", 9);
	assert_int_equal(h->st.suspects_unknown, 2);
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)a0), SG_MSG_MEMBER_UP);
	suspect(h, "app", "m0", 5);
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)a0), SG_MSG_MEMBER_DOWN);
	assert_int_equal(h->m[a0].ejected_until_ns, clk.now_ns + 30 * S_NS);
	assert_int_equal(h->st.ejections, 1);
	suspect(h, "app", "m0", 6); /* already out */
	assert_int_equal(h->st.ejections, 1);
	/* 2 of 4 out is 50 %: allowed; a third is refused. */
	suspect(h, "app", "m1", 5);
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)a1), SG_MSG_MEMBER_DOWN);
	suspect(h, "app", "m2", 5);
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)a2), SG_MSG_MEMBER_UP);
	assert_int_equal(h->st.ejections_refused, 1);
	/* Back after ejection_s. */
	clk.now_ns += 29 * S_NS;
	tick(h);
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)a0), SG_MSG_MEMBER_DOWN);
	clk.now_ns += 1 * S_NS;
	tick(h);
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)a0), SG_MSG_MEMBER_UP);
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)a1), SG_MSG_MEMBER_UP);
	/* Ejected again within 10x the time: twice as long; then four times. */
	clk.now_ns += 60 * S_NS;
	suspect(h, "app", "m0", 5);
	assert_int_equal(h->m[a0].ejected_until_ns - clk.now_ns, 60 * S_NS);
	clk.now_ns += 60 * S_NS;
	tick(h);
	suspect(h, "app", "m0", 5);
	assert_int_equal(h->m[a0].ejected_until_ns - clk.now_ns, 120 * S_NS);
	assert_int_equal(h->m[a0].ejections, 3);
	/* Long after the last one: the base time again. */
	clk.now_ns += 120 * S_NS;
	tick(h);
	clk.now_ns += 2400 * S_NS;
	suspect(h, "app", "m0", 5);
	assert_int_equal(h->m[a0].ejected_until_ns - clk.now_ns, 30 * S_NS);
}

static void
test_suspect_active(void **state)
{
	struct sg_ctl_health *h = *state;

	sg_ctl_health_result(h, 2, SG_CTL_CHECK_OK, "connected"); /* next check in ~1 s */
	assert_int_equal(sg_ctl_health_due(h, 2), -1);
	suspect(h, "web", "m2", 5); /* pool with a check: confirm it at once */
	assert_int_equal(h->st.checks_now, 1);
	assert_int_equal(sg_ctl_health_state(h, 2), SG_MSG_MEMBER_UP); /* not ejected */
	assert_int_equal(sg_ctl_health_due(h, 2), 2);
}

static void
test_drain(void **state)
{
	struct sg_ctl_health *h = *state;

	sg_ctl_health_drain(h, 0, 10);
	assert_int_equal(sg_ctl_health_state(h, 0), SG_MSG_MEMBER_DRAIN);
	clk.now_ns += 9 * S_NS;
	tick(h);
	assert_int_equal(sg_ctl_health_state(h, 0), SG_MSG_MEMBER_DRAIN);
	clk.now_ns += 1 * S_NS;
	tick(h);
	assert_int_equal(sg_ctl_health_state(h, 0), SG_MSG_MEMBER_RESET);
	/* Down by checks while drained: undrain shows the checks' verdict. */
	sg_ctl_health_result(h, 0, SG_CTL_CHECK_FAIL, "refused");
	sg_ctl_health_result(h, 0, SG_CTL_CHECK_FAIL, "refused");
	sg_ctl_health_result(h, 0, SG_CTL_CHECK_FAIL, "refused");
	assert_int_equal(sg_ctl_health_state(h, 0), SG_MSG_MEMBER_RESET);
	sg_ctl_health_undrain(h, 0);
	assert_int_equal(sg_ctl_health_state(h, 0), SG_MSG_MEMBER_DOWN);
	/* All: every member drains, the deadline resets them all, undrain all restores. */
	sg_ctl_health_drain(h, 1, 0); /* no deadline */
	sg_ctl_health_drain_all(h, 5);
	for (unsigned int i = 0; i < h->n; i++)
		assert_int_equal(sg_ctl_health_state(h, i), SG_MSG_MEMBER_DRAIN);
	clk.now_ns += 5 * S_NS;
	tick(h);
	for (unsigned int i = 0; i < h->n; i++)
		assert_int_equal(sg_ctl_health_state(h, i), SG_MSG_MEMBER_RESET);
	sg_ctl_health_undrain_all(h);
	assert_int_equal(sg_ctl_health_state(h, 0), SG_MSG_MEMBER_DOWN);
	assert_int_equal(sg_ctl_health_state(h, 1), SG_MSG_MEMBER_DRAIN); /* its own drain */
	assert_int_equal(sg_ctl_health_state(h, 2), SG_MSG_MEMBER_UP);
	assert_int_equal(h->m[1].published, SG_MSG_MEMBER_DRAIN);
}

static void
test_reload(void **state)
{
	struct sg_ctl_health *h = *state;
	int i;

	sg_ctl_health_result(h, 1, SG_CTL_CHECK_FAIL, "refused");
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_FAIL, "refused");
	sg_ctl_health_result(h, 1, SG_CTL_CHECK_FAIL, "refused");
	sg_ctl_health_drain(h, 2, 0);
	/* m0 removed, m3 added (m1, m2 move to slots 0 and 1 of the file: kept by name). */
	build(4);
	memmove(&mem[0][0], &mem[0][1], 3 * sizeof(mem[0][0]));
	pools[0].n_members = 3;
	assert_int_equal(sg_ctl_health_set(h, &cfg), 0);
	assert_int_equal(sg_ctl_health_find(h, "web", "m0"), -ENOENT);
	i = sg_ctl_health_find(h, "web", "m1");
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)i), SG_MSG_MEMBER_DOWN);
	assert_int_equal(h->m[i].checks[SG_CTL_CHECK_FAIL], 3);
	i = sg_ctl_health_find(h, "web", "m2");
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)i), SG_MSG_MEMBER_DRAIN);
	i = sg_ctl_health_find(h, "web", "m3");
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)i), SG_MSG_MEMBER_UP);
	assert_int_equal(sg_ctl_health_due(h, (unsigned int)i), i); /* new: checked at once */
	/* The check removed: the checks' verdict lapses. */
	pools[0].check.type = SG_CFG_CHECK_NONE;
	assert_int_equal(sg_ctl_health_set(h, &cfg), 0);
	i = sg_ctl_health_find(h, "web", "m1");
	assert_int_equal(sg_ctl_health_state(h, (unsigned int)i), SG_MSG_MEMBER_UP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rise_fall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schedule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suspect_active, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
