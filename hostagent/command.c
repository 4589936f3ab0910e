/* SPDX-License-Identifier: BSD-3-Clause */
/* The VM commands of the control path (command.h). */
#include <errno.h>

#include "clock.h"
#include "command.h"
#include "log.h"
#include "template.h"
#include "text.h"

static struct sg_ha_vm *
cmd_vm(struct sg_ha_vms *vms, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm;
	char text[SG_AGENT_TEXT_MAX];

	vms->ctr.commands++;
	if (!SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_NAME)) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_BAD_REQUEST, "VM_NAME missing", NULL);
		return NULL;
	}
	vm = sg_ha_vm_find(vms, m->vm_name);
	if (vm == NULL) {
		sg_ha_textf(text, sizeof(text), "no VM %s in the inventory of host %s", m->vm_name,
			    vms->cfg->host);
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_NO_SUCH_VM, text, NULL);
		return NULL;
	}
	return vm;
}

/* The VM of command @p m when libvirt is connected (else answered: NULL). */
static struct sg_ha_vm *
cmd_vm_connected(struct sg_ha_vms *vms, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm(vms, m);

	if (vm && !vms->lv.up) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_UNAVAILABLE, "libvirt not connected; retry",
			       vm);
		return NULL;
	}
	return vm;
}

/* The domain of @p vm, or NULL with command @p seq answered E_LIBVIRT. */
static virDomainPtr
cmd_lookup(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint32_t seq)
{
	virDomainPtr dom = sg_ha_lv_lookup(&vms->lv, vm->cfg);
	char text[SG_AGENT_TEXT_MAX];

	if (dom == NULL) {
		sg_ha_textf(text, sizeof(text), "lookup %s: %s", vm->cfg->name, sg_ha_lv_error());
		sg_ha_vm_reply(vms, seq, SG_AGENT_E_LIBVIRT, text, vm);
	}
	return dom;
}

static uint64_t
cmd_deadline(const struct sg_agent_msg *m, uint32_t dflt_ms)
{
	return sg_ha_now_ms() +
	       (SG_AGENT_HAS(m, SG_AGENT_ATTR_DEADLINE_MS) ? m->deadline_ms : dflt_ms);
}

/* Not defined in libvirt: define it from its template. @return 0 or -1 (answered). */
static int
cmd_define(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint32_t seq)
{
	char text[SG_AGENT_TEXT_MAX];

	if (vm->cfg->template_path[0] == '\0' && vm->cfg->template_name[0] == '\0') {
		sg_ha_textf(text, sizeof(text),
			    "VM %s is not defined in libvirt (%.64s) and has no template",
			    vm->cfg->name, vms->cfg->uri);
		sg_ha_vm_reply(vms, seq, SG_AGENT_E_NO_SUCH_VM, text, vm);
		return -1;
	}
	if (vm->redefine && vm->saved) { /* the image is of the old definition */
		virDomainPtr dom = sg_ha_lv_lookup(&vms->lv, vm->cfg);

		if (dom) {
			virDomainManagedSaveRemove(dom, 0);
			virDomainFree(dom);
		}
	}
	if (sg_ha_template_define(&vms->lv, vms->cfg, vm->cfg, vm->uuid_known ? vm->uuid : NULL,
				  text, sizeof(text))) {
		sg_ha_log(LOG_ERR, "vm %s: %s", vm->cfg->name, text);
		sg_ha_vm_reply(vms, seq, SG_AGENT_E_LIBVIRT, text, vm);
		return -1;
	}
	vm->redefine = false;
	sg_ha_vm_refresh(vms, vm, "defined");
	return 0;
}

/*
 * Start a shut-off domain: libvirt restores its managed-save image when it
 * has one (a resume), else boots it. A restore that fails falls back to a
 * cold boot without the image. Records the start kind and libvirt's time.
 * @return virDomainCreate's result.
 */
