/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM manager (vm.h): the state machine of each inventory VM (libvirt's
 * state + readiness -> the reported state), the commands waiting on it, the
 * periodic full resync and the shutdown deadline.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "log.h"
#include "readiness.h"
#include "text.h"
#include "vm.h"

struct sg_ha_vm *
sg_ha_vm_find(struct sg_ha_vms *vms, const char *name)
{
	for (unsigned int i = 0; i < vms->n_vms; i++)
		if (strcmp(vms->vms[i].cfg->name, name) == 0)
			return &vms->vms[i];
	return NULL;
}

void
sg_ha_vm_fill(const struct sg_ha_vm *vm, struct sg_agent_msg *m)
{
	sg_agent_msg_set_str(m, SG_AGENT_ATTR_VM_NAME, vm->cfg->name);
	if (vm->uuid_known) {
		memcpy(m->vm_uuid, vm->uuid, 16);
		m->present |= 1u << SG_AGENT_ATTR_VM_UUID;
	}
	m->vm_state = vm->state;
	m->present |= 1u << SG_AGENT_ATTR_VM_STATE;
	if (vm->addr.family) {
		m->addr = vm->addr;
		m->port = vm->cfg->port;
		m->present |= 1u << SG_AGENT_ATTR_ADDR | 1u << SG_AGENT_ATTR_PORT;
	}
	if (vm->state != SG_AGENT_VM_BOOTING && vm->state != SG_AGENT_VM_RUNNING &&
	    vm->state != SG_AGENT_VM_APP_DOWN)
		return;
	m->start_kind = vm->start_kind;
	m->present |= 1u << SG_AGENT_ATTR_START_KIND;
	if (vm->start_kind == SG_AGENT_START_NONE)
		return;
	m->libvirt_ms = vm->libvirt_ms;
	m->present |= 1u << SG_AGENT_ATTR_LIBVIRT_MS;
	if (vm->ready) {
		m->ready_ms = vm->ready_ms;
		m->present |= 1u << SG_AGENT_ATTR_READY_MS;
	}
}

void
sg_ha_vm_reply(struct sg_ha_vms *vms, uint32_t seq, uint16_t status, const char *text,
	       const struct sg_ha_vm *vm)
{
	vms->ops.reply(vms->ctx, seq, status, text, vm);
}

bool
sg_ha_vm_pending_room(const struct sg_ha_vm *vm)
{
	for (unsigned int i = 0; i < SG_HA_PENDING_MAX; i++)
		if (!vm->pend[i].used)
			return true;
	return false;
}

bool
sg_ha_vm_pending_add(struct sg_ha_vm *vm, uint8_t type, uint32_t seq, uint64_t deadline)
{
	for (unsigned int i = 0; i < SG_HA_PENDING_MAX; i++)
		if (!vm->pend[i].used) {
			vm->pend[i] = (struct sg_ha_pending){true, type, seq, deadline};
			return true;
		}
	return false;
}

void
sg_ha_vm_pending_fail(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint16_t status, const char *text)
{
	sg_ha_vm_pending_complete(vms, vm, SG_AGENT_MSG_ENSURE_RUNNING, status, text);
	sg_ha_vm_pending_complete(vms, vm, SG_AGENT_MSG_STOP, status, text);
	vm->stopping = false;
}

void
sg_ha_vm_pending_complete(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint8_t type, uint16_t status,
			  const char *text)
{
	for (unsigned int i = 0; i < SG_HA_PENDING_MAX; i++) {
		if (!vm->pend[i].used || vm->pend[i].type != type)
			continue;
		vm->pend[i].used = false;
		sg_ha_vm_reply(vms, vm->pend[i].seq, status, text, vm);
	}
}

static void
set_state(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint8_t state, const char *why)
{
	if (vm->state == state)
		return;
	sg_ha_log(LOG_INFO, "vm %s: %s -> %s (%s)", vm->cfg->name,
		  sg_agent_vm_state_name(vm->state), sg_agent_vm_state_name(state), why);
	vm->state = state;
	snprintf(vm->why, sizeof(vm->why), "%s", why);
	vms->ops.state(vms->ctx, vm);
}

