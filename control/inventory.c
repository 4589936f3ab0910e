/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running inventory in step with the configuration's slots: one
 * build function per kind (start-up and every object added later),
 * retiring, and the sweep that frees what retired once nothing uses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "bus.h"
#include "ids.h"
#include "inventory.h"

/* The bus provider named @p name (kept when its object went: an object added again reuses it). */
static int
provider_find(struct sg_ctl_bus *bus, const char *name)
{
	unsigned int i;

	for (i = 0; i < sg_ctl_bus_count(bus); i++)
		if (strcmp(sg_ctl_bus_provider(bus, i)->name, name) == 0)
			return (int)i;
	return -1;
}

static int
provider_get(struct sg_ctl_bus *bus, unsigned int svc, const char *name, uint64_t id,
	     uint32_t inflight)
{
	int rc = provider_find(bus, name);

	if (rc >= 0)
		return rc;
	rc = sg_ctl_bus_register(bus, svc, name, id, inflight);
	if (rc < 0)
		syslog(LOG_ERR, "inventory: cannot register provider %s: %s", name, strerror(-rc));
	return rc;
}

static int
build_host(struct sg_ctl_invm *m, unsigned int i)
{
	const struct sg_ctl_host_cfg *hc = &m->cfg->hosts[i];
	struct sg_ctl_host *h = &m->inv->hosts[i];
	char name[SG_CTL_NAME_MAX + 16];
	int rc;

	memset(h, 0, sizeof(*h));
	h->cfg = hc;
	h->id = sg_ctl_ids_named(SG_CTL_ID_HOST, hc->name);
	h->provider_id = sg_ctl_ids_named(SG_CTL_ID_PROVIDER, hc->name);
	snprintf(name, sizeof(name), "vm-manager@%s", hc->name);
	rc = provider_get(m->bus, SG_CTL_SVC_VM, name, h->provider_id, 4);
	if (rc < 0)
		return rc;
	h->provider = (unsigned int)rc;
	h->provider_id = sg_ctl_bus_provider(m->bus, h->provider)->id;
	return 0;
}

static int
build_pool(struct sg_ctl_invm *m, unsigned int i)
{
	const struct sg_ctl_pool_cfg *pc = &m->cfg->pools[i];
	struct sg_ctl_pool *p = &m->inv->pools[i];
	char name[SG_CTL_NAME_MAX + 24];
	int rc;

	free(p->vms);
	memset(p, 0, sizeof(*p));
	p->cfg = pc;
	/* every VM slot may join it: bounded, allocated here, never in a hot loop */
	p->vms = calloc(SG_CTL_VMS_MAX + 1, sizeof(struct sg_ctl_vm *));
	if (p->vms == NULL)
		return -ENOMEM;
	if (pc->storage[0] == '\0')
		return 0;
	/* The storage manager of the pool's storage: registered so sessions record
	 * it; it takes no requests yet (the VMs' disks are attached by their host
	 * agent). */
	p->storage_id = sg_ctl_ids_named(SG_CTL_ID_STORAGE, pc->storage);
	snprintf(name, sizeof(name), "storage-manager@%s", pc->storage);
	p->storage_provider_id = sg_ctl_ids_named(SG_CTL_ID_PROVIDER, name);
	rc = provider_get(m->bus, SG_CTL_SVC_STORAGE, name, p->storage_provider_id, 1);
	if (rc < 0)
		return rc;
	p->storage_provider_id = sg_ctl_bus_provider(m->bus, (unsigned int)rc)->id;
	sg_ctl_bus_set_up(m->bus, (unsigned int)rc, true, NULL, NULL);
	return 0;
}

