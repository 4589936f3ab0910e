/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sessiongate identity manager (library sgid): generator, registry, handle
 * resolution (containment tree and relationship graph) over an LMDB store.
 * doc/identity.md describes the format, namespaces and durability.
 *
 * Concurrency: one writer process, many reader processes (LMDB). A struct
 * sg_id_store is used by one thread at a time (serialise calls on a shared
 * handle); open the store once per process (a second open of the same
 * directory returns -EBUSY) and never use a handle in a forked child
 * (-ECHILD): open a new one there.
 *
 * Every function returns 0 (or a count where stated) or a negative errno.
 * Common to all store calls:
 *  - -EINVAL   a NULL or out-of-range argument;
 *  - -ECHILD   the handle was opened before a fork();
 *  - -EIO      LMDB reported corruption or an internal failure (logged);
 *  - -ENOMEM   out of memory.
 * Write calls additionally return:
 *  - -EROFS    store opened with SG_ID_OPEN_RDONLY;
 *  - -ENOSPC   the map could not grow (opts.map_max reached or disk full).
 * After a failure sg_id_store_errmsg() gives a one-line explanation.
 */
#ifndef SG_IDMGR_H
#define SG_IDMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sessiongate/sg_id.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bounds; inputs past them are rejected. */
#define SG_ID_NAME_MAX	     253 /**< bytes of an object name (without NUL) */
#define SG_ID_NS_NAME_MAX    15	 /**< bytes of a namespace name */
#define SG_ID_TYPE_NAME_MAX  15	 /**< bytes of a type name */
#define SG_ID_HANDLE_MAX     (SG_ID_NS_NAME_MAX + SG_ID_TYPE_NAME_MAX + SG_ID_NAME_MAX + 2)
#define SG_ID_TEXT_MAX	     40	    /**< "type#serial" text incl. NUL */
#define SG_ID_ATTR_KEY_MAX   64	    /**< bytes of an attribute key: [a-z0-9_.-] */
#define SG_ID_ATTR_VALUE_MAX 4096   /**< bytes of an attribute value (no NUL) */
#define SG_ID_ATTRS_MAX	     64	    /**< attributes per object */
#define SG_ID_DEPTH_MAX	     64	    /**< containment tree depth */
#define SG_ID_REL_DEPTH_MAX  16	    /**< hops of a relationship query */
#define SG_ID_BATCH_MAX	     100000 /**< objects per sg_id_register_many() call */

/* ------------------------------------------------------------------------ */
/* Namespaces, types and handles (no store needed)                          */

/** Namespaces; each has its own name syntax (doc/identity.md). */
enum sg_id_ns {
	SG_ID_NS_NONE = 0,
	SG_ID_NS_INFRA = 1,   /**< dc..lun: RFC 1123 host names, lower case */
	SG_ID_NS_USER = 2,    /**< users: local-part[@domain] */
	SG_ID_NS_APP = 3,     /**< app, vapp, domain, component: [A-Za-z0-9][A-Za-z0-9_.:-]* */
	SG_ID_NS_SP = 4,      /**< service providers: [a-z][a-z0-9-]*, <= 32 */
	SG_ID_NS_SESSION = 5, /**< temporary IDs: the decimal serial */
	SG_ID_NS_LAST = SG_ID_NS_SESSION,
};

/** A parsed handle "namespace/type/suffix". */
struct sg_id_handle {
	uint8_t ns;		       /**< enum sg_id_ns */
	uint8_t type;		       /**< enum sg_id_type */
	uint16_t name_len;	       /**< bytes in name */
	char name[SG_ID_NAME_MAX + 1]; /**< NUL-terminated suffix */
	uint64_t id; /**< SG_ID_NS_SESSION only: the ID the handle names; else 0 */
};

