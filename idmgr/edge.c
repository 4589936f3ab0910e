/* SPDX-License-Identifier: BSD-3-Clause */
/* The relationship graph: put, delete, test and drop typed edges. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "edge.h"
#include "object.h"

static void
edge_val(uint8_t *v, unsigned int rel, uint64_t other)
{
	v[0] = (uint8_t)rel;
	put_be64(v + 1, other);
}

int
sg_id_edge_put(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel, uint64_t to)
{
	uint8_t kb[8], vb[SG_ID_EDGE_VAL_LEN];
	MDB_val k = {8, kb}, v = {SG_ID_EDGE_VAL_LEN, vb};
	int rc;

	put_be64(kb, from);
	edge_val(vb, rel, to);
	rc = mdb_put(txn, s->db[DB_EDGES_OUT], &k, &v, MDB_NODUPDATA);
	if (rc == MDB_KEYEXIST)
		return 0;
	if (rc)
		return sg_id_store_mdb_err(s, rc, "write edge");
	put_be64(kb, to);
	edge_val(vb, rel, from);
	return sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_EDGES_IN], &k, &v, 0), "write edge");
}

int
sg_id_edge_del(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel, uint64_t to)
{
	uint8_t kb[8], vb[SG_ID_EDGE_VAL_LEN];
	MDB_val k = {8, kb}, v = {SG_ID_EDGE_VAL_LEN, vb};
	int rc;

	put_be64(kb, from);
	edge_val(vb, rel, to);
	rc = mdb_del(txn, s->db[DB_EDGES_OUT], &k, &v);
	if (rc == MDB_NOTFOUND)
		return sg_id_store_seterr(s, -ENOENT, "no edge %016" PRIx64 " -%s-> %016" PRIx64,
					  from, sg_id_rel_name(rel), to);
	if (rc)
		return sg_id_store_mdb_err(s, rc, "delete edge");
	put_be64(kb, to);
	edge_val(vb, rel, from);
	rc = mdb_del(txn, s->db[DB_EDGES_IN], &k, &v);
	if (rc == MDB_NOTFOUND)
		return sg_id_store_seterr(s, -EIO,
					  "relationship index damaged: reverse edge missing");
	return sg_id_store_mdb_err(s, rc, "delete edge");
}

int
sg_id_edge_has(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel, uint64_t to)
{
	uint8_t kb[8], vb[SG_ID_EDGE_VAL_LEN];
	MDB_val k = {8, kb}, v = {SG_ID_EDGE_VAL_LEN, vb};
	MDB_cursor *c;
	int rc;

	put_be64(kb, from);
	edge_val(vb, rel, to);
	rc = mdb_cursor_open(txn, s->db[DB_EDGES_OUT], &c);
	if (rc)
		return sg_id_store_mdb_err(s, rc, "cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? sg_id_store_mdb_err(s, rc, "read edge") : 1;
}

int
sg_id_edge_drop_all(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	static const int dbs[2] = {DB_EDGES_OUT, DB_EDGES_IN};
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	MDB_cursor *c;
	int rc;

	put_be64(kb, id);
	for (int d = 0; d < 2; d++) {
		size_t n = 0, cap = 0;
		uint8_t(*list)[SG_ID_EDGE_VAL_LEN] = NULL;

		rc = mdb_cursor_open(txn, s->db[dbs[d]], &c);
		if (rc)
			return sg_id_store_mdb_err(s, rc, "cursor");
		k.mv_size = 8;
		k.mv_data = kb;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
		while (rc == 0) {
			if (n == cap) {
				void *nl;

				cap = cap ? cap * 2 : 16;
				nl = realloc(list, cap * SG_ID_EDGE_VAL_LEN);
				if (nl == NULL) {
					free(list);
					mdb_cursor_close(c);
					return -ENOMEM;
				}
				list = nl;
			}
			memcpy(list[n++], v.mv_data, SG_ID_EDGE_VAL_LEN);
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
		}
		mdb_cursor_close(c);
		if (rc != MDB_NOTFOUND) {
			free(list);
			return sg_id_store_mdb_err(s, rc, "read edges");
		}
		for (size_t i = 0; i < n; i++) {
			unsigned int rel = list[i][0];
			uint64_t other = get_be64(list[i] + 1);

			rc = d == 0 ? sg_id_edge_del(s, txn, id, rel, other)
				    : sg_id_edge_del(s, txn, other, rel, id);
			if (rc == 0 && d == 0 && rel == SG_ID_REL_SERVED_BY) {
				struct sg_id_object o;

				rc = sg_id_obj_read(s, txn, other, &o);
				if (rc == 0 && o.ref == id)
					rc = sg_id_obj_set_parent_ref(s, txn, other, o.parent, 0);
			}
			if (rc < 0) {
				free(list);
				return rc;
			}
		}
		free(list);
	}
	return 0;
}
