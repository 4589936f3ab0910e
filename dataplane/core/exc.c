/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path, worker side: what the kernel behind the port's tap
 * interface wants, a token bucket per worker, a bounded ring to the main
 * lcore (exc.h).
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_ring.h>

#include "core/exc.h"

#define ICMP_ECHO_REQUEST  8
#define ICMP6_ECHO_REQUEST 128
#define ND_NS		   135
#define ND_NA		   136
#define BGP_PORT	   179
#define BFD_CONTROL	   3784 /* RFC 5881 */
#define BFD_ECHO	   3785
#define BFD_MULTIHOP	   4784 /* RFC 5883 */

/* fe80::/10 */
static bool
link_local(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

void
sg_dp_exc_init(struct sg_dp_worker *w)
{
	const struct sg_dp_worker_conf *c = &w->conf;
	uint64_t rate = c->exc_rate_pps, burst = c->exc_burst;

	w->exc_tat = 0;
	w->exc_prio_tat = 0;
	w->exc_prio_iv = 0;
	if (c->exc_ring == NULL || rate == 0) {
		w->exc_iv = 0;
		return;
	}
	/* this worker's share: rate / n and burst / n (at least one packet) */
	w->exc_iv = RTE_MAX(w->tsc_hz * c->n_workers / rate, (uint64_t)1);
	w->exc_tol = w->exc_iv * RTE_MAX(burst / c->n_workers, (uint64_t)1);
	if (c->exc_prio_ring == NULL || c->n_exc_prio_peers == 0)
		return;
	/* the priority class: a fixed rate and burst per worker, not rate_pps's */
	w->exc_prio_iv = RTE_MAX(w->tsc_hz / SG_DP_EXC_PRIO_PPS, (uint64_t)1);
	w->exc_prio_tol = w->exc_prio_iv * SG_DP_EXC_PRIO_BURST;
}

/* GCRA: one packet per @p iv cycles, @p tol cycles of credit at most. */
static bool
gcra_allowed(uint64_t *tat, uint64_t iv, uint64_t tol, uint64_t now)
{
	uint64_t start = RTE_MAX(*tat, now);

	if (start + iv > now + tol)
		return false;
	*tat = start + iv;
	return true;
}

/* @p a (of @p family) is one of the configured BGP peers. */
static bool
prio_peer(const struct sg_dp_worker_conf *c, uint8_t family, const uint8_t *a)
{
	const size_t len = family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < c->n_exc_prio_peers; i++)
		if (c->exc_prio_peers[i].family == family &&
		    memcmp(c->exc_prio_peers[i].a, a, len) == 0)
			return true;
	return false;
}

/*
 * @p m belongs to the priority class: from a BGP peer, TCP from or to port
 * 179 (either side may have opened the session), UDP to a BFD port; an ARP
 * reply from a peer; an NS from a peer or an NA for a peer's address (the
 * workers checked the ARP and ND headers' lengths before passing them).
 */
static bool
prio_class(const struct sg_dp_worker *w, const struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	const uint8_t *l4;
	uint16_t dport;

	if (p->ethertype == RTE_ETHER_TYPE_ARP) {
		const struct rte_arp_hdr *ah =
			rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, p->l2_len);

		return prio_peer(&w->conf, AF_INET, (const uint8_t *)&ah->arp_data.arp_sip);
	}
	switch (p->key.proto) {
	case IPPROTO_TCP:
		if (p->key.sport != RTE_BE16(BGP_PORT) && p->key.dport != RTE_BE16(BGP_PORT))
			return false;
		break;
	case IPPROTO_UDP:
		dport = rte_be_to_cpu_16(p->key.dport);
		if (dport != BFD_CONTROL && dport != BFD_ECHO && dport != BFD_MULTIHOP)
			return false;
		break;
	case IPPROTO_ICMPV6:
		l4 = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l2_len + p->l3_len);
		if (l4[0] == ND_NA)
			return prio_peer(&w->conf, AF_INET6, l4 + 8); /* the target */
		if (l4[0] != ND_NS)
			return false;
		break;
	default:
		return false;
	}
	return prio_peer(&w->conf, p->key.family, p->key.src);
}

