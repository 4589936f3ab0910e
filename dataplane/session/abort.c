/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SESSION_ABORT from sg-control (abort.h): reject a held session, reset an
 * installed one now or at its drain deadline (a NAT hand-off's sides at
 * once where their sequence numbers are known, then from each next
 * segment: session/flow.c, peerrst.h). The flow keeps the
 * abort's reason (SG_DP_FLOW_ABORT, abort_reason) for its SESSION_CLOSED,
 * sent by the flow_gone hook like every other close.
 */
#include <rte_tcp.h>

#include "session/abort.h"
#include "session/answer.h"
#include "session/peerrst.h"
#include "session/slots.h"

/*
 * Reset: a NAT hand-off's sides whose next sequence numbers are known get
 * their RST now (peerrst.h); from now on the flow answers both sides'
 * segments with RST (session/flow.c), for a while: what was not known, a
 * RST lost or not accepted (a challenge ACK), later segments.
 */
static void
reset_next(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
	   struct sg_dp_txq *out, uint64_t now)
{
	(void)sg_dp_abort_rst(w, t, f, out, now); /* before the flow's mode changes */
	f->mode = SG_CFG_MODE_BROKERED; /* its segments go to the session layer, not forwarded */
	f->state = SG_DP_FS_ANSWERED;
	f->flags = (uint8_t)((f->flags | SG_DP_FLOW_RSTNEXT) &
			     ~(SG_DP_FLOW_WATCH | SG_DP_FLOW_SYNACK));
	f->tmo_est = f->tmo_trans = ms_tsc(w, BR_ABORT_LINGER_MS);
	f->last_tsc = now;
}

static int
drain_add(struct sg_dp_broker *b, const struct sg_dp_flow *f, uint32_t idx, uint64_t deadline)
{
	struct br_drain_tab *d = &b->drain;

	if (d->n == BR_DRAIN_MAX)
		return -ENOSPC;
	d->e[d->n].sid = f->sid;
	d->e[d->n].flow = idx;
	d->e[d->n].deadline = deadline;
	d->n++;
	return 0;
}

void
sg_dp_broker_abort(struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_msg *m,
		   struct sg_dp_txq *out, uint64_t now)
{
	uint64_t sid = m->hdr.session_id;
	struct sg_dp_flow *f = NULL;
	struct br_sess *s;

	if (((sid >> BR_SID_WORKER_BIT) & BR_SID_WORKER_MASK) !=
		    (w->conf.id & BR_SID_WORKER_MASK) ||
	    (f = sg_dp_broker_flow_by_id(w, sid)) == NULL || (f->flags & SG_DP_FLOW_PROXY)) {
		w->stats.cnt[SG_DP_EV_CTL_ABORT_UNKNOWN]++; /* gone, another worker's, or forged */
		return;
	}
	w->stats.cnt[SG_DP_EV_CTL_ABORT]++;
	f->flags |= SG_DP_FLOW_ABORT;
	f->abort_reason = (uint8_t)m->abort.reason;
	s = sess_of(w, f);
	if (s != NULL && s->state != BR_SPLICED) {
		/* not installed: the client gets the reject answer (503 or RST) */
		sg_dp_broker_sess_end(w, f, s, out, SG_DP_EV_SESS_REJECTED, SG_DP_EV_FLOW_CLOSED);
		return;
	}
	sg_dp_broker_sess_release(w, f); /* a replay in progress stops */
	if (m->abort.action == SG_MSG_ABORT_DRAIN) {
		if (m->abort.deadline_s == 0 ||
		    drain_add(w->br, f, (uint32_t)(f - w->ft.e),
			      now + w->tsc_hz * (uint64_t)m->abort.deadline_s) == 0)
			return; /* traffic goes on; the flow's end sends SESSION_CLOSED */
		w->stats.cnt[SG_DP_EV_CTL_DRAIN_FULL]++; /* no room to wait: reset now */
	}
	reset_next(w, t, f, out, now);
}

void
sg_dp_broker_drain_step(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_txq *out,
			uint64_t now)
{
	struct br_drain_tab *d = &w->br->drain;
	uint32_t i = 0;

	while (i < d->n) {
		struct br_drain *e = &d->e[i];
		struct sg_dp_flow *f = &w->ft.e[e->flow];
		bool live = f->state != SG_DP_FS_FREE && f->sid == e->sid;

		if (live && now < e->deadline) {
			i++;
			continue;
		}
		if (live)
			reset_next(w, t, f, out, now); /* the deadline passed */
		*e = d->e[--d->n];
	}
}