/** Type name ("vm", "host", "stream", ...) or NULL for an unknown code. */
const char *sg_id_type_name(unsigned int type);
/** Type code for a name; -EINVAL if unknown. */
int sg_id_type_from_name(const char *name);
/** Namespace name ("infra", ...) or NULL. */
const char *sg_id_ns_name(unsigned int ns);
/** Namespace code for a name; -EINVAL if unknown. */
int sg_id_ns_from_name(const char *name);
/** The namespace objects of @p type belong to; SG_ID_NS_NONE for an unknown type. */
unsigned int sg_id_type_ns(unsigned int type);

/**
 * Check that @p name (len bytes) is a valid name for @p type in @p ns.
 * @return 0; -EINVAL (unknown type/namespace, type not allowed in namespace,
 *   bad character, empty); -ENAMETOOLONG. @p err (may be NULL) gets a message.
 */
int sg_id_name_check(unsigned int ns, unsigned int type, const char *name, size_t len, char *err,
		     size_t errlen);

/**
 * Parse "namespace/type/suffix" (exactly @p len bytes, no NUL needed).
 * @return 0; -EINVAL (syntax, unknown namespace or type, bad name);
 *   -ENAMETOOLONG (handle or name too long). @p err gets a message.
 */
int sg_id_handle_parse(const char *text, size_t len, struct sg_id_handle *h, char *err,
		       size_t errlen);

/**
 * Print a handle. @return bytes written without NUL; -EINVAL (bad handle);
 * -ENOSPC (buffer too small; SG_ID_HANDLE_MAX + 1 always suffices).
 */
int sg_id_handle_format(const struct sg_id_handle *h, char *buf, size_t len);

/** Print an ID as "type#serial". @return bytes written; -EINVAL; -ENOSPC. */
int sg_id_text_format(uint64_t id, char *buf, size_t len);
/**
 * Parse "type#serial" or "0x<16 hex>" (NUL-terminated).
 * @return 0; -EINVAL (syntax, unknown type, serial 0); -ERANGE (serial too big).
 */
int sg_id_text_parse(const char *text, uint64_t *id);

/* ------------------------------------------------------------------------ */
/* Store                                                                    */

struct sg_id_store;

#define SG_ID_OPEN_RDONLY     0x1u /**< read-only (sgid show/where while sg-control runs) */
#define SG_ID_OPEN_NOSYNC     0x2u /**< MDB_NOSYNC: survives process crash, not power loss */
#define SG_ID_OPEN_NOMETASYNC 0x4u /**< MDB_NOMETASYNC: power loss may undo the last commit */

struct sg_id_open_opts {
	size_t map_size;    /**< initial map bytes; 0: 64 MiB (an existing store keeps its size) */
	size_t map_max;	    /**< growth ceiling; 0: 64 GiB */
	unsigned int flags; /**< SG_ID_OPEN_* */
	unsigned int max_readers; /**< LMDB reader slots; 0: 256 */
};

/**
 * Open (creating if needed) the store in directory @p dir. Clears reader
 * slots of dead processes (mdb_reader_check).
 * @return 0; -EINVAL; -EBUSY (already open in this process); -ENOENT (read-only
 *   open of a missing or uninitialised store); -EACCES; -EPROTO (unknown
 *   on-disk format version); -EIO (not an LMDB store or corrupt); -ENOMEM.
 */
int sg_id_store_open(const char *dir, const struct sg_id_open_opts *opts, struct sg_id_store **out);

/** Close; NULL is a no-op. In a forked child it only frees memory. */
void sg_id_store_close(struct sg_id_store *s);

/** One-line explanation of the last failure on @p s ("" if none). */
const char *sg_id_store_errmsg(const struct sg_id_store *s);

/**
 * The store's generation: the ID of its last committed write transaction,
 * whichever process (sgid, another sg-control, this one) made it. It moves
 * with every write that may change an object, an edge or an attribute, so
 * a reader may keep what it read while it has not moved. Writes of
 * temporary IDs and serial leases made through @p s (sg_id_temp_*(),
 * sg_id_serial_reserve()) do not move it; another process's do. Cheap: no
 * transaction, no lock (LMDB's meta page).
 * @return the generation; 0 for NULL or a closed store.
 */
uint64_t sg_id_store_generation(struct sg_id_store *s);

