/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VM selection and lifecycle as the control path sees it:
 *
 *  - user affinity: a session whose L7 key names a user goes to that user's
 *    VM (identity relations user -> VM);
 *  - otherwise the pool policy: the running VM with the fewest sessions
 *    under the pool's cap; else a VM already starting with room; else start
 *    a stopped one through its host agent (VM-manager provider on the bus);
 *  - idle stop: a running VM with no session (installed, ready or waiting)
 *    for the pool's idle_stop_ms is stopped (scale to zero), or saved
 *    (pools[].idle_action: save): the next start resumes it;
 *  - the operator's verbs (sgctl vm start|stop|save);
 *  - a failed VM startable again after a backoff, or quarantined (vm_crash.c).
 *
 * VM states come only from the agents (SG_CTL_EV_VM_STATE on the bus).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "sessiongate/sg_agent_proto.h"
#include "bus.h"
#include "cs.h"
#include "ids.h"
#include "vm.h"
#include "vm_crash.h"
#include "vm_drain.h"

static const char *const vm_state_names[SG_CTL_VM_STATE_MAX] = {
	"unknown", "stopped", "starting", "running", "stopping", "failed", "app_down"};

const char *
sg_ctl_vm_state_name(unsigned int s)
{
	return s < SG_CTL_VM_STATE_MAX ? vm_state_names[s] : "?";
}

struct sg_ctl_vm *
sg_ctl_vm_by_name(struct sg_ctl_inv *inv, const char *name)
{
	unsigned int i;

	for (i = 0; i < inv->cfg->n_vms; i++)
		if (!SG_CTL_SLOT_FREE(&inv->cfg->vms[i]) &&
		    strcmp(inv->cfg->vms[i].name, name) == 0)
			return &inv->vms[i];
	return NULL;
}

struct sg_ctl_host *
sg_ctl_vm_host_by_name(struct sg_ctl_inv *inv, const char *name)
{
	unsigned int i;

	for (i = 0; i < inv->cfg->n_hosts; i++)
		if (!SG_CTL_SLOT_FREE(&inv->cfg->hosts[i]) &&
		    strcmp(inv->cfg->hosts[i].name, name) == 0)
			return &inv->hosts[i];
	return NULL;
}

static bool
vm_has_room(const struct sg_ctl_vmm *vmm, const struct sg_ctl_vm *vm)
{
	return !vm->draining && vm->n_sessions + vm->n_reserved + vm->others <
					vmm->cfg->pools[vm->cfg->pool].session_cap;
}

const double sg_ctl_vm_start_bounds[SG_CTL_VMSTART_BUCKETS] = {1,  2,  5,   10,	 20,
							       30, 60, 120, 300, 600};

