/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Member health overlay: per (pool, member) name, the state sg-control gave
 * it, when it last changed and sg-control's generation. Main lcore only,
 * except sg_dp_health_mbox_put() (worker 0, one SP/SC ring to the main
 * lcore). Entries live in a fixed array indexed by an open-addressed hash
 * of the names; a prune compacts the array and rebuilds the index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ring_elem.h>

#include "core/health.h"
#include "core/state.h"
#include "core/tables.h"

#define IDX_SIZE (2 * SG_DP_MEMBER_SLOTS) /* power of two, at most half full */

struct entry {
	char pool[SG_CFG_NAME_MAX];
	char member[SG_CFG_NAME_MAX];
	struct sg_dp_health_member st;
};

struct sg_dp_health {
	struct entry e[SG_DP_MEMBER_SLOTS];
	unsigned int n;
	uint16_t idx[IDX_SIZE]; /* entry index + 1; 0 = empty */
	uint64_t reset_epoch;
	struct sg_dp_health_stats stats;
};

/* FNV-1a over "pool\0member" (byte-wise: names may sit at a string's end). */
static uint32_t
names_hash(const char *pool, const char *member)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = pool; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h *= 16777619u;
	for (p = member; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return (h ^ (h >> 16)) & (IDX_SIZE - 1);
}

/* Index slot of (pool, member): its entry's, or the empty one where it would go. */
static uint32_t
idx_find(const struct sg_dp_health *h, const char *pool, const char *member)
{
	uint32_t i = names_hash(pool, member);

	while (h->idx[i] != 0) {
		const struct entry *e = &h->e[h->idx[i] - 1];

		if (strcmp(e->pool, pool) == 0 && strcmp(e->member, member) == 0)
			break;
		i = (i + 1) & (IDX_SIZE - 1);
	}
	return i;
}

struct sg_dp_health *
sg_dp_health_create(void)
{
	return calloc(1, sizeof(struct sg_dp_health));
}

void
sg_dp_health_free(struct sg_dp_health *h)
{
	free(h);
}

struct sg_dp_health_member
sg_dp_health_get(const struct sg_dp_health *h, const char *pool, const char *member)
{
	struct sg_dp_health_member up = {.state = SG_MSG_MEMBER_UP};
	uint32_t i;

	if (h == NULL)
		return up;
	i = idx_find(h, pool, member);
	return h->idx[i] != 0 ? h->e[h->idx[i] - 1].st : up;
}

/* Set one member (known to be in the configuration); 1 when its state changed. */
static int
set_one(struct sg_dp_health *h, const char *pool, const char *member,
	const struct sg_msg_member_state *ms, uint64_t now_ns)
{
	uint32_t i = idx_find(h, pool, member);
	struct entry *e;

	if (h->idx[i] == 0) {
		if (h->n >= SG_DP_MEMBER_SLOTS)
			return -ENOSPC; /* cannot happen: the config has fewer members */
		e = &h->e[h->n++];
		(void)snprintf(e->pool, sizeof(e->pool), "%s", pool);
		(void)snprintf(e->member, sizeof(e->member), "%s", member);
		e->st.state = SG_MSG_MEMBER_UP;
		e->st.changed_ns = 0;
		h->idx[i] = (uint16_t)h->n;
	} else {
		e = &h->e[h->idx[i] - 1];
	}
	e->st.generation = ms->generation;
	if (e->st.state == ms->state)
		return 0;
	e->st.state = ms->state;
	e->st.changed_ns = now_ns;
	h->stats.changes++;
	if (ms->state == SG_MSG_MEMBER_RESET)
		h->reset_epoch++;
	return 1;
}

int
sg_dp_health_apply(struct sg_dp_health *h, const struct sg_cfg *cfg,
		   const struct sg_msg_member_state *ms, uint64_t now_ns)
{
	unsigned int i, j;
	int changed = 0, found = 0;

	for (i = 0; i < cfg->n_pools; i++) {
		const struct sg_cfg_pool *p = &cfg->pools[i];

		if (!(ms->flags & SG_MSG_MEMBER_ALL) && strcmp(p->name, ms->pool) != 0)
			continue;
		for (j = 0; j < p->n_members; j++) {
			int rc;

			if (!(ms->flags & SG_MSG_MEMBER_ALL) &&
			    strcmp(p->members[j].name, ms->member) != 0)
				continue;
			found = 1;
			rc = set_one(h, p->name, p->members[j].name, ms, now_ns);
			if (rc > 0)
				changed += rc;
		}
	}
	if (!found && !(ms->flags & SG_MSG_MEMBER_ALL)) {
		h->stats.unknown++;
		return -ENOENT;
	}
	h->stats.applied++;
	return changed;
}

static bool
cfg_has(const struct sg_cfg *cfg, const char *pool, const char *member)
{
	for (unsigned int i = 0; i < cfg->n_pools; i++) {
		if (strcmp(cfg->pools[i].name, pool) != 0)
			continue;
		for (unsigned int j = 0; j < cfg->pools[i].n_members; j++)
			if (strcmp(cfg->pools[i].members[j].name, member) == 0)
				return true;
	}
	return false;
}

void
sg_dp_health_prune(struct sg_dp_health *h, const struct sg_cfg *cfg)
{
	unsigned int i, n = 0;

	for (i = 0; i < h->n; i++)
		if (cfg_has(cfg, h->e[i].pool, h->e[i].member))
			h->e[n++] = h->e[i];
	h->n = n;
	memset(h->idx, 0, sizeof(h->idx));
	for (i = 0; i < n; i++)
		h->idx[idx_find(h, h->e[i].pool, h->e[i].member)] = (uint16_t)(i + 1);
}

uint64_t
sg_dp_health_reset_epoch(const struct sg_dp_health *h)
{
	return h != NULL ? h->reset_epoch : 0;
}

struct sg_dp_health_stats *
sg_dp_health_stats(struct sg_dp_health *h)
{
	return &h->stats;
}

void
sg_dp_health_to_tables(const struct sg_dp_health *h, struct sg_dp_tables *t)
{
	for (unsigned int i = 0; i < t->n_members; i++) {
		struct sg_dp_member *m = &t->members[i];

		m->state = sg_dp_health_get(h, m->pool, m->name).state;
		m->eff_weight = m->state == SG_MSG_MEMBER_UP ? m->weight : 0;
		if (m->state == SG_MSG_MEMBER_RESET && m->slot < SG_DP_MEMBER_SLOTS)
			t->reset_slots[m->slot / 64] |= 1ull << (m->slot % 64);
		if ((m->state == SG_MSG_MEMBER_RESET || m->state == SG_MSG_MEMBER_DOWN) &&
		    m->slot < SG_DP_MEMBER_SLOTS)
			t->down_slots[m->slot / 64] |= 1ull << (m->slot % 64);
	}
	t->reset_epoch = sg_dp_health_reset_epoch(h);
}

void
sg_dp_health_mbox_put(struct sg_dp_worker *w, const struct sg_msg_member_state *ms)
{
	if (w->conf.member_mbox == NULL ||
	    rte_ring_enqueue_elem(w->conf.member_mbox, (void *)(uintptr_t)ms, sizeof(*ms)) != 0) {
		w->stats.cnt[SG_DP_EV_MEMBER_STATE_LOST]++;
		return;
	}
	w->stats.cnt[SG_DP_EV_MEMBER_STATE_MSG]++;
}