static int
cmd_create(struct sg_ha_vms *vms, struct sg_ha_vm *vm, virDomainPtr dom)
{
	bool resume = vm->saved;
	uint64_t t0 = sg_ha_now_ms();
	int rc;

	vm->crashed = false;
	if (resume && vms->fail_next_resume) { /* test hook: as a corrupt or stale image */
		vms->fail_next_resume = false;
		rc = -1;
	} else {
		rc = virDomainCreate(dom);
	}
	if (rc < 0 && resume) {
		sg_ha_log(LOG_WARNING,
			  "vm %s: restore from the managed-save image failed (%s): "
			  "image removed, booting cold",
			  vm->cfg->name, rc < 0 ? sg_ha_lv_error() : "");
		vms->ctr.resume_fallbacks++;
		virDomainManagedSaveRemove(dom, 0);
		resume = false;
		snprintf(vm->start_note, sizeof(vm->start_note),
			 "running (resume failed: image removed, booted cold)");
		rc = virDomainCreate(dom);
	}
	vm->libvirt_ms = (uint32_t)(sg_ha_now_ms() - t0);
	if (rc < 0)
		return rc;
	vm->start_kind = resume ? SG_AGENT_START_RESUME : SG_AGENT_START_BOOT;
	if (resume)
		vms->ctr.resumes++;
	else
		vms->ctr.boots++;
	if (vm->start_note[0] == '\0')
		snprintf(vm->start_note, sizeof(vm->start_note), "running (%s, libvirt %u ms)",
			 resume ? "resumed" : "booted", vm->libvirt_ms);
	sg_ha_log(LOG_INFO, "vm %s: %s (libvirt %u ms)", vm->cfg->name,
		  resume ? "resumed from its managed-save image" : "booting", vm->libvirt_ms);
	return rc;
}

void
sg_ha_cmd_ensure_running(struct sg_ha_vms *vms, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm_connected(vms, m);
	char text[SG_AGENT_TEXT_MAX];
	virDomainPtr dom;
	uint64_t t_cmd;
	int rc = 0;

	if (vm == NULL)
		return;
	sg_ha_vm_refresh(vms, vm, "ensure-running");
	if (vm->state == SG_AGENT_VM_RUNNING) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_OK, "running", vm);
		return;
	}
	if (vm->stopping || vm->state == SG_AGENT_VM_STOPPING) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_UNAVAILABLE,
			       "VM is stopping; retry when shut off", vm);
		return;
	}
	if (!sg_ha_vm_pending_room(vm)) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_FULL,
			       "too many commands waiting for this VM", vm);
		return;
	}
	t_cmd = vm->start_at ? vm->start_at : sg_ha_now_ms();
	sg_ha_vm_apply_next(vms, vm);
	if ((vm->lv_state == -1 || vm->redefine) && cmd_define(vms, vm, m->seq))
		return;
	vm->start_at = t_cmd; /* READY_MS counts from the command, the define included */
	dom = cmd_lookup(vms, vm, m->seq);
	if (dom == NULL)
		return;
	if (vm->lv_state == VIR_DOMAIN_PAUSED || vm->lv_state == VIR_DOMAIN_PMSUSPENDED)
		rc = virDomainResume(dom);
	else if (vm->lv_state == VIR_DOMAIN_SHUTOFF || vm->lv_state == VIR_DOMAIN_CRASHED)
		rc = cmd_create(vms, vm, dom);
	virDomainFree(dom);
	if (rc < 0) {
		sg_ha_textf(text, sizeof(text), "start %s: %s", vm->cfg->name, sg_ha_lv_error());
		sg_ha_log(LOG_ERR, "vm %s: %s", vm->cfg->name, text);
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_LIBVIRT, text, vm);
		sg_ha_vm_refresh(vms, vm, "start failed");
		return;
	}
	vm->stopping = false;
	sg_ha_vm_pending_add(vm, SG_AGENT_MSG_ENSURE_RUNNING, m->seq,
			     cmd_deadline(m, vms->cfg->start_timeout_ms));
	sg_ha_vm_refresh(vms, vm, "start");
	sg_ha_vm_check_ready(vms, vm, sg_ha_now_ms());
}

void
sg_ha_cmd_stop(struct sg_ha_vms *vms, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm_connected(vms, m);
	char text[SG_AGENT_TEXT_MAX];
	virDomainPtr dom;

	if (vm == NULL)
		return;
	sg_ha_vm_refresh(vms, vm, "stop");
	if (vm->state == SG_AGENT_VM_SHUTOFF || vm->state == SG_AGENT_VM_UNDEFINED ||
	    vm->state == SG_AGENT_VM_CRASHED || vm->state == SG_AGENT_VM_SAVED) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_OK,
			       vm->state == SG_AGENT_VM_SAVED
				       ? "already stopped (saved: the image stays)"
				       : "already stopped",
			       vm);
		return;
	}
	if (!sg_ha_vm_pending_add(vm, SG_AGENT_MSG_STOP, m->seq, 0)) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_FULL,
			       "too many commands waiting for this VM", vm);
		return;
	}
	if (vm->stopping)
		return; /* a shutdown is under way: answered with it */
	dom = sg_ha_lv_lookup(&vms->lv, vm->cfg);
	if (dom == NULL) {
		sg_ha_textf(text, sizeof(text), "lookup %s: %s", vm->cfg->name, sg_ha_lv_error());
		sg_ha_vm_pending_complete(vms, vm, SG_AGENT_MSG_STOP, SG_AGENT_E_LIBVIRT, text);
		return;
	}
	vm->stopping = true;
	vm->stop_deadline = cmd_deadline(m, vms->cfg->stop_timeout_ms);
	if (virDomainShutdown(dom) < 0) {
		sg_ha_log(LOG_WARNING, "vm %s: shutdown refused (%s): destroying", vm->cfg->name,
			  sg_ha_lv_error());
		vm->stop_deadline = 0;
	}
	virDomainFree(dom);
	sg_ha_vm_refresh(vms, vm, "shutdown requested");
}

