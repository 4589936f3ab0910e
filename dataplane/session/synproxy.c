/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN proxy of nat TCP virtual services, and of dsr ones whose members run
 * sg-hostagent (syn_proxy: on | auto; dsr: syn_proxy_dsr: handoff): a SYN is
 * answered with a SYN cookie and leaves no state (no flow entry, no NAT
 * port); the client's ACK returning a valid cookie makes the flow, the
 * scheduler picks the member as for any new flow, and the connection to
 * the member is opened exactly as the brokered NAT (or DSR) hand-off does it (the
 * client's ISN and options in our SYN, the data the client sent meanwhile
 * held and acknowledged, replayed on the member's SYN-ACK, sequence numbers
 * translated for the flow's life). What differs from a brokered session: no
 * L7 key, no sg-control (the session slot is local and never reported), and
 * the flow's member counters are the member's own. DSR: the hand-off SYN
 * goes through the tunnel to the member's host, whose datapath translates
 * the member's replies (dsr_handoff.c).
 *
 * syn_proxy: auto decides per worker and VS, as Linux does with its
 * backlog: on when, within a 100 ms window, this worker saw more SYNs to
 * the VS than its share of syn_proxy_rate, or its flow table or NAT ports
 * are filled beyond syn_proxy_fill_pct; off again after syn_proxy_hold_s
 * seconds in which the SYN rate stayed below half the threshold and the
 * fill 10 points below its own.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/nat.h"
#include "core/passive.h"
#include "core/sched.h"
#include "core/tx.h"
#include "session/answer.h"
#include "session/cookie.h"
#include "session/handoff.h"
#include "session/key.h"
#include "session/session.h"
#include "session/slots.h"

#define SP_WINDOW_MS 100 /* SYN rate measured over windows of this length */

/* Percent of this worker's flow entries or of one NAT address's ports in use (the largest). */
static uint32_t
fill_pct(const struct sg_dp_worker *w)
{
	uint32_t ft = w->ft.cap ? (uint32_t)((uint64_t)w->ft.count * 100 / w->ft.cap) : 0;
	uint32_t nat = 0, i, cap;

	for (i = 0; i < SG_DP_NAT_POOLS; i++) {
		const struct sg_dp_nat_pool *pl = &w->nat.pool[i];

		cap = pl->n + pl->n_used;
		if (pl->live && cap > 0)
			nat = RTE_MAX(nat, pl->n_used * 100 / cap);
	}
	return RTE_MAX(ft, nat);
}

/* syn_proxy: auto: one more SYN to @p vs; is the proxy on for it now? */
static bool
auto_on(struct sg_dp_worker *w, const struct sg_dp_vs *vs, uint64_t now)
{
	struct br_synproxy *sp = &w->br->sp[vs->slot];
	uint64_t per_win = (uint64_t)vs->syn_proxy_rate * SP_WINDOW_MS / 1000 / w->conf.n_workers;
	uint32_t fill, off_fill = vs->syn_proxy_fill_pct > 10 ? vs->syn_proxy_fill_pct - 10 : 0;

	if (per_win == 0)
		per_win = 1;
	sp->syns++;
	if (now < sp->win_end && !(sp->syns > per_win && !sp->on))
		return sp->on;
	/* a window ended (or the threshold was crossed inside it): decide */
	if (now >= sp->win_end + ms_tsc(w, SP_WINDOW_MS))
		sp->syns = 1; /* the windows before this SYN were idle */
	fill = fill_pct(w);
	if (sp->syns > per_win || fill >= vs->syn_proxy_fill_pct) {
		if (!sp->on)
			w->stats.cnt[SG_DP_EV_SYNPROXY_ON]++;
		sp->on = true;
		sp->busy = now;
	} else if (sp->on && (sp->syns * 2 > per_win || fill > off_fill)) {
		sp->busy = now; /* between the two thresholds: stays on */
	} else if (sp->on && now - sp->busy >= w->tsc_hz * vs->syn_proxy_hold_s) {
		w->stats.cnt[SG_DP_EV_SYNPROXY_OFF]++;
		sp->on = false;
	}
	if (now >= sp->win_end) {
		sp->win_end = now + ms_tsc(w, SP_WINDOW_MS);
		sp->syns = 0;
	}
	return sp->on;
}

/* The flow counts as its member's from now on (the session slot made it a brokered one). */
static void
member_take(struct sg_dp_worker *w, struct sg_dp_flow *f, const struct sg_dp_member *mb)
{
	w->member_active[SG_DP_MEMBER_SLOT_BROKERED]--;
	f->member_slot = mb->slot;
	w->member_active[mb->slot]++;
	w->stats.member[mb->slot].active_flows++;
	w->stats.member[mb->slot].flows++;
}

/* The member of a new proxied flow, as sg_msg_session_install names a VM (dsr: and its host). */
static void
install_of(struct sg_msg_session_install *in, const struct sg_dp_vs *vs,
	   const struct sg_dp_member *mb)
{
	memset(in, 0, sizeof(*in));
	in->family = sg_dp_family_to_wire(mb->addr.family);
	in->backend_port = mb->port ? mb->port : vs->port;
	memcpy(in->backend_addr, mb->addr.a, sizeof(in->backend_addr));
	if (vs->mode == SG_CFG_MODE_DSR && mb->host.family == mb->addr.family)
		memcpy(in->host_addr, mb->host.a, sizeof(in->host_addr));
}

/* The client's ACK with a valid cookie: flow, session slot, SYN to the member. */
static void
on_ack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port, struct rte_mbuf *m,
       const struct sg_dp_pkt *p, const struct sg_dp_vs *vs, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	uint32_t seq = rte_be_to_cpu_32(tcp_hdr(m, p)->sent_seq);
	struct sg_msg_session_install in;
	const struct sg_dp_member *mb;
	struct sg_dp_tcp_opts o, cur;
	struct sg_dp_flow *f;
	struct br_sess *s;
	uint16_t idx;

	if (sg_dp_broker_cookie_verify(w, port, m, p, now, &o, &cur) != 0)
		return;
	idx = sg_dp_sched_pick(w, vs, sg_dp_flow_hash(&p->key));
	if (b->n_free == 0 || b->held_by_vs[vs->slot] >= vs->br.max_held ||
	    (vs->max_flows != 0 && w->vs_active[vs->slot] >= vs->max_flows) ||
	    idx == SG_DP_NO_MEMBER || idx >= vs->pool->n_members) {
		sg_dp_broker_answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		w->stats.cnt[SG_DP_EV_SYNPROXY_REFUSED]++;
		return;
	}
	mb = &vs->pool->members[idx];
	s = sg_dp_broker_sess_open(w, port, m, p, vs, seq, now, &f);
	if (s == NULL)
		return;
	sg_dp_broker_cookie_fill(s, f, m, p, &o, &cur);
	f->flags |= SG_DP_FLOW_PROXY;
	f->mode = SG_CFG_MODE_BROKERED; /* a session's flow until the member's SYN-ACK */
	member_take(w, f, mb);
	if (vs->mode == SG_CFG_MODE_NAT) /* DSR: the member answers through its host, unseen */
		sg_dp_passive_watch(f, mb, s->client_isn);
	install_of(&in, vs, mb);
	if ((vs->mode == SG_CFG_MODE_DSR
		     ? sg_dp_broker_install_dsr(w, t, f, s, &in, out, now)
		     : sg_dp_broker_install_nat(w, t, f, s, &in, out, now)) != 0) {
		sg_dp_broker_answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		w->stats.cnt[SG_DP_EV_SYNPROXY_REFUSED]++;
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		return;
	}
	/* the SYN is re-sent by the session scan; give up after its tries */
	s->deadline = now + ms_tsc(w, (uint64_t)BR_SYN_RTO_MS * (BR_SYN_TRIES + 1));
	w->stats.cnt[SG_DP_EV_SYNPROXY_OPEN]++;
	/* data with the ACK is held and acknowledged, replayed on the SYN-ACK */
	sg_dp_broker_held_data(w, t, port, m, p, f, s, out, now);
}

