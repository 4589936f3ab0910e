/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Clustered identities (doc/identity.md "Clustered identities"): with etcd
 * configured, etcd holds the cluster-wide copy of every identity (object,
 * name, tree entry, reference, relation; the keys of
 * sessiongate/sg_cluster_keys.h under "<prefix>/v1/id/") and each
 * appliance's LMDB follows it.
 *
 *  - Writes (sg_id_cluster_*): checked against the local store, written to
 *    etcd FIRST, then applied to the local LMDB the way the follower applies
 *    them. An ID's serial is claimed in etcd (create-if-absent of its obj/
 *    key), a name too (name/ key), so two appliances never hand out the
 *    same ID or register the same name twice.
 *  - The follower (sg_id_follow_*): reads every identity key once (a range),
 *    then watches them on the caller's libevent loop and applies each put
 *    and delete to the LMDB, idempotently; the etcd revision applied last is
 *    kept in the LMDB, so a restarted follower resumes from it (or reads the
 *    range again when etcd compacted past it, removing what etcd no longer
 *    holds).
 *
 * Temporary (session) IDs stay local. Functions return 0 or a negative
 * errno: those of the matching sg_idmgr.h call, plus -ECONNREFUSED,
 * -ETIMEDOUT, -EIO, -EPROTO (etcd unreachable or answering nonsense:
 * nothing was written); sg_id_store_errmsg() says what.
 */
#ifndef SG_IDMGR_CLUSTER_H
#define SG_IDMGR_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_idmgr.h"

struct sg_etcd;
struct event_base;

/** A store whose writes go to etcd first. Borrows @p s and @p etcd. */
struct sg_id_cluster;

/**
 * @param prefix the cluster's key prefix ("/sessiongate"), copied.
 * @return a handle, or NULL (-ENOMEM, or a prefix of 0 or over 200 bytes).
 */
struct sg_id_cluster *sg_id_cluster_new(struct sg_id_store *s, struct sg_etcd *etcd,
					const char *prefix);
void sg_id_cluster_free(struct sg_id_cluster *cl);

/** sg_id_register() through etcd (an existing name: *created false). */
int sg_id_cluster_register(struct sg_id_cluster *cl, const struct sg_id_reg *r, uint64_t *id,
			   bool *created);
/** sg_id_unregister() through etcd: its edges, tree entry, reference, name, record. */
int sg_id_cluster_unregister(struct sg_id_cluster *cl, uint64_t id);
/** sg_id_attr_set() / sg_id_attr_del() through etcd (the record is rewritten). */
int sg_id_cluster_attr_set(struct sg_id_cluster *cl, uint64_t id, const char *key,
			   const char *value);
int sg_id_cluster_attr_del(struct sg_id_cluster *cl, uint64_t id, const char *key);
/** sg_id_relate() / sg_id_unrelate() through etcd. */
int sg_id_cluster_relate(struct sg_id_cluster *cl, uint64_t from, unsigned int rel, uint64_t to);
int sg_id_cluster_unrelate(struct sg_id_cluster *cl, uint64_t from, unsigned int rel, uint64_t to);
/** sg_id_move() through etcd (SG_ID_NONE: a root). */
int sg_id_cluster_move(struct sg_id_cluster *cl, uint64_t id, uint64_t parent);
/** sg_id_set_ref() through etcd (SG_ID_NONE clears it). */
int sg_id_cluster_set_ref(struct sg_id_cluster *cl, uint64_t vm, uint64_t component);

/** What a follower did (sg_id_follow_stats()). */
struct sg_id_follow_stats {
	uint64_t applied;  /**< keys applied (puts and deletes) */
	uint64_t skipped;  /**< at or below the stored revision, or not for the store */
	uint64_t rejected; /**< malformed keys or values (not applied) */
	uint64_t failed;   /**< well-formed keys the store refused (logged) */
	uint64_t resyncs;  /**< full reads of the range (first start, compaction) */
	uint64_t removed;  /**< local objects and edges etcd no longer held at a resync */
	int64_t revision;  /**< the etcd revision applied last (kept in the LMDB within 50 ms) */
};

struct sg_id_follower;

/**
 * Bring @p s up to date with etcd and keep it so on @p base: from the
 * revision kept in the store (a range first when there is none, or when
 * etcd compacted past it), then a watch. Borrows @p s and @p etcd (they must
 * outlive the follower); @p s is written only from @p base's loop.
 * @return a follower, or NULL with a message in @p err (etcd unreachable
 *   for the first range, store errors).
 */
struct sg_id_follower *sg_id_follow_start(struct sg_id_store *s, struct sg_etcd *etcd,
					  struct event_base *base, const char *prefix, char *err,
					  size_t errlen);
/** Stop watching; the store keeps what was applied and its revision. NULL is a no-op. */
void sg_id_follow_stop(struct sg_id_follower *f);
/** Its counters. */
void sg_id_follow_stats(const struct sg_id_follower *f, struct sg_id_follow_stats *st);

/**
 * One full catch-up without a loop (sgid follow --once): read every identity
 * key, apply it, remove from @p s what etcd no longer holds, store the
 * revision. @p st may be NULL. @return 0 or -errno (message in @p err).
 */
int sg_id_follow_once(struct sg_id_store *s, struct sg_etcd *etcd, const char *prefix,
		      struct sg_id_follow_stats *st, char *err, size_t errlen);

#endif /* SG_IDMGR_CLUSTER_H */
