/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-control's wiring: builds applications, pools, VMs and hosts from the
 * configuration, registers the service providers, connects the modules
 * (bus subscriptions, struct sg_ctl_hooks), and runs one step of work
 * (ring poll or timer tick) followed by the commit that makes the step
 * durable before its messages leave: DB first, then the ring. The only
 * file that calls every module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "broker.h"
#include "bus.h"
#include "cs.h"
#include "csm.h"
#include "ctl.h"
#include "ids.h"
#include "sessiondb.h"
#include "shm.h"
#include "vm.h"

uint64_t
sg_ctl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------- bus events */

static void
on_vm_state(struct sg_ctl *c, const struct sg_ctl_event *ev, void *arg)
{
	(void)arg;
	sg_ctl_vm_on_state(c, ev->vm, ev->state, ev->why);
}

static void
on_req_failed(struct sg_ctl *c, const struct sg_ctl_event *ev, void *arg)
{
	(void)arg;
	if (ev->vm == NULL)
		return;
	if (ev->req->op == SG_CTL_REQ_VM_START && ev->vm->state == SG_CTL_VM_STARTING) {
		if (ev->provider->up)
			sg_ctl_vm_on_state(c, ev->vm, SG_CTL_VM_FAILED, ev->why);
		else /* agent gone: its waiters wait (deadline) for the agent's next report */
			ev->vm->state = SG_CTL_VM_UNKNOWN;
	} else if (ev->req->op == SG_CTL_REQ_VM_STOP && ev->vm->state == SG_CTL_VM_STOPPING)
		ev->vm->state = SG_CTL_VM_UNKNOWN; /* the agent's next report decides */
}

static void
on_provider(struct sg_ctl *c, const struct sg_ctl_event *ev, void *arg)
{
	unsigned int i;

	(void)arg;
	if (ev->state || ev->provider->svc != SG_CTL_SVC_VM)
		return;
	for (i = 0; i < c->cfg->n_hosts; i++)
		if (c->hosts[i].provider_id == ev->provider->id)
			sg_ctl_vm_host_lost(c, &c->hosts[i]);
}

/* shm's dp_link hook: the data plane went away, or (re)attached with @p epoch. */
static void
on_dp_link(struct sg_ctl *c, bool up, uint64_t epoch)
{
	uint64_t stored = 0;
	struct sg_ctl_cs *cs, *next;

	sg_ctl_bus_set_up(c, c->net_provider, up, NULL, NULL);
	if (!up)
		return;
	if (c->db != NULL) {
		if (sg_ctl_db_meta_get(c, "epoch", &stored) == 0 && stored != epoch)
			sg_ctl_csm_dp_restarted(c);
		sg_ctl_db_meta_put(c, "epoch", epoch);
	} else if (c->last_epoch != 0 && c->last_epoch != epoch) {
		sg_ctl_csm_dp_restarted(c);
	}
	c->last_epoch = epoch;
	/* Sessions placed while the data plane was away. */
	for (cs = TAILQ_FIRST(&c->tlist[SG_CTL_CS_READY]); cs != NULL; cs = next) {
		next = TAILQ_NEXT(cs, t);
		sg_ctl_csm_install(c, cs);
	}
}

