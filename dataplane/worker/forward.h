/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding along an existing flow (worker.c): the established packet's
 * whole path after its lookup, DSR (encapsulated to the member's host) or
 * NAT (rewritten both ways), with the flow's counters and TCP state. Inline:
 * the burst loop, the hand-off drain and a new flow's first packet call it,
 * in a file of its own so that worker.c stays the packet's journey.
 */
#ifndef SG_DP_WORKER_FORWARD_H
#define SG_DP_WORKER_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "core/encap.h"
#include "core/flow.h"
#include "core/icmp.h"
#include "core/nat.h"
#include "core/neigh.h"
#include "core/passive.h"
#include "core/tables.h"
#include "core/tx.h"
#include "session/peerrst.h"
#include "session/session.h"

static inline void
obj_count(struct sg_dp_worker *w, const struct sg_dp_flow *f, uint32_t bytes)
{
	w->stats.vs[f->vs_slot].pkts++;
	w->stats.vs[f->vs_slot].bytes += bytes;
	w->stats.member[f->member_slot].pkts++;
	w->stats.member[f->member_slot].bytes += bytes;
}

/*
 * A NAT flow of no session, spliced or proxied connection: its client's own
 * connect to the member (f->syn_isn, the client SYN's ISN).
 */
static inline bool
nat_plain(const struct sg_dp_flow *f)
{
	return !(f->flags & (SG_DP_FLOW_SEQ | SG_DP_FLOW_PROXY)) && f->sid == 0 && f->sess == 0;
}

/*
 * A client SYN on plain NAT flow @p f (its first, a retransmission, or one
 * reopening the flow): its ISN is what the member's SYN-ACK acknowledges.
 */
static inline void
nat_syn_isn(struct sg_dp_flow *f, const struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	const struct rte_tcp_hdr *th =
		rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2_len + p->l3_len);

	f->syn_isn = rte_be_to_cpu_32(th->sent_seq);
}

/*
 * Stamp @p f used, confirm a UDP flow of one datagram so far, and follow its
 * TCP state. A segment without SYN, FIN or RST changes only an embryonic
 * (SYN) flow's state, so an established flow's plain segments skip
 * sg_dp_flow_track_tcp()'s call.
 */
static inline void
flow_touch(struct sg_dp_worker *w, struct sg_dp_flow *f, const struct sg_dp_pkt *p, bool ret,
	   uint64_t now)
{
	f->last_tsc = now;
	if (unlikely(f->unconf)) /* a UDP flow's second datagram, or its reply */
		sg_dp_flow_confirm(&w->ft, f);
	if (p->key.proto == IPPROTO_TCP &&
	    ((p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)) != 0 ||
	     f->state == SG_DP_FS_SYN))
		sg_dp_flow_track_tcp(w, f, p->tcp_flags, !ret);
}

/* Checksum change @p i of IPv4 NAT flow @p f (sg_dp_nat4_ck_make()). */
static inline uint16_t
nat4_ck(const struct sg_dp_flow *f, enum sg_dp_nat4_ck i)
{
	uint16_t v;

	memcpy(&v, f->n4.ck + 2 * i, 2);
	return v;
}

/*
 * Forward along an existing flow; @p ret: the packet is a NAT return.
 * Always inline (into the burst loop, the hand-off's and flow_new()): an
 * established packet's call saved its registers and restored them.
 */
static __rte_always_inline void
flow_forward(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port,
	     struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f, bool ret,
	     struct sg_dp_txq *out, uint64_t now)
{
	uint32_t bytes = rte_pktmbuf_pkt_len(m);
	struct rte_ether_addr mac;
	enum sg_dp_cnt rc;
	uint16_t port;

