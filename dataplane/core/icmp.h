/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ICMP for our addresses and VIPs (icmp.c): echo replies and the "too big"
 * answers to DSR packets over the egress MTU.
 */
#ifndef SG_DP_CORE_ICMP_H
#define SG_DP_CORE_ICMP_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"

/**
 * Turn a DSR packet that does not fit the egress MTU into an ICMP
 * "fragmentation needed" (IPv4, only when DF is set) or ICMPv6 "packet too
 * big" from the VIP to the client, announcing @p mtu. Returns SG_DP_CNT_MAX
 * with *out_port set, or the drop counter (mtu when it cannot answer).
 */
enum sg_dp_cnt sg_dp_icmp_toobig(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				 struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t mtu,
				 uint64_t now, uint16_t *out_port);
/**
 * Turn a UDP datagram to a VIP into an ICMP / ICMPv6 "port unreachable"
 * from the VIP to the client (no_live_member reset). Returns SG_DP_CNT_MAX
 * with *out_port set, or the drop counter.
 */
enum sg_dp_cnt sg_dp_icmp_port_unreach(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				       struct rte_mbuf *m, const struct sg_dp_pkt *p, uint64_t now,
				       uint16_t *out_port);
enum sg_dp_cnt sg_dp_icmp_input(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				struct rte_mbuf *m, const struct sg_dp_pkt *p, uint16_t port,
				const struct sg_dp_addr_info *ai);

#endif /* SG_DP_CORE_ICMP_H */
