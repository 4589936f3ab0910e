/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * vm_drain.c: the end of a VM's sessions, when it goes down (vm.c) or when
 * an operator drains it (sgctl drain vm NAME [--deadline S]): installed
 * sessions get SESSION_ABORT through the placement hooks, held ones are
 * re-brokered. Below vm.c: it calls no other control file.
 */
#ifndef SG_CTL_VM_DRAIN_H
#define SG_CTL_VM_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

/** What sg_ctl_vm_end_sessions() did. */
struct sg_ctl_vm_ended {
	uint32_t aborted;    /**< installed sessions sent SESSION_ABORT */
	uint32_t rebrokered; /**< held sessions placed on another VM */
	uint32_t rejected;   /**< held sessions rejected (VM_DOWN): nothing could take them */
};

/**
 * End the sessions on @p vm. Installed ones not already aborted get
 * SESSION_ABORT with @p reason: for SG_MSG_REASON_VM_DOWN with their
 * application's `on_vm_down` action (reset, or drain for `vm_down_drain_s`),
 * otherwise reset. For SG_MSG_REASON_VM_DOWN the held ones (READY on it,
 * WAITING for it) are re-brokered too. Counts go to @p out, the VM's and
 * the global counters.
 */
void sg_ctl_vm_end_sessions(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, unsigned int reason,
			    struct sg_ctl_vm_ended *out);

/**
 * Drain the VM named @p name (@p on) or take it back (!@p on). A draining
 * VM takes no new session (affinity included: those wait in the queue);
 * its sessions finish; with @p deadline_s > 0 those still installed then get
 * SESSION_ABORT (reset, reason DRAINED) from sg_ctl_vm_drain_tick().
 * @return 0, or -ENOENT (no such VM; @p err says so).
 */
int sg_ctl_vm_drain(struct sg_ctl_vmm *vmm, const char *name, uint32_t deadline_s, bool on,
		    char *err, size_t errlen);

/** Reset what is left on drained VMs whose deadline passed. */
void sg_ctl_vm_drain_tick(struct sg_ctl_vmm *vmm);

#endif /* SG_CTL_VM_DRAIN_H */
