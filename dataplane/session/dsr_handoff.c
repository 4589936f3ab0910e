/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DSR hand-off: the client's SYN to the VIP, with the meta the host's
 * eBPF program needs, tunnelled to the VM's host; the host bounces the VM's
 * segments back until the held bytes are acknowledged.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "sessiongate/sg_handoff.h"
#include "core/addr.h"
#include "core/encap.h"
#include "core/nat.h"
#include "core/tx.h"
#include "session/handoff.h"
#include "session/session.h"
#include "session/slots.h"
#include "session/tcpgen.h"

/*
 * DSR hand-off: the client's SYN (its ISN and options) to the VIP, with the
 * meta the host's eBPF program needs, tunnelled to the VM's host.
 */
int
sg_dp_broker_dsr_syn(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
		     struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	static const struct rte_ether_addr none;
	struct sg_dp_tcp_opts o;
	struct sg_handoff_meta meta;
	struct rte_mbuf *m;

	memset(&meta, 0, sizeof(meta));
	meta.magic = rte_cpu_to_be_32(SG_HANDOFF_META_MAGIC);
	meta.version = SG_HANDOFF_VERSION;
	meta.flags = (uint8_t)((s->opts.has_ts ? SG_HANDOFF_F_TS : 0) |
			       (s->opts.has_wscale ? SG_HANDOFF_F_WSCALE : 0));
	meta.lb_wscale = BR_WSCALE;
	meta.family = sg_dp_family_to_wire(f->key.family);
	meta.sid = s->sid;
	meta.lb_isn = rte_cpu_to_be_32(s->our_isn);
	meta.lb_tsval = rte_cpu_to_be_32(s->our_tsval);
	meta.held_end = rte_cpu_to_be_32(s->hold.next_seq);
	meta.vm_port = f->mport;
	memcpy(meta.vm_addr, f->member.a, sizeof(meta.vm_addr));
	meta.token = bounce_token(w->br, s->sid);
	m = sg_dp_broker_syn_mbuf(w, s, &o);
	if (m == NULL)
		return -ENOMEM;
	if (sg_dp_tcpgen_syn_data(m, &none, &none, &f->key, s->client_isn, 65535, &o,
				  (const uint8_t *)&meta, sizeof(meta)) != 0) {
		sg_dp_pkt_drop(w, s->client_port, m, SG_DP_DROP_BROKERED);
		return -EINVAL;
	}
	sg_dp_broker_dsr_tx(w, t, f, m, s->client_port, out, now);
	return 0;
}

/* DSR install (TCP): the hand-off SYN to the VM through its host. */
int
sg_dp_broker_install_dsr(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			 struct br_sess *s, const struct sg_msg_session_install *in,
			 struct sg_dp_txq *out, uint64_t now)
{
	const struct sg_dp_vs *vs = t->vs_by_slot[f->vs_slot];
	uint8_t fam = sg_dp_family_from_wire(in->family);
	static const uint8_t zero[16];

	if (f->key.proto != IPPROTO_TCP || fam != f->key.family || vs == NULL)
		return -EAFNOSUPPORT; /* UDP has no DSR hand-off; no family change */
	if (memcmp(in->host_addr, zero, sg_dp_addr_len(fam)) == 0)
		return -EDESTADDRREQ;
	sg_dp_broker_member_set(f, in, fam);
	sg_dp_ip_set(&f->host, fam, in->host_addr);
	f->encap = (uint8_t)vs->encap;
	f->gue_port = rte_cpu_to_be_16(vs->gue_port);
	s->dsr = true;
	sg_dp_broker_connect_start(w, f, s, now);
	(void)sg_dp_broker_dsr_syn(w, t, f, s, out, now);
	return 0;
}

/*
 * The VM's SYN-ACK (DSR), bounced by its host: our ACK goes to the VM
 * through the tunnel (client -> VIP, VM numbers: the host translates only
 * the VM's direction), then the replay; the flow forwards as DSR.
 */
static void
on_dsr_synack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	      struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
	      struct br_sess *s, struct sg_dp_txq *out, uint64_t now)
{
	struct sg_dp_tcp_opts vo;
	struct sg_dp_pkt ap;

	if (sg_dp_broker_vm_synack_check(w, port, m, p, f, s, out, &vo) != 1)
		return;
	sg_dp_broker_splice_learn(t, f, s, tcp_hdr(m, p), &vo);
	f->mode = SG_CFG_MODE_DSR;
	/* the SYN-ACK mbuf becomes the ACK: client -> VM, then addressed to the VIP */
	if (sg_dp_tcpgen_ack(m, p, s->client_isn + 1, s->vm_isn + 1, 65535) != 0 ||
	    sg_dp_pkt_parse(m, &ap) != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BROKERED);
	} else {
		sg_dp_nat_rewrite(m, &ap, f->key.src, f->key.sport, f->key.dst, f->key.dport);
		sg_dp_broker_dsr_tx(w, t, f, m, port, out, now);
	}
	sg_dp_broker_splice_start(w, t, f, s, s->client_port, out, now);
}

