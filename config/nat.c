/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nat section: the local source addresses of NAT mode and their port
 * range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctx.h"
#include "sections.h"

#define DEF_NAT_PORT_MIN 1024
#define DEF_NAT_PORT_MAX 65535

static int
parse_nat_ports(struct sg_cfg_ctx *c, const struct sg_cfg_node *v)
{
	const char *path = "nat.ports";
	struct sg_cfg_nat *nat = &c->cfg->nat;
	unsigned long lo, hi;
	char *end;

	if (v->type == SG_CFG_NODE_SCALAR && !v->quoted && v->len > 0 &&
	    strspn(v->value, "0123456789") == v->len) {
		uint64_t p;
		int rc = sg_cfg_node_uint(c->doc, v, path, 1, 65535, &p, c->err);

		if (rc != 0)
			return rc;
		nat->port_min = nat->port_max = (uint16_t)p;
		return 0;
	}
	if (v->type != SG_CFG_NODE_SCALAR || sg_cfg_node_is_null(v) || strlen(v->value) != v->len ||
	    v->value[0] < '0' || v->value[0] > '9')
		goto bad;
	lo = strtoul(v->value, &end, 10);
	if (end == v->value || *end != '-' || end[1] < '0' || end[1] > '9')
		goto bad;
	hi = strtoul(end + 1, &end, 10);
	if (*end != '\0')
		goto bad;
	if (sg_cfg_ctx_range(c, v, path, "ports", lo, hi, 1, 65535) != 0)
		return -EINVAL;
	nat->port_min = (uint16_t)lo;
	nat->port_max = (uint16_t)hi;
	return 0;
bad:
	return sg_cfg_ctx_fail(c, v, path,
			       "expected a port range like 1024-65535 or one port, found %s%.32s%s",
			       v->type == SG_CFG_NODE_SCALAR ? "\"" : "",
			       v->type == SG_CFG_NODE_SCALAR ? v->value : sg_cfg_node_type_name(v),
			       v->type == SG_CFG_NODE_SCALAR ? "\"" : "");
}

int
sg_cfg_parse_nat(struct sg_cfg_ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"addresses", "ports", NULL};
	struct sg_cfg_nat *nat = &c->cfg->nat;
	char path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v;
	unsigned int i, j;
	int rc;

	nat->port_min = DEF_NAT_PORT_MIN;
	nat->port_max = DEF_NAT_PORT_MAX;
	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_check_keys(c->doc, n, "nat", keys, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(n, "addresses");
	if (v != NULL) {
		rc = sg_cfg_node_seq(c->doc, v, "nat.addresses", SG_CFG_NAT_ADDRS_MAX, c->err);
		if (rc != 0)
			return rc;
		for (i = 0; i < v->n_items; i++) {
			sg_cfg_ctx_path(path, "nat.addresses", "[%u]", i);
			rc = sg_cfg_ctx_unicast(c, v->items[i], path, &nat->addrs[i]);
			if (rc != 0)
				return rc;
			for (j = 0; j < i; j++) {
				if (sg_cfg_addr_equal(&nat->addrs[i], &nat->addrs[j]))
					return sg_cfg_ctx_fail(
						c, v->items[i], path,
						"duplicate address (also nat.addresses[%u])", j);
			}
			nat->n_addrs = i + 1;
		}
	}
	v = sg_cfg_node_get(n, "ports");
	if (v != NULL)
		return parse_nat_ports(c, v);
	return 0;
}
