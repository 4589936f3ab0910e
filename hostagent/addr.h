/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address conversions of sg-hostagent: the configuration's addresses
 * (struct sg_cfg_addr, AF_* families) to the protocol's (struct
 * sg_agent_addr, wire families of sessiongate/sg_wire.h) and to the BPF
 * maps' endpoints (struct sg_ha_ep, wire families too).
 */
#ifndef SG_HA_ADDR_H
#define SG_HA_ADDR_H

#include <stdint.h>

#include "bpf/sg_ha_structs.h"
#include "sessiongate/sg_agent_proto.h"
#include "sg_cfg.h"

/** @p out = @p c in the wire's family; absent (family 0) when @p c is unset. */
void sg_ha_addr_from_cfg(const struct sg_cfg_addr *c, struct sg_agent_addr *out);

/** The BPF endpoint of @p a, @p port (host order) and @p proto. */
void sg_ha_addr_to_ep(const struct sg_agent_addr *a, uint16_t port, uint8_t proto,
		      struct sg_ha_ep *ep);

/** As sg_ha_addr_to_ep() from a configured address. */
void sg_ha_addr_cfg_to_ep(const struct sg_cfg_addr *c, uint16_t port, uint8_t proto,
			  struct sg_ha_ep *ep);

#endif /* SG_HA_ADDR_H */
