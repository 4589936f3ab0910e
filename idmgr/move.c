/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Moving an object in the containment tree: refuses cycles and trees deeper
 * than SG_ID_DEPTH_MAX, then re-links the index and the object record.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>

#include "object.h"
#include "tree.h"
#include "walk.h"

struct move_arg {
	uint64_t id, parent;
};

/* Levels below @p id (0 for a leaf), bounded by SG_ID_DEPTH_MAX + 1. */
static int
subtree_height(struct sg_id_store *s, MDB_txn *txn, uint64_t id, unsigned int *height)
{
	struct sg_id_walk w;
	int rc = sg_id_walk_init(&w, s, NULL, 0);
	unsigned int h = 0;

	if (rc < 0)
		return rc;
	w.txn = txn;
	w.max_depth = SG_ID_DEPTH_MAX + 1;
	w.max_visit = SIZE_MAX;
	w.type = 0xffff; /* emit nothing */
	rc = sg_id_walk_seed(&w, id);
	if (rc == 0)
		rc = sg_id_walk_children(&w);
	for (size_t i = 0; rc == 0 && i < w.q.tail; i++)
		if (w.q.depth[i] > h)
			h = w.q.depth[i];
	sg_id_walk_free(&w);
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

	rc = sg_id_obj_read(s, txn, a->id, &o);
	if (rc == -ENOENT)
		return sg_id_store_seterr(s, rc, "no object %016" PRIx64, a->id);
	if (rc < 0)
		return rc;
	if (o.parent == a->parent)
		return 0;
	for (up = a->parent; up != SG_ID_NONE; up = p.parent) {
		if (up == a->id)
			return sg_id_store_seterr(
				s, -ELOOP, "cannot move '%s' into itself or an object it contains",
				o.name);
		if (++depth > SG_ID_DEPTH_MAX)
			return sg_id_store_seterr(s, -EIO, "containment tree damaged: cycle");
		rc = sg_id_obj_read(s, txn, up, &p);
		if (rc == -ENOENT)
			return sg_id_store_seterr(s, rc, "no object %016" PRIx64 " to move into",
						  up);
		if (rc < 0)
			return rc;
	}
	rc = subtree_height(s, txn, a->id, &height);
	if (rc < 0)
		return rc;
	if (depth + 1 + height > SG_ID_DEPTH_MAX)
		return sg_id_store_seterr(s, -EMLINK,
					  "move would make the tree deeper than %d levels",
					  SG_ID_DEPTH_MAX);
	rc = sg_id_tree_reparent(s, txn, a->id, o.parent, a->parent);
	if (rc < 0)
		return rc;
	return sg_id_obj_set_parent_ref(s, txn, a->id, a->parent, o.ref);
}

int
sg_id_move(struct sg_id_store *s, uint64_t id, uint64_t new_parent)
{
	struct move_arg a = {id, new_parent};
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id) || sg_id_is_temp(id) ||
	    (new_parent != SG_ID_NONE && (!sg_id_valid(new_parent) || sg_id_is_temp(new_parent))))
		return sg_id_store_seterr(s, -EINVAL, "move needs valid persistent IDs");
	if (id == new_parent)
		return sg_id_store_seterr(s, -ELOOP, "cannot move an object into itself");
	return sg_id_store_write(s, op_move, &a);
}