/* @p vm is now in @p state because of @p why (sgctl vms shows both and when). */
static void
vm_set(struct sg_ctl_vm *vm, unsigned int state, const char *why)
{
	struct timespec ts;

	snprintf(vm->why, sizeof(vm->why), "%s", why != NULL ? why : "");
	if (vm->state == state && vm->changed_ms != 0)
		return;
	vm->state = (uint8_t)state;
	clock_gettime(CLOCK_REALTIME, &ts);
	vm->changed_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
vm_assign(struct sg_ctl_vm *vm, struct sg_ctl_cs *cs)
{
	cs->vm = vm;
	vm->n_sessions++;
}

static void
vm_wait(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, struct sg_ctl_cs *cs)
{
	cs->vm = vm;
	vm->n_reserved++;
	TAILQ_INSERT_TAIL(&vm->waiters, cs, q);
	sg_ctl_cs_engage(cs, vm->host->provider_id);
	sg_ctl_cs_set_state(vmm->tab, cs, SG_CTL_CS_WAITING);
}

static const char *
op_name(uint32_t op)
{
	return op == SG_CTL_REQ_VM_START ? "start" : op == SG_CTL_REQ_VM_SAVE ? "save" : "stop";
}

static int
vm_request(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, uint32_t op)
{
	struct sg_ctl_req r = {.op = op, .requester = vm->cfg->pool, .vm = vm};
	int rc;

	rc = sg_ctl_bus_request(vmm->bus, vm->host->provider, &r);
	if (rc < 0) {
		syslog(LOG_WARNING, "vm %s: cannot ask host %s to %s it: %s", vm->cfg->name,
		       vm->host->cfg->name, op_name(op),
		       rc == -ENOTCONN ? "no agent connected" : "request queue full");
		return rc;
	}
	return 0;
}

static int
vm_start(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm)
{
	bool restart = sg_ctl_vm_crash_startable(vm);

	if (vm->remote) { /* cluster mode: only its owner starts it */
		if (vmm->want == NULL || vmm->want(vmm->want_ctx, vm) < 0)
			return -ENOTCONN;
		vm_set(vm, SG_CTL_VM_STARTING, "its owner was asked to start it");
		vm->boot_seen = false;
		return 0;
	}
	if (vm_request(vmm, vm, SG_CTL_REQ_VM_START) < 0)
		return -ENOTCONN;
	vm_set(vm, SG_CTL_VM_STARTING,
	       vm->saved ? "resumed by sg-control" : "started by sg-control");
	vm->boot_seen = false;
	vm->starts++;
	vmm->st->vm_starts++;
	if (restart)
		sg_ctl_vm_crash_restarted(vmm, vm);
	/* its RUNNING report says how it started (agent_msg.c) */
	vm->start_kind = 0;
	vm->start_libvirt_ms = vm->start_ready_ms = vm->start_total_ms = 0;
	syslog(LOG_INFO, "vm %s (%#llx): %s on host %s", vm->cfg->name, (unsigned long long)vm->id,
	       vm->saved ? "resuming" : "starting", vm->host->cfg->name);
	return 0;
}

/* Place @p cs on @p vm whatever its state: 1 placed, 0 waiting, <0 not now. */
static int
vm_place_on(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, struct sg_ctl_cs *cs)
{
	if (vm->quarantined || vm->crash_loop || vm->restart_at_ns != 0)
		return -EAGAIN;
	if (!vm_has_room(vmm, vm))
		return -ENOSPC;
	switch (sg_ctl_vm_crash_startable(vm) ? SG_CTL_VM_STOPPED : vm->state) {
	case SG_CTL_VM_RUNNING:
		vm_assign(vm, cs);
		return 1;
	case SG_CTL_VM_STARTING:
		vm_wait(vmm, vm, cs);
		return 0;
	case SG_CTL_VM_STOPPED:
		if (vm_start(vmm, vm) < 0)
			return -ENOTCONN;
		vm_wait(vmm, vm, cs);
		return 0;
	default: /* unknown, stopping, failed */
		return -EAGAIN;
	}
}

/* Left running (or booting) without sg-control asking: crashed, shut off, app down. A VM
 * saved unasked (its memory kept: its connections may live on when it resumes) is not. */
static bool
vm_went_down(const struct sg_ctl_vm *vm, unsigned int old, unsigned int state)
{
	if (vm->stop_requested || old == state || (state == SG_CTL_VM_STOPPED && vm->saved))
		return false;
	if (state != SG_CTL_VM_STOPPED && state != SG_CTL_VM_FAILED &&
	    state != SG_CTL_VM_APP_DOWN && state != SG_CTL_VM_STOPPING)
		return false;
	return old == SG_CTL_VM_RUNNING || (old == SG_CTL_VM_STARTING && vm->boot_seen);
}

/* Start a stopped VM of @p down's pool in its place, within the pool's starts_inflight. */
static void
vm_replace(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *down)
{
	const struct sg_ctl_pool *pool = &vmm->inv->pools[down->cfg->pool];
	struct sg_ctl_vm *vm, *pick = NULL;
	unsigned int i, starting = 0;

	for (i = 0; i < pool->n_vms; i++) {
		vm = pool->vms[i];
		if (vm->state == SG_CTL_VM_STARTING)
			starting++;
		else if (vm->state == SG_CTL_VM_STOPPED && vm != down && !vm->draining &&
			 pick == NULL)
			pick = vm;
	}
	if (pick == NULL || starting >= pool->cfg->starts_inflight) {
		syslog(LOG_WARNING, "vm %s: no replacement started (%s)", down->cfg->name,
		       pick == NULL ? "no stopped VM in its pool" : "starts_inflight reached");
		return;
	}
	if (vm_start(vmm, pick) == 0) {
		vmm->st->vm_replacements++;
		syslog(LOG_NOTICE, "vm %s: started to replace %s", pick->cfg->name,
		       down->cfg->name);
	}
}

/* @p vm went down: its installed sessions end (SESSION_ABORT), its held ones are placed
 * elsewhere or rejected, and a stopped VM of its pool replaces it. */
static void
vm_down(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm)
{
	struct sg_ctl_vm_ended n = {0};
	uint64_t starts = vmm->st->vm_starts;

	vm->downs++;
	vmm->st->vm_downs++;
	vm->quarantined = true; /* its sessions must not come back to it */
	sg_ctl_vm_end_sessions(vmm, vm, SG_MSG_REASON_VM_DOWN, &n);
	vm->quarantined = false;
	syslog(LOG_WARNING,
	       "vm %s (%#llx): down (%s): %u installed sessions aborted, %u held re-brokered, "
	       "%u rejected",
	       vm->cfg->name, (unsigned long long)vm->id, vm->why, n.aborted, n.rebrokered,
	       n.rejected);
	if (n.aborted + n.rebrokered + n.rejected > 0 && vmm->st->vm_starts == starts)
		vm_replace(vmm, vm);
}

/* @p vm ran @p ms after its start request: the start time histogram of its kind. */
static void
vm_started(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, uint64_t ms)
{
	bool resume = vm->start_kind == SG_AGENT_START_RESUME;

	vm->start_total_ms = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
	if (resume) {
		vm->resumes++;
		vmm->st->vm_resumes++;
	}
	sg_ctl_hist_add(sg_ctl_vm_start_bounds, SG_CTL_VMSTART_BUCKETS,
			resume ? vmm->st->vm_resume_bucket : vmm->st->vm_start_bucket,
			resume ? &vmm->st->vm_resume_sum_s : &vmm->st->vm_start_sum_s,
			(double)ms / 1000.0);
}

/* The pool policy over @p vms: the running VM with the fewest sessions, else one
 * starting with room, else start a stopped one. */
static int
vm_pick(struct sg_ctl_vmm *vmm, struct sg_ctl_cs *cs, struct sg_ctl_vm *const *vms, unsigned int n)
{
	struct sg_ctl_vm *vm, *best = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		vm = vms[i];
		if (vm->state == SG_CTL_VM_RUNNING && vm_has_room(vmm, vm) &&
		    (best == NULL ||
		     vm->n_sessions + vm->n_reserved < best->n_sessions + best->n_reserved))
			best = vm;
	}
	if (best != NULL) {
		vm_assign(best, cs);
		return 1;
	}
	for (i = 0; i < n; i++) {
		vm = vms[i];
		if (vm->state == SG_CTL_VM_STARTING && vm_has_room(vmm, vm)) {
			vm_wait(vmm, vm, cs);
			return 0;
		}
	}
	/* a saved VM first (a resume is faster than a boot), then any stopped one */
	for (i = 0; i < 2 * n; i++) {
		vm = vms[i % n];
		/* room: a VM that went down may still hold sessions being aborted */
		if ((vm->state == SG_CTL_VM_STOPPED || sg_ctl_vm_crash_startable(vm)) &&
		    (i >= n || vm->saved) && !vm->quarantined && !vm->crash_loop &&
		    vm->restart_at_ns == 0 && vm_has_room(vmm, vm) && vm_start(vmm, vm) == 0) {
			vm_wait(vmm, vm, cs);
			return 0;
		}
	}
	return -ENOSPC;
}