int
sg_ctl_init(struct sg_ctl *c, struct sg_ctl_cfg *cfg, struct event_base *base)
{
	const struct sg_ctl_cfg *k = cfg;
	unsigned int i;
	int rc;

	memset(c, 0, sizeof(*c));
	c->hooks.install = sg_ctl_csm_install;
	c->hooks.reject = sg_ctl_csm_reject;
	c->hooks.dp_msg = sg_ctl_csm_on_msg;
	c->hooks.dp_link = on_dp_link;
	c->hooks.restore = sg_ctl_csm_restore;
	c->cfg = cfg;
	c->base = base;
	c->now_ns = sg_ctl_now_ns();
	c->next_local_id = 1;
	c->hmask = 1023;
	c->htab = calloc(c->hmask + 1, sizeof(struct sg_ctl_cs *));
	if (c->htab == NULL)
		return -ENOMEM;
	for (i = 0; i < SG_CTL_CS_STATE_MAX; i++)
		TAILQ_INIT(&c->tlist[i]);
	rc = sg_ctl_bus_init(c);
	if (rc < 0)
		return rc;
	for (i = 0; i < k->n_hosts; i++) {
		char name[SG_CTL_NAME_MAX + 16];

		c->hosts[i].cfg = &k->hosts[i];
		c->hosts[i].id = sg_ctl_ids_named(SG_CTL_ID_HOST, k->hosts[i].name);
		c->hosts[i].provider_id = sg_ctl_ids_named(SG_CTL_ID_PROVIDER, k->hosts[i].name);
		snprintf(name, sizeof(name), "vm-manager@%s", k->hosts[i].name);
		rc = sg_ctl_bus_register(c, SG_CTL_SVC_VM, name, c->hosts[i].provider_id, 4);
		if (rc < 0)
			return rc;
		c->hosts[i].provider = (unsigned int)rc;
	}
	c->net_provider_id = sg_ctl_ids_named(SG_CTL_ID_PROVIDER, "network-manager@dataplane");
	rc = sg_ctl_bus_register(c, SG_CTL_SVC_NETWORK, "network-manager@dataplane",
				 c->net_provider_id, 1);
	if (rc < 0)
		return rc;
	c->net_provider = (unsigned int)rc;
	rc = sg_ctl_bus_register(c, SG_CTL_SVC_MONITOR, "monitor@metrics",
				 sg_ctl_ids_named(SG_CTL_ID_PROVIDER, "monitor@metrics"), 1);
	if (rc < 0)
		return rc;
	sg_ctl_bus_set_up(c, (unsigned int)rc, true, NULL, NULL);
	for (i = 0; i < k->n_pools; i++) {
		c->pools[i].cfg = &k->pools[i];
		if (k->pools[i].storage[0] != '\0') {
			char name[SG_CTL_NAME_MAX + 24];

			/* The storage manager of the pool's storage: registered so sessions
			 * record it; it takes no requests yet (the VMs' disks are attached
			 * by their host agent). */
			c->pools[i].storage_id =
				sg_ctl_ids_named(SG_CTL_ID_STORAGE, k->pools[i].storage);
			snprintf(name, sizeof(name), "storage-manager@%s", k->pools[i].storage);
			c->pools[i].storage_provider_id =
				sg_ctl_ids_named(SG_CTL_ID_PROVIDER, name);
			rc = sg_ctl_bus_register(c, SG_CTL_SVC_STORAGE, name,
						 c->pools[i].storage_provider_id, 1);
			if (rc < 0)
				return rc;
			sg_ctl_bus_set_up(c, (unsigned int)rc, true, NULL, NULL);
		}
		c->pools[i].vms = calloc(k->n_vms + 1, sizeof(struct sg_ctl_vm *));
		if (c->pools[i].vms == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < k->n_vms; i++) {
		struct sg_ctl_vm *vm = &c->vms[i];
		struct sg_ctl_pool *pool = &c->pools[k->vms[i].pool];

		vm->cfg = &k->vms[i];
		vm->id = sg_ctl_ids_named(SG_CTL_ID_VM, k->vms[i].name);
		vm->component_id = sg_ctl_ids_named(SG_CTL_ID_COMPONENT, pool->cfg->name);
		vm->host = &c->hosts[k->vms[i].host];
		vm->state = SG_CTL_VM_UNKNOWN;
		TAILQ_INIT(&vm->waiters);
		pool->vms[pool->n_vms++] = vm;
		/* The starts in flight per host follow the strictest pool on it. */
		sg_ctl_bus_provider(c, vm->host->provider)->max_inflight =
			pool->cfg->starts_inflight;
	}
	for (i = 0; i < k->n_apps; i++) {
		c->apps[i].cfg = &k->apps[i];
		c->apps[i].id = sg_ctl_ids_named(SG_CTL_ID_APP, k->apps[i].name);
		if (k->apps[i].domain[0] != '\0')
			c->apps[i].domain_id =
				sg_ctl_ids_named(SG_CTL_ID_DOMAIN, k->apps[i].domain);
		TAILQ_INIT(&c->apps[i].queue);
	}
	sg_ctl_bus_subscribe(c, SG_CTL_EV_VM_STATE, on_vm_state, NULL);
	sg_ctl_bus_subscribe(c, SG_CTL_EV_REQ_FAILED, on_req_failed, NULL);
	sg_ctl_bus_subscribe(c, SG_CTL_EV_PROVIDER, on_provider, NULL);
	return 0;
}

static void
free_changed(struct sg_ctl *c)
{
	struct sg_ctl_cs *cs, *next;

	for (cs = c->changed; cs != NULL; cs = next) {
		next = cs->dnext;
		if (cs->doomed) {
			sg_ctl_ids_release(c, cs);
			free(cs);
			continue;
		}
		cs->queued = false;
		cs->dirty = false;
		cs->dnext = NULL;
	}
	c->changed = NULL;
}

void
sg_ctl_fini(struct sg_ctl *c)
{
	struct sg_ctl_cs *cs, *next;
	unsigned int i;

	free_changed(c);
	for (i = 0; c->htab != NULL && i <= c->hmask; i++) {
		for (cs = c->htab[i]; cs != NULL; cs = next) {
			next = cs->hnext;
			free(cs);
		}
	}
	free(c->htab);
	c->htab = NULL;
	for (i = 0; i < SG_CTL_POOLS_MAX; i++)
		free(c->pools[i].vms);
	sg_ctl_bus_fini(c);
	sg_ctl_shm_close(c);
	sg_ctl_db_close(c);
	sg_ctl_ids_close(c);
}

static void
run_dispatch(struct sg_ctl *c)
{
	uint64_t pools;
	unsigned int i;

	while ((pools = c->dispatch_pools) != 0) {
		c->dispatch_pools = 0;
		for (i = 0; i < 64; i++)
			if (pools & (1ull << i))
				sg_ctl_broker_dispatch(c, i);
	}
}

int
sg_ctl_commit(struct sg_ctl *c)
{
	struct sg_ctl_cs *cs;
	int rc;

	run_dispatch(c);
	rc = sg_ctl_db_commit(c);
	if (rc == 0)
		for (cs = c->changed; cs != NULL; cs = cs->dnext)
			if (cs->dirty)
				cs->stored = true;
	free_changed(c);
	sg_ctl_shm_flush(c);
	return rc;
}

unsigned int
sg_ctl_poll(struct sg_ctl *c, unsigned int budget)
{
	unsigned int n;

	c->now_ns = sg_ctl_now_ns();
	sg_ctl_shm_check(c);
	n = sg_ctl_shm_poll(c, budget);
	sg_ctl_commit(c);
	return n;
}

void
sg_ctl_tick(struct sg_ctl *c)
{
	c->now_ns = sg_ctl_now_ns();
	sg_ctl_csm_timeouts(c);
	sg_ctl_bus_timeouts(c);
	sg_ctl_vm_idle_check(c);
	sg_ctl_commit(c);
}