/* Does the ACK @p m return a valid cookie? (@p m stays the caller's.) */
static bool
cookie_valid(struct sg_dp_worker *w, struct rte_mbuf *m, const struct sg_dp_pkt *p, uint64_t now)
{
	struct sg_dp_tcp_opts o, cur;

	return sg_dp_broker_cookie_check(w, m, p, now, &o, &cur) == SG_DP_CNT_MAX;
}

bool
sg_dp_synproxy_new(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		   struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
		   struct sg_dp_txq *out, uint64_t now)
{
	uint8_t fl = p->tcp_flags &
		     (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG | RTE_TCP_FIN_FLAG);

	if (w->br == NULL || w->conf.cookies == NULL || vs->syn_proxy == SG_CFG_SYN_PROXY_OFF ||
	    vs->slot >= SG_DP_VS_SLOTS)
		return false;
	if (fl == RTE_TCP_SYN_FLAG) {
		if (vs->syn_proxy == SG_CFG_SYN_PROXY_AUTO && !auto_on(w, vs, now))
			return false; /* off for now: a plain new flow */
		if (sg_dp_broker_cookie_syn(w, t, port, m, p, out, now) == 0)
			w->stats.cnt[SG_DP_EV_SYNPROXY_SYNACK]++;
		return true;
	}
	if (fl != RTE_TCP_ACK_FLAG)
		return false;
	/*
	 * An ACK for no flow to a dsr VS while auto is off: a cookie's if it is
	 * valid, else the plain DSR path (Maglev maps a connection whose flow
	 * was lost to its member).
	 */
	if (vs->mode == SG_CFG_MODE_DSR && vs->syn_proxy == SG_CFG_SYN_PROXY_AUTO &&
	    !w->br->sp[vs->slot].on && !cookie_valid(w, m, p, now))
		return false;
	/* an ACK for no flow: a cookie, also after auto turned the proxy off */
	on_ack(w, t, port, m, p, vs, out, now);
	return true;
}

void
sg_dp_synproxy_flow_gone(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why)
{
	if (f->sync & SG_DP_SYNC_COPY) {
		f->sid = 0; /* a peer's session never taken over: its owner reports the end */
		return;
	}
	if (!(f->flags & SG_DP_FLOW_PROXY)) {
		sg_dp_broker_flow_gone(w, f, why);
		return;
	}
	/* a proxied flow: sg-control never heard of it */
	sg_dp_broker_sid_forget(w, f);
	f->sid = 0;
}
