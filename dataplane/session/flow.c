/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client (and VM) packets of a brokered flow that is not a plain flow yet:
 * held data, the VM's SYN-ACK, packets after our 307 / 503.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/flow.h"
#include "core/tx.h"
#include "session/answer.h"
#include "session/handoff.h"
#include "session/key.h"
#include "session/peerrst.h"
#include "session/session.h"

/* Client packets after our 307 / 503: acknowledge a FIN, reset anything else. */
static void
on_answered(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m, const struct sg_dp_pkt *p,
	    struct sg_dp_flow *f, struct sg_dp_txq *out)
{
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t seq = rte_be_to_cpu_32(th->sent_seq);
	uint32_t hl = tcp_hlen(th), plen = p->l4_len > hl ? p->l4_len - hl : 0;

	if (p->tcp_flags & RTE_TCP_RST_FLAG) {
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (f->flags & SG_DP_FLOW_RSTNEXT) {
		sg_dp_broker_answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		return;
	}
	if (p->tcp_flags & RTE_TCP_FIN_FLAG) {
		sg_dp_broker_answer(w, port, m, p, ANS_ACK, f->seq_s2c, seq + plen + 1, 0, NULL, 0,
				    out);
		f->state = SG_DP_FS_CLOSING;
		return;
	}
	w->stats.cnt[SG_DP_EV_CONSUMED]++; /* the ACK of our answer */
	rte_pktmbuf_free(m);
}

/* Client packets while the SYN to the VM is out: hold data, drop the rest. */
void
sg_dp_broker_flow(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		  struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f, bool ret,
		  struct sg_dp_txq *out, uint64_t now)
{
	struct br_sess *s = sess_of(w, f);

	if (p->key.proto == IPPROTO_UDP) {
		if (ret || s == NULL || f->state == SG_DP_FS_ANSWERED)
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		else
			sg_dp_broker_udp_hold(w, t, port, m, p, f, s, out);
		return;
	}
	if (p->key.proto != IPPROTO_TCP) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	if (f->state == SG_DP_FS_ANSWERED || (f->state == SG_DP_FS_CLOSING && s == NULL)) {
		if ((f->flags & SG_DP_FLOW_ABORT) && (f->flags & SG_DP_FLOW_RSTNEXT) &&
		    !(p->tcp_flags & RTE_TCP_RST_FLAG)) {
			/* aborted (abort.c): the other side of a NAT hand-off is reset too */
			sg_dp_peer_rst(w, t, port, m, p, f, ret, out, now);
			if (ret) { /* the VM's segment gets its exact RST too */
				sg_dp_broker_answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
				return;
			}
		}
		if (ret) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
			return;
		}
		on_answered(w, port, m, p, f, out);
		return;
	}
	if (s == NULL) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	if (ret) {
		if (f->state == SG_DP_FS_CONNECTING) {
			sg_dp_broker_nat_synack(w, t, port, m, p, f, s, out, now);
			return;
		}
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return;
	}
	if (p->tcp_flags & (RTE_TCP_RST_FLAG | RTE_TCP_FIN_FLAG)) {
		/* the client gave up before its VM was there */
		if (!(p->tcp_flags & RTE_TCP_RST_FLAG)) {
			sg_dp_broker_answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		} else {
			w->stats.cnt[SG_DP_EV_CONSUMED]++;
			rte_pktmbuf_free(m);
		}
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		return;
	}
	sg_dp_broker_held_data(w, t, port, m, p, f, s, out, now);
}
