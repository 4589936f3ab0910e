/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgctl app|vm|host|pool add|remove and reload (doc/control.md "Changing
 * the inventory"): the objects added at run time are kept as the specs
 * given, in <db_dir>/inventory.json, read after the YAML at start and
 * kept at every reload and change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <jansson.h>

#include "inventory.h"
#include "sg_cfg_doc.h"

#define INV_FILE_MAX (4u << 20) /**< bytes of inventory.json */

/* The specs array of @p kind in inventory.json ("apps", "vms", "hosts", "pools"). */
static const char *const spec_keys[SG_CTL_KIND_MAX] = {"apps", "vms", "hosts", "pools"};
/* The order specs are read in: what others name first. */
static const unsigned int read_order[SG_CTL_KIND_MAX] = {SG_CTL_KIND_HOST, SG_CTL_KIND_POOL,
							 SG_CTL_KIND_VM, SG_CTL_KIND_APP};

static json_t *
specs_new(void)
{
	return json_pack("{s:i,s:[],s:[],s:[],s:[]}", "version", 1, "apps", "vms", "hosts",
			 "pools");
}

/* The "name" of a stored spec; "" if it has none. */
static void
spec_name(const char *spec, char *out, size_t len)
{
	struct sg_cfg_doc *doc = NULL;
	struct sg_cfg_error e;
	const struct sg_cfg_node *n;

	out[0] = '\0';
	if (sg_cfg_doc_parse(spec, strlen(spec), "spec", &doc, &e) == 0 && doc->root != NULL &&
	    (n = sg_cfg_node_get(doc->root, "name")) != NULL && n->value != NULL)
		snprintf(out, len, "%s", n->value);
	sg_cfg_doc_free(doc);
}

/* Write @p specs to @p path atomically: a temporary file, fsync, rename. */
static int
specs_write(const char *path, const json_t *specs, char *err, size_t errlen)
{
	char tmp[sizeof(((struct sg_ctl_invm *)0)->json_path) + 8];
	char *txt = json_dumps(specs, JSON_COMPACT);
	size_t len, off = 0;
	int fd, rc = 0;

	if (txt == NULL)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	len = strlen(txt);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		rc = -errno;
	while (rc == 0 && off < len) {
		ssize_t w = write(fd, txt + off, len - off);

		if (w < 0)
			rc = -errno;
		else
			off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(-rc));
	}
	free(txt);
	return rc;
}

/* Check the shape of a read inventory.json. */
static int
specs_check(const json_t *o, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, "version");
	const char *key;
	json_t *a;
	size_t i;

	if (!json_is_object(o) || !json_is_integer(v) || json_integer_value(v) != 1) {
		snprintf(err, errlen, "not an object with \"version\": 1");
		return -EINVAL;
	}
	json_object_foreach((json_t *)(uintptr_t)o, key, a)
	{
		unsigned int k;

		if (strcmp(key, "version") == 0)
			continue;
		for (k = 0; k < SG_CTL_KIND_MAX && strcmp(spec_keys[k], key) != 0; k++)
			;
		if (k == SG_CTL_KIND_MAX || !json_is_array(a)) {
			snprintf(err, errlen, "\"%s\": unknown key, or not an array", key);
			return -EINVAL;
		}
		for (i = 0; i < json_array_size(a); i++)
			if (!json_is_string(json_array_get(a, i)) ||
			    json_string_length(json_array_get(a, i)) >= SG_CTL_SPEC_MAX) {
				snprintf(err, errlen,
					 "%s[%zu]: not a spec (a string of < %u bytes)", key, i,
					 SG_CTL_SPEC_MAX);
				return -EINVAL;
			}
	}
	for (i = 0; i < SG_CTL_KIND_MAX; i++)
		if (json_object_get(o, spec_keys[i]) == NULL)
			json_object_set_new((json_t *)(uintptr_t)o, spec_keys[i], json_array());
	return 0;
}

