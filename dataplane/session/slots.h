/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Session slots (slots.c): open a session for a flow, find it by ID,
 * release it; the session layer's life cycle.
 */
#ifndef SG_DP_SESSION_SLOTS_H
#define SG_DP_SESSION_SLOTS_H

#include "session/broker.h"

/**
 * A session slot, its ID and a flow entry in state HELD for @p p's flow.
 * NULL when there is no room (@p m dropped, counted).
 */
struct br_sess *sg_dp_broker_sess_open(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
				       const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
				       uint32_t first_seq, uint64_t now, struct sg_dp_flow **fp);

struct br_sess *sg_dp_broker_sess_by_id(struct sg_dp_worker *w, uint64_t sid,
					struct sg_dp_flow **fp);

/**
 * Free @p f's session slot (if any); its ID then names the flow itself in
 * the ID index until sg_dp_broker_sid_forget().
 */
void sg_dp_broker_sess_release(struct sg_dp_worker *w, struct sg_dp_flow *f);

/** @p f is going away: release its slot and drop its ID from the index. */
void sg_dp_broker_sid_forget(struct sg_dp_worker *w, struct sg_dp_flow *f);

/**
 * The flow of session @p sid on this worker: held, connecting or installed
 * (NAT / DSR hand-off, answered redirect or reject). NULL: none.
 */
struct sg_dp_flow *sg_dp_broker_flow_by_id(struct sg_dp_worker *w, uint64_t sid);

#endif /* SG_DP_SESSION_SLOTS_H */
