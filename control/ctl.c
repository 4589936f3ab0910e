/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-control's wiring: builds applications, pools, VMs and hosts from the
 * configuration, registers the service providers, connects the modules
 * (bus subscriptions, struct sg_ctl_hooks), and runs one step of work
 * (ring poll or timer tick) followed by the commit that makes the step
 * durable before its messages leave and before the messages that caused
 * it are taken off their rings: DB first, then the ring. The only file
 * that calls every module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "bus.h"
#include "cs.h"
#include "csm.h"
#include "ctl.h"
#include "ids.h"
#include "inventory.h"
#include "qos.h"
#include "sessiondb.h"
#include "shm.h"
#include "ucache.h"
#include "vm.h"
#include "vm_drain.h"

/* ------------------------------------------------------------- bus events */

static void
on_vm_state(const struct sg_ctl_event *ev, void *arg)
{
	struct sg_ctl *c = arg;

	ev->vm->agent_state = (uint8_t)ev->state;
	if (ev->vm->remote) /* cluster mode: its owner's state key says (cluster_vm.c) */
		return;
	sg_ctl_vm_on_state(&c->vmm, ev->vm, ev->state, ev->why);
}

static void
on_req_failed(const struct sg_ctl_event *ev, void *arg)
{
	struct sg_ctl *c = arg;

	if (ev->vm == NULL)
		return;
	if (ev->req->op == SG_CTL_REQ_VM_START && ev->vm->state == SG_CTL_VM_STARTING) {
		if (ev->provider->up)
			sg_ctl_vm_on_state(&c->vmm, ev->vm, SG_CTL_VM_FAILED, ev->why);
		else /* agent gone: its waiters wait (deadline) for the agent's next report */
			ev->vm->state = SG_CTL_VM_UNKNOWN;
	} else if ((ev->req->op == SG_CTL_REQ_VM_STOP || ev->req->op == SG_CTL_REQ_VM_SAVE) &&
		   ev->vm->state == SG_CTL_VM_STOPPING)
		ev->vm->state = SG_CTL_VM_UNKNOWN; /* the agent's next report decides */
}

static void
on_provider(const struct sg_ctl_event *ev, void *arg)
{
	struct sg_ctl *c = arg;
	unsigned int i;

	if (ev->state || ev->provider->svc != SG_CTL_SVC_VM)
		return;
	for (i = 0; i < c->cfg->n_hosts; i++)
		if (!SG_CTL_SLOT_FREE(&c->cfg->hosts[i]) &&
		    c->inv.hosts[i].provider_id == ev->provider->id)
			sg_ctl_vm_host_lost(&c->vmm, &c->inv.hosts[i]);
}

/* shm's dp_link hook: the data plane went away, or (re)attached with @p epoch. */
static void
on_dp_link(void *ctx, bool up, uint64_t epoch)
{
	struct sg_ctl *c = ctx;
	uint64_t stored = 0;
	struct sg_ctl_cs *cs, *next;

	sg_ctl_bus_set_up(c->bus, c->inv.net_provider, up, NULL, NULL);
	if (!up)
		return;
	if (sg_ctl_db_is_open(c->db)) {
		if (sg_ctl_db_meta_get(c->db, "epoch", &stored) == 0 && stored != epoch)
			sg_ctl_csm_dp_restarted(&c->csm);
		sg_ctl_db_meta_put(c->db, "epoch", epoch);
	} else if (c->last_epoch != 0 && c->last_epoch != epoch) {
		sg_ctl_csm_dp_restarted(&c->csm);
	}
	c->last_epoch = epoch;
	sg_ctl_health_dp_attached(&c->health);
	/* Whatever was closed while nobody listened is found by the audit. */
	sg_ctl_audit_start(&c->audit);
	/* Sessions placed while the data plane was away. */
	for (cs = TAILQ_FIRST(&c->tab.tlist[SG_CTL_CS_READY]); cs != NULL; cs = next) {
		next = TAILQ_NEXT(cs, t);
		sg_ctl_csm_install(&c->csm, cs);
	}
}

