/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A pool's health_check map (the active check sg-control runs against each
 * member: tcp connect, http/https request, udp send/expect) and its passive
 * map (outlier ejection from the data plane's validated connect failures).
 * Keys of another check type are errors; the family of the check source
 * against the members is checked by pools.c once the members are read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "names.h"
#include "sections.h"

/* Defaults and bounds (doc/configuration.md, "Health checks"). */
#define DEF_INTERVAL_MS	  2000
#define INTERVAL_MS_MIN	  100
#define INTERVAL_MS_MAX	  3600000
#define DEF_TIMEOUT_MS	  1000
#define TIMEOUT_MS_MIN	  10
#define DEF_RISE	  2
#define DEF_FALL	  3
#define RISE_FALL_MAX	  100
#define DEF_STATUS_MIN	  200
#define DEF_STATUS_MAX	  399
#define STATUS_MIN	  100
#define STATUS_MAX	  599
#define DEF_PASSIVE_FAILS 5
#define PASSIVE_FAILS_MAX 1000
#define DEF_EJECTION_S	  30
#define EJECTION_S_MAX	  86400
#define DEF_MAX_EJECTED	  50

static const char *const http_methods[] = {"GET", "HEAD", "POST", "OPTIONS", NULL};

/* Keys of one check type only, and the types they are for. */
static const struct {
	const char *key;
	const char *types; /* in messages */
	bool http, https, udp;
} typed_keys[] = {
	{"method", "http/https", true, true, false},
	{"path", "http/https", true, true, false},
	{"host", "http/https", true, true, false},
	{"status", "http/https", true, true, false},
	{"body_match", "http/https", true, true, false},
	{"ca_file", "https", false, true, false},
	{"send", "udp", false, false, true},
	{"expect", "udp", false, false, true},
};

/*
 * Optional text key @p key of @p hc into @p out (SG_CFG_CHECK_TEXT_MAX):
 * printable ASCII, spaces allowed only when @p spaces; @p def when absent.
 * *v receives the node (NULL when absent).
 */
static int
text_key(struct sg_cfg_ctx *c, const struct sg_cfg_node *hc, const char *prefix, const char *key,
	 bool spaces, const char *def, char *out, const struct sg_cfg_node **vp)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(hc, key);
	char path[SG_CFG_PATH_MAX];
	const unsigned char *p;
	int rc;

	*vp = v;
	sg_cfg_strlcpy(out, def, SG_CFG_CHECK_TEXT_MAX);
	if (v == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "%s", key);
	rc = sg_cfg_node_string(c->doc, v, path, out, SG_CFG_CHECK_TEXT_MAX, c->err);
	if (rc != 0 || !spaces)
		return rc != 0 ? rc : sg_cfg_ctx_printable(c, v, path, out);
	for (p = (const unsigned char *)out; *p != '\0'; p++) {
		if (*p < ' ' || *p >= 0x7f)
			return sg_cfg_ctx_fail(c, v, path,
					       "must be printable ASCII (spaces allowed) without "
					       "control characters");
	}
	return 0;
}

/* status: "NNN" or "NNN-NNN" within 100..599 (a plain 200 is read as "200"). */
static int
parse_status(struct sg_cfg_ctx *c, const struct sg_cfg_node *hc, const char *prefix,
	     struct sg_cfg_health_check *h)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(hc, "status");
	char path[SG_CFG_PATH_MAX], text[16];
	unsigned long lo, hi;
	char *end;
	int rc;

	h->status_min = DEF_STATUS_MIN;
	h->status_max = DEF_STATUS_MAX;
	if (v == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "status");
	rc = sg_cfg_node_string(c->doc, v, path, text, sizeof(text), c->err);
	if (rc != 0)
		return rc;
	if (strlen(text) != 3 && strlen(text) != 7)
		goto bad;
	if (strspn(text, "0123456789") != 3 || (text[3] != '\0' && text[3] != '-') ||
	    (text[3] == '-' && strspn(text + 4, "0123456789") != 3))
		goto bad;
	lo = strtoul(text, &end, 10);
	hi = *end == '-' ? strtoul(end + 1, NULL, 10) : lo;
	if (sg_cfg_ctx_range(c, v, path, "HTTP status codes", lo, hi, STATUS_MIN, STATUS_MAX) != 0)
		return -EINVAL;
	h->status_min = (uint16_t)lo;
	h->status_max = (uint16_t)hi;
	return 0;
