/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registry: register (one or a batch), unregister and restore persistent
 * objects. Every serial comes from the per-type counter, written in the same
 * transaction as the object it names, so a committed ID is never handed out
 * again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "attr.h"
#include "counter.h"
#include "edge.h"
#include "object.h"
#include "tree.h"

int
sg_id_reg_validate(struct sg_id_store *s, const struct sg_id_reg *r, size_t idx)
{
	char err[200];
	unsigned int ns;
	int rc;

	if (r == NULL || r->name == NULL)
		return sg_id_store_seterr(s, -EINVAL, "entry %zu: no name", idx);
	if (!sg_id_type_valid(r->type) || sg_id_type_is_temp(r->type))
		return sg_id_store_seterr(
			s, -EINVAL,
			"entry %zu: type code %u is not a persistent type (temporary IDs come from sg_id_temp_alloc)",
			idx, r->type);
	ns = r->ns ? r->ns : sg_id_type_ns(r->type);
	rc = sg_id_name_check(ns, r->type, r->name, strnlen(r->name, SG_ID_NAME_MAX + 1), err,
			      sizeof(err));
	if (rc < 0)
		return sg_id_store_seterr(s, rc, "entry %zu: %s", idx, err);
	if (r->nattrs > SG_ID_ATTRS_MAX)
		return sg_id_store_seterr(s, -E2BIG, "entry %zu: %u attributes, at most %d allowed",
					  idx, r->nattrs, SG_ID_ATTRS_MAX);
	if (r->nattrs > 0 && r->attrs == NULL)
		return sg_id_store_seterr(s, -EINVAL, "entry %zu: attribute array missing", idx);
	for (unsigned int i = 0; i < r->nattrs; i++) {
		size_t kl, vl;

		rc = sg_id_attr_key_check(s, r->attrs[i].key, &kl);
		if (rc == 0)
			rc = sg_id_attr_value_check(s, r->attrs[i].key, r->attrs[i].value, &vl);
		if (rc < 0)
			return rc;
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(r->attrs[j].key, r->attrs[i].key) == 0)
				return sg_id_store_seterr(s, -EINVAL,
							  "entry %zu: attribute '%s' given twice",
							  idx, r->attrs[i].key);
	}
	if (r->parent != SG_ID_NONE && (!sg_id_valid(r->parent) || sg_id_is_temp(r->parent)))
		return sg_id_store_seterr(
			s, -EINVAL, "entry %zu: parent %016" PRIx64 " is not a valid persistent ID",
			idx, r->parent);
	return 0;
}

static int
reg_one(struct sg_id_store *s, MDB_txn *txn, const struct sg_id_reg *r, uint64_t *idp,
	bool *created)
{
	unsigned int ns = r->ns ? r->ns : sg_id_type_ns(r->type), depth = 0;
	size_t len = strlen(r->name);
	uint8_t nk[SG_ID_NAME_KEY_MAX], ak[SG_ID_ATTR_KEY_LEN];
	MDB_val k = {sg_id_name_key(nk, ns, r->type, r->name, len), nk}, v;
	struct sg_id_object o;
	uint64_t serial, id;
	int rc;

	rc = mdb_get(txn, s->db[DB_NAMES], &k, &v);
	if (rc == 0 && v.mv_size == 8) {
		memcpy(&id, v.mv_data, 8);
		*idp = id;
		*created = false;
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return sg_id_store_mdb_err(s, rc ? rc : MDB_CORRUPTED, "read name");
	if (r->parent != SG_ID_NONE) {
		rc = sg_id_tree_depth(s, txn, r->parent, &depth);
		if (rc == -ENOENT)
			return sg_id_store_seterr(s, -ENOENT,
						  "parent %016" PRIx64 " of '%s' does not exist",
						  r->parent, r->name);
		if (rc < 0)
			return rc;
		if (depth >= SG_ID_DEPTH_MAX)
			return sg_id_store_seterr(s, -EMLINK,
						  "containment tree deeper than %d levels",
						  SG_ID_DEPTH_MAX);
	}
	rc = sg_id_counter_next(s, txn, r->type, &serial);
	if (rc < 0)
		return rc;
	id = sg_id_make(r->type, serial);
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.parent = r->parent;
	o.type = r->type;
	o.ns = (uint8_t)ns;
	o.created_ns = sg_id_store_now_ns();
	memcpy(o.name, r->name, len);
	rc = sg_id_obj_put(s, txn, &o, len);
	if (rc < 0)
		return rc;
	v.mv_size = 8;
	v.mv_data = &id;
	rc = sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_NAMES], &k, &v, 0), "write name");
	if (rc == 0 && r->parent != SG_ID_NONE)
		rc = sg_id_tree_link(s, txn, r->parent, id);
	for (unsigned int i = 0; rc == 0 && i < r->nattrs; i++) {
		size_t kl = strlen(r->attrs[i].key);
		MDB_val ak_v = {sg_id_attr_key(ak, id, r->attrs[i].key, kl), ak};
		MDB_val av = {strlen(r->attrs[i].value), (void *)r->attrs[i].value};

		rc = sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_ATTRS], &ak_v, &av, 0),
					 "write attribute");
	}
	if (rc < 0)
		return rc;
	*idp = id;
	*created = true;
	return 0;
}

struct reg_arg {
	const struct sg_id_reg *r;
	size_t n;
	uint64_t *ids;
	bool created;
};