/* libvirt's state (+ our readiness) -> the reported state. */
static uint8_t
reported_state(struct sg_ha_vm *vm)
{
	switch (vm->lv_state) {
	case -1:
		return SG_AGENT_VM_UNDEFINED;
	case VIR_DOMAIN_RUNNING:
	case VIR_DOMAIN_BLOCKED:
		if (vm->running_since == 0)
			vm->running_since = sg_ha_now_ms();
		if (vm->stopping)
			return SG_AGENT_VM_STOPPING;
		if (!vm->ready)
			return SG_AGENT_VM_BOOTING;
		return vm->app_down ? SG_AGENT_VM_APP_DOWN : SG_AGENT_VM_RUNNING;
	case VIR_DOMAIN_SHUTDOWN:
		return SG_AGENT_VM_STOPPING;
	case VIR_DOMAIN_PAUSED:
	case VIR_DOMAIN_PMSUSPENDED:
		return SG_AGENT_VM_PAUSED;
	case VIR_DOMAIN_CRASHED:
		return SG_AGENT_VM_CRASHED;
	case VIR_DOMAIN_SHUTOFF:
		if (vm->crashed || vm->lv_reason == VIR_DOMAIN_SHUTOFF_CRASHED)
			return SG_AGENT_VM_CRASHED;
		return vm->saved ? SG_AGENT_VM_SAVED : SG_AGENT_VM_SHUTOFF;
	default:
		return SG_AGENT_VM_UNKNOWN;
	}
}

static void
update(struct sg_ha_vms *vms, struct sg_ha_vm *vm, const char *why)
{
	uint8_t st = reported_state(vm);

	if (st != SG_AGENT_VM_BOOTING && st != SG_AGENT_VM_RUNNING && st != SG_AGENT_VM_STOPPING &&
	    st != SG_AGENT_VM_APP_DOWN) {
		vm->running_since = 0;
		vm->ready = false;
		vm->app_down = false;
		vm->check_fails = 0;
		vm->check_oks = 0;
		sg_ha_ready_probe_close(vm);
		if (!vm->cfg->addr.family)
			vm->addr.family = 0;
		vm->start_kind = SG_AGENT_START_NONE;
		vm->start_at = 0;
		vm->start_note[0] = '\0';
	}
	set_state(vms, vm, st, why);
	if (st == SG_AGENT_VM_SHUTOFF || st == SG_AGENT_VM_UNDEFINED || st == SG_AGENT_VM_CRASHED ||
	    st == SG_AGENT_VM_SAVED) {
		if (vm->stopping) {
			vm->stopping = false;
			sg_ha_vm_pending_complete(vms, vm, SG_AGENT_MSG_STOP, SG_AGENT_OK,
						  "stopped");
		}
		sg_ha_vm_pending_complete(vms, vm, SG_AGENT_MSG_ENSURE_RUNNING, SG_AGENT_E_LIBVIRT,
					  st == SG_AGENT_VM_CRASHED ? "VM crashed while starting"
								    : "VM stopped while starting");
	}
	if (st == SG_AGENT_VM_RUNNING)
		sg_ha_vm_pending_complete(vms, vm, SG_AGENT_MSG_ENSURE_RUNNING, SG_AGENT_OK,
					  vm->start_note[0] ? vm->start_note : "running");
}

/* libvirt's reason for a stopped or crashed domain, as the operator would say it. */
static const char *
lv_reason(int st, int reason, const char *why)
{
	if (st == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_DESTROYED)
		return "destroyed";
	if (st == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_CRASHED)
		return "crashed (the qemu process died)";
	if (st == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_SAVED)
		return "saved";
	if (st == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_SHUTDOWN)
		return "shut down";
	if (st == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_FAILED)
		return "failed to start";
	if (st == VIR_DOMAIN_CRASHED)
		return "guest crashed";
	return why;
}

