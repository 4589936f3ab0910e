/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/etcd internals shared by its files: the client (client.c: requests,
 * endpoint failover, base64, answer parsing) under the key-value and lease
 * calls (kv.c) and the watch (watch.c). Not installed.
 */
#ifndef SG_ETCD_INT_H
#define SG_ETCD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "sg_etcd.h"

/** An answer's body is bounded: a larger one is an error (-EMSGSIZE). */
#define SG_ETCD_BODY_MAX (16u * 1024 * 1024)
/** Keys one range page asks for (page bodies stay under SG_ETCD_BODY_MAX). */
#define SG_ETCD_PAGE_KEYS 128
#define SG_ETCD_ERR_MAX	  256

struct sg_etcd {
	char *endpoints[SG_ETCD_ENDPOINTS_MAX];
	unsigned int n_endpoints;
	unsigned int cur; /**< the endpoint that answered last */
	unsigned int timeout_ms;
	char *ca_file, *cert_file, *key_file;
	CURL *easy; /**< sync calls: one handle, its connections kept */
	char err[SG_ETCD_ERR_MAX];
};

/** Set @p c's error text (printf-style). */
void sg_etcd_set_error(struct sg_etcd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Common options of every handle: TLS files, no proxy, no signals. */
void sg_etcd_curl_common(const struct sg_etcd *c, CURL *e);

/**
 * POST @p req (consumed) to @p path on the endpoints in turn (the next one
 * on a connection error, timeout or 5xx). @return 0 with *resp a JSON
 * object (json_decref it), or -errno: -ENOENT (gRPC NOT_FOUND),
 * -EINVAL (INVALID_ARGUMENT), -ERANGE (compacted), -ETIMEDOUT,
 * -ECONNREFUSED (no endpoint answered), -EMSGSIZE (body too large),
 * -EPROTO (not a JSON object), -EIO (another HTTP error).
 */
int sg_etcd_call(struct sg_etcd *c, const char *path, json_t *req, json_t **resp);

/** @return a JSON string of @p len bytes base64-encoded, or NULL. */
json_t *sg_etcd_b64(const void *p, size_t len);
/**
 * Decode base64 @p s into a malloc'd buffer (NUL after *len), at most
 * @p max bytes. @return 0, -EPROTO (not base64 or too long), -ENOMEM.
 */
int sg_etcd_unb64(const char *s, size_t max, char **out, size_t *len);

/**
 * An int64 field of @p o (a JSON string of digits, or a number; absent is
 * 0, proto3's default). @return 0 or -EPROTO (another type, not a number).
 */
int sg_etcd_int(const json_t *o, const char *field, int64_t *v);

/**
 * Parse a key-value object of an answer ("key", "value", "mod_revision",
 * "lease") into @p kv, its bytes malloc'd in *key / *val (free() both).
 * @p with_value false: a delete event (val NULL). @return 0, -EPROTO.
 */
int sg_etcd_kv_parse(const json_t *o, bool with_value, struct sg_etcd_kv *kv, char **key,
		     char **val);

/**
 * The end of the range of every key starting with @p prefix (the prefix
 * with its last byte below 0xff incremented; "\0" for every key).
 * @return its length (written to @p end, at least SG_ETCD_KEY_MAX + 1 bytes).
 */
size_t sg_etcd_prefix_end(const char *prefix, size_t len, char *end);

#endif /* SG_ETCD_INT_H */
