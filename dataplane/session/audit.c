/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session audit: SESSION_ALIVE messages with the ID of every flow that
 * carries a streaming session, SG_MSG_ALIVE_MAX per message, the last one
 * flagged. A message that finds the ring full is kept and sent first at
 * the next step, so the IDs arrive in order and none is skipped.
 */
#include <string.h>

#include "session/audit.h"
#include "session/ctl.h"

static void
alive_reset(struct sg_dp_audit *a)
{
	memset(&a->msg, 0, sizeof(a->msg));
	a->msg.alive.token = a->token;
	a->full = false;
}

void
sg_dp_broker_audit_start(struct sg_dp_worker *w, uint32_t token)
{
	struct sg_dp_audit *a = &w->br->audit;

	a->token = token;
	a->cursor = 0;
	a->active = true;
	alive_reset(a);
}

/* Send the complete message; @return 0 (sent), or the ring is full / sg-control away. */
static int
alive_flush(struct sg_dp_worker *w, struct sg_dp_audit *a)
{
	bool last = a->msg.alive.last != 0;
	int rc = sg_dp_broker_send_alive(w, &a->msg);

	if (rc != 0)
		return rc;
	alive_reset(a);
	if (last)
		a->active = false;
	return 0;
}

void
sg_dp_broker_audit_step(struct sg_dp_worker *w)
{
	struct sg_dp_audit *a = &w->br->audit;
	uint32_t end;

	if (!a->active || (a->full && alive_flush(w, a) != 0) || !a->active)
		return;
	end = a->cursor + SG_DP_AUDIT_SCAN < w->ft.cap ? a->cursor + SG_DP_AUDIT_SCAN : w->ft.cap;
	while (a->cursor < end) {
		uint64_t sid = w->ft.e[a->cursor++].sid;

		if (sid == 0)
			continue;
		a->msg.alive.sid[a->msg.alive.n++] = sid;
		if (a->msg.alive.n == SG_MSG_ALIVE_MAX) {
			a->full = true;
			if (alive_flush(w, a) != 0)
				return;
		}
	}
	if (a->cursor == w->ft.cap) {
		a->msg.alive.last = 1;
		a->full = true;
		alive_flush(w, a);
	}
}
