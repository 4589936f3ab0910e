/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `sgctl add`: one object (application, host, pool or VM) from a YAML flow
 * map, read with the file's own readers (cfg_rd.h) and added to the dense
 * configuration as a run-time object.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cfg_rd.h"

/* A VM's spec: its map without "pool" (the pool is the VM's place in the file). */
static int
spec_vm(struct sg_ctl_rd *r, const struct sg_cfg_node *map, struct sg_ctl_cfg *s)
{
	const struct sg_cfg_node *items[32];
	struct sg_cfg_node copy = *map;
	char *keys[32], pool[SG_CTL_NAME_MAX];
	struct sg_cfg_node *knodes[32];
	unsigned int i, k = 0;
	int rc, pi;

	if (map->n_items > 32) {
		sg_cfg_error_set(&r->err, r->doc, map, "vm", "more than 32 keys");
		return -EINVAL;
	}
	rc = sg_ctl_rd_name(r, map, "pool", "vm.pool", pool);
	if (rc != 0)
		return rc;
	pi = sg_ctl_rd_find_name(pool, s->pools, sizeof(s->pools[0]), s->n_pools);
	if (pi < 0) {
		sg_cfg_error_set(&r->err, r->doc, sg_cfg_node_get(map, "pool"), "vm.pool",
				 "no pool '%s'", pool);
		return -EINVAL;
	}
	for (i = 0; i < map->n_items; i++) {
		if (strcmp(map->keys[i], "pool") == 0)
			continue;
		keys[k] = map->keys[i];
		items[k] = map->items[i];
		knodes[k++] = map->key_nodes[i];
	}
	copy.keys = keys;
	copy.items = (struct sg_cfg_node **)(uintptr_t)items;
	copy.key_nodes = knodes;
	copy.n_items = k;
	return sg_ctl_rd_vm(r, &copy, "vm", (unsigned int)pi, s);
}

/* A pool's spec: no VMs of its own (sgctl vm add each); "vms" may be left out. */
static int
spec_pool(struct sg_ctl_rd *r, const struct sg_cfg_node *map, struct sg_ctl_cfg *s)
{
	struct sg_cfg_node empty = {
		.type = SG_CFG_NODE_SEQ, .line = map->line, .column = map->column};
	const struct sg_cfg_node *vms = sg_cfg_node_get(map, "vms");
	struct sg_cfg_node *one[1], copy = *map, *items[32], *knodes[32];
	struct sg_cfg_node vkey = {.type = SG_CFG_NODE_SCALAR,
				   .line = map->line,
				   .column = map->column,
				   .value = (char *)(uintptr_t) "vms",
				   .len = 3};
	struct sg_cfg_node seq = {.type = SG_CFG_NODE_SEQ, .items = one, .n_items = 1};
	char *keys[32];

	if (vms != NULL && (vms->type != SG_CFG_NODE_SEQ || vms->n_items > 0)) {
		sg_cfg_error_set(&r->err, r->doc, vms, "pool.vms",
				 "a pool is added without VMs: add each with sgctl vm add");
		return -EINVAL;
	}
	one[0] = (struct sg_cfg_node *)(uintptr_t)map;
	if (vms == NULL) {
		if (map->n_items >= 32) {
			sg_cfg_error_set(&r->err, r->doc, map, "pool", "more than 31 keys");
			return -EINVAL;
		}
		memcpy(keys, map->keys, map->n_items * sizeof(keys[0]));
		memcpy(items, map->items, map->n_items * sizeof(struct sg_cfg_node *));
		memcpy(knodes, map->key_nodes, map->n_items * sizeof(struct sg_cfg_node *));
		keys[map->n_items] = (char *)(uintptr_t) "vms";
		items[map->n_items] = &empty;
		knodes[map->n_items] = &vkey;
		copy.keys = keys;
		copy.items = items;
		copy.key_nodes = knodes;
		copy.n_items = map->n_items + 1;
		one[0] = &copy;
	}
	s->n_pools = 0;
	return sg_ctl_rd_pools(r, &seq, s);
}