struct sg_id_stats {
	uint64_t objects;	  /**< persistent objects */
	uint64_t temps;		  /**< live temporary IDs */
	uint64_t edges;		  /**< relationship edges */
	uint64_t map_size;	  /**< current map bytes */
	uint64_t map_used;	  /**< bytes in use (last page * page size) */
	uint64_t map_grows;	  /**< map growths done by this handle */
	uint64_t map_adopts;	  /**< growths by other processes followed (MDB_MAP_RESIZED) */
	uint64_t readers_cleared; /**< stale reader slots cleared at open */
};

/** Store figures. @return 0; common errors. */
int sg_id_store_stats(struct sg_id_store *s, struct sg_id_stats *st);

/** Flush to disk (useful with SG_ID_OPEN_NOSYNC). @return 0; -EROFS; -EIO. */
int sg_id_store_sync(struct sg_id_store *s);

/* ------------------------------------------------------------------------ */
/* Registry and generator                                                   */

struct sg_id_attr {
	const char *key;   /**< [a-z0-9_.-]{1,64} */
	const char *value; /**< up to SG_ID_ATTR_VALUE_MAX bytes, NUL-terminated */
};

struct sg_id_reg {
	uint8_t type;	  /**< persistent enum sg_id_type */
	uint8_t ns;	  /**< enum sg_id_ns; 0: the type's namespace */
	const char *name; /**< NUL-terminated, valid for the namespace */
	uint64_t parent;  /**< containing object or SG_ID_NONE */
	const struct sg_id_attr *attrs;
	unsigned int nattrs;
};

/**
 * Register an object, or return the ID of the object already registered
 * under the same (namespace, type, name); then *created is false and
 * parent and attributes are left unchanged.
 * @param created may be NULL.
 * @return 0; -EINVAL (bad type/namespace/name/attribute key, duplicate key);
 *   -ENAMETOOLONG; -E2BIG (value too long, too many attributes); -ENOENT
 *   (parent does not exist); -EMLINK (parent chain deeper than SG_ID_DEPTH_MAX);
 *   -EOVERFLOW (serials of the type exhausted); -EROFS; -ENOSPC; common errors.
 */
int sg_id_register(struct sg_id_store *s, const struct sg_id_reg *r, uint64_t *id, bool *created);

/**
 * Register @p n objects in one transaction (all or nothing); ids[i] gets the
 * ID of r[i]. Parents must exist before the call.
 * @return 0; the errors of sg_id_register() for the first bad entry
 *   (sg_id_store_errmsg() names its index); -E2BIG (n > SG_ID_BATCH_MAX).
 */
int sg_id_register_many(struct sg_id_store *s, const struct sg_id_reg *r, size_t n, uint64_t *ids);

/**
 * Remove a persistent object with its name, attributes and edges. Its ID is
 * never handed out again.
 * @return 0; -ENOENT; -ENOTEMPTY (it still contains objects: move or
 *   unregister them first); -EINVAL (temporary ID: use sg_id_temp_release());
 *   -EROFS; -ENOSPC; common errors.
 */
int sg_id_unregister(struct sg_id_store *s, uint64_t id);

/**
 * Look up an object by (namespace, type, name). ns 0 means the type's namespace.
 * @return 0; -ENOENT (not registered); -EINVAL (bad type or name); -ENAMETOOLONG.
 */
int sg_id_lookup_name(struct sg_id_store *s, unsigned int ns, unsigned int type, const char *name,
		      uint64_t *id);

/**
 * Resolve a handle text "namespace/type/suffix" or a numeric "type#serial"
 * to an ID that exists in the store.
 * @return 0; -ENOENT; -EINVAL (bad syntax); -ENAMETOOLONG.
 */
int sg_id_lookup_handle(struct sg_id_store *s, const char *text, uint64_t *id);

struct sg_id_object {
	uint64_t id;
	uint64_t parent;     /**< containing object or SG_ID_NONE */
	uint64_t ref;	     /**< VM: the component it serves; else SG_ID_NONE */
	uint64_t created_ns; /**< CLOCK_REALTIME at registration */
	uint8_t type;
	uint8_t ns;
	char name[SG_ID_NAME_MAX + 1];
};

