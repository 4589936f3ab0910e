/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segments the data plane answers a client with, built in place from the
 * client's own segment (or a copy of its headers while it is held).
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/tx.h"
#include "session/answer.h"
#include "session/httpans.h"
#include "session/l7key.h"
#include "session/slots.h"
#include "session/tcpgen.h"

/*
 * Turn @p m (a segment from the peer) into our answer to it, transmitted
 * on the port it came in on.
 */
void
sg_dp_broker_answer(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
		    const struct sg_dp_pkt *p, enum answer_kind kind, uint32_t seq, uint32_t ack,
		    uint16_t win, const void *data, uint16_t len, struct sg_dp_txq *out)
{
	int rc;

	switch (kind) {
	case ANS_ACK:
		rc = sg_dp_tcpgen_ack(m, p, seq, ack, win);
		break;
	case ANS_RST:
		rc = sg_dp_tcpgen_rst(m, p);
		break;
	default:
		rc = sg_dp_tcpgen_data(m, p, seq, ack, win, data, len, true);
		break;
	}
	if (rc != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	sg_dp_pkt_tx(w, port, out, port, m);
}

/* A copy of @p m's headers, to answer with while @p m itself is held. */
struct rte_mbuf *
sg_dp_broker_header_copy(struct sg_dp_worker *w, struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	uint32_t hl = p->l2_len + p->l3_len + tcp_hlen(tcp_hdr(m, p));
	struct rte_mbuf *c = rte_pktmbuf_copy(m, w->conf.pool, 0, hl);

	w->stats.cnt[SG_DP_EV_GENERATED]++;
	if (c == NULL)
		w->stats.cnt[SG_DP_DROP_NO_MBUF]++;
	return c;
}

uint16_t
sg_dp_broker_hold_window(const struct br_sess *s, const struct sg_dp_vs *vs)
{
	uint32_t room = vs != NULL && vs->br.hold_bytes > s->hold.bytes
				? vs->br.hold_bytes - s->hold.bytes
				: 0;

	if (s->opts.has_wscale)
		room >>= BR_WSCALE;
	return (uint16_t)RTE_MIN(room, 65535u);
}

/* The HTTP answer to a refusal for @p reason (0: 503); 0 bytes: none fits. */
static int
refuse_body(char *body, size_t cap, uint16_t reason, uint16_t retry_after, const char *location)
{
	switch (reason) {
	case SG_MSG_REASON_FORBIDDEN:
		return (int)sg_dp_http_403(body, cap);
	case SG_MSG_REASON_LOGIN:
		return location != NULL
			       ? (int)sg_dp_http_302(body, cap, location, SG_MSG_LOCATION_MAX)
			       : 0;
	case SG_MSG_REASON_LIMIT:
		return (int)sg_dp_http_429(body, cap, retry_after);
	default:
		return (int)sg_dp_http_503(body, cap, retry_after);
	}
}

/*
 * The answer of a refused session: for an HTTP key the HTTP answer of
 * @p reason (403, 302, 429; else 503), otherwise (or when it does not fit)
 * a RST. Counted in the VS's VS_STATS rejected.
 */
static void
answer_refuse(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
	      struct sg_dp_txq *out, uint16_t reason, uint16_t retry_after, const char *location)
{
	struct sg_dp_hold_seg seg;
	struct sg_dp_pkt p;
	char body[BR_ANSWER_MAX];
	int len = 0;

	w->br->vsc[s->vs_slot].rejected++;
	if (f->key.proto != IPPROTO_TCP) {
		/* UDP: nothing to answer with; held datagrams are dropped (drop_brokered) and
		 * the client's next ones too until the flow expires */
		f->state = SG_DP_FS_ANSWERED;
		f->tmo_est = f->tmo_trans = w->tsc_hz;
		return;
	}
	if (sg_dp_hold_pop(&s->hold, &seg) != 0) {
		/* nothing held to answer with: the client's next segment gets a RST */
		f->state = SG_DP_FS_ANSWERED;
		f->flags |= SG_DP_FLOW_RSTNEXT;
		f->seq_s2c = s->our_isn + 1;
		return;
	}
	w->stats.cnt[SG_DP_EV_RELEASED]++;
	if (sg_dp_pkt_parse(seg.m, &p) != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, s->client_port, seg.m, SG_DP_DROP_BROKERED);
		return;
	}
	if (s->http)
		len = refuse_body(body, sizeof(body), reason, retry_after, location);
	if (len > 0)
		sg_dp_broker_answer(w, s->client_port, seg.m, &p, ANS_DATA_FIN, s->our_isn + 1,
				    s->hold.next_seq, 0, body, (uint16_t)len, out);
	else
		sg_dp_broker_answer(w, s->client_port, seg.m, &p, ANS_RST, 0, 0, 0, NULL, 0, out);
	f->state = SG_DP_FS_ANSWERED;
	f->tmo_trans = s->tmo_trans; /* closing: the VS's transitory timeout again */
	f->seq_s2c = s->our_isn + 1 + (uint32_t)(len > 0 ? len + 1 : 0); /* our next seq */
	f->ts_s2c = s->hold.next_seq;					 /* their next seq */
}

/* The answer of a rejected or timed-out session: 503 (HTTP) or RST. */
void
sg_dp_broker_answer_reject(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
			   struct sg_dp_txq *out, uint16_t retry_after)
{
	answer_refuse(w, f, s, out, SG_MSG_REASON_NONE, retry_after, NULL);
}

void
sg_dp_broker_answer_refuse(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
			   struct sg_dp_txq *out, const struct sg_msg_session_reject *r)
{
	if (r->reason == SG_MSG_REASON_FORBIDDEN || r->reason == SG_MSG_REASON_LOGIN ||
	    r->reason == SG_MSG_REASON_LIMIT)
		answer_refuse(w, f, s, out, r->reason, r->retry_after, r->location);
	else
		answer_refuse(w, f, s, out, SG_MSG_REASON_NONE,
			      r->retry_after ? r->retry_after : s->retry_after, NULL);
}

/*
 * A held or connecting session ends before its hand-off: the reject answer,
 * @p why counted, the slot released; a flow left unanswered (nothing could
 * be sent) is removed with @p gone.
 */
void
sg_dp_broker_sess_end(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
		      struct sg_dp_txq *out, enum sg_dp_cnt why, enum sg_dp_cnt gone)
{
	sg_dp_broker_answer_reject(w, f, s, out, s->retry_after);
	w->stats.cnt[why]++;
	sg_dp_broker_sess_release(w, f);
	if (f->state != SG_DP_FS_ANSWERED)
		sg_dp_flow_remove(w, f, gone);
}
