/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A new connection on the 4-tuple of an installed flow (reuse.c): a flow
 * keeps its member for its whole life (across reloads and member state),
 * but a client that opens a new connection on the same tuple (its port
 * reused while the old entry lingers: closing, TIME_WAIT-like, or still
 * established after the client's kernel recycled the tuple) must not
 * follow the entry to a member that is not up. As IPVS's conn_reuse_mode /
 * expire_nodest_conn, the old entry is removed and the packet scheduled
 * again. Only rare packets are looked at: a TCP SYN without ACK, and UDP
 * to a member that is DOWN or in RESET (a bit of the tables).
 */
#ifndef SG_DP_WORKER_REUSE_H
#define SG_DP_WORKER_REUSE_H

#include <stdbool.h>

#include <rte_tcp.h>

#include "core/flow.h"
#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"

/**
 * The cheap test on the flow-hit path: may @p p, which hit flow @p f, be a
 * new connection that must be scheduled again? (TCP: a SYN without ACK;
 * UDP: @p f's member is DOWN or in RESET in @p t.) Confirm with
 * sg_dp_worker_flow_reuse().
 */
static inline bool
sg_dp_worker_reuse_maybe(const struct sg_dp_tables *t, const struct sg_dp_flow *f,
			 const struct sg_dp_pkt *p)
{
	if (p->key.proto == IPPROTO_TCP)
		return (p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG;
	return sg_dp_tables_slot_down(t, f->member_slot);
}

/**
 * Packet @p p from the client hit plain DSR or NAT flow @p f (not a
 * brokered or proxied one, whose flow is no pool member's) and passed
 * sg_dp_worker_reuse_maybe(). Remove @p f when the packet opens a new
 * connection that must be scheduled again:
 *  - a TCP SYN when @p f's member is not up in @p t (DOWN, DRAIN, RESET, or
 *    gone from the tables): counted flow_rescheduled_member_down;
 *  - a TCP SYN when @p f is closing (FIN or RST seen): counted flow_closed;
 *  - UDP when @p f's member is DOWN or in RESET (DRAIN keeps UDP flows
 *    until they idle out): counted flow_rescheduled_member_down.
 * A NAT flow's port goes back to its pool with it.
 *
 * @return true when @p f was removed: the caller takes the new-flow path.
 */
bool sg_dp_worker_flow_reuse(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			     struct sg_dp_flow *f, const struct sg_dp_pkt *p);

#endif /* SG_DP_WORKER_REUSE_H */
