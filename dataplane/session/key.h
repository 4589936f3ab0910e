/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Held sessions (key.c): client bytes held and acknowledged until the
 * L7 key is decided, then SESSION_NEW.
 */
#ifndef SG_DP_SESSION_KEY_H
#define SG_DP_SESSION_KEY_H

#include "session/broker.h"

void sg_dp_broker_held_data(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			    struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
			    struct br_sess *s, struct sg_dp_txq *out, uint64_t now);

void sg_dp_broker_udp_hold(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			   struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
			   struct br_sess *s, struct sg_dp_txq *out);

#endif /* SG_DP_SESSION_KEY_H */
