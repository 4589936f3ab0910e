/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * access.c: access and placement from idmgr's relationship graph for the
 * sessions of token applications with auth.graph (doc/control.md
 * "Authenticated applications").
 */
#ifndef SG_CTL_ACCESS_H
#define SG_CTL_ACCESS_H

#include "model.h"

struct sg_ctl_ids;
struct sg_ctl_bus;
struct sg_ctl_ucache;

#define SG_CTL_ACCESS_VMS_MAX 16 /**< serving VMs considered per session */

/**
 * Where the graph lets @p cs (its user_id, its app) go, as idmgr answers
 * now (kept in @p uc, when not NULL, while the store is unchanged: a
 * relationship changed with sgid counts at the next session): the VMs
 * idmgr resolves as serving the user for the app
 * (user SUBSCRIBES app; user ASSIGNED vm; vm SERVED_BY a component of a
 * domain of the app) that are VMs of the app's pool in @p inv and sit in
 * the address tree under a host whose VM-manager provider on @p bus is up.
 * The time taken is added to @p st.
 * @return the number of VMs in @p out (0: none), or -ENOLINK (not
 *   subscribed), -ENOENT (the user is no user of idmgr), -ENODEV (idmgr
 *   is not open).
 */
int sg_ctl_access_vms(struct sg_ctl_ucache *uc, struct sg_ctl_ids *ids, struct sg_ctl_bus *bus,
		      struct sg_ctl_inv *inv, const struct sg_ctl_cs *cs,
		      struct sg_ctl_auth_stats *st, struct sg_ctl_vm **out, unsigned int max);

/**
 * The refusal (enum sg_ctl_auth_refusal) for what sg_ctl_access_vms()
 * returned, or -1 when @p rc allows the session.
 */
int sg_ctl_access_refusal(int rc);

#endif /* SG_CTL_ACCESS_H */
