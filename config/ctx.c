/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The context of one load of the appliance schema: key paths, errors at a
 * node, and the readers of required and optional keys that every section
 * parser (appliance.c, ports.c, control.c, nat.c, pools.c, vs.c,
 * brokered.c) shares.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctx.h"

void
sg_cfg_ctx_path(char out[SG_CFG_PATH_MAX], const char *prefix, const char *fmt, ...)
{
	char tail[SG_CFG_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	if (prefix[0] == '\0' || tail[0] == '[')
		snprintf(out, SG_CFG_PATH_MAX, "%.64s%.63s", prefix, tail);
	else
		snprintf(out, SG_CFG_PATH_MAX, "%.64s.%.62s", prefix, tail);
}

int
sg_cfg_ctx_fail(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *path,
		const char *fmt, ...)
{
	va_list ap;

	if (c->err == NULL)
		return -EINVAL;
	sg_cfg_error_set(c->err, c->doc, n, path, "%s", "");
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const struct sg_cfg_node *
sg_cfg_ctx_need(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		const char *key, char path[SG_CFG_PATH_MAX], int *rc)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char own[SG_CFG_PATH_MAX];

	if (path == NULL)
		path = own;
	sg_cfg_ctx_path(path, prefix, "%s", key);
	*rc = v == NULL ? sg_cfg_ctx_fail(c, map, path, "required key is missing") : 0;
	return v;
}

const struct sg_cfg_node *
sg_cfg_ctx_name(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		char out[SG_CFG_NAME_MAX], char path[SG_CFG_PATH_MAX],
		const struct sg_cfg_ctx_seen *seen, int *rc)
{
	const struct sg_cfg_node *v = sg_cfg_ctx_need(c, map, prefix, "name", path, rc);
	unsigned int j;

	if (v == NULL)
		return NULL;
	*rc = sg_cfg_node_name(c->doc, v, path, out, c->err);
	if (*rc != 0)
		return NULL;
	for (j = 0; j < seen->n; j++) {
		if (strcmp(seen->name0 + j * seen->stride, out) == 0) {
			*rc = sg_cfg_ctx_fail(c, v, path, "duplicate %s name \"%s\" (also %s[%u])",
					      seen->what, out, seen->list, j);
			return NULL;
		}
	}
	return v;
}

void *
sg_cfg_ctx_list(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *path,
		unsigned int max, size_t size, int *rc)
{
	void *items;

	*rc = 0;
	if (n == NULL || sg_cfg_node_is_null(n))
		return NULL;
	*rc = sg_cfg_node_seq(c->doc, n, path, max, c->err);
	if (*rc != 0 || n->n_items == 0)
		return NULL;
	items = calloc(n->n_items, size);
	if (items == NULL)
		*rc = -ENOMEM;
	return items;
}

int
sg_cfg_ctx_uint(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		const char *key, uint64_t min, uint64_t max, uint64_t def, uint64_t *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[SG_CFG_PATH_MAX];

	if (v == NULL) {
		*out = def;
		return 0;
	}
	sg_cfg_ctx_path(path, prefix, "%s", key);
	return sg_cfg_node_uint(c->doc, v, path, min, max, out, c->err);
}

int
sg_cfg_ctx_u32(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
	       const char *key, uint32_t min, uint32_t max, uint32_t def, uint32_t *out)
{
	uint64_t v;
	int rc = sg_cfg_ctx_uint(c, map, prefix, key, min, max, def, &v);

	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

int
sg_cfg_ctx_u16(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
	       const char *key, uint16_t min, uint16_t max, uint16_t def, uint16_t *out)
{
	uint32_t v = def;
	int rc = sg_cfg_ctx_u32(c, map, prefix, key, min, max, def, &v);

	*out = (uint16_t)v; /* def again on an error, which stops the load */
	return rc;
}

int
sg_cfg_ctx_enum(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		const char *key, const char *const *names, unsigned int def, unsigned int *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[SG_CFG_PATH_MAX];

	if (v == NULL) {
		*out = def;
		return 0;
	}
	sg_cfg_ctx_path(path, prefix, "%s", key);
	return sg_cfg_node_enum(c->doc, v, path, names, out, c->err);
}

int
sg_cfg_ctx_range(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path,
		 const char *what, unsigned long lo, unsigned long hi, unsigned long min,
		 unsigned long max)
{
	if (lo < min || lo > max || hi < min || hi > max)
		return sg_cfg_ctx_fail(c, v, path, "%s must be within %lu..%lu", what, min, max);
	if (lo > hi)
		return sg_cfg_ctx_fail(c, v, path, "range %lu-%lu is reversed; write %lu-%lu", lo,
				       hi, hi, lo);
	return 0;
}

int
sg_cfg_ctx_unicast(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path,
		   struct sg_cfg_addr *out)
{
	const char *why;
	int rc = sg_cfg_node_addr(c->doc, v, path, false, out, c->err);

	if (rc != 0)
		return rc;
	why = sg_cfg_addr_not_unicast(out);
	if (why != NULL)
		return sg_cfg_ctx_fail(c, v, path, "%s %s; a unicast host address is needed",
				       v->value, why);
	return 0;
}

int
sg_cfg_ctx_printable(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path,
		     const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f)
			return sg_cfg_ctx_fail(
				c, v, path,
				"must be printable ASCII without spaces or control characters");
	}
	return 0;
}

