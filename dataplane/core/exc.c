/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exception path, worker side: what the kernel behind the port's tap
 * interface wants, a token bucket per worker, a bounded ring to the main
 * lcore (exc.h).
 */
#include <rte_arp.h>
#include <rte_ring.h>

#include "core/exc.h"

#define ICMP_ECHO_REQUEST  8
#define ICMP6_ECHO_REQUEST 128

void
sg_dp_exc_init(struct sg_dp_worker *w)
{
	const struct sg_dp_worker_conf *c = &w->conf;
	uint64_t rate = c->exc_rate_pps, burst = c->exc_burst;

	w->exc_tat = 0;
	if (c->exc_ring == NULL || rate == 0) {
		w->exc_iv = 0;
		return;
	}
	/* this worker's share: rate / n and burst / n (at least one packet) */
	w->exc_iv = RTE_MAX(w->tsc_hz * c->n_workers / rate, (uint64_t)1);
	w->exc_tol = w->exc_iv * RTE_MAX(burst / c->n_workers, (uint64_t)1);
}

/* GCRA: one packet per exc_iv cycles, exc_tol cycles of credit at most. */
static bool
exc_allowed(struct sg_dp_worker *w, uint64_t now)
{
	uint64_t start = RTE_MAX(w->exc_tat, now);

	if (start + w->exc_iv > now + w->exc_tol)
		return false;
	w->exc_tat = start + w->exc_iv;
	return true;
}

enum sg_dp_cnt
sg_dp_exc_pass(struct sg_dp_worker *w, struct rte_mbuf *m, uint64_t now)
{
	if (w->exc_iv == 0)
		return SG_DP_DROP_L4_PROTO; /* no exception path: as before it existed */
	if (!exc_allowed(w, now))
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
sg_dp_exc_na_wanted(const struct sg_dp_worker *w, const struct sg_dp_addr_info *ai, uint16_t port)
{
	return w->exc_iv != 0 && (ai->kinds & SG_DP_ADDR_OWN) && (ai->own_ports & (1u << port));
}
