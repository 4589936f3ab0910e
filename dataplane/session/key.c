/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Held sessions: client bytes held (bounded) and acknowledged, the L7 key
 * extracted from them, then SESSION_NEW to sg-control.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>
#include <rte_cycles.h>
#include <rte_udp.h>

#include "core/tx.h"
#include "session/answer.h"
#include "session/ctl.h"
#include "session/key.h"
#include "session/l7key.h"
#include "session/seq.h"
#include "session/slots.h"

/* Decide the key when the bytes held allow it; then tell sg-control. */
static void
try_key(struct sg_dp_worker *w, const struct sg_dp_vs *vs, struct sg_dp_flow *f, struct br_sess *s,
	bool final, struct sg_dp_txq *out)
{
	uint8_t buf[BR_PEEK_MAX];
	size_t n;
	enum sg_dp_l7_result r;
	enum sg_msg_l7 type;
	const char *name = NULL;

	if (s->state != BR_HELD || s->key_done || vs == NULL)
		return;
	switch (vs->br.key) {
	case SG_CFG_L7_HTTP_HOST:
		type = SG_MSG_L7_HTTP_HOST;
		break;
	case SG_CFG_L7_HTTP_PATH:
		type = SG_MSG_L7_HTTP_PATH;
		break;
	case SG_CFG_L7_HTTP_COOKIE:
		type = SG_MSG_L7_HTTP_COOKIE;
		name = vs->br.key_name;
		break;
	case SG_CFG_L7_HTTP_HEADER:
		type = SG_MSG_L7_HTTP_HEADER;
		name = vs->br.key_name;
		break;
	case SG_CFG_L7_TLS_SNI:
		type = SG_MSG_L7_TLS_SNI;
		break;
	case SG_CFG_L7_RDP_COOKIE:
		type = SG_MSG_L7_RDP_COOKIE;
		break;
	case SG_CFG_L7_PREFIX:
		type = SG_MSG_L7_PREFIX;
		break;
	default:
		type = SG_MSG_L7_NONE;
		break;
	}
	if (type != SG_MSG_L7_NONE) {
		n = sg_dp_hold_peek(&s->hold, buf, sizeof(buf));
		if (n == sizeof(buf))
			final = true;
		if (type ==
		    SG_MSG_L7_PREFIX) /* its length straight, not spelt out for the dispatcher */
			r = sg_dp_l7_prefix(vs->br.prefix_len, buf, n, final, s->key, &s->key_len);
		else
			r = sg_dp_l7_extract(type, name, buf, n, final, s->key, &s->key_len);
		if (r == SG_DP_L7_NEED_MORE)
			return;
		if (r == SG_DP_L7_FOUND) {
			s->key_type = (uint8_t)type;
		} else {
			/* sent without a key: sg-control answers it as its apps say */
			w->stats.cnt[r == SG_DP_L7_MALFORMED ? SG_DP_EV_KEY_MALFORMED
							     : SG_DP_EV_KEY_ABSENT]++;
			s->key_type = SG_MSG_L7_NONE;
			s->key_len = 0;
		}
	}
	s->key_done = true;
	if (!ctl_up(w) && vs->br.control_down == SG_CFG_CTL_DOWN_REJECT) {
		sg_dp_broker_answer_reject(w, f, s, out, s->retry_after);
		w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
		sg_dp_broker_sess_release(w, f);
		return;
	}
	if (sg_dp_broker_send_new(w, f, s) != 0)
		s->next_try = rte_rdtsc() + ms_tsc(w, BR_RESEND_MS);
}

/* Acknowledge what is held with a copy of @p m's headers (@p m itself stays held). */
static void
ack_held(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m, const struct sg_dp_pkt *p,
	 const struct br_sess *s, const struct sg_dp_vs *vs, struct sg_dp_txq *out)
{
	uint16_t hl = tcp_hlen(tcp_hdr(m, p));
	struct rte_mbuf *ack = sg_dp_broker_header_copy(w, m, p);
	struct sg_dp_pkt ap = *p;

	if (ack == NULL)
		return;
	ap.l4_len = hl;
	ap.ip_len = (uint16_t)(p->l3_len + hl);
	sg_dp_broker_answer(w, port, ack, &ap, ANS_ACK, s->our_isn + 1, s->hold.next_seq,
			    sg_dp_broker_hold_window(s, vs), NULL, 0, out);
}

