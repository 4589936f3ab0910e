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
 *
 * A priority class keeps the BGP sessions up through a flood of the rest:
 * a configured BGP peer's (appliance.cluster.bgp.peers) TCP from or to port
 * 179, UDP to the BFD ports 3784/3785/4784, ARP replies, neighbour
 * solicitations and advertisements for its address take a bucket of their
 * own (SG_DP_EXC_PRIO_PPS and SG_DP_EXC_PRIO_BURST per worker, not taken
 * from rate_pps) and a ring of their own the main lcore drains first. A
 * spoofed peer address costs only that class's bucket.
 */
#ifndef SG_DP_CORE_EXC_H
#define SG_DP_CORE_EXC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"

/** The priority class's rate per worker (packets per second) ... */
#define SG_DP_EXC_PRIO_PPS 2000
/** ... and burst per worker (packets) */
#define SG_DP_EXC_PRIO_BURST 256
/** Slots of the priority class's ring to the main lcore. */
#define SG_DP_EXC_PRIO_RING 1024

/**
 * Set up the worker's token buckets from its conf (exc_ring, exc_rate_pps,
 * exc_burst; exc_prio_ring and exc_prio_peers for the priority class).
 */
void sg_dp_exc_init(struct sg_dp_worker *w);

/**
 * Pass @p m (received on the port in m->port, parsed as @p p) to the
 * kernel: in the priority class when it belongs there (counted
 * exc_prio_to_kernel too), else in the general one.
 *
 * @return SG_DP_EV_EXC_TO_KERNEL when enqueued (the ring owns @p m), else
 *   the drop counter for @p m (the caller frees it): drop_exc_rate (over
 *   the worker's share of rate_pps), drop_exc_prio_rate (over the priority
 *   class's rate), drop_exc_queue (ring full), or drop_l4_proto when the
 *   exception path is off.
 */
enum sg_dp_cnt sg_dp_exc_pass(struct sg_dp_worker *w, struct rte_mbuf *m, const struct sg_dp_pkt *p,
			      uint64_t now);

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
 * True when the exception path is on and the IPv6 packet @p p is addressed
 * to a link-local address (the kernel's, on the port's tap: the tables do
 * not know it), so that its ND reaches sg_dp_nd_input() and then
 * sg_dp_exc_nd_wanted().
 */
bool sg_dp_exc_nd_link_local(const struct sg_dp_worker *w, const struct sg_dp_pkt *p);

/**
 * True when the exception path is on and the ICMPv6 ND message @p m (parsed
 * as @p p, to @p ai or NULL, received on @p port), which sg_dp_nd_input()
 * answered with @p rc, is one the kernel wants: a well-formed neighbour
 * advertisement for an on-link target, to an own address of @p port or to
 * a link-local address (the answers to the kernel's NUD probes, which it
 * sends from its link-local address), or a solicitation for a link-local
 * target (the kernel's own address).
 */
bool sg_dp_exc_nd_wanted(const struct sg_dp_worker *w, const struct rte_mbuf *m,
			 const struct sg_dp_pkt *p, const struct sg_dp_addr_info *ai, uint16_t port,
			 enum sg_dp_cnt rc);

#endif /* SG_DP_CORE_EXC_H */
