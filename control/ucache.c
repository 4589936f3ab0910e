/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The (user, application) cache of idmgr's answers (ucache.h). Validity is
 * one number: the store's generation (its last committed transaction ID)
 * seen at the last lookup. When it moved, the epoch moves and every entry
 * filled in an older epoch is empty again: nothing is walked or freed.
 * The generation is read before the entry is filled, so what is read in
 * the store is never older than the generation it is kept under.
 */
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "ucache.h"

#include "sg_idmgr.h"

struct sg_ctl_ucache {
	struct sg_ctl_ids *ids;
	struct sg_ctl_auth_stats *st;
	const struct sg_id_store *store; /**< the store the epoch is of (reopened: new epoch) */
	uint64_t gen;			 /**< its generation when the epoch began */
	uint64_t epoch;			 /**< from 1; entries of another epoch are empty */
	struct sg_ctl_uent *slot;	 /**< SG_CTL_UCACHE_SLOTS */
};

struct sg_ctl_ucache *
sg_ctl_ucache_create(struct sg_ctl_ids *ids, struct sg_ctl_auth_stats *st)
{
	struct sg_ctl_ucache *uc = calloc(1, sizeof(*uc));

	if (uc == NULL)
		return NULL;
	/* zeroed pages: memory is only touched as pairs are seen */
	uc->slot = calloc(SG_CTL_UCACHE_SLOTS, sizeof(*uc->slot));
	if (uc->slot == NULL) {
		free(uc);
		return NULL;
	}
	uc->ids = ids;
	uc->st = st;
	uc->epoch = 1;
	return uc;
}

void
sg_ctl_ucache_destroy(struct sg_ctl_ucache *uc)
{
	if (uc == NULL)
		return;
	free(uc->slot);
	free(uc);
}

static void
empty(struct sg_ctl_uent *e, uint64_t user, const struct sg_ctl_app *app, uint64_t epoch)
{
	e->user = user;
	e->app = app;
	e->epoch = epoch;
	e->have = 0;
}

struct sg_ctl_uent *
sg_ctl_ucache_get(struct sg_ctl_ucache *uc, uint64_t user, const struct sg_ctl_app *app,
		  struct sg_ctl_uent *scratch)
{
	struct sg_id_store *store = uc != NULL ? sg_ctl_ids_store(uc->ids) : NULL;
	struct sg_ctl_uent *e;
	uint64_t gen, h;

	if (store == NULL) {
		empty(scratch, user, app, 0);
		return scratch;
	}
	gen = sg_id_store_generation(store);
	if (gen != uc->gen || store != uc->store) {
		uc->gen = gen;
		uc->store = store;
		uc->epoch++;
		if (uc->st != NULL)
			uc->st->cache_flushes++;
	}
	h = (user ^ ((uint64_t)(uintptr_t)app << 17)) * 0x9e3779b97f4a7c15ull;
	e = &uc->slot[h >> (64 - SG_CTL_UCACHE_BITS)];
	if (e->epoch != uc->epoch || e->user != user || e->app != app)
		empty(e, user, app, uc->epoch);
	return e;
}

bool
sg_ctl_ucache_has(struct sg_ctl_ucache *uc, const struct sg_ctl_uent *e, unsigned int part)
{
	bool has = (e->have & part) != 0;

	if (uc != NULL && uc->st != NULL) {
		if (has)
			uc->st->cache_hits++;
		else
			uc->st->cache_misses++;
	}
	return has;
}
