/* SPDX-License-Identifier: BSD-3-Clause */
/* The other side's reset of a NAT flow being reset; a member's stale connection (peerrst.h). */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/tx.h"
#include "session/acct.h"
#include "session/peerrst.h"
#include "session/tcpgen.h"

/* @p k with source and destination swapped. */
static void
key_reverse(const struct sg_dp_flow_key *k, struct sg_dp_flow_key *r)
{
	*r = *k;
	memcpy(r->src, k->dst, sizeof(r->src));
	memcpy(r->dst, k->src, sizeof(r->dst));
	r->sport = k->dport;
	r->dport = k->sport;
}

/*
 * A RST without ACK, seq @p seq, for NAT flow @p f's client (@p to_cli:
 * from the VIP) or member (from the NAT address), routed like the flow's
 * packets; @p what counted once it is queued. @return it was queued.
 */
static bool
rst_send(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f, bool to_cli,
	 uint32_t seq, uint16_t rx_port, struct sg_dp_txq *out, uint64_t now, enum sg_dp_cnt what)
{
	struct sg_dp_flow_key k;
	struct rte_ether_addr mac;
	struct rte_mbuf *c;
	enum sg_dp_cnt rc;
	uint16_t port = rx_port;

	c = w->conf.pool != NULL ? rte_pktmbuf_alloc(w->conf.pool) : NULL;
	w->stats.cnt[SG_DP_EV_GENERATED]++;
	if (c == NULL) {
		w->stats.cnt[SG_DP_DROP_NO_MBUF]++;
		return false;
	}
	if (to_cli) { /* to the client, from the VIP */
		key_reverse(&f->key, &k);
		rc = sg_dp_resolve_cached(w, t, &f->rt_back, f->key.family, f->key.src, now, &port,
					  &mac);
	} else { /* to the member, from the NAT address */
		key_reverse(&f->rkey, &k);
		rc = sg_dp_resolve_cached(w, t, &f->rt_to, f->key.family, f->member.a, now, &port,
					  &mac);
	}
	if (rc == SG_DP_CNT_MAX && sg_dp_tcpgen_rst_to(c, &t->ports[port].mac, &mac, &k, seq) != 0)
		rc = SG_DP_DROP_NO_FLOW; /* a pool of mbufs too small for a bare RST */
	if (rc != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, rx_port, c, rc);
		return false;
	}
	w->stats.cnt[what]++;
	sg_dp_pkt_tx(w, rx_port, out, port, c);
	return true;
}

void
sg_dp_peer_rst(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port,
	       const struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f, bool ret,
	       struct sg_dp_txq *out, uint64_t now)
{
	const struct rte_tcp_hdr *th;
	uint32_t seq;

	if (!(f->flags & SG_DP_FLOW_NAT) || p->key.proto != IPPROTO_TCP ||
	    (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG)) ||
	    (uint32_t)p->l2_len + p->l3_len + sizeof(*th) > rte_pktmbuf_data_len(m))
		return;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2_len + p->l3_len);
	seq = rte_be_to_cpu_32(th->sent_seq);
	if (ret && (f->flags & SG_DP_FLOW_SEQ))
		seq += f->seq_s2c; /* the VM's numbers as the client sees them */
	(void)rst_send(w, t, f, ret, seq, rx_port, out, now, SG_DP_EV_PEER_RST);
}

bool
sg_dp_nat_stale_synack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port,
		       struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
		       struct sg_dp_txq *out, uint64_t now)
{
	const struct rte_tcp_hdr *th;
	uint32_t ack;

	if ((p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) !=
		    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) ||
	    (uint32_t)p->l2_len + p->l3_len + sizeof(*th) > rte_pktmbuf_data_len(m))
		return false;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2_len + p->l3_len);
	ack = rte_be_to_cpu_32(th->recv_ack);
	if (ack == f->syn_isn + 1)
		return false; /* the answer to this flow's SYN */
	(void)rst_send(w, t, f, false, ack, rx_port, out, now, SG_DP_EV_NAT_STALE_RST);
	sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_NAT_STALE_SYNACK);
	return true;
}

unsigned int
sg_dp_abort_rst(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		struct sg_dp_txq *out, uint64_t now)
{
	uint32_t vm = 0, cli = 0;
	unsigned int known, sent = 0;

	if (f->key.proto != IPPROTO_TCP ||
	    (!(f->flags & SG_DP_FLOW_NAT) && f->mode != SG_CFG_MODE_DSR))
		return 0;
	known = sg_dp_acct_nxt(w, f, &vm, &cli); /* DSR: the client's side only */
	if ((known & BR_ACCT_NXT_CLI) &&
	    rst_send(w, t, f, true, cli, f->rt_back.port, out, now, SG_DP_EV_CTL_ABORT_RST_CLIENT))
		sent |= BR_ACCT_NXT_CLI;
	if ((known & BR_ACCT_NXT_VM) &&
	    rst_send(w, t, f, false, vm, f->rt_to.port, out, now, SG_DP_EV_CTL_ABORT_RST_VM))
		sent |= BR_ACCT_NXT_VM;
	return sent;
}
