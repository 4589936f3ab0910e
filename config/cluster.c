/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appliance.cluster: this appliance as a node of an active/active cluster
 * (doc/configuration.md, "Cluster"; doc/cluster.md): its node ID and
 * name, the state-sync channel (sync.c) and route announcement (bgp.c).
 */
#include <stdio.h>
#include <string.h>

#include "ctx.h"
#include "sections.h"

/* node_id 1..15 when sync or bgp is enabled (it is part of session IDs). */
static int
check_node_id(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	      const struct sg_cfg_cluster *cl)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(n, "node_id");
	char path[SG_CFG_PATH_MAX];

	if (cl->node_id != 0 || (!cl->sync.enabled && !cl->bgp.enabled))
		return 0;
	sg_cfg_ctx_path(path, prefix, "node_id");
	return sg_cfg_ctx_fail(c, v != NULL ? v : n, path,
			       "a node ID 1..%u is required when %s is enabled",
			       SG_CFG_CLUSTER_NODE_MAX, cl->sync.enabled ? "sync" : "bgp");
}

int
sg_cfg_parse_cluster(struct sg_cfg_ctx *c, const struct sg_cfg_node *n)
{
	static const char *const keys[] = {"node_id", "name", "sync", "bgp", NULL};
	const char *prefix = "appliance.cluster";
	struct sg_cfg_cluster *cl = &c->cfg->appliance.cluster;
	const struct sg_cfg_node *v;
	char path[SG_CFG_PATH_MAX];
	uint32_t id = 0;
	int rc = 0;

	memset(cl, 0, sizeof(*cl));
	if (n != NULL && sg_cfg_node_is_null(n))
		n = NULL;
	if (n != NULL) {
		rc = sg_cfg_node_map(c->doc, n, prefix, true, c->err);
		if (rc == 0)
			rc = sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
		if (rc == 0)
			rc = sg_cfg_ctx_u32(c, n, prefix, "node_id", 0, SG_CFG_CLUSTER_NODE_MAX, 0,
					    &id);
		if (rc != 0)
			return rc;
	}
	cl->node_id = id;
	snprintf(cl->name, sizeof(cl->name), "node%u", id);
	v = sg_cfg_node_get(n, "name");
	if (v != NULL) {
		sg_cfg_ctx_path(path, prefix, "name");
		rc = sg_cfg_node_name(c->doc, v, path, cl->name, c->err);
	}
	if (rc == 0)
		rc = sg_cfg_parse_sync(c, sg_cfg_node_get(n, "sync"), "appliance.cluster.sync",
				       &cl->sync);
	if (rc == 0)
		rc = sg_cfg_parse_bgp(c, sg_cfg_node_get(n, "bgp"), "appliance.cluster.bgp",
				      &cl->bgp);
	return rc != 0 ? rc : check_node_id(c, n, prefix, cl);
}
