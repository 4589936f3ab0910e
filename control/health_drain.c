/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operator's drains of pool members (health.h): a member or all of
 * them get DRAIN now and RESET at the deadline; the deadline of `drain all`
 * also aborts every installed brokered session (SESSION_ABORT, reset,
 * reason DRAINED) on its worker's ring. sg_ctl_health_drain_tick() runs
 * the deadlines.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cs.h"
#include "health.h"
#include "shm.h"

#define NS_PER_S 1000000000ull

/* Every installed session of the appliance ends (drain all's deadline). */
static void
abort_installed(struct sg_ctl_health *h)
{
	struct sg_ctl_cs *cs;
	struct sg_msg msg;
	uint32_t i;

	if (h->tab == NULL || h->shm == NULL)
		return;
	/* INSTALLED has no deadline, so no list of its own: walk the index. */
	for (i = 0; i <= h->tab->hmask; i++) {
		for (cs = h->tab->htab[i]; cs != NULL; cs = cs->hnext) {
			if (cs->state != SG_CTL_CS_INSTALLED)
				continue;
			memset(&msg, 0, sizeof(msg));
			msg.hdr.type = SG_MSG_SESSION_ABORT;
			msg.hdr.session_id = cs->session_id;
			msg.abort.action = SG_MSG_ABORT_RESET;
			msg.abort.reason = SG_MSG_REASON_DRAINED;
			sg_ctl_shm_send(h->shm, cs->worker, &msg);
			h->st.aborts_sent++;
		}
	}
}

void
sg_ctl_health_drain_tick(struct sg_ctl_health *h)
{
	uint64_t now = h->clk->now_ns;
	unsigned int i;

	if (h->all == SG_CTL_DRAIN_ON && h->all_deadline_ns != 0 && now >= h->all_deadline_ns) {
		syslog(LOG_NOTICE, "health: drain all: deadline passed, resetting");
		h->all = SG_CTL_DRAIN_RESET;
		sg_ctl_health_publish_all(h, SG_MSG_MEMBER_RESET);
		abort_installed(h);
	}
	for (i = 0; i < h->n; i++) {
		struct sg_ctl_member *m = &h->m[i];

		if (m->drain == SG_CTL_DRAIN_ON && m->drain_deadline_ns != 0 &&
		    now >= m->drain_deadline_ns) {
			m->drain = SG_CTL_DRAIN_RESET;
			snprintf(m->reason, sizeof(m->reason), "drain deadline passed");
			sg_ctl_health_publish(h, i);
		}
	}
}

static uint64_t
deadline(const struct sg_ctl_health *h, uint32_t deadline_s)
{
	return deadline_s == 0 ? 0 : h->clk->now_ns + (uint64_t)deadline_s * NS_PER_S;
}

void
sg_ctl_health_drain(struct sg_ctl_health *h, unsigned int i, uint32_t deadline_s)
{
	struct sg_ctl_member *m = &h->m[i];

	m->drain = SG_CTL_DRAIN_ON;
	m->drain_deadline_ns = deadline(h, deadline_s);
	snprintf(m->reason, sizeof(m->reason), "drained by the operator");
	sg_ctl_health_publish(h, i);
}

void
sg_ctl_health_undrain(struct sg_ctl_health *h, unsigned int i)
{
	struct sg_ctl_member *m = &h->m[i];

	m->drain = SG_CTL_DRAIN_NONE;
	m->drain_deadline_ns = 0;
	snprintf(m->reason, sizeof(m->reason), "undrained by the operator");
	sg_ctl_health_publish(h, i);
}

void
sg_ctl_health_drain_all(struct sg_ctl_health *h, uint32_t deadline_s)
{
	h->all = SG_CTL_DRAIN_ON;
	h->all_deadline_ns = deadline(h, deadline_s);
	sg_ctl_health_publish_all(h, SG_MSG_MEMBER_DRAIN);
}

void
sg_ctl_health_undrain_all(struct sg_ctl_health *h)
{
	bool was = h->all != SG_CTL_DRAIN_NONE;

	h->all = SG_CTL_DRAIN_NONE;
	h->all_deadline_ns = 0;
	if (was)
		sg_ctl_health_publish_all(h, SG_MSG_MEMBER_UP);
}
