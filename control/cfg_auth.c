/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An application's auth: and qos: sections (doc/control.md "Authenticated
 * applications", "QoS"):
 *
 *   auth:
 *     mode: token                 # anonymous (default) | token
 *     keys: [{id: 2, file: /etc/sessiongate/desk-2.key}, {id: 1, file: ...}]
 *     on_fail: login              # forbid (default: 403 / RST) | login (302)
 *     login_url: https://login.example/desk
 *     graph: true                 # default: true with control.idmgr_dir
 *   qos: {user_sessions: 2, rate_bps: 1250000, burst_bytes: 131072, usage_interval_s: 60}
 *
 * Key files are read here (lib/token: raw or hex, not readable by group or
 * others), so a reload re-reads them: rotation is a reload.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"

#include "sg_cfg_doc.h"

struct au_rd {
	const struct sg_cfg_doc *doc;
	struct sg_cfg_error *err;
	char path[200];
};

static const char *
sub(struct au_rd *r, const char *base, const char *key)
{
	/* a path cut short only shortens an error message */
	if (snprintf(r->path, sizeof(r->path), "%s.%s", base, key) >= (int)sizeof(r->path))
		r->path[sizeof(r->path) - 1] = '\0';
	return r->path;
}

static int
au_key(struct au_rd *r, const struct sg_cfg_node *kn, const char *base, struct sg_ctl_app_auth *au)
{
	static const char *const keys[] = {"id", "file", NULL};
	struct sg_token_key *k = &au->keys[au->n_keys];
	const struct sg_cfg_node *x;
	char file[SG_CTL_PATH_MAX], why[SG_CTL_PATH_MAX + 64];
	unsigned int i;
	uint64_t id;
	int rc;

	rc = sg_cfg_node_check_keys(r->doc, kn, base, keys, r->err);
	x = sg_cfg_node_get(kn, "id");
	if (rc == 0 && x == NULL) {
		sg_cfg_error_set(r->err, r->doc, kn, sub(r, base, "id"), "missing (1-255)");
		return -EINVAL;
	}
	if (rc == 0)
		rc = sg_cfg_node_uint(r->doc, x, sub(r, base, "id"), 1, 255, &id, r->err);
	for (i = 0; rc == 0 && i < au->n_keys; i++)
		if (au->keys[i].id == id) {
			sg_cfg_error_set(r->err, r->doc, x, r->path, "key id %u listed twice",
					 (unsigned int)id);
			return -EINVAL;
		}
	x = sg_cfg_node_get(kn, "file");
	if (rc == 0 && x == NULL) {
		sg_cfg_error_set(r->err, r->doc, kn, sub(r, base, "file"),
				 "missing (the key file: 32-64 random bytes, raw or hex)");
		return -EINVAL;
	}
	if (rc == 0)
		rc = sg_cfg_node_string(r->doc, x, sub(r, base, "file"), file, sizeof(file),
					r->err);
	if (rc != 0)
		return rc;
	rc = sg_token_key_load(file, (uint8_t)id, k, why, sizeof(why));
	if (rc < 0) {
		sg_cfg_error_set(r->err, r->doc, x, r->path, "%s", why);
		return -EINVAL;
	}
	au->n_keys++;
	return 0;
}

static int
au_keys(struct au_rd *r, const struct sg_cfg_node *n, const char *base, struct sg_ctl_app_auth *au)
{
	char path[200];
	unsigned int i;
	int rc;

	rc = sg_cfg_node_seq(r->doc, n, base, SG_TOKEN_KEYS_MAX, r->err);
	for (i = 0; rc == 0 && i < n->n_items; i++) {
		if (snprintf(path, sizeof(path), "%s[%u]", base, i) >= (int)sizeof(path))
			path[sizeof(path) - 1] = '\0';
		rc = au_key(r, n->items[i], path, au);
	}
	return rc;
}

/* A redirect target: printable ASCII without space (it becomes an HTTP Location). */
static int
au_url(struct au_rd *r, const struct sg_cfg_node *n, const char *path, char *out)
{
	size_t i;
	int rc = sg_cfg_node_string(r->doc, n, path, out, SG_MSG_LOCATION_MAX, r->err);

	if (rc != 0)
		return rc;
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x21 || (unsigned char)out[i] > 0x7e) {
			sg_cfg_error_set(r->err, r->doc, n, path,
					 "character %zu is not printable ASCII without space "
					 "(escape it: %%XX)",
					 i + 1);
			return -EINVAL;
		}
	if (i == 0 || (strncmp(out, "https://", 8) != 0 && strncmp(out, "http://", 7) != 0 &&
		       out[0] != '/')) {
		sg_cfg_error_set(r->err, r->doc, n, path,
				 "'%s': an http:// or https:// URL, or a path starting with /",
				 out);
		return -EINVAL;
	}
	return 0;
}

