/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The key-value and lease calls over the gateway: /v3/kv/put, range, txn,
 * deleterange and /v3/lease/grant, keepalive, revoke. Requests are built
 * with jansson; int64 travel as JSON strings, keys and values as base64.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_int.h"

static int
check_key(struct sg_etcd *c, const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > SG_ETCD_KEY_MAX) {
		sg_etcd_set_error(c, "etcd: key of %zu bytes (1 to %u)", n, SG_ETCD_KEY_MAX);
		return -ENAMETOOLONG;
	}
	return 0;
}

static json_t *
int_str(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

/* {"key": b64, "value": b64, "lease": "N"} (a put request) */
static json_t *
put_req(struct sg_etcd *c, const char *key, const void *val, size_t len, int64_t lease)
{
	json_t *o;

	if (check_key(c, key) < 0)
		return NULL;
	if (len > SG_ETCD_VALUE_MAX) {
		sg_etcd_set_error(c, "etcd: value of %zu bytes for %.64s (at most %u)", len, key,
				  SG_ETCD_VALUE_MAX);
		return NULL;
	}
	o = json_object();
	json_object_set_new(o, "key", sg_etcd_b64(key, strlen(key)));
	json_object_set_new(o, "value", sg_etcd_b64(val, len));
	if (lease != 0)
		json_object_set_new(o, "lease", int_str(lease));
	if (json_object_size(o) != (lease != 0 ? 3u : 2u)) {
		json_decref(o);
		sg_etcd_set_error(c, "etcd: out of memory");
		return NULL;
	}
	return o;
}

int
sg_etcd_put(struct sg_etcd *c, const char *key, const void *val, size_t len, int64_t lease)
{
	json_t *req = put_req(c, key, val, len, lease), *resp;
	int rc;

	if (req == NULL)
		return check_key(c, key) < 0 ? -ENAMETOOLONG : -EMSGSIZE;
	rc = sg_etcd_call(c, "/v3/kv/put", req, &resp);
	json_decref(resp);
	return rc;
}

int
sg_etcd_create(struct sg_etcd *c, const char *key, const void *val, size_t len, int64_t lease)
{
	json_t *put = put_req(c, key, val, len, lease), *resp, *ok;
	int rc;

	if (put == NULL)
		return check_key(c, key) < 0 ? -ENAMETOOLONG : -EMSGSIZE;
	rc = sg_etcd_call(c, "/v3/kv/txn",
			  json_pack("{s:[{s:s,s:s,s:O,s:s}],s:[{s:o}]}", "compare", "target",
				    "CREATE", "result", "EQUAL", "key", json_object_get(put, "key"),
				    "create_revision", "0", "success", "request_put", put),
			  &resp);
	if (rc < 0)
		return rc;
	ok = json_object_get(resp, "succeeded");
	if (ok != NULL && !json_is_boolean(ok)) {
		sg_etcd_set_error(c, "etcd: txn answer's succeeded is not a boolean");
		rc = -EPROTO;
	} else if (!json_is_true(ok)) {
		sg_etcd_set_error(c, "etcd: %.200s exists", key);
		rc = -EEXIST;
	}
	json_decref(resp);
	return rc;
}

/* The "kvs" array of a range answer in *kvs (absent: none). @return its size or -EPROTO. */
static long
kvs_of(struct sg_etcd *c, const json_t *resp, const json_t **kvs)
{
	*kvs = json_object_get(resp, "kvs");
	if (*kvs == NULL)
		return 0;
	if (!json_is_array(*kvs)) {
		sg_etcd_set_error(c, "etcd: range answer's kvs is not an array");
		return -EPROTO;
	}
	return (long)json_array_size(*kvs);
}

int
sg_etcd_get(struct sg_etcd *c, const char *key, char **val, size_t *len, int64_t *mod_rev)
{
	const json_t *kvs;
	struct sg_etcd_kv kv;
	char *k = NULL;
	json_t *resp;
	long n;
	int rc;

	*val = NULL;
	if ((rc = check_key(c, key)) < 0)
		return rc;
	rc = sg_etcd_call(c, "/v3/kv/range",
			  json_pack("{s:o}", "key", sg_etcd_b64(key, strlen(key))), &resp);
	if (rc < 0)
		return rc;
	n = kvs_of(c, resp, &kvs);
	if (n < 0 || n > 1) {
		sg_etcd_set_error(c, "etcd: range answer for %.200s malformed", key);
		rc = -EPROTO;
	} else if (n == 0) {
		sg_etcd_set_error(c, "etcd: %.200s not found", key);
		rc = -ENOENT;
	} else if ((rc = sg_etcd_kv_parse(json_array_get(kvs, 0), true, &kv, &k, val)) < 0) {
		sg_etcd_set_error(c, "etcd: range answer for %.200s malformed", key);
	} else if (kv.key_len != strlen(key) || memcmp(k, key, kv.key_len) != 0) {
		sg_etcd_set_error(c, "etcd: range answer for %.200s holds another key", key);
		free(*val);
		*val = NULL;
		rc = -EPROTO;
	} else {
		*len = kv.val_len;
		if (mod_rev != NULL)
			*mod_rev = kv.mod_rev;
	}
	free(k);
	json_decref(resp);
	return rc;
}

/* Deliver one page of a range. @return keys delivered or -EPROTO; *last the last key. */
static long
range_page(struct sg_etcd *c, const json_t *kvs, long n, const char *prefix, sg_etcd_kv_cb cb,
	   void *arg, char *last, size_t *last_len)
{
	struct sg_etcd_kv kv;
	char *k, *v;
	long i;

	for (i = 0; i < n; i++) {
		if (sg_etcd_kv_parse(json_array_get(kvs, (size_t)i), true, &kv, &k, &v) < 0) {
			sg_etcd_set_error(c, "etcd: range answer's key %ld malformed", i);
			return -EPROTO;
		}
		if (kv.key_len < strlen(prefix) || memcmp(k, prefix, strlen(prefix)) != 0) {
			sg_etcd_set_error(
				c, "etcd: range answer holds another key (%ld, not under %.200s)",
				i, prefix);
			free(k);
			free(v);
			return -EPROTO;
		}
		memcpy(last, k, kv.key_len);
		*last_len = kv.key_len;
		cb(&kv, arg);
		free(k);
		free(v);
	}
	return n;
}

long
sg_etcd_range(struct sg_etcd *c, const char *prefix, sg_etcd_kv_cb cb, void *arg, int64_t *rev)
{
	char from[SG_ETCD_KEY_MAX + 2], end[SG_ETCD_KEY_MAX + 2];
	size_t plen = strlen(prefix), from_len = plen, end_len, last_len = 0;
	int64_t at = 0, got_rev;
	long total = 0, n;
	const json_t *kvs;
	json_t *req, *resp;
	bool more = true;
	int rc;

	if (plen > SG_ETCD_KEY_MAX)
		return check_key(c, prefix);
	memcpy(from, prefix, plen);
	end_len = sg_etcd_prefix_end(prefix, plen, end);
	while (more) {
		if (total >= SG_ETCD_RANGE_MAX) {
			sg_etcd_set_error(c, "etcd: more than %d keys under %.200s",
					  SG_ETCD_RANGE_MAX, prefix);
			return -E2BIG;
		}
		req = json_pack("{s:o,s:o,s:o}", "key", sg_etcd_b64(from, from_len), "range_end",
				sg_etcd_b64(end, end_len), "limit", int_str(SG_ETCD_PAGE_KEYS));
		if (req != NULL && at != 0) /* later pages: the first page's snapshot */
			json_object_set_new(req, "revision", int_str(at));
		rc = sg_etcd_call(c, "/v3/kv/range", req, &resp);
		if (rc < 0)
			return rc;
		n = kvs_of(c, resp, &kvs);
		more = json_is_true(json_object_get(resp, "more"));
		if (n >= 0 &&
		    (sg_etcd_int(json_object_get(resp, "header"), "revision", &got_rev) < 0 ||
		     got_rev <= 0 || n > SG_ETCD_PAGE_KEYS || (more && n == 0))) {
			sg_etcd_set_error(c, "etcd: range answer under %.200s malformed", prefix);
			n = -EPROTO;
		}
		if (n >= 0)
			n = range_page(c, kvs, n, prefix, cb, arg, from, &last_len);
		json_decref(resp);
		if (n < 0)
			return n;
		if (at == 0)
			at = got_rev;
		total += n;
		if (more) { /* the next page starts after the last key: last + "\0" */
			if (last_len + 1 > SG_ETCD_KEY_MAX + 1)
				return -EPROTO;
			from[last_len] = '\0';
			from_len = last_len + 1;
		}
	}
	if (rev != NULL)
		*rev = at;
	return total;
}

int
sg_etcd_delete(struct sg_etcd *c, const char *key)
{
	json_t *resp;
	int rc;

	if ((rc = check_key(c, key)) < 0)
		return rc;
	rc = sg_etcd_call(c, "/v3/kv/deleterange",
			  json_pack("{s:o}", "key", sg_etcd_b64(key, strlen(key))), &resp);
	json_decref(resp);
	return rc;
}
