/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * New flows to a brokered / redirect VS: SYN answered with a SYN cookie
 * (no state at all), the ACK that returns a valid cookie opens a session.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_per_lcore.h>
#include <rte_tcp.h>

#include "core/tx.h"
#include "session/answer.h"
#include "session/cookie.h"
#include "session/key.h"
#include "session/session.h"
#include "session/slots.h"
#include "session/syncookie.h"
#include "session/synack.h"
#include "session/tcpgen.h"

/*
 * The SYN cookie answers of the burst being processed (w->syn_pend of
 * them): SYNs checked, their places in the tx queue taken, their cookies
 * and SYN-ACKs made together by sg_dp_broker_cookie_flush() before the
 * burst ends. Per thread: a worker empties it before it returns from the
 * burst, so workers that share a thread (tests) never see each other's.
 */
struct synq {
	struct sg_dp_syncookie_req ck[SG_DP_BURST];
	struct sg_dp_synack_req sa[SG_DP_BURST];
	uint16_t port[SG_DP_BURST];
	uint64_t now;
} __rte_cache_aligned;
static RTE_DEFINE_PER_LCORE(struct synq, synq);

int
sg_dp_broker_cookie_syn(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_txq *out,
			uint64_t now)
{
	struct synq *q = &RTE_PER_LCORE(synq);
	struct sg_dp_syncookie_req *c;
	struct sg_dp_synack_req *a;
	struct sg_dp_tcp_opts syn;
	uint16_t mtu = t->ports[port].mtu;
	/* IP + TCP headers and a DSR hand-off's outer IP header (IPIP or IPv6-in-IPv6): the
	 * held segments are replayed through that tunnel as the client sent them, so a
	 * full-size one must fit the MTU encapsulated (none of them can be split) */
	uint16_t ovh = p->key.family == AF_INET ? 40 + 20 : 60 + 40;
	unsigned int i;

	if (unlikely(w->syn_budget == 0)) {
		/* behind on the rx ring: established flows first, the client retries */
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_SYN_SHED);
		return -EBUSY;
	}
	w->syn_budget--;
	/* a SYN without options (flood tools send none) needs no parsing: the parse
	 * checked its 20-byte header is in the first segment */
	if (tcp_hlen(tcp_hdr(m, p)) == sizeof(struct rte_tcp_hdr))
		memset(&syn, 0, sizeof(syn));
	else if (sg_dp_tcpopt_parse_mbuf(m, p->l2_len + p->l3_len, &syn) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_TCP_FLAGS);
		return -EBADMSG;
	}
	if (unlikely(w->syn_pend >= SG_DP_BURST))
		sg_dp_broker_cookie_flush(w); /* not from a burst's dispatch: cannot happen */
	i = w->syn_pend;
	c = &q->ck[i];
	a = &q->sa[i];
	/*
	 * Field by field: a copy of the whole of syn read it back 16 bytes at a
	 * time right after the parse (or the memset) wrote it in smaller
	 * stores, and waited for them (a store-forwarding stall, a quarter of
	 * this function's samples; another on the &= of the copy's flags).
	 */
	a->o.mss = mtu > ovh ? (uint16_t)(mtu - ovh) : 536;
	a->o.wscale = BR_WSCALE;
	a->o.has_ts = syn.has_ts;
	/* without timestamps the cookie cannot carry these: the connection goes without */
	a->o.has_wscale = syn.has_wscale && syn.has_ts;
	a->o.sack_ok = syn.sack_ok && syn.has_ts;
	a->o.tsval = syn.tsval; /* the flush's clock replaces it */
	a->o.tsecr = syn.tsval;
	a->m = m;
	a->p = p;
	if (sg_dp_synack_prepare(a) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return -EBADMSG;
	}
	c->k = &p->key;
	c->isn = rte_be_to_cpu_32(tcp_hdr(m, p)->sent_seq);
	(void)sg_dp_syncookie_prep(&syn, &c->idx, &c->ts_bits);
	w->stats.cnt[SG_DP_EV_SYNCOOKIE]++;
	if (unlikely(out->n[port] >= SG_DP_TXQ_MAX)) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_TX_FULL);
		return 0;
	}
	out->pkts[port][out->n[port]++] = m; /* its place: the SYN-ACK is built there */
	a->ack = c->isn + 1;
	q->port[i] = port;
	q->now = now;
	w->syn_pend = (uint16_t)(i + 1);
	return 0;
}

void
sg_dp_broker_cookie_flush(struct sg_dp_worker *w)
{
	struct synq *q = &RTE_PER_LCORE(synq);
	unsigned int i, n = w->syn_pend;
	uint32_t ns;

	if (n == 0)
		return;
	ns = now_s(w, q->now);
	sg_dp_syncookie_make_burst(w->conf.cookies, ns, q->ck, n);
	for (i = 0; i < n; i++) {
		q->sa[i].seq = q->ck[i].cookie;
		if (q->sa[i].o.has_ts)
			q->sa[i].o.tsval = sg_dp_syncookie_tsval(ns, q->ck[i].ts_bits);
	}
	sg_dp_synack_fill_burst(q->sa, n, 65535);
	/* a run of one port's answers added once: not a load and store of its counter each */
	for (i = 0; i < n;) {
		uint16_t port = q->port[i];
		uint64_t bytes = 0;

		do
			bytes += rte_pktmbuf_pkt_len(q->sa[i].m);
		while (++i < n && q->port[i] == port);
		w->pend_tx_bytes[port] += bytes;
	}
	w->syn_pend = 0;
}

