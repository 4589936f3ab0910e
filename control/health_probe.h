/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * health_probe.c: runs the active checks of health.c's members on the
 * daemon's libevent loop over ordinary sockets: tcp (non-blocking connect),
 * udp (send, bounded receive) and http/https (libcurl's multi interface
 * driven by libevent). At most one check in flight per member and
 * SG_CTL_PROBE_INFLIGHT_MAX in all; every result goes to
 * sg_ctl_health_result().
 */
#ifndef SG_CTL_HEALTH_PROBE_H
#define SG_CTL_HEALTH_PROBE_H

#include "clock.h"
#include "health.h"

struct event_base;
struct sg_ctl_probe;

#define SG_CTL_PROBE_INFLIGHT_MAX 512	      /**< checks at once (sockets) */
#define SG_CTL_PROBE_BODY_MAX	  (64u << 10) /**< http: bytes of body read at most */
#define SG_CTL_PROBE_UDP_MAX	  2048	      /**< udp: bytes of answer read */

struct sg_ctl_probe_deps {
	struct event_base *base;
	struct sg_ctl_clock *clk; /**< refreshed at each event */
	struct sg_ctl_health *health;
	void (*step_end)(void *ctx); /**< commit: MEMBER_STATE messages leave */
	void *ctx;
};

/** Start checking (a 10 ms scheduler on @p d->base). @return 0, -ENOMEM, -EIO (libcurl). */
int sg_ctl_probe_create(struct sg_ctl_probe **out, const struct sg_ctl_probe_deps *d);
/** Abandon every check in flight (before the member table is replaced). */
void sg_ctl_probe_cancel_all(struct sg_ctl_probe *p);
/** Cancel, stop and free (NULL: nothing). */
void sg_ctl_probe_destroy(struct sg_ctl_probe *p);

#endif /* SG_CTL_HEALTH_PROBE_H */
