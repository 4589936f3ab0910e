/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Member health overlay (health.c): the state sg-control gives each pool
 * member (up, down, drain, reset) by name, kept by the main lcore across
 * reloads and applied to the tables at every build (a member that is not up
 * has effective weight 0 for new flows). Worker 0 receives MEMBER_STATE on
 * its ring from sg-control and passes it to the main lcore through a small
 * SP/SC mailbox (sg_dp_health_mbox_put()); the main lcore applies what
 * arrived since its last pass with one table rebuild.
 */
#ifndef SG_DP_CORE_HEALTH_H
#define SG_DP_CORE_HEALTH_H

#include <stdint.h>

#include "sg_cfg.h"
#include "sessiongate/sg_msg.h"

struct sg_dp_tables;
struct sg_dp_worker;

/** Mailbox depth (MEMBER_STATE messages between two housekeeping passes). */
#define SG_DP_HEALTH_MBOX 256

/** Counters of the overlay (main lcore). */
struct sg_dp_health_stats {
	uint64_t applied;	 /**< messages that named known members */
	uint64_t unknown;	 /**< messages naming an unknown pool / member (ignored) */
	uint64_t changes;	 /**< member state transitions */
	uint64_t rebuilds;	 /**< table rebuilds for member state */
	uint64_t rebuild_failed; /**< rebuilds that failed (the tables in service stay) */
};

/** What the overlay knows about one member. */
struct sg_dp_health_member {
	uint8_t state;	     /**< enum sg_msg_member_st (SG_MSG_MEMBER_UP when never set) */
	uint32_t generation; /**< sg-control's generation of the last message */
	uint64_t changed_ns; /**< CLOCK_MONOTONIC of the last state change; 0: never */
};

struct sg_dp_health;

/** An empty overlay (every member up). NULL when out of memory. */
struct sg_dp_health *sg_dp_health_create(void);
void sg_dp_health_free(struct sg_dp_health *h);

/**
 * Apply one validated MEMBER_STATE @p ms against the members of @p cfg at
 * time @p now_ns. SG_MSG_MEMBER_ALL applies to every member of every pool.
 *
 * @return the number of members whose state changed (0: none), or -ENOENT
 *   when the pool or member is not in @p cfg (counted unknown, ignored).
 */
int sg_dp_health_apply(struct sg_dp_health *h, const struct sg_cfg *cfg,
		       const struct sg_msg_member_state *ms, uint64_t now_ns);

/** What the overlay holds for @p pool / @p member (up, never changed, when unknown). */
struct sg_dp_health_member sg_dp_health_get(const struct sg_dp_health *h, const char *pool,
					    const char *member);

/** Drop the entries of members no longer in @p cfg (after a reload). */
void sg_dp_health_prune(struct sg_dp_health *h, const struct sg_cfg *cfg);

/**
 * Reset epoch: bumped each time a member enters RESET. Tables carry it;
 * a worker that sees a new one walks its flow table once.
 */
uint64_t sg_dp_health_reset_epoch(const struct sg_dp_health *h);

struct sg_dp_health_stats *sg_dp_health_stats(struct sg_dp_health *h);

/**
 * Table build (tables.c), after the members: each member's state and
 * effective weight from @p h (NULL: all up), the RESET slots and the reset
 * epoch.
 */
void sg_dp_health_to_tables(const struct sg_dp_health *h, struct sg_dp_tables *t);

/**
 * Worker 0: hand a MEMBER_STATE message (already checked with
 * sg_msg_check()) to the main lcore's mailbox (w->conf.member_mbox).
 * Counts member_state_msg, or member_state_mbox_full when the mailbox is
 * full or absent (the message is lost; sg-control repeats its verdicts).
 */
void sg_dp_health_mbox_put(struct sg_dp_worker *w, const struct sg_msg_member_state *ms);

#endif /* SG_DP_CORE_HEALTH_H */