int
sg_ctl_inventory_load(struct sg_ctl_cfg *cfg, json_t **out, char *err, size_t errlen)
{
	char path[sizeof(((struct sg_ctl_invm *)0)->json_path)], why[512];
	char at[64] = "";
	json_error_t je;
	json_t *o;
	unsigned int k;
	size_t i;
	int rc;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/inventory.json", cfg->db_dir);
	if (access(path, F_OK) != 0) {
		*out = specs_new();
		return *out != NULL ? 0 : -ENOMEM;
	}
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		snprintf(err, errlen, "%s:%d: %s (fix or remove it)", path, je.line, je.text);
		return -EINVAL;
	}
	rc = specs_check(o, why, sizeof(why));
	for (k = 0; rc == 0 && k < SG_CTL_KIND_MAX; k++) {
		unsigned int kind = read_order[k];
		json_t *a = json_object_get(o, spec_keys[kind]);

		for (i = 0; rc == 0 && i < json_array_size(a); i++) {
			const char *spec = json_string_value(json_array_get(a, i));

			rc = sg_ctl_cfg_spec(cfg, kind, spec, why, sizeof(why));
			if (rc == -EEXIST) { /* the YAML defines it now: the YAML's wins */
				syslog(LOG_NOTICE, "%s: %s[%zu]: %s: the YAML's is used", path,
				       spec_keys[kind], i, why);
				json_array_remove(a, i--);
				rc = 0;
			} else if (rc < 0) {
				snprintf(at, sizeof(at), "%s[%zu]: ", spec_keys[kind], i);
			}
		}
	}
	if (rc == 0)
		rc = sg_ctl_cfg_check(cfg, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s%s (fix or remove it)", path, at, why);
		json_decref(o);
		return -EINVAL;
	}
	*out = o;
	return 0;
}

void
sg_ctl_inventory_attach(struct sg_ctl_invm *m, const char *yaml_path, json_t *specs)
{
	m->yaml_path = yaml_path;
	m->specs = specs;
	snprintf(m->json_path, sizeof(m->json_path), "%s/inventory.json", m->cfg->db_dir);
}

/* Drop the specs whose object is not (or no longer) a runtime one; true if any was. */
static bool
specs_prune(struct sg_ctl_invm *m)
{
	char name[SG_CTL_NAME_MAX];
	bool changed = false;
	unsigned int k;
	size_t i;

	for (k = 0; k < SG_CTL_KIND_MAX; k++) {
		json_t *a = json_object_get(m->specs, spec_keys[k]);

		for (i = 0; i < json_array_size(a); i++) {
			int s;

			spec_name(json_string_value(json_array_get(a, i)), name, sizeof(name));
			s = sg_ctl_cfg_find(m->cfg, k, name);
			if (s >= 0 &&
			    sg_ctl_cfg_origin(m->cfg, k, (unsigned int)s) == SG_CTL_ORIGIN_RUNTIME)
				continue;
			json_array_remove(a, i--);
			changed = true;
		}
	}
	return changed;
}

int
sg_ctl_inventory_reload(struct sg_ctl_invm *m, char *err, size_t errlen)
{
	int rc = sg_ctl_cfg_reload(m->cfg, m->yaml_path, err, errlen);

	if (rc < 0) {
		m->refused++;
		return rc;
	}
	rc = sg_ctl_inventory_apply(m);
	if (m->specs != NULL && specs_prune(m) &&
	    specs_write(m->json_path, m->specs, err, errlen) < 0)
		syslog(LOG_WARNING, "reload: %s", err);
	return rc;
}

/* @p tmp: the dense live configuration with object @p kind @p arg added or left out. */
static int
change_cfg(struct sg_ctl_invm *m, unsigned int kind, bool add, const char *arg,
	   struct sg_ctl_cfg *tmp, char *err, size_t errlen)
{
	int rc;

	memcpy(tmp, m->cfg, sizeof(*tmp));
	tmp->n_apps = tmp->n_vms = tmp->n_hosts = tmp->n_pools = tmp->n_users = 0;
	rc = sg_ctl_cfg_append(tmp, m->cfg, false, add ? SG_CTL_KIND_MAX : kind, add ? NULL : arg,
			       err, errlen);
	if (rc == 0 && add)
		rc = sg_ctl_cfg_spec(tmp, kind, arg, err, errlen);
	return rc;
}

