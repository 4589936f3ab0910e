/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access from the relationship graph: idmgr decides who reaches what
 * (subscribes, assigned, served_by, has_component, has_domain) and where it
 * runs (the address tree), sg-control's inventory what it can start now
 * (the VM is one of the app's pool, its host's agent is connected). Reads
 * only, no cache: every check sees the graph as it is.
 */
#include <errno.h>

#include "access.h"
#include "bus.h"
#include "ids.h"

#include "sg_idmgr.h"

/* The inventory host of @p vm_id's host in the address tree, if its agent is up. */
static bool
host_up(struct sg_id_store *store, struct sg_ctl_bus *bus, struct sg_ctl_inv *inv, uint64_t vm_id)
{
	uint64_t path[SG_ID_DEPTH_MAX + 1];
	size_t n = 0, i;
	unsigned int h;

	if (sg_id_resolve_where(store, vm_id, path, SG_ID_DEPTH_MAX + 1, &n) < 0)
		return false;
	for (i = 1; i < n; i++) {
		if (sg_id_type_of(path[i]) != SG_ID_T_HOST)
			continue;
		for (h = 0; h < inv->cfg->n_hosts; h++)
			if (inv->hosts[h].id == path[i])
				return sg_ctl_bus_provider(bus, inv->hosts[h].provider)->up;
		return false;
	}
	return false;
}

int
sg_ctl_access_vms(struct sg_ctl_ids *ids, struct sg_ctl_bus *bus, struct sg_ctl_inv *inv,
		  const struct sg_ctl_cs *cs, struct sg_ctl_auth_stats *st, struct sg_ctl_vm **out,
		  unsigned int max)
{
	struct sg_id_store *store = sg_ctl_ids_store(ids);
	const struct sg_ctl_pool *pool = &inv->pools[cs->app->cfg->pool];
	uint64_t vms[SG_CTL_ACCESS_VMS_MAX], t0 = sg_ctl_clock_mono_ns();
	size_t n = 0, i;
	unsigned int k, found = 0;
	int rc;

	if (store == NULL || cs->app->graph_id == 0)
		return -ENODEV;
	rc = sg_id_resolve_serving(store, cs->user_id, cs->app->graph_id, vms,
				   SG_CTL_ACCESS_VMS_MAX, &n);
	if (rc == -EINVAL) /* the token's user ID is not a user's */
		rc = -ENOENT;
	if (rc < 0 && rc != -ENOBUFS)
		goto out;
	for (i = 0; i < n && found < max; i++)
		for (k = 0; k < pool->n_vms; k++)
			if (pool->vms[k]->id == vms[i] &&
			    (pool->vms[k]->remote || host_up(store, bus, inv, vms[i]))) {
				out[found++] = pool->vms[k];
				break;
			}
	rc = (int)found;
out:
	st->graph_checks++;
	st->graph_ns += sg_ctl_clock_mono_ns() - t0;
	return rc;
}

int
sg_ctl_access_refusal(int rc)
{
	switch (rc) {
	case -ENOLINK:
		return SG_CTL_AUTH_R_NOT_SUBSCRIBED;
	case -ENOENT:
		return SG_CTL_AUTH_R_UNKNOWN_USER;
	case 0:
		return SG_CTL_AUTH_R_NO_VM;
	default:
		return rc < 0 ? SG_CTL_AUTH_R_NO_VM : -1;
	}
}
