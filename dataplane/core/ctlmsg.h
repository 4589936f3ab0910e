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

/**
 * The next slot of worker @p w's ring to sg-control, zeroed, to build a
 * message in place (no copy of the 256-byte element); sg_dp_ctl_commit()
 * must follow before any other send. Needs a single-producer ring (the
 * shared-memory region's rings are: lib/shmchan).
 * @return the slot, or NULL with *@p rc = -ENOTCONN (no ring or sg-control
 *   away), -ENOBUFS (ring full: counted ctl_ring_full) or -ENOTSUP (the
 *   ring is not single-producer).
 */
struct sg_msg *sg_dp_ctl_reserve(struct sg_dp_worker *w, int *rc);

/** Send the message built in the slot @p m of sg_dp_ctl_reserve() (type, len, body filled). */
void sg_dp_ctl_commit(struct sg_dp_worker *w, struct sg_msg *m);

#endif /* SG_DP_CORE_CTLMSG_H */
