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
	if (sg_ha_template_define(&vms->lv, vms->cfg, vm->cfg, vm->uuid_known ? vm->uuid : NULL, text,
				  sizeof(text))) {
		sg_ha_log(LOG_ERR, "vm %s: %s", vm->cfg->name, text);
		sg_ha_vm_reply(vms, seq, SG_AGENT_E_LIBVIRT, text, vm);
		return -1;
	}
	sg_ha_vm_refresh(vms, vm, "defined");
	return 0;
}

void
sg_ha_cmd_ensure_running(struct sg_ha_vms *vms, const struct sg_agent_msg *m)
{
	struct sg_ha_vm *vm = cmd_vm_connected(vms, m);
	char text[SG_AGENT_TEXT_MAX];
	virDomainPtr dom;
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
	if (vm->lv_state == -1 && cmd_define(vms, vm, m->seq))
		return;
	dom = sg_ha_lv_lookup(&vms->lv, vm->cfg);
	if (dom == NULL) {
		sg_ha_textf(text, sizeof(text), "lookup %s: %s", vm->cfg->name, sg_ha_lv_error());
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_E_LIBVIRT, text, vm);
		return;
	}
	if (vm->lv_state == VIR_DOMAIN_PAUSED || vm->lv_state == VIR_DOMAIN_PMSUSPENDED)
		rc = virDomainResume(dom);
	else if (vm->lv_state == VIR_DOMAIN_SHUTOFF || vm->lv_state == VIR_DOMAIN_CRASHED)
		rc = virDomainCreate(dom);
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
	    vm->state == SG_AGENT_VM_CRASHED) {
		sg_ha_vm_reply(vms, m->seq, SG_AGENT_OK, "already stopped", vm);
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
