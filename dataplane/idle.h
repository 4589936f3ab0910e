/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Idle mode of the workers (appliance.idle, doc/dataplane.md "Idle mode").
 *
 * A worker round that received no packet on any rx queue, found its
 * hand-off ring, its ring from sg-control (and, worker 0, the main lcore's
 * tx ring) empty and transmitted nothing is empty. After
 * appliance.idle.after_polls empty rounds in a row the worker sleeps
 * min_us, then twice as long after each further empty round up to max_us,
 * the bound on its wake-up latency; any work resets it. Each round, sleep
 * or not, still runs the control-ring poll, the session timers and the
 * paced flow expiry, so a sleeping worker keeps expiring flows and
 * answering sg-control within max_us. A sleep of SG_DP_IDLE_OFFLINE_US or
 * more takes the worker offline in RCU, so that a table publication never
 * waits for a sleeper.
 *
 * The busy path costs one store per round (sg_dp_idle_round()); the rings
 * are looked at only when no rx queue gave a packet
 * (sg_dp_idle_rings_busy()), and not at all when idle mode is off.
 */
#ifndef SG_DP_IDLE_H
#define SG_DP_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "sg_cfg.h"

/** A sleep this long or longer is taken offline in RCU. */
#define SG_DP_IDLE_OFFLINE_US 50
/** Defaults where a hand-built configuration leaves 0 (config/ sets the same). */
#define SG_DP_IDLE_MIN_US_DEFAULT 5
#define SG_DP_IDLE_MAX_US_DEFAULT 500
/** Bounds applied whatever the configuration says. */
#define SG_DP_IDLE_MAX_US_LIMIT 100000
#define SG_DP_IDLE_AFTER_LIMIT	(1u << 30)
/** Rings a worker watches for work besides its rx queues. */
#define SG_DP_IDLE_RINGS_MAX 4

struct sg_dp_worker;

/** One worker's idle state (owned by its lcore). */
struct sg_dp_idle {
	uint32_t empty;	      /**< empty rounds in a row (saturates past after_polls) */
	uint32_t after_polls; /**< UINT32_MAX: idle mode off, never sleeps */
	uint32_t min_us;
	uint32_t max_us;
	uint32_t next_us; /**< the last sleep; doubled by the next one */
	unsigned int n_rings;
	struct rte_ring *rings[SG_DP_IDLE_RINGS_MAX];
	struct rte_rcu_qsbr *qsbr;
	unsigned int thread_id; /**< this worker's RCU thread id */
	struct sg_dp_worker *w; /**< its counters idle_sleeps, idle_sleep_us */
	uint64_t tsc_per_us;
} __rte_cache_aligned;

/**
 * Set up @p s for worker @p w (RCU thread @p thread_id of @p qsbr) from
 * @p cfg (NULL or !enabled: idle mode off). With idle mode on, sets the
 * calling thread's timer slack to 1 us so that a sleep ends on time; call
 * it from the worker's own thread.
 *
 * @return 0; -EINVAL when @p s or @p w is NULL.
 */
int sg_dp_idle_init(struct sg_dp_idle *s, const struct sg_cfg_idle *cfg, struct sg_dp_worker *w,
		    struct rte_rcu_qsbr *qsbr, unsigned int thread_id);

/**
 * Watch @p r (may be NULL: ignored) for work: a round that finds it
 * non-empty is not empty.
 *
 * @return 0; -ENOSPC past SG_DP_IDLE_RINGS_MAX rings.
 */
int sg_dp_idle_watch(struct sg_dp_idle *s, struct rte_ring *r);

/** True when idle mode is on for @p s. */
static inline bool
sg_dp_idle_enabled(const struct sg_dp_idle *s)
{
	return s->after_polls != UINT32_MAX;
}

/**
 * True when a watched ring holds something, or idle mode is off (then the
 * rings are not read). Call in a round whose rx queues gave nothing,
 * before draining the rings.
 */
static inline bool
sg_dp_idle_rings_busy(const struct sg_dp_idle *s)
{
	if (!sg_dp_idle_enabled(s))
		return true;
	for (unsigned int i = 0; i < s->n_rings; i++)
		if (!rte_ring_empty(s->rings[i]))
			return true;
	return false;
}

/**
 * Sleep once (off the busy path): min_us after the first after_polls empty
 * rounds, then doubling up to max_us; offline in RCU from
 * SG_DP_IDLE_OFFLINE_US. Counts idle_sleeps and idle_sleep_us (measured).
 */
void sg_dp_idle_sleep(struct sg_dp_idle *s);

/**
 * End of a worker round (after its quiescent-state report): @p busy says
 * whether it found or did any work. Sleeps when the round completes
 * after_polls empty rounds in a row.
 */
static inline void
sg_dp_idle_round(struct sg_dp_idle *s, bool busy)
{
	if (busy) {
		s->empty = 0;
		return;
	}
	if (s->empty < s->after_polls) {
		s->empty++;
		return;
	}
	sg_dp_idle_sleep(s);
}

#endif /* SG_DP_IDLE_H */
