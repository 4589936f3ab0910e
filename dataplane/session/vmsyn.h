/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The NAT hand-off's SYN to a VM from a template, the last SYN built in
 * full: a
 * worker's hand-offs go, one after the other, from the same NAT address to
 * the same few VMs with the same option layout, so the next SYN differs
 * from that one only in its source port, ISN, MSS, TSval and window scale.
 * Those are patched into a copy of it and the TCP checksum is
 * updated word by word (RFC 1624); the IP header, checksum included, is the
 * same. Anything else (another VM, NAT address, MAC, option layout or
 * family) builds the SYN in full (sg_dp_tcpgen_syn()) and makes it the next
 * template. Byte for byte the same as sg_dp_tcpgen_syn() (unit test
 * dataplane-brokered, "hand-off SYN template").
 */
#ifndef SG_DP_SESSION_VMSYN_H
#define SG_DP_SESSION_VMSYN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "core/parse.h"
#include "session/tcpopt.h"

/** Ethernet + IPv6 + TCP + the longest SYN options (MSS, SACK, TS, WS). */
#define SG_DP_VMSYN_MAX (14 + 40 + 20 + 20)

/** The last hand-off SYN of a worker (struct sg_dp_broker). */
struct sg_dp_vmsyn {
	uint8_t frame[SG_DP_VMSYN_MAX];
	uint16_t len;	  /**< 0: none yet */
	uint16_t l3_len;  /**< IP header */
	uint16_t l4_len;  /**< TCP header and options */
	uint16_t mss_off; /**< offsets in the TCP header: MSS value, TSval, window scale; 0: absent
			   */
	uint16_t ts_off;
	uint16_t ws_off;
	uint16_t win;
	uint8_t layout; /**< family and which options (see vmsyn.c) */
};

/**
 * sg_dp_tcpgen_syn() into the empty mbuf @p m (same arguments, same result
 * and errors), from the template @p t when it fits; @p t is updated.
 */
int sg_dp_vmsyn_build(struct sg_dp_vmsyn *t, struct rte_mbuf *m, const struct rte_ether_addr *smac,
		      const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k,
		      uint32_t isn, uint16_t win, const struct sg_dp_tcp_opts *o);

#endif /* SG_DP_SESSION_VMSYN_H */
