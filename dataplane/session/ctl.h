/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The session layer's end of this worker's rings to sg-control:
 * messages out (ctl_out.c: SESSION_NEW, SESSION_CLOSED with its retry queue)
 * and in (ctl_in.c: SESSION_INSTALL, SESSION_REJECT, SESSION_RESYNC,
 * SESSION_AUDIT).
 */
#ifndef SG_DP_SESSION_CTL_H
#define SG_DP_SESSION_CTL_H

#include "session/broker.h"

int sg_dp_broker_send_new(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s);

/**
 * SESSION_CLOSED of session @p sid with @p body (reason, usage) now, or
 * queued (bounded) until the ring or sg-control is back.
 */
void sg_dp_broker_send_closed(struct sg_dp_worker *w, uint64_t sid,
			      const struct sg_msg_session_closed *body);

void sg_dp_broker_closed_flush(struct sg_dp_worker *w);

/** SESSION_ALIVE @p m (body filled by audit.c) now. @return 0, -ENOTCONN, -ENOBUFS. */
int sg_dp_broker_send_alive(struct sg_dp_worker *w, struct sg_msg *m);

void sg_dp_broker_ctl_msg(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			  const struct sg_msg *m, struct sg_dp_txq *out, uint64_t now);

#endif /* SG_DP_SESSION_CTL_H */
