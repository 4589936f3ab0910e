/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the NAT and the DSR hand-off share: the SYN to the VM, the tunnel
 * to its host, the replay of held bytes until the VM acknowledges them, and
 * the splice learnt from the VM's SYN-ACK.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/encap.h"
#include "core/sync.h"
#include "core/tx.h"
#include "session/answer.h"
#include "session/handoff.h"
#include "session/session.h"
#include "session/slots.h"
#include "core/nat.h"
#include "session/seq.h"

/*
 * An mbuf for a SYN to the VM (counted generated, or drop_no_mbuf) and the
 * options it carries: the client's, with the TSval of its cookie ACK.
 */
struct rte_mbuf *
sg_dp_broker_syn_mbuf(struct sg_dp_worker *w, const struct br_sess *s, struct sg_dp_tcp_opts *o)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->conf.pool);

	w->stats.cnt[SG_DP_EV_GENERATED]++;
	if (m == NULL)
		w->stats.cnt[SG_DP_DROP_NO_MBUF]++;
	*o = s->opts;
	o->tsval = s->client_tsval;
	o->tsecr = 0;
	return m;
}

enum sg_dp_cnt
sg_dp_broker_vm_resolve(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			const struct sg_dp_ip *dst, uint64_t now, uint16_t *port,
			struct rte_ether_addr *mac)
{
	struct sg_dp_member_route *vr = &w->br->vm_rt;
	enum sg_dp_cnt rc;

	if (f->rt_to.ne == NULL && vr->rc.ne != NULL && vr->rc.tables_gen == t->generation &&
	    vr->dst.family == dst->family && memcmp(vr->dst.a, dst->a, sizeof(dst->a)) == 0)
		f->rt_to = vr->rc; /* its neighbour entry is validated by the lookup below */
	rc = sg_dp_resolve_cached(w, t, &f->rt_to, dst->family, dst->a, now, port, mac);
	if (rc == SG_DP_CNT_MAX && f->rt_to.ne != NULL) {
		vr->rc = f->rt_to;
		vr->dst = *dst;
	}
	return rc;
}

/*
 * Tunnel @p m (an Ethernet frame whose IP packet goes client -> VIP) to the
 * flow's host, as DSR forwarding does. Consumes @p m.
 */
void
sg_dp_broker_dsr_tx(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		    struct rte_mbuf *m, uint16_t rx_port, struct sg_dp_txq *out, uint64_t now)
{
	struct rte_ether_addr mac;
	struct sg_dp_pkt p;
	enum sg_dp_cnt rc;
	uint16_t port = rx_port;

	rc = sg_dp_pkt_parse(m, &p);
	if (rc == SG_DP_CNT_MAX)
		rc = sg_dp_broker_vm_resolve(w, t, f, &f->host, now, &port, &mac);
	if (rc == SG_DP_CNT_MAX)
		rc = sg_dp_encap(m, &p, f, t, port, &mac);
	if (rc != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, rx_port, m, rc);
		return;
	}
	sg_dp_pkt_tx(w, rx_port, out, port, m);
}

/* The VM of @p in becomes the flow's member (family checked by the caller). */
void
sg_dp_broker_member_set(struct sg_dp_flow *f, const struct sg_msg_session_install *in, uint8_t fam)
{
	sg_dp_ip_set(&f->member, fam, in->backend_addr);
	f->mport = rte_cpu_to_be_16(in->backend_port);
	f->rt_to.ne = NULL;
}

/* Copies of the held segments to the VM, NAT-rewritten and translated. */
void
sg_dp_broker_replay(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		    struct br_sess *s, uint16_t rx_port, struct sg_dp_txq *out, uint64_t now)
{
	const struct sg_dp_hold_seg *seg;
	struct rte_ether_addr mac;
	unsigned int i;
	uint16_t oport = rx_port;

	if (!s->dsr &&
	    sg_dp_broker_vm_resolve(w, t, f, &f->member, now, &oport, &mac) != SG_DP_CNT_MAX)
		return; /* re-sent by the timer once the neighbour is known */
	for (i = 0; (seg = sg_dp_hold_at(&s->hold, i)) != NULL; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(seg->m, w->conf.pool, 0, UINT32_MAX);
		struct sg_dp_pkt hp;

		w->stats.cnt[SG_DP_EV_GENERATED]++;
		if (c == NULL) {
			w->stats.cnt[SG_DP_DROP_NO_MBUF]++;
			return;
		}
		if (sg_dp_pkt_parse(c, &hp) != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, rx_port, c, SG_DP_DROP_BROKERED);
			continue;
		}
		if (s->dsr) {
			sg_dp_broker_xlate(c, &hp, f, false);
			sg_dp_broker_dsr_tx(w, t, f, c, rx_port, out, now);
			continue;
		}
		sg_dp_nat_rewrite(c, &hp, f->nat.a, f->nat_port, f->member.a, f->mport);
		sg_dp_broker_xlate(c, &hp, f, false);
		sg_dp_l2_rewrite(c, &hp, &t->ports[oport].mac, &mac);
		sg_dp_pkt_tx(w, rx_port, out, oport, c);
	}
}

