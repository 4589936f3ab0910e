/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pools section: named pools and their members (address, port, weight,
 * DSR host, health-check port and source); names and address:port pairs
 * distinct within a pool. A pool's health_check and passive maps are read
 * by health.c before its members.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctx.h"
#include "sections.h"

#define DEF_WEIGHT 1
#define WEIGHT_MAX 1000

/*
 * check_port and check_source of member @p mb (address read): only with an
 * active check; the source (its own, else the pool's) of the member's family.
 */
static int
parse_member_check(struct sg_cfg_ctx *c, const struct sg_cfg_node *m, const char *prefix,
		   const struct sg_cfg_pool *pool, struct sg_cfg_member *mb)
{
	static const char *const keys[] = {"check_port", "check_source", NULL};
	const struct sg_cfg_node *v;
	char path[SG_CFG_PATH_MAX];
	unsigned int i;
	int rc;

	for (i = 0; pool->check.type == SG_CFG_CHECK_NONE && keys[i] != NULL; i++) {
		v = sg_cfg_node_get(m, keys[i]);
		if (v != NULL) {
			sg_cfg_ctx_path(path, prefix, "%s", keys[i]);
			return sg_cfg_ctx_fail(c, v, path,
					       "pool \"%s\" has no health_check to use it",
					       pool->name);
		}
	}
	rc = sg_cfg_ctx_u16(c, m, prefix, "check_port", 0, 65535, 0, &mb->check_port);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(m, "check_source");
	sg_cfg_ctx_path(path, prefix, "check_source");
	if (v != NULL) {
		rc = sg_cfg_ctx_unicast(c, v, path, &mb->check_source);
		if (rc != 0)
			return rc;
		if (mb->check_source.family != mb->addr.family)
			return sg_cfg_ctx_fail(c, v, path,
					       "an %s source cannot check the %s member \"%s\"",
					       sg_cfg_addr_family_name(mb->check_source.family),
					       sg_cfg_addr_family_name(mb->addr.family), mb->name);
	} else if (pool->check.source.family != 0 && pool->check.source.family != mb->addr.family) {
		return sg_cfg_ctx_fail(
			c, sg_cfg_node_get(m, "address"), path,
			"member \"%s\" is %s but health_check.source is %s: give it a "
			"check_source of its family",
			mb->name, sg_cfg_addr_family_name(mb->addr.family),
			sg_cfg_addr_family_name(pool->check.source.family));
	}
	return 0;
}

static int
parse_member(struct sg_cfg_ctx *c, const struct sg_cfg_node *m, const char *pool_path,
	     struct sg_cfg_pool *pool, unsigned int idx)
{
	static const char *const keys[] = {"name", "address",	 "port",	 "weight",
					   "host", "check_port", "check_source", NULL};
	struct sg_cfg_member *mb = &pool->members[idx];
	const struct sg_cfg_ctx_seen seen = {pool->members[0].name, sizeof(*mb), idx, "member",
					     "members"};
	char prefix[SG_CFG_PATH_MAX], path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v;
	unsigned int j;
	int rc;

	sg_cfg_ctx_path(prefix, pool_path, "members[%u]", idx);
	rc = sg_cfg_node_check_keys(c->doc, m, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_ctx_name(c, m, prefix, mb->name, path, &seen, &rc);
	if (v == NULL)
		return rc;
	v = sg_cfg_ctx_need(c, m, prefix, "address", path, &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_ctx_unicast(c, v, path, &mb->addr);
	if (rc != 0)
		return rc;
	rc = sg_cfg_ctx_u16(c, m, prefix, "port", 1, 65535, 0, &mb->port);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, m, prefix, "weight", 0, WEIGHT_MAX, DEF_WEIGHT, &mb->weight);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(m, "host");
	if (v != NULL) {
		sg_cfg_ctx_path(path, prefix, "host");
		rc = sg_cfg_ctx_unicast(c, v, path, &mb->host);
		if (rc != 0)
			return rc;
	}
	rc = parse_member_check(c, m, prefix, pool, mb);
	if (rc != 0)
		return rc;
	for (j = 0; j < idx; j++) {
		const struct sg_cfg_member *o = &pool->members[j];

		if (sg_cfg_addr_equal(&o->addr, &mb->addr) && o->port == mb->port) {
			sg_cfg_ctx_path(path, prefix, "address");
			return sg_cfg_ctx_fail(c, sg_cfg_node_get(m, "address"), path,
					       "member \"%s\" has the same address and port",
					       o->name);
		}
	}
	return 0;
}

int
sg_cfg_parse_pools(struct sg_cfg_ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"name", "members", "health_check", "passive", NULL};
	struct sg_cfg *cfg = c->cfg;
	char prefix[SG_CFG_PATH_MAX], path[SG_CFG_PATH_MAX];
	unsigned int i, j;
	int rc;

	cfg->pools = sg_cfg_ctx_list(c, n, "pools", SG_CFG_POOLS_MAX, sizeof(*cfg->pools), &rc);
	if (cfg->pools == NULL)
		return rc;
	for (i = 0; i < n->n_items; i++) {
		const struct sg_cfg_node *p = n->items[i], *v, *ms;
		struct sg_cfg_pool *pool = &cfg->pools[i];
		const struct sg_cfg_ctx_seen seen = {cfg->pools[0].name, sizeof(*pool), i, "pool",
						     "pools"};

		cfg->n_pools = i + 1;
		sg_cfg_ctx_path(prefix, "pools", "[%u]", i);
		rc = sg_cfg_node_check_keys(c->doc, p, prefix, keys, c->err);
		if (rc != 0)
			return rc;
		v = sg_cfg_ctx_name(c, p, prefix, pool->name, path, &seen, &rc);
		if (v == NULL)
			return rc;
		rc = sg_cfg_parse_health(c, p, prefix, pool);
		if (rc != 0)
			return rc;
		ms = sg_cfg_node_get(p, "members");
		sg_cfg_ctx_path(path, prefix, "members");
		pool->members = sg_cfg_ctx_list(c, ms, path, SG_CFG_MEMBERS_MAX,
						sizeof(*pool->members), &rc);
		if (rc != 0)
			return rc;
		for (j = 0; pool->members != NULL && j < ms->n_items; j++) {
			rc = parse_member(c, ms->items[j], prefix, pool, j);
			if (rc != 0)
				return rc;
			pool->n_members = j + 1;
		}
	}
	return 0;
}
