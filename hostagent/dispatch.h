/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent's side of the protocol above the link: control's requests to
 * the VM commands (command.h) and the flows (flow.h), COUNTERS, and what
 * goes back: RESULTs, VM_STATE reports, the inventory + SYNC. Registered by
 * the wiring as the link's (sg_ha_dispatch_link_ops) and the VM manager's
 * (sg_ha_dispatch_vm_ops) callbacks, with the dispatcher as their context.
 *
 * With several sg-controls (a cluster: one link each), VM states and the
 * inventory go to every link, and each answer to the link its request came
 * on: a VM command's sequence number is replaced by a token of the
 * dispatcher's while the command runs (SG_HA_DISPATCH_TAGS of them, the
 * oldest given up: its sg-control's request times out). Which sg-control
 * may command a VM is theirs to agree (only a VM's owner sends commands).
 */
#ifndef SG_HA_DISPATCH_H
#define SG_HA_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "link.h"
#include "vm.h"

#define SG_HA_DISPATCH_TAGS 256

struct sg_ha_dispatch;

/** A link's context: the dispatcher and the link's index. */
struct sg_ha_dispatch_port {
	struct sg_ha_dispatch *d;
	unsigned int idx;
};

/** A VM command in flight: its token, the link and sequence number it came with. */
struct sg_ha_dispatch_tag {
	uint32_t token;
	uint32_t seq;
	unsigned int link;
	bool used;
};

struct sg_ha_dispatch {
	struct sg_ha_link *link; /**< links[0] */
	struct sg_ha_link *links;
	unsigned int n_links;
	struct sg_ha_dispatch_port ports[SG_HA_CONTROLS_MAX];
	struct sg_ha_dispatch_tag tags[SG_HA_DISPATCH_TAGS];
	uint32_t next_token;
	uint64_t tags_lost; /**< answers whose tag was given up (or never existed): dropped */
	struct sg_ha_vms *vms;
	struct sg_ha_flows *flows;
	uint64_t generation; /**< of the last inventory sent (SYNC) */
};

/** Callbacks of the links (context: d->ports[i] for links[i]). */
extern const struct sg_ha_link_ops sg_ha_dispatch_link_ops;
/** Callbacks of the VM manager (context: a struct sg_ha_dispatch). */
extern const struct sg_ha_vm_ops sg_ha_dispatch_vm_ops;

/** Connect @p d to the modules it dispatches to and the @p n_links links it answers through. */
void sg_ha_dispatch_init(struct sg_ha_dispatch *d, struct sg_ha_link *links, unsigned int n_links,
			 struct sg_ha_vms *vms, struct sg_ha_flows *flows);

#endif /* SG_HA_DISPATCH_H */
