/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Neighbour protocols for our own addresses: ARP (arp.c) and IPv6 neighbour
 * discovery (nd.c). Both return SG_DP_CNT_MAX when the packet is to be sent
 * back out of @p port (reply built in place), SG_DP_EV_CONSUMED when it was
 * used up, else a drop counter.
 */
#ifndef SG_DP_CORE_ARP_H
#define SG_DP_CORE_ARP_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"

enum sg_dp_cnt sg_dp_arp_input(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			       struct rte_mbuf *m, const struct sg_dp_pkt *p, uint16_t port,
			       uint64_t now);
enum sg_dp_cnt sg_dp_nd_input(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			      struct rte_mbuf *m, const struct sg_dp_pkt *p, uint16_t port,
			      uint64_t now);

#endif /* SG_DP_CORE_ARP_H */
