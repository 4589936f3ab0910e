/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sg-control's optional cluster: section (doc/control.md "Cluster mode"):
 *
 *   cluster:
 *     node: a                       # this sg-control's name in etcd
 *     etcd:
 *       endpoints: [http://198.18.9.10:2379]
 *       prefix: /sessiongate
 *       lease_ttl_s: 5              # takeover time of a dead node's VMs
 *       timeout_ms: 1000            # per etcd request
 *
 * Absent: standalone (no etcd), today's behaviour.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"

#include "sg_cfg_doc.h"

static int
endpoint(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, unsigned int i,
	 struct sg_ctl_cluster_cfg *out, struct sg_cfg_error *err)
{
	char path[64];
	char *url = out->endpoints[i];
	int rc;

	snprintf(path, sizeof(path), "cluster.etcd.endpoints[%u]", i);
	rc = sg_cfg_node_string(doc, n, path, url, SG_CTL_URL_MAX, err);
	if (rc != 0)
		return rc;
	if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
	    strchr(url, ' ') != NULL || strlen(url) < 10) {
		sg_cfg_error_set(err, doc, n, path, "'%s': an http:// or https:// URL", url);
		return -EINVAL;
	}
	return 0;
}

static int
etcd_section(const struct sg_cfg_doc *doc, const struct sg_cfg_node *e,
	     struct sg_ctl_cluster_cfg *out, struct sg_cfg_error *err)
{
	static const char *const keys[] = {"endpoints", "prefix", "lease_ttl_s", "timeout_ms",
					   NULL};
	const struct sg_cfg_node *n;
	uint64_t v;
	unsigned int i;
	int rc;

	rc = sg_cfg_node_check_keys(doc, e, "cluster.etcd", keys, err);
	if (rc != 0)
		return rc;
	n = sg_cfg_node_get(e, "endpoints");
	if (n == NULL) {
		sg_cfg_error_set(err, doc, e, "cluster.etcd.endpoints", "missing (required)");
		return -EINVAL;
	}
	rc = sg_cfg_node_seq(doc, n, "cluster.etcd.endpoints", SG_CTL_ETCD_ENDPOINTS_MAX, err);
	if (rc == 0 && n->n_items == 0) {
		sg_cfg_error_set(err, doc, n, "cluster.etcd.endpoints", "at least one URL");
		rc = -EINVAL;
	}
	for (i = 0; rc == 0 && i < n->n_items; i++)
		rc = endpoint(doc, n->items[i], i, out, err);
	if (rc != 0)
		return rc;
	out->n_endpoints = n->n_items;
	n = sg_cfg_node_get(e, "prefix");
	if (n != NULL) {
		rc = sg_cfg_node_string(doc, n, "cluster.etcd.prefix", out->prefix,
					sizeof(out->prefix), err);
		if (rc == 0 && (out->prefix[0] != '/' || strlen(out->prefix) > 64)) {
			sg_cfg_error_set(err, doc, n, "cluster.etcd.prefix",
					 "'%s': starts with '/', at most 64 characters",
					 out->prefix);
			rc = -EINVAL;
		}
		if (rc != 0)
			return rc;
	}
	n = sg_cfg_node_get(e, "lease_ttl_s");
	if (n != NULL) {
		rc = sg_cfg_node_uint(doc, n, "cluster.etcd.lease_ttl_s", 2, 3600, &v, err);
		if (rc != 0)
			return rc;
		out->lease_ttl_s = (uint32_t)v;
	}
	n = sg_cfg_node_get(e, "timeout_ms");
	if (n != NULL) {
		rc = sg_cfg_node_uint(doc, n, "cluster.etcd.timeout_ms", 50, 60000, &v, err);
		if (rc != 0)
			return rc;
		out->timeout_ms = (uint32_t)v;
	}
	return 0;
}

bool
sg_ctl_cfg_cluster_same(const struct sg_ctl_cluster_cfg *a, const struct sg_ctl_cluster_cfg *b)
{
	unsigned int i;

	if (a->enabled != b->enabled || a->n_endpoints != b->n_endpoints ||
	    a->lease_ttl_s != b->lease_ttl_s || a->timeout_ms != b->timeout_ms ||
	    strcmp(a->node, b->node) != 0 || strcmp(a->prefix, b->prefix) != 0)
		return false;
	for (i = 0; i < a->n_endpoints; i++)
		if (strcmp(a->endpoints[i], b->endpoints[i]) != 0)
			return false;
	return true;
}

int
sg_ctl_cfg_cluster(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n,
		   struct sg_ctl_cluster_cfg *out, struct sg_cfg_error *err)
{
	static const char *const keys[] = {"node", "etcd", NULL};
	const struct sg_cfg_node *v;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->prefix, sizeof(out->prefix), "/sessiongate");
	out->lease_ttl_s = 5;
	out->timeout_ms = 1000;
	if (n == NULL)
		return 0;
	rc = sg_cfg_node_map(doc, n, "cluster", false, err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(doc, n, "cluster", keys, err);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(n, "node");
	if (v == NULL) {
		sg_cfg_error_set(err, doc, n, "cluster.node", "missing (required)");
		return -EINVAL;
	}
	rc = sg_cfg_node_string(doc, v, "cluster.node", out->node, sizeof(out->node), err);
	if (rc != 0)
		return rc;
	for (i = 0; out->node[i] != '\0'; i++)
		if (!((out->node[i] >= 'a' && out->node[i] <= 'z') ||
		      (out->node[i] >= 'A' && out->node[i] <= 'Z') ||
		      (out->node[i] >= '0' && out->node[i] <= '9') || out->node[i] == '-' ||
		      out->node[i] == '_' || out->node[i] == '.'))
			break;
	if (i == 0 || out->node[i] != '\0') {
		sg_cfg_error_set(err, doc, v, "cluster.node",
				 "'%s': letters, digits, '-', '_', '.'", out->node);
		return -EINVAL;
	}
	v = sg_cfg_node_get(n, "etcd");
	if (v == NULL) {
		sg_cfg_error_set(err, doc, n, "cluster.etcd", "missing (required)");
		return -EINVAL;
	}
	rc = sg_cfg_node_map(doc, v, "cluster.etcd", false, err);
	if (rc == 0)
		rc = etcd_section(doc, v, out, err);
	if (rc == 0)
		out->enabled = true;
	return rc;
}
