/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * SESSION_ABORT (abort.c): sg-control ends a session of this worker. A
 * held or connecting session is answered as a reject; an installed one is
 * reset now (RESET) or keeps its traffic until a deadline (DRAIN), then is
 * reset. Reset: a NAT hand-off's sides get a RST at once where their next
 * sequence numbers are known (sg_dp_abort_rst()); the flow answers the
 * next segment of either side with an
 * exact RST (RFC 9293 3.10.7.1: the RST acknowledges what the segment
 * carried, so it is accepted whatever the splice's deltas) and is removed
 * then, or after BR_ABORT_LINGER_MS without a segment. SESSION_CLOSED
 * carries the abort's reason once the flow is gone.
 */
#ifndef SG_DP_SESSION_ABORT_H
#define SG_DP_SESSION_ABORT_H

#include <stdint.h>

#include "session/broker.h"

/** SESSION_ABORT @p m (checked by sg_msg_check()). */
void sg_dp_broker_abort(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			const struct sg_msg *m, struct sg_dp_txq *out, uint64_t now);

/** Reset the drained sessions whose deadline passed; forget those gone. Timer pass. */
void sg_dp_broker_drain_step(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			     struct sg_dp_txq *out, uint64_t now);

#endif /* SG_DP_SESSION_ABORT_H */