static int
build_vm(struct sg_ctl_invm *m, unsigned int i)
{
	const struct sg_ctl_vm_cfg *vc = &m->cfg->vms[i];
	struct sg_ctl_vm *vm = &m->inv->vms[i];

	memset(vm, 0, sizeof(*vm));
	vm->cfg = vc;
	vm->id = sg_ctl_ids_named(SG_CTL_ID_VM, vc->name);
	vm->component_id = sg_ctl_ids_named(SG_CTL_ID_COMPONENT, m->cfg->pools[vc->pool].name);
	vm->host = &m->inv->hosts[vc->host];
	vm->state = SG_CTL_VM_UNKNOWN;
	vm->remote = m->cfg->cluster.enabled; /* cluster mode: claimed first (cluster_vm.c) */
	TAILQ_INIT(&vm->waiters);
	return 0;
}

static int
build_app(struct sg_ctl_invm *m, unsigned int i)
{
	const struct sg_ctl_app_cfg *ac = &m->cfg->apps[i];
	struct sg_ctl_app *a = &m->inv->apps[i];

	memset(a, 0, sizeof(*a));
	a->cfg = ac;
	a->id = sg_ctl_ids_named(SG_CTL_ID_APP, ac->name);
	if (ac->domain[0] != '\0')
		a->domain_id = sg_ctl_ids_named(SG_CTL_ID_DOMAIN, ac->domain);
	TAILQ_INIT(&a->queue);
	return 0;
}

/* Build slot @p i of @p kind if the configuration has an object there and it is not built. */
static int
build(struct sg_ctl_invm *m, unsigned int kind, unsigned int i, bool *built)
{
	const struct sg_ctl_cfg *k = m->cfg;
	int rc;

	*built = false;
	switch (kind) {
	case SG_CTL_KIND_HOST:
		if (SG_CTL_SLOT_FREE(&k->hosts[i]) || m->inv->hosts[i].cfg != NULL)
			return 0;
		rc = build_host(m, i);
		break;
	case SG_CTL_KIND_POOL:
		if (SG_CTL_SLOT_FREE(&k->pools[i]) || m->inv->pools[i].cfg != NULL)
			return 0;
		rc = build_pool(m, i);
		break;
	case SG_CTL_KIND_VM:
		if (SG_CTL_SLOT_FREE(&k->vms[i]) || m->inv->vms[i].cfg != NULL)
			return 0;
		rc = build_vm(m, i);
		break;
	default:
		if (SG_CTL_SLOT_FREE(&k->apps[i]) || m->inv->apps[i].cfg != NULL)
			return 0;
		rc = build_app(m, i);
		break;
	}
	if (rc == 0)
		rc = sg_ctl_ids_add(m->ids, kind, i); /* idmgr not open yet: nothing */
	*built = rc == 0;
	return rc;
}

/* Every pool's VM list: the live VMs of its slots (a retiring VM takes no new session). */
static void
pools_rebuild(struct sg_ctl_invm *m)
{
	const struct sg_ctl_cfg *k = m->cfg;
	unsigned int i;

	for (i = 0; i < k->n_pools; i++) {
		m->inv->pools[i].n_vms = 0;
		if (!SG_CTL_SLOT_FREE(&k->pools[i]))
			m->inv->dispatch_pools |= 1ull << i; /* limits may have grown */
	}
	for (i = 0; i < k->n_vms; i++) {
		struct sg_ctl_vm *vm = &m->inv->vms[i];
		struct sg_ctl_pool *pool;

		if (SG_CTL_SLOT_FREE(&k->vms[i]) || k->vms[i].retiring)
			continue;
		pool = &m->inv->pools[k->vms[i].pool];
		pool->vms[pool->n_vms++] = vm;
		/* The starts in flight per host follow the strictest pool on it. */
		sg_ctl_bus_provider(m->bus, vm->host->provider)->max_inflight =
			pool->cfg->starts_inflight;
	}
}