bad:
	return sg_cfg_ctx_fail(c, v, path,
			       "expected a status like 200 or a range like 200-399, found \"%s\"",
			       text);
}

/* method, path, host, status, body_match, ca_file of an http/https check. */
static int
parse_http(struct sg_cfg_ctx *c, const struct sg_cfg_node *hc, const char *prefix,
	   struct sg_cfg_health_check *h)
{
	const struct sg_cfg_node *v;
	char path[SG_CFG_PATH_MAX];
	unsigned int e;
	int rc;

	rc = sg_cfg_ctx_enum(c, hc, prefix, "method", http_methods, 0, &e);
	if (rc != 0)
		return rc;
	sg_cfg_strlcpy(h->method, http_methods[e], sizeof(h->method));
	rc = text_key(c, hc, prefix, "path", false, "/", h->path, &v);
	if (rc != 0)
		return rc;
	if (h->path[0] != '/') {
		sg_cfg_ctx_path(path, prefix, "path");
		return sg_cfg_ctx_fail(c, v, path, "must start with '/'");
	}
	rc = text_key(c, hc, prefix, "host", false, "", h->host, &v);
	if (rc == 0)
		rc = parse_status(c, hc, prefix, h);
	if (rc == 0)
		rc = text_key(c, hc, prefix, "body_match", true, "", h->body_match, &v);
	if (rc == 0)
		rc = text_key(c, hc, prefix, "ca_file", false, "", h->ca_file, &v);
	if (rc != 0)
		return rc;
	if (h->ca_file[0] != '\0' && h->ca_file[0] != '/') {
		sg_cfg_ctx_path(path, prefix, "ca_file");
		return sg_cfg_ctx_fail(c, v, path, "must be an absolute path");
	}
	return 0;
}

/* send and expect of a udp check. */
static int
parse_udp(struct sg_cfg_ctx *c, const struct sg_cfg_node *hc, const char *prefix,
	  struct sg_cfg_health_check *h)
{
	const struct sg_cfg_node *v;
	char path[SG_CFG_PATH_MAX];
	int rc;

	rc = text_key(c, hc, prefix, "send", true, "ping", h->send, &v);
	if (rc != 0)
		return rc;
	if (h->send[0] == '\0') {
		sg_cfg_ctx_path(path, prefix, "send");
		return sg_cfg_ctx_fail(c, v, path, "a udp check sends at least one byte");
	}
	return text_key(c, hc, prefix, "expect", true, "", h->expect, &v);
}

/* A key given for another check type. */
static int
check_typed_keys(struct sg_cfg_ctx *c, const struct sg_cfg_node *hc, const char *prefix,
		 enum sg_cfg_check_type t)
{
	char path[SG_CFG_PATH_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(typed_keys) / sizeof(typed_keys[0]); i++) {
		const struct sg_cfg_node *v = sg_cfg_node_get(hc, typed_keys[i].key);
		bool ok = (t == SG_CFG_CHECK_HTTP && typed_keys[i].http) ||
			  (t == SG_CFG_CHECK_HTTPS && typed_keys[i].https) ||
			  (t == SG_CFG_CHECK_UDP && typed_keys[i].udp);

		if (v != NULL && !ok) {
			sg_cfg_ctx_path(path, prefix, "%s", typed_keys[i].key);
			return sg_cfg_ctx_fail(c, v, path, "%s is for %s checks (this one is %s)",
					       typed_keys[i].key, typed_keys[i].types,
					       sg_cfg_check_type_name(t));
		}
	}
	return 0;
}

/* interval_ms, timeout_ms (default clipped below the interval), rise, fall. */
static int
parse_timing(struct sg_cfg_ctx *c, const struct sg_cfg_node *hc, const char *prefix,
	     struct sg_cfg_health_check *h)
{
	char path[SG_CFG_PATH_MAX];
	uint32_t def_timeout;
	int rc;

	rc = sg_cfg_ctx_u32(c, hc, prefix, "interval_ms", INTERVAL_MS_MIN, INTERVAL_MS_MAX,
			    DEF_INTERVAL_MS, &h->interval_ms);
	if (rc != 0)
		return rc;
	def_timeout = h->interval_ms > DEF_TIMEOUT_MS ? DEF_TIMEOUT_MS : h->interval_ms - 1;
	rc = sg_cfg_ctx_u32(c, hc, prefix, "timeout_ms", TIMEOUT_MS_MIN, INTERVAL_MS_MAX,
			    def_timeout, &h->timeout_ms);
	if (rc == 0 && h->timeout_ms >= h->interval_ms) {
		sg_cfg_ctx_path(path, prefix, "timeout_ms");
		return sg_cfg_ctx_fail(c, sg_cfg_node_get(hc, "timeout_ms"), path,
				       "%u is not below interval_ms %u", h->timeout_ms,
				       h->interval_ms);
	}
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, hc, prefix, "rise", 1, RISE_FALL_MAX, DEF_RISE, &h->rise);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, hc, prefix, "fall", 1, RISE_FALL_MAX, DEF_FALL, &h->fall);
	return rc;
}