int
sg_ctl_vm_place(struct sg_ctl_vmm *vmm, struct sg_ctl_cs *cs)
{
	const struct sg_ctl_pool *pool = &vmm->inv->pools[cs->app->cfg->pool];
	struct sg_ctl_vm *vm;

	if (cs->app->cfg->affinity && cs->user[0] != '\0') {
		vm = sg_ctl_ids_user_vm(vmm->ids, cs->user, cs->app->cfg->pool);
		if (vm != NULL)
			return vm_place_on(vmm, vm, cs);
	}
	return vm_pick(vmm, cs, pool->vms, pool->n_vms);
}

int
sg_ctl_vm_place_among(struct sg_ctl_vmm *vmm, struct sg_ctl_cs *cs, struct sg_ctl_vm *const *vms,
		      unsigned int n)
{
	return vm_pick(vmm, cs, vms, n);
}

void
sg_ctl_vm_on_state(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, unsigned int state,
		   const char *why)
{
	unsigned int old = vm->state;
	struct sg_ctl_cs *cs;
	uint64_t starting_ms;

	if (state >= SG_CTL_VM_STATE_MAX)
		return;
	/* A start is in flight: "stopped" from an inventory report is not news (unless its
	 * agent saw it boot: then it went down while booting). */
	if (old == SG_CTL_VM_STARTING && state == SG_CTL_VM_STOPPED && !TAILQ_EMPTY(&vm->waiters) &&
	    !vm->boot_seen)
		return;
	if (state == SG_CTL_VM_STARTING)
		vm->boot_seen = true;
	starting_ms = vm->changed_ms;
	vm_set(vm, state, why != NULL ? why : "reported by its agent");
	if (old == SG_CTL_VM_STARTING && state == SG_CTL_VM_RUNNING && starting_ms != 0 &&
	    vm->changed_ms >= starting_ms)
		vm_started(vmm, vm, vm->changed_ms - starting_ms);
	if (vm_went_down(vm, old, state))
		vm_down(vmm, vm);
	if (old != state)
		syslog(LOG_INFO, "vm %s (%#llx): %s -> %s%s%s", vm->cfg->name,
		       (unsigned long long)vm->id, sg_ctl_vm_state_name(old),
		       sg_ctl_vm_state_name(state), why ? ": " : "", why ? why : "");
	switch (state) {
	case SG_CTL_VM_RUNNING:
		vm->stop_requested = false;
		if (old != SG_CTL_VM_RUNNING)
			vm->idle_since_ns = vmm->clk->now_ns;
		/* Waiters already hold their place in the execution queue. */
		while ((cs = TAILQ_FIRST(&vm->waiters)) != NULL) {
			TAILQ_REMOVE(&vm->waiters, cs, q);
			vm->n_reserved--;
			vm->n_sessions++;
			vmm->hooks.install(vmm->hooks.ctx, cs);
		}
		break;
	case SG_CTL_VM_FAILED:
		vm->failures++;
		if (old != SG_CTL_VM_RUNNING && old != SG_CTL_VM_APP_DOWN) /* else: a VM down */
			vmm->st->vm_start_failures++;
		if (old != SG_CTL_VM_FAILED)
			sg_ctl_vm_crash_note(vmm, vm);
		while ((cs = TAILQ_FIRST(&vm->waiters)) != NULL)
			vmm->hooks.reject(vmm->hooks.ctx, cs, SG_MSG_REASON_VM_FAILED);
		break;
	case SG_CTL_VM_STOPPED:
		if (vm->stop_requested && vm->saved && old != SG_CTL_VM_STOPPED) {
			vm->saves++;
			vmm->st->vm_saves++;
		}
		vm->stop_requested = false;
		/* Its start was lost with an agent connection: ask again. */
		if (!TAILQ_EMPTY(&vm->waiters) && vm_start(vmm, vm) < 0)
			syslog(LOG_WARNING, "vm %s: %u sessions wait for it, no agent to start it",
			       vm->cfg->name, vm->n_reserved);
		if (vm->n_sessions > 0)
			syslog(LOG_WARNING, "vm %s stopped with %u sessions installed",
			       vm->cfg->name, vm->n_sessions);
		break;
	default:
		break;
	}
	vmm->inv->dispatch_pools |= 1ull << vm->cfg->pool;
}

