/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance schema's entry points: a bounded YAML document (reader.c)
 * turned into a validated struct sg_cfg. doc/configuration.md documents
 * every key; keep both in step.
 *
 * Sections are read in a fixed order (appliance, nat, pools,
 * virtual_services) whatever their order in the file, so that references
 * (a virtual service's pool, NAT addresses of a member's family) can be
 * checked in one pass. The first error stops the load; the partly built
 * struct sg_cfg is freed and nothing is returned.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "file.h"
#include "sections.h"

void
sg_cfg_free(struct sg_cfg *cfg)
{
	unsigned int i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_pools; i++)
		free(cfg->pools[i].members);
	free(cfg->pools);
	free(cfg->vs);
	free(cfg);
}

static int
build(struct sg_cfg_ctx *c, const struct sg_cfg_node *root, const char *const *extra)
{
	const char *keys[4 + SG_CFG_EXTRA_SECTIONS_MAX + 1] = {"appliance", "nat", "pools",
							       "virtual_services"};
	const struct sg_cfg_node *v;
	unsigned int n = 4;
	int rc;

	for (; extra != NULL && extra[n - 4] != NULL; n++) {
		if (n - 4 >= SG_CFG_EXTRA_SECTIONS_MAX)
			return sg_cfg_ctx_fail(c, NULL, "", "more than %u extra sections requested",
					       SG_CFG_EXTRA_SECTIONS_MAX);
		keys[n] = extra[n - 4];
	}
	keys[n] = NULL;

	if (root == NULL || sg_cfg_node_is_null(root))
		return sg_cfg_ctx_fail(
			c, NULL, "",
			"the configuration is empty; it needs at least an appliance section "
			"(see config/examples/minimal.yaml)");
	if (root->type != SG_CFG_NODE_MAP)
		return sg_cfg_ctx_fail(c, root, "",
				       "expected a map of sections at the top, found %s",
				       sg_cfg_node_type_name(root));
	rc = sg_cfg_node_check_keys(c->doc, root, "", keys, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_ctx_need(c, root, "", "appliance", NULL, &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_node_map(c->doc, v, "appliance", false, c->err);
	if (rc == 0)
		rc = sg_cfg_parse_appliance(c, v);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(root, "nat");
	if (v != NULL) {
		rc = sg_cfg_node_map(c->doc, v, "nat", true, c->err);
		if (rc != 0)
			return rc;
	}
	rc = sg_cfg_parse_nat(c, v);
	if (rc == 0)
		rc = sg_cfg_parse_pools(c, sg_cfg_node_get(root, "pools"));
	if (rc == 0)
		rc = sg_cfg_parse_vss(c, sg_cfg_node_get(root, "virtual_services"));
	if (rc == 0)
		rc = sg_cfg_check_bgp_backup(
			c, sg_cfg_node_get(
				   sg_cfg_node_get(sg_cfg_node_get(root, "appliance"), "cluster"),
				   "bgp"));
	return rc;
}

int
sg_cfg_load_buffer_ext(const char *buf, size_t len, const char *name, const char *const *extra,
		       struct sg_cfg **out, struct sg_cfg_doc **doc_out, struct sg_cfg_error *err)
{
	struct sg_cfg_doc *doc = NULL;
	struct sg_cfg_ctx c;
	int rc;

	if (doc_out != NULL)
		*doc_out = NULL;
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (name == NULL)
		name = "<buffer>";
	rc = sg_cfg_doc_parse(buf, len, name, &doc, err);
	if (rc != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.doc = doc;
	c.err = err;
	c.cfg = calloc(1, sizeof(*c.cfg));
	if (c.cfg == NULL) {
		rc = -ENOMEM;
	} else {
		sg_cfg_strlcpy(c.cfg->path, name, sizeof(c.cfg->path));
		rc = build(&c, doc->root, extra);
	}
	if (rc == -ENOMEM)
		sg_cfg_error_at(err, name, 0, 0, "", "out of memory");
	if (rc != 0 || doc_out == NULL)
		sg_cfg_doc_free(doc);
	if (rc != 0) {
		sg_cfg_free(c.cfg);
		return rc;
	}
	if (doc_out != NULL)
		*doc_out = doc;
	*out = c.cfg;
	return 0;
}

int
sg_cfg_load_buffer(const char *buf, size_t len, const char *name, struct sg_cfg **out,
		   struct sg_cfg_error *err)
{
	return sg_cfg_load_buffer_ext(buf, len, name, NULL, out, NULL, err);
}

int
sg_cfg_load_file_ext(const char *path, const char *const *extra, struct sg_cfg **out,
		     struct sg_cfg_doc **doc_out, struct sg_cfg_error *err)
{
	size_t len;
	char *buf;
	int rc;

	if (doc_out != NULL)
		*doc_out = NULL;
	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	rc = sg_cfg_read_file(path, &buf, &len, err);
	if (rc != 0)
		return rc;
	rc = sg_cfg_load_buffer_ext(buf, len, path, extra, out, doc_out, err);
	free(buf);
	return rc;
}

int
sg_cfg_load_file(const char *path, struct sg_cfg **out, struct sg_cfg_error *err)
{
	return sg_cfg_load_file_ext(path, NULL, out, NULL, err);
}
