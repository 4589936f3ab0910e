/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: a full read of the identity keys into the local store, removing
 * what etcd no longer holds (the follower's first start, a compaction).
 */
#ifndef SG_ID_RESYNC_H
#define SG_ID_RESYNC_H

#include <stdint.h>

#include "sg_idmgr_cluster.h"

/**
 * Range "<prefix>/v1/id/", apply every key, then remove the local objects,
 * edges, tree entries and references etcd does not hold; *rev gets the
 * revision of the read. @return 0 or -errno (etcd's error text in @p err).
 */
int sg_id_resync(struct sg_id_store *s, struct sg_etcd *etcd, const char *prefix,
		 struct sg_id_follow_stats *st, int64_t *rev, char *err, size_t errlen);

/** Read the revision kept in @p s for @p prefix (0: none). @return 0 or -errno. */
int sg_id_rev_get(struct sg_id_store *s, const char *prefix, int64_t *rev);
/** Keep @p rev in @p s for @p prefix. @return 0 or -errno. */
int sg_id_rev_put(struct sg_id_store *s, const char *prefix, int64_t rev);

#endif
