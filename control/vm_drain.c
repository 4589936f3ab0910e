/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The end of a VM's sessions (vm_drain.h): on a VM failure (vm.c) and on
 * an operator's drain with a deadline. Installed sessions are ended by the
 * data plane (SESSION_ABORT, through the placement hooks into csm); they
 * stay installed, with their reason, until its SESSION_CLOSED.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "cs.h"
#include "vm_drain.h"

static void
end_installed(struct sg_ctl_vmm *vmm, struct sg_ctl_cs *cs, unsigned int reason)
{
	const struct sg_ctl_app_cfg *a = cs->app->cfg;
	unsigned int action = SG_MSG_ABORT_RESET;

	if (reason == SG_MSG_REASON_VM_DOWN && a->on_vm_down == SG_MSG_ABORT_DRAIN)
		action = SG_MSG_ABORT_DRAIN;
	vmm->hooks.abort(vmm->hooks.ctx, cs, action, reason, a->vm_down_drain_s);
}

static void
rebroker(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, struct sg_ctl_cs *cs,
	 struct sg_ctl_vm_ended *out)
{
	vmm->hooks.rebroker(vmm->hooks.ctx, cs);
	/* a rejected session is freed only after the commit: its state can be read */
	if (cs->state == SG_CTL_CS_FAILED) {
		out->rejected++;
		vm->down_rejected++;
		vmm->st->vm_down_rejected++;
	} else {
		out->rebrokered++;
		vm->down_rebrokered++;
		vmm->st->vm_down_rebrokered++;
	}
}

void
sg_ctl_vm_end_sessions(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, unsigned int reason,
		       struct sg_ctl_vm_ended *out)
{
	bool down = reason == SG_MSG_REASON_VM_DOWN;
	struct sg_ctl_cs *cs, *next;
	uint32_t i;

	for (i = 0; i <= vmm->tab->hmask; i++) {
		for (cs = vmm->tab->htab[i]; cs != NULL; cs = next) {
			next = cs->hnext; /* a rejected session leaves the index */
			if (cs->vm != vm)
				continue;
			if (cs->state == SG_CTL_CS_INSTALLED && cs->reason == SG_MSG_REASON_NONE) {
				end_installed(vmm, cs, reason);
				out->aborted++;
			} else if (cs->state == SG_CTL_CS_READY && down) {
				rebroker(vmm, vm, cs, out);
			}
		}
	}
	while (down && (cs = TAILQ_FIRST(&vm->waiters)) != NULL)
		rebroker(vmm, vm, cs, out);
	if (down) {
		vm->down_aborted += out->aborted;
		vmm->st->vm_down_aborted += out->aborted;
	}
}

int
sg_ctl_vm_drain(struct sg_ctl_vmm *vmm, const char *name, uint32_t deadline_s, bool on, char *err,
		size_t errlen)
{
	struct sg_ctl_vm *vm = NULL;
	unsigned int i;

	for (i = 0; i < vmm->cfg->n_vms && vm == NULL; i++)
		if (!SG_CTL_SLOT_FREE(&vmm->cfg->vms[i]) &&
		    strcmp(vmm->cfg->vms[i].name, name) == 0)
			vm = &vmm->inv->vms[i];
	if (vm == NULL) {
		snprintf(err, errlen, "no VM named '%s' (sgctl vms lists them)", name);
		return -ENOENT;
	}
	vm->draining = on;
	vm->drain_deadline_ns =
		on && deadline_s > 0 ? vmm->clk->now_ns + (uint64_t)deadline_s * 1000000000ull : 0;
	/* undrained: its room can take the queued sessions again */
	vmm->inv->dispatch_pools |= 1ull << vm->cfg->pool;
	syslog(LOG_NOTICE, "vm %s: %s (%u sessions, %u waiting; deadline %u s)", vm->cfg->name,
	       on ? "draining" : "drain ended", vm->n_sessions, vm->n_reserved, deadline_s);
	return 0;
}

void
sg_ctl_vm_drain_tick(struct sg_ctl_vmm *vmm)
{
	struct sg_ctl_vm_ended n;
	struct sg_ctl_vm *vm;
	unsigned int i;

	for (i = 0; i < vmm->cfg->n_vms; i++) {
		vm = &vmm->inv->vms[i];
		if (SG_CTL_SLOT_FREE(&vmm->cfg->vms[i]) || !vm->draining ||
		    vm->drain_deadline_ns == 0 || vmm->clk->now_ns < vm->drain_deadline_ns)
			continue;
		vm->drain_deadline_ns = 0; /* once: it stays draining until undrained */
		memset(&n, 0, sizeof(n));
		sg_ctl_vm_end_sessions(vmm, vm, SG_MSG_REASON_DRAINED, &n);
		vm->drain_reset += n.aborted;
		vmm->st->drain_reset += n.aborted;
		syslog(LOG_NOTICE, "vm %s: drain deadline: %u sessions reset", vm->cfg->name,
		       n.aborted);
	}
}
