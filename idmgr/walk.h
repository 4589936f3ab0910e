/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: bounded breadth-first walks over the containment tree
 * (DB_CHILDREN) and the relationship graph (DB_EDGES_OUT / DB_EDGES_IN),
 * with a visited set and a FIFO of (ID, depth). Used by the resolvers and by
 * move (subtree height).
 */
#ifndef SG_ID_WALK_H
#define SG_ID_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* An open-addressing set of IDs (0 = empty slot). */
struct sg_id_idset {
	uint64_t *slot;
	size_t cap; /* power of two */
	size_t n;
};

/* FIFO of IDs to visit, with their depth from the seeds. */
struct sg_id_bfsq {
	uint64_t *id;
	uint8_t *depth;
	size_t head, tail, cap;
};

/*
 * One walk from the seeds (marked visited and queued at depth 0). Visited
 * objects of @type (any when 0) go to @out, at most @max of them; more sets
 * @truncated, as does visiting more than @max_visit objects.
 */
struct sg_id_walk {
	struct sg_id_store *s;
	MDB_txn *txn;
	unsigned int dir;  /* SG_ID_DIR_* bits, for sg_id_walk_edges() */
	uint32_t rel_mask; /* 0: every relation */
	unsigned int type;
	unsigned int max_depth;
	size_t max_visit;
	uint64_t *out;
	size_t max, n;
	int truncated;
	struct sg_id_idset vis;
	struct sg_id_bfsq q;
};

/**
 * Start an empty walk over @s writing to @out (at most @max IDs), visiting
 * at most 1,000,000 objects by default. @return 0 or -ENOMEM.
 */
int sg_id_walk_init(struct sg_id_walk *w, struct sg_id_store *s, uint64_t *out, size_t max);

/** Free what sg_id_walk_init() and the walk allocated. */
void sg_id_walk_free(struct sg_id_walk *w);

/** Mark @id visited and queue it at depth 0. @return 0 or -ENOMEM. */
int sg_id_walk_seed(struct sg_id_walk *w, uint64_t id);

/**
 * Breadth-first over the edges (directions @dir, relations @rel_mask) from the
 * queued IDs, down to @max_depth. @return 0, -ENOMEM, -EIO, store errors.
 */
int sg_id_walk_edges(struct sg_id_walk *w);

/**
 * Breadth-first over the containment tree from the queued IDs, down to
 * @max_depth. @return 0, -ENOMEM, -EIO (cycle, record damaged), store errors.
 */
int sg_id_walk_children(struct sg_id_walk *w);

#endif
