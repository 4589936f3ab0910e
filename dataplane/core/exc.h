/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The exception path, worker side (exc.c): packets to the appliance's own
 * addresses that the data plane does not handle itself (TCP/UDP to an own
 * address, ICMP it does not answer, ARP replies and neighbour
 * advertisements to an own address) are passed to the appliance's kernel:
 * a token bucket per worker (appliance.exception.rate_pps and burst, split
 * over the workers), then an enqueue on the bounded ring the main lcore
 * drains into the port's tap interface (dataplane/exception.c). Never on
 * the established-flow path; no allocation, no lock, no log.
 */
#ifndef SG_DP_CORE_EXC_H
#define SG_DP_CORE_EXC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"

/** Set up the worker's token bucket from its conf (exc_ring, exc_rate_pps, exc_burst). */
void sg_dp_exc_init(struct sg_dp_worker *w);

/**
 * Pass @p m (received on the port in m->port) to the kernel.
 *
 * @return SG_DP_EV_EXC_TO_KERNEL when enqueued (the ring owns @p m), else
 *   the drop counter for @p m (the caller frees it): drop_exc_rate (over
 *   the worker's share of rate_pps), drop_exc_queue (ring full), or
 *   drop_l4_proto when the exception path is off.
 */
enum sg_dp_cnt sg_dp_exc_pass(struct sg_dp_worker *w, struct rte_mbuf *m, uint64_t now);

/**
 * True when the exception path is on and @p m, an ICMP / ICMPv6 message to
 * an own address (not a VIP or NAT address) that icmp.c did not answer, is
 * one the kernel wants: anything but an echo request (echo replies, errors
 * quoting the kernel's own connections).
 */
bool sg_dp_exc_icmp_wanted(const struct sg_dp_worker *w, const struct rte_mbuf *m,
			   const struct sg_dp_pkt *p, const struct sg_dp_addr_info *ai);

/**
 * True when the exception path is on and @p m, a well-formed ARP packet
 * received on @p port, is a reply to the port's own address (the kernel
 * resolves its own next hops: an answer to its request).
 */
bool sg_dp_exc_arp_wanted(const struct sg_dp_worker *w, const struct sg_dp_tables *t,
			  const struct rte_mbuf *m, const struct sg_dp_pkt *p, uint16_t port);

/**
 * True when the exception path is on and the ICMPv6 neighbour advertisement
 * @p p (to @p ai, non-NULL) is addressed to an own address of @p port.
 */
bool sg_dp_exc_na_wanted(const struct sg_dp_worker *w, const struct sg_dp_addr_info *ai,
			 uint16_t port);

#endif /* SG_DP_CORE_EXC_H */