	/* an installed session's usage and QoS rate (session/acct.h): brokered flows only */
	if (unlikely(f->sid != 0) && !sg_dp_broker_acct(w, f, m, p, ret, now)) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_QOS_RATE);
		return;
	}
	if (f->mode == SG_CFG_MODE_DSR) {
		if (unlikely(f->flags & SG_DP_FLOW_SEQ))
			sg_dp_broker_xlate(m, p, f,
					   false); /* brokered: the host does the other way */
		rc = sg_dp_resolve_cached(w, t, &f->rt_to, f->host.family, f->host.a, now, &port,
					  &mac);
		if (rc == SG_DP_CNT_MAX)
			rc = sg_dp_encap(m, p, f, t, port, &mac);
		if (rc == SG_DP_DROP_MTU) {
			/* tell the client the path MTU the tunnel leaves (PMTUD) */
			uint32_t pm = t->ports[port].mtu, ovh = sg_dp_encap_overhead(f);
			uint32_t mtu = pm > ovh ? pm - ovh : 0;

			rc = sg_dp_icmp_toobig(w, t, m, p, mtu, now, &port);
			if (rc == SG_DP_CNT_MAX) {
				flow_touch(w, f, p, ret, now);
				w->stats.cnt[SG_DP_EV_ICMP_TOOBIG]++;
				sg_dp_pkt_tx(w, rx_port, out, port, m);
				return;
			}
		}
		if (rc != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, rx_port, m, rc);
			return;
		}
		flow_touch(w, f, p, ret, now);
		obj_count(w, f, bytes);
		sg_dp_pkt_tx(w, rx_port, out, port, m);
		return;
	}

	/* NAT */
	if (p->ttl <= 1) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_IP_TTL);
		return;
	}
	if (ret) {
		/* a connect: the member may answer from an earlier flow's connection */
		if (unlikely(f->state == SG_DP_FS_SYN) && p->key.proto == IPPROTO_TCP &&
		    nat_plain(f) && sg_dp_nat_stale_synack(w, t, rx_port, m, p, f, out, now))
			return;
		rc = sg_dp_resolve_cached(w, t, &f->rt_back, p->key.family, f->key.src, now, &port,
					  &mac);
		if (rc != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, rx_port, m, rc);
			return;
		}
		if (unlikely(f->flags & SG_DP_FLOW_WATCH) && p->key.proto == IPPROTO_TCP)
			sg_dp_passive_return(w, t, f, m, p, now); /* the member's answer */
		if (unlikely(f->sess != 0))
			sg_dp_broker_vm_ack(w, f, m, p); /* before any rewrite: the VM's ack */
		if (likely(p->key.family == AF_INET))
			sg_dp_nat_rewrite4_ck(m, p, f->key.dst, f->key.dport, f->key.src,
					      f->key.sport, nat4_ck(f, SG_DP_NAT4_CK_RET_IP),
					      nat4_ck(f, SG_DP_NAT4_CK_RET_L4));
		else
			sg_dp_nat_rewrite_inl(m, p, f->key.dst, f->key.dport, f->key.src,
					      f->key.sport);
		if (unlikely(f->flags & SG_DP_FLOW_SEQ))
			sg_dp_broker_xlate(m, p, f, true);
	} else {
		rc = sg_dp_resolve_cached(w, t, &f->rt_to, p->key.family, f->member.a, now, &port,
					  &mac);
		if (rc != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, rx_port, m, rc);
			return;
		}
		if (unlikely((p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
			     RTE_TCP_SYN_FLAG) &&
		    p->key.proto == IPPROTO_TCP && nat_plain(f))
			nat_syn_isn(f, m, p);
		/*
		 * IPv4: line 0's copies of the addresses and checksum changes,
		 * no line 2. Two calls, each inlined for its family (one call
		 * with the addresses picked by family read 50-55 ns a packet in
		 * dp_flowperf nat_est_udp at 2^19 flows against 47.5-49)
		 */
		if (likely(p->key.family == AF_INET))
			sg_dp_nat_rewrite4_ck(m, p, f->n4.nat4, f->nat_port, f->n4.member4,
					      f->mport, nat4_ck(f, SG_DP_NAT4_CK_FWD_IP),
					      nat4_ck(f, SG_DP_NAT4_CK_FWD_L4));
		else
			sg_dp_nat_rewrite_inl(m, p, f->nat.a, f->nat_port, f->member.a, f->mport);
		if (unlikely(f->flags & SG_DP_FLOW_SEQ))
			sg_dp_broker_xlate(m, p, f, false);
	}
	sg_dp_l2_rewrite(m, p, &t->ports[port].mac, &mac);
	flow_touch(w, f, p, ret, now);
	obj_count(w, f, bytes);
	sg_dp_pkt_tx(w, rx_port, out, port, m);
}

#endif /* SG_DP_WORKER_FORWARD_H */
