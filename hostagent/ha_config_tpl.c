/* SPDX-License-Identifier: BSD-3-Clause */
/* sg-hostagent YAML: the templates section (ha_config.h, doc/hostagent.md "Templates"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ha_config.h"
#include "sg_cfg_doc.h"
#include "tplrender.h"

const struct sg_ha_template_cfg *
sg_ha_config_template(const struct sg_ha_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->n_templates; i++)
		if (strcmp(cfg->templates[i].name, name) == 0)
			return &cfg->templates[i];
	return NULL;
}

/* vars: {K: V}: @p path is "templates[i].vars". */
static int
parse_vars(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
	   struct sg_ha_template_cfg *t, struct sg_cfg_error *err)
{
	char kp[200];
	int rc = sg_cfg_node_map(doc, n, path, true, err);

	if (rc || n->type != SG_CFG_NODE_MAP)
		return rc;
	if (n->n_items > SG_HA_TPL_VARS_MAX) {
		sg_cfg_error_set(err, doc, n, path, "at most %u variables", SG_HA_TPL_VARS_MAX);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n->n_items; i++) {
		const struct sg_cfg_node *kn = n->key_nodes ? n->key_nodes[i] : n->items[i];
		struct sg_ha_tpl_var *v = &t->vars[i];

		snprintf(kp, sizeof(kp), "%s.%.40s", path, n->keys[i]);
		if (!sg_ha_tpl_key_ok(n->keys[i]) || sg_ha_tpl_key_builtin(n->keys[i])) {
			sg_cfg_error_set(err, doc, kn, kp,
					 "a variable is named [A-Z][A-Z0-9_]{0,30}, not NAME, "
					 "UUID, DISK, ADDR or MAC");
			return -EINVAL;
		}
		snprintf(v->key, sizeof(v->key), "%s", n->keys[i]);
		rc = sg_cfg_node_string(doc, n->items[i], kp, v->value, sizeof(v->value), err);
		if (rc)
			return rc;
		if (!sg_ha_tpl_value_ok(v->value)) {
			sg_cfg_error_set(err, doc, n->items[i], kp,
					 "printable characters only, none of <>&'\"");
			return -EINVAL;
		}
	}
	t->n_vars = n->n_items;
	return 0;
}

/* The template file must be a regular file of at most 64 KiB now (it is read again at define). */
static int
check_file(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
	   const char *file, struct sg_cfg_error *err)
{
	struct stat st;

	if (stat(file, &st) != 0) {
		sg_cfg_error_set(err, doc, n, path, "%s: %s", file, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > 64 * 1024) {
		sg_cfg_error_set(err, doc, n, path, "%s: not a regular file of at most 64 KiB",
				 file);
		return -EINVAL;
	}
	return 0;
}

static int
parse_template(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, unsigned int idx,
	       struct sg_ha_config *cfg, struct sg_cfg_error *err)
{
	static const char *const keys[] = {"name", "path", "vars", NULL};
	struct sg_ha_template_cfg *t = &cfg->templates[idx];
	const struct sg_cfg_node *nn, *pn, *vn;
	char path[64], sub[96];
	int rc;

	snprintf(path, sizeof(path), "templates[%u]", idx);
	if ((rc = sg_cfg_node_map(doc, n, path, false, err)) ||
	    (rc = sg_cfg_node_check_keys(doc, n, path, keys, err)))
		return rc;
	nn = sg_cfg_node_get(n, "name");
	pn = sg_cfg_node_get(n, "path");
	if (nn == NULL || pn == NULL) {
		snprintf(sub, sizeof(sub), "%s.%s", path, nn ? "path" : "name");
		sg_cfg_error_set(err, doc, n, sub, "missing (required)");
		return -EINVAL;
	}
	snprintf(sub, sizeof(sub), "%s.name", path);
	if ((rc = sg_cfg_node_name(doc, nn, sub, t->name, err)))
		return rc;
	for (unsigned int i = 0; i < idx; i++)
		if (strcmp(cfg->templates[i].name, t->name) == 0) {
			sg_cfg_error_set(err, doc, nn, sub, "template \"%s\" listed twice",
					 t->name);
			return -EINVAL;
		}
	snprintf(sub, sizeof(sub), "%s.path", path);
	if ((rc = sg_cfg_node_string(doc, pn, sub, t->path, sizeof(t->path), err)) ||
	    (rc = check_file(doc, pn, sub, t->path, err)))
		return rc;
	vn = sg_cfg_node_get(n, "vars");
	snprintf(sub, sizeof(sub), "%s.vars", path);
	return vn ? parse_vars(doc, vn, sub, t, err) : 0;
}

int
sg_ha_config_templates(const struct sg_cfg_doc *doc, const struct sg_cfg_node *root,
		       struct sg_ha_config *cfg, struct sg_cfg_error *err)
{
	const struct sg_cfg_node *n = sg_cfg_node_get(root, "templates");
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = sg_cfg_node_seq(doc, n, "templates", SG_HA_TEMPLATES_MAX, err)))
		return rc;
	for (unsigned int i = 0; n->type == SG_CFG_NODE_SEQ && i < n->n_items; i++) {
		if ((rc = parse_template(doc, n->items[i], i, cfg, err)))
			return rc;
		cfg->n_templates++;
	}
	return 0;
}
