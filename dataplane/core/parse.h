/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet parsing: Ethernet (+ one VLAN tag), IPv4 / IPv6, TCP / UDP / ICMP
 * headers validated into a struct sg_dp_pkt.
 */
#ifndef SG_DP_CORE_PARSE_H
#define SG_DP_CORE_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "sg_dp.h"
#include "core/addr.h"

/** Metadata of a parsed packet (sg_dp_pkt_parse()). */
struct sg_dp_pkt {
	uint16_t l2_len;    /**< Ethernet (+ one VLAN tag) */
	uint16_t l3_len;    /**< IP header (IPv4 with options) */
	uint16_t ethertype; /**< host order, of the payload after any VLAN tag */
	uint16_t ip_len;    /**< IP header + payload as announced by the IP header */
	uint16_t l4_len;    /**< ip_len - l3_len */
	uint8_t ttl;	    /**< TTL / hop limit */
	uint8_t tcp_flags;
	bool vlan;
	/** Not the parser's: the burst's bulk lookup met the packet's flow by its return key */
	bool hit_ret;
	struct sg_dp_flow_key key; /**< addresses, ports (ICMP: 0), proto, family */
};

/**
 * Parse and validate @p m into @p p.
 * @return SG_DP_CNT_MAX when the packet is well formed, else its drop counter.
 */
enum sg_dp_cnt sg_dp_pkt_parse(struct rte_mbuf *m, struct sg_dp_pkt *p);

#endif /* SG_DP_CORE_PARSE_H */
