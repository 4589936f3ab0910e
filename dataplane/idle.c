/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Idle mode of the workers (idle.h): adaptive sleeps between empty rounds.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_cycles.h>

#include "core/log.h"
#include "core/state.h"
#include "idle.h"

/* Timer slack of a worker thread in idle mode: a 5 us sleep must not take 50 us. */
#define IDLE_TIMER_SLACK_NS 1000UL

int
sg_dp_idle_init(struct sg_dp_idle *s, const struct sg_cfg_idle *cfg, struct sg_dp_worker *w,
		struct rte_rcu_qsbr *qsbr, unsigned int thread_id)
{
	if (s == NULL || w == NULL)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->w = w;
	s->qsbr = qsbr;
	s->thread_id = thread_id;
	s->tsc_per_us = RTE_MAX(rte_get_tsc_hz() / 1000000, (uint64_t)1);
	s->after_polls = UINT32_MAX;
	if (cfg == NULL || !cfg->enabled)
		return 0;
	s->after_polls = RTE_MIN(cfg->after_polls, SG_DP_IDLE_AFTER_LIMIT);
	s->min_us = cfg->min_us != 0 ? cfg->min_us : SG_DP_IDLE_MIN_US_DEFAULT;
	s->max_us = cfg->max_us != 0 ? cfg->max_us : SG_DP_IDLE_MAX_US_DEFAULT;
	s->max_us = RTE_MIN(s->max_us, (uint32_t)SG_DP_IDLE_MAX_US_LIMIT);
	s->min_us = RTE_MIN(s->min_us, s->max_us);
	if (prctl(PR_SET_TIMERSLACK, IDLE_TIMER_SLACK_NS, 0, 0, 0) != 0)
		SG_DP_LOG(WARNING,
			  "worker %u: cannot set its timer slack to 1 us (%s): sleeps "
			  "may end late",
			  thread_id, strerror(errno));
	return 0;
}

int
sg_dp_idle_watch(struct sg_dp_idle *s, struct rte_ring *r)
{
	if (r == NULL)
		return 0;
	if (s->n_rings == SG_DP_IDLE_RINGS_MAX)
		return -ENOSPC;
	s->rings[s->n_rings++] = r;
	return 0;
}

void
sg_dp_idle_sleep(struct sg_dp_idle *s)
{
	struct timespec ts;
	uint64_t t0, t1;
	uint32_t us;
	bool offline;

	if (!sg_dp_idle_enabled(s)) { /* off: the count wrapped after 2^32 rounds */
		s->empty = 0;
		return;
	}
	if (s->empty == s->after_polls)
		us = s->min_us; /* the first sleep of this idle period */
	else
		us = (uint32_t)RTE_MIN((uint64_t)s->next_us * 2, (uint64_t)s->max_us);
	s->next_us = us;
	s->empty = s->after_polls + 1;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	offline = us >= SG_DP_IDLE_OFFLINE_US && s->qsbr != NULL;
	if (offline)
		rte_rcu_qsbr_thread_offline(s->qsbr, s->thread_id);
	t0 = rte_rdtsc();
	(void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL); /* EINTR: a shorter sleep */
	t1 = rte_rdtsc();
	if (offline)
		rte_rcu_qsbr_thread_online(s->qsbr, s->thread_id);
	s->w->stats.cnt[SG_DP_EV_IDLE_SLEEPS]++;
	sg_dp_worker_woke(s->w); /* the next full bursts are this sleep's backlog */
	s->w->stats.cnt[SG_DP_EV_IDLE_SLEEP_US] += (t1 - t0) / s->tsc_per_us;
}