/** Read an object by ID. @return 0; -ENOENT; -EINVAL (temporary or invalid ID). */
int sg_id_get(struct sg_id_store *s, uint64_t id, struct sg_id_object *o);

/** Handle text of an object (a temporary ID is formatted without a store lookup).
 * @return bytes written; -ENOENT; -ENOSPC; -EINVAL. */
int sg_id_handle_of(struct sg_id_store *s, uint64_t id, char *buf, size_t len);

/**
 * Call @p cb for every object of @p type (0: all) in ID order, in one read
 * snapshot. A non-zero return of @p cb stops the walk and is returned.
 * @return 0; the callback's value; common errors.
 */
int sg_id_foreach(struct sg_id_store *s, unsigned int type,
		  int (*cb)(const struct sg_id_object *o, void *arg), void *arg);

/**
 * Set (insert or replace) an attribute.
 * @return 0; -ENOENT (no such object); -EINVAL (bad key, NUL value);
 *   -E2BIG (value too long or SG_ID_ATTRS_MAX reached); -EROFS; -ENOSPC.
 */
int sg_id_attr_set(struct sg_id_store *s, uint64_t id, const char *key, const char *value);

/**
 * Read an attribute into @p buf (NUL-terminated).
 * @return value length; -ENOENT (no object or no such key); -EINVAL (bad ID
 *   or key); -ENOSPC (@p len too small; sg_id_store_errmsg() says how many
 *   bytes are needed; SG_ID_ATTR_VALUE_MAX + 1 always suffices).
 */
int sg_id_attr_get(struct sg_id_store *s, uint64_t id, const char *key, char *buf, size_t len);

/** Delete an attribute. @return 0; -ENOENT; -EINVAL; -EROFS; -ENOSPC. */
int sg_id_attr_del(struct sg_id_store *s, uint64_t id, const char *key);

/**
 * Call @p cb for each attribute of @p id in key order (value is NUL-terminated).
 * @return 0; -ENOENT (no object); the callback's non-zero value; common errors.
 */
int sg_id_attr_foreach(struct sg_id_store *s, uint64_t id,
		       int (*cb)(const char *key, const char *value, void *arg), void *arg);

/**
 * Set a VM's reference ID: the component it serves (SG_ID_NONE clears it).
 * Keeps the edge component -SERVED_BY-> vm in step.
 * @return 0; -ENOENT (vm or component missing); -EINVAL (@p vm not a VM,
 *   @p component not a component); -EROFS; -ENOSPC.
 */
int sg_id_set_ref(struct sg_id_store *s, uint64_t vm, uint64_t component);

/**
 * Import an object with a fixed ID (sgid import). The type's serial counter
 * moves past it so the ID is never generated again. parent and ref are
 * ignored (use sg_id_move()/sg_id_set_ref() once all objects exist).
 * @return 0; -EEXIST (ID or name taken); the validation errors of
 *   sg_id_register(); -EROFS; -ENOSPC.
 */
int sg_id_restore(struct sg_id_store *s, const struct sg_id_object *o);

/**
 * Next serial the generator will hand out for @p type (1 if none yet).
 * @return 0; -EINVAL (unknown type); common errors.
 */
int sg_id_serial_next(struct sg_id_store *s, unsigned int type, uint64_t *next);

/**
 * Make the generator of @p type hand out serials >= @p next from now on (it
 * never goes back; used by import so that IDs of deleted objects stay unused).
 * @return 0; -EINVAL; -EROFS; -ENOSPC; common errors.
 */
int sg_id_serial_reserve(struct sg_id_store *s, unsigned int type, uint64_t next);

/** A live temporary ID. */
struct sg_id_temp {
	uint64_t id;
	uint64_t owner;	     /**< e.g. the user or streaming session; may be 0 */
	uint64_t expires_ns; /**< CLOCK_REALTIME */
};

