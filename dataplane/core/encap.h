/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * DSR encapsulation: IPIP (IPv4 proto 4 / IPv6 proto 41, the outer family
 * follows the member's underlay address, the inner one the VIP) or GUE
 * variant 1 (outer IP + UDP to the VS's gue_port, the inner IP packet right
 * after the UDP header). The outer source is the egress port's own address,
 * the outer destination the member's host underlay address. The UDP source
 * port and the IPv6 flow label carry the flow hash so the host's RSS
 * spreads flows. The inner packet is not changed (its TTL included: the
 * member answers the client directly). And the Ethernet header rewrite
 * every transmitted packet gets. The per-packet steps are inline here
 * (doc/benchmarking.md, "Profiles"); encap.c holds the rest.
 */
#ifndef SG_DP_CORE_ENCAP_H
#define SG_DP_CORE_ENCAP_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "sg_dp.h"
#include "core/csum.h"
#include "core/flow.h"
#include "core/parse.h"
#include "core/tables.h"

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

/**
 * DSR: wrap the packet (its IP header at p->l2_len) in an outer IP (+ GUE
 * UDP) header from @p port of @p t to the flow's host and an Ethernet header
 * to @p dmac. Returns SG_DP_CNT_MAX or the drop counter (mtu, headroom,
 * no_route when the port has no address of the outer family). Inline: the
 * call cost an established DSR packet more than a tenth of its instructions.
 */
static __rte_always_inline enum sg_dp_cnt
sg_dp_encap(struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_flow *f,
	    const struct sg_dp_tables *t, uint16_t port, const struct rte_ether_addr *dmac)
{
	const struct sg_dp_port_tab *pt = &t->ports[port];
	const struct sg_cfg_addr *src = f->host.family == AF_INET ? &pt->addr4 : &pt->addr6;
	bool gue = f->encap == SG_CFG_ENCAP_GUE;
	unsigned int ip_hl = f->host.family == AF_INET ? sizeof(struct rte_ipv4_hdr)
						       : sizeof(struct rte_ipv6_hdr);
	unsigned int outer = ip_hl + (gue ? sizeof(struct rte_udp_hdr) : 0);
	unsigned int tot = outer + p->ip_len;
	const uint8_t *inner = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l2_len);
	uint8_t tos, inner_proto, *l3;
	struct rte_ether_hdr *eh;

	if (src->family != f->host.family)
		return SG_DP_DROP_NO_ROUTE;
	if (tot > pt->mtu)
		return SG_DP_DROP_MTU;
	if (rte_pktmbuf_headroom(m) + p->l2_len < sizeof(*eh) + outer)
		return SG_DP_DROP_HEADROOM;
	if (p->key.family == AF_INET) {
		tos = ((const struct rte_ipv4_hdr *)inner)->type_of_service;
		inner_proto = IPPROTO_IPIP;
	} else {
		tos = (uint8_t)(rte_be_to_cpu_32(((const struct rte_ipv6_hdr *)inner)->vtc_flow) >>
				20);
		inner_proto = IPPROTO_IPV6;
	}

	rte_pktmbuf_adj(m, p->l2_len);
	if (rte_pktmbuf_pkt_len(m) > p->ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - p->ip_len));
	eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, (uint16_t)(sizeof(*eh) + outer));
	l3 = (uint8_t *)(eh + 1);
	eh->dst_addr = *dmac;
	eh->src_addr = pt->mac;
	if (f->host.family == AF_INET) {
		/* the header's five words built and summed in registers, each stored once */
		const uint32_t w0 =
			sg_dp_w32(RTE_IPV4_VHL_DEF, tos, (uint8_t)(tot >> 8), (uint8_t)tot);
		const uint32_t w1 = 0; /* packet ID, fragment offset */
		uint32_t w2 = sg_dp_w32(64, gue ? IPPROTO_UDP : inner_proto, 0, 0); /* checksum 0 */
		uint32_t w3, w4;

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memcpy(&w3, &src->v4, 4);
		memcpy(&w4, f->host.a, 4);
		w2 = sg_dp_w32_hi16(w2, sg_dp_ipv4_cksum_w(w0, w1, w2, w3, w4));
		RTE_BUILD_BUG_ON(offsetof(struct rte_ipv4_hdr, hdr_checksum) != 10);
		memcpy(l3, &w0, 4);
		memcpy(l3 + 4, &w1, 4);
		memcpy(l3 + 8, &w2, 4);
		memcpy(l3 + 12, &w3, 4);
		memcpy(l3 + 16, &w4, 4);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow =
			rte_cpu_to_be_32(6u << 28 | (uint32_t)tos << 20 | (f->hash & 0xfffff));
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(tot - ip_hl));
		ip->proto = gue ? IPPROTO_UDP : inner_proto;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, src->v6, 16);
		memcpy(ip->dst_addr, f->host.a, 16);
	}
	if (gue) {
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(l3 + ip_hl);

		uh->src_port = rte_cpu_to_be_16((uint16_t)(0xc000 | (f->hash & 0x3fff)));
		uh->dst_port = f->gue_port;
		uh->dgram_len = rte_cpu_to_be_16((uint16_t)(tot - ip_hl));
		uh->dgram_cksum = 0;		/* IPv4: none (RFC 768) */
		if (f->host.family == AF_INET6) /* IPv6 needs one (RFC 8200 8.1) */
			uh->dgram_cksum =
				rte_ipv6_udptcp_cksum_mbuf(m, (const struct rte_ipv6_hdr *)l3,
							   (uint16_t)(sizeof(*eh) + ip_hl));
	}
	return SG_DP_CNT_MAX;
}

#endif /* SG_DP_CORE_ENCAP_H */