int
sg_ctl_inventory_build_all(struct sg_ctl_invm *m)
{
	static const unsigned int order[] = {SG_CTL_KIND_HOST, SG_CTL_KIND_POOL, SG_CTL_KIND_VM,
					     SG_CTL_KIND_APP};
	const unsigned int *n[SG_CTL_KIND_MAX] = {[SG_CTL_KIND_APP] = &m->cfg->n_apps,
						  [SG_CTL_KIND_VM] = &m->cfg->n_vms,
						  [SG_CTL_KIND_HOST] = &m->cfg->n_hosts,
						  [SG_CTL_KIND_POOL] = &m->cfg->n_pools};
	unsigned int k, i;
	bool built;
	int rc;

	for (k = 0; k < 4; k++)
		for (i = 0; i < *n[order[k]]; i++) {
			rc = build(m, order[k], i, &built);
			if (rc < 0)
				return rc;
			if (built && m->started && order[k] == SG_CTL_KIND_VM &&
			    m->push_vm != NULL && m->cfg->vms[i].template_name[0] != '\0')
				m->push_vm(m->agent_ctx, &m->inv->vms[i]);
			if (built && m->started) {
				m->added++;
				syslog(LOG_NOTICE, "inventory: %s %s added",
				       sg_ctl_cfg_kind_name(order[k]),
				       order[k] == SG_CTL_KIND_APP    ? m->cfg->apps[i].name
				       : order[k] == SG_CTL_KIND_VM   ? m->cfg->vms[i].name
				       : order[k] == SG_CTL_KIND_HOST ? m->cfg->hosts[i].name
								      : m->cfg->pools[i].name);
			}
		}
	pools_rebuild(m);
	m->started = true;
	return 0;
}

int
sg_ctl_inventory_apply(struct sg_ctl_invm *m)
{
	const struct sg_ctl_cfg *k = m->cfg;
	unsigned int i;
	int rc;

	rc = sg_ctl_inventory_build_all(m);
	for (i = 0; i < k->n_apps; i++) {
		struct sg_ctl_app *a = &m->inv->apps[i];

		if (SG_CTL_SLOT_FREE(&k->apps[i]) || a->retiring == k->apps[i].retiring)
			continue;
		a->retiring = k->apps[i].retiring;
		m->retired += a->retiring;
		syslog(LOG_NOTICE, "inventory: application %s %s", k->apps[i].name,
		       a->retiring ? "retiring: no new session" : "added again");
	}
	for (i = 0; i < k->n_vms; i++) {
		struct sg_ctl_vm *vm = &m->inv->vms[i];

		if (SG_CTL_SLOT_FREE(&k->vms[i]) || vm->retiring == k->vms[i].retiring)
			continue;
		vm->retiring = k->vms[i].retiring;
		m->retired += vm->retiring;
		syslog(LOG_NOTICE, "inventory: vm %s %s", k->vms[i].name,
		       vm->retiring ? "retiring: no new session, stopped once idle"
				    : "added again");
	}
	pools_rebuild(m);
	sg_ctl_inventory_sweep(m);
	return rc;
}

/* ------------------------------------------------------------------ sweep */

static bool
app_done(struct sg_ctl_invm *m, unsigned int i)
{
	const struct sg_ctl_app *a = &m->inv->apps[i];

	return a->n_exec == 0 && a->n_wait == 0 && TAILQ_EMPTY(&a->queue);
}

/* A retiring VM with no session: stopped, then forgotten; true once it may be freed. */
static bool
vm_done(struct sg_ctl_invm *m, unsigned int i)
{
	struct sg_ctl_vm *vm = &m->inv->vms[i];
	struct sg_ctl_req r = {.op = SG_CTL_REQ_VM_STOP, .requester = vm->cfg->pool, .vm = vm};

	if (vm->n_sessions > 0 || vm->n_reserved > 0 || !TAILQ_EMPTY(&vm->waiters) ||
	    vm->others > 0)
		return false;
	if (vm->remote)
		return true; /* cluster mode: its owner stops it */
	switch (vm->state) {
	case SG_CTL_VM_RUNNING:
	case SG_CTL_VM_APP_DOWN:
	case SG_CTL_VM_STARTING:
		if (vm->stop_requested)
			return false;
		if (sg_ctl_bus_request(m->bus, vm->host->provider, &r) < 0)
			return true; /* no agent to stop it: its agent forgets it on reconnect */
		vm->stop_requested = true;
		vm->state = SG_CTL_VM_STOPPING;
		snprintf(vm->why, sizeof(vm->why), "removed: stopping");
		vm->stops++;
		syslog(LOG_INFO, "inventory: vm %s removed: stopping it", vm->cfg->name);
		return false;
	case SG_CTL_VM_STOPPING:
		return false;
	default:
		return true;
	}
}

