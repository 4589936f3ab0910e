/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Schema helpers over the node tree of reader.c: typed reads of scalars
 * with ranges, shape checks of maps and sequences, and key checks with a
 * "did you mean" for a misspelt key. Errors go through error.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "sg_cfg_doc.h"

/* "a.b" or "b" at the root, truncated to the size of err->key. */
static void
join_path(char *out, size_t size, const char *path, const char *key, size_t klen)
{
	if (klen > 63)
		klen = 63;
	if (path != NULL && path[0] != '\0')
		snprintf(out, size, "%s.%.*s", path, (int)klen, key);
	else
		snprintf(out, size, "%.*s", (int)klen, key);
}

/* Levenshtein distance of two short strings, capped; for "did you mean". */
static unsigned int
edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned int row[65];
	size_t i, j;

	if (la > 64 || lb > 64)
		return 1000;
	for (j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = (unsigned int)i;
		for (j = 1; j <= lb; j++) {
			unsigned int up = row[j];
			unsigned int best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

int
sg_cfg_node_check_keys(const struct sg_cfg_doc *doc, const struct sg_cfg_node *map,
		       const char *path, const char *const *allowed, struct sg_cfg_error *err)
{
	unsigned int i, j;

	if (map == NULL || map->type != SG_CFG_NODE_MAP) {
		sg_cfg_error_set(err, doc, map, path, "expected a map, found %s",
				 sg_cfg_node_type_name(map));
		return -EINVAL;
	}
	for (i = 0; i < map->n_items; i++) {
		const struct sg_cfg_node *k = map->key_nodes[i];
		const char *best = NULL;
		unsigned int best_d = 3;
		char kpath[sizeof(err->key)];
		char list[160] = "";
		size_t used = 0;

		for (j = 0; allowed[j] != NULL; j++) {
			if (strlen(allowed[j]) == k->len &&
			    memcmp(allowed[j], k->value, k->len) == 0)
				break;
		}
		if (allowed[j] != NULL)
			continue;
		join_path(kpath, sizeof(kpath), path, k->value, strnlen(k->value, k->len));
		for (j = 0; allowed[j] != NULL; j++) {
			unsigned int d =
				edit_distance(k->value, k->len, allowed[j], strlen(allowed[j]));
			int w;

			if (d < best_d) {
				best_d = d;
				best = allowed[j];
			}
			w = snprintf(list + used, sizeof(list) - used, "%s%s", j ? ", " : "",
				     allowed[j]);
			if (w < 0 || (size_t)w >= sizeof(list) - used)
				used = sizeof(list) - 1;
			else
				used += (size_t)w;
		}
		if (best != NULL)
			sg_cfg_error_set(err, doc, k, kpath, "unknown key; did you mean \"%s\"?",
					 best);
		else
			sg_cfg_error_set(err, doc, k, kpath, "unknown key (known keys: %s)", list);
		return -EINVAL;
	}
	return 0;
}

int
sg_cfg_node_map(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		bool null_ok, struct sg_cfg_error *err)
{
	if (n != NULL && n->type == SG_CFG_NODE_MAP)
		return 0;
	if (null_ok && sg_cfg_node_is_null(n))
		return 0;
	sg_cfg_error_set(err, doc, n, path, "expected a map of keys, found %s",
			 sg_cfg_node_is_null(n) ? "nothing" : sg_cfg_node_type_name(n));
	return -EINVAL;
}

int
sg_cfg_node_seq(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		unsigned int max, struct sg_cfg_error *err)
{
	if (n == NULL || n->type != SG_CFG_NODE_SEQ) {
		sg_cfg_error_set(err, doc, n, path, "expected a list, found %s",
				 sg_cfg_node_is_null(n) ? "nothing" : sg_cfg_node_type_name(n));
		return -EINVAL;
	}
	if (n->n_items > max) {
		sg_cfg_error_set(err, doc, n->items[max], path, "%u entries, over the limit of %u",
				 n->n_items, max);
		return -EINVAL;
	}
	return 0;
}

/* A scalar that is not null and holds no NUL byte. */
static int
need_scalar(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
	    const char *what, struct sg_cfg_error *err)
{
	if (n == NULL || n->type != SG_CFG_NODE_SCALAR) {
		sg_cfg_error_set(err, doc, n, path, "expected %s, found %s", what,
				 sg_cfg_node_type_name(n));
		return -EINVAL;
	}
	if (sg_cfg_node_is_null(n)) {
		sg_cfg_error_set(err, doc, n, path, "expected %s, found nothing (null)", what);
		return -EINVAL;
	}
	if (strlen(n->value) != n->len) {
		sg_cfg_error_set(err, doc, n, path, "expected %s, found a NUL character", what);
		return -EINVAL;
	}
	return 0;
}

int
sg_cfg_node_string(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		   char *out, size_t outlen, struct sg_cfg_error *err)
{
	int rc = need_scalar(doc, n, path, "a string", err);

	if (rc != 0)
		return rc;
	if (outlen == 0 || n->len >= outlen) {
		sg_cfg_error_set(err, doc, n, path, "string of %zu bytes is too long (at most %zu)",
				 n->len, outlen ? outlen - 1 : 0);
		return -EINVAL;
	}
	memcpy(out, n->value, n->len + 1);
	return 0;
}

int
sg_cfg_node_name(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		 char out[SG_CFG_NAME_MAX], struct sg_cfg_error *err)
{
	int rc = need_scalar(doc, n, path, "a name", err);
	size_t i;

	if (rc != 0)
		return rc;
	if (n->len == 0 || n->len >= SG_CFG_NAME_MAX) {
		sg_cfg_error_set(err, doc, n, path, "a name has 1 to %u characters, not %zu",
				 SG_CFG_NAME_MAX - 1, n->len);
		return -EINVAL;
	}
	for (i = 0; i < n->len; i++) {
		char c = n->value[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-')) {
			sg_cfg_error_set(err, doc, n, path,
					 "invalid character at position %zu of name \"%s\" (use "
					 "A-Z a-z 0-9 _ . -)",
					 i + 1, n->value);
			return -EINVAL;
		}
	}
	memcpy(out, n->value, n->len + 1);
	return 0;
}

int
sg_cfg_node_uint(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		 uint64_t min, uint64_t max, uint64_t *out, struct sg_cfg_error *err)
{
	uint64_t v = 0;
	size_t i;

	if (n == NULL || n->type != SG_CFG_NODE_SCALAR || n->quoted || sg_cfg_node_is_null(n) ||
	    n->len == 0 || strlen(n->value) != n->len)
		goto bad;
	if (n->len > 1 && n->value[0] == '0') {
		sg_cfg_error_set(err, doc, n, path,
				 "\"%.32s\": write the number in decimal without leading zeros",
				 n->value);
		return -EINVAL;
	}
	for (i = 0; i < n->len; i++) {
		unsigned int d = (unsigned char)n->value[i] - '0';

		if (d > 9)
			goto bad;
		if (v > (UINT64_MAX - d) / 10)
			goto range;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		goto range;
	*out = v;
	return 0;
range:
	sg_cfg_error_set(err, doc, n, path, "%.32s%s is out of range %ju..%ju", n->value,
			 n->len > 32 ? "..." : "", (uintmax_t)min, (uintmax_t)max);
	return -EINVAL;
bad:
	if (n != NULL && n->type == SG_CFG_NODE_SCALAR && n->quoted)
		sg_cfg_error_set(err, doc, n, path,
				 "expected an integer %ju..%ju, found a quoted string (remove the "
				 "quotes)",
				 (uintmax_t)min, (uintmax_t)max);
	else if (n != NULL && n->type == SG_CFG_NODE_SCALAR && !sg_cfg_node_is_null(n))
		sg_cfg_error_set(err, doc, n, path, "expected an integer %ju..%ju, found \"%.32s\"",
				 (uintmax_t)min, (uintmax_t)max, n->value);
	else
		sg_cfg_error_set(err, doc, n, path, "expected an integer %ju..%ju, found %s",
				 (uintmax_t)min, (uintmax_t)max,
				 sg_cfg_node_is_null(n) ? "nothing" : sg_cfg_node_type_name(n));
	return -EINVAL;
}

int
sg_cfg_node_bool(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		 bool *out, struct sg_cfg_error *err)
{
	static const char *const yes[] = {"true", "True", "TRUE", NULL};
	static const char *const no[] = {"false", "False", "FALSE", NULL};
	unsigned int i;

	if (n != NULL && n->type == SG_CFG_NODE_SCALAR && !n->quoted) {
		for (i = 0; yes[i] != NULL; i++) {
			if (strcmp(n->value, yes[i]) == 0 && n->len == strlen(yes[i])) {
				*out = true;
				return 0;
			}
			if (strcmp(n->value, no[i]) == 0 && n->len == strlen(no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	if (n != NULL && n->type == SG_CFG_NODE_SCALAR && !sg_cfg_node_is_null(n))
		sg_cfg_error_set(err, doc, n, path, "expected true or false, found %s\"%.32s\"",
				 n->quoted ? "a quoted " : "", n->value);
	else
		sg_cfg_error_set(err, doc, n, path, "expected true or false, found %s",
				 sg_cfg_node_is_null(n) ? "nothing" : sg_cfg_node_type_name(n));
	return -EINVAL;
}

int
sg_cfg_node_addr(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		 bool allow_prefix, struct sg_cfg_addr *out, struct sg_cfg_error *err)
{
	const char *what = allow_prefix ? "an IP address with optional /prefix" : "an IP address";
	char why[96];
	int rc = need_scalar(doc, n, path, what, err);

	if (rc != 0)
		return rc;
	rc = sg_cfg_addr_parse(n->value, allow_prefix, out, why, sizeof(why));
	if (rc != 0) {
		sg_cfg_error_set(err, doc, n, path, "\"%.64s\" is not %s: %s", n->value, what, why);
		return rc;
	}
	return 0;
}

int
sg_cfg_node_enum(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n, const char *path,
		 const char *const *names, unsigned int *out, struct sg_cfg_error *err)
{
	char list[160] = "";
	size_t used = 0;
	unsigned int i;
	int rc = need_scalar(doc, n, path, "a keyword", err);

	if (rc == 0) {
		for (i = 0; names[i] != NULL; i++) {
			if (strcmp(names[i], n->value) == 0) {
				*out = i;
				return 0;
			}
		}
	}
	for (i = 0; names[i] != NULL; i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? " | " : "",
				 names[i]);

		if (w < 0 || (size_t)w >= sizeof(list) - used)
			break;
		used += (size_t)w;
	}
	if (rc == 0)
		sg_cfg_error_set(err, doc, n, path, "\"%.32s\" is not one of %s", n->value, list);
	else
		sg_cfg_error_set(err, doc, n, path, "expected one of %s, found %s", list,
				 sg_cfg_node_is_null(n) ? "nothing" : sg_cfg_node_type_name(n));
	return -EINVAL;
}
