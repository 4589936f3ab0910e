/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The crash policy of failed VMs (vm_crash.h): backoff, doubling, crash-loop
 * quarantine. vm.c calls it when a VM fails, starts and on its tick.
 */
#include <stdio.h>
#include <syslog.h>

#include "clock.h"
#include "vm_crash.h"

void
sg_ctl_vm_crash_note(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm)
{
	const struct sg_ctl_pool_cfg *pc = &vmm->cfg->pools[vm->cfg->pool];
	uint64_t now = vmm->clk->now_ns, backoff_ms;

	vm->restartable = false;
	vm->restart_at_ns = 0;
	if (pc->restart_backoff_ms == 0 || vm->crash_loop)
		return;
	if (vm->crashes == 0 ||
	    now - vm->crash_first_ns > (uint64_t)SG_CTL_VM_CRASH_WINDOW_MS * 1000000) {
		vm->crashes = 0;
		vm->crash_first_ns = now;
	}
	vm->crashes++;
	if (vm->crashes >= pc->restart_max) {
		vm->crash_loop = true;
		vmm->st->vm_crash_loops++;
		snprintf(vm->why, sizeof(vm->why), "crash loop: %u crashes in %u min", vm->crashes,
			 SG_CTL_VM_CRASH_WINDOW_MS / 60000);
		syslog(LOG_WARNING, "vm %s (%#llx): %s: quarantined until sgctl vm start",
		       vm->cfg->name, (unsigned long long)vm->id, vm->why);
		return;
	}
	backoff_ms = (uint64_t)pc->restart_backoff_ms << (vm->crashes - 1);
	if (backoff_ms > SG_CTL_VM_RESTART_BACKOFF_MAX_MS)
		backoff_ms = SG_CTL_VM_RESTART_BACKOFF_MAX_MS;
	vm->restart_at_ns = now + backoff_ms * 1000000;
	syslog(LOG_NOTICE, "vm %s (%#llx): failure %u in %u min: startable again in %llu ms",
	       vm->cfg->name, (unsigned long long)vm->id, vm->crashes,
	       SG_CTL_VM_CRASH_WINDOW_MS / 60000, (unsigned long long)backoff_ms);
}

bool
sg_ctl_vm_crash_startable(const struct sg_ctl_vm *vm)
{
	return vm->state == SG_CTL_VM_FAILED && vm->restartable && !vm->crash_loop;
}

void
sg_ctl_vm_crash_reset(struct sg_ctl_vm *vm)
{
	vm->crashes = 0;
	vm->crash_loop = false;
	vm->restartable = false;
	vm->restart_at_ns = 0;
}

void
sg_ctl_vm_crash_restarted(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm)
{
	vm->restartable = false;
	vm->restart_at_ns = 0;
	vm->restarts++;
	vmm->st->vm_restarts++;
}

void
sg_ctl_vm_crash_tick(struct sg_ctl_vmm *vmm)
{
	struct sg_ctl_vm *vm;
	unsigned int i;

	for (i = 0; i < vmm->cfg->n_vms; i++) {
		vm = &vmm->inv->vms[i];
		if (SG_CTL_SLOT_FREE(&vmm->cfg->vms[i]) || vm->restart_at_ns == 0 ||
		    vmm->clk->now_ns < vm->restart_at_ns)
			continue;
		vm->restart_at_ns = 0;
		if (vm->crash_loop)
			continue;
		vm->restartable = vm->state == SG_CTL_VM_FAILED; /* else: stopped, startable */
		/* the sessions its pool queued meanwhile may start it now */
		vmm->inv->dispatch_pools |= 1ull << vm->cfg->pool;
	}
}
