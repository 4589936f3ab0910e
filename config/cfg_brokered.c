/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Schema of the brokered-session settings: appliance.control (the data
 * plane's end of the shared-memory channel to sg-control) and the
 * "brokered" map of a brokered or redirect virtual service
 * (doc/configuration.md, doc/sessions.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg_internal.h"
#include "sg_cfg_doc.h"

#define PATH_LEN 128

#define DEF_SHM		   "/sessiongate"
#define DEF_RING_SIZE	   4096
#define RING_SIZE_MAX	   (1u << 20)
#define DEF_MAX_HELD	   4096
#define MAX_HELD_MAX	   (1u << 20)
#define DEF_HOLD_BUDGET_KB 16384
#define HOLD_BUDGET_KB_MAX (4u << 20) /* 4 GiB per worker */
#define DEF_PREFIX_LEN	   16
#define PREFIX_LEN_MAX	   160 /* = SG_MSG_KEY_MAX */
#define DEF_HOLD_TMO_MS	   30000
#define HOLD_TMO_MS_MAX	   600000
#define DEF_HOLD_BYTES	   16384
#define HOLD_BYTES_MIN	   512
#define HOLD_BYTES_MAX	   (1u << 20)
#define DEF_VS_MAX_HELD	   1024
#define DEF_RETRY_AFTER	   5

static const char *const l7_names[] = {"none",	  "http_host",	"http_path", "http_cookie",
				       "tls_sni", "rdp_cookie", "prefix",    NULL};
static const char *const ctl_down_names[] = {"hold", "reject", NULL};

const char *
sg_cfg_l7_name(enum sg_cfg_l7 k)
{
	return (unsigned int)k < 7 ? l7_names[k] : "unknown";
}

const char *
sg_cfg_ctl_down_name(enum sg_cfg_ctl_down d)
{
	return (unsigned int)d < 2 ? ctl_down_names[d] : "unknown";
}

void
sg_cfg_brokered_defaults(struct sg_cfg_brokered *b)
{
	memset(b, 0, sizeof(*b));
	b->key = SG_CFG_L7_NONE;
	b->prefix_len = DEF_PREFIX_LEN;
	b->hold_timeout_ms = DEF_HOLD_TMO_MS;
	b->hold_bytes = DEF_HOLD_BYTES;
	b->max_held = DEF_VS_MAX_HELD;
	b->control_down = SG_CFG_CTL_DOWN_HOLD;
	b->retry_after_s = DEF_RETRY_AFTER;
}

static void
subpath(char out[PATH_LEN], const char *prefix, const char *key)
{
	snprintf(out, PATH_LEN, "%.80s.%.40s", prefix, key);
}

static int
opt_uint(const struct sg_cfg_doc *doc, const struct sg_cfg_node *map, const char *prefix,
	 const char *key, uint64_t min, uint64_t max, uint64_t def, uint64_t *out,
	 struct sg_cfg_error *err)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[PATH_LEN];

	*out = def;
	if (v == NULL)
		return 0;
	subpath(path, prefix, key);
	return sg_cfg_node_uint(doc, v, path, min, max, out, err);
}

static int
opt_enum(const struct sg_cfg_doc *doc, const struct sg_cfg_node *map, const char *prefix,
	 const char *key, const char *const *names, unsigned int def, unsigned int *out,
	 struct sg_cfg_error *err)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[PATH_LEN];

	*out = def;
	if (v == NULL)
		return 0;
	subpath(path, prefix, key);
	return sg_cfg_node_enum(doc, v, path, names, out, err);
}

int
sg_cfg_parse_control(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n,
		     struct sg_cfg_appliance *ap, struct sg_cfg_error *err)
{
	static const char *const keys[] = {"shm", "ring_size", "max_held", "hold_budget_kb", NULL};
	const char *prefix = "appliance.control";
	struct sg_cfg_control *c = &ap->control;
	const struct sg_cfg_node *v;
	char path[PATH_LEN];
	uint64_t u;
	int rc;

