/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VS_STATS (vsstats.h): about once a second, one message per brokered or
 * redirect VS whose counters on this worker changed since the last one it
 * sent; every one of them once after a reload (new tables).
 */
#include <stdio.h>
#include <string.h>

#include "core/ctlmsg.h"
#include "session/broker.h"
#include "session/vsstats.h"

static bool
brokered(const struct sg_dp_vs *vs)
{
	return vs != NULL && (vs->mode == SG_CFG_MODE_BROKERED || vs->mode == SG_CFG_MODE_REDIRECT);
}

static int
vs_send(struct sg_dp_worker *w, const struct sg_dp_vs *vs, struct br_vs_cnt *c, uint32_t now_held)
{
	struct sg_msg m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.hdr.type = SG_MSG_VS_STATS;
	m.hdr.len = (uint16_t)(sizeof(m.hdr) + sizeof(m.vs_stats));
	m.vs_stats.vs_slot = vs->slot;
	m.vs_stats.held = c->held;
	m.vs_stats.installed = c->installed;
	m.vs_stats.rejected = c->rejected;
	m.vs_stats.held_now = now_held;
	snprintf(m.vs_stats.vs_name, sizeof(m.vs_stats.vs_name), "%s", vs->name);
	rc = sg_dp_ctl_send(w, &m);
	if (rc != 0)
		return rc;
	c->s_held = c->held;
	c->s_installed = c->installed;
	c->s_rejected = c->rejected;
	c->s_now = now_held;
	c->force = false;
	return 0;
}

void
sg_dp_vsstats_step(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	unsigned int slot;

	if (!w->conf.vs_stats)
		return;
	if (t->generation != b->vs_gen) { /* a reload: every brokered VS once, now */
		b->vs_gen = t->generation;
		for (slot = 0; slot < SG_DP_VS_SLOTS; slot++)
			b->vsc[slot].force = brokered(t->vs_by_slot[slot]);
		b->vs_next = now;
	}
	if (now < b->vs_next || !ctl_up(w))
		return; /* sg-control away: the changes wait, the reload's too */
	b->vs_next = now + w->tsc_hz;
	for (slot = 0; slot < SG_DP_VS_SLOTS; slot++) {
		const struct sg_dp_vs *vs = t->vs_by_slot[slot];
		struct br_vs_cnt *c = &b->vsc[slot];

		if (!brokered(vs))
			continue;
		if (!c->force && c->held == c->s_held && c->installed == c->s_installed &&
		    c->rejected == c->s_rejected && b->held_by_vs[slot] == c->s_now)
			continue;
		if (vs_send(w, vs, c, b->held_by_vs[slot]) != 0) {
			w->stats.cnt[SG_DP_EV_VS_STATS_DEFERRED]++; /* the rest: next second */
			return;
		}
		w->stats.cnt[SG_DP_EV_VS_STATS_SENT]++;
	}
}