void
sg_dp_broker_vm_ack(struct sg_dp_worker *w, struct sg_dp_flow *f, struct rte_mbuf *m,
		    const struct sg_dp_pkt *p)
{
	struct br_sess *s = sess_of(w, f);
	const struct rte_tcp_hdr *th;
	struct sg_dp_hold_seg seg;

	if (s == NULL || s->state != BR_SPLICED || p->key.proto != IPPROTO_TCP)
		return;
	if ((p->tcp_flags & (RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_RST_FLAG) {
		sg_dp_broker_sess_release(
			w, f); /* the VM reset: nothing more to deliver (drop_brokered) */
		return;
	}
	if (!(p->tcp_flags & RTE_TCP_ACK_FLAG))
		return;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2_len + p->l3_len);
	/* client sequence numbers are the same on both sides (the SYN carried the client's ISN) */
	if (!sg_dp_seq_ge(rte_be_to_cpu_32(th->recv_ack), s->hold.next_seq))
		return;
	while (sg_dp_hold_pop(&s->hold, &seg) == 0) {
		w->stats.cnt[SG_DP_EV_RELEASED]++;
		w->stats.cnt[SG_DP_EV_CONSUMED]++; /* delivered: the original is used up */
		rte_pktmbuf_free(seg.m);
	}
	sg_dp_broker_sess_release(w, f);
}

/* The VM's SYN-ACK @p th (options @p vo): the deltas of a spliced flow. */
void
sg_dp_broker_splice_learn(const struct sg_dp_tables *t, struct sg_dp_flow *f, struct br_sess *s,
			  const struct rte_tcp_hdr *th, const struct sg_dp_tcp_opts *vo)
{
	s->vm_isn = rte_be_to_cpu_32(th->sent_seq);
	f->seq_s2c = s->our_isn - s->vm_isn;
	f->ts = s->opts.has_ts && vo->has_ts;
	f->ts_s2c = f->ts ? s->our_tsval - vo->tsval : 0;
	/* the client reads the VM's windows with the scale we announced */
	f->ws_shift =
		(int8_t)(s->opts.has_wscale && vo->has_wscale ? (int)vo->wscale - BR_WSCALE : 0);
	f->flags |= SG_DP_FLOW_SEQ;
	f->state = SG_DP_FS_EST;
	/* from now on a plain flow: its VS's timeouts (the hold's no longer) */
	if (t->vs_by_slot[f->vs_slot] != NULL)
		f->tmo_trans = t->vs_by_slot[f->vs_slot]->tmo_tcp_trans;
}

/* The VM's handshake is complete: replay the held bytes until acknowledged. */
void
sg_dp_broker_splice_start(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			  struct sg_dp_flow *f, struct br_sess *s, uint16_t port,
			  struct sg_dp_txq *out, uint64_t now)
{
	w->stats.cnt[SG_DP_EV_SESS_INSTALLED]++;
	sg_dp_acct_add(w, f, 0, s->hold.n, s->hold.bytes); /* the held bytes go on now */
	sg_dp_sync_installed(w, f, now); /* state sync: the peers get it, deltas and all */
	if (s->hold.n == 0) {
		sg_dp_broker_sess_release(w, f); /* the flow keeps its session ID and deltas */
		return;
	}
	/*
	 * The held bytes were acknowledged to the client: the client will not
	 * send them again. They are replayed as copies and kept until the VM
	 * acknowledges them (sg_dp_broker_vm_ack()), re-sent meanwhile.
	 */
	s->state = BR_SPLICED;
	s->tries = 1;
	s->next_try = now + ms_tsc(w, BR_REPLAY_RTO_MS);
	sg_dp_broker_replay(w, t, f, s, port, out, now);
}

/*
 * Is @p m the VM's SYN-ACK to our SYN? 1: yes (*vo filled); 0: the VM
 * refused (RST acknowledging our SYN, the session was answered as a
 * reject, @p m consumed); -1: something else, a RST that does not
 * acknowledge our SYN included (@p m dropped).
 */
int
sg_dp_broker_vm_synack_check(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
			     const struct sg_dp_pkt *p, struct sg_dp_flow *f, struct br_sess *s,
			     struct sg_dp_txq *out, struct sg_dp_tcp_opts *vo)
{
	struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t ack = rte_be_to_cpu_32(th->recv_ack);

	if ((p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
		    (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) &&
	    ack == s->client_isn + 1 && sg_dp_tcpopt_parse_mbuf(m, p->l2_len + p->l3_len, vo) == 0)
		return 1;
	if ((p->tcp_flags & RTE_TCP_RST_FLAG) &&
	    (!(p->tcp_flags & RTE_TCP_ACK_FLAG) || ack != s->client_isn + 1)) {
		/*
		 * In SYN-SENT a reset is acceptable only if it acknowledges our SYN
		 * (RFC 793 3.9, RFC 5961 3.2): anything else is forged or stale.
		 */
		if (f->flags & SG_DP_FLOW_WATCH)
			w->stats.cnt[SG_DP_EV_PASSIVE_RST_UNVALIDATED]++;
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_VM_RST);
		return -1;
	}
	if (p->tcp_flags & RTE_TCP_RST_FLAG) {
		/* the VM refused: answer the client as a reject */
		sg_dp_broker_answer_reject(w, f, s, out, s->retry_after);
		w->stats.cnt[SG_DP_EV_SESS_REJECTED]++;
		sg_dp_broker_sess_release(w, f);
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
		return 0;
	}
	sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
	return -1;
}
