/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-source-prefix limits of brokered sessions (session/prefix.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "session/prefix.h"
#include "session/siphash.h"

void
sg_dp_pfx_init(struct sg_dp_pfx_tab *t, uint32_t max_held, uint32_t rate, uint32_t burst,
	       uint64_t tsc_hz, const uint8_t key[16])
{
	memset(t, 0, sizeof(*t));
	memcpy(t->key, key, sizeof(t->key));
	t->max_held = max_held;
	if (rate != 0) {
		t->interval = tsc_hz / rate;
		if (t->interval == 0)
			t->interval = 1;
		t->tolerance = t->interval * (burst > 0 ? burst - 1 : 0);
	}
}

struct sg_dp_pfx_ref
sg_dp_pfx_of(const struct sg_dp_pfx_tab *t, const struct sg_dp_flow_key *k)
{
	uint8_t in[9] = {k->family};
	struct sg_dp_pfx_ref r;
	uint64_t h;

	/* /24 of IPv4 (3 bytes), /64 of IPv6 (8 bytes) */
	memcpy(in + 1, k->src, k->family == AF_INET ? 3 : 8);
	h = sg_dp_siphash24(t->key, in, sizeof(in));
	r.slot[0] = (uint16_t)(h & (SG_DP_PFX_SLOTS - 1));
	r.slot[1] = (uint16_t)((h >> 32) & (SG_DP_PFX_SLOTS - 1));
	return r;
}

static int
pfx_admit(struct sg_dp_pfx_tab *t, struct sg_dp_pfx_ref r, uint64_t now, bool rated)
{
	bool rate_ok = false;
	unsigned int i;

	if (t->max_held != 0 && t->held[0][r.slot[0]] >= t->max_held &&
	    t->held[1][r.slot[1]] >= t->max_held)
		return -ENOSPC;
	if (t->interval == 0 || !rated) {
		rate_ok = true;
	} else {
		for (i = 0; i < SG_DP_PFX_ROWS; i++) {
			uint64_t tat = t->tat[i][r.slot[i]];

			if (tat <= now || tat - now <= t->tolerance)
				rate_ok = true;
		}
	}
	if (!rate_ok)
		return -EBUSY;
	for (i = 0; i < SG_DP_PFX_ROWS; i++) {
		uint64_t *tat = &t->tat[i][r.slot[i]];

		if (rated)
			*tat = (*tat > now ? *tat : now) + t->interval;
		t->held[i][r.slot[i]]++;
	}
	return 0;
}

void
sg_dp_pfx_release(struct sg_dp_pfx_tab *t, struct sg_dp_pfx_ref r)
{
	unsigned int i;

	for (i = 0; i < SG_DP_PFX_ROWS; i++) {
		if (t->held[i][r.slot[i]] > 0)
			t->held[i][r.slot[i]]--;
	}
}

int
sg_dp_pfx_admit(struct sg_dp_pfx_tab *t, struct sg_dp_pfx_ref r, uint64_t now)
{
	return pfx_admit(t, r, now, true);
}

int
sg_dp_pfx_admit_held(struct sg_dp_pfx_tab *t, struct sg_dp_pfx_ref r)
{
	return pfx_admit(t, r, 0, false);
}