/*
 * A bounced VM segment while the held bytes are replayed: note the VM's
 * acknowledgement; segments with data, FIN or RST go on to the client as a
 * NAT return would (from the VIP, translated), the others are used up.
 */
static void
on_dsr_bounced(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
	       struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
	       struct sg_dp_txq *out, uint64_t now)
{
	const struct rte_tcp_hdr *th = tcp_hdr(m, p);
	uint32_t hl = tcp_hlen(th);
	struct rte_ether_addr mac;
	enum sg_dp_cnt rc;
	uint16_t oport;

	sg_dp_broker_vm_ack(w, f, m, p);
	if (p->l4_len <= hl && !(p->tcp_flags & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG))) {
		w->stats.cnt[SG_DP_EV_CONSUMED]++;
		rte_pktmbuf_free(m);
		return;
	}
	rc = sg_dp_resolve_cached(w, t, &f->rt_back, f->key.family, f->key.src, now, &oport, &mac);
	if (rc != SG_DP_CNT_MAX) {
		sg_dp_pkt_drop(w, port, m, rc);
		return;
	}
	sg_dp_nat_rewrite(m, p, f->key.dst, f->key.dport, f->key.src, f->key.sport);
	sg_dp_broker_xlate(m, p, f, true);
	sg_dp_l2_rewrite(m, p, &t->ports[oport].mac, &mac);
	sg_dp_pkt_tx(w, port, out, oport, m);
}

void
sg_dp_broker_bounce(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		    struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_txq *out,
		    uint64_t now, bool handed)
{
	uint32_t off = (uint32_t)p->l2_len + p->l3_len + sizeof(struct rte_udp_hdr);
	struct sg_handoff_bounce bh;
	uint8_t l2[RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN], *d, ver;
	struct sg_dp_flow *f = NULL;
	struct br_sess *s;
	struct sg_dp_pkt ip;
	unsigned int owner;

	if (w->br == NULL || p->l2_len > sizeof(l2) ||
	    p->l4_len < sizeof(struct rte_udp_hdr) + sizeof(bh) + sizeof(struct rte_ipv4_hdr) ||
	    rte_pktmbuf_data_len(m) < off + sizeof(bh) + 1) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD);
		return;
	}
	memcpy(&bh, rte_pktmbuf_mtod_offset(m, const void *, off), sizeof(bh));
	if (bh.magic != rte_cpu_to_be_32(SG_HANDOFF_BOUNCE_MAGIC) ||
	    bh.version != SG_HANDOFF_VERSION) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD);
		return;
	}
	/* the session's worker is in its ID */
	owner = (unsigned int)(bh.sid >> BR_SID_WORKER_BIT) & BR_SID_WORKER_MASK;
	if (owner != w->conf.id) {
		if (handed || owner >= w->conf.n_workers || w->conf.handoff[owner] == NULL) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD);
			return;
		}
		if (rte_ring_enqueue(w->conf.handoff[owner], m) != 0) {
			sg_dp_pkt_drop(w, port, m, SG_DP_DROP_HANDOFF_FULL);
			return;
		}
		w->stats.cnt[SG_DP_EV_HANDOFF_OUT]++;
		return;
	}
	s = sg_dp_broker_sess_by_id(w, bh.sid, &f);
	if (s == NULL || !s->dsr || (s->state != BR_CONNECTING && s->state != BR_SPLICED) ||
	    f->host.family != p->key.family ||
	    memcmp(f->host.a, p->key.src, sizeof(f->host.a)) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD); /* late, forged or foreign */
		return;
	}
	if (bh.token != bounce_token(w->br, bh.sid)) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_TOKEN); /* a guessed session ID */
		return;
	}
	/* the VM's packet with the outer Ethernet header in front of it */
	memcpy(l2, rte_pktmbuf_mtod(m, const void *), p->l2_len);
	ver = *rte_pktmbuf_mtod_offset(m, const uint8_t *, off + sizeof(bh)) >> 4;
	rte_pktmbuf_adj(m, (uint16_t)(off + sizeof(bh)));
	d = (uint8_t *)rte_pktmbuf_prepend(m, p->l2_len); /* cannot fail: less than removed */
	memcpy(d, l2, p->l2_len);
	d[p->l2_len - 2] = ver == 4 ? 0x08 : 0x86;
	d[p->l2_len - 1] = ver == 4 ? 0x00 : 0xdd;
	if (sg_dp_pkt_parse(m, &ip) != SG_DP_CNT_MAX || ip.key.proto != IPPROTO_TCP ||
	    ip.key.family != f->key.family || ip.key.sport != f->mport ||
	    ip.key.dport != f->key.sport || memcmp(ip.key.src, f->member.a, 16) != 0 ||
	    memcmp(ip.key.dst, f->key.src, 16) != 0) {
		sg_dp_pkt_drop(w, port, m, SG_DP_DROP_BOUNCE_BAD);
		return;
	}
	w->stats.cnt[SG_DP_EV_BOUNCE]++;
	if (s->state == BR_CONNECTING)
		on_dsr_synack(w, t, port, m, &ip, f, s, out, now);
	else
		on_dsr_bounced(w, t, port, m, &ip, f, out, now);
}
