/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * auth.c: the token of a session of an authenticated application
 * (apps[].auth.mode: token; doc/control.md "Authenticated applications"):
 * found in the L7 key, verified with the application's keys, its user
 * taken as the session's user.
 */
#ifndef SG_CTL_AUTH_H
#define SG_CTL_AUTH_H

#include "model.h"

struct sg_ctl_ids;
struct sg_ctl_ucache;

/** "absent", "format", ..., "user_sessions" (metrics label, sgctl status); "?" out of range. */
const char *sg_ctl_auth_refusal_name(unsigned int r);

/**
 * The answer a refused session of @p app gets for refusal @p r
 * (enum sg_ctl_auth_refusal): a missing or bad token gets the app's
 * on_fail (SG_MSG_REASON_FORBIDDEN or _LOGIN), the graph FORBIDDEN, a QoS
 * limit LIMIT.
 */
unsigned int sg_ctl_auth_reason(const struct sg_ctl_app_cfg *app, unsigned int r);

/**
 * Verify the token of @p cs (its app is a token app) at @p now_s (Unix
 * seconds): found in the L7 key as sessiongate/sg_token.h says, verified
 * with every key of the app for the app's persistent ID. On success
 * cs->user_id is the token's user and cs->user its name in idmgr (when
 * @p ids has the store open and knows it; else empty; kept in @p uc, which
 * may be NULL, while the store is unchanged).
 * @return 0, or the enum sg_ctl_auth_refusal + 1 (counted in @p st).
 */
int sg_ctl_auth_token(struct sg_ctl_ucache *uc, struct sg_ctl_ids *ids,
		      struct sg_ctl_auth_stats *st, struct sg_ctl_cs *cs, uint64_t now_s);

#endif /* SG_CTL_AUTH_H */