/**
 * Allocate a temporary (session) ID of temporary @p type that expires after
 * @p ttl_ms (1 .. 30 days).
 * @return 0; -EINVAL (not a temporary type, ttl out of range); -EOVERFLOW;
 *   -EROFS; -ENOSPC.
 */
int sg_id_temp_alloc(struct sg_id_store *s, unsigned int type, uint64_t owner, uint32_t ttl_ms,
		     uint64_t *id);

/** Release a temporary ID (session ended). @return 0; -ENOENT; -EINVAL; -EROFS. */
int sg_id_temp_release(struct sg_id_store *s, uint64_t id);

/** Extend a temporary ID to now + @p ttl_ms. @return 0; -ENOENT; -EINVAL; -EROFS. */
int sg_id_temp_touch(struct sg_id_store *s, uint64_t id, uint32_t ttl_ms);

/** Read a live temporary ID. @return 0; -ENOENT; -EINVAL. */
int sg_id_temp_get(struct sg_id_store *s, uint64_t id, struct sg_id_temp *t);

/**
 * Release every temporary ID that expired at @p now_ns (0: the current
 * CLOCK_REALTIME), at most @p max (0: no bound) in this call.
 * @param swept may be NULL; gets the count released.
 * @return 0; -EROFS; -ENOSPC; common errors.
 */
int sg_id_temp_sweep(struct sg_id_store *s, uint64_t now_ns, size_t max, size_t *swept);

/* ------------------------------------------------------------------------ */
/* Address resolution: the containment tree                                 */

/**
 * Move @p id under @p new_parent (SG_ID_NONE: make it a root). Its ID stays.
 * @return 0; -ENOENT (either object missing); -ELOOP (would create a cycle:
 *   new_parent is @p id or inside it); -EMLINK (too deep); -EINVAL
 *   (temporary ID); -EROFS; -ENOSPC.
 */
int sg_id_move(struct sg_id_store *s, uint64_t id, uint64_t new_parent);

/**
 * "Where is X": path[0] = @p id, path[1] = its parent, ..., last = the root.
 * @return 0 with *n entries; -ENOENT; -EINVAL (temporary or invalid ID);
 *   -ENOBUFS (@p max too small, path[] holds the first @p max entries);
 *   -EIO (a cycle on disk: corruption).
 */
int sg_id_resolve_where(struct sg_id_store *s, uint64_t id, uint64_t *path, size_t max, size_t *n);

/**
 * Objects contained in @p id down to @p depth levels (1: direct children),
 * breadth first.
 * @return 0 with *n entries; -ENOENT; -EINVAL (depth 0 or > SG_ID_DEPTH_MAX);
 *   -ENOBUFS (more than @p max: the first @p max are in out[]).
 */
int sg_id_resolve_contained(struct sg_id_store *s, uint64_t id, unsigned int depth, uint64_t *out,
			    size_t max, size_t *n);

/* ------------------------------------------------------------------------ */
/* Relationship resolution: typed many-to-many edges                       */

enum sg_id_rel {
	SG_ID_REL_NONE = 0,
	SG_ID_REL_SUBSCRIBES = 1,    /**< user -> app */
	SG_ID_REL_HAS_DOMAIN = 2,    /**< app -> domain */
	SG_ID_REL_HAS_COMPONENT = 3, /**< domain -> component */
	SG_ID_REL_SERVED_BY = 4,     /**< component -> vm (kept by sg_id_set_ref()) */
	SG_ID_REL_ASSIGNED = 5,	     /**< user -> vm serving that user */
	SG_ID_REL_ATTACHED = 6,	     /**< vnic -> vswitch */
	SG_ID_REL_UPLINK = 7,	     /**< vswitch -> nic */
	SG_ID_REL_CABLED = 8,	     /**< nic -> switch */
	SG_ID_REL_USES = 9,	     /**< vm/host/hba -> storage/lun */
	SG_ID_REL_PROVIDES = 10,     /**< service provider -> resource */
	SG_ID_REL_EXPOSES = 11,	     /**< vapp -> app */
	SG_ID_REL_LAST = SG_ID_REL_EXPOSES,
};

