/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT hand-off: a SYN to the VM from a NAT address with the client's
 * ISN; on its SYN-ACK our ACK, the replay, then a NAT flow translated for
 * its life. UDP: the held datagrams are flushed to the VM.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "core/encap.h"
#include "core/nat.h"
#include "core/passive.h"
#include "core/sync.h"
#include "core/tx.h"
#include "session/answer.h"
#include "session/handoff.h"
#include "session/slots.h"
#include "session/tcpgen.h"
#include "session/vmsyn.h"

int
sg_dp_broker_nat_syn(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		     struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_tcp_opts o;
	struct sg_dp_flow_key k;
	struct rte_ether_addr mac;
	struct rte_mbuf *m;
	enum sg_dp_cnt rc;
	uint16_t port;

	rc = sg_dp_broker_vm_resolve(w, t, f, &f->member, now, &port, &mac);
	if (rc != SG_DP_CNT_MAX)
		return -EAGAIN; /* re-sent by the timer once the neighbour is known */
	m = sg_dp_broker_syn_mbuf(w, s, &o);
	if (m == NULL)
		return -ENOMEM;
	memset(&k, 0, sizeof(k));
	k.family = f->key.family;
	k.proto = IPPROTO_TCP;
	memcpy(k.src, f->nat.a, 16);
	memcpy(k.dst, f->member.a, 16);
	k.sport = f->nat_port;
	k.dport = f->mport;
	if (sg_dp_vmsyn_build(&w->br->vmsyn, m, &t->ports[port].mac, &mac, &k, s->client_isn, 65535,
			      &o) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
		return -EINVAL;
	}
	sg_dp_pkt_tx(w, port, out, port, m);
	return 0;
}

/*
 * UDP install: the held datagrams go to the VM; from now on a NAT flow.
 * While the VM's MAC is not known yet the datagrams stay held and the
 * flush is retried by the timer (state CONNECTING) until the hold deadline.
 */
void
sg_dp_broker_udp_flush(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		       struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_hold_seg seg;
	struct rte_ether_addr mac;
	uint16_t oport = 0;

	if (sg_dp_broker_vm_resolve(w, t, f, &f->member, now, &oport, &mac) != SG_DP_CNT_MAX) {
		s->state = BR_CONNECTING;
		s->next_try = now + ms_tsc(w, BR_UDP_RETRY_MS);
		f->state = SG_DP_FS_CONNECTING;
		return;
	}
	sg_dp_acct_add(w, f, 0, s->hold.n, s->hold.bytes); /* the held datagrams go on now */
	while (sg_dp_hold_pop(&s->hold, &seg) == 0) {
		struct sg_dp_pkt hp;

		w->stats.cnt[SG_DP_EV_RELEASED]++;
		if (sg_dp_pkt_parse(seg.m, &hp) != SG_DP_CNT_MAX) {
			sg_dp_pkt_drop(w, s->client_port, seg.m, SG_DP_DROP_BROKERED);
			continue;
		}
		sg_dp_nat_rewrite(seg.m, &hp, f->nat.a, f->nat_port, f->member.a, f->mport);
		sg_dp_l2_rewrite(seg.m, &hp, &t->ports[oport].mac, &mac);
		sg_dp_pkt_tx(w, s->client_port, out, oport, seg.m);
	}
	f->mode = SG_CFG_MODE_NAT;
	f->state = SG_DP_FS_EST;
	f->tmo_est = f->tmo_trans = s->tmo_trans; /* the VS's UDP timeout */
	w->stats.cnt[SG_DP_EV_SESS_INSTALLED]++;
	sg_dp_sync_installed(w, f, now); /* state sync: the peers get it */
	sg_dp_broker_sess_release(w, f);
}

int
sg_dp_broker_install_nat(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			 struct br_sess *s, const struct sg_msg_session_install *in,
			 struct sg_dp_txq *out, uint64_t now)
{
	uint8_t fam = sg_dp_family_from_wire(in->family);
	const struct sg_dp_ip *na = fam == AF_INET ? t->nat4 : t->nat6;
	unsigned int nn = fam == AF_INET ? t->n_nat4 : t->n_nat6;
	uint16_t nat_port;

	if (fam != f->key.family || nn == 0)
		return -EAFNOSUPPORT; /* no NAT source of the VM's family */
	sg_dp_broker_member_set(f, in, fam);
	nat_port = sg_dp_flow_nat_port(w, t, &na[f->hash % nn], &f->member, f->mport);
	if (nat_port == 0)
		return -EADDRNOTAVAIL;
	f->nat = na[f->hash % nn];
	f->nat_port = rte_cpu_to_be_16(nat_port);
	if (sg_dp_flow_add_rkey(&w->ft, f) < 0) {
		sg_dp_nat_port_put(w, &f->nat, nat_port);
		return -ENOSPC;
	}
	f->flags |= SG_DP_FLOW_NAT;
	if (f->key.proto == IPPROTO_UDP)
		sg_dp_broker_udp_flush(w, t, f, s, out, now);
	else {
		sg_dp_broker_connect_start(w, f, s, now);
		(void)sg_dp_broker_nat_syn(w, t, f, s, out, now);
	}
	return 0;
}

/* The VM's SYN-ACK (NAT): acknowledge it, replay the held bytes, splice. */
void
sg_dp_broker_nat_synack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
			struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_tcp_opts vo;

	/*
	 * A bare ACK while our SYN waits acknowledges nothing of ours: the VM
	 * still holds an older connection on this 4-tuple (a NAT port reclaimed
	 * from an embryonic flow). Reset it as a client's TCP does in SYN-SENT
	 * (RFC 9293 3.10.7.3, <SEQ=SEG.ACK><CTL=RST>); our SYN, re-sent by the
	 * session scan, then opens the new connection.
	 */
	if ((p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) ==
		    RTE_TCP_ACK_FLAG &&
	    rte_be_to_cpu_32(tcp_hdr(m, p)->recv_ack) != s->client_isn + 1) {
		w->stats.cnt[SG_DP_EV_VM_STALE_RESET]++;
		sg_dp_broker_answer(w, port, m, p, ANS_RST, 0, 0, 0, NULL, 0, out);
		return;
	}
	switch (sg_dp_broker_vm_synack_check(w, port, m, p, f, s, out, &vo)) {
	case 1:
		break;
	case 0: /* a RST acknowledging our SYN: the member refused */
		sg_dp_passive_fail(w, t, f, SG_MSG_SUSPECT_REFUSED, now);
		return;
	default:
		return;
	}
	sg_dp_broker_splice_learn(t, f, s, tcp_hdr(m, p), &vo);
	sg_dp_passive_synack(f, s->vm_isn); /* its first byte or an early RST decides */
	f->mode = SG_CFG_MODE_NAT;
	/*
	 * Our ACK completes the VM's handshake (the SYN-ACK mbuf becomes it).
	 * It carries no timestamps; the replayed segments that follow do.
	 */
	sg_dp_broker_answer(w, port, m, p, ANS_ACK, s->client_isn + 1, s->vm_isn + 1, 65535, NULL,
			    0, out);
	sg_dp_broker_splice_start(w, t, f, s, port, out, now);
}
