/* SPDX-License-Identifier: BSD-3-Clause */
/* Address conversions of sg-hostagent (addr.h). */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"

void
sg_ha_addr_from_cfg(const struct sg_cfg_addr *c, struct sg_agent_addr *out)
{
	/* sg_cfg_addr keeps the socket API's family: converted by lib/agentproto. */
	if (sg_agent_addr_from_af(out, c->family,
				  c->family == AF_INET ? (const void *)&c->v4 : c->v6) < 0)
		memset(out, 0, sizeof(*out));
}

void
sg_ha_addr_to_ep(const struct sg_agent_addr *a, uint16_t port, uint8_t proto, struct sg_ha_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = a->family;
	memcpy(ep->addr, a->bytes, SG_WIRE_FAMILY_LEN(a->family));
	ep->port = htons(port);
	ep->proto = proto;
}

void
sg_ha_addr_cfg_to_ep(const struct sg_cfg_addr *c, uint16_t port, uint8_t proto, struct sg_ha_ep *ep)
{
	struct sg_agent_addr a;

	sg_ha_addr_from_cfg(c, &a);
	sg_ha_addr_to_ep(&a, port, proto, ep);
}