int
sg_cfg_ctx_bool(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		const char *key, bool *out)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[SG_CFG_PATH_MAX];

	if (v == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "%s", key);
	return sg_cfg_node_bool(c->doc, v, path, out, c->err);
}

int
sg_cfg_ctx_abs_path(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		    const char *key, char *out, size_t outlen)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);
	char path[SG_CFG_PATH_MAX];
	int rc;

	if (v == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "%s", key);
	rc = sg_cfg_node_string(c->doc, v, path, out, outlen, c->err);
	if (rc != 0)
		return rc;
	if (out[0] != '/')
		return sg_cfg_ctx_fail(c, v, path, "must be an absolute path, not \"%.64s\"", out);
	return sg_cfg_ctx_printable(c, v, path, out);
}

int
sg_cfg_ctx_addr_unique(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path,
		       const struct sg_cfg_addr *a, const struct sg_cfg_ctx_seen_addr *seen)
{
	unsigned int j;

	for (j = 0; j < seen->n; j++) {
		const struct sg_cfg_addr *b =
			(const struct sg_cfg_addr *)(const void *)(seen->addr0 + j * seen->stride);

		if (sg_cfg_addr_equal(a, b))
			return sg_cfg_ctx_fail(c, v, path, "duplicate address %s (also %s[%u])",
					       v->value, seen->list, j);
	}
	return 0;
}

int
sg_cfg_ctx_pow2(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *path, uint32_t v)
{
	if (v != 0 && (v & (v - 1)) == 0)
		return 0;
	return sg_cfg_ctx_fail(c, n, path, "%u is not a power of two", v);
}

int
sg_cfg_ctx_map(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	       const char *const *keys)
{
	int rc;

	if (n == NULL || sg_cfg_node_is_null(n))
		return 0;
	rc = sg_cfg_node_map(c->doc, n, prefix, true, c->err);
	return rc != 0 ? rc : sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
}

const struct sg_cfg_node *
sg_cfg_ctx_seq(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
	       const char *key, unsigned int max, char path[SG_CFG_PATH_MAX], int *rc)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, key);

	sg_cfg_ctx_path(path, prefix, "%s", key);
	*rc = 0;
	if (v == NULL || sg_cfg_node_is_null(v))
		return NULL;
	*rc = sg_cfg_node_seq(c->doc, v, path, max, c->err);
	return *rc == 0 ? v : NULL;
}

const struct sg_cfg_node *
sg_cfg_ctx_either(const struct sg_cfg_node *map, const char *k1, const char *k2)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(map, k1);

	return v != NULL ? v : sg_cfg_node_get(map, k2);
}

int
sg_cfg_ctx_u32_table(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		     const struct sg_cfg_ctx_u32_key *keys, void *base)
{
	int rc = 0;

	for (; rc == 0 && keys->key != NULL; keys++)
		rc = sg_cfg_ctx_u32(c, map, prefix, keys->key, keys->min, keys->max, keys->def,
				    (uint32_t *)(void *)((char *)base + keys->offset));
	return rc;
}

const struct sg_cfg_node *
sg_cfg_ctx_peer(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, const char *prefix,
		const char *const *keys, const struct sg_cfg_ctx_seen *seen,
		const struct sg_cfg_ctx_seen_addr *seen_addr, char name[SG_CFG_NAME_MAX],
		struct sg_cfg_addr *addr, int *rc)
{
	char path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v;

	*rc = sg_cfg_node_map(c->doc, p, prefix, false, c->err);
	if (*rc == 0)
		*rc = sg_cfg_node_check_keys(c->doc, p, prefix, keys, c->err);
	if (*rc != 0 || sg_cfg_ctx_name(c, p, prefix, name, path, seen, rc) == NULL)
		return NULL;
	v = sg_cfg_ctx_need(c, p, prefix, "address", path, rc);
	if (v != NULL)
		*rc = sg_cfg_ctx_unicast(c, v, path, addr);
	if (*rc == 0)
		*rc = sg_cfg_ctx_addr_unique(c, v, path, addr, seen_addr);
	return *rc == 0 ? v : NULL;
}
