/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Counter slots kept across reloads (slotkeep.c), used by the tables'
 * build (tables.c): the slot of a VS or member in the previous tables,
 * found by name, and the choice of a free slot for a new one.
 */
#ifndef SG_DP_CORE_SLOTKEEP_H
#define SG_DP_CORE_SLOTKEEP_H

#include <stdbool.h>
#include <stdint.h>

struct sg_dp_tables;

/** Open-addressed index of a previous tables' members by (pool, name). */
struct sg_dp_slot_index {
	const struct sg_dp_tables *prev;
	uint32_t *slot_plus1; /**< index into prev->members, +1; 0 = empty */
	uint32_t mask;
};

/** Slot of the VS named @p name in @p prev (may be NULL), or -1. */
int sg_dp_slot_prev_vs(const struct sg_dp_tables *prev, const char *name);
/** Index @p prev's members (@p prev may be NULL). @return 0 or -ENOMEM. */
int sg_dp_slot_member_index(struct sg_dp_slot_index *mi, const struct sg_dp_tables *prev);
/** Slot of member @p pool / @p name in the indexed tables, or -1. */
int sg_dp_slot_member_find(const struct sg_dp_slot_index *mi, const char *pool, const char *name);
void sg_dp_slot_index_free(struct sg_dp_slot_index *mi);
/** First slot free now and, preferably, unused in the previous tables too; -1: none. */
int sg_dp_slot_pick(const bool *used, const void *const *prev_owner, unsigned int n);

#endif /* SG_DP_CORE_SLOTKEEP_H */