static int
parse_check(struct sg_cfg_ctx *c, const struct sg_cfg_node *hc, const char *prefix,
	    struct sg_cfg_health_check *h)
{
	static const char *const keys[] = {"type",    "interval_ms", "timeout_ms", "rise",
					   "fall",    "port",	     "source",	   "method",
					   "path",    "host",	     "status",	   "body_match",
					   "ca_file", "send",	     "expect",	   NULL};
	const struct sg_cfg_node *v;
	char path[SG_CFG_PATH_MAX];
	unsigned int e;
	int rc;

	rc = sg_cfg_node_map(c->doc, hc, prefix, true, c->err);
	if (rc != 0 || sg_cfg_node_is_null(hc))
		return rc;
	rc = sg_cfg_node_check_keys(c->doc, hc, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_ctx_need(c, hc, prefix, "type", NULL, &rc);
	if (v == NULL)
		return rc;
	/* The table starts at "none", which is not written: skip it. */
	rc = sg_cfg_ctx_enum(c, hc, prefix, "type", sg_cfg_check_type_names + 1, 0, &e);
	if (rc != 0)
		return rc;
	h->type = (enum sg_cfg_check_type)(e + 1);
	rc = check_typed_keys(c, hc, prefix, h->type);
	if (rc == 0)
		rc = parse_timing(c, hc, prefix, h);
	if (rc == 0)
		rc = sg_cfg_ctx_u16(c, hc, prefix, "port", 0, 65535, 0, &h->port);
	if (rc != 0)
		return rc;
	v = sg_cfg_node_get(hc, "source");
	if (v != NULL) {
		sg_cfg_ctx_path(path, prefix, "source");
		rc = sg_cfg_ctx_unicast(c, v, path, &h->source);
		if (rc != 0)
			return rc;
	}
	if (h->type == SG_CFG_CHECK_HTTP || h->type == SG_CFG_CHECK_HTTPS)
		return parse_http(c, hc, prefix, h);
	if (h->type == SG_CFG_CHECK_UDP)
		return parse_udp(c, hc, prefix, h);
	return 0;
}

static int
parse_passive(struct sg_cfg_ctx *c, const struct sg_cfg_node *pn, const char *prefix,
	      struct sg_cfg_passive *ps)
{
	static const char *const keys[] = {"consecutive_failures", "ejection_s", "max_ejected_pct",
					   NULL};
	int rc;

	ps->consecutive_failures = DEF_PASSIVE_FAILS;
	ps->ejection_s = DEF_EJECTION_S;
	ps->max_ejected_pct = DEF_MAX_EJECTED;
	if (pn == NULL || sg_cfg_node_is_null(pn))
		return 0;
	rc = sg_cfg_node_map(c->doc, pn, prefix, true, c->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(c->doc, pn, prefix, keys, c->err);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, pn, prefix, "consecutive_failures", 0, PASSIVE_FAILS_MAX,
				    DEF_PASSIVE_FAILS, &ps->consecutive_failures);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, pn, prefix, "ejection_s", 1, EJECTION_S_MAX, DEF_EJECTION_S,
				    &ps->ejection_s);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, pn, prefix, "max_ejected_pct", 0, 100, DEF_MAX_EJECTED,
				    &ps->max_ejected_pct);
	return rc;
}

int
sg_cfg_parse_health(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, const char *prefix,
		    struct sg_cfg_pool *pool)
{
	const struct sg_cfg_node *v;
	char path[SG_CFG_PATH_MAX];
	int rc;

	memset(&pool->check, 0, sizeof(pool->check));
	v = sg_cfg_node_get(p, "health_check");
	if (v != NULL) {
		sg_cfg_ctx_path(path, prefix, "health_check");
		rc = parse_check(c, v, path, &pool->check);
		if (rc != 0)
			return rc;
	}
	sg_cfg_ctx_path(path, prefix, "passive");
	return parse_passive(c, sg_cfg_node_get(p, "passive"), path, &pool->passive);
}
