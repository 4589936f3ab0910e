/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance section: EAL arguments, lcores, memory, table sizes, and
 * the ports (ports.c), control channel (control.c), exception path
 * (exception.c), idle mode (idle.c) and cluster (cluster.c) below it.
 */
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "sections.h"

/* Defaults and bounds (doc/configuration.md). */
#define DEF_WORKERS	1
#define DEF_MEMORY_MB	0
#define DEF_FILE_PREFIX "sessiongate"
#define DEF_MBUFS	16383
#define DEF_FLOW_TABLE	65536
#define MEMORY_MB_MAX	(1024u * 1024u)
#define MBUFS_MIN	1023
#define MBUFS_MAX	(16u * 1024u * 1024u)
#define FLOW_TABLE_MIN	1024
#define FLOW_TABLE_MAX	(64u * 1024u * 1024u)
#define DEF_NEIGHBOURS	4096
#define NEIGHBOURS_MIN	64
#define NEIGHBOURS_MAX	(1024u * 1024u)

static int
check_eal_arg(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path, const char *arg)
{
	static const struct {
		const char *opt;
		const char *key;
	} owned[] = {
		{"--file-prefix", "appliance.file_prefix"},
		{"--no-huge", "appliance.no_huge"},
		{"-m", "appliance.memory_mb"},
	};
	unsigned int i;

	if (arg[0] == '\0')
		return sg_cfg_ctx_fail(c, v, path, "an empty EAL argument");
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		size_t l = strlen(owned[i].opt);

		if (strncmp(arg, owned[i].opt, l) == 0 &&
		    (arg[l] == '\0' || arg[l] == '=' || (l == 2 && arg[l] >= '0' && arg[l] <= '9')))
			return sg_cfg_ctx_fail(c, v, path,
					       "%s is set by %s; remove it from eal_args",
					       owned[i].opt, owned[i].key);
	}
	return 0;
}

int
sg_cfg_parse_appliance(struct sg_cfg_ctx *c, const struct sg_cfg_node *a)
{
	static const char *const keys[] = {
		"workers",	   "memory_mb",	    "no_huge",	"file_prefix", "mbufs",
		"flow_table_size", "telemetry_dir", "eal_args", "ports",       "control",
		"neighbours",	   "exception",	    "idle",	"cluster",     NULL};
	struct sg_cfg_appliance *ap = &c->cfg->appliance;
	const char *prefix = "appliance";
	char path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v;
	uint32_t u;
	unsigned int i;
	int rc;

	rc = sg_cfg_node_check_keys(c->doc, a, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	rc = sg_cfg_ctx_u32(c, a, prefix, "workers", 1, SG_CFG_WORKERS_MAX, DEF_WORKERS, &u);
	if (rc != 0)
		return rc;
	ap->workers = u;
	rc = sg_cfg_ctx_u32(c, a, prefix, "memory_mb", 0, MEMORY_MB_MAX, DEF_MEMORY_MB, &u);
	if (rc != 0)
		return rc;
	ap->memory_mb = u;
	ap->no_huge = false;
	v = sg_cfg_node_get(a, "no_huge");
	if (v != NULL) {
		rc = sg_cfg_node_bool(c->doc, v, "appliance.no_huge", &ap->no_huge, c->err);
		if (rc != 0)
			return rc;
	}
	sg_cfg_strlcpy(ap->file_prefix, DEF_FILE_PREFIX, sizeof(ap->file_prefix));
	v = sg_cfg_node_get(a, "file_prefix");
	if (v != NULL) {
		rc = sg_cfg_node_name(c->doc, v, "appliance.file_prefix", ap->file_prefix, c->err);
		if (rc != 0)
			return rc;
	}
	rc = sg_cfg_ctx_u32(c, a, prefix, "mbufs", MBUFS_MIN, MBUFS_MAX, DEF_MBUFS, &ap->mbufs);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, a, prefix, "flow_table_size", FLOW_TABLE_MIN, FLOW_TABLE_MAX,
				    DEF_FLOW_TABLE, &ap->flow_table_size);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, a, prefix, "neighbours", NEIGHBOURS_MIN, NEIGHBOURS_MAX,
				    DEF_NEIGHBOURS, &ap->neighbours);
	if (rc != 0)
		return rc;
	rc = sg_cfg_parse_control(c, sg_cfg_node_get(a, "control"));
	if (rc == 0)
		rc = sg_cfg_parse_exception(c, sg_cfg_node_get(a, "exception"));
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(a, "telemetry_dir");
	if (v != NULL) {
		rc = sg_cfg_node_string(c->doc, v, "appliance.telemetry_dir", ap->telemetry_dir,
					sizeof(ap->telemetry_dir), c->err);
		if (rc != 0)
			return rc;
		if (ap->telemetry_dir[0] != '\0' && ap->telemetry_dir[0] != '/')
			return sg_cfg_ctx_fail(
				c, v, "appliance.telemetry_dir",
				"must be an absolute path (or \"\" for EAL's default)");
		rc = sg_cfg_ctx_printable(c, v, "appliance.telemetry_dir", ap->telemetry_dir);
		if (rc != 0)
			return rc;
	}
	v = sg_cfg_node_get(a, "eal_args");
	if (v != NULL) {
		rc = sg_cfg_node_seq(c->doc, v, "appliance.eal_args", SG_CFG_EAL_ARGS_MAX, c->err);
		if (rc != 0)
			return rc;
		for (i = 0; i < v->n_items; i++) {
			sg_cfg_ctx_path(path, "appliance.eal_args", "[%u]", i);
			rc = sg_cfg_node_string(c->doc, v->items[i], path, ap->eal_args[i],
						SG_CFG_DEVARGS_MAX, c->err);
			if (rc == 0)
				rc = check_eal_arg(c, v->items[i], path, ap->eal_args[i]);
			if (rc != 0)
				return rc;
		}
		ap->n_eal_args = v->n_items;
	}
	v = sg_cfg_ctx_need(c, a, prefix, "ports", NULL, &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_node_seq(c->doc, v, "appliance.ports", SG_CFG_PORTS_MAX, c->err);
	if (rc != 0)
		return rc;
	if (v->n_items == 0)
		return sg_cfg_ctx_fail(c, v, "appliance.ports", "at least one port is needed");
	for (i = 0; i < v->n_items; i++) {
		rc = sg_cfg_parse_port(c, v->items[i], i);
		if (rc != 0)
			return rc;
		ap->n_ports = i + 1;
	}
	rc = sg_cfg_parse_idle(c, sg_cfg_node_get(a, "idle"));
	if (rc == 0)
		rc = sg_cfg_parse_cluster(c, sg_cfg_node_get(a, "cluster"));
	return rc;
}