enum sg_dp_cnt
sg_dp_exc_pass(struct sg_dp_worker *w, struct rte_mbuf *m, const struct sg_dp_pkt *p, uint64_t now)
{
	if (w->exc_iv == 0)
		return SG_DP_DROP_L4_PROTO; /* no exception path: as before it existed */
	if (w->exc_prio_iv != 0 && prio_class(w, m, p)) {
		if (!gcra_allowed(&w->exc_prio_tat, w->exc_prio_iv, w->exc_prio_tol, now))
			return SG_DP_DROP_EXC_PRIO_RATE;
		if (rte_ring_enqueue(w->conf.exc_prio_ring, m) != 0)
			return SG_DP_DROP_EXC_QUEUE;
		w->stats.cnt[SG_DP_EV_EXC_PRIO_TO_KERNEL]++;
		return SG_DP_EV_EXC_TO_KERNEL;
	}
	if (!gcra_allowed(&w->exc_tat, w->exc_iv, w->exc_tol, now))
		return SG_DP_DROP_EXC_RATE;
	if (rte_ring_enqueue(w->conf.exc_ring, m) != 0)
		return SG_DP_DROP_EXC_QUEUE;
	return SG_DP_EV_EXC_TO_KERNEL;
}

bool
sg_dp_exc_icmp_wanted(const struct sg_dp_worker *w, const struct rte_mbuf *m,
		      const struct sg_dp_pkt *p, const struct sg_dp_addr_info *ai)
{
	uint8_t type;

	if (w->exc_iv == 0 || !(ai->kinds & SG_DP_ADDR_OWN) ||
	    (ai->kinds & (SG_DP_ADDR_VIP | SG_DP_ADDR_NAT)))
		return false;
	type = *rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l2_len + p->l3_len);
	return type != (p->key.family == AF_INET ? ICMP_ECHO_REQUEST : ICMP6_ECHO_REQUEST);
}

bool
sg_dp_exc_arp_wanted(const struct sg_dp_worker *w, const struct sg_dp_tables *t,
		     const struct rte_mbuf *m, const struct sg_dp_pkt *p, uint16_t port)
{
	const struct rte_arp_hdr *ah;
	const struct sg_dp_addr_info *ai;
	uint32_t tip;

	if (w->exc_iv == 0 || rte_pktmbuf_data_len(m) < p->l2_len + sizeof(*ah))
		return false;
	ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, p->l2_len);
	if (ah->arp_opcode != RTE_BE16(RTE_ARP_OP_REPLY))
		return false;
	tip = ah->arp_data.arp_tip;
	ai = sg_dp_tables_addr(t, AF_INET, (const uint8_t *)&tip);
	return ai != NULL && (ai->kinds & SG_DP_ADDR_OWN) && (ai->own_ports & (1u << port));
}

bool
sg_dp_exc_nd_link_local(const struct sg_dp_worker *w, const struct sg_dp_pkt *p)
{
	return w->exc_iv != 0 && p->key.family == AF_INET6 && link_local(p->key.dst);
}

bool
sg_dp_exc_nd_wanted(const struct sg_dp_worker *w, const struct rte_mbuf *m,
		    const struct sg_dp_pkt *p, const struct sg_dp_addr_info *ai, uint16_t port,
		    enum sg_dp_cnt rc)
{
	const uint8_t *icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l2_len + p->l3_len);

	if (w->exc_iv == 0)
		return false;
	if (icmp[0] == ND_NS) /* for the kernel's link-local address, which the tables lack */
		return rc == SG_DP_DROP_NOT_LOCAL && link_local(icmp + 8);
	if (rc != SG_DP_EV_CONSUMED && rc != SG_DP_DROP_NEIGH_UNSOLICITED)
		return false; /* a malformed NA, or for an off-link target */
	if (ai == NULL)	      /* to the kernel's link-local address: its NUD probes' answers */
		return link_local(p->key.dst);
	return (ai->kinds & SG_DP_ADDR_OWN) && (ai->own_ports & (1u << port));
}