static int
au_auth(struct au_rd *r, const struct sg_cfg_node *n, const char *base, bool idmgr,
	struct sg_ctl_app_auth *au)
{
	static const char *const keys[] = {"mode", "keys", "on_fail", "login_url", "graph", NULL};
	static const char *const modes[] = {"anonymous", "token", NULL};
	static const char *const fails[] = {"forbid", "login", NULL};
	const struct sg_cfg_node *x;
	unsigned int e;
	int rc;

	au->graph = idmgr;
	rc = sg_cfg_node_map(r->doc, n, base, false, r->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(r->doc, n, base, keys, r->err);
	if (rc == 0 && (x = sg_cfg_node_get(n, "mode")) != NULL) {
		rc = sg_cfg_node_enum(r->doc, x, sub(r, base, "mode"), modes, &e, r->err);
		au->mode = (uint8_t)e;
	}
	if (rc == 0 && (x = sg_cfg_node_get(n, "on_fail")) != NULL) {
		rc = sg_cfg_node_enum(r->doc, x, sub(r, base, "on_fail"), fails, &e, r->err);
		au->on_fail = (uint8_t)e;
	}
	if (rc == 0 && (x = sg_cfg_node_get(n, "login_url")) != NULL)
		rc = au_url(r, x, sub(r, base, "login_url"), au->login_url);
	if (rc == 0 && (x = sg_cfg_node_get(n, "graph")) != NULL) {
		rc = sg_cfg_node_bool(r->doc, x, sub(r, base, "graph"), &au->graph, r->err);
		if (rc == 0 && au->graph && !idmgr) {
			sg_cfg_error_set(r->err, r->doc, x, r->path,
					 "true needs control.idmgr_dir (the relationship graph)");
			rc = -EINVAL;
		}
	}
	if (rc == 0 && (x = sg_cfg_node_get(n, "keys")) != NULL)
		rc = au_keys(r, x, sub(r, base, "keys"), au);
	if (rc != 0)
		return rc;
	if (au->mode == SG_CTL_AUTH_TOKEN && au->n_keys == 0) {
		sg_cfg_error_set(r->err, r->doc, n, sub(r, base, "keys"),
				 "mode: token needs at least one key ({id: N, file: PATH})");
		return -EINVAL;
	}
	if (au->on_fail == SG_CTL_AUTH_FAIL_LOGIN && au->login_url[0] == '\0') {
		sg_cfg_error_set(r->err, r->doc, n, sub(r, base, "login_url"),
				 "on_fail: login needs a login_url");
		return -EINVAL;
	}
	return 0;
}

static int
au_u32(struct au_rd *r, const struct sg_cfg_node *n, const char *base, const char *key,
       uint64_t max, uint32_t *out)
{
	const struct sg_cfg_node *x = sg_cfg_node_get(n, key);
	uint64_t v;
	int rc;

	if (x == NULL)
		return 0;
	rc = sg_cfg_node_uint(r->doc, x, sub(r, base, key), 0, max, &v, r->err);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static int
au_qos(struct au_rd *r, const struct sg_cfg_node *n, const char *base, struct sg_ctl_app_qos *q)
{
	static const char *const keys[] = {"user_sessions", "rate_bps", "burst_bytes",
					   "usage_interval_s", NULL};
	int rc;

	rc = sg_cfg_node_map(r->doc, n, base, false, r->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(r->doc, n, base, keys, r->err);
	if (rc == 0)
		rc = au_u32(r, n, base, "user_sessions", 1u << 22, &q->user_sessions);
	if (rc == 0)
		rc = au_u32(r, n, base, "rate_bps", UINT32_MAX, &q->rate_bps);
	if (rc == 0)
		rc = au_u32(r, n, base, "burst_bytes", UINT32_MAX, &q->burst_bytes);
	if (rc == 0)
		rc = au_u32(r, n, base, "usage_interval_s", 86400, &q->usage_interval_s);
	return rc;
}

int
sg_ctl_cfg_app_auth(const struct sg_cfg_doc *doc, const struct sg_cfg_node *an, const char *base,
		    bool idmgr, struct sg_ctl_app_cfg *a, struct sg_cfg_error *err)
{
	struct au_rd r = {.doc = doc, .err = err};
	const struct sg_cfg_node *n;
	char path[160];
	int rc = 0;

	memset(&a->auth, 0, sizeof(a->auth));
	memset(&a->qos, 0, sizeof(a->qos));
	a->auth.graph = idmgr;
	n = sg_cfg_node_get(an, "auth");
	snprintf(path, sizeof(path), "%s.auth", base);
	if (n != NULL)
		rc = au_auth(&r, n, path, idmgr, &a->auth);
	n = sg_cfg_node_get(an, "qos");
	snprintf(path, sizeof(path), "%s.qos", base);
	if (rc == 0 && n != NULL)
		rc = au_qos(&r, n, path, &a->qos);
	return rc;
}
