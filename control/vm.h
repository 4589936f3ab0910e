/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * vm.c: VM selection (affinity, pool policy), start and idle stop through
 * the VM-manager providers on the bus, VM states reported by the agents.
 */
#ifndef SG_CTL_VM_H
#define SG_CTL_VM_H

#include "model.h"

struct sg_ctl_bus;
struct sg_ctl_ids;
struct sg_ctl_cs_tab;

/** The VM manager: what vm.c works on and with, filled by the wiring (ctl.c) at init. */
struct sg_ctl_vmm {
	const struct sg_ctl_cfg *cfg;
	const struct sg_ctl_clock *clk;
	struct sg_ctl_stats *st;
	struct sg_ctl_inv *inv; /**< VM and host state (it changes), pools */
	struct sg_ctl_ids *ids; /**< the user's VM */
	struct sg_ctl_bus *bus; /**< VM starts and stops through the VM-manager providers */
	struct sg_ctl_cs_tab *tab;
	struct sg_ctl_place_hooks hooks; /**< a VM ran or failed: its waiters go back up */
	/** Cluster mode: ask the owner of a remote VM to start it (NULL: standalone). */
	int (*want)(void *ctx, struct sg_ctl_vm *vm);
	void *want_ctx;
};

/**
 * Find a place for @p cs in its app's pool. @return 1 placed on a running
 * VM (READY), 0 waiting for a VM start (WAITING), -ENOSPC no VM can take it
 * now (caller queues it), -ENOENT the user's VM is unknown.
 */
int sg_ctl_vm_place(struct sg_ctl_vmm *vmm, struct sg_ctl_cs *cs);
/**
 * Place @p cs on one of @p vms (graph placement: the VMs access.c allows)
 * by the pool policy. @return as sg_ctl_vm_place() (-ENOSPC: none now).
 */
int sg_ctl_vm_place_among(struct sg_ctl_vmm *vmm, struct sg_ctl_cs *cs,
			  struct sg_ctl_vm *const *vms, unsigned int n);
/** An agent reported the state of a VM. */
void sg_ctl_vm_on_state(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, unsigned int state,
			const char *why);
/**
 * Cluster mode: another node wants owned @p vm running for its sessions:
 * start it if it is stopped, and restart its idle clock. @return 0 or <0.
 */
int sg_ctl_vm_want(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm);
/** Stop VMs idle past their pool's timeout. */
void sg_ctl_vm_idle_check(struct sg_ctl_vmm *vmm);
/**
 * The operator's verb @p op (SG_CTL_REQ_VM_START, _STOP, _SAVE) on @p vm:
 * start (ENSURE_RUNNING; a saved VM resumes) a stopped or failed VM; stop or
 * save a running one that holds no session. @return 0 asked, 1 already
 * running (start), or <0 with @p err: -EBUSY sessions on it (or not
 * startable now), -EALREADY not running, -EPERM another node's, -ENOTCONN
 * no agent.
 */
int sg_ctl_vm_op(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm, uint32_t op, char *err,
		 size_t errlen);
/** Every VM of @p host becomes UNKNOWN (agent lost). */
void sg_ctl_vm_host_lost(struct sg_ctl_vmm *vmm, struct sg_ctl_host *host);
/** "running", ... ("?" out of range). */
const char *sg_ctl_vm_state_name(unsigned int s);
/** The VM named @p name, or NULL. */
struct sg_ctl_vm *sg_ctl_vm_by_name(struct sg_ctl_inv *inv, const char *name);
/** The host named @p name, or NULL. */
struct sg_ctl_host *sg_ctl_vm_host_by_name(struct sg_ctl_inv *inv, const char *name);

/** Upper bounds (seconds) of the VM start time histogram (STARTING to RUNNING). */
extern const double sg_ctl_vm_start_bounds[SG_CTL_VMSTART_BUCKETS];

#endif /* SG_CTL_VM_H */