/* ------------------------------------------------- the way back into csm */

static void
hook_install(void *ctx, struct sg_ctl_cs *cs)
{
	sg_ctl_csm_install(ctx, cs);
}

static void
hook_reject(void *ctx, struct sg_ctl_cs *cs, unsigned int reason)
{
	sg_ctl_csm_reject(ctx, cs, reason);
}

static void
hook_abort(void *ctx, struct sg_ctl_cs *cs, unsigned int action, unsigned int reason,
	   uint32_t deadline_s)
{
	sg_ctl_csm_abort(ctx, cs, action, reason, deadline_s);
}

static void
hook_rebroker(void *ctx, struct sg_ctl_cs *cs)
{
	sg_ctl_csm_rebroker(ctx, cs);
}

static void
hook_dp_msg(void *ctx, const struct sg_msg *m)
{
	struct sg_ctl *c = ctx;

	if (m->hdr.type == SG_MSG_SESSION_ALIVE)
		sg_ctl_audit_on_alive(&c->audit, m);
	else if (m->hdr.type == SG_MSG_MEMBER_SUSPECT)
		sg_ctl_health_on_suspect(&c->health, m);
	else
		sg_ctl_csm_on_msg(&c->csm, m);
}

static int
hook_restore(void *ctx, const struct sg_ctl_cs *saved, const char *app, const char *vm)
{
	return sg_ctl_csm_restore(ctx, saved, app, vm);
}

static void
view_step_end(void *ctx)
{
	sg_ctl_commit(ctx);
}

