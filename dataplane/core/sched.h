/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Scheduling of new flows (sched.c): Maglev lookup tables, weighted
 * round-robin sequences, and the pick of a member for a virtual service.
 */
#ifndef SG_DP_CORE_SCHED_H
#define SG_DP_CORE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "core/tables.h"

struct sg_dp_worker;

/**
 * Fill @p table (@p size entries, a prime) with indices of @p n backends,
 * backend i owning about weight[i]/sum of the entries. Backends with weight
 * 0 get none; all zero leaves every entry SG_DP_NO_MEMBER. @p id seeds each
 * backend's permutation (keep it stable across rebuilds).
 */
int sg_dp_maglev_build(const uint32_t *weight, const uint64_t *id, unsigned int n, uint32_t size,
		       uint16_t *table);
/**
 * sg_dp_maglev_build() with minimal disruption: backends with @p live[i]
 * false (@p live NULL: all live) keep no entry; only their base entries
 * (those of the build with every backend) go to the live backends, in
 * proportion to weight. @p n at most SG_CFG_MEMBERS_MAX when @p live is set.
 */
int sg_dp_maglev_build_live(const uint32_t *weight, const uint64_t *id, const bool *live,
			    unsigned int n, uint32_t size, uint16_t *table);
bool sg_dp_is_prime(uint32_t n);
int sg_dp_wrr_build(const uint32_t *weight, unsigned int n, uint16_t **seq, uint32_t *len);
/**
 * Build @p vs's scheduler state (Maglev table, WRR sequence, active
 * counts) from vs->pool, with the members' configured and effective weights.
 * @return 0, or a negative errno with @p err filled.
 */
int sg_dp_sched_build(struct sg_dp_vs *vs, char *err, size_t errlen);
/** Pick a member for a new flow of @p vs on worker @p w (index in pool) or SG_DP_NO_MEMBER. */
uint16_t sg_dp_sched_pick(struct sg_dp_worker *w, const struct sg_dp_vs *vs, uint32_t hash);

#endif /* SG_DP_CORE_SCHED_H */
