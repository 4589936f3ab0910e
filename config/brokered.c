/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "brokered" map of a brokered or redirect virtual service: the L7 key,
 * the hold bounds and what a new session gets while sg-control is away
 * (doc/configuration.md, doc/sessions.md). TCP services take every key; UDP
 * services are keyed on none or prefix.
 */
#include <errno.h>
#include <string.h>

#include "ctx.h"
#include "names.h"
#include "sections.h"

#define DEF_PREFIX_LEN	16
#define PREFIX_LEN_MAX	160 /* = SG_MSG_KEY_MAX */
#define DEF_HOLD_TMO_MS 30000
#define HOLD_TMO_MS_MAX 600000
#define DEF_HOLD_BYTES	16384
#define HOLD_BYTES_MIN	512
#define HOLD_BYTES_MAX	(1u << 20)
#define DEF_VS_MAX_HELD 1024
#define VS_MAX_HELD_MAX (1u << 20)
#define DEF_RETRY_AFTER 5
#define RETRY_AFTER_MAX 65535 /* stored in 16 bits (HTTP Retry-After, struct br_sess) */

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

/*
 * key_name: the cookie's (http_cookie) or the header's (http_header) name,
 * required with those keys only. A name's characters (A-Z a-z 0-9 _ . -)
 * are all HTTP token characters; the data plane sends the key as
 * "NAME=value" or "Name: value" with the name spelt as here.
 */
static int
parse_key_name(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	       struct sg_cfg_brokered *b)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(n, "key_name");
	bool named = b->key == SG_CFG_L7_HTTP_COOKIE || b->key == SG_CFG_L7_HTTP_HEADER;
	char path[SG_CFG_PATH_MAX];

	sg_cfg_ctx_path(path, prefix, "key_name");
	if (v != NULL && !named)
		return sg_cfg_ctx_fail(c, v, path,
				       "only used with key: http_cookie or http_header");
	if (v == NULL && named)
		return sg_cfg_ctx_fail(c, n, path, "key: %s needs the %s's name",
				       sg_cfg_l7_name(b->key),
				       b->key == SG_CFG_L7_HTTP_COOKIE ? "cookie" : "header");
	if (v == NULL)
		return 0;
	return sg_cfg_node_name(c->doc, v, path, b->key_name, c->err);
}

/* key, key_name and prefix_len: which key, and the settings only it takes. */
static int
parse_key(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	  const struct sg_cfg_vs *s, struct sg_cfg_brokered *b)
{
	const struct sg_cfg_node *v;
	char path[SG_CFG_PATH_MAX];
	unsigned int e;
	int rc;

	rc = sg_cfg_ctx_enum(c, n, prefix, "key", sg_cfg_l7_names, b->key, &e);
	if (rc != 0)
		return rc;
	b->key = (enum sg_cfg_l7)e;
	if (s->proto == SG_CFG_PROTO_UDP && b->key != SG_CFG_L7_NONE &&
	    b->key != SG_CFG_L7_PREFIX) {
		sg_cfg_ctx_path(path, prefix, "key");
		return sg_cfg_ctx_fail(c, sg_cfg_node_get(n, "key"), path,
				       "a UDP service can only be keyed on none or prefix, not %s",
				       sg_cfg_l7_name(b->key));
	}
	rc = parse_key_name(c, n, prefix, b);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(n, "prefix_len");
	if (v != NULL && b->key != SG_CFG_L7_PREFIX) {
		sg_cfg_ctx_path(path, prefix, "prefix_len");
		return sg_cfg_ctx_fail(c, v, path, "only used with key: prefix");
	}
	return sg_cfg_ctx_u16(c, n, prefix, "prefix_len", 1, PREFIX_LEN_MAX, DEF_PREFIX_LEN,
			      &b->prefix_len);
}

int
sg_cfg_parse_brokered(struct sg_cfg_ctx *c, const struct sg_cfg_node *vs, const char *vs_prefix,
		      struct sg_cfg_vs *s)
{
	static const char *const keys[] = {
		"key",	      "key_name", "prefix_len",	  "hold_timeout_ms",
		"hold_bytes", "max_held", "control_down", "retry_after_s",
		NULL};
	const struct sg_cfg_node *n = sg_cfg_node_get(vs, "brokered");
	struct sg_cfg_brokered *b = &s->brokered;
	char prefix[SG_CFG_PATH_MAX];
	unsigned int e;
	uint64_t u;
	int rc;

	sg_cfg_brokered_defaults(b);
	sg_cfg_ctx_path(prefix, vs_prefix, "brokered");
	if (n == NULL)
		return 0;
	if (s->mode != SG_CFG_MODE_BROKERED && s->mode != SG_CFG_MODE_REDIRECT)
		return sg_cfg_ctx_fail(c, n, prefix,
				       "only used with mode: brokered or redirect (this one is %s)",
				       sg_cfg_mode_name(s->mode));
	if (sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_map(c->doc, n, prefix, true, c->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
	if (rc == 0)
		rc = parse_key(c, n, prefix, s, b);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "hold_timeout_ms", 100, HOLD_TMO_MS_MAX,
				    DEF_HOLD_TMO_MS, &b->hold_timeout_ms);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "hold_bytes", HOLD_BYTES_MIN, HOLD_BYTES_MAX,
				    DEF_HOLD_BYTES, &b->hold_bytes);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "max_held", 1, VS_MAX_HELD_MAX, DEF_VS_MAX_HELD,
				    &b->max_held);
	if (rc == 0)
		rc = sg_cfg_ctx_enum(c, n, prefix, "control_down", sg_cfg_ctl_down_names,
				     b->control_down, &e);
	if (rc != 0)
		return rc;
	b->control_down = (enum sg_cfg_ctl_down)e;
	rc = sg_cfg_ctx_uint(c, n, prefix, "retry_after_s", 0, RETRY_AFTER_MAX, DEF_RETRY_AFTER,
			     &u);
	if (rc != 0)
		return rc;
	b->retry_after_s = (uint16_t)u;
	return 0;
}
