/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * qos.c: per-user limits of an application (apps[].qos; doc/control.md
 * "QoS"): sessions one user holds at once, and the rate the data plane
 * applies to each of them; a user's idmgr attributes qos.user_sessions and
 * qos.rate_bps override the application's.
 */
#ifndef SG_CTL_QOS_H
#define SG_CTL_QOS_H

#include "model.h"

struct sg_ctl_ids;
struct sg_ctl_qos;
struct sg_ctl_ucache;

/**
 * The table of sessions per (user, application); the users' attributes
 * read through @p uc (NULL: read at every admission). NULL: no memory.
 */
struct sg_ctl_qos *sg_ctl_qos_create(struct sg_ctl_ids *ids, struct sg_ctl_ucache *uc);
void sg_ctl_qos_destroy(struct sg_ctl_qos *q);

/**
 * Count @p cs (its user_id, its app) in its user's sessions of its app,
 * unless the user holds the limit already (the app's qos.user_sessions,
 * or the user's idmgr attribute qos.user_sessions; 0 = unlimited).
 * A session without a user ID is not counted. @return 0, -EDQUOT (at the
 * limit: not counted), -ENOMEM.
 */
int sg_ctl_qos_admit(struct sg_ctl_qos *q, struct sg_ctl_cs *cs);
/** Count @p cs whatever the limit (a session restored installed). */
void sg_ctl_qos_count(struct sg_ctl_qos *q, struct sg_ctl_cs *cs);
/** @p cs ended: no longer counted. */
void sg_ctl_qos_release(struct sg_ctl_qos *q, struct sg_ctl_cs *cs);
/** Sessions @p user holds in @p app now. */
uint32_t sg_ctl_qos_held(const struct sg_ctl_qos *q, uint64_t user, const struct sg_ctl_app *app);
/**
 * The rate and burst (bytes/s, bytes) and the usage interval (s) of @p cs's
 * SESSION_INSTALL: its app's qos, the rate overridden by its user's idmgr
 * attribute qos.rate_bps as read at its admission (read now, and kept on
 * @p cs, for a session never admitted here).
 */
void sg_ctl_qos_install(struct sg_ctl_qos *q, struct sg_ctl_cs *cs, uint32_t *rate_bps,
			uint32_t *burst_bytes, uint32_t *usage_interval_s);

#endif /* SG_CTL_QOS_H */