#define SG_ID_REL_BIT(r) (1u << (r))

/** Relation name ("subscribes", ...) or NULL. */
const char *sg_id_rel_name(unsigned int rel);
/** Relation code for a name; -EINVAL if unknown. */
int sg_id_rel_from_name(const char *name);

/**
 * Add the edge @p from -rel-> @p to (idempotent). Both objects must be
 * persistent and exist.
 * @return 0; -ENOENT; -EINVAL (unknown rel, temporary ID, from == to); -EROFS; -ENOSPC.
 */
int sg_id_relate(struct sg_id_store *s, uint64_t from, unsigned int rel, uint64_t to);

struct sg_id_edge {
	uint64_t from;
	unsigned int rel;
	uint64_t to;
};

/**
 * Add @p n edges in one transaction (all or nothing).
 * @return 0; the errors of sg_id_relate() for the first bad edge
 *   (sg_id_store_errmsg() names its index); -E2BIG (n > SG_ID_BATCH_MAX).
 */
int sg_id_relate_many(struct sg_id_store *s, const struct sg_id_edge *e, size_t n);

/** Remove an edge. @return 0; -ENOENT (no such edge); -EINVAL; -EROFS; -ENOSPC. */
int sg_id_unrelate(struct sg_id_store *s, uint64_t from, unsigned int rel, uint64_t to);

#define SG_ID_DIR_OUT  1u
#define SG_ID_DIR_IN   2u
#define SG_ID_DIR_BOTH 3u

struct sg_id_query {
	unsigned int dir;	/**< SG_ID_DIR_* */
	uint32_t rel_mask;	/**< SG_ID_REL_BIT()s to follow; 0: all */
	unsigned int type;	/**< report only objects of this type; 0: all */
	unsigned int max_depth; /**< hops, 1 .. SG_ID_REL_DEPTH_MAX */
	size_t max_visit;	/**< bound on objects visited; 0: 1,000,000 */
};

/**
 * Objects reachable from @p id (not counting @p id) over edges in q->dir
 * matching q->rel_mask within q->max_depth hops, breadth first, each once.
 * @return 0 with *n entries; -ENOENT (@p id missing); -EINVAL (bad query);
 *   -ENOBUFS (more than @p max results, or q->max_visit reached: out[]
 *   holds what was found); common errors.
 */
int sg_id_related(struct sg_id_store *s, uint64_t id, const struct sg_id_query *q, uint64_t *out,
		  size_t max, size_t *n);

/**
 * "Which VM serves user U for application A": the VMs assigned to @p user
 * (ASSIGNED) that serve a component of a domain of @p app.
 * @return 0 with *n VMs (0 if none is assigned); -ENOENT (user or app missing);
 *   -EINVAL (wrong types); -ENOLINK (user does not subscribe to app); -ENOBUFS.
 */
int sg_id_resolve_serving(struct sg_id_store *s, uint64_t user, uint64_t app, uint64_t *vms,
			  size_t max, size_t *n);

/**
 * "Who is affected if X fails": every object of @p type (0: any) that reaches
 * X or an object contained in X by following edges of @p rel_mask (0: all)
 * backwards, at most SG_ID_REL_DEPTH_MAX hops.
 * @return 0 with *n entries; -ENOENT; -EINVAL; -ENOBUFS.
 */
int sg_id_resolve_affected(struct sg_id_store *s, uint64_t id, unsigned int type, uint32_t rel_mask,
			   uint64_t *out, size_t max, size_t *n);

/**
 * Call @p cb for every edge (from, rel, to) in (from, rel, to) order.
 * @return 0; the callback's non-zero value; common errors.
 */
int sg_id_foreach_edge(struct sg_id_store *s,
		       int (*cb)(uint64_t from, unsigned int rel, uint64_t to, void *arg),
		       void *arg);

/** Text for an error code returned by this library (never NULL). */
const char *sg_id_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* SG_IDMGR_H */
