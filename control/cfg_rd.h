/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-control's YAML readers (cfg_yaml.c) shared with the reader of
 * `sgctl add` specs (cfg_spec.c): a document, its error and the path of
 * the node being read. Each reader returns 0 or a negative errno with
 * r->err naming file:line:col and the key.
 */
#ifndef SG_CTL_CFG_RD_H
#define SG_CTL_CFG_RD_H

#include <stddef.h>

#include "cfg.h"
#include "sg_cfg_doc.h"

struct sg_ctl_rd {
	const struct sg_cfg_doc *doc;
	struct sg_cfg_error err;
	char path[160];
};

/** The name at @p key of @p map (a required key) into @p out. */
int sg_ctl_rd_name(struct sg_ctl_rd *r, const struct sg_cfg_node *map, const char *key,
		   const char *path, char *out);
/** The index of the element named @p name among @p n of @p stride bytes, or -1. */
int sg_ctl_rd_find_name(const char *name, const void *base, size_t stride, unsigned int n);
/** The `hosts` sequence @p n appended to @p cfg. */
int sg_ctl_rd_hosts(struct sg_ctl_rd *r, const struct sg_cfg_node *n, struct sg_ctl_cfg *cfg);
/** One VM map @p v of pool @p pool appended to @p cfg. */
int sg_ctl_rd_vm(struct sg_ctl_rd *r, const struct sg_cfg_node *v, const char *path,
		 unsigned int pool, struct sg_ctl_cfg *cfg);
/** The `pools` sequence @p n (with their VMs) appended to @p cfg. */
int sg_ctl_rd_pools(struct sg_ctl_rd *r, const struct sg_cfg_node *n, struct sg_ctl_cfg *cfg);
/** The `applications` sequence @p n appended to @p cfg. */
int sg_ctl_rd_apps(struct sg_ctl_rd *r, const struct sg_cfg_node *n, struct sg_ctl_cfg *cfg);

#endif