enum sg_dp_cnt
sg_dp_broker_cookie_check(struct sg_dp_worker *w, struct rte_mbuf *m, const struct sg_dp_pkt *p,
			  uint64_t now, struct sg_dp_tcp_opts *o, struct sg_dp_tcp_opts *cur)
{
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq), ack = rte_be_to_cpu_32(th->recv_ack);
	int crc;

	if (!tcp_csum_ok(m, p))
		return SG_DP_DROP_HELD_CSUM; /* the client sends it again */
	if (sg_dp_tcpopt_parse_mbuf(m, p->l2_len + p->l3_len, cur) != 0)
		return SG_DP_DROP_TCP_FLAGS;
	crc = sg_dp_syncookie_check(w->conf.cookies, &p->key, ack, seq, now_s(w, now), cur->has_ts,
				    cur->tsecr, o);
	if (crc != 0)
		return crc == -ETIMEDOUT ? SG_DP_DROP_COOKIE_OLD : SG_DP_DROP_COOKIE_BAD;
	return SG_DP_CNT_MAX;
}

int
sg_dp_broker_cookie_verify(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
			   const struct sg_dp_pkt *p, uint64_t now, struct sg_dp_tcp_opts *o,
			   struct sg_dp_tcp_opts *cur)
{
	enum sg_dp_cnt rc = sg_dp_broker_cookie_check(w, m, p, now, o, cur);

	if (rc == SG_DP_CNT_MAX)
		return 0;
	sg_dp_pkt_drop(w, port, m, rc);
	if (rc == SG_DP_DROP_COOKIE_OLD)
		return -ETIMEDOUT;
	return rc == SG_DP_DROP_COOKIE_BAD ? -EACCES : -EBADMSG;
}

void
sg_dp_broker_cookie_fill(struct br_sess *s, struct sg_dp_flow *f, struct rte_mbuf *m,
			 const struct sg_dp_pkt *p, const struct sg_dp_tcp_opts *o,
			 const struct sg_dp_tcp_opts *cur)
{
	const struct rte_tcp_hdr *th = tcp_hdr(m, p);

	s->client_isn = rte_be_to_cpu_32(th->sent_seq) - 1;
	s->our_isn = rte_be_to_cpu_32(th->recv_ack) - 1;
	s->our_tsval = cur->tsecr;
	s->client_tsval = cur->tsval;
	s->opts = *o;
	f->ts = o->has_ts;
}

static void
on_cookie_ack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	      struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
	      struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_broker *b = w->br;
	uint32_t seq = rte_be_to_cpu_32(tcp_hdr(m, p)->sent_seq);
	struct sg_dp_tcp_opts o, cur;
	struct sg_dp_flow *f;
	struct br_sess *s;

	if (sg_dp_broker_cookie_verify(w, port, m, p, now, &o, &cur) != 0)
		return;
	if (b->n_free == 0 || b->held_by_vs[vs->slot] >= vs->br.max_held) {
		sg_dp_broker_answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		w->stats.cnt[SG_DP_EV_SESS_REJECTED]++; /* no room: refused at once */
		return;
	}
	s = sg_dp_broker_sess_open(w, port, m, p, vs, seq, now, &f);
	if (s == NULL)
		return;
	sg_dp_broker_cookie_fill(s, f, m, p, &o, &cur);
	sg_dp_broker_held_data(w, t, port, m, p, f, s, out, now);
}

/* sg_dp_broker_new() of anything but a TCP SYN with a worker that serves sessions. */
static __rte_noinline void
new_other(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port, struct rte_mbuf *m,
	  const struct sg_dp_pkt *p, const struct sg_dp_vs *vs, struct sg_dp_txq *out, uint64_t now)
{
	uint8_t fl = p->tcp_flags;

	if (w->br == NULL || (p->key.proto != IPPROTO_TCP && p->key.proto != IPPROTO_UDP) ||
	    (p->key.proto == IPPROTO_UDP && vs->mode != SG_CFG_MODE_BROKERED)) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_VS_MODE);
		return;
	}
	if (p->key.proto == IPPROTO_UDP) {
		struct sg_dp_flow *f;
		struct br_sess *s;

		if (w->br->n_free == 0 || w->br->held_by_vs[vs->slot] >= vs->br.max_held) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_SESS_FULL);
			return;
		}
		s = sg_dp_broker_sess_open(w, port, m, p, vs, 0, now, &f);
		if (s != NULL)
			sg_dp_broker_udp_hold(w, t, port, m, p, f, s, out);
		return;
	}
	if (fl & RTE_TCP_RST_FLAG) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NO_FLOW);
		return;
	}
	if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_ACK_FLAG &&
	    !(fl & RTE_TCP_FIN_FLAG)) {
		on_cookie_ack(w, t, port, m, p, vs, out, now);
		return;
	}
	sg_dp_pkt_drop(w, port, m, SG_DP_DROP_NO_FLOW);
}

void
sg_dp_broker_new(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		 struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
		 struct sg_dp_txq *out, uint64_t now)
{
	if (likely(w->br != NULL && p->key.proto == IPPROTO_TCP &&
		   (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
			   RTE_TCP_SYN_FLAG))
		sg_dp_broker_cookie_syn(w, t, port, m, p, out, now);
	else
		new_other(w, t, port, m, p, vs, out, now);
}