void
sg_dp_broker_held_data(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		       struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
		       struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	const struct sg_dp_vs *vs = t->vs_by_slot[s->vs_slot];
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t hl = tcp_hlen(th), seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t off = p->l2_len + p->l3_len + hl;
	uint32_t plen = p->l4_len > hl ? p->l4_len - hl : 0;
	enum sg_dp_hold_result hr;
	bool full = false;

	RTE_SET_USED(now);
	if (!tcp_csum_ok(m, p)) {
		/* neither acknowledged nor held: the client retransmits it */
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HELD_CSUM);
		return;
	}
	if (plen == 0) {
		if (s->key_type == SG_MSG_L7_NONE && s->state == BR_HELD &&
		    (vs == NULL || vs->br.key == SG_CFG_L7_NONE))
			try_key(w, vs, f, s, true, out);
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
		return;
	}
	/*
	 * Data racing a NAT hand-off is held like the rest, replayed on the
	 * SYN-ACK. Not so for DSR: the hand-off's SYN told the VM's host where
	 * the held bytes end (meta.held_end), and the host bounces the VM's
	 * segments here only until that end is acknowledged. Bytes held after
	 * the SYN would be replayed with their acknowledgement going straight
	 * to the client, never seen here: the replay would time out. New bytes
	 * are left unacknowledged; the client sends them again, and by then
	 * the flow forwards to the VM.
	 */
	if (s->dsr && s->state == BR_CONNECTING && sg_dp_seq_gt(seq + plen, s->hold.next_seq)) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_DSR);
		return;
	}
	hr = sg_dp_hold_append(&s->hold, m, off, plen, seq);
	switch (hr) {
	case SG_DP_HOLD_OK:
		w->stats.cnt[SG_DP_EV_HELD]++;
		ack_held(w, port, m, p, s, vs, out);
		break;
	case SG_DP_HOLD_DUP:
		/* a retransmission: acknowledge what we have */
		sg_dp_broker_answer(w, port, m, p, ANS_ACK, s->our_isn + 1, s->hold.next_seq,
				    sg_dp_broker_hold_window(s, vs), NULL, 0, out);
		break;
	case SG_DP_HOLD_OUT_OF_ORDER:
		/* a gap: duplicate ACK, the client resends in order */
		ack_held(w, port, m, p, s, vs, out);
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_OOO);
		break;
	case SG_DP_HOLD_FULL_BYTES:
	case SG_DP_HOLD_FULL_SEGS:
	case SG_DP_HOLD_FULL_BUDGET:
		full = true;
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_FULL);
		break;
	case SG_DP_HOLD_FULL_MBUFS:
	case SG_DP_HOLD_FULL_RESERVE:
		/* the worker's, not the session's: unacknowledged, the client sends it again */
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_BUDGET);
		break;
	default:
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	if (s->state == BR_HELD)
		try_key(w, vs, f, s, full, out);
}

void
sg_dp_broker_udp_hold(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		      struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
		      struct br_sess *s, struct sg_dp_txq *out)
{
	const struct sg_dp_vs *vs = t->vs_by_slot[s->vs_slot];
	uint32_t off = p->l2_len + p->l3_len + sizeof(struct rte_udp_hdr);
	uint32_t len = p->l4_len > sizeof(struct rte_udp_hdr)
			       ? p->l4_len - (uint32_t)sizeof(struct rte_udp_hdr)
			       : 0;

	switch (sg_dp_hold_append(&s->hold, m, off, len, s->hold.next_seq)) {
	case SG_DP_HOLD_OK:
		w->stats.cnt[SG_DP_EV_HELD]++;
		break;
	case SG_DP_HOLD_EMPTY:
		w->stats.cnt[SG_DP_EV_CONSUMED]++; /* an empty datagram carries nothing to replay */
		rte_pktmbuf_free(m);
		break;
	case SG_DP_HOLD_FULL_BYTES:
	case SG_DP_HOLD_FULL_SEGS:
	case SG_DP_HOLD_FULL_BUDGET:
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_FULL);
		break;
	case SG_DP_HOLD_FULL_MBUFS:
	case SG_DP_HOLD_FULL_RESERVE:
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HOLD_BUDGET);
		break;
	default:
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		break;
	}
	/* a datagram is whole: the first one decides a prefix key */
	try_key(w, vs, f, s, true, out);
}
