/* SPDX-License-Identifier: BSD-3-Clause */
/* Object records: read, test, write and re-parent one object of DB_OBJECTS. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "object.h"

int
sg_id_obj_read(struct sg_id_store *s, MDB_txn *txn, uint64_t id, struct sg_id_object *o)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	struct sg_id_obj_rec r;
	int rc;

	put_be64(kb, id);
	rc = mdb_get(txn, s->db[DB_OBJECTS], &k, &v);
	if (rc)
		return sg_id_store_mdb_err(s, rc, "read object");
	if (v.mv_size < sizeof(r))
		return sg_id_store_seterr(s, -EIO, "object record of %016" PRIx64 " truncated", id);
	memcpy(&r, v.mv_data, sizeof(r));
	if (r.name_len > SG_ID_NAME_MAX || v.mv_size != sizeof(r) + r.name_len)
		return sg_id_store_seterr(s, -EIO, "object record of %016" PRIx64 " damaged", id);
	if (o != NULL) {
		o->id = id;
		o->parent = r.parent;
		o->ref = r.ref;
		o->created_ns = r.created_ns;
		o->type = r.type;
		o->ns = r.ns;
		memcpy(o->name, (const uint8_t *)v.mv_data + sizeof(r), r.name_len);
		o->name[r.name_len] = '\0';
	}
	return 0;
}

int
sg_id_obj_exists(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	return sg_id_store_has(s, txn, DB_OBJECTS, id, "read object");
}

int
sg_id_obj_need(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	int rc;

	if (!sg_id_valid(id) || sg_id_is_temp(id))
		return sg_id_store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid persistent ID",
					  id);
	rc = sg_id_obj_exists(s, txn, id);
	if (rc == 0)
		return sg_id_store_seterr(s, -ENOENT, "no object %016" PRIx64, id);
	return rc < 0 ? rc : 0;
}

int
sg_id_obj_put(struct sg_id_store *s, MDB_txn *txn, const struct sg_id_object *o, size_t name_len)
{
	uint8_t kb[8], vb[sizeof(struct sg_id_obj_rec) + SG_ID_NAME_MAX];
	struct sg_id_obj_rec r = {
		.version = 1,
		.type = o->type,
		.ns = o->ns,
		.name_len = (uint16_t)name_len,
		.parent = o->parent,
		.ref = o->ref,
		.created_ns = o->created_ns,
	};
	MDB_val k = {8, kb}, v = {sizeof(r) + name_len, vb};

	put_be64(kb, o->id);
	memcpy(vb, &r, sizeof(r));
	memcpy(vb + sizeof(r), o->name, name_len);
	return sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_OBJECTS], &k, &v, 0), "write object");
}

int
sg_id_obj_set_parent_ref(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t parent,
			 uint64_t ref)
{
	struct sg_id_object o;
	int rc = sg_id_obj_read(s, txn, id, &o);

	if (rc < 0)
		return rc;
	o.parent = parent;
	o.ref = ref;
	return sg_id_obj_put(s, txn, &o, strlen(o.name));
}

int
sg_id_obj_del(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	uint8_t kb[8];
	MDB_val k = {8, kb};

	put_be64(kb, id);
	return sg_id_store_mdb_err(s, mdb_del(txn, s->db[DB_OBJECTS], &k, NULL), "delete object");
}
