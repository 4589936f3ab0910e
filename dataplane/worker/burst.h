/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What process_burst() (worker.c) works out for a whole rx burst before it
 * acts on each packet: the misses that repeat an earlier miss, the NAT return keys added meanwhile,
 * and the SYN cookies the burst may answer. Inline: the burst loop's own steps, in a file of their
 * own so that worker.c stays the packet's journey.
 */
#ifndef SG_DP_WORKER_BURST_H
#define SG_DP_WORKER_BURST_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/flow.h"
#include "core/state.h"

/* Slots of a burst's duplicate table: a power of two, twice the burst. */
#define DUP_SLOTS (2 * SG_DP_BURST)

/*
 * Whether missed key @p k of the burst is also one of the misses before it:
 * the misses sit in @p tab (open addressing by signature, slot k + 1, 0
 * empty), where @p k goes unless it is a duplicate.
 */
static inline bool
burst_dup(uint8_t *tab, const struct sg_dp_flow_key *const *keys, const uint32_t *sig,
	  unsigned int k)
{
	unsigned int h = sig[k] % DUP_SLOTS, j;

	while ((j = tab[h]) != 0) {
		j--;
		if (sig[j] == sig[k] && sg_dp_fh_key_eq(keys[j], keys[k]))
			return true;
		h = (h + 1) % DUP_SLOTS;
	}
	tab[h] = (uint8_t)(k + 1);
	return false;
}

/*
 * Whether a return key with signature @p sig may have been added since the
 * table's n_rsig was @p since, when its rsig_bits were cleared (then a miss
 * is looked up again).
 */
static inline bool
rkey_added(const struct sg_dp_flow_table *ft, uint32_t since, uint32_t sig)
{
	uint32_t i;

	if (likely(ft->n_rsig == since))
		return false;
	if (ft->n_rsig - since > SG_DP_FLOW_RSIGS)
		return true;
	if (!((ft->rsig_bits[(sig >> 6) & 3] >> (sig & 63)) & 1)) /* none with its bit since */
		return false;
	for (i = since; i != ft->n_rsig; i++)
		if (ft->rsig[i % SG_DP_FLOW_RSIGS] == sig)
			return true;
	return false;
}

/*
 * The SYN cookies a burst of @p n packets, @p nsyn of them SYNs of new
 * flows, may answer (doc/sessions.md, "Shedding"): every one in a short
 * burst and in the backlog of an idle sleep (syn_grace, until a short burst
 * or SG_DP_SYN_WAKE_GRACE full ones). A full burst means the worker is
 * behind: while other traffic competes (this burst or one of the last
 * SG_DP_SYN_CONTEND_BURSTS full ones held anything but new SYNs) SYN
 * cookies get SG_DP_SYN_BUSY_BUDGET of it; a flood nothing competes with
 * has every SYN answered the worker has time for.
 */
static inline void
syn_budget_set(struct sg_dp_worker *w, uint16_t n, unsigned int nsyn)
{
	bool shed;

	if (n < SG_DP_BURST) {
		w->syn_grace = 0;
		w->syn_budget = UINT16_MAX;
		return;
	}
	if (nsyn != n) {
		w->syn_contend = SG_DP_SYN_CONTEND_BURSTS;
		shed = true;
	} else {
		shed = w->syn_contend != 0;
		w->syn_contend -= shed;
	}
	if (unlikely(w->syn_grace != 0)) {
		w->syn_grace--;
		shed = false;
	}
	w->syn_budget = shed ? SG_DP_SYN_BUSY_BUDGET : UINT16_MAX;
}

#endif /* SG_DP_WORKER_BURST_H */
