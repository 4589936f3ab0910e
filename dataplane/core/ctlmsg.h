/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The worker's end of its dp -> ctl ring (ctlmsg.c): one send for every
 * message the data plane originates (sessions, passive detection), so the
 * ring's sequence numbers stay gap-free.
 */
#ifndef SG_DP_CORE_CTLMSG_H
#define SG_DP_CORE_CTLMSG_H

#include "sessiongate/sg_msg.h"

struct sg_dp_worker;

/**
 * Send @p m (type, len and body filled) on worker @p w's ring to
 * sg-control: version, worker and sequence are set here. A full ring is
 * counted (ctl_ring_full), never waited for.
 * @return 0, -ENOTCONN (no ring or sg-control away), -ENOBUFS (ring full).
 */
int sg_dp_ctl_send(struct sg_dp_worker *w, struct sg_msg *m);

#endif /* SG_DP_CORE_CTLMSG_H */
