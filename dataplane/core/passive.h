/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Passive detection (passive.c): per worker and member slot, the
 * consecutive validated connect failures of pool members, seen on the NAT
 * flows (and SYN-proxied NAT hand-offs) the data plane opens to them. A
 * member that reaches its pool's passive.consecutive_failures is reported
 * to sg-control with MEMBER_SUSPECT (at most once a second per member and
 * worker); sg-control decides the ejection.
 *
 * Only what a spoofer cannot forge counts: a segment that matched a live
 * NAT flow (4-tuple with the NAT port) and carries the exact sequence
 * numbers of the connect (a RST acknowledging our SYN, or, after the
 * member's SYN-ACK, a RST at the member's ISN + 1), or the absence of any
 * SYN-ACK. Each flow counts at most one failure (SG_DP_FLOW_WATCH is
 * cleared by its verdict); the member's first payload byte (or FIN) is a
 * success and resets the count. DSR flows are not observable (the member
 * answers the client directly) and brokered hand-offs go to VMs, not pool
 * members: neither is watched.
 */
#ifndef SG_DP_CORE_PASSIVE_H
#define SG_DP_CORE_PASSIVE_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "sg_dp.h"
#include "core/flow.h"
#include "core/parse.h"
#include "core/tables.h"
#include "sessiongate/sg_msg.h"

struct sg_dp_worker;

/** Passive detection state of one worker (in struct sg_dp_worker). */
struct sg_dp_passive {
	uint32_t fails[SG_DP_MEMBER_SLOTS];	/**< consecutive failures per member slot */
	uint64_t last_sent[SG_DP_MEMBER_SLOTS]; /**< TSC of the last MEMBER_SUSPECT; 0: none */
};

/**
 * Watch new NAT flow @p f to member @p mb (its SYN's ISN @p syn_isn) when
 * the member's pool has passive detection on.
 */
static inline void
sg_dp_passive_watch(struct sg_dp_flow *f, const struct sg_dp_member *mb, uint32_t syn_isn)
{
	if (mb->passive_fails == 0)
		return;
	f->flags |= SG_DP_FLOW_WATCH;
	f->syn_isn = syn_isn;
}

/**
 * A member -> NAT address TCP segment @p m of watched flow @p f (before any
 * rewrite): the member's SYN-ACK, a RST validated against the connect
 * (a failure) or not (passive_rst_unvalidated), its first byte (a success).
 */
void sg_dp_passive_return(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			  struct sg_dp_flow *f, const struct rte_mbuf *m, const struct sg_dp_pkt *p,
			  uint64_t now);

/** Watched flow @p f: its member's SYN-ACK with ISN @p isn was validated elsewhere. */
static inline void
sg_dp_passive_synack(struct sg_dp_flow *f, uint32_t isn)
{
	if (!(f->flags & SG_DP_FLOW_WATCH))
		return;
	f->flags |= SG_DP_FLOW_SYNACK;
	f->member_isn = isn;
}

/**
 * Watched flow @p f failed for @p reason (enum sg_msg_suspect_reason):
 * count it once for its member; MEMBER_SUSPECT when the member reached its
 * pool's threshold (rate-limited). No-op for a flow not watched.
 */
void sg_dp_passive_fail(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_flow *f,
			uint8_t reason, uint64_t now);

/** Member failures counted for slot @p slot on worker @p w (telemetry, tests). */
uint32_t sg_dp_passive_count(const struct sg_dp_worker *w, uint16_t slot);

#endif /* SG_DP_CORE_PASSIVE_H */