bool
sg_ha_vm_refresh(struct sg_ha_vms *vms, struct sg_ha_vm *vm, const char *why)
{
	virDomainPtr dom = sg_ha_lv_lookup(&vms->lv, vm->cfg);
	uint8_t before = vm->state;
	int st = -1, reason = 0;

	if (dom) {
		if (virDomainGetState(dom, &st, &reason, 0) < 0)
			st = VIR_DOMAIN_NOSTATE;
		if (virDomainGetUUID(dom, vm->uuid) == 0)
			vm->uuid_known = true;
		vm->saved = st == VIR_DOMAIN_SHUTOFF && virDomainHasManagedSaveImage(dom, 0) > 0;
		virDomainFree(dom);
	}
	vm->lv_state = st;
	vm->lv_reason = reason;
	if (dom == NULL)
		vm->saved = false;
	update(vms, vm, vm->crashed || dom == NULL ? why : lv_reason(st, reason, why));
	return vm->state != before;
}

void
sg_ha_vm_check_ready(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint64_t now)
{
	if (vm->state != SG_AGENT_VM_BOOTING || vm->ready)
		return;
	/* the test driver's simulated boot; a resumed guest has booted already */
	if (vms->test_driver && vm->start_kind != SG_AGENT_START_RESUME &&
	    now < vm->running_since + vms->cfg->boot_delay_ms)
		return;
	if (vm->addr.family == 0)
		sg_ha_ready_learn_addr(&vms->lv, vm);
	if (vm->addr.family == 0)
		return;
	if (vm->cfg->probe && sg_ha_ready_probe(vm, now, vms->cfg->probe_timeout_ms) != 1)
		return;
	vm->ready = true;
	if (vm->start_at)
		vm->ready_ms = (uint32_t)(now - vm->start_at);
	vm->next_check = now + vms->cfg->app_check_interval_ms;
	update(vms, vm, vm->cfg->probe ? "service port answers" : "service address known");
}

/* Running with probe: true: the readiness probe again every interval; fall
 * failures in a row report APP_DOWN, rise successes RUNNING again. */
static void
app_check(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint64_t now)
{
	const struct sg_ha_config *c = vms->cfg;
	int rc;

	if (!vm->cfg->probe || c->app_check_interval_ms == 0 || vm->stopping ||
	    (vm->state != SG_AGENT_VM_RUNNING && vm->state != SG_AGENT_VM_APP_DOWN))
		return;
	if (vm->probe_fd < 0 && now < vm->next_check)
		return;
	rc = sg_ha_ready_probe(vm, now, c->app_check_timeout_ms);
	if (rc == 0)
		return; /* connect in flight */
	vm->next_check = now + c->app_check_interval_ms;
	vms->ctr.app_checks++;
	if (rc > 0) {
		vm->check_fails = 0;
		if (vm->app_down && ++vm->check_oks >= c->app_check_rise) {
			vm->app_down = false;
			update(vms, vm, "app port answers again");
		}
		return;
	}
	vms->ctr.app_check_failures++;
	vm->check_oks = 0;
	if (!vm->app_down && ++vm->check_fails >= c->app_check_fall) {
		vm->app_down = true;
		vms->ctr.app_downs++;
		update(vms, vm, "app port stopped answering");
	}
}

void
sg_ha_vm_resync(struct sg_ha_vms *vms, bool periodic)
{
	unsigned int repaired = 0;

	if (!vms->lv.up)
		return;
	for (unsigned int i = 0; i < vms->n_vms; i++) {
		struct sg_ha_vm *vm = &vms->vms[i];
		uint64_t was = vm->running_since;

		repaired += sg_ha_vm_refresh(vms, vm, periodic ? "resync" : "connect");
		if (periodic)
			continue;
		/* Found running at (re)connect: it booted before we looked (an agent
		 * restart must not replay the simulated boot delay). */
		if (was == 0 && vm->running_since > vms->cfg->boot_delay_ms)
			vm->running_since -= vms->cfg->boot_delay_ms;
		sg_ha_vm_check_ready(vms, vm, sg_ha_now_ms());
	}
	if (periodic) {
		vms->ctr.resyncs++;
		vms->ctr.resync_repairs += repaired;
		if (repaired)
			sg_ha_log(LOG_WARNING, "resync: %u VM state(s) repaired (lost events)",
				  repaired);
	}
}

