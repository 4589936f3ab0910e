/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Resolution: "where is X" (the containment path), what X contains, what X
 * is related to (bounded breadth-first queries over typed edges), which VMs
 * serve a user for an application, and who is affected when X changes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "edge.h"
#include "object.h"
#include "walk.h"

/* Check the store and the output arguments of a bounded answer; *n = 0. */
static int
answer_begin(struct sg_id_store *s, const uint64_t *out, size_t max, size_t *n)
{
	int rc = sg_id_store_check(s, 0);

	if (rc < 0)
		return rc;
	if (n == NULL || (out == NULL && max > 0))
		return -EINVAL;
	*n = 0;
	return 0;
}

/*
 * Start a walk from @id in a read transaction; on failure nothing is left to
 * free or end. The caller sets the walk's bounds, walks, then walk_end().
 */
static int
walk_begin(struct sg_id_walk *w, struct sg_id_store *s, uint64_t id, uint64_t *out, size_t max)
{
	MDB_txn *txn;
	int rc = sg_id_walk_init(w, s, out, max);

	if (rc < 0)
		return rc;
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0) {
		sg_id_walk_free(w);
		return rc;
	}
	w->txn = txn;
	rc = sg_id_obj_need(s, txn, id);
	if (rc == 0)
		rc = sg_id_walk_seed(w, id);
	if (rc < 0) {
		sg_id_store_read_end(s);
		sg_id_walk_free(w);
	}
	return rc;
}

/* End the read, report the count, and turn a truncated walk into -ENOBUFS. */
static int
walk_end(struct sg_id_walk *w, int rc, size_t *n, const char *what)
{
	sg_id_store_read_end(w->s);
	*n = w->n;
	if (rc == 0 && w->truncated)
		rc = sg_id_store_seterr(w->s, -ENOBUFS, "more than %zu %s", w->max, what);
	sg_id_walk_free(w);
	return rc;
}

static int
query_check(struct sg_id_store *s, const struct sg_id_query *q)
{
	if (q == NULL || q->dir == 0 || q->dir > SG_ID_DIR_BOTH)
		return sg_id_store_seterr(s, -EINVAL, "query direction must be out, in or both");
	if (q->max_depth == 0 || q->max_depth > SG_ID_REL_DEPTH_MAX)
		return sg_id_store_seterr(s, -EINVAL, "query depth must be 1..%d",
					  SG_ID_REL_DEPTH_MAX);
	if (q->rel_mask & ~(((UINT32_C(1) << (SG_ID_REL_LAST + 1)) - 1) & ~UINT32_C(1)))
		return sg_id_store_seterr(s, -EINVAL, "relation mask 0x%x names unknown relations",
					  q->rel_mask);
	if (q->type != 0 && !sg_id_type_valid(q->type))
		return sg_id_store_seterr(s, -EINVAL, "unknown type code %u", q->type);
	return 0;
}

int
sg_id_related(struct sg_id_store *s, uint64_t id, const struct sg_id_query *q, uint64_t *out,
	      size_t max, size_t *n)
{
	struct sg_id_walk w;
	int rc = answer_begin(s, out, max, n);

	if (rc < 0)
		return rc;
	rc = query_check(s, q);
	if (rc < 0)
		return rc;
	rc = walk_begin(&w, s, id, out, max);
	if (rc < 0)
		return rc;
	w.dir = q->dir;
	w.rel_mask = q->rel_mask;
	w.type = q->type;
	w.max_depth = q->max_depth;
	if (q->max_visit)
		w.max_visit = q->max_visit;
	rc = sg_id_walk_edges(&w);
	if (rc == 0 && w.truncated)
		rc = sg_id_store_seterr(s, -ENOBUFS, "more than %zu results or %zu objects visited",
					max, w.max_visit);
	return walk_end(&w, rc, n, "results");
}