void
sg_ctl_vm_host_lost(struct sg_ctl_vmm *vmm, struct sg_ctl_host *host)
{
	unsigned int i;

	for (i = 0; i < vmm->cfg->n_vms; i++) {
		if (SG_CTL_SLOT_FREE(&vmm->cfg->vms[i]) || vmm->inv->vms[i].host != host)
			continue;
		vmm->inv->vms[i].agent_state = SG_CTL_VM_UNKNOWN;
		if (vmm->inv->vms[i].remote) /* its owner's state key says */
			continue;
		/* Waiters keep waiting (deadline): the agent may come back; installed
		 * sessions stay (the data plane keeps forwarding to the VM). */
		vm_set(&vmm->inv->vms[i], SG_CTL_VM_UNKNOWN, "host lost: agent disconnected");
	}
}

int
sg_ctl_vm_want(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm)
{
	vm->idle_since_ns = vmm->clk->now_ns;
	if (vm->remote || (vm->state != SG_CTL_VM_STOPPED && !sg_ctl_vm_crash_startable(vm)) ||
	    vm->quarantined || vm->draining || vm->crash_loop || vm->restart_at_ns != 0)
		return 0;
	return vm_start(vmm, vm);
}

/* Ask @p vm's agent to stop or save it (@p op); @p why: sgctl vms. @return 0 or <0. */
static int
vm_stop(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, uint32_t op, const char *why)
{
	if (vm_request(vmm, vm, op) < 0)
		return -ENOTCONN;
	vm->stop_requested = true;
	vm_set(vm, SG_CTL_VM_STOPPING, why);
	vm->stops++;
	vmm->st->vm_stops++;
	return 0;
}