/* Object @p kind of @p spec read into @p s (a copy of the dense configuration). */
static int
spec_read(struct sg_ctl_rd *r, unsigned int kind, const struct sg_cfg_node *map,
	  struct sg_ctl_cfg *s)
{
	struct sg_cfg_node *one[1] = {(struct sg_cfg_node *)(uintptr_t)map};
	struct sg_cfg_node seq = {.type = SG_CFG_NODE_SEQ, .items = one, .n_items = 1};

	switch (kind) {
	case SG_CTL_KIND_APP:
		s->n_apps = 0;
		return sg_ctl_rd_apps(r, &seq, s);
	case SG_CTL_KIND_HOST:
		s->n_hosts = 0;
		return sg_ctl_rd_hosts(r, &seq, s);
	case SG_CTL_KIND_POOL:
		return spec_pool(r, map, s);
	default:
		return spec_vm(r, map, s);
	}
}

int
sg_ctl_cfg_spec(struct sg_ctl_cfg *d, unsigned int kind, const char *spec, char *err, size_t errlen)
{
	struct sg_ctl_cfg *s = malloc(sizeof(*s));
	struct sg_cfg_doc *doc = NULL;
	const char *name = NULL;
	struct sg_ctl_rd r;
	int rc;

	if (s == NULL)
		return -ENOMEM;
	memset(&r, 0, sizeof(r));
	memcpy(s, d, sizeof(*s));
	rc = sg_cfg_doc_parse(spec, strlen(spec), "spec", &doc, &r.err);
	if (rc == 0 && doc->root == NULL) {
		sg_cfg_error_set(&r.err, doc, NULL, "spec", "empty (a YAML flow map: {name: ...})");
		rc = -EINVAL;
	}
	if (rc == 0) {
		r.doc = doc;
		rc = sg_cfg_node_map(doc, doc->root, "spec", false, &r.err);
	}
	if (rc == 0)
		rc = spec_read(&r, kind, doc->root, s);
	if (rc != 0) {
		sg_cfg_error_format(&r.err, err, errlen);
		goto out;
	}
	switch (kind) {
	case SG_CTL_KIND_APP:
		name = s->apps[0].name;
		break;
	case SG_CTL_KIND_HOST:
		name = s->hosts[0].name;
		break;
	case SG_CTL_KIND_POOL:
		name = s->pools[0].name;
		break;
	default:
		name = s->vms[s->n_vms - 1].name;
		break;
	}
	if (sg_ctl_cfg_find(d, kind, name) >= 0) {
		snprintf(err, errlen, "%s %s exists", sg_ctl_cfg_kind_name(kind), name);
		rc = -EEXIST;
		goto out;
	}
	rc = -ENOSPC;
	if (kind == SG_CTL_KIND_APP && d->n_apps < SG_CTL_APPS_MAX) {
		d->apps[d->n_apps] = s->apps[0];
		d->apps[d->n_apps++].origin = SG_CTL_ORIGIN_RUNTIME;
		rc = 0;
	} else if (kind == SG_CTL_KIND_HOST && d->n_hosts < SG_CTL_HOSTS_MAX) {
		d->hosts[d->n_hosts] = s->hosts[0];
		d->hosts[d->n_hosts++].origin = SG_CTL_ORIGIN_RUNTIME;
		rc = 0;
	} else if (kind == SG_CTL_KIND_POOL && d->n_pools < SG_CTL_POOLS_MAX) {
		d->pools[d->n_pools] = s->pools[0];
		d->pools[d->n_pools++].origin = SG_CTL_ORIGIN_RUNTIME;
		rc = 0;
	} else if (kind == SG_CTL_KIND_VM) { /* sg_ctl_rd_vm checked the count */
		d->vms[d->n_vms] = s->vms[s->n_vms - 1];
		d->vms[d->n_vms++].origin = SG_CTL_ORIGIN_RUNTIME;
		rc = 0;
	}
	if (rc != 0)
		snprintf(err, errlen, "no free %s slot (%u)", sg_ctl_cfg_kind_name(kind),
			 kind == SG_CTL_KIND_APP    ? SG_CTL_APPS_MAX
			 : kind == SG_CTL_KIND_HOST ? SG_CTL_HOSTS_MAX
						    : SG_CTL_POOLS_MAX);
out:
	sg_cfg_doc_free(doc);
	free(s);
	return rc;
}
