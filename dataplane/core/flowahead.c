/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Eviction victims chosen ahead (flow.h: the look-ahead window, the
 * burst's victims). A full table evicts the oldest embryonic flow for each
 * new one (flow.c); its entry, hash bucket and key slot would each be a
 * cache miss on the new flow's path, one after the other. The window keeps
 * the next victims' entries prefetched, one step an eviction, and a burst
 * that will evict looks up its victims' keys together so that their
 * buckets' misses overlap. Nothing here chooses a victim.
 */
#include <rte_hash.h>
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

void
sg_dp_flow_prefetch_victims(struct sg_dp_flow_table *ft, unsigned int need)
{
	const void *keys[2 * SG_DP_FLOW_VICTIMS];
	hash_sig_t sigs[2 * SG_DP_FLOW_VICTIMS];
	void *data[2 * SG_DP_FLOW_VICTIMS];
	uint32_t idx = ft->emb_head;
	unsigned int n = 0, nk = 0;
	uint64_t hits;

	ft->vic_natm = 0;
	need = RTE_MIN(need, ft->n_ahead);
	need = RTE_MIN(need, (unsigned int)SG_DP_FLOW_VICTIMS);
	while (n < need && idx != SG_DP_FLOW_NONE) { /* in cache: the window */
		struct sg_dp_flow *f = &ft->e[idx];

		ft->vic_idx[n] = idx;
		ft->vic_sig[n] = rte_hash_hash(ft->h, &f->key);
		keys[nk] = &f->key;
		sigs[nk++] = ft->vic_sig[n];
		if (f->flags & SG_DP_FLOW_NAT) {
			ft->vic_natm |= UINT32_C(1) << n;
			ft->vic_rsig[n] = rte_hash_hash(ft->h, &f->rkey);
			keys[nk] = &f->rkey;
			sigs[nk++] = ft->vic_rsig[n];
		}
		n++;
		idx = f->emb_next;
	}
	ft->n_vic = n;
	ft->vic_next = 0;
	if (nk > 0) /* the answer is known: only the buckets and key slots it reads matter */
		(void)rte_hash_lookup_with_hash_bulk_data(ft->h, keys, sigs, nk, &hits, data);
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