void
sg_ha_vm_apply_next(struct sg_ha_vms *vms, struct sg_ha_vm *vm)
{
	if (!vm->pushed || !vm->has_next)
		return;
	vms->pcfg[vm->cfg - vms->pcfg] = *vm->next;
	vm->has_next = false;
	vm->redefine = vm->lv_state != -1;
	sg_ha_addr_from_cfg(&vm->cfg->addr, &vm->addr);
	sg_ha_log(LOG_INFO, "vm %s: its changed definition applies from this start", vm->cfg->name);
}

/* ---- the libvirt connection's callbacks ---- */

/* A crash as libvirt reports it: the qemu process died (STOPPED_FAILED) or the guest crashed. */
static const char *
crash_reason(int event, int detail)
{
	if (event == VIR_DOMAIN_EVENT_STOPPED && detail == VIR_DOMAIN_EVENT_STOPPED_FAILED)
		return "crashed: the qemu process died (event stopped/failed)";
	if (event == VIR_DOMAIN_EVENT_STOPPED && detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED)
		return "crashed: the guest crashed (event stopped/crashed)";
	if (event == VIR_DOMAIN_EVENT_CRASHED)
		return "crashed: the guest crashed (event crashed)";
	return NULL;
}

void
sg_ha_vm_event(struct sg_ha_vms *vms, struct sg_ha_vm *vm, int event, int detail)
{
	const char *why = crash_reason(event, detail);

	if (why) {
		vms->ctr.crashes++;
		vm->crashed = true;
		sg_ha_log(LOG_WARNING, "vm %s: %s", vm->cfg->name, why);
	}
	if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_RESUMED)
		vm->crashed = false;
	sg_ha_vm_refresh(vms, vm, why ? why : "event");
	if (why && vm->state == SG_AGENT_VM_CRASHED)
		sg_ha_vm_pending_fail(vms, vm, SG_AGENT_E_LIBVIRT, why);
}

static void
on_lv_event(void *ctx, const char *name, int event, int detail)
{
	struct sg_ha_vms *vms = ctx;
	struct sg_ha_vm *vm = sg_ha_vm_find(vms, name);

	if (vm)
		sg_ha_vm_event(vms, vm, event, detail);
}

static void
on_lv_connected(void *ctx)
{
	struct sg_ha_vms *vms = ctx;

	/* Events during the gap are lost: re-read every domain. */
	sg_ha_vm_resync(vms, false);
	vms->next_resync = sg_ha_now_ms() + vms->cfg->resync_ms;
}

static void
on_lv_dropped(void *ctx)
{
	struct sg_ha_vms *vms = ctx;

	/* Commands waiting on libvirt are answered now: control retries. */
	for (unsigned int i = 0; i < vms->n_vms; i++) {
		sg_ha_vm_pending_complete(vms, &vms->vms[i], SG_AGENT_MSG_ENSURE_RUNNING,
					  SG_AGENT_E_UNAVAILABLE, "libvirt connection lost");
		sg_ha_vm_pending_complete(vms, &vms->vms[i], SG_AGENT_MSG_STOP,
					  SG_AGENT_E_UNAVAILABLE, "libvirt connection lost");
		vms->vms[i].stopping = false;
	}
}

static const struct sg_ha_lv_ops lv_ops = {
	.event = on_lv_event,
	.connected = on_lv_connected,
	.dropped = on_lv_dropped,
};

