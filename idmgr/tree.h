/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the containment tree index (DB_CHILDREN, parent -> child). The
 * parent ID itself lives in the object record (object.h); these calls keep
 * the index in step with it.
 */
#ifndef SG_ID_TREE_H
#define SG_ID_TREE_H

#include <stdint.h>

#include "store.h"

/**
 * Depth of @id from its root (root = 1).
 * @return 0, -ENOENT (an object on the path is missing), -EIO (cycle), store errors.
 */
int sg_id_tree_depth(struct sg_id_store *s, MDB_txn *txn, uint64_t id, unsigned int *depth);

/** Add @child under @parent in the index. @return 0 or a negative errno. */
int sg_id_tree_link(struct sg_id_store *s, MDB_txn *txn, uint64_t parent, uint64_t child);

/**
 * Remove @child from under @parent in the index.
 * @return 0, -EIO (entry missing: index damaged), store errors.
 */
int sg_id_tree_unlink(struct sg_id_store *s, MDB_txn *txn, uint64_t parent, uint64_t child);

/**
 * Move @id from @old_parent to @new_parent in the index (either may be
 * SG_ID_NONE). @return 0 or a negative errno.
 */
int sg_id_tree_reparent(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t old_parent,
			uint64_t new_parent);

/** @return 1 if @id contains objects, 0 if not, a negative errno on a store error. */
int sg_id_tree_has_children(struct sg_id_store *s, MDB_txn *txn, uint64_t id);

#endif