void
sg_ctl_vm_idle_check(struct sg_ctl_vmm *vmm)
{
	struct sg_ctl_vm *vm;
	uint32_t idle_ms;
	unsigned int i;
	bool save;

	sg_ctl_vm_crash_tick(vmm);
	for (i = 0; i < vmm->cfg->n_vms; i++) {
		if (SG_CTL_SLOT_FREE(&vmm->cfg->vms[i]))
			continue;
		vm = &vmm->inv->vms[i];
		idle_ms = vmm->cfg->pools[vm->cfg->pool].idle_stop_ms;
		if (idle_ms == 0 || vm->state != SG_CTL_VM_RUNNING || vm->stop_requested ||
		    vm->n_sessions > 0 || vm->n_reserved > 0 || vm->remote || vm->others > 0 ||
		    vmm->clk->now_ns - vm->idle_since_ns < (uint64_t)idle_ms * 1000000)
			continue;
		save = vmm->cfg->pools[vm->cfg->pool].idle_action == SG_CTL_IDLE_SAVE;
		if (vm_stop(vmm, vm, save ? SG_CTL_REQ_VM_SAVE : SG_CTL_REQ_VM_STOP,
			    save ? "idle save" : "idle stop") < 0)
			continue;
		syslog(LOG_INFO, "vm %s (%#llx): idle for %u ms, %s", vm->cfg->name,
		       (unsigned long long)vm->id, idle_ms, save ? "saving" : "stopping");
	}
}

int
sg_ctl_vm_op(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, uint32_t op, char *err, size_t errlen)
{
	uint32_t held = vm->n_sessions + vm->n_reserved;

	if (vm->remote) {
		snprintf(err, errlen, "%s is another node's VM (cluster mode): ask its owner",
			 vm->cfg->name);
		return -EPERM;
	}
	if (op == SG_CTL_REQ_VM_START) {
		if (vm->state == SG_CTL_VM_RUNNING || vm->state == SG_CTL_VM_STARTING)
			return 1; /* already running (or starting) */
		if (vm->state != SG_CTL_VM_STOPPED && vm->state != SG_CTL_VM_FAILED) {
			snprintf(err, errlen,
				 "%s is %s: start it once its agent reports it stopped",
				 vm->cfg->name, sg_ctl_vm_state_name(vm->state));
			return -EBUSY;
		}
		sg_ctl_vm_crash_reset(vm); /* the operator's start: out of quarantine */
		if (vm_start(vmm, vm) < 0) {
			snprintf(err, errlen, "%s: no agent of host %s to start it", vm->cfg->name,
				 vm->host->cfg->name);
			return -ENOTCONN;
		}
		vm->idle_since_ns = vmm->clk->now_ns; /* then the idle timer applies */
		return 0;
	}
	if (held + vm->others > 0) {
		snprintf(err, errlen, "%s has %u sessions: drain it first (sgctl drain vm %s)",
			 vm->cfg->name, held + vm->others, vm->cfg->name);
		return -EBUSY;
	}
	if (vm->state != SG_CTL_VM_RUNNING && vm->state != SG_CTL_VM_APP_DOWN) {
		snprintf(err, errlen, "%s is %s, not running", vm->cfg->name,
			 sg_ctl_vm_state_name(vm->state));
		return -EALREADY;
	}
	if (vm_stop(vmm, vm, op, op == SG_CTL_REQ_VM_SAVE ? "sgctl vm save" : "sgctl vm stop") <
	    0) {
		snprintf(err, errlen, "%s: no agent of host %s to %s it", vm->cfg->name,
			 vm->host->cfg->name, op_name(op));
		return -ENOTCONN;
	}
	return 0;
}
