/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session dump: walks one worker's flow table from a cursor and copies
 * the flows that carry a streaming-session ID. Runs in the telemetry
 * thread while the worker writes the table: no lock, no write. An entry is
 * taken when its session ID reads the same before and after the copy; a
 * session that starts or ends during the walk may be missed or listed
 * once more, which a caller comparing at a quiet point does not see.
 */
#include <string.h>

#include "session/session.h"

static const char *const state_names[] = {
	[SG_DP_FS_FREE] = "free",	  [SG_DP_FS_SYN] = "syn",
	[SG_DP_FS_EST] = "established",	  [SG_DP_FS_CLOSING] = "closing",
	[SG_DP_FS_HELD] = "held",	  [SG_DP_FS_CONNECTING] = "connecting",
	[SG_DP_FS_ANSWERED] = "answered",
};

const char *
sg_dp_session_state_name(uint8_t state)
{
	return state < RTE_DIM(state_names) && state_names[state] != NULL ? state_names[state]
									  : "?";
}

unsigned int
sg_dp_session_dump(const struct sg_dp_worker *w, uint32_t *cursor, struct sg_dp_session_info *out,
		   unsigned int max)
{
	const struct sg_dp_flow_table *ft = &w->ft;
	unsigned int n = 0;
	uint32_t i;

	for (i = *cursor; i < ft->cap && n < max; i++) {
		const struct sg_dp_flow *f = &ft->e[i];
		struct sg_dp_session_info *o = &out[n];
		uint64_t sid = __atomic_load_n(&f->sid, __ATOMIC_ACQUIRE);

		if (sid == 0)
			continue;
		o->sid = sid;
		o->state = __atomic_load_n(&f->state, __ATOMIC_RELAXED);
		o->vs_slot = f->vs_slot;
		memcpy(&o->key, &f->key, sizeof(o->key));
		memcpy(&o->member, &f->member, sizeof(o->member));
		o->mport = f->mport;
		if (__atomic_load_n(&f->sid, __ATOMIC_ACQUIRE) != sid || o->state == SG_DP_FS_FREE)
			continue; /* changed under us: taken by the next dump */
		n++;
	}
	*cursor = i;
	return n;
}