/* Create the modules and connect each to the ones below it and to the way back. */
static int
ctl_connect(struct sg_ctl *c, struct sg_ctl_cfg *cfg)
{
	const struct sg_ctl_place_hooks place = {.install = hook_install,
						 .reject = hook_reject,
						 .abort = hook_abort,
						 .rebroker = hook_rebroker,
						 .ctx = &c->csm};
	const struct sg_ctl_shm_hooks shm_hooks = {
		.dp_msg = hook_dp_msg, .dp_link = on_dp_link, .ctx = c};
	struct timespec ts;
	int rc;

	c->inv.cfg = cfg;
	rc = sg_ctl_cs_init(&c->tab, cfg, &c->clock);
	if (rc < 0)
		return rc;
	/* Audit tokens of this process do not repeat a killed predecessor's (audit.c). */
	clock_gettime(CLOCK_REALTIME, &ts);
	c->tab.audit_seq = (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec ^ (uint32_t)getpid() << 16;
	c->bus = sg_ctl_bus_create(cfg, &c->clock);
	if (c->bus == NULL)
		return -ENOMEM;
	c->ids = sg_ctl_ids_create(cfg, &c->inv, c->bus, &c->st);
	if (c->ids == NULL)
		return -ENOMEM;
	c->uc = sg_ctl_ucache_create(c->ids, &c->st.auth);
	if (c->uc == NULL)
		return -ENOMEM;
	c->qos = sg_ctl_qos_create(c->ids, c->uc);
	if (c->qos == NULL)
		return -ENOMEM;
	c->shm = sg_ctl_shm_create(cfg, &c->clock, &c->st, &shm_hooks);
	if (c->shm == NULL)
		return -ENOMEM;
	c->db = sg_ctl_db_create(&c->tab, &c->inv, c->shm, &c->st, sg_ctl_ids_next_local(c->ids),
				 hook_restore, &c->csm);
	if (c->db == NULL)
		return -ENOMEM;
	c->vmm = (struct sg_ctl_vmm){.cfg = cfg,
				     .clk = &c->clock,
				     .st = &c->st,
				     .inv = &c->inv,
				     .ids = c->ids,
				     .bus = c->bus,
				     .tab = &c->tab,
				     .hooks = place};
	c->broker = (struct sg_ctl_broker){.cfg = cfg,
					   .clk = &c->clock,
					   .inv = &c->inv,
					   .vmm = &c->vmm,
					   .ids = c->ids,
					   .tab = &c->tab,
					   .hooks = place,
					   .st = &c->st.auth,
					   .bus = c->bus,
					   .qos = c->qos,
					   .uc = c->uc};
	c->csm = (struct sg_ctl_csm){.cfg = cfg,
				     .clk = &c->clock,
				     .st = &c->st,
				     .inv = &c->inv,
				     .broker = &c->broker,
				     .ids = c->ids,
				     .tab = &c->tab,
				     .shm = c->shm,
				     .usage = &c->usage};
	sg_ctl_usage_init(&c->usage);
	sg_ctl_usage_config(&c->usage, &cfg->usage);
	c->audit = (struct sg_ctl_audit){.clk = &c->clock,
					 .st = &c->st,
					 .tab = &c->tab,
					 .broker = &c->broker,
					 .shm = c->shm};
	sg_ctl_health_init(&c->health, &c->clock, c->shm, &c->tab);
	c->view = (struct sg_ctl_view){.cfg = cfg,
				       .base = c->base,
				       .clk = &c->clock,
				       .st = &c->st,
				       .inv = &c->inv,
				       .tab = &c->tab,
				       .csm = &c->csm,
				       .bus = c->bus,
				       .ids = c->ids,
				       .shm = c->shm,
				       .db = c->db,
				       .vmm = &c->vmm,
				       .health = &c->health,
				       .usage = &c->usage,
				       .invm = &c->invm,
				       .reload = NULL, /* main.c: the YAML reader is the daemon's */
				       .step_end = view_step_end,
				       .ctx = c};
	return 0;
}

int
sg_ctl_init(struct sg_ctl *c, struct sg_ctl_cfg *cfg, struct event_base *base)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->base = base;
	sg_ctl_clock_update(&c->clock);
	rc = ctl_connect(c, cfg);
	if (rc < 0)
		return rc;
	c->invm = (struct sg_ctl_invm){.cfg = cfg, .inv = &c->inv, .bus = c->bus, .ids = c->ids};
	/* every object of the slots, by the functions that build one added later */
	rc = sg_ctl_inventory_build_all(&c->invm);
	if (rc < 0)
		return rc;
	c->inv.net_provider_id = sg_ctl_ids_named(SG_CTL_ID_PROVIDER, "network-manager@dataplane");
	rc = sg_ctl_bus_register(c->bus, SG_CTL_SVC_NETWORK, "network-manager@dataplane",
				 c->inv.net_provider_id, 1);
	if (rc < 0)
		return rc;
	c->inv.net_provider = (unsigned int)rc;
	rc = sg_ctl_bus_register(c->bus, SG_CTL_SVC_MONITOR, "monitor@metrics",
				 sg_ctl_ids_named(SG_CTL_ID_PROVIDER, "monitor@metrics"), 1);
	if (rc < 0)
		return rc;
	sg_ctl_bus_set_up(c->bus, (unsigned int)rc, true, NULL, NULL);
	sg_ctl_bus_subscribe(c->bus, SG_CTL_EV_VM_STATE, on_vm_state, c);
	sg_ctl_bus_subscribe(c->bus, SG_CTL_EV_REQ_FAILED, on_req_failed, c);
	sg_ctl_bus_subscribe(c->bus, SG_CTL_EV_PROVIDER, on_provider, c);
	return 0;
}

static void
free_changed(struct sg_ctl *c)
{
	struct sg_ctl_cs *cs, *next;

	for (cs = c->tab.changed; cs != NULL; cs = next) {
		next = cs->dnext;
		if (cs->doomed) {
			sg_ctl_ids_release(c->ids, cs);
			free(cs);
			continue;
		}
		cs->queued = false;
		cs->dirty = false;
		cs->dnext = NULL;
	}
	c->tab.changed = NULL;
}

