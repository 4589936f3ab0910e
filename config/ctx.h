/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctx.c: the context of one load of the appliance schema and the key
 * readers every section parser shares (not installed). Each helper returns
 * 0 or -EINVAL with the context's error filled ("file:line:col: key:
 * message"); the first error stops the load.
 */
#ifndef SG_CFG_CTX_H
#define SG_CFG_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_cfg.h"
#include "sg_cfg_doc.h"

/** Longest dotted key path (= sizeof(struct sg_cfg_error.key)). */
#define SG_CFG_PATH_MAX 128

/** One load: the document read, where errors go, the configuration built. */
struct sg_cfg_ctx {
	const struct sg_cfg_doc *doc;
	struct sg_cfg_error *err;
	struct sg_cfg *cfg;
};

/** @p out = @p prefix "." key, or @p prefix "[i]" when the key is "[i]". */
void sg_cfg_ctx_path(char out[SG_CFG_PATH_MAX], const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Fill the error at node @p n (NULL: no place) and return -EINVAL. */
int sg_cfg_ctx_fail(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *path,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/**
 * Value of required key @p key of @p map, or NULL with *rc = -EINVAL (error
 * at the map). @p path (may be NULL) receives the key's path either way.
 */
const struct sg_cfg_node *sg_cfg_ctx_need(struct sg_cfg_ctx *c, const struct sg_cfg_node *map,
					  const char *prefix, const char *key,
					  char path[SG_CFG_PATH_MAX], int *rc);

/** The entries of a list read before the current one, for duplicate names. */
struct sg_cfg_ctx_seen {
	const char *name0; /**< name of entry 0 */
	size_t stride;	   /**< bytes from one entry's name to the next one's */
	unsigned int n;	   /**< entries before the current one */
	const char *what;  /**< in messages: "port", "pool", "member", ... */
	const char *list;  /**< in messages: "appliance.ports", "pools", ... */
};

/**
 * The required "name" key of @p map into @p out: a valid name, not already
 * used by an entry of @p seen. @p path receives its key path. The name
 * node, or NULL with *rc set.
 */
const struct sg_cfg_node *sg_cfg_ctx_name(struct sg_cfg_ctx *c, const struct sg_cfg_node *map,
					  const char *prefix, char out[SG_CFG_NAME_MAX],
					  char path[SG_CFG_PATH_MAX],
					  const struct sg_cfg_ctx_seen *seen, int *rc);

/**
 * Optional list @p n (NULL or null: empty) of at most @p max entries: a new
 * zeroed array of n->n_items entries of @p size bytes (free()), or NULL
 * with *rc = 0 when the list is empty, -EINVAL or -ENOMEM.
 */
void *sg_cfg_ctx_list(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *path,
		      unsigned int max, size_t size, int *rc);

/** Optional integer key in [min, max]; @p def when absent. */
int sg_cfg_ctx_uint(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		    const char *key, uint64_t min, uint64_t max, uint64_t def, uint64_t *out);
/** As sg_cfg_ctx_uint() into a uint32_t. */
int sg_cfg_ctx_u32(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		   const char *key, uint32_t min, uint32_t max, uint32_t def, uint32_t *out);
/** As sg_cfg_ctx_uint() into a uint16_t. */
int sg_cfg_ctx_u16(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		   const char *key, uint16_t min, uint16_t max, uint16_t def, uint16_t *out);

/** Optional keyword of the NULL-terminated @p names; *out = its index, @p def when absent. */
int sg_cfg_ctx_enum(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		    const char *key, const char *const *names, unsigned int def, unsigned int *out);

/**
 * A range @p lo - @p hi read from node @p v: both within [@p min, @p max]
 * ("@p what must be within min..max") and not reversed.
 */
int sg_cfg_ctx_range(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path,
		     const char *what, unsigned long lo, unsigned long hi, unsigned long min,
		     unsigned long max);

/** Node @p v as a usable unicast host address of either family. */
int sg_cfg_ctx_unicast(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path,
		       struct sg_cfg_addr *out);

/** String @p s (read from @p v) is printable ASCII without spaces. */
int sg_cfg_ctx_printable(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path,
			 const char *s);

/** Optional boolean key; *out unchanged when absent. */
int sg_cfg_ctx_bool(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
		    const char *key, bool *out);

/**
 * Optional key @p key of @p map: an absolute path of printable ASCII without
 * spaces, at most @p outlen - 1 bytes; @p out unchanged when absent.
 */
int sg_cfg_ctx_abs_path(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
			const char *key, char *out, size_t outlen);

/** The addresses of a list's entries read before the current one, for duplicates. */
struct sg_cfg_ctx_seen_addr {
	const unsigned char *addr0; /**< the struct sg_cfg_addr of entry 0 */
	size_t stride;		    /**< bytes from one entry's address to the next one's */
	unsigned int n;		    /**< entries before the current one */
	const char *list;	    /**< in messages: "appliance.cluster.sync.peers", ... */
};

/** @p a (read from @p v) is not the address of an entry of @p seen. */
int sg_cfg_ctx_addr_unique(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path,
			   const struct sg_cfg_addr *a, const struct sg_cfg_ctx_seen_addr *seen);

/** @p v (read from node @p n, path @p path) is a power of two. */
int sg_cfg_ctx_pow2(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *path,
		    uint32_t v);

/** Optional map @p n (NULL or null: nothing to read) of the NULL-terminated @p keys. */
int sg_cfg_ctx_map(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		   const char *const *keys);

/**
 * Optional list @p key of @p map of at most @p max entries: its node, or
 * NULL (absent or null) with *rc 0, or NULL with *rc -EINVAL. @p path
 * receives the list's key path either way.
 */
const struct sg_cfg_node *sg_cfg_ctx_seq(struct sg_cfg_ctx *c, const struct sg_cfg_node *map,
					 const char *prefix, const char *key, unsigned int max,
					 char path[SG_CFG_PATH_MAX], int *rc);

/** The node of key @p k1 of @p map, else of @p k2: where an error about both points. */
const struct sg_cfg_node *sg_cfg_ctx_either(const struct sg_cfg_node *map, const char *k1,
					    const char *k2);

/** One optional integer key of a table read by sg_cfg_ctx_u32_table(). */
struct sg_cfg_ctx_u32_key {
	const char *key; /**< NULL ends the table */
	uint32_t min, max, def;
	size_t offset; /**< of its uint32_t field in the struct filled */
};

/** Each key of @p keys into the uint32_t at @p base + its offset (the default when absent). */
int sg_cfg_ctx_u32_table(struct sg_cfg_ctx *c, const struct sg_cfg_node *map, const char *prefix,
			 const struct sg_cfg_ctx_u32_key *keys, void *base);

/**
 * Entry @p p of a list of peers (path @p prefix): a map of @p keys with a
 * name unique in @p seen and a unicast "address" unique in @p seen_addr,
 * into @p name and @p addr. The address node, or NULL with *rc set.
 */
const struct sg_cfg_node *sg_cfg_ctx_peer(struct sg_cfg_ctx *c, const struct sg_cfg_node *p,
					  const char *prefix, const char *const *keys,
					  const struct sg_cfg_ctx_seen *seen,
					  const struct sg_cfg_ctx_seen_addr *seen_addr,
					  char name[SG_CFG_NAME_MAX], struct sg_cfg_addr *addr,
					  int *rc);

#endif /* SG_CFG_CTX_H */
