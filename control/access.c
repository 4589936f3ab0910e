/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Access from the relationship graph: idmgr decides who reaches what
 * (subscribes, assigned, served_by, has_component, has_domain) and where it
 * runs (the address tree), sg-control's inventory what it can start now
 * (the VM is one of the app's pool, its host's agent is connected). What
 * idmgr answered for a (user, app) is kept in the ucache while the store
 * is unchanged; whether a host's agent is up is asked at every check.
 */
#include <errno.h>

#include "access.h"
#include "bus.h"
#include "ids.h"
#include "ucache.h"

#include "sg_idmgr.h"

_Static_assert(SG_CTL_ACCESS_VMS_MAX == SG_CTL_UCACHE_VMS, "a cache entry holds every VM");
_Static_assert(SG_CTL_VMS_MAX <= UINT16_MAX && SG_CTL_HOSTS_MAX <= INT16_MAX,
	       "inventory indexes fit the cache entry");

/* The inventory index of @p vm_id's host in the address tree, or -1. */
static int16_t
host_of(struct sg_id_store *store, const struct sg_ctl_inv *inv, uint64_t vm_id)
{
	uint64_t path[SG_ID_DEPTH_MAX + 1];
	size_t n = 0, i;
	unsigned int h;

	if (sg_id_resolve_where(store, vm_id, path, SG_ID_DEPTH_MAX + 1, &n) < 0)
		return -1;
	for (i = 1; i < n; i++) {
		if (sg_id_type_of(path[i]) != SG_ID_T_HOST)
			continue;
		for (h = 0; h < inv->cfg->n_hosts; h++)
			if (!SG_CTL_SLOT_FREE(&inv->cfg->hosts[h]) && inv->hosts[h].id == path[i])
				return (int16_t)h;
		return -1;
	}
	return -1;
}

/*
 * Ask idmgr: the VMs serving the user for the app that are in the app's
 * pool, and their hosts. @return 0 (filled), or a store failure (not
 * kept: the next session asks again).
 */
static int
graph_read(struct sg_id_store *store, const struct sg_ctl_inv *inv, const struct sg_ctl_cs *cs,
	   struct sg_ctl_uent *e)
{
	const struct sg_ctl_pool *pool = &inv->pools[cs->app->cfg->pool];
	uint64_t vms[SG_CTL_ACCESS_VMS_MAX];
	size_t n = 0, i;
	unsigned int k;
	int rc;

	rc = sg_id_resolve_serving(store, cs->user_id, cs->app->graph_id, vms,
				   SG_CTL_ACCESS_VMS_MAX, &n);
	if (rc == -EINVAL) /* the token's user ID is not a user's */
		rc = -ENOENT;
	e->n_vms = 0;
	e->graph_rc = (int16_t)(rc == -ENOLINK || rc == -ENOENT ? rc : 0);
	if (rc < 0 && rc != -ENOBUFS)
		return e->graph_rc != 0 ? 0 : rc;
	for (i = 0; i < n; i++)
		for (k = 0; k < pool->n_vms; k++)
			if (pool->vms[k]->id == vms[i]) {
				e->vm[e->n_vms] = (uint16_t)(pool->vms[k] - inv->vms);
				e->host[e->n_vms] = host_of(store, inv, vms[i]);
				e->n_vms++;
				break;
			}
	return 0;
}

int
sg_ctl_access_vms(struct sg_ctl_ucache *uc, struct sg_ctl_ids *ids, struct sg_ctl_bus *bus,
		  struct sg_ctl_inv *inv, const struct sg_ctl_cs *cs, struct sg_ctl_auth_stats *st,
		  struct sg_ctl_vm **out, unsigned int max)
{
	struct sg_id_store *store = sg_ctl_ids_store(ids);
	uint64_t t0 = sg_ctl_clock_mono_ns();
	struct sg_ctl_uent scratch, *e;
	unsigned int i, found = 0;
	int rc;

	if (store == NULL || cs->app->graph_id == 0)
		return -ENODEV;
	e = sg_ctl_ucache_get(uc, cs->user_id, cs->app, &scratch);
	if (!sg_ctl_ucache_has(uc, e, SG_CTL_UENT_GRAPH)) {
		rc = graph_read(store, inv, cs, e);
		if (rc < 0)
			goto out;
		e->have |= SG_CTL_UENT_GRAPH;
	}
	rc = e->graph_rc;
	if (rc < 0)
		goto out;
	for (i = 0; i < e->n_vms && found < max; i++) {
		struct sg_ctl_vm *vm = &inv->vms[e->vm[i]];

		if (vm->remote || (e->host[i] >= 0 &&
				   sg_ctl_bus_provider(bus, inv->hosts[e->host[i]].provider)->up))
			out[found++] = vm;
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
