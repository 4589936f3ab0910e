/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: apply one identity key of the cluster store to the local LMDB,
 * idempotently (applying a key twice, or an older state followed by the
 * newer one, ends in the same store). Used by the follower and, right
 * after its etcd write, by the clustered writer.
 */
#ifndef SG_ID_APPLY_H
#define SG_ID_APPLY_H

#include <stdbool.h>

#include "ckey.h"

/**
 * Apply @p ck (put, or a delete when @p del) to @p s.
 * @return 0 applied (or already so); 1 nothing to do here (a name claim);
 *   -ENOENT (an object it needs is not in the store yet: a parent, an
 *   edge's end); -EEXIST (the name belongs to another ID here); the store's
 *   errors. sg_id_store_errmsg() says what.
 */
int sg_id_apply(struct sg_id_store *s, const struct sg_id_ck *ck, bool del);

struct sg_etcd_kv;
struct sg_id_follow_stats;

/**
 * Parse and apply one key of a range or a watch (keys outside "v1/id/" and
 * name claims are skipped), counting in @p st and logging what was refused.
 * @p ck (may be NULL) gets the decoded key for the caller (sg_id_ck_free()).
 * @return 0 applied, 1 skipped, -EPROTO rejected, or the store's error.
 */
int sg_id_apply_kv(struct sg_id_store *s, const char *prefix, const struct sg_etcd_kv *kv,
		   struct sg_id_follow_stats *st, struct sg_id_ck *ck);

#endif
