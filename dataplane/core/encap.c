/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DSR encapsulation (encap.h, where the per-packet steps are inline): the
 * overhead it adds and the Ethernet rewrite of a tagged packet.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "core/encap.h"

void
sg_dp_l2_rewrite_tagged(struct rte_mbuf *m, const struct sg_dp_pkt *p,
			const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac)
{
	struct rte_ether_hdr *eh;

	rte_pktmbuf_adj(m, p->l2_len);
	if (rte_pktmbuf_pkt_len(m) > p->ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - p->ip_len));
	/* cannot fail: the removed L2 header was at least as long */
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	eh->dst_addr = *dmac;
	eh->src_addr = *smac;
	eh->ether_type = rte_cpu_to_be_16(p->key.family == AF_INET ? RTE_ETHER_TYPE_IPV4
								   : RTE_ETHER_TYPE_IPV6);
}

unsigned int
sg_dp_encap_overhead(const struct sg_dp_flow *f)
{
	return (f->host.family == AF_INET ? sizeof(struct rte_ipv4_hdr)
					  : sizeof(struct rte_ipv6_hdr)) +
	       (f->encap == SG_CFG_ENCAP_GUE ? sizeof(struct rte_udp_hdr) : 0);
}
