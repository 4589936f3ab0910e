/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pushed inventory (doc/hostagent.md "Pushed inventory"): VMs that
 * sg-control defines on this agent with VM_DEFINE, forgets with
 * VM_UNDEFINE, and whose whole list an INVENTORY closes. They live in the
 * agent's memory only (sg-control pushes them again after every AUTH_OK);
 * their domains are defined from a named template of the agent's YAML.
 */
#ifndef SG_HA_INVENTORY_H
#define SG_HA_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "sessiongate/sg_agent_proto.h"
#include "vm.h"

/**
 * VM_DEFINE: add or change a pushed VM.
 * @param vm receives the VM when there is one to report with the answer.
 * @return the RESULT status (OK, E_BAD_REQUEST, E_FULL, E_INTERNAL), @p text filled.
 */
uint16_t sg_ha_inv_define(struct sg_ha_vms *vms, struct sg_ha_flows *flows,
			  const struct sg_agent_msg *m, struct sg_ha_vm **vm, char *text,
			  size_t len);

/**
 * VM_UNDEFINE: destroy, remove its managed-save image, undefine and forget
 * a pushed VM (VM_STATE undefined is reported first).
 * @return the RESULT status (OK, E_NO_SUCH_VM, E_BAD_REQUEST, E_UNAVAILABLE, E_LIBVIRT).
 */
uint16_t sg_ha_inv_undefine(struct sg_ha_vms *vms, struct sg_ha_flows *flows,
			    const struct sg_agent_msg *m, char *text, size_t len);

/**
 * INVENTORY: pushed VMs not defined since the previous INVENTORY are
 * forgotten as by VM_UNDEFINE. @return the RESULT status, @p text filled.
 */
uint16_t sg_ha_inv_close(struct sg_ha_vms *vms, struct sg_ha_flows *flows,
			 const struct sg_agent_msg *m, char *text, size_t len);

/** True when @p name is a pushed VM's (FLOW_ADD: no device of the YAML to look up). */
bool sg_ha_inv_is_pushed(struct sg_ha_vms *vms, const char *name);

#endif /* SG_HA_INVENTORY_H */