int
sg_id_resolve_where(struct sg_id_store *s, uint64_t id, uint64_t *path, size_t max, size_t *n)
{
	struct sg_id_object o;
	MDB_txn *txn;
	size_t k = 0;
	int rc = answer_begin(s, path, max, n);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id) || sg_id_is_temp(id))
		return sg_id_store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid persistent ID",
					  id);
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	while (id != SG_ID_NONE) {
		if (k > SG_ID_DEPTH_MAX) {
			rc = sg_id_store_seterr(
				s, -EIO, "containment tree damaged: cycle above %016" PRIx64, id);
			break;
		}
		rc = sg_id_obj_read(s, txn, id, &o);
		if (rc == -ENOENT)
			rc = sg_id_store_seterr(s, -ENOENT,
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
	sg_id_store_read_end(s);
	if (rc < 0)
		return rc;
	*n = k < max ? k : max;
	return k > max ? sg_id_store_seterr(s, -ENOBUFS, "path has %zu levels", k) : 0;
}

int
sg_id_resolve_contained(struct sg_id_store *s, uint64_t id, unsigned int depth, uint64_t *out,
			size_t max, size_t *n)
{
	struct sg_id_walk w;
	int rc = answer_begin(s, out, max, n);

	if (rc < 0)
		return rc;
	if (depth == 0 || depth > SG_ID_DEPTH_MAX)
		return sg_id_store_seterr(s, -EINVAL, "depth must be 1..%d", SG_ID_DEPTH_MAX);
	rc = walk_begin(&w, s, id, out, max);
	if (rc < 0)
		return rc;
	w.max_depth = depth;
	w.max_visit = SIZE_MAX;
	return walk_end(&w, sg_id_walk_children(&w), n, "contained objects");
}

int
sg_id_resolve_serving(struct sg_id_store *s, uint64_t user, uint64_t app, uint64_t *vms, size_t max,
		      size_t *n)
{
	uint8_t ub[8], kb[8];
	MDB_cursor *cu = NULL, *ci = NULL, *ci2 = NULL;
	MDB_txn *txn;
	MDB_val k, v;
	size_t found = 0;
	int rc = answer_begin(s, vms, max, n), trunc = 0;

	if (rc < 0)
		return rc;
	if (sg_id_type_of(user) != SG_ID_T_USER || sg_id_type_of(app) != SG_ID_T_APP)
		return sg_id_store_seterr(s, -EINVAL,
					  "serving needs a user ID and an application ID");
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = sg_id_obj_need(s, txn, user);
	if (rc == 0)
		rc = sg_id_obj_need(s, txn, app);
	if (rc == 0) {
		rc = sg_id_edge_has(s, txn, user, SG_ID_REL_SUBSCRIBES, app);
		if (rc == 0)
			rc = sg_id_store_seterr(s, -ENOLINK,
						"user does not subscribe to the application");
		else if (rc > 0)
			rc = 0;
	}
	if (rc == 0 && (mdb_cursor_open(txn, s->db[DB_EDGES_OUT], &cu) ||
			mdb_cursor_open(txn, s->db[DB_EDGES_IN], &ci) ||
			mdb_cursor_open(txn, s->db[DB_EDGES_IN], &ci2)))
		rc = sg_id_store_seterr(s, -EIO, "cannot open cursors");
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
							int h = sg_id_edge_has(s, txn, app,
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
	rc = rc == MDB_NOTFOUND ? 0 : sg_id_store_mdb_err(s, rc, "read edges");
out:
	if (cu)
		mdb_cursor_close(cu);
	if (ci)
		mdb_cursor_close(ci);
	if (ci2)
		mdb_cursor_close(ci2);
	sg_id_store_read_end(s);
	*n = found;
	if (rc == 0 && trunc)
		rc = sg_id_store_seterr(s, -ENOBUFS, "more than %zu serving VMs", max);
	return rc;
}

int
sg_id_resolve_affected(struct sg_id_store *s, uint64_t id, unsigned int type, uint32_t rel_mask,
		       uint64_t *out, size_t max, size_t *n)
{
	struct sg_id_walk w;
	size_t seeds;
	int rc = answer_begin(s, out, max, n);

	if (rc < 0)
		return rc;
	if (type != 0 && !sg_id_type_valid(type))
		return sg_id_store_seterr(s, -EINVAL, "unknown type code %u", type);
	if (rel_mask & ~(((UINT32_C(1) << (SG_ID_REL_LAST + 1)) - 1) & ~UINT32_C(1)))
		return sg_id_store_seterr(s, -EINVAL, "relation mask 0x%x names unknown relations",
					  rel_mask);
	rc = walk_begin(&w, s, id, out, max);
	if (rc < 0)
		return rc;
	w.type = type;
	/* 1: everything contained in X (emitted if of the type) */
	w.max_depth = SG_ID_DEPTH_MAX;
	rc = sg_id_walk_children(&w);
	/* 2: walk edges backwards from X and all of its contents */
	seeds = w.q.tail;
	for (size_t i = 0; i < seeds; i++)
		w.q.depth[i] = 0;
	w.q.head = 0;
	w.dir = SG_ID_DIR_IN;
	w.rel_mask = rel_mask;
	w.max_depth = SG_ID_REL_DEPTH_MAX;
	if (rc == 0 && !w.truncated)
		rc = sg_id_walk_edges(&w);
	return walk_end(&w, rc, n, "affected objects");
}
