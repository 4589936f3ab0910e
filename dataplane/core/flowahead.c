/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Eviction victims chosen ahead (flow.h: the look-ahead window, the
 * burst's victims). A full table evicts the oldest embryonic flow for each
 * new one (flow.c); its entry and its keys' index buckets would each be a
 * cache miss on the new flow's path, one after the other. The window keeps
 * the next victims' entries prefetched, one step an eviction, and a burst
 * that will evict fetches its victims' buckets together so that their
 * misses overlap. When the embryonic list runs out, the victims
 * are the least recently used flows of the cursor's next windows
 * (sg_dp_flow_lru_scan(), the one scan eviction itself runs): the burst
 * repeats that scan ahead on the table as it is, and fetches the victims'
 * entries and buckets together as well. Nothing here decides who is
 * evicted: a victim chosen ahead that was touched since is simply not the
 * one the eviction's own scan finds, and its kept signatures go unused;
 * sg_dp_flow_lru_taken() hands the eviction a victim chosen ahead only
 * when that scan would find the same one.
 */
#include <rte_prefetch.h>

#include "core/flow.h"

void
sg_dp_flow_ahead_step(struct sg_dp_flow_table *ft)
{
	uint32_t nxt = ft->n_ahead == 0 ? ft->emb_head : ft->e[ft->ahead_last].emb_next;
	struct sg_dp_flow *f;

	if (nxt == SG_DP_FLOW_NONE)
		return;
	f = &ft->e[nxt];
	rte_prefetch0((const char *)f);
	rte_prefetch0((const char *)f + RTE_CACHE_LINE_SIZE);
	rte_prefetch0((const char *)f + 2 * RTE_CACHE_LINE_SIZE);
	rte_prefetch0((const char *)f + 3 * RTE_CACHE_LINE_SIZE);
	f->emb = SG_DP_FLOW_EMB_AHEAD;
	ft->ahead_last = nxt;
	ft->n_ahead++;
}

unsigned int
sg_dp_flow_lru_scan(const struct sg_dp_flow_table *ft, uint32_t *cursor, uint32_t *victim)
{
	const struct sg_dp_flow *v = NULL;
	uint32_t c = *cursor;
	unsigned int i = 0;

	if (likely(c + SG_DP_FLOW_EVICT_SCAN <= ft->cap)) { /* no wrap: the common window */
		const struct sg_dp_flow *f = &ft->e[c], *end = f + SG_DP_FLOW_EVICT_SCAN;

		for (; f < end; f++)
			if (f->state != SG_DP_FS_FREE && (v == NULL || f->last_tsc < v->last_tsc))
				v = f;
		i = SG_DP_FLOW_EVICT_SCAN;
		c = c + i == ft->cap ? 0 : c + i;
	}
	for (; i < ft->cap && (i < SG_DP_FLOW_EVICT_SCAN || v == NULL); i++) {
		const struct sg_dp_flow *f = &ft->e[c];

		c = c + 1 == ft->cap ? 0 : c + 1;
		if (f->state == SG_DP_FS_FREE)
			continue;
		if (v == NULL || f->last_tsc < v->last_tsc)
			v = f;
	}
	*cursor = c;
	*victim = v == NULL ? SG_DP_FLOW_NONE : (uint32_t)(v - ft->e);
	return i;
}

/*
 * The least recently used victims of the evictions after the embryonic
 * ones (from vic_idx[@p n] up to @p need): the eviction scan run ahead on
 * the table as it is now, each window after the last. Stops before the
 * windows wrap around the table (a victim must not come twice: its entry
 * may hold another key by its second turn) and skips flows on the
 * embryonic list (taken as such). Their entries' lines are prefetched
 * together; the scans' own loads are independent of one another.
 */
static unsigned int
lru_ahead(struct sg_dp_flow_table *ft, unsigned int n, unsigned int need)
{
	uint32_t c = ft->cursor, c0, v;
	unsigned int scanned = 0, k, i;

	while (n < need && scanned + SG_DP_FLOW_EVICT_SCAN <= ft->cap) {
		c0 = c;
		i = sg_dp_flow_lru_scan(ft, &c, &v);
		scanned += i;
		if (v == SG_DP_FLOW_NONE)
			break;
		if (ft->e[v].emb != SG_DP_FLOW_EMB_OFF)
			continue;
		if (i == SG_DP_FLOW_EVICT_SCAN) { /* the eviction may take it as it is */
			ft->vic_lru |= UINT32_C(1) << n;
			ft->vic_cur0[n] = c0;
			ft->vic_cur1[n] = c;
			ft->vic_tsc[n] = ft->e[v].last_tsc;
		}
		ft->vic_idx[n++] = v;
	}
	for (k = 0; k < n; k++) {
		const char *f = (const char *)&ft->e[ft->vic_idx[k]];

		rte_prefetch0(f + RTE_CACHE_LINE_SIZE);
		rte_prefetch0(f + 2 * RTE_CACHE_LINE_SIZE);
		rte_prefetch0(f + 3 * RTE_CACHE_LINE_SIZE);
	}
	return n;
}

void
sg_dp_flow_prefetch_victims(struct sg_dp_flow_table *ft, unsigned int need)
{
	uint32_t idx = ft->emb_head;
	unsigned int n = 0, k, nemb;

	ft->vic_natm = 0;
	ft->vic_lru = 0;
	need = RTE_MIN(need, (unsigned int)SG_DP_FLOW_VICTIMS);
	nemb = RTE_MIN(need, ft->n_ahead);
	while (n < nemb && idx != SG_DP_FLOW_NONE) { /* in cache: the window */
		ft->vic_idx[n++] = idx;
		idx = ft->e[idx].emb_next;
	}
	if (n < need && n == ft->n_emb) /* the list runs out: least recently used flows next */
		n = lru_ahead(ft, n, need);
	/* a delete reads only the buckets holding the keys' references */
	for (k = 0; k < n; k++) {
		struct sg_dp_flow *f = &ft->e[ft->vic_idx[k]];

		ft->vic_sig[k] = sg_dp_flow_sig(&f->key);
		sg_dp_fh_prefetch(&ft->fh, ft->vic_sig[k]);
		if (f->flags & SG_DP_FLOW_NAT) {
			ft->vic_natm |= UINT32_C(1) << k;
			ft->vic_rsig[k] = sg_dp_flow_sig(&f->rkey);
			sg_dp_fh_prefetch(&ft->fh, ft->vic_rsig[k]);
		}
	}
	ft->n_vic = n;
	ft->vic_next = 0;
}

uint32_t
sg_dp_flow_lru_taken(struct sg_dp_flow_table *ft, uint64_t now)
{
	uint32_t k;

	for (k = ft->vic_next; k < ft->n_vic; k++) {
		const struct sg_dp_flow *f = &ft->e[ft->vic_idx[k]];

		if (!((ft->vic_lru >> k) & 1))
			continue;
		/* the next one chosen by the scan: its window must be the eviction's */
		if (ft->vic_cur0[k] != ft->cursor || f->state == SG_DP_FS_FREE ||
		    f->last_tsc != ft->vic_tsc[k] || ft->vic_tsc[k] >= now)
			return SG_DP_FLOW_NONE;
		ft->cursor = ft->vic_cur1[k];
		ft->n_lru_taken++;
		return ft->vic_idx[k];
	}
	return SG_DP_FLOW_NONE;
}

int
sg_dp_flow_victim_pos(struct sg_dp_flow_table *ft, const struct sg_dp_flow *f)
{
	uint32_t idx = (uint32_t)(f - ft->e), k;

	for (k = ft->vic_next; k < ft->n_vic; k++)
		if (ft->vic_idx[k] == idx) {
			ft->vic_next = k + 1;
			return (int)k;
		}
	return -1;
}
