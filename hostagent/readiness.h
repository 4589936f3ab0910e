/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Readiness of a booting VM's service: its address (configured, or learnt
 * from libvirt's view of the guest's interfaces) and an optional bounded
 * TCP connect probe to its service port.
 */
#ifndef SG_HA_READINESS_H
#define SG_HA_READINESS_H

#include <stdint.h>

#include "libvirt.h"
#include "vm.h"

/** Learn @p vm's service address from libvirt's DHCP leases (IPv4). */
void sg_ha_ready_learn_addr(struct sg_ha_lv *lv, struct sg_ha_vm *vm);

/**
 * One step of the non-blocking TCP connect to @p vm's service port: the
 * boot-time readiness check and the app check of running VMs (vm.c).
 * @return 1 when it answered, 0 while the connect is in flight, -1 when this
 *   attempt failed (refused, unreachable, or @p timeout_ms passed): the next
 *   call starts a new one.
 */
int sg_ha_ready_probe(struct sg_ha_vm *vm, uint64_t now, uint32_t timeout_ms);

/** Close @p vm's probe socket, if any. */
void sg_ha_ready_probe_close(struct sg_ha_vm *vm);

#endif /* SG_HA_READINESS_H */
