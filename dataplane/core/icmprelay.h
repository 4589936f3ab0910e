/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ICMP errors that quote a flow (icmprelay.c): IPv4 destination unreachable
 * (fragmentation needed included) and time exceeded, ICMPv6 destination
 * unreachable, packet too big and time exceeded, sent to a VIP or a NAT
 * address. The flow is found from the quoted headers and the error relayed
 * to whom sent the quoted packet: NAT translates the quoted headers and the
 * outer destination (to the member, or back to the client); DSR
 * encapsulates the error to the member's host as data packets are.
 * Rate-limited per worker (token bucket).
 */
#ifndef SG_DP_CORE_ICMPRELAY_H
#define SG_DP_CORE_ICMPRELAY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"

/** Largest ICMP error relayed (ICMP header + quote): an IPv6 minimum MTU less its header. */
#define SG_DP_ICMP_RELAY_MAX 1240
/** Relay rate per worker: tokens per second and bucket depth. */
#define SG_DP_ICMP_RELAY_RATE  1000
#define SG_DP_ICMP_RELAY_BURST 100

/** True if the ICMP / ICMPv6 message of @p p (in @p m) is an error that quotes a packet. */
bool sg_dp_icmp_is_error(const struct rte_mbuf *m, const struct sg_dp_pkt *p);

/**
 * Relay the ICMP error @p m (sg_dp_icmp_is_error()) received on @p rx_port
 * for a VIP or NAT address along the flow its quote names.
 *
 * @return SG_DP_CNT_MAX with *out_port set when @p m was rewritten and is
 *   to be sent (counted icmp_relayed); otherwise its drop counter:
 *   drop_icmp_ratelimited (bucket empty), drop_icmp_noflow (no flow for the
 *   quote, or a flow whose sequence numbers the data plane translates),
 *   drop_icmp_bad (quote malformed or longer than SG_DP_ICMP_RELAY_MAX, more
 *   than one segment), drop_ip_ttl, or a resolution / encapsulation drop.
 */
enum sg_dp_cnt sg_dp_icmp_relay(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				struct rte_mbuf *m, const struct sg_dp_pkt *p, uint64_t now,
				uint16_t *out_port);

#endif /* SG_DP_CORE_ICMPRELAY_H */
