/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A small etcd v3 client over etcd's HTTP/JSON gateway (libcurl, jansson),
 * shared by sg-control and sgid (doc/cluster.md). etcd is the cluster-wide
 * source of truth for what several appliances must agree on; each
 * appliance's LMDB follows it through a watch.
 *
 * Calls are synchronous with a bounded timeout and try the endpoints in
 * turn (the next one on a connection error or a 5xx); a watch is driven by
 * the caller's libevent base and reconnects by itself from the last
 * revision it delivered. Keys and values are byte strings (base64 on the
 * gateway, never seen by the caller). Every answer is parsed as hostile:
 * sizes bounded (SG_ETCD_VALUE_MAX, SG_ETCD_RANGE_MAX), types checked.
 *
 * The key layout under the configured prefix is the format of
 * include/sessiongate/sg_cluster_keys.h.
 */
#ifndef SG_ETCD_H
#define SG_ETCD_H

#include <stddef.h>
#include <stdint.h>

#define SG_ETCD_ENDPOINTS_MAX 8
#define SG_ETCD_KEY_MAX	      512
#define SG_ETCD_VALUE_MAX     (64 * 1024)
#define SG_ETCD_RANGE_MAX     100000 /**< keys one range call returns at most */

struct sg_etcd;
struct sg_etcd_watch;
struct event_base;

struct sg_etcd_opts {
	const char *endpoints[SG_ETCD_ENDPOINTS_MAX]; /**< "http://198.18.9.10:2379" */
	unsigned int n_endpoints;
	unsigned int timeout_ms; /**< per request; default 1000 */
	const char *ca_file;	 /**< https endpoints: verify against it (NULL: system) */
	const char *cert_file;	 /**< client certificate (NULL: none) */
	const char *key_file;
};

/** @return a client, or NULL with a message in @p err. No request is made. */
struct sg_etcd *sg_etcd_new(const struct sg_etcd_opts *o, char *err, size_t errlen);
void sg_etcd_free(struct sg_etcd *c);
/** The last error's text (endpoint, HTTP status or curl error, gateway message). */
const char *sg_etcd_error(const struct sg_etcd *c);

/** Put @p key = @p val, attached to @p lease (0: none). @return 0 or -errno. */
int sg_etcd_put(struct sg_etcd *c, const char *key, const void *val, size_t len, int64_t lease);
/**
 * Create @p key only if it does not exist (a transaction on
 * create_revision == 0). @return 0 created, -EEXIST, or -errno.
 */
int sg_etcd_create(struct sg_etcd *c, const char *key, const void *val, size_t len, int64_t lease);
/**
 * Get @p key: *val is malloc'd (NUL-terminated beyond *len; free()).
 * @return 0, -ENOENT, or -errno. @p mod_rev may be NULL.
 */
int sg_etcd_get(struct sg_etcd *c, const char *key, char **val, size_t *len, int64_t *mod_rev);
/** Delete @p key (absent is fine). @return 0 or -errno. */
int sg_etcd_delete(struct sg_etcd *c, const char *key);

/** One key of a range or a watch event. */
struct sg_etcd_kv {
	const char *key;
	size_t key_len;
	const char *val; /**< NULL for a delete event */
	size_t val_len;
	int64_t mod_rev;
	int64_t lease;
};

typedef void (*sg_etcd_kv_cb)(const struct sg_etcd_kv *kv, void *arg);

/**
 * Every key under @p prefix (bounded by SG_ETCD_RANGE_MAX, paged), each
 * passed to @p cb; *rev (may be NULL) is the store revision of the read,
 * from which a watch continues. @return keys read, or -errno.
 */
long sg_etcd_range(struct sg_etcd *c, const char *prefix, sg_etcd_kv_cb cb, void *arg,
		   int64_t *rev);

/** Grant a lease of @p ttl_s seconds. @return 0 or -errno. */
int sg_etcd_lease_grant(struct sg_etcd *c, unsigned int ttl_s, int64_t *id);
/** Refresh @p id. @return 0, -ENOENT (expired: its keys are gone), -errno. */
int sg_etcd_lease_keepalive(struct sg_etcd *c, int64_t id);
int sg_etcd_lease_revoke(struct sg_etcd *c, int64_t id);

/**
 * Watch every key under @p prefix from revision @p start_rev (0: now) on
 * @p base: @p cb gets each put (val set) and delete (val NULL) in revision
 * order. On a broken stream it reconnects (backoff up to 1 s) from the
 * revision after the last one delivered; when etcd compacted past it,
 * @p resync is called (the caller reads the range again).
 */
struct sg_etcd_watch *sg_etcd_watch_start(struct sg_etcd *c, struct event_base *base,
					  const char *prefix, int64_t start_rev, sg_etcd_kv_cb cb,
					  void (*resync)(void *arg), void *arg);
void sg_etcd_watch_stop(struct sg_etcd_watch *w);

#endif /* SG_ETCD_H */
