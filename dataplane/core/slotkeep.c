/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter slots kept across reloads (core/slotkeep.h): a VS or member
 * named as in the tables in service keeps its slot in the new tables, so
 * the workers' per-slot counters and flows follow it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>

#include "core/slotkeep.h"
#include "core/tables.h"

static uint32_t
name_hash(const char *a, const char *b)
{
	uint32_t h = rte_jhash(a, strlen(a), 0x5a17);

	return b ? rte_jhash(b, strlen(b), h) : h;
}

/* Slot of the VS named @p name in @p prev, or -1. */
int
sg_dp_slot_prev_vs(const struct sg_dp_tables *prev, const char *name)
{
	unsigned int i;

	if (prev == NULL)
		return -1;
	for (i = 0; i < prev->n_vs; i++)
		if (strcmp(prev->vs[i].name, name) == 0)
			return prev->vs[i].slot;
	return -1;
}

int
sg_dp_slot_member_index(struct sg_dp_slot_index *mi, const struct sg_dp_tables *prev)
{
	unsigned int i;

	mi->prev = prev;
	mi->mask = 2 * SG_DP_MEMBER_SLOTS - 1;
	mi->slot_plus1 = calloc(mi->mask + 1, sizeof(uint32_t));
	if (mi->slot_plus1 == NULL)
		return -ENOMEM;
	for (i = 0; prev != NULL && i < prev->n_members; i++) {
		uint32_t h = name_hash(prev->members[i].pool, prev->members[i].name) & mi->mask;

		while (mi->slot_plus1[h] != 0)
			h = (h + 1) & mi->mask;
		mi->slot_plus1[h] = i + 1;
	}
	return 0;
}

int
sg_dp_slot_member_find(const struct sg_dp_slot_index *mi, const char *pool, const char *name)
{
	uint32_t h = name_hash(pool, name) & mi->mask;

	if (mi->prev == NULL)
		return -1;
	while (mi->slot_plus1[h] != 0) {
		const struct sg_dp_member *m = &mi->prev->members[mi->slot_plus1[h] - 1];

		if (strcmp(m->pool, pool) == 0 && strcmp(m->name, name) == 0)
			return m->slot;
		h = (h + 1) & mi->mask;
	}
	return -1;
}

/* First slot free now and, preferably, unused in the previous tables too. */
int
sg_dp_slot_pick(const bool *used, const void *const *prev_owner, unsigned int n)
{
	unsigned int s;

	for (s = 0; s < n; s++)
		if (!used[s] && (prev_owner == NULL || prev_owner[s] == NULL))
			return (int)s;
	for (s = 0; s < n; s++)
		if (!used[s])
			return (int)s;
	return -1;
}

void
sg_dp_slot_index_free(struct sg_dp_slot_index *mi)
{
	free(mi->slot_plus1);
	mi->slot_plus1 = NULL;
}
