/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * DSR encapsulation (encap.c): IPIP / IPv6-in-IPv6 / GUE to a member's host,
 * and the Ethernet header rewrite every transmitted packet gets.
 */
#ifndef SG_DP_CORE_ENCAP_H
#define SG_DP_CORE_ENCAP_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "sg_dp.h"
#include "core/flow.h"
#include "core/parse.h"
#include "core/tables.h"

/**
 * DSR: wrap the packet (its IP header at p->l2_len) in an outer IP (+ GUE
 * UDP) header from @p port of @p t to the flow's host and an Ethernet header
 * to @p dmac. Returns SG_DP_CNT_MAX or the drop counter (mtu, headroom,
 * no_route when the port has no address of the outer family).
 */
enum sg_dp_cnt sg_dp_encap(struct rte_mbuf *m, const struct sg_dp_pkt *p,
			   const struct sg_dp_flow *f, const struct sg_dp_tables *t, uint16_t port,
			   const struct rte_ether_addr *dmac);
/** Bytes sg_dp_encap() adds in front of the inner IP packet of flow @p f (without L2). */
unsigned int sg_dp_encap_overhead(const struct sg_dp_flow *f);
/** sg_dp_l2_rewrite() of a packet whose L2 header is not plain Ethernet (a VLAN tag). */
void sg_dp_l2_rewrite_tagged(struct rte_mbuf *m, const struct sg_dp_pkt *p,
			     const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac);

/**
 * Replace the L2 header (and trailing padding) by Ethernet from @p smac to
 * @p dmac. Inline: every NAT packet takes it. An untagged packet's Ethernet
 * header is rewritten where it is, what removing it and prepending a new one
 * did (the same data offset and lengths).
 */
static inline void
sg_dp_l2_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct rte_ether_addr *smac,
		 const struct rte_ether_addr *dmac)
{
	struct rte_ether_hdr *eh;
	uint32_t len;

	if (unlikely(p->l2_len != sizeof(*eh))) {
		sg_dp_l2_rewrite_tagged(m, p, smac, dmac);
		return;
	}
	len = rte_pktmbuf_pkt_len(m) - (uint32_t)sizeof(*eh); /* the parse saw the header */
	if (len > p->ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(len - p->ip_len));
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eh->dst_addr = *dmac;
	eh->src_addr = *smac;
	eh->ether_type = rte_cpu_to_be_16(p->key.family == AF_INET ? RTE_ETHER_TYPE_IPV4
								   : RTE_ETHER_TYPE_IPV6);
}

#endif /* SG_DP_CORE_ENCAP_H */
