/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bounded breadth-first walks over the containment tree and the
 * relationship graph: the visited set, the FIFO, and the two walkers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "edge.h"
#include "walk.h"

#define VISIT_DEFAULT 1000000u

static int
idset_init(struct sg_id_idset *st, size_t hint)
{
	st->cap = 64;
	while (st->cap < hint * 2)
		st->cap <<= 1;
	st->n = 0;
	st->slot = calloc(st->cap, sizeof(uint64_t));
	return st->slot ? 0 : -ENOMEM;
}

static void
idset_free(struct sg_id_idset *st)
{
	free(st->slot);
	st->slot = NULL;
}

static size_t
idset_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= UINT64_C(0xff51afd7ed558ccd);
	id ^= id >> 33;
	return (size_t)id;
}

/* 1 if added, 0 if present, -ENOMEM. */
static int
idset_add(struct sg_id_idset *st, uint64_t id)
{
	size_t i;

	if ((st->n + 1) * 2 > st->cap) {
		struct sg_id_idset bigger = {calloc(st->cap * 2, sizeof(uint64_t)), st->cap * 2, 0};

		if (bigger.slot == NULL)
			return -ENOMEM;
		for (size_t j = 0; j < st->cap; j++)
			if (st->slot[j] != 0)
				idset_add(&bigger, st->slot[j]);
		free(st->slot);
		*st = bigger;
	}
	for (i = idset_hash(id) & (st->cap - 1); st->slot[i] != 0; i = (i + 1) & (st->cap - 1))
		if (st->slot[i] == id)
			return 0;
	st->slot[i] = id;
	st->n++;
	return 1;
}

static int
bfsq_push(struct sg_id_bfsq *q, uint64_t id, unsigned int depth)
{
	if (q->tail == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		uint64_t *ni = realloc(q->id, cap * sizeof(*ni));
		uint8_t *nd;

		if (ni == NULL)
			return -ENOMEM;
		q->id = ni;
		nd = realloc(q->depth, cap);
		if (nd == NULL)
			return -ENOMEM;
		q->depth = nd;
		q->cap = cap;
	}
	q->id[q->tail] = id;
	q->depth[q->tail++] = (uint8_t)depth;
	return 0;
}

static void
bfsq_free(struct sg_id_bfsq *q)
{
	free(q->id);
	free(q->depth);
}

static int
walk_emit(struct sg_id_walk *w, uint64_t id)
{
	if (w->type != 0 && sg_id_type_of(id) != w->type)
		return 0;
	if (w->n == w->max) {
		w->truncated = 1;
		return 1;
	}
	w->out[w->n++] = id;
	return 0;
}

int
sg_id_walk_edges(struct sg_id_walk *w)
{
	static const int dbs[2] = {DB_EDGES_OUT, DB_EDGES_IN};
	MDB_cursor *c[2] = {NULL, NULL};
	int rc = 0;

	for (int d = 0; d < 2; d++) {
		if (!(w->dir & (1u << d)))
			continue;
		rc = mdb_cursor_open(w->txn, w->s->db[dbs[d]], &c[d]);
		if (rc) {
			rc = sg_id_store_mdb_err(w->s, rc, "cursor");
			goto out;
		}
	}
	while (w->q.head < w->q.tail && !w->truncated) {
		uint64_t id = w->q.id[w->q.head];
		unsigned int depth = w->q.depth[w->q.head++];
		uint8_t kb[8];

		if (depth >= w->max_depth)
			continue;
		put_be64(kb, id);
		for (int d = 0; d < 2 && !w->truncated; d++) {
			MDB_val k = {8, kb}, v;

			if (c[d] == NULL)
				continue;
			rc = mdb_cursor_get(c[d], &k, &v, MDB_SET_KEY);
			while (rc == 0) {
				const uint8_t *e = v.mv_data;
				uint64_t other;

				if (v.mv_size != SG_ID_EDGE_VAL_LEN) {
					rc = sg_id_store_seterr(w->s, -EIO, "edge record damaged");
					goto out;
				}
				if (w->rel_mask == 0 || (w->rel_mask & SG_ID_REL_BIT(e[0]))) {
					other = get_be64(e + 1);
					rc = idset_add(&w->vis, other);
					if (rc < 0)
						goto out;
					if (rc == 1) {
						if (w->vis.n > w->max_visit) {
							w->truncated = 1;
							break;
						}
						if (walk_emit(w, other))
							break;
						rc = bfsq_push(&w->q, other, depth + 1);
						if (rc < 0)
							goto out;
					}
				}
				rc = mdb_cursor_get(c[d], &k, &v, MDB_NEXT_DUP);
			}
			if (w->truncated)
				rc = 0;
			/* LMDB errors are negative (MDB_CORRUPTED...), errno values positive */
			if (rc != 0 && rc != MDB_NOTFOUND) {
				rc = sg_id_store_mdb_err(w->s, rc, "read edges");
				goto out;
			}
		}
	}
	rc = 0;
out:
	for (int d = 0; d < 2; d++)
		if (c[d] != NULL)
			mdb_cursor_close(c[d]);
	return rc;
}

int
sg_id_walk_children(struct sg_id_walk *w)
{
	MDB_cursor *c;
	int rc;

	rc = mdb_cursor_open(w->txn, w->s->db[DB_CHILDREN], &c);
	if (rc)
		return sg_id_store_mdb_err(w->s, rc, "cursor");
	while (w->q.head < w->q.tail && !w->truncated) {
		uint64_t id = w->q.id[w->q.head];
		unsigned int depth = w->q.depth[w->q.head++];
		uint8_t kb[8];
		MDB_val k = {8, kb}, v;

		if (depth >= w->max_depth)
			continue;
		put_be64(kb, id);
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
		while (rc == 0) {
			uint64_t child = get_be64(v.mv_data);

			rc = idset_add(&w->vis, child);
			if (rc < 0)
				goto out;
			if (rc == 0) {
				rc = sg_id_store_seterr(w->s, -EIO,
							"containment tree damaged: cycle");
				goto out;
			}
			if (w->vis.n > w->max_visit) {
				w->truncated = 1;
				break;
			}
			if (walk_emit(w, child))
				break;
			rc = bfsq_push(&w->q, child, depth + 1);
			if (rc < 0)
				goto out;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
		}
		if (w->truncated)
			rc = 0;
		if (rc != 0 && rc != MDB_NOTFOUND) {
			rc = sg_id_store_mdb_err(w->s, rc, "read children");
			goto out;
		}
	}
	rc = 0;
out:
	mdb_cursor_close(c);
	return rc;
}

int
sg_id_walk_init(struct sg_id_walk *w, struct sg_id_store *s, uint64_t *out, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->s = s;
	w->out = out;
	w->max = max;
	w->max_visit = VISIT_DEFAULT;
	return idset_init(&w->vis, 256);
}

void
sg_id_walk_free(struct sg_id_walk *w)
{
	idset_free(&w->vis);
	bfsq_free(&w->q);
}

int
sg_id_walk_seed(struct sg_id_walk *w, uint64_t id)
{
	int rc = idset_add(&w->vis, id) < 0 ? -ENOMEM : 0;

	return rc < 0 ? rc : bfsq_push(&w->q, id, 0);
}