/* Object @p name of @p kind may be removed by sgctl: it exists, was added by sgctl. */
static int
removable(struct sg_ctl_invm *m, unsigned int kind, const char *name, char *err, size_t errlen)
{
	int s = sg_ctl_cfg_find(m->cfg, kind, name);

	if (s < 0) {
		snprintf(err, errlen, "no %s %s", sg_ctl_cfg_kind_name(kind), name);
		return -ENOENT;
	}
	if (sg_ctl_cfg_origin(m->cfg, kind, (unsigned int)s) != SG_CTL_ORIGIN_RUNTIME) {
		snprintf(err, errlen, "%s is defined in %s: remove it there and reload", name,
			 m->yaml_path != NULL ? m->yaml_path : "the configuration file");
		return -EPERM;
	}
	if (sg_ctl_cfg_retiring(m->cfg, kind, (unsigned int)s)) {
		snprintf(err, errlen, "%s %s: removed already (retiring)",
			 sg_ctl_cfg_kind_name(kind), name);
		return -EALREADY;
	}
	return 0;
}

json_t *
sg_ctl_inventory_change(struct sg_ctl_invm *m, unsigned int kind, bool add, const char *arg,
			char *err, size_t errlen)
{
	struct sg_ctl_cfg *tmp, *merged;
	json_t *specs, *a, *res = NULL;
	char name[SG_CTL_NAME_MAX];
	size_t i;
	int rc, s;

	if (m->cfg->cluster.enabled) {
		snprintf(err, errlen, "cluster mode: change every node's YAML and reload");
		m->refused++;
		return NULL;
	}
	if (!add && removable(m, kind, arg, err, errlen) < 0) {
		m->refused++;
		return NULL;
	}
	tmp = malloc(sizeof(*tmp));
	merged = malloc(sizeof(*merged));
	specs = json_deep_copy(m->specs);
	rc = tmp == NULL || merged == NULL || specs == NULL ? -ENOMEM : 0;
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	if (rc == 0)
		rc = change_cfg(m, kind, add, arg, tmp, err, errlen);
	if (rc == 0) {
		memcpy(merged, m->cfg, sizeof(*merged));
		rc = sg_ctl_cfg_merge(merged, tmp, err, errlen);
	}
	if (rc < 0)
		goto out;
	/* the file first: nothing changes if it cannot be written */
	a = json_object_get(specs, spec_keys[kind]);
	if (add) {
		json_array_append_new(a, json_string(arg));
		snprintf(name, sizeof(name), "%s",
			 kind == SG_CTL_KIND_APP    ? tmp->apps[tmp->n_apps - 1].name
			 : kind == SG_CTL_KIND_VM   ? tmp->vms[tmp->n_vms - 1].name
			 : kind == SG_CTL_KIND_HOST ? tmp->hosts[tmp->n_hosts - 1].name
						    : tmp->pools[tmp->n_pools - 1].name);
	} else {
		snprintf(name, sizeof(name), "%s", arg);
		for (i = 0; i < json_array_size(a); i++) {
			char n[SG_CTL_NAME_MAX];

			spec_name(json_string_value(json_array_get(a, i)), n, sizeof(n));
			if (strcmp(n, arg) == 0)
				json_array_remove(a, i--);
		}
	}
	rc = specs_write(m->json_path, specs, err, errlen);
	if (rc < 0)
		goto out;
	memcpy(m->cfg, merged, sizeof(*merged));
	json_decref(m->specs);
	m->specs = specs;
	specs = NULL;
	sg_ctl_inventory_apply(m);
	s = sg_ctl_cfg_find(m->cfg, kind, name);
	syslog(LOG_NOTICE, "sgctl: %s %s %s", sg_ctl_cfg_kind_name(kind), name,
	       add ? "added" : "removed");
	res = json_pack("{s:s,s:s,s:s,s:i}", "kind", sg_ctl_cfg_kind_name(kind), "name", name,
			"done",
			add	? "added"
			: s < 0 ? "freed"
				: "retiring: freed once unused",
			"slot", s);
out:
	if (res == NULL)
		m->refused++;
	json_decref(specs);
	free(tmp);
	free(merged);
	return res;
}

void
sg_ctl_inventory_store_fini(struct sg_ctl_invm *m)
{
	json_decref(m->specs);
	m->specs = NULL;
}
