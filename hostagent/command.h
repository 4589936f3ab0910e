/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM commands of the control path: ENSURE_RUNNING, STOP, STATUS,
 * answered now or, once the VM gets there, through the VM manager's
 * waiting commands (vm.h); and the admin socket's test hook that destroys
 * a domain behind the agent's back.
 */
#ifndef SG_HA_COMMAND_H
#define SG_HA_COMMAND_H

#include <stddef.h>

#include "sessiongate/sg_agent_proto.h"
#include "vm.h"

/** ENSURE_RUNNING (VM_NAME, [DEADLINE_MS]): define, start or resume, wait for ready. */
void sg_ha_cmd_ensure_running(struct sg_ha_vms *vms, const struct sg_agent_msg *m);
/** STOP (VM_NAME, [DEADLINE_MS]): clean shutdown, destroyed at the deadline. */
void sg_ha_cmd_stop(struct sg_ha_vms *vms, const struct sg_agent_msg *m);
/** STATUS (VM_NAME): the VM's state, re-read from libvirt when connected. */
void sg_ha_cmd_status(struct sg_ha_vms *vms, const struct sg_agent_msg *m);

/**
 * SAVE (VM_NAME): managed save of a running VM (state SAVED); OK at once
 * when saved already or shut off; E_LIBVIRT with libvirt's message.
 */
void sg_ha_cmd_save(struct sg_ha_vms *vms, const struct sg_agent_msg *m);

/**
 * Test hook: destroy domain @p name and deliver the lifecycle event a
 * killed qemu process brings (stopped/failed). @return as sg_ha_cmd_test_destroy().
 */
int sg_ha_cmd_test_crash(struct sg_ha_vms *vms, const char *name, char *err, size_t errlen);

/**
 * Test hook: destroy domain @p name as an operator's virsh would.
 * @return 0, -ENOENT (no such domain) or -EIO (libvirt refused), @p err filled.
 */
int sg_ha_cmd_test_destroy(struct sg_ha_vms *vms, const char *name, char *err, size_t errlen);

#endif /* SG_HA_COMMAND_H */