	sg_cfg_strlcpy(c->shm, DEF_SHM, sizeof(c->shm));
	c->ring_size = DEF_RING_SIZE;
	c->max_held = DEF_MAX_HELD;
	c->hold_budget_kb = DEF_HOLD_BUDGET_KB;
	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_map(doc, n, prefix, true, err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(doc, n, prefix, keys, err);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(n, "shm");
	if (v != NULL) {
		subpath(path, prefix, "shm");
		rc = sg_cfg_node_string(doc, v, path, c->shm, sizeof(c->shm), err);
		if (rc != 0)
			return rc;
		if (c->shm[0] != '\0' &&
		    (c->shm[0] != '/' || c->shm[1] == '\0' || strchr(c->shm + 1, '/') != NULL ||
		     strspn(c->shm + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789_.-") != strlen(c->shm + 1))) {
			sg_cfg_error_set(
				err, doc, v, path,
				"a POSIX shm name is \"/\" and then [A-Za-z0-9_.-] (or \"\" "
				"for no control path), not \"%s\"",
				c->shm);
			return -EINVAL;
		}
	}
	rc = opt_uint(doc, n, prefix, "ring_size", 64, RING_SIZE_MAX, DEF_RING_SIZE, &u, err);
	if (rc != 0)
		return rc;
	if ((u & (u - 1)) != 0) {
		subpath(path, prefix, "ring_size");
		sg_cfg_error_set(err, doc, sg_cfg_node_get(n, "ring_size"), path,
				 "%llu is not a power of two", (unsigned long long)u);
		return -EINVAL;
	}
	c->ring_size = (uint32_t)u;
	rc = opt_uint(doc, n, prefix, "max_held", 1, MAX_HELD_MAX, DEF_MAX_HELD, &u, err);
	if (rc != 0)
		return rc;
	c->max_held = (uint32_t)u;
	rc = opt_uint(doc, n, prefix, "hold_budget_kb", 64, HOLD_BUDGET_KB_MAX, DEF_HOLD_BUDGET_KB,
		      &u, err);
	if (rc != 0)
		return rc;
	c->hold_budget_kb = (uint32_t)u;
	return 0;
}

int
sg_cfg_parse_brokered(const struct sg_cfg_doc *doc, const struct sg_cfg_node *vs,
		      const char *vs_prefix, struct sg_cfg_vs *s, struct sg_cfg_error *err)
{
	static const char *const keys[] = {
		"key",	      "key_name", "prefix_len",	  "hold_timeout_ms",
		"hold_bytes", "max_held", "control_down", "retry_after_s",
		NULL};
	const struct sg_cfg_node *n = sg_cfg_node_get(vs, "brokered"), *v;
	struct sg_cfg_brokered *b = &s->brokered;
	char prefix[PATH_LEN], path[PATH_LEN];
	unsigned int e;
	uint64_t u;
	int rc;

	sg_cfg_brokered_defaults(b);
	subpath(prefix, vs_prefix, "brokered");
	if (n == NULL)
		return 0;
	if (s->mode != SG_CFG_MODE_BROKERED && s->mode != SG_CFG_MODE_REDIRECT) {
		sg_cfg_error_set(err, doc, n, prefix,
				 "only used with mode: brokered or redirect (this one is %s)",
				 sg_cfg_mode_name(s->mode));
		return -EINVAL;
	}
	if (sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_map(doc, n, prefix, true, err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(doc, n, prefix, keys, err);
	if (rc != 0)
		return rc;
	rc = opt_enum(doc, n, prefix, "key", l7_names, b->key, &e, err);
	if (rc != 0)
		return rc;
	b->key = (enum sg_cfg_l7)e;
	if (s->proto == SG_CFG_PROTO_UDP && b->key != SG_CFG_L7_NONE &&
	    b->key != SG_CFG_L7_PREFIX) {
		subpath(path, prefix, "key");
		sg_cfg_error_set(err, doc, sg_cfg_node_get(n, "key"), path,
				 "a UDP service can only be keyed on none or prefix, not %s",
				 sg_cfg_l7_name(b->key));
		return -EINVAL;
	}
	v = sg_cfg_node_get(n, "key_name");
	subpath(path, prefix, "key_name");
	if (v != NULL && b->key != SG_CFG_L7_HTTP_COOKIE) {
		sg_cfg_error_set(err, doc, v, path, "only used with key: http_cookie");
		return -EINVAL;
	}
	if (v == NULL && b->key == SG_CFG_L7_HTTP_COOKIE) {
		sg_cfg_error_set(err, doc, n, path, "key: http_cookie needs the cookie's name");
		return -EINVAL;
	}
	if (v != NULL) {
		rc = sg_cfg_node_name(doc, v, path, b->key_name, err);
		if (rc != 0)
			return rc;
	}
	v = sg_cfg_node_get(n, "prefix_len");
	if (v != NULL && b->key != SG_CFG_L7_PREFIX) {
		subpath(path, prefix, "prefix_len");
		sg_cfg_error_set(err, doc, v, path, "only used with key: prefix");
		return -EINVAL;
	}
	rc = opt_uint(doc, n, prefix, "prefix_len", 1, PREFIX_LEN_MAX, DEF_PREFIX_LEN, &u, err);
	if (rc != 0)
		return rc;
	b->prefix_len = (uint16_t)u;
	rc = opt_uint(doc, n, prefix, "hold_timeout_ms", 100, HOLD_TMO_MS_MAX, DEF_HOLD_TMO_MS, &u,
		      err);
	if (rc != 0)
		return rc;
	b->hold_timeout_ms = (uint32_t)u;
	rc = opt_uint(doc, n, prefix, "hold_bytes", HOLD_BYTES_MIN, HOLD_BYTES_MAX, DEF_HOLD_BYTES,
		      &u, err);
	if (rc != 0)
		return rc;
	b->hold_bytes = (uint32_t)u;
	rc = opt_uint(doc, n, prefix, "max_held", 1, MAX_HELD_MAX, DEF_VS_MAX_HELD, &u, err);
	if (rc != 0)
		return rc;
	b->max_held = (uint32_t)u;
	rc = opt_enum(doc, n, prefix, "control_down", ctl_down_names, b->control_down, &e, err);
	if (rc != 0)
		return rc;
	b->control_down = (enum sg_cfg_ctl_down)e;
	rc = opt_uint(doc, n, prefix, "retry_after_s", 0, 86400, DEF_RETRY_AFTER, &u, err);
	if (rc != 0)
		return rc;
	b->retry_after_s = (uint16_t)u;
	return 0;
}
