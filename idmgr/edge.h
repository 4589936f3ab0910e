/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the relationship graph, typed edges stored in both directions
 * (DB_EDGES_OUT from -> rel(1) to(8), DB_EDGES_IN to -> rel(1) from(8)).
 */
#ifndef SG_ID_EDGE_H
#define SG_ID_EDGE_H

#include <stdint.h>

#include "store.h"

/* Value of an edge record: rel(1) other(8). */
#define SG_ID_EDGE_VAL_LEN 9

/**
 * Add the edge @from -@rel-> @to in both directions (no-op if present).
 * @return 0 or a negative errno.
 */
int sg_id_edge_put(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel,
		   uint64_t to);

/**
 * Remove the edge @from -@rel-> @to in both directions.
 * @return 0, -ENOENT (no such edge), -EIO (reverse edge missing), store errors.
 */
int sg_id_edge_del(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel,
		   uint64_t to);

/** @return 1 if the edge @from -@rel-> @to exists, 0 if not, a negative errno. */
int sg_id_edge_has(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel,
		   uint64_t to);

/**
 * Remove every edge touching @id, and clear the reference ID of VMs that
 * @id served. @return 0, -ENOMEM, store errors.
 */
int sg_id_edge_drop_all(struct sg_id_store *s, MDB_txn *txn, uint64_t id);

#endif