int
sg_ha_vm_init(struct sg_ha_vms *vms, const struct sg_ha_config *cfg, const struct sg_ha_vm_ops *ops,
	      void *ctx)
{
	vms->cfg = cfg;
	vms->ops = *ops;
	vms->ctx = ctx;
	vms->test_driver = strncmp(cfg->uri, "test:", 5) == 0 || strncmp(cfg->uri, "test+", 5) == 0;
	for (unsigned int i = 0; i < cfg->n_vms; i++) {
		struct sg_ha_vm *vm = &vms->vms[i];

		memset(vm, 0, sizeof(*vm));
		vm->cfg = &cfg->vms[i];
		vm->probe_fd = -1;
		vm->lv_state = VIR_DOMAIN_NOSTATE;
		vm->state = SG_AGENT_VM_UNKNOWN;
		sg_ha_addr_from_cfg(&vm->cfg->addr, &vm->addr);
	}
	vms->n_vms = cfg->n_vms;
	return sg_ha_lv_init(&vms->lv, cfg, &lv_ops, vms);
}

void
sg_ha_vm_fini(struct sg_ha_vms *vms)
{
	for (unsigned int i = 0; i < vms->n_vms; i++)
		sg_ha_ready_probe_close(&vms->vms[i]);
	sg_ha_lv_fini(&vms->lv);
}

/* No clean shutdown before the deadline: destroy. */
static void
stop_deadline(struct sg_ha_vms *vms, struct sg_ha_vm *vm)
{
	virDomainPtr dom = sg_ha_lv_lookup(&vms->lv, vm->cfg);
	int rc = dom ? virDomainDestroy(dom) : 0;

	vm->stopping = false;
	if (rc < 0) {
		sg_ha_vm_pending_complete(vms, vm, SG_AGENT_MSG_STOP, SG_AGENT_E_LIBVIRT,
					  sg_ha_lv_error());
	} else {
		sg_ha_log(LOG_WARNING, "vm %s: no clean shutdown before the deadline: destroyed",
			  vm->cfg->name);
		sg_ha_vm_refresh(vms, vm, "destroyed");
		sg_ha_vm_pending_complete(vms, vm, SG_AGENT_MSG_STOP, SG_AGENT_OK,
					  "destroyed after the shutdown deadline");
	}
	if (dom)
		virDomainFree(dom);
}

/* ENSURE_RUNNING commands past their deadline are answered TIMEOUT. */
static void
start_deadlines(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint64_t now)
{
	for (unsigned int p = 0; p < SG_HA_PENDING_MAX; p++) {
		struct sg_ha_pending *pd = &vm->pend[p];
		char text[SG_AGENT_TEXT_MAX];

		if (!pd->used || now < pd->deadline || pd->type != SG_AGENT_MSG_ENSURE_RUNNING)
			continue;
		pd->used = false;
		sg_ha_textf(text, sizeof(text), "VM %s not ready before the deadline (state %s)",
			    vm->cfg->name, sg_agent_vm_state_name(vm->state));
		sg_ha_vm_reply(vms, pd->seq, SG_AGENT_E_TIMEOUT, text, vm);
	}
}

void
sg_ha_vm_tick(struct sg_ha_vms *vms, uint64_t now)
{
	if (sg_ha_lv_tick(&vms->lv, now))
		vms->ops.inventory(vms->ctx);
	if (vms->lv.up && now >= vms->next_resync) {
		sg_ha_vm_resync(vms, true);
		vms->next_resync = now + vms->cfg->resync_ms;
	}
	for (unsigned int i = 0; i < vms->n_vms; i++) {
		struct sg_ha_vm *vm = &vms->vms[i];

		if (!vms->lv.up)
			break;
		sg_ha_vm_check_ready(vms, vm, now);
		app_check(vms, vm, now);
		if (vm->stopping) {
			sg_ha_vm_refresh(vms, vm, "stopping");
			if (vm->stopping && now >= vm->stop_deadline)
				stop_deadline(vms, vm);
		}
		start_deadlines(vms, vm, now);
	}
}