void
sg_ha_cmd_status(struct sg_ha_vms *vms, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm(vms, m);

	if (vm == NULL)
		return;
	if (vms->lv.up)
		sg_ha_vm_refresh(vms, vm, "status");
	sg_ha_vm_reply(vms, m->seq, vms->lv.up ? SG_AGENT_OK : SG_AGENT_E_UNAVAILABLE,
		       vms->lv.up ? "" : "libvirt not connected; last known state", vm);
}

int
sg_ha_cmd_test_destroy(struct sg_ha_vms *vms, const char *name, char *err, size_t errlen)
{
	struct sg_ha_vm *vm = sg_ha_vm_find(vms, name);
	virDomainPtr dom = vm ? sg_ha_lv_lookup(&vms->lv, vm->cfg) : NULL;
	int rc;

	if (dom == NULL) {
		sg_ha_textf(err, errlen, "no domain %s", name);
		return -ENOENT;
	}
	rc = virDomainDestroy(dom);
	virDomainFree(dom);
	if (rc < 0) {
		sg_ha_textf(err, errlen, "%s", sg_ha_lv_error());
		return -EIO;
	}
	return 0;
}

/* Managed save of running @p vm, answering command @p seq. */
static void
cmd_managed_save(struct sg_ha_vms *vms, struct sg_ha_vm *vm, uint32_t seq)
{
	virDomainPtr dom = cmd_lookup(vms, vm, seq);
	char text[SG_AGENT_TEXT_MAX];
	uint64_t t0 = sg_ha_now_ms();
	int rc;

	if (dom == NULL)
		return;
	/* Synchronous: the event loop waits while libvirt writes the image (doc/hostagent.md). */
	rc = virDomainManagedSave(dom, 0);
	virDomainFree(dom);
	if (rc < 0) {
		vms->ctr.save_failures++;
		sg_ha_textf(text, sizeof(text), "save %s: %s", vm->cfg->name, sg_ha_lv_error());
		sg_ha_log(LOG_ERR, "vm %s: %s", vm->cfg->name, text);
		sg_ha_vm_refresh(vms, vm, "save failed");
		sg_ha_vm_reply(vms, seq, SG_AGENT_E_LIBVIRT, text, vm);
		return;
	}
	vms->ctr.saves++;
	sg_ha_textf(text, sizeof(text), "saved in %llu ms",
		    (unsigned long long)(sg_ha_now_ms() - t0));
	sg_ha_log(LOG_INFO, "vm %s: %s", vm->cfg->name, text);
	sg_ha_vm_refresh(vms, vm, "saved");
	sg_ha_vm_reply(vms, seq, SG_AGENT_OK, text, vm);
}

void
sg_ha_cmd_save(struct sg_ha_vms *vms, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm_connected(vms, m);
	char text[SG_AGENT_TEXT_MAX];

	if (vm == NULL)
		return;
	sg_ha_vm_refresh(vms, vm, "save");
	if (vm->state == SG_AGENT_VM_SAVED) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_OK, "already saved", vm);
	} else if (vm->lv_state != VIR_DOMAIN_RUNNING && vm->lv_state != VIR_DOMAIN_BLOCKED &&
		   vm->lv_state != VIR_DOMAIN_PAUSED) {
		sg_ha_textf(text, sizeof(text), "nothing to save (%s)",
			    sg_agent_vm_state_name(vm->state));
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_OK, text, vm);
	} else if (vm->stopping) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_UNAVAILABLE, "VM is stopping", vm);
	} else {
		cmd_managed_save(vms, vm, m->seq);
	}
}

int
sg_ha_cmd_test_crash(struct sg_ha_vms *vms, const char *name, char *err, size_t errlen)
{
	struct sg_ha_vm *vm = sg_ha_vm_find(vms, name);
	int rc = sg_ha_cmd_test_destroy(vms, name, err, errlen);

	if (rc == 0) /* the event qemu's death brings, delivered now */
		sg_ha_vm_event(vms, vm, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED);
	return rc;
}
