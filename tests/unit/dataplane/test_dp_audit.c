/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session audit of a worker (dataplane/session/audit.c): every flow
 * with a streaming-session ID is listed once, in SESSION_ALIVE messages of
 * the audit's token, the last one flagged; a full ring or an absent
 * sg-control delays the listing and loses nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "session/audit.h"
#include "session/broker.h"

/* From dp_test.c (its header's now_s() would clash with the session layer's). */
void dp_eal_init(const char *prog);
void dp_eal_fini(void);

#define FLOWS 4096
#define LIVE  100

static struct sg_dp_worker *w;
static struct rte_ring *to_ctl;
static bool up;

static int
setup(void **state)
{
	(void)state;
	w = rte_zmalloc("ut_audit_w", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (w == NULL || sg_dp_flow_table_init(&w->ft, FLOWS, SOCKET_ID_ANY, 0) != 0)
		return -1;
	w->br = rte_zmalloc("ut_audit_br", sizeof(*w->br), RTE_CACHE_LINE_SIZE);
	/* room for one message: the audit of LIVE sessions (4 messages) meets a full ring */
	to_ctl = rte_ring_create_elem("ut_audit_ring", SG_MSG_SIZE, 2, SOCKET_ID_ANY,
				      RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->br == NULL || to_ctl == NULL)
		return -1;
	w->conf.to_ctl = to_ctl;
	w->conf.ctl_up = &up;
	up = true;
	for (unsigned int i = 0; i < LIVE; i++)
		w->ft.e[(i * 37 + 5) % FLOWS].sid = 1000 + i;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rte_ring_free(to_ctl);
	rte_free(w->br);
	sg_dp_flow_table_free(&w->ft);
	rte_free(w);
	return 0;
}

/* Take every message off the ring, checking each; @return the last flags seen. */
static unsigned int
drain(uint32_t token, unsigned int *seen)
{
	struct sg_msg m;
	unsigned int lasts = 0;

	while (rte_ring_dequeue_elem(to_ctl, &m, SG_MSG_SIZE) == 0) {
		assert_int_equal(sg_msg_check(&m, sizeof(m)), 0);
		assert_int_equal(m.hdr.type, SG_MSG_SESSION_ALIVE);
		assert_int_equal(m.alive.token, token);
		for (unsigned int i = 0; i < m.alive.n; i++) {
			assert_true(m.alive.sid[i] >= 1000 && m.alive.sid[i] < 1000 + LIVE);
			seen[m.alive.sid[i] - 1000]++;
		}
		lasts += m.alive.last;
	}
	return lasts;
}

static void
test_audit_lists_every_session_once(void **state)
{
	unsigned int seen[LIVE] = {0}, lasts = 0, steps, full = 0;

	(void)state;
	up = false; /* sg-control away: nothing sent, nothing lost */
	sg_dp_broker_audit_start(w, 7);
	for (steps = 0; steps < 20; steps++)
		sg_dp_broker_audit_step(w);
	assert_int_equal(rte_ring_count(to_ctl), 0);
	up = true;
	/* the ring is drained only every third step: full rings on the way */
	for (steps = 0; steps < 1000 && lasts == 0; steps++) {
		sg_dp_broker_audit_step(w);
		full += rte_ring_full(to_ctl) && w->br->audit.full;
		if (steps % 3 == 2)
			lasts += drain(7, seen);
	}
	lasts += drain(7, seen);
	assert_true(full > 0); /* a message waited for ring space */
	assert_int_equal(lasts, 1);
	for (unsigned int i = 0; i < LIVE; i++)
		assert_int_equal(seen[i], 1);
	assert_false(w->br->audit.active);
	sg_dp_broker_audit_step(w); /* done: nothing more */
	assert_int_equal(rte_ring_count(to_ctl), 0);
}

static void
test_audit_restarted_by_a_new_token(void **state)
{
	unsigned int seen[LIVE] = {0}, lasts = 0, steps;

	(void)state;
	sg_dp_broker_audit_start(w, 8);
	sg_dp_broker_audit_step(w);
	drain(8, seen);
	memset(seen, 0, sizeof(seen));
	sg_dp_broker_audit_start(w, 9); /* a new sg-control: from the start again */
	for (steps = 0; steps < 1000 && lasts == 0; steps++) {
		sg_dp_broker_audit_step(w);
		lasts += drain(9, seen);
	}
	assert_int_equal(lasts, 1);
	for (unsigned int i = 0; i < LIVE; i++)
		assert_int_equal(seen[i], 1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_audit_lists_every_session_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_audit_restarted_by_a_new_token, setup,
						teardown),
	};
	int rc;

	(void)argc;
	dp_eal_init(argv[0]);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	dp_eal_fini();
	return rc;
}
