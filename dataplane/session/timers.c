/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session layer's round on the worker loop: messages from sg-control,
 * hold and connect timeouts, re-sends of SESSION_NEW, SYNs and replays,
 * SESSION_CLOSED retries, SESSION_USAGE (acct.c) and VS_STATS (vsstats.c).
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>
#include <rte_ring_elem.h>

#include "core/flow.h"
#include "core/passive.h"
#include "session/abort.h"
#include "session/answer.h"
#include "session/ctl.h"
#include "session/handoff.h"
#include "session/session.h"
#include "session/slots.h"
#include "session/vsstats.h"

static void
scan(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	unsigned int k;

	for (k = 0; k < BR_SCAN_PER_POLL && k < b->cap; k++) {
		struct br_sess *s = &b->s[b->scan];
		struct sg_dp_flow *f;

		b->scan = b->scan + 1 == b->cap ? 0 : b->scan + 1;
		if (s->state == BR_FREE || s->flow >= w->ft.cap)
			continue;
		f = &w->ft.e[s->flow];
		if (f->sid != s->sid)
			continue;
		if (s->state == BR_SPLICED) {
			if (now < s->next_try)
				continue;
			if (s->tries >= BR_REPLAY_TRIES) {
				/* the VM never took the replayed bytes: give the session up */
				w->stats.cnt[SG_DP_EV_SESS_TIMEOUT]++;
				w->stats.cnt[SG_DP_EV_SESS_TMO_REPLAY]++;
				sg_dp_passive_fail(w, t, f, SG_MSG_SUSPECT_REPLAY, now);
				sg_dp_broker_sess_release(w, f);
				continue;
			}
			s->tries++;
			s->next_try = now + ms_tsc(w, BR_REPLAY_RTO_MS);
			sg_dp_broker_replay(w, t, f, s, s->client_port, out, now);
			continue;
		}
		if (now > s->deadline) {
			if (s->state == BR_CONNECTING) { /* no SYN-ACK to the hand-off's SYN */
				w->stats.cnt[SG_DP_EV_SESS_TMO_CONN]++;
				sg_dp_passive_fail(w, t, f, SG_MSG_SUSPECT_TIMEOUT, now);
			} else {
				w->stats.cnt[SG_DP_EV_SESS_TMO_HOLD]++;
			}
			sg_dp_broker_sess_end(w, f, s, out, SG_DP_EV_SESS_TIMEOUT,
					      SG_DP_EV_FLOW_EXPIRED);
			continue;
		}
		if (now < s->next_try)
			continue;
		if (s->state == BR_HELD && s->key_done) {
			if (sg_dp_broker_send_new(w, f, s) != 0)
				s->next_try = now + ms_tsc(w, BR_RESEND_MS);
		} else if (s->state == BR_CONNECTING && f->key.proto == IPPROTO_UDP) {
			sg_dp_broker_udp_flush(w, t, f, s, out, now);
		} else if (s->state == BR_CONNECTING) {
			if (s->tries >= BR_SYN_TRIES) {
				s->deadline = now; /* times out on the next pass */
				continue;
			}
			s->tries++;
			s->next_try = now + ms_tsc(w, BR_SYN_RTO_MS);
			/* the SYN to the VM: tunnelled to its host (DSR) or from a NAT address */
			(void)(s->dsr ? sg_dp_broker_dsr_syn(w, t, f, s, out, now)
				      : sg_dp_broker_nat_syn(w, t, f, s, out, now));
		}
	}
}

void
sg_dp_broker_poll(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_txq *out,
		  uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	unsigned int n, i, taken = 0;

	if (b == NULL)
		return;
	while (w->conf.from_ctl != NULL && taken < BR_MSGS_PER_POLL &&
	       (n = rte_ring_dequeue_burst_elem(w->conf.from_ctl, b->rx, SG_MSG_SIZE,
						RTE_DIM(b->rx), NULL)) > 0) {
		for (i = 0; i < n; i++)
			sg_dp_broker_ctl_msg(w, t, &b->rx[i], out, now);
		taken += n;
	}
	if (now - b->last_scan >= ms_tsc(w, 1)) {
		b->last_scan = now;
		scan(w, t, out, now);
		if (b->closed_n > 0)
			sg_dp_broker_closed_flush(w);
		sg_dp_broker_audit_step(w); /* after the closes: they arrive first */
		if (b->drain.n > 0)
			sg_dp_broker_drain_step(w, t, out, now);
		if (b->n_usage > 0)
			sg_dp_acct_usage_step(w, now);
		sg_dp_vsstats_step(w, t, now);
	}
}
