/* SPDX-License-Identifier: BSD-3-Clause */
/* The containment tree index: depth, link, unlink, re-parent, emptiness. */
#include <errno.h>
#include <inttypes.h>

#include "object.h"
#include "tree.h"

/* Depth of @p id from its root (root = 1); -EIO on a cycle. */
int
sg_id_tree_depth(struct sg_id_store *s, MDB_txn *txn, uint64_t id, unsigned int *depth)
{
	struct sg_id_object o;
	unsigned int d = 0;
	int rc;

	while (id != SG_ID_NONE) {
		if (++d > SG_ID_DEPTH_MAX + 1)
			return sg_id_store_seterr(s, -EIO, "containment tree damaged: cycle found");
		rc = sg_id_obj_read(s, txn, id, &o);
		if (rc < 0)
			return rc;
		id = o.parent;
	}
	*depth = d;
	return 0;
}

int
sg_id_tree_link(struct sg_id_store *s, MDB_txn *txn, uint64_t parent, uint64_t child)
{
	uint8_t kb[8], vb[8];
	MDB_val k = {8, kb}, v = {8, vb};

	put_be64(kb, parent);
	put_be64(vb, child);
	return sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_CHILDREN], &k, &v, 0), "write child");
}

int
sg_id_tree_unlink(struct sg_id_store *s, MDB_txn *txn, uint64_t parent, uint64_t child)
{
	uint8_t kb[8], vb[8];
	MDB_val k = {8, kb}, v = {8, vb};
	int rc;

	put_be64(kb, parent);
	put_be64(vb, child);
	rc = mdb_del(txn, s->db[DB_CHILDREN], &k, &v);
	if (rc == MDB_NOTFOUND)
		return sg_id_store_seterr(s, -EIO, "containment tree damaged: child entry missing");
	return sg_id_store_mdb_err(s, rc, "delete child");
}

int
sg_id_tree_reparent(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t old_parent,
		    uint64_t new_parent)
{
	int rc = 0;

	if (old_parent != SG_ID_NONE)
		rc = sg_id_tree_unlink(s, txn, old_parent, id);
	if (rc == 0 && new_parent != SG_ID_NONE)
		rc = sg_id_tree_link(s, txn, new_parent, id);
	return rc;
}

int
sg_id_tree_has_children(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	return sg_id_store_has(s, txn, DB_CHILDREN, id, "read children");
}
