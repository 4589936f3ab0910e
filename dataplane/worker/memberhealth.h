/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Member health on the worker (memberhealth.c): what a new flow gets when
 * its virtual service has no live member (no_live_member), and the reset
 * walk that ends the flows of members in RESET (a drain's deadline).
 */
#ifndef SG_DP_WORKER_MEMBERHEALTH_H
#define SG_DP_WORKER_MEMBERHEALTH_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "core/flow.h"
#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"

/** no_live_member reset: answers (RST, port unreachable) per second and worker ... */
#define SG_DP_NO_LIVE_RATE 1000
/** ... and their burst. */
#define SG_DP_NO_LIVE_BURST 64
/** Flow entries the reset walk examines per worker loop round. */
#define SG_DP_RESET_WALK_CHUNK 4096

/**
 * A new flow of @p vs found no live member although the pool has members
 * with a weight: drop it (drop_no_live_member), or answer it (reset: TCP
 * RST, UDP ICMP port unreachable, at most SG_DP_NO_LIVE_RATE a second).
 */
void sg_dp_worker_no_live(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port,
			  struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
			  struct sg_dp_txq *out, uint64_t now);

/** What sg_dp_worker_reset_segment() did with the packet. */
enum sg_dp_reset_verdict {
	SG_DP_RESET_DONE,    /**< answered with RST or dropped: the packet is gone */
	SG_DP_RESET_FORWARD, /**< a RST: forward it along the flow as usual */
	SG_DP_RESET_GONE,    /**< a new SYN: the flow was removed, schedule it anew */
};

/**
 * A segment of flow @p f marked SG_DP_FLOW_RESET by the reset walk: a RST
 * to its sender (member_reset_rst) and, for NAT, one to the other side
 * (sg_dp_peer_rst(), routed with @p t at @p now).
 */
enum sg_dp_reset_verdict sg_dp_worker_reset_segment(struct sg_dp_worker *w,
						    const struct sg_dp_tables *t, uint16_t rx_port,
						    struct rte_mbuf *m, const struct sg_dp_pkt *p,
						    struct sg_dp_flow *f, struct sg_dp_txq *out,
						    uint64_t now);

/**
 * The reset walk: when @p t carries a new reset epoch, examine
 * SG_DP_RESET_WALK_CHUNK flow entries per call until the table was walked
 * once; TCP flows of RESET members are marked SG_DP_FLOW_RESET (closing),
 * UDP ones removed; each counts flows_reset_member.
 */
void sg_dp_worker_reset_walk(struct sg_dp_worker *w, const struct sg_dp_tables *t);

/**
 * A worker without brokered sessions (appliance.control.max_held 0) still
 * takes MEMBER_STATE from its ring from sg-control (4 a round); any other
 * message there is counted ctl_msg_bad.
 */
void sg_dp_worker_member_ctl_poll(struct sg_dp_worker *w);

#endif /* SG_DP_WORKER_MEMBERHEALTH_H */
