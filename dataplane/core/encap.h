/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * DSR encapsulation (encap.c): IPIP / IPv6-in-IPv6 / GUE to a member's host,
 * and the Ethernet header rewrite every transmitted packet gets.
 */
#ifndef SG_DP_CORE_ENCAP_H
#define SG_DP_CORE_ENCAP_H

#include <stdint.h>

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
/** Replace the L2 header (and trailing padding) by Ethernet from @p port to @p dmac. */
void sg_dp_l2_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p,
		      const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac);

#endif /* SG_DP_CORE_ENCAP_H */
