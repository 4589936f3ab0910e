/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent's side of the protocol above the link: control's requests to
 * the VM commands (command.h) and the flows (flow.h), COUNTERS, and what
 * goes back: RESULTs, VM_STATE reports, the inventory + SYNC. Registered by
 * the wiring as the link's (sg_ha_dispatch_link_ops) and the VM manager's
 * (sg_ha_dispatch_vm_ops) callbacks, with the dispatcher as their context.
 */
#ifndef SG_HA_DISPATCH_H
#define SG_HA_DISPATCH_H

#include <stdint.h>

#include "flow.h"
#include "link.h"
#include "vm.h"

struct sg_ha_dispatch {
	struct sg_ha_link *link;
	struct sg_ha_vms *vms;
	struct sg_ha_flows *flows;
	uint64_t generation; /**< of the last inventory sent (SYNC) */
};

/** Callbacks of the link (context: a struct sg_ha_dispatch). */
extern const struct sg_ha_link_ops sg_ha_dispatch_link_ops;
/** Callbacks of the VM manager (context: a struct sg_ha_dispatch). */
extern const struct sg_ha_vm_ops sg_ha_dispatch_vm_ops;

/** Connect @p d to the modules it dispatches to and answers through. */
void sg_ha_dispatch_init(struct sg_ha_dispatch *d, struct sg_ha_link *link, struct sg_ha_vms *vms,
			 struct sg_ha_flows *flows);

#endif /* SG_HA_DISPATCH_H */
