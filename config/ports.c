/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appliance.ports[i]: a DPDK device and the appliance's addresses, gateways,
 * MTU and descriptor counts on it; names, devices and subnets distinct
 * across ports.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "ctx.h"
#include "sections.h"

/* Defaults and bounds (doc/configuration.md). */
#define DEF_MTU	   1500
#define DEF_DESC   1024
#define MTU_MIN	   576
#define MTU_MIN_V6 1280
#define MTU_MAX	   9216
#define DESC_MIN   64
#define DESC_MAX   16384

static int
port_addr(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, const char *prefix, const char *key,
	  uint8_t family, struct sg_cfg_addr *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(p, key);
	char path[SG_CFG_PATH_MAX];
	const char *why;
	int rc;

	if (v == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "%s", key);
	rc = sg_cfg_node_addr(c->doc, v, path, true, out, c->err);
	if (rc != 0)
		return rc;
	if (out->family != family)
		return sg_cfg_ctx_fail(c, v, path, "%s is an %s address; %s takes an %s address",
				       v->value, sg_cfg_addr_family_name(out->family), key,
				       sg_cfg_addr_family_name(family));
	if (strchr(v->value, '/') == NULL)
		return sg_cfg_ctx_fail(c, v, path, "needs a prefix length (e.g. %s)",
				       family == AF_INET ? "198.18.2.2/24" : "2001:2:0:2::2/64");
	if (out->prefixlen == 0)
		return sg_cfg_ctx_fail(c, v, path,
				       "a /0 prefix puts every address on-link; use the "
				       "subnet's real prefix length");
	why = sg_cfg_addr_not_unicast(out);
	if (why != NULL)
		return sg_cfg_ctx_fail(c, v, path, "%s %s; a unicast host address is needed",
				       v->value, why);
	return 0;
}

static int
port_gateway(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, const char *prefix, const char *key,
	     const char *addr_key, const struct sg_cfg_addr *own, struct sg_cfg_addr *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(p, key);
	char path[SG_CFG_PATH_MAX];
	char net[64];
	int rc;

	if (v == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "%s", key);
	rc = sg_cfg_ctx_unicast(c, v, path, out);
	if (rc != 0)
		return rc;
	if (own->family == 0)
		return sg_cfg_ctx_fail(c, v, path, "a gateway needs the port's own %s (%s)",
				       sg_cfg_addr_family_name(out->family), addr_key);
	if (out->family != own->family)
		return sg_cfg_ctx_fail(c, v, path, "%s is an %s address; %s takes an %s address",
				       v->value, sg_cfg_addr_family_name(out->family), key,
				       sg_cfg_addr_family_name(own->family));
	if (sg_cfg_addr_equal(out, own))
		return sg_cfg_ctx_fail(c, v, path, "the gateway is the port's own address");
	if (!sg_cfg_addr_in_subnet(own, out))
		return sg_cfg_ctx_fail(c, v, path,
				       "%s is not on-link: outside the port's subnet %s", v->value,
				       sg_cfg_addr_format(own, net, sizeof(net)));
	return 0;
}

