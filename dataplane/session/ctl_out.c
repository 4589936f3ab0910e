/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages to sg-control on this worker's ring: SESSION_NEW, SESSION_ALIVE
 * (audit.c), and SESSION_CLOSED (queued, bounded, while the ring is full or
 * sg-control away; what overflows is found by sg-control's next audit).
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>
#include <rte_ring_elem.h>

#include "core/addr.h"
#include "core/ctlmsg.h"
#include "session/ctl.h"

static int
msg_send(struct sg_dp_worker *w, struct sg_msg *m)
{
	return sg_dp_ctl_send(w, m); /* one sequence for the ring (core/ctlmsg.h) */
}

static void
flow_to_msg(const struct sg_dp_flow *f, const struct br_sess *s, struct sg_msg_flow *mf)
{
	/* the slot came zeroed (sg_dp_ctl_reserve()) */
	mf->family = sg_dp_family_to_wire(f->key.family);
	mf->proto = f->key.proto;
	mf->vs_slot = s->vs_slot;
	mf->sport = rte_be_to_cpu_16(f->key.sport);
	mf->dport = rte_be_to_cpu_16(f->key.dport);
	memcpy(mf->saddr, f->key.src, sg_dp_addr_len(f->key.family));
	memcpy(mf->daddr, f->key.dst, sg_dp_addr_len(f->key.family));
}

/*
 * The ring slot for a message of @p type about session @p sid with @p body
 * bytes, its header filled (core/ctlmsg.h: built in place, no copy of the
 * element); NULL with *@p rc when there is none.
 */
static struct sg_msg *
msg_start(struct sg_dp_worker *w, uint16_t type, size_t body, uint64_t sid, int *rc)
{
	struct sg_msg *m = sg_dp_ctl_reserve(w, rc);

	if (m != NULL) {
		m->hdr.type = type;
		m->hdr.len = (uint16_t)(sizeof(m->hdr) + body);
		m->hdr.session_id = sid;
	}
	return m;
}

int
sg_dp_broker_send_new(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s)
{
	int rc;
	struct sg_msg *m =
		msg_start(w, SG_MSG_SESSION_NEW, sizeof(struct sg_msg_session_new), s->sid, &rc);

	if (m == NULL)
		return rc;
	flow_to_msg(f, s, &m->session_new.flow);
	m->session_new.key_type = s->key_type;
	m->session_new.key_len = s->key_len;
	m->session_new.held_bytes = s->hold.bytes;
	memcpy(m->session_new.key, s->key, s->key_len);
	sg_dp_ctl_commit(w, m);
	s->state = BR_SENT;
	w->stats.cnt[SG_DP_EV_SESS_SENT]++;
	if (!s->new_sent) /* VS_STATS' held: once per session, not per re-send */
		w->br->vsc[s->vs_slot].held++;
	s->new_sent = true;
	return 0;
}

int
sg_dp_broker_send_alive(struct sg_dp_worker *w, struct sg_msg *m)
{
	m->hdr.type = SG_MSG_SESSION_ALIVE;
	m->hdr.len = (uint16_t)(sizeof(m->hdr) + sizeof(m->alive));
	m->hdr.session_id = 0;
	return msg_send(w, m);
}

static int
closed_msg(struct sg_dp_worker *w, const struct br_closed *c)
{
	int rc;
	struct sg_msg *m = msg_start(w, SG_MSG_SESSION_CLOSED, sizeof(struct sg_msg_session_closed),
				     c->sid, &rc);

	if (m == NULL)
		return rc;
	m->closed = c->body;
	sg_dp_ctl_commit(w, m);
	return 0;
}

/* SESSION_CLOSED now, or queued (bounded) until the ring or sg-control is back. */
void
sg_dp_broker_send_closed(struct sg_dp_worker *w, uint64_t sid,
			 const struct sg_msg_session_closed *body)
{
	struct sg_dp_broker *b = w->br;
	struct br_closed c = {.sid = sid, .body = *body};

	if (b->closed_n == 0 && closed_msg(w, &c) == 0)
		return;
	if (b->closed_n == BR_CLOSED_Q) {
		w->stats.cnt[SG_DP_EV_CLOSED_LOST]++; /* sg-control never hears of it */
		return;
	}
	b->closed_q[(b->closed_head + b->closed_n) % BR_CLOSED_Q] = c;
	b->closed_n++;
}

void
sg_dp_broker_closed_flush(struct sg_dp_worker *w)
{
	struct sg_dp_broker *b = w->br;

	while (b->closed_n > 0 && closed_msg(w, &b->closed_q[b->closed_head]) == 0) {
		b->closed_head = (b->closed_head + 1) % BR_CLOSED_Q;
		b->closed_n--;
	}
}