static bool
host_used(const struct sg_ctl_cfg *k, unsigned int h)
{
	unsigned int i;

	for (i = 0; i < k->n_vms; i++)
		if (!SG_CTL_SLOT_FREE(&k->vms[i]) && k->vms[i].host == h)
			return true;
	return false;
}

static bool
pool_used(const struct sg_ctl_cfg *k, unsigned int p)
{
	unsigned int i;

	for (i = 0; i < k->n_vms; i++)
		if (!SG_CTL_SLOT_FREE(&k->vms[i]) && k->vms[i].pool == p)
			return true;
	for (i = 0; i < k->n_apps; i++)
		if (!SG_CTL_SLOT_FREE(&k->apps[i]) && k->apps[i].pool == p)
			return true;
	return false;
}

static void
freed(struct sg_ctl_invm *m, unsigned int kind, const char *name)
{
	m->freed++;
	syslog(LOG_NOTICE, "inventory: %s %s removed: slot freed", sg_ctl_cfg_kind_name(kind),
	       name);
}

unsigned int
sg_ctl_inventory_sweep(struct sg_ctl_invm *m)
{
	struct sg_ctl_cfg *k = m->cfg;
	uint64_t before = m->freed;
	unsigned int i;

	for (i = 0; i < k->n_apps; i++)
		if (!SG_CTL_SLOT_FREE(&k->apps[i]) && k->apps[i].retiring && app_done(m, i)) {
			freed(m, SG_CTL_KIND_APP, k->apps[i].name);
			memset(&m->inv->apps[i], 0, sizeof(m->inv->apps[i]));
			memset(&k->apps[i], 0, sizeof(k->apps[i]));
		}
	for (i = 0; i < k->n_vms; i++)
		if (!SG_CTL_SLOT_FREE(&k->vms[i]) && k->vms[i].retiring && vm_done(m, i)) {
			if (m->forget_vm != NULL && k->vms[i].template_name[0] != '\0')
				m->forget_vm(m->agent_ctx, m->inv->vms[i].host, k->vms[i].name);
			freed(m, SG_CTL_KIND_VM, k->vms[i].name);
			memset(&m->inv->vms[i], 0, sizeof(m->inv->vms[i]));
			memset(&k->vms[i], 0, sizeof(k->vms[i]));
		}
	for (i = 0; i < k->n_hosts; i++)
		if (!SG_CTL_SLOT_FREE(&k->hosts[i]) && k->hosts[i].retiring && !host_used(k, i)) {
			if (m->host_gone != NULL)
				m->host_gone(m->agent_ctx, &m->inv->hosts[i]);
			sg_ctl_bus_set_up(m->bus, m->inv->hosts[i].provider, false, NULL, NULL);
			freed(m, SG_CTL_KIND_HOST, k->hosts[i].name);
			memset(&m->inv->hosts[i], 0, sizeof(m->inv->hosts[i]));
			memset(&k->hosts[i], 0, sizeof(k->hosts[i]));
		}
	for (i = 0; i < k->n_pools; i++)
		if (!SG_CTL_SLOT_FREE(&k->pools[i]) && k->pools[i].retiring && !pool_used(k, i)) {
			freed(m, SG_CTL_KIND_POOL, k->pools[i].name);
			free(m->inv->pools[i].vms);
			memset(&m->inv->pools[i], 0, sizeof(m->inv->pools[i]));
			memset(&k->pools[i], 0, sizeof(k->pools[i]));
		}
	return (unsigned int)(m->freed - before);
}

void
sg_ctl_inventory_fini(struct sg_ctl_invm *m)
{
	unsigned int i;

	for (i = 0; i < SG_CTL_POOLS_MAX; i++) {
		free(m->inv->pools[i].vms);
		m->inv->pools[i].vms = NULL;
	}
}
