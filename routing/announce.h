/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What sg-routed announces: each group's static protocols enabled in BIRD
 * exactly while the liveness says so (vips, nat, backup: data plane alive
 * and ready; brokered: and sg-control up). Commands go to BIRD only on a
 * change, and again after a reconnect (a restarted BIRD starts with every
 * group disabled).
 */
#ifndef SG_RT_ANNOUNCE_H
#define SG_RT_ANNOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#include "birdconf.h"
#include "birdctl.h"
#include "liveness.h"

/** The groups' wanted and applied states. */
struct sg_rt_announce {
	const struct sg_rt_plan *plan;
	bool want[SG_RT_GROUPS];
	int applied[SG_RT_GROUPS];	  /**< 1 enabled, 0 disabled, -1 unknown */
	int64_t changed_ms[SG_RT_GROUPS]; /**< wall-clock ms of the last change; 0 never */
	uint64_t commands;		  /**< enable/disable commands sent */
	uint64_t command_errors;	  /**< ... that failed */
};

/** Initialise @p a for @p plan: nothing wanted, every state unknown. */
void sg_rt_announce_init(struct sg_rt_announce *a, const struct sg_rt_plan *plan);

/** Forget what BIRD has (after a reconnect): every group is sent again. */
void sg_rt_announce_forget(struct sg_rt_announce *a);

/** Set what is wanted from @p lv (NULL: nothing, e.g. at shutdown). */
void sg_rt_announce_want(struct sg_rt_announce *a, const struct sg_rt_liveness *lv);

/**
 * Send BIRD the commands for every group whose applied state differs from
 * the wanted one. @p changed is set when a group changed. @return 0, or the
 * first error (the group stays unknown and is tried again next time).
 */
int sg_rt_announce_apply(struct sg_rt_announce *a, struct sg_rt_birdctl *b, int64_t wall_ms,
			 bool *changed);

#endif /* SG_RT_ANNOUNCE_H */