static int
op_register(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct reg_arg *a = arg;
	bool created = false;
	int rc;

	for (size_t i = 0; i < a->n; i++) {
		rc = reg_one(s, txn, &a->r[i], &a->ids[i], &created);
		if (rc < 0) {
			if (a->n > 1 && rc != SG_EMAPFULL)
				sg_id_store_prefixmsg(s, "entry %zu: ", i);
			return rc;
		}
		a->created = created;
	}
	return 0;
}

int
sg_id_register(struct sg_id_store *s, const struct sg_id_reg *r, uint64_t *id, bool *created)
{
	struct reg_arg a = {.r = r, .n = 1, .ids = id};
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (id == NULL)
		return -EINVAL;
	rc = sg_id_reg_validate(s, r, 0);
	if (rc < 0)
		return rc;
	rc = sg_id_store_write(s, op_register, &a);
	if (rc == 0 && created != NULL)
		*created = a.created;
	return rc;
}

int
sg_id_register_many(struct sg_id_store *s, const struct sg_id_reg *r, size_t n, uint64_t *ids)
{
	struct reg_arg a = {.r = r, .n = n, .ids = ids};
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if ((r == NULL || ids == NULL) && n > 0)
		return -EINVAL;
	if (n > SG_ID_BATCH_MAX)
		return sg_id_store_seterr(s, -E2BIG, "batch of %zu objects, at most %d allowed", n,
					  SG_ID_BATCH_MAX);
	for (size_t i = 0; i < n; i++) {
		rc = sg_id_reg_validate(s, &r[i], i);
		if (rc < 0)
			return rc;
	}
	return n ? sg_id_store_write(s, op_register, &a) : 0;
}

static int
op_unregister(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	uint64_t id = *(uint64_t *)arg;
	uint8_t nk[SG_ID_NAME_KEY_MAX];
	MDB_val k;
	struct sg_id_object o;
	int rc;

	rc = sg_id_obj_read(s, txn, id, &o);
	if (rc == -ENOENT)
		return sg_id_store_seterr(s, rc, "no object %016" PRIx64, id);
	if (rc < 0)
		return rc;
	rc = sg_id_tree_has_children(s, txn, id);
	if (rc > 0)
		return sg_id_store_seterr(
			s, -ENOTEMPTY, "'%s' still contains objects: move or unregister them first",
			o.name);
	if (rc < 0)
		return rc;
	k.mv_size = sg_id_name_key(nk, o.ns, o.type, o.name, strlen(o.name));
	k.mv_data = nk;
	rc = sg_id_store_mdb_err(s, mdb_del(txn, s->db[DB_NAMES], &k, NULL), "delete name");
	if (rc == 0 && o.parent != SG_ID_NONE)
		rc = sg_id_tree_unlink(s, txn, o.parent, id);
	if (rc == 0)
		rc = sg_id_attr_drop_all(s, txn, id);
	if (rc == 0)
		rc = sg_id_edge_drop_all(s, txn, id);
	return rc < 0 ? rc : sg_id_obj_del(s, txn, id);
}

int
sg_id_unregister(struct sg_id_store *s, uint64_t id)
{
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id))
		return sg_id_store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid ID", id);
	if (sg_id_is_temp(id))
		return sg_id_store_seterr(s, -EINVAL,
					  "temporary ID: release it with sg_id_temp_release");
	return sg_id_store_write(s, op_unregister, &id);
}

static int
op_restore(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	const struct sg_id_object *in = arg;
	struct sg_id_object o = *in;
	size_t len = strlen(o.name);
	uint8_t nk[SG_ID_NAME_KEY_MAX];
	MDB_val k = {sg_id_name_key(nk, o.ns, o.type, o.name, len), nk}, v;
	int rc;

	rc = sg_id_obj_exists(s, txn, o.id);
	if (rc != 0)
		return rc < 0 ? rc
			      : sg_id_store_seterr(s, -EEXIST, "ID %016" PRIx64 " already in use",
						   o.id);
	rc = mdb_get(txn, s->db[DB_NAMES], &k, &v);
	if (rc == 0)
		return sg_id_store_seterr(s, -EEXIST, "name '%s' already registered", o.name);
	if (rc != MDB_NOTFOUND)
		return sg_id_store_mdb_err(s, rc, "read name");
	rc = sg_id_counter_raise(s, txn, o.type, sg_id_serial_of(o.id));
	if (rc < 0)
		return rc;
	o.parent = SG_ID_NONE;
	o.ref = SG_ID_NONE;
	if (o.created_ns == 0)
		o.created_ns = sg_id_store_now_ns();
	rc = sg_id_obj_put(s, txn, &o, len);
	if (rc < 0)
		return rc;
	v.mv_size = 8;
	v.mv_data = &o.id;
	return sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_NAMES], &k, &v, 0), "write name");
}

int
sg_id_restore(struct sg_id_store *s, const struct sg_id_object *o)
{
	struct sg_id_reg r;
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (o == NULL)
		return -EINVAL;
	if (!sg_id_valid(o->id) || sg_id_is_temp(o->id) || sg_id_type_of(o->id) != o->type)
		return sg_id_store_seterr(s, -EINVAL,
					  "ID %016" PRIx64 " invalid or does not match type %u",
					  o->id, o->type);
	memset(&r, 0, sizeof(r));
	r.type = o->type;
	r.ns = o->ns;
	r.name = o->name;
	rc = sg_id_reg_validate(s, &r, 0);
	if (rc < 0)
		return rc;
	return sg_id_store_write(s, op_restore, (void *)o);
}
