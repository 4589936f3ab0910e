/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * vm_crash.c: the crash policy of a failed VM (crashed, or failed to start):
 * startable again on demand after pools[].restart_backoff_ms, doubled per
 * failure within SG_CTL_VM_CRASH_WINDOW_MS, capped at
 * SG_CTL_VM_RESTART_BACKOFF_MAX_MS; quarantined (only `sgctl vm start`) at
 * pools[].restart_max failures in that window. Below vm.c: it calls no
 * other control file.
 */
#ifndef SG_CTL_VM_CRASH_H
#define SG_CTL_VM_CRASH_H

#include <stdbool.h>

#include "vm.h"

#define SG_CTL_VM_CRASH_WINDOW_MS	 600000u /**< failures counted within 10 min */
#define SG_CTL_VM_RESTART_BACKOFF_MAX_MS 60000u	 /**< the doubled backoff's cap */

/**
 * @p vm just failed (state FAILED): count the failure, then start its
 * backoff, or quarantine it (crash loop, its why says so). Nothing with
 * its pool's restart_backoff_ms 0.
 */
void sg_ctl_vm_crash_note(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm);

/** @return true when placement may start the failed @p vm again (backoff over). */
bool sg_ctl_vm_crash_startable(const struct sg_ctl_vm *vm);

/** The operator started @p vm (sgctl vm start): its failures are forgotten. */
void sg_ctl_vm_crash_reset(struct sg_ctl_vm *vm);

/**
 * Placement started the failed @p vm again: counted as a restart
 * (sg_ctl_vm_restarts_total); its failures in the window are kept.
 */
void sg_ctl_vm_crash_restarted(struct sg_ctl_vmm *vmm, struct sg_ctl_vm *vm);

/** Backoffs that ended: their VMs startable, their pools dispatched again. */
void sg_ctl_vm_crash_tick(struct sg_ctl_vmm *vmm);

#endif
