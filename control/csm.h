/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * csm.c: the controlling-session manager: ring messages in, the session
 * state machine, INSTALL / REJECT out, deadlines, restore after a restart.
 */
#ifndef SG_CTL_CSM_H
#define SG_CTL_CSM_H

#include "model.h"
#include "sessiongate/sg_msg.h"

struct sg_ctl;

/** Upper bounds (seconds) of the setup latency histogram buckets. */
extern const double sg_ctl_csm_lat_bounds[SG_CTL_LAT_BUCKETS];

/** Handle one validated dp->ctl message. */
void sg_ctl_csm_on_msg(struct sg_ctl *c, const struct sg_msg *m);
/** End a session that is not installed: send REJECT with @p reason. */
void sg_ctl_csm_reject(struct sg_ctl *c, struct sg_ctl_cs *cs, unsigned int reason);
/** The session holds a running VM slot: send INSTALL. */
void sg_ctl_csm_install(struct sg_ctl *c, struct sg_ctl_cs *cs);
/** Expire sessions whose waiting state ran past its deadline. */
void sg_ctl_csm_timeouts(struct sg_ctl *c);
/** Re-create a session from the DB after a restart. */
int sg_ctl_csm_restore(struct sg_ctl *c, const struct sg_ctl_cs *saved, const char *app,
		       const char *vm);
/** The data plane restarted: every session it held or installed is gone. */
void sg_ctl_csm_dp_restarted(struct sg_ctl *c);
struct sg_ctl_cs *sg_ctl_cs_alloc(struct sg_ctl *c, uint64_t session_id);

#endif /* SG_CTL_CSM_H */