static bool
is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int
sg_cfg_parse_port(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, unsigned int idx)
{
	static const char *const keys[] = {"name",     "device", "address", "address6", "gateway",
					   "gateway6", "mtu",	 "rx_desc", "tx_desc",	NULL};
	struct sg_cfg_port *port = &c->cfg->appliance.ports[idx];
	const struct sg_cfg_ctx_seen seen = {c->cfg->appliance.ports[0].name, sizeof(*port), idx,
					     "port", "appliance.ports"};
	char prefix[SG_CFG_PATH_MAX], path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v;
	unsigned int j;
	int rc;

	sg_cfg_ctx_path(prefix, "appliance.ports", "[%u]", idx);
	rc = sg_cfg_node_check_keys(c->doc, p, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_ctx_name(c, p, prefix, port->name, path, &seen, &rc);
	if (v == NULL)
		return rc;
	v = sg_cfg_ctx_need(c, p, prefix, "device", path, &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_node_string(c->doc, v, path, port->device, sizeof(port->device), c->err);
	if (rc != 0)
		return rc;
	if (port->device[0] == '\0')
		return sg_cfg_ctx_fail(c, v, path, "the device string is empty");
	rc = sg_cfg_ctx_printable(c, v, path, port->device);
	if (rc != 0)
		return rc;
	for (j = 0; j < idx; j++) {
		if (strcmp(c->cfg->appliance.ports[j].device, port->device) == 0)
			return sg_cfg_ctx_fail(c, v, path,
					       "device already used by appliance.ports[%u]", j);
	}
	rc = port_addr(c, p, prefix, "address", AF_INET, &port->addr4);
	if (rc == 0)
		rc = port_addr(c, p, prefix, "address6", AF_INET6, &port->addr6);
	if (rc != 0)
		return rc;
	if (port->addr4.family == 0 && port->addr6.family == 0) {
		sg_cfg_ctx_path(path, prefix, "address");
		return sg_cfg_ctx_fail(
			c, p, path,
			"a port needs an address, an address6 or both (e.g. 198.18.2.2/24)");
	}
	rc = port_gateway(c, p, prefix, "gateway", "address", &port->addr4, &port->gateway4);
	if (rc == 0)
		rc = port_gateway(c, p, prefix, "gateway6", "address6", &port->addr6,
				  &port->gateway6);
	if (rc != 0)
		return rc;
	rc = sg_cfg_ctx_u16(c, p, prefix, "mtu", MTU_MIN, MTU_MAX, DEF_MTU, &port->mtu);
	if (rc != 0)
		return rc;
	if (port->addr6.family != 0 && port->mtu < MTU_MIN_V6) {
		sg_cfg_ctx_path(path, prefix, "mtu");
		return sg_cfg_ctx_fail(c, sg_cfg_node_get(p, "mtu"), path,
				       "IPv6 (address6) needs an MTU of at least %u", MTU_MIN_V6);
	}
	rc = sg_cfg_ctx_u16(c, p, prefix, "rx_desc", DESC_MIN, DESC_MAX, DEF_DESC, &port->rx_desc);
	if (rc == 0)
		rc = sg_cfg_ctx_u16(c, p, prefix, "tx_desc", DESC_MIN, DESC_MAX, DEF_DESC,
				    &port->tx_desc);
	if (rc != 0)
		return rc;
	if (!is_pow2(port->rx_desc) || !is_pow2(port->tx_desc)) {
		const char *k = is_pow2(port->rx_desc) ? "tx_desc" : "rx_desc";

		sg_cfg_ctx_path(path, prefix, "%s", k);
		return sg_cfg_ctx_fail(
			c, sg_cfg_node_get(p, k), path,
			"descriptor counts must be a power of two (64, 128, ... 16384)");
	}
	/* Two ports on overlapping subnets would make the next hop ambiguous. */
	for (j = 0; j < idx; j++) {
		const struct sg_cfg_port *o = &c->cfg->appliance.ports[j];
		const struct sg_cfg_addr *mine[2] = {&port->addr4, &port->addr6};
		const struct sg_cfg_addr *theirs[2] = {&o->addr4, &o->addr6};
		const char *k[2] = {"address", "address6"};
		unsigned int f;

		for (f = 0; f < 2; f++) {
			const struct sg_cfg_addr *a = mine[f], *b = theirs[f];
			const struct sg_cfg_addr *wide = a->prefixlen <= b->prefixlen ? a : b;
			const struct sg_cfg_addr *other = wide == a ? b : a;

			if (a->family == 0 || b->family == 0)
				continue;
			if (sg_cfg_addr_in_subnet(wide, other)) {
				sg_cfg_ctx_path(path, prefix, "%s", k[f]);
				return sg_cfg_ctx_fail(
					c, sg_cfg_node_get(p, k[f]), path,
					"subnet overlaps appliance.ports[%u].%s; each port "
					"needs its own subnet",
					j, k[f]);
			}
		}
	}
	return 0;
}