void
sg_ctl_fini(struct sg_ctl *c)
{
	free_changed(c);
	sg_ctl_usage_fini(&c->usage);
	sg_ctl_health_fini(&c->health);
	sg_ctl_cs_fini(&c->tab);
	sg_ctl_inventory_fini(&c->invm);
	sg_ctl_bus_destroy(c->bus);
	sg_ctl_shm_destroy(c->shm);
	sg_ctl_db_destroy(c->db);
	sg_ctl_ids_destroy(c->ids);
	sg_ctl_qos_destroy(c->qos);
	c->qos = NULL;
	sg_ctl_ucache_destroy(c->uc);
	c->uc = NULL;
	c->bus = NULL;
	c->shm = NULL;
	c->db = NULL;
	c->ids = NULL;
}

static void
run_dispatch(struct sg_ctl *c)
{
	uint64_t pools;
	unsigned int i;

	while ((pools = c->inv.dispatch_pools) != 0) {
		c->inv.dispatch_pools = 0;
		for (i = 0; i < 64; i++)
			if (pools & (1ull << i))
				sg_ctl_broker_dispatch(&c->broker, i);
	}
}

int
sg_ctl_commit(struct sg_ctl *c)
{
	struct sg_ctl_cs *cs;
	int rc;

	run_dispatch(c);
	if (c->commit_retry_ns != 0 && c->clock.now_ns < c->commit_retry_ns)
		return -EAGAIN;
	rc = sg_ctl_db_commit(c->db);
	if (rc < 0) {
		/* Changes stay dirty, ring messages unacked, answers unsent: retried. */
		if (c->commit_retry_ns == 0)
			syslog(LOG_WARNING, "commit failed: ring messages kept, answers held");
		c->commit_retry_ns = c->clock.now_ns + SG_CTL_COMMIT_RETRY_MS * 1000000ull;
		c->st.commit_retries++;
		return rc;
	}
	if (c->commit_retry_ns != 0)
		syslog(LOG_NOTICE, "commit succeeded again");
	c->commit_retry_ns = 0;
	for (cs = c->tab.changed; cs != NULL; cs = cs->dnext) {
		if (cs->dirty)
			cs->stored = true;
		if (c->committed != NULL) /* cluster mode: the sessions/<sid> keys follow */
			c->committed(c->committed_ctx, cs);
	}
	free_changed(c);
	sg_ctl_shm_ack(c->shm);
	sg_ctl_shm_flush(c->shm);
	return 0;
}

unsigned int
sg_ctl_poll(struct sg_ctl *c, unsigned int budget)
{
	unsigned int n, done = 0;
	int rc;

	sg_ctl_clock_update(&c->clock);
	sg_ctl_shm_check(c->shm);
	/* A burst per worker, its commit, its ack; again while messages come. */
	do {
		n = sg_ctl_shm_poll(c->shm, budget - done);
		done += n;
		rc = sg_ctl_commit(c);
	} while (n > 0 && rc == 0 && done < budget);
	return done;
}

void
sg_ctl_tick(struct sg_ctl *c)
{
	sg_ctl_clock_update(&c->clock);
	sg_ctl_csm_timeouts(&c->csm);
	sg_ctl_bus_timeouts(c->bus);
	sg_ctl_vm_idle_check(&c->vmm);
	sg_ctl_vm_drain_tick(&c->vmm);
	sg_ctl_inventory_sweep(&c->invm); /* removed objects nothing uses any more */
	sg_ctl_audit_tick(&c->audit);
	sg_ctl_health_tick(&c->health);
	sg_ctl_health_drain_tick(&c->health);
	sg_ctl_usage_tick(&c->usage, c->clock.now_ns); /* usage lines held 100 ms at most */
	sg_ctl_commit(c);
}
