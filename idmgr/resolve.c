/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Handle resolution: the containment tree ("where is X", move, contained
 * objects) and the relationship graph (typed edges stored in both
 * directions, bounded breadth-first queries).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "idmgr_internal.h"

#define VISIT_DEFAULT 1000000u

int tree_reparent(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t old_parent,
		  uint64_t new_parent);

/* ---- a small open-addressing set of IDs and a FIFO for BFS ---- */

struct idset {
	uint64_t *slot;
	size_t cap; /* power of two */
	size_t n;
};

static int
idset_init(struct idset *st, size_t hint)
{
	st->cap = 64;
	while (st->cap < hint * 2)
		st->cap <<= 1;
	st->n = 0;
	st->slot = calloc(st->cap, sizeof(uint64_t));
	return st->slot ? 0 : -ENOMEM;
}

static void
idset_free(struct idset *st)
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
idset_add(struct idset *st, uint64_t id)
{
	size_t i;

	if ((st->n + 1) * 2 > st->cap) {
		struct idset bigger = {calloc(st->cap * 2, sizeof(uint64_t)), st->cap * 2, 0};

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

struct bfsq {
	uint64_t *id;
	uint8_t *depth;
	size_t head, tail, cap;
};

static int
bfsq_push(struct bfsq *q, uint64_t id, unsigned int depth)
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
bfsq_free(struct bfsq *q)
{
	free(q->id);
	free(q->depth);
}

/* ---- edges ---- */

static void
edge_val(uint8_t *v, unsigned int rel, uint64_t other)
{
	v[0] = (uint8_t)rel;
	put_be64(v + 1, other);
}

int
edge_put(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel, uint64_t to)
{
	uint8_t kb[8], vb[EDGE_VAL_LEN];
	MDB_val k = {8, kb}, v = {EDGE_VAL_LEN, vb};
	int rc;

	put_be64(kb, from);
	edge_val(vb, rel, to);
	rc = mdb_put(txn, s->db[DB_EDGES_OUT], &k, &v, MDB_NODUPDATA);
	if (rc == MDB_KEYEXIST)
		return 0;
	if (rc)
		return store_mdb_err(s, rc, "write edge");
	put_be64(kb, to);
	edge_val(vb, rel, from);
	return store_mdb_err(s, mdb_put(txn, s->db[DB_EDGES_IN], &k, &v, 0), "write edge");
}

int
edge_del(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel, uint64_t to)
{
	uint8_t kb[8], vb[EDGE_VAL_LEN];
	MDB_val k = {8, kb}, v = {EDGE_VAL_LEN, vb};
	int rc;

	put_be64(kb, from);
	edge_val(vb, rel, to);
	rc = mdb_del(txn, s->db[DB_EDGES_OUT], &k, &v);
	if (rc == MDB_NOTFOUND)
		return store_seterr(s, -ENOENT, "no edge %016" PRIx64 " -%s-> %016" PRIx64, from,
				    sg_id_rel_name(rel), to);
	if (rc)
		return store_mdb_err(s, rc, "delete edge");
	put_be64(kb, to);
	edge_val(vb, rel, from);
	rc = mdb_del(txn, s->db[DB_EDGES_IN], &k, &v);
	if (rc == MDB_NOTFOUND)
		return store_seterr(s, -EIO, "relationship index damaged: reverse edge missing");
	return store_mdb_err(s, rc, "delete edge");
}

static int
edge_has(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel, uint64_t to)
{
	uint8_t kb[8], vb[EDGE_VAL_LEN];
	MDB_val k = {8, kb}, v = {EDGE_VAL_LEN, vb};
	MDB_cursor *c;
	int rc;

	put_be64(kb, from);
	edge_val(vb, rel, to);
	rc = mdb_cursor_open(txn, s->db[DB_EDGES_OUT], &c);
	if (rc)
		return store_mdb_err(s, rc, "cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? store_mdb_err(s, rc, "read edge") : 1;
}

struct rel_arg {
	uint64_t from, to;
	unsigned int rel;
};

static int
op_relate(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct rel_arg *a = arg;
	int rc;

	rc = obj_exists(s, txn, a->from);
	if (rc == 0)
		return store_seterr(s, -ENOENT, "no object %016" PRIx64, a->from);
	if (rc > 0)
		rc = obj_exists(s, txn, a->to);
	if (rc == 0)
		return store_seterr(s, -ENOENT, "no object %016" PRIx64, a->to);
	if (rc < 0)
		return rc;
	return edge_put(s, txn, a->from, a->rel, a->to);
}

static int
op_unrelate(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct rel_arg *a = arg;
	struct sg_id_object o;
	int rc = edge_del(s, txn, a->from, a->rel, a->to);

	/* keep the VM's reference ID in step with its SERVED_BY edge */
	if (rc == 0 && a->rel == SG_ID_REL_SERVED_BY && obj_read(s, txn, a->to, &o) == 0 &&
	    o.ref == a->from)
		rc = obj_write_parent_ref(s, txn, a->to, o.parent, 0);
	return rc;
}

static int
rel_prep(struct sg_id_store *s, uint64_t from, unsigned int rel, uint64_t to)
{
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (sg_id_rel_name(rel) == NULL)
		return store_seterr(s, -EINVAL, "unknown relation code %u", rel);
	if (!sg_id_valid(from) || !sg_id_valid(to) || sg_id_is_temp(from) || sg_id_is_temp(to))
		return store_seterr(s, -EINVAL, "edges join valid persistent IDs only");
	if (from == to)
		return store_seterr(s, -EINVAL, "an object cannot relate to itself");
	return 0;
}

int
sg_id_relate(struct sg_id_store *s, uint64_t from, unsigned int rel, uint64_t to)
{
	struct rel_arg a = {from, to, rel};
	int rc = rel_prep(s, from, rel, to);

	return rc < 0 ? rc : store_write(s, op_relate, &a);
}

struct rel_many_arg {
	const struct sg_id_edge *e;
	size_t n;
};

static int
op_relate_many(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct rel_many_arg *a = arg;
	int rc = 0;

	for (size_t i = 0; i < a->n && rc == 0; i++) {
		struct rel_arg r = {a->e[i].from, a->e[i].to, a->e[i].rel};

		rc = op_relate(s, txn, &r);
		if (rc < 0 && rc != SG_EMAPFULL) {
			char prev[sizeof(s->errmsg)];

			memcpy(prev, s->errmsg, sizeof(prev));
			store_setmsg(s, "edge %zu: %s", i, prev);
		}
	}
	return rc;
}

int
sg_id_relate_many(struct sg_id_store *s, const struct sg_id_edge *e, size_t n)
{
	struct rel_many_arg a = {e, n};
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (e == NULL && n > 0)
		return -EINVAL;
	if (n > SG_ID_BATCH_MAX)
		return store_seterr(s, -E2BIG, "batch of %zu edges, at most %d allowed", n,
				    SG_ID_BATCH_MAX);
	for (size_t i = 0; i < n; i++) {
		rc = rel_prep(s, e[i].from, e[i].rel, e[i].to);
		if (rc < 0) {
			char prev[sizeof(s->errmsg)];

			memcpy(prev, s->errmsg, sizeof(prev));
			return store_seterr(s, rc, "edge %zu: %s", i, prev);
		}
	}
	return n ? store_write(s, op_relate_many, &a) : 0;
}

int
sg_id_unrelate(struct sg_id_store *s, uint64_t from, unsigned int rel, uint64_t to)
{
	struct rel_arg a = {from, to, rel};
	int rc = rel_prep(s, from, rel, to);

	return rc < 0 ? rc : store_write(s, op_unrelate, &a);
}

/*
 * Breadth-first walk from the seeds in @p vis (already marked visited and
 * queued at depth 0). For each visited object emit() decides about output.
 */
struct walk {
	struct sg_id_store *s;
	MDB_txn *txn;
	unsigned int dir;
	uint32_t rel_mask;
	unsigned int type;
	unsigned int max_depth;
	size_t max_visit;
	uint64_t *out;
	size_t max, n;
	int truncated;
	struct idset vis;
	struct bfsq q;
};

static int
walk_emit(struct walk *w, uint64_t id)
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

static int
walk_edges(struct walk *w)
{
	static const int dbs[2] = {DB_EDGES_OUT, DB_EDGES_IN};
	MDB_cursor *c[2] = {NULL, NULL};
	int rc = 0;

	for (int d = 0; d < 2; d++) {
		if (!(w->dir & (1u << d)))
			continue;
		rc = mdb_cursor_open(w->txn, w->s->db[dbs[d]], &c[d]);
		if (rc) {
			rc = store_mdb_err(w->s, rc, "cursor");
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

				if (v.mv_size != EDGE_VAL_LEN) {
					rc = store_seterr(w->s, -EIO, "edge record damaged");
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
				rc = store_mdb_err(w->s, rc, "read edges");
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

static int
walk_init(struct walk *w, struct sg_id_store *s, uint64_t *out, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->s = s;
	w->out = out;
	w->max = max;
	w->max_visit = VISIT_DEFAULT;
	return idset_init(&w->vis, 256);
}

static void
walk_free(struct walk *w)
{
	idset_free(&w->vis);
	bfsq_free(&w->q);
}

static int
query_check(struct sg_id_store *s, const struct sg_id_query *q)
{
	if (q == NULL || q->dir == 0 || q->dir > SG_ID_DIR_BOTH)
		return store_seterr(s, -EINVAL, "query direction must be out, in or both");
	if (q->max_depth == 0 || q->max_depth > SG_ID_REL_DEPTH_MAX)
		return store_seterr(s, -EINVAL, "query depth must be 1..%d", SG_ID_REL_DEPTH_MAX);
	if (q->rel_mask & ~(((UINT32_C(1) << (SG_ID_REL_LAST + 1)) - 1) & ~UINT32_C(1)))
		return store_seterr(s, -EINVAL, "relation mask 0x%x names unknown relations",
				    q->rel_mask);
	if (q->type != 0 && !sg_id_type_valid(q->type))
		return store_seterr(s, -EINVAL, "unknown type code %u", q->type);
	return 0;
}

static int
need_obj(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	int rc;

	if (!sg_id_valid(id) || sg_id_is_temp(id))
		return store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid persistent ID", id);
	rc = obj_exists(s, txn, id);
	if (rc == 0)
		return store_seterr(s, -ENOENT, "no object %016" PRIx64, id);
	return rc < 0 ? rc : 0;
}

int
sg_id_related(struct sg_id_store *s, uint64_t id, const struct sg_id_query *q, uint64_t *out,
	      size_t max, size_t *n)
{
	struct walk w;
	MDB_txn *txn;
	int rc = store_check(s, 0);

	if (rc < 0)
		return rc;
	if (n == NULL || (out == NULL && max > 0))
		return -EINVAL;
	*n = 0;
	rc = query_check(s, q);
	if (rc < 0)
		return rc;
	rc = walk_init(&w, s, out, max);
	if (rc < 0)
		return rc;
	w.dir = q->dir;
	w.rel_mask = q->rel_mask;
	w.type = q->type;
	w.max_depth = q->max_depth;
	if (q->max_visit)
		w.max_visit = q->max_visit;
	rc = store_read_begin(s, &txn);
	if (rc < 0) {
		walk_free(&w);
		return rc;
	}
	w.txn = txn;
	rc = need_obj(s, txn, id);
	if (rc == 0)
		rc = idset_add(&w.vis, id) < 0 ? -ENOMEM : 0;
	if (rc == 0)
		rc = bfsq_push(&w.q, id, 0);
	if (rc == 0)
		rc = walk_edges(&w);
	store_read_end(s);
	*n = w.n;
	if (rc == 0 && w.truncated)
		rc = store_seterr(s, -ENOBUFS, "more than %zu results or %zu objects visited", max,
				  w.max_visit);
	walk_free(&w);
	return rc;
}

/* ---- containment tree ---- */

int
sg_id_resolve_where(struct sg_id_store *s, uint64_t id, uint64_t *path, size_t max, size_t *n)
{
	struct sg_id_object o;
	MDB_txn *txn;
	size_t k = 0;
	int rc = store_check(s, 0);

	if (rc < 0)
		return rc;
	if (n == NULL || (path == NULL && max > 0))
		return -EINVAL;
	*n = 0;
	if (!sg_id_valid(id) || sg_id_is_temp(id))
		return store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid persistent ID", id);
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	while (id != SG_ID_NONE) {
		if (k > SG_ID_DEPTH_MAX) {
			rc = store_seterr(s, -EIO,
					  "containment tree damaged: cycle above %016" PRIx64, id);
			break;
		}
		rc = obj_read(s, txn, id, &o);
		if (rc == -ENOENT)
			rc = store_seterr(s, -ENOENT,
					  k ? "containment tree damaged: parent %016" PRIx64
					      " missing"
					    : "no object %016" PRIx64,
					  id);
		if (rc < 0)
			break;
		if (k < max)
			path[k] = id;
		k++;
		id = o.parent;
	}
	store_read_end(s);
	if (rc < 0)
		return rc;
	*n = k < max ? k : max;
	return k > max ? store_seterr(s, -ENOBUFS, "path has %zu levels", k) : 0;
}

/* Breadth-first over DB_CHILDREN from the queued seeds. */
static int
walk_children(struct walk *w)
{
	MDB_cursor *c;
	int rc;

	rc = mdb_cursor_open(w->txn, w->s->db[DB_CHILDREN], &c);
	if (rc)
		return store_mdb_err(w->s, rc, "cursor");
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
				rc = store_seterr(w->s, -EIO, "containment tree damaged: cycle");
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
			rc = store_mdb_err(w->s, rc, "read children");
			goto out;
		}
	}
	rc = 0;
out:
	mdb_cursor_close(c);
	return rc;
}

int
sg_id_resolve_contained(struct sg_id_store *s, uint64_t id, unsigned int depth, uint64_t *out,
			size_t max, size_t *n)
{
	struct walk w;
	MDB_txn *txn;
	int rc = store_check(s, 0);

	if (rc < 0)
		return rc;
	if (n == NULL || (out == NULL && max > 0))
		return -EINVAL;
	*n = 0;
	if (depth == 0 || depth > SG_ID_DEPTH_MAX)
		return store_seterr(s, -EINVAL, "depth must be 1..%d", SG_ID_DEPTH_MAX);
	rc = walk_init(&w, s, out, max);
	if (rc < 0)
		return rc;
	w.max_depth = depth;
	w.max_visit = SIZE_MAX;
	rc = store_read_begin(s, &txn);
	if (rc < 0) {
		walk_free(&w);
		return rc;
	}
	w.txn = txn;
	rc = need_obj(s, txn, id);
	if (rc == 0)
		rc = idset_add(&w.vis, id) < 0 ? -ENOMEM : 0;
	if (rc == 0)
		rc = bfsq_push(&w.q, id, 0);
	if (rc == 0)
		rc = walk_children(&w);
	store_read_end(s);
	*n = w.n;
	if (rc == 0 && w.truncated)
		rc = store_seterr(s, -ENOBUFS, "more than %zu contained objects", max);
	walk_free(&w);
	return rc;
}

struct move_arg {
	uint64_t id, parent;
};

/* Levels below @p id (0 for a leaf), bounded by SG_ID_DEPTH_MAX + 1. */
static int
subtree_height(struct sg_id_store *s, MDB_txn *txn, uint64_t id, unsigned int *height)
{
	struct walk w;
	int rc = walk_init(&w, s, NULL, 0);
	unsigned int h = 0;

	if (rc < 0)
		return rc;
	w.txn = txn;
	w.max_depth = SG_ID_DEPTH_MAX + 1;
	w.max_visit = SIZE_MAX;
	w.type = 0xffff; /* emit nothing */
	idset_add(&w.vis, id);
	rc = bfsq_push(&w.q, id, 0);
	if (rc == 0)
		rc = walk_children(&w);
	for (size_t i = 0; rc == 0 && i < w.q.tail; i++)
		if (w.q.depth[i] > h)
			h = w.q.depth[i];
	walk_free(&w);
	*height = h;
	return rc;
}

static int
op_move(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct move_arg *a = arg;
	struct sg_id_object o, p;
	unsigned int depth = 0, height;
	uint64_t up;
	int rc;

	rc = obj_read(s, txn, a->id, &o);
	if (rc == -ENOENT)
		return store_seterr(s, rc, "no object %016" PRIx64, a->id);
	if (rc < 0)
		return rc;
	if (o.parent == a->parent)
		return 0;
	for (up = a->parent; up != SG_ID_NONE; up = p.parent) {
		if (up == a->id)
			return store_seterr(s, -ELOOP,
					    "cannot move '%s' into itself or an object it contains",
					    o.name);
		if (++depth > SG_ID_DEPTH_MAX)
			return store_seterr(s, -EIO, "containment tree damaged: cycle");
		rc = obj_read(s, txn, up, &p);
		if (rc == -ENOENT)
			return store_seterr(s, rc, "no object %016" PRIx64 " to move into", up);
		if (rc < 0)
			return rc;
	}
	rc = subtree_height(s, txn, a->id, &height);
	if (rc < 0)
		return rc;
	if (depth + 1 + height > SG_ID_DEPTH_MAX)
		return store_seterr(s, -EMLINK, "move would make the tree deeper than %d levels",
				    SG_ID_DEPTH_MAX);
	rc = tree_reparent(s, txn, a->id, o.parent, a->parent);
	if (rc < 0)
		return rc;
	return obj_write_parent_ref(s, txn, a->id, a->parent, o.ref);
}

int
sg_id_move(struct sg_id_store *s, uint64_t id, uint64_t new_parent)
{
	struct move_arg a = {id, new_parent};
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id) || sg_id_is_temp(id) ||
	    (new_parent != SG_ID_NONE && (!sg_id_valid(new_parent) || sg_id_is_temp(new_parent))))
		return store_seterr(s, -EINVAL, "move needs valid persistent IDs");
	if (id == new_parent)
		return store_seterr(s, -ELOOP, "cannot move an object into itself");
	return store_write(s, op_move, &a);
}

/* ---- composite questions ---- */

int
sg_id_resolve_serving(struct sg_id_store *s, uint64_t user, uint64_t app, uint64_t *vms, size_t max,
		      size_t *n)
{
	uint8_t ub[8], kb[8];
	MDB_cursor *cu = NULL, *ci = NULL, *ci2 = NULL;
	MDB_txn *txn;
	MDB_val k, v;
	size_t found = 0;
	int rc = store_check(s, 0), trunc = 0;

	if (rc < 0)
		return rc;
	if (n == NULL || (vms == NULL && max > 0))
		return -EINVAL;
	*n = 0;
	if (sg_id_type_of(user) != SG_ID_T_USER || sg_id_type_of(app) != SG_ID_T_APP)
		return store_seterr(s, -EINVAL, "serving needs a user ID and an application ID");
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = need_obj(s, txn, user);
	if (rc == 0)
		rc = need_obj(s, txn, app);
	if (rc == 0) {
		rc = edge_has(s, txn, user, SG_ID_REL_SUBSCRIBES, app);
		if (rc == 0)
			rc = store_seterr(s, -ENOLINK,
					  "user does not subscribe to the application");
		else if (rc > 0)
			rc = 0;
	}
	if (rc == 0 && (mdb_cursor_open(txn, s->db[DB_EDGES_OUT], &cu) ||
			mdb_cursor_open(txn, s->db[DB_EDGES_IN], &ci) ||
			mdb_cursor_open(txn, s->db[DB_EDGES_IN], &ci2)))
		rc = store_seterr(s, -EIO, "cannot open cursors");
	if (rc < 0)
		goto out;
	/* user -ASSIGNED-> vm, then vm <-SERVED_BY- component <-HAS_COMPONENT- domain
	 * <-HAS_DOMAIN- app */
	put_be64(ub, user);
	k.mv_size = 8;
	k.mv_data = ub;
	rc = mdb_cursor_get(cu, &k, &v, MDB_SET_KEY);
	while (rc == 0) {
		const uint8_t *e = v.mv_data;
		uint64_t vm = get_be64(e + 1);
		int serves = 0;

		if (e[0] == SG_ID_REL_ASSIGNED && sg_id_type_of(vm) == SG_ID_T_VM) {
			MDB_val k2 = {8, kb}, v2;
			int r2;

			put_be64(kb, vm);
			r2 = mdb_cursor_get(ci, &k2, &v2, MDB_SET_KEY);
			while (r2 == 0 && !serves) {
				const uint8_t *e2 = v2.mv_data;

				if (e2[0] == SG_ID_REL_SERVED_BY) {
					uint8_t cb[8];
					MDB_val k3 = {8, cb}, v3;
					int r3;

					memcpy(cb, e2 + 1, 8);
					r3 = mdb_cursor_get(ci2, &k3, &v3, MDB_SET_KEY);
					while (r3 == 0 && !serves) {
						const uint8_t *e3 = v3.mv_data;

						if (e3[0] == SG_ID_REL_HAS_COMPONENT) {
							int h = edge_has(s, txn, app,
									 SG_ID_REL_HAS_DOMAIN,
									 get_be64(e3 + 1));
							if (h < 0) {
								rc = h;
								goto out;
							}
							serves = h;
						}
						r3 = mdb_cursor_get(ci2, &k3, &v3, MDB_NEXT_DUP);
					}
				}
				r2 = mdb_cursor_get(ci, &k2, &v2, MDB_NEXT_DUP);
			}
		}
		if (serves) {
			if (found < max)
				vms[found++] = vm;
			else
				trunc = 1;
		}
		rc = mdb_cursor_get(cu, &k, &v, MDB_NEXT_DUP);
	}
	rc = rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc, "read edges");
out:
	if (cu)
		mdb_cursor_close(cu);
	if (ci)
		mdb_cursor_close(ci);
	if (ci2)
		mdb_cursor_close(ci2);
	store_read_end(s);
	*n = found;
	if (rc == 0 && trunc)
		rc = store_seterr(s, -ENOBUFS, "more than %zu serving VMs", max);
	return rc;
}

int
sg_id_resolve_affected(struct sg_id_store *s, uint64_t id, unsigned int type, uint32_t rel_mask,
		       uint64_t *out, size_t max, size_t *n)
{
	struct walk w;
	MDB_txn *txn;
	size_t seeds;
	int rc = store_check(s, 0);

	if (rc < 0)
		return rc;
	if (n == NULL || (out == NULL && max > 0))
		return -EINVAL;
	*n = 0;
	if (type != 0 && !sg_id_type_valid(type))
		return store_seterr(s, -EINVAL, "unknown type code %u", type);
	if (rel_mask & ~(((UINT32_C(1) << (SG_ID_REL_LAST + 1)) - 1) & ~UINT32_C(1)))
		return store_seterr(s, -EINVAL, "relation mask 0x%x names unknown relations",
				    rel_mask);
	rc = walk_init(&w, s, out, max);
	if (rc < 0)
		return rc;
	w.type = type;
	rc = store_read_begin(s, &txn);
	if (rc < 0) {
		walk_free(&w);
		return rc;
	}
	w.txn = txn;
	rc = need_obj(s, txn, id);
	if (rc == 0)
		rc = idset_add(&w.vis, id) < 0 ? -ENOMEM : 0;
	if (rc == 0)
		rc = bfsq_push(&w.q, id, 0);
	/* 1: everything contained in X (emitted if of the type) */
	w.max_depth = SG_ID_DEPTH_MAX;
	if (rc == 0)
		rc = walk_children(&w);
	/* 2: walk edges backwards from X and all of its contents */
	seeds = w.q.tail;
	for (size_t i = 0; i < seeds; i++)
		w.q.depth[i] = 0;
	w.q.head = 0;
	w.dir = SG_ID_DIR_IN;
	w.rel_mask = rel_mask;
	w.max_depth = SG_ID_REL_DEPTH_MAX;
	if (rc == 0 && !w.truncated)
		rc = walk_edges(&w);
	store_read_end(s);
	*n = w.n;
	if (rc == 0 && w.truncated)
		rc = store_seterr(s, -ENOBUFS, "more than %zu affected objects", max);
	walk_free(&w);
	return rc;
}

int
sg_id_foreach_edge(struct sg_id_store *s,
		   int (*cb)(uint64_t from, unsigned int rel, uint64_t to, void *arg), void *arg)
{
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc = store_check(s, 0), ret = 0;

	if (rc < 0)
		return rc;
	if (cb == NULL)
		return -EINVAL;
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_cursor_open(txn, s->db[DB_EDGES_OUT], &c);
	if (rc) {
		store_read_end(s);
		return store_mdb_err(s, rc, "cursor");
	}
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0) {
		const uint8_t *e = v.mv_data;

		if (k.mv_size != 8 || v.mv_size != EDGE_VAL_LEN) {
			ret = store_seterr(s, -EIO, "edge record damaged");
			break;
		}
		ret = cb(get_be64(k.mv_data), e[0], get_be64(e + 1), arg);
		if (ret != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	store_read_end(s);
	if (ret != 0)
		return ret;
	return rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc, "walk edges");
}
