/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * VS_STATS of this worker's brokered and redirect VSs to sg-control
 * (vsstats.c): held, installed, rejected (cumulative on the worker since
 * the data plane started), held now and the VS's name.
 */
#ifndef SG_DP_SESSION_VSSTATS_H
#define SG_DP_SESSION_VSSTATS_H

#include <stdint.h>

#include "sg_dp.h"
#include "core/state.h"
#include "core/tables.h"

/**
 * About once a second (and at once after new tables @p t): one VS_STATS
 * per brokered VS whose counters changed since its last one, every one
 * after a reload. A message the ring does not take is counted
 * (vs_stats_deferred) and the round stops: the rest go a second later.
 */
void sg_dp_vsstats_step(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint64_t now);

#endif /* SG_DP_SESSION_VSSTATS_H */
