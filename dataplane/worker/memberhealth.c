/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Member health on the worker. New flows of a virtual service whose pool
 * has no live member follow its no_live_member (drop, reset; fallback is
 * in the tables). Members in RESET: the main lcore publishes tables with a
 * new reset epoch and the RESET member slots; each worker then walks its
 * own flow table once, a chunk per loop round, and marks the flows of those
 * members. Plain NAT and DSR flows keep no sequence state, so the data
 * plane cannot reset them at once: every later segment of a marked flow
 * that is not itself a RST is answered with a RST built from it (seq = its
 * ack: acceptable to its sender), from the client's side and, for NAT, from
 * the member's; RSTs pass, so a client's RST reaches a DSR member. For NAT
 * the same segment also resets the other side (session/peerrst.h, seq = its
 * own seq): a downloading client whose member spoke first is not left
 * waiting. The flow stays marked until it expires, so a late segment (one
 * in flight, a challenge ACK) is answered the same way.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ring_elem.h>
#include <rte_tcp.h>

#include "core/health.h"
#include "core/icmp.h"
#include "core/tx.h"
#include "session/peerrst.h"
#include "session/tcpgen.h"
#include "worker/memberhealth.h"

void
sg_dp_worker_no_live(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port,
		     struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
		     struct sg_dp_txq *out, uint64_t now)
{
	enum sg_dp_cnt rc;
	uint16_t port;

	if (vs->no_live != SG_CFG_NO_MEMBER_RESET ||
	    (p->key.proto == IPPROTO_TCP && (p->tcp_flags & RTE_TCP_RST_FLAG))) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_NO_LIVE_MEMBER);
		return;
	}
	if (!sg_dp_rate_allow(w, &w->no_live_tat, now, SG_DP_NO_LIVE_RATE, SG_DP_NO_LIVE_BURST)) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_NO_LIVE_RATELIMITED);
		return;
	}
	if (p->key.proto == IPPROTO_TCP) {
		if (sg_dp_tcpgen_rst(m, p) != 0) {
			sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_NO_LIVE_MEMBER);
			return;
		}
		w->stats.cnt[SG_DP_EV_NO_LIVE_RST]++;
		sg_dp_pkt_tx(w, rx_port, out, rx_port, m);
		return;
	}
	rc = sg_dp_icmp_port_unreach(w, t, m, p, now, &port);
	if (rc != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, rx_port, m, rc);
		return;
	}
	w->stats.cnt[SG_DP_EV_NO_LIVE_UNREACH]++;
	sg_dp_pkt_tx(w, rx_port, out, port, m);
}

enum sg_dp_reset_verdict
sg_dp_worker_reset_segment(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port,
			   struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
			   struct sg_dp_txq *out, uint64_t now)
{
	bool ret = (f->flags & SG_DP_FLOW_NAT) && memcmp(&f->rkey, &p->key, sizeof(p->key)) == 0;

	if (p->key.proto != IPPROTO_TCP || (p->tcp_flags & RTE_TCP_RST_FLAG))
		return SG_DP_RESET_FORWARD;
	if (!ret && (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG) {
		/* the client opens a new connection on the same 4-tuple */
		sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
		return SG_DP_RESET_GONE;
	}
	sg_dp_peer_rst(w, t, rx_port, m, p, f, ret, out, now); /* before m becomes its RST */
	if (sg_dp_tcpgen_rst(m, p) != 0) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_NO_FLOW);
		return SG_DP_RESET_DONE;
	}
	w->stats.cnt[SG_DP_EV_MEMBER_RESET_RST]++;
	sg_dp_pkt_tx(w, rx_port, out, rx_port, m);
	return SG_DP_RESET_DONE;
}

void
sg_dp_worker_reset_walk(struct sg_dp_worker *w, const struct sg_dp_tables *t)
{
	struct sg_dp_flow_table *ft = &w->ft;
	uint32_t i, end;

	if (likely(t->reset_epoch == w->reset_epoch && w->reset_cursor == UINT32_MAX))
		return;
	if (t->reset_epoch != w->reset_epoch) {
		w->reset_epoch = t->reset_epoch; /* a new request: walk from the start */
		w->reset_cursor = 0;
	}
	end = RTE_MIN(ft->cap, w->reset_cursor + SG_DP_RESET_WALK_CHUNK);
	for (i = w->reset_cursor; i < end; i++) {
		struct sg_dp_flow *f = &ft->e[i];

		if (f->state == SG_DP_FS_FREE || f->sid != 0 || (f->flags & SG_DP_FLOW_RESET) ||
		    !sg_dp_tables_slot_reset(t, f->member_slot))
			continue;
		w->stats.cnt[SG_DP_EV_FLOWS_RESET_MEMBER]++;
		if (f->key.proto != IPPROTO_TCP) {
			sg_dp_flow_remove(w, f, SG_DP_EV_FLOW_CLOSED);
			continue;
		}
		f->flags |= SG_DP_FLOW_RESET;
		sg_dp_flow_set_state(ft, f, SG_DP_FS_CLOSING);
	}
	w->reset_cursor = end >= ft->cap ? UINT32_MAX : end;
}

void
sg_dp_worker_member_ctl_poll(struct sg_dp_worker *w)
{
	struct sg_msg msg[4];
	unsigned int n, i;

	if (w->conf.from_ctl == NULL || rte_ring_empty(w->conf.from_ctl))
		return;
	memset(msg, 0, sizeof(msg));
	n = rte_ring_dequeue_burst_elem(w->conf.from_ctl, msg, SG_MSG_SIZE, RTE_DIM(msg), NULL);
	for (i = 0; i < n; i++) {
		w->stats.cnt[SG_DP_EV_CTL_MSG]++;
		if (sg_msg_check(&msg[i], SG_MSG_SIZE) != 0 ||
		    msg[i].hdr.type != SG_MSG_MEMBER_STATE) {
			w->stats.cnt[SG_DP_EV_CTL_MSG_BAD]++;
			continue;
		}
		sg_dp_health_mbox_put(w, &msg[i].member_state);
	}
}
