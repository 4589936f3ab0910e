/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Registry and generator: persistent objects (register, lookup, attributes,
 * unregister, restore) and temporary session IDs. Every serial comes from
 * the per-type counter, written in the same transaction as the object it
 * names, so a committed ID is never handed out again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmgr_internal.h"

#define NAME_KEY_MAX (2 + SG_ID_NAME_MAX)
#define ATTR_KEY_LEN (8 + SG_ID_ATTR_KEY_MAX)
#define TTL_MAX_MS   (30u * 24 * 3600 * 1000)

static size_t
name_key(uint8_t *buf, unsigned int ns, unsigned int type, const char *name, size_t len)
{
	buf[0] = (uint8_t)ns;
	buf[1] = (uint8_t)type;
	memcpy(buf + 2, name, len);
	return 2 + len;
}

static int
attr_key_check(struct sg_id_store *s, const char *key, size_t *klen)
{
	size_t n;

	if (key == NULL)
		return store_seterr(s, -EINVAL, "attribute key missing");
	n = strlen(key);
	if (n == 0 || n > SG_ID_ATTR_KEY_MAX)
		return store_seterr(s, n ? -ENAMETOOLONG : -EINVAL,
				    "attribute key must be 1-%d bytes of a-z 0-9 _ . -",
				    SG_ID_ATTR_KEY_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return store_seterr(
				s, -EINVAL,
				"attribute key '%.64s': character at offset %zu not allowed (use a-z 0-9 _ . -)",
				key, i);
	}
	*klen = n;
	return 0;
}

static int
attr_value_check(struct sg_id_store *s, const char *key, const char *value, size_t *vlen)
{
	size_t n;

	if (value == NULL)
		return store_seterr(s, -EINVAL, "attribute '%s': value missing", key);
	n = strnlen(value, SG_ID_ATTR_VALUE_MAX + 1);
	if (n > SG_ID_ATTR_VALUE_MAX)
		return store_seterr(s, -E2BIG, "attribute '%s': value longer than %d bytes", key,
				    SG_ID_ATTR_VALUE_MAX);
	*vlen = n;
	return 0;
}

static size_t
attr_key(uint8_t *buf, uint64_t id, const char *key, size_t klen)
{
	put_be64(buf, id);
	memcpy(buf + 8, key, klen);
	return 8 + klen;
}

int
obj_read(struct sg_id_store *s, MDB_txn *txn, uint64_t id, struct sg_id_object *o)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	struct obj_rec r;
	int rc;

	put_be64(kb, id);
	rc = mdb_get(txn, s->db[DB_OBJECTS], &k, &v);
	if (rc)
		return store_mdb_err(s, rc, "read object");
	if (v.mv_size < sizeof(r))
		return store_seterr(s, -EIO, "object record of %016" PRIx64 " truncated", id);
	memcpy(&r, v.mv_data, sizeof(r));
	if (r.name_len > SG_ID_NAME_MAX || v.mv_size != sizeof(r) + r.name_len)
		return store_seterr(s, -EIO, "object record of %016" PRIx64 " damaged", id);
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
obj_exists(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	int rc;

	put_be64(kb, id);
	rc = mdb_get(txn, s->db[DB_OBJECTS], &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? store_mdb_err(s, rc, "read object") : 1;
}

static int
obj_put(struct sg_id_store *s, MDB_txn *txn, const struct sg_id_object *o, size_t name_len)
{
	uint8_t kb[8], vb[sizeof(struct obj_rec) + SG_ID_NAME_MAX];
	struct obj_rec r = {
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
	return store_mdb_err(s, mdb_put(txn, s->db[DB_OBJECTS], &k, &v, 0), "write object");
}

int
obj_write_parent_ref(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t parent,
		     uint64_t ref)
{
	struct sg_id_object o;
	int rc = obj_read(s, txn, id, &o);

	if (rc < 0)
		return rc;
	o.parent = parent;
	o.ref = ref;
	return obj_put(s, txn, &o, strlen(o.name));
}

static int
counter_next(struct sg_id_store *s, MDB_txn *txn, unsigned int type, uint64_t *serial)
{
	uint8_t kb = (uint8_t)type;
	MDB_val k = {1, &kb}, v;
	uint64_t next = 1;
	int rc;

	rc = mdb_get(txn, s->db[DB_COUNTERS], &k, &v);
	if (rc == 0 && v.mv_size == 8)
		memcpy(&next, v.mv_data, 8);
	else if (rc != MDB_NOTFOUND)
		return rc ? store_mdb_err(s, rc, "read counter")
			  : store_seterr(s, -EIO, "counter record damaged");
	if (next > SG_ID_SERIAL_MAX)
		return store_seterr(s, -EOVERFLOW, "serials of type '%s' exhausted",
				    sg_id_type_name(type));
	*serial = next;
	next++;
	v.mv_size = 8;
	v.mv_data = &next;
	return store_mdb_err(s, mdb_put(txn, s->db[DB_COUNTERS], &k, &v, 0), "write counter");
}

static int
counter_raise(struct sg_id_store *s, MDB_txn *txn, unsigned int type, uint64_t past)
{
	uint8_t kb = (uint8_t)type;
	MDB_val k = {1, &kb}, v;
	uint64_t next = 1;
	int rc;

	rc = mdb_get(txn, s->db[DB_COUNTERS], &k, &v);
	if (rc == 0 && v.mv_size == 8)
		memcpy(&next, v.mv_data, 8);
	else if (rc != MDB_NOTFOUND)
		return store_mdb_err(s, rc ? rc : MDB_CORRUPTED, "read counter");
	if (next > past)
		return 0;
	next = past + 1;
	v.mv_size = 8;
	v.mv_data = &next;
	return store_mdb_err(s, mdb_put(txn, s->db[DB_COUNTERS], &k, &v, 0), "write counter");
}

/* Depth of @p id from its root (root = 1); -EIO on a cycle. */
static int
tree_depth(struct sg_id_store *s, MDB_txn *txn, uint64_t id, unsigned int *depth)
{
	struct sg_id_object o;
	unsigned int d = 0;
	int rc;

	while (id != SG_ID_NONE) {
		if (++d > SG_ID_DEPTH_MAX + 1)
			return store_seterr(s, -EIO, "containment tree damaged: cycle found");
		rc = obj_read(s, txn, id, &o);
		if (rc < 0)
			return rc;
		id = o.parent;
	}
	*depth = d;
	return 0;
}

static int
children_put(struct sg_id_store *s, MDB_txn *txn, uint64_t parent, uint64_t child)
{
	uint8_t kb[8], vb[8];
	MDB_val k = {8, kb}, v = {8, vb};

	put_be64(kb, parent);
	put_be64(vb, child);
	return store_mdb_err(s, mdb_put(txn, s->db[DB_CHILDREN], &k, &v, 0), "write child");
}

static int
children_del(struct sg_id_store *s, MDB_txn *txn, uint64_t parent, uint64_t child)
{
	uint8_t kb[8], vb[8];
	MDB_val k = {8, kb}, v = {8, vb};
	int rc;

	put_be64(kb, parent);
	put_be64(vb, child);
	rc = mdb_del(txn, s->db[DB_CHILDREN], &k, &v);
	if (rc == MDB_NOTFOUND)
		return store_seterr(s, -EIO, "containment tree damaged: child entry missing");
	return store_mdb_err(s, rc, "delete child");
}

/* Shared with resolve.c through sg_id_move(). */
int tree_reparent(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t old_parent,
		  uint64_t new_parent);

int
tree_reparent(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t old_parent,
	      uint64_t new_parent)
{
	int rc = 0;

	if (old_parent != SG_ID_NONE)
		rc = children_del(s, txn, old_parent, id);
	if (rc == 0 && new_parent != SG_ID_NONE)
		rc = children_put(s, txn, new_parent, id);
	return rc;
}

static int
reg_validate(struct sg_id_store *s, const struct sg_id_reg *r, size_t idx)
{
	char err[200];
	unsigned int ns;
	int rc;

	if (r == NULL || r->name == NULL)
		return store_seterr(s, -EINVAL, "entry %zu: no name", idx);
	if (!sg_id_type_valid(r->type) || sg_id_type_is_temp(r->type))
		return store_seterr(
			s, -EINVAL,
			"entry %zu: type code %u is not a persistent type (temporary IDs come from sg_id_temp_alloc)",
			idx, r->type);
	ns = r->ns ? r->ns : sg_id_type_ns(r->type);
	rc = sg_id_name_check(ns, r->type, r->name, strnlen(r->name, SG_ID_NAME_MAX + 1), err,
			      sizeof(err));
	if (rc < 0)
		return store_seterr(s, rc, "entry %zu: %s", idx, err);
	if (r->nattrs > SG_ID_ATTRS_MAX)
		return store_seterr(s, -E2BIG, "entry %zu: %u attributes, at most %d allowed", idx,
				    r->nattrs, SG_ID_ATTRS_MAX);
	if (r->nattrs > 0 && r->attrs == NULL)
		return store_seterr(s, -EINVAL, "entry %zu: attribute array missing", idx);
	for (unsigned int i = 0; i < r->nattrs; i++) {
		size_t kl, vl;

		rc = attr_key_check(s, r->attrs[i].key, &kl);
		if (rc == 0)
			rc = attr_value_check(s, r->attrs[i].key, r->attrs[i].value, &vl);
		if (rc < 0)
			return rc;
		for (unsigned int j = 0; j < i; j++)
			if (strcmp(r->attrs[j].key, r->attrs[i].key) == 0)
				return store_seterr(s, -EINVAL,
						    "entry %zu: attribute '%s' given twice", idx,
						    r->attrs[i].key);
	}
	if (r->parent != SG_ID_NONE && (!sg_id_valid(r->parent) || sg_id_is_temp(r->parent)))
		return store_seterr(s, -EINVAL,
				    "entry %zu: parent %016" PRIx64 " is not a valid persistent ID",
				    idx, r->parent);
	return 0;
}

static int
reg_one(struct sg_id_store *s, MDB_txn *txn, const struct sg_id_reg *r, uint64_t *idp,
	bool *created)
{
	unsigned int ns = r->ns ? r->ns : sg_id_type_ns(r->type), depth = 0;
	size_t len = strlen(r->name);
	uint8_t nk[NAME_KEY_MAX], ak[ATTR_KEY_LEN];
	MDB_val k = {name_key(nk, ns, r->type, r->name, len), nk}, v;
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
		return store_mdb_err(s, rc ? rc : MDB_CORRUPTED, "read name");
	if (r->parent != SG_ID_NONE) {
		rc = tree_depth(s, txn, r->parent, &depth);
		if (rc == -ENOENT)
			return store_seterr(s, -ENOENT,
					    "parent %016" PRIx64 " of '%s' does not exist",
					    r->parent, r->name);
		if (rc < 0)
			return rc;
		if (depth >= SG_ID_DEPTH_MAX)
			return store_seterr(s, -EMLINK, "containment tree deeper than %d levels",
					    SG_ID_DEPTH_MAX);
	}
	rc = counter_next(s, txn, r->type, &serial);
	if (rc < 0)
		return rc;
	id = sg_id_make(r->type, serial);
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.parent = r->parent;
	o.type = r->type;
	o.ns = (uint8_t)ns;
	o.created_ns = store_now_ns();
	memcpy(o.name, r->name, len);
	rc = obj_put(s, txn, &o, len);
	if (rc < 0)
		return rc;
	v.mv_size = 8;
	v.mv_data = &id;
	rc = store_mdb_err(s, mdb_put(txn, s->db[DB_NAMES], &k, &v, 0), "write name");
	if (rc == 0 && r->parent != SG_ID_NONE)
		rc = children_put(s, txn, r->parent, id);
	for (unsigned int i = 0; rc == 0 && i < r->nattrs; i++) {
		size_t kl = strlen(r->attrs[i].key);
		MDB_val ak_v = {attr_key(ak, id, r->attrs[i].key, kl), ak};
		MDB_val av = {strlen(r->attrs[i].value), (void *)r->attrs[i].value};

		rc = store_mdb_err(s, mdb_put(txn, s->db[DB_ATTRS], &ak_v, &av, 0),
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
			if (a->n > 1 && rc != SG_EMAPFULL) {
				char prev[sizeof(s->errmsg)];

				memcpy(prev, s->errmsg, sizeof(prev));
				store_setmsg(s, "entry %zu: %s", i, prev);
			}
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
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (id == NULL)
		return -EINVAL;
	rc = reg_validate(s, r, 0);
	if (rc < 0)
		return rc;
	rc = store_write(s, op_register, &a);
	if (rc == 0 && created != NULL)
		*created = a.created;
	return rc;
}

int
sg_id_register_many(struct sg_id_store *s, const struct sg_id_reg *r, size_t n, uint64_t *ids)
{
	struct reg_arg a = {.r = r, .n = n, .ids = ids};
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if ((r == NULL || ids == NULL) && n > 0)
		return -EINVAL;
	if (n > SG_ID_BATCH_MAX)
		return store_seterr(s, -E2BIG, "batch of %zu objects, at most %d allowed", n,
				    SG_ID_BATCH_MAX);
	for (size_t i = 0; i < n; i++) {
		rc = reg_validate(s, &r[i], i);
		if (rc < 0)
			return rc;
	}
	return n ? store_write(s, op_register, &a) : 0;
}

static int
del_prefix(struct sg_id_store *s, MDB_txn *txn, MDB_dbi dbi, uint64_t id)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	MDB_cursor *c;
	int rc;

	put_be64(kb, id);
	rc = mdb_cursor_open(txn, dbi, &c);
	if (rc)
		return store_mdb_err(s, rc, "cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= 8 && get_be64(k.mv_data) == id) {
		rc = mdb_cursor_del(c, 0);
		if (rc)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
		if (rc == MDB_NOTFOUND || rc == EINVAL)
			break;
		if (rc)
			break;
		if (get_be64(k.mv_data) != id)
			break;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND || rc == EINVAL)
		rc = 0;
	return store_mdb_err(s, rc, "delete attributes");
}

/* Remove every edge touching @p id, and clear VM references to it. */
static int
edges_drop(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	static const int dbs[2] = {DB_EDGES_OUT, DB_EDGES_IN};
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	MDB_cursor *c;
	int rc;

	put_be64(kb, id);
	for (int d = 0; d < 2; d++) {
		size_t n = 0, cap = 0;
		uint8_t(*list)[EDGE_VAL_LEN] = NULL;

		rc = mdb_cursor_open(txn, s->db[dbs[d]], &c);
		if (rc)
			return store_mdb_err(s, rc, "cursor");
		k.mv_size = 8;
		k.mv_data = kb;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
		while (rc == 0) {
			if (n == cap) {
				void *nl;

				cap = cap ? cap * 2 : 16;
				nl = realloc(list, cap * EDGE_VAL_LEN);
				if (nl == NULL) {
					free(list);
					mdb_cursor_close(c);
					return -ENOMEM;
				}
				list = nl;
			}
			memcpy(list[n++], v.mv_data, EDGE_VAL_LEN);
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
		}
		mdb_cursor_close(c);
		if (rc != MDB_NOTFOUND) {
			free(list);
			return store_mdb_err(s, rc, "read edges");
		}
		for (size_t i = 0; i < n; i++) {
			unsigned int rel = list[i][0];
			uint64_t other = get_be64(list[i] + 1);

			rc = d == 0 ? edge_del(s, txn, id, rel, other)
				    : edge_del(s, txn, other, rel, id);
			if (rc == 0 && d == 0 && rel == SG_ID_REL_SERVED_BY) {
				struct sg_id_object o;

				rc = obj_read(s, txn, other, &o);
				if (rc == 0 && o.ref == id)
					rc = obj_write_parent_ref(s, txn, other, o.parent, 0);
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

static int
op_unregister(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	uint64_t id = *(uint64_t *)arg;
	uint8_t kb[8], nk[NAME_KEY_MAX];
	MDB_val k = {8, kb}, v;
	struct sg_id_object o;
	int rc;

	rc = obj_read(s, txn, id, &o);
	if (rc == -ENOENT)
		return store_seterr(s, rc, "no object %016" PRIx64, id);
	if (rc < 0)
		return rc;
	put_be64(kb, id);
	rc = mdb_get(txn, s->db[DB_CHILDREN], &k, &v);
	if (rc == 0)
		return store_seterr(s, -ENOTEMPTY,
				    "'%s' still contains objects: move or unregister them first",
				    o.name);
	if (rc != MDB_NOTFOUND)
		return store_mdb_err(s, rc, "read children");
	k.mv_size = name_key(nk, o.ns, o.type, o.name, strlen(o.name));
	k.mv_data = nk;
	rc = store_mdb_err(s, mdb_del(txn, s->db[DB_NAMES], &k, NULL), "delete name");
	if (rc == 0 && o.parent != SG_ID_NONE)
		rc = children_del(s, txn, o.parent, id);
	if (rc == 0)
		rc = del_prefix(s, txn, s->db[DB_ATTRS], id);
	if (rc == 0)
		rc = edges_drop(s, txn, id);
	if (rc == 0) {
		k.mv_size = 8;
		k.mv_data = kb;
		rc = store_mdb_err(s, mdb_del(txn, s->db[DB_OBJECTS], &k, NULL), "delete object");
	}
	return rc;
}

int
sg_id_unregister(struct sg_id_store *s, uint64_t id)
{
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id))
		return store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid ID", id);
	if (sg_id_is_temp(id))
		return store_seterr(s, -EINVAL, "temporary ID: release it with sg_id_temp_release");
	return store_write(s, op_unregister, &id);
}

int
sg_id_lookup_name(struct sg_id_store *s, unsigned int ns, unsigned int type, const char *name,
		  uint64_t *id)
{
	uint8_t nk[NAME_KEY_MAX];
	char err[200];
	MDB_txn *txn;
	MDB_val k, v;
	size_t len;
	int rc = store_check(s, 0);

	if (rc < 0)
		return rc;
	if (id == NULL || name == NULL)
		return -EINVAL;
	if (ns == SG_ID_NS_NONE)
		ns = sg_id_type_ns(type);
	len = strnlen(name, SG_ID_NAME_MAX + 1);
	rc = sg_id_name_check(ns, type, name, len, err, sizeof(err));
	if (rc < 0)
		return store_seterr(s, rc, "%s", err);
	if (sg_id_type_is_temp(type))
		return store_seterr(s, -EINVAL, "temporary IDs have no names");
	k.mv_size = name_key(nk, ns, type, name, len);
	k.mv_data = nk;
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_get(txn, s->db[DB_NAMES], &k, &v);
	if (rc == 0 && v.mv_size == 8)
		memcpy(id, v.mv_data, 8);
	else if (rc == 0)
		rc = MDB_CORRUPTED;
	store_read_end(s);
	if (rc == MDB_NOTFOUND)
		return store_seterr(s, -ENOENT, "%s/%s/%s is not registered", sg_id_ns_name(ns),
				    sg_id_type_name(type), name);
	return store_mdb_err(s, rc, "read name");
}

int
sg_id_get(struct sg_id_store *s, uint64_t id, struct sg_id_object *o)
{
	MDB_txn *txn;
	int rc = store_check(s, 0);

	if (rc < 0)
		return rc;
	if (o == NULL || !sg_id_valid(id) || sg_id_is_temp(id))
		return store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid persistent ID", id);
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = obj_read(s, txn, id, o);
	store_read_end(s);
	if (rc == -ENOENT)
		return store_seterr(s, rc, "no object %016" PRIx64, id);
	return rc;
}

int
sg_id_lookup_handle(struct sg_id_store *s, const char *text, uint64_t *id)
{
	struct sg_id_handle h;
	char err[200];
	uint64_t v;
	int rc = store_check(s, 0);

	if (rc < 0)
		return rc;
	if (text == NULL || id == NULL)
		return -EINVAL;
	if (strchr(text, '/') == NULL) {
		rc = sg_id_text_parse(text, &v);
		if (rc < 0)
			return store_seterr(
				s, rc,
				"'%.80s' is neither a handle (namespace/type/name) nor an ID (type#serial)",
				text);
		if (sg_id_is_temp(v)) {
			struct sg_id_temp t;

			rc = sg_id_temp_get(s, v, &t);
		} else {
			struct sg_id_object o;

			rc = sg_id_get(s, v, &o);
		}
		if (rc == 0)
			*id = v;
		return rc;
	}
	rc = sg_id_handle_parse(text, strnlen(text, SG_ID_HANDLE_MAX + 1), &h, err, sizeof(err));
	if (rc < 0)
		return store_seterr(s, rc, "handle '%.80s': %s", text, err);
	if (h.ns == SG_ID_NS_SESSION) {
		struct sg_id_temp t;

		rc = sg_id_temp_get(s, h.id, &t);
		if (rc == 0)
			*id = h.id;
		return rc;
	}
	return sg_id_lookup_name(s, h.ns, h.type, h.name, id);
}

int
sg_id_handle_of(struct sg_id_store *s, uint64_t id, char *buf, size_t len)
{
	struct sg_id_handle h;
	struct sg_id_object o;
	int rc;

	if (sg_id_valid(id) && sg_id_is_temp(id)) {
		h.ns = SG_ID_NS_SESSION;
		h.type = (uint8_t)sg_id_type_of(id);
		rc = snprintf(h.name, sizeof(h.name), "%" PRIu64, sg_id_serial_of(id));
		h.name_len = (uint16_t)rc;
		return sg_id_handle_format(&h, buf, len);
	}
	rc = sg_id_get(s, id, &o);
	if (rc < 0)
		return rc;
	h.ns = o.ns;
	h.type = o.type;
	h.name_len = (uint16_t)strlen(o.name);
	memcpy(h.name, o.name, h.name_len + 1);
	return sg_id_handle_format(&h, buf, len);
}

int
sg_id_foreach(struct sg_id_store *s, unsigned int type,
	      int (*cb)(const struct sg_id_object *o, void *arg), void *arg)
{
	struct sg_id_object o;
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int rc = store_check(s, 0), ret = 0;

	if (rc < 0)
		return rc;
	if (cb == NULL || (type != 0 && (!sg_id_type_valid(type) || sg_id_type_is_temp(type))))
		return -EINVAL;
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_cursor_open(txn, s->db[DB_OBJECTS], &c);
	if (rc) {
		store_read_end(s);
		return store_mdb_err(s, rc, "cursor");
	}
	put_be64(kb, type ? sg_id_make(type, 0) : 0);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		uint64_t id = get_be64(k.mv_data);

		if (type != 0 && sg_id_type_of(id) != type)
			break;
		ret = obj_read(s, txn, id, &o);
		if (ret < 0)
			break;
		ret = cb(&o, arg);
		if (ret != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	store_read_end(s);
	if (ret != 0)
		return ret;
	return rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc, "walk objects");
}

/* ---- attributes ---- */

struct attr_arg {
	uint64_t id;
	const char *key;
	size_t klen;
	const char *value;
	size_t vlen;
};

static int
attr_count(struct sg_id_store *s, MDB_txn *txn, uint64_t id, unsigned int *count)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	MDB_cursor *c;
	unsigned int n = 0;
	int rc;

	put_be64(kb, id);
	rc = mdb_cursor_open(txn, s->db[DB_ATTRS], &c);
	if (rc)
		return store_mdb_err(s, rc, "cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && get_be64(k.mv_data) == id) {
		n++;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	*count = n;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : store_mdb_err(s, rc, "count attributes");
}

static int
op_attr_set(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct attr_arg *a = arg;
	uint8_t kb[ATTR_KEY_LEN];
	MDB_val k = {attr_key(kb, a->id, a->key, a->klen), kb}, v;
	unsigned int n = 0;
	int rc;

	rc = obj_exists(s, txn, a->id);
	if (rc <= 0)
		return rc ? rc : store_seterr(s, -ENOENT, "no object %016" PRIx64, a->id);
	rc = mdb_get(txn, s->db[DB_ATTRS], &k, &v);
	if (rc == MDB_NOTFOUND) {
		rc = attr_count(s, txn, a->id, &n);
		if (rc < 0)
			return rc;
		if (n >= SG_ID_ATTRS_MAX)
			return store_seterr(s, -E2BIG, "object already has %d attributes",
					    SG_ID_ATTRS_MAX);
	} else if (rc) {
		return store_mdb_err(s, rc, "read attribute");
	}
	v.mv_size = a->vlen;
	v.mv_data = (void *)a->value;
	return store_mdb_err(s, mdb_put(txn, s->db[DB_ATTRS], &k, &v, 0), "write attribute");
}

static int
op_attr_del(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct attr_arg *a = arg;
	uint8_t kb[ATTR_KEY_LEN];
	MDB_val k = {attr_key(kb, a->id, a->key, a->klen), kb};
	int rc = mdb_del(txn, s->db[DB_ATTRS], &k, NULL);

	if (rc == MDB_NOTFOUND)
		return store_seterr(s, -ENOENT, "no attribute '%s'", a->key);
	return store_mdb_err(s, rc, "delete attribute");
}

static int
attr_prep(struct sg_id_store *s, uint64_t id, const char *key, struct attr_arg *a, int write)
{
	int rc = store_check(s, write);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id) || sg_id_is_temp(id))
		return store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid persistent ID", id);
	a->id = id;
	a->key = key;
	return attr_key_check(s, key, &a->klen);
}

int
sg_id_attr_set(struct sg_id_store *s, uint64_t id, const char *key, const char *value)
{
	struct attr_arg a;
	int rc = attr_prep(s, id, key, &a, 1);

	if (rc < 0)
		return rc;
	rc = attr_value_check(s, key, value, &a.vlen);
	if (rc < 0)
		return rc;
	a.value = value;
	return store_write(s, op_attr_set, &a);
}

int
sg_id_attr_del(struct sg_id_store *s, uint64_t id, const char *key)
{
	struct attr_arg a;
	int rc = attr_prep(s, id, key, &a, 1);

	return rc < 0 ? rc : store_write(s, op_attr_del, &a);
}

int
sg_id_attr_get(struct sg_id_store *s, uint64_t id, const char *key, char *buf, size_t len)
{
	uint8_t kb[ATTR_KEY_LEN];
	struct attr_arg a;
	MDB_txn *txn;
	MDB_val k, v;
	int rc = attr_prep(s, id, key, &a, 0);

	if (rc < 0)
		return rc;
	if (buf == NULL)
		return -EINVAL;
	k.mv_size = attr_key(kb, id, key, a.klen);
	k.mv_data = kb;
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_get(txn, s->db[DB_ATTRS], &k, &v);
	if (rc == 0) {
		if (v.mv_size + 1 > len) {
			rc = store_seterr(s, -ENOSPC, "attribute '%s' needs %zu bytes", key,
					  v.mv_size + 1);
		} else {
			memcpy(buf, v.mv_data, v.mv_size);
			buf[v.mv_size] = '\0';
			rc = (int)v.mv_size;
		}
	} else if (rc == MDB_NOTFOUND) {
		int e = obj_exists(s, txn, id);

		rc = store_seterr(s, -ENOENT, e > 0 ? "no attribute '%s'" : "no object (key '%s')",
				  key);
	} else {
		rc = store_mdb_err(s, rc, "read attribute");
	}
	store_read_end(s);
	return rc;
}

int
sg_id_attr_foreach(struct sg_id_store *s, uint64_t id,
		   int (*cb)(const char *key, const char *value, void *arg), void *arg)
{
	char key[SG_ID_ATTR_KEY_MAX + 1], *val = NULL;
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	MDB_cursor *c;
	MDB_txn *txn;
	int rc = store_check(s, 0), ret = 0;

	if (rc < 0)
		return rc;
	if (cb == NULL || !sg_id_valid(id) || sg_id_is_temp(id))
		return -EINVAL;
	val = malloc(SG_ID_ATTR_VALUE_MAX + 1);
	if (val == NULL)
		return -ENOMEM;
	rc = store_read_begin(s, &txn);
	if (rc < 0) {
		free(val);
		return rc;
	}
	rc = obj_exists(s, txn, id);
	if (rc <= 0) {
		store_read_end(s);
		free(val);
		return rc ? rc : store_seterr(s, -ENOENT, "no object %016" PRIx64, id);
	}
	rc = mdb_cursor_open(txn, s->db[DB_ATTRS], &c);
	if (rc == 0) {
		put_be64(kb, id);
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		while (rc == 0 && get_be64(k.mv_data) == id) {
			size_t kl = k.mv_size - 8;

			if (kl > SG_ID_ATTR_KEY_MAX || v.mv_size > SG_ID_ATTR_VALUE_MAX) {
				ret = store_seterr(s, -EIO, "attribute record damaged");
				break;
			}
			memcpy(key, (uint8_t *)k.mv_data + 8, kl);
			key[kl] = '\0';
			memcpy(val, v.mv_data, v.mv_size);
			val[v.mv_size] = '\0';
			ret = cb(key, val, arg);
			if (ret != 0)
				break;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		mdb_cursor_close(c);
	}
	store_read_end(s);
	free(val);
	if (ret != 0)
		return ret;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc, "walk attributes");
}

/* ---- reference ID and restore ---- */

struct ref_arg {
	uint64_t vm, component;
};

static int
op_set_ref(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct ref_arg *a = arg;
	struct sg_id_object vm;
	int rc;

	rc = obj_read(s, txn, a->vm, &vm);
	if (rc == -ENOENT)
		return store_seterr(s, rc, "no VM %016" PRIx64, a->vm);
	if (rc < 0)
		return rc;
	if (a->component != SG_ID_NONE) {
		rc = obj_exists(s, txn, a->component);
		if (rc <= 0)
			return rc ? rc
				  : store_seterr(s, -ENOENT, "no component %016" PRIx64,
						 a->component);
	}
	if (vm.ref == a->component)
		return 0;
	if (vm.ref != SG_ID_NONE) {
		rc = edge_del(s, txn, vm.ref, SG_ID_REL_SERVED_BY, a->vm);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	if (a->component != SG_ID_NONE) {
		rc = edge_put(s, txn, a->component, SG_ID_REL_SERVED_BY, a->vm);
		if (rc < 0)
			return rc;
	}
	return obj_write_parent_ref(s, txn, a->vm, vm.parent, a->component);
}

int
sg_id_set_ref(struct sg_id_store *s, uint64_t vm, uint64_t component)
{
	struct ref_arg a = {vm, component};
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(vm) || sg_id_type_of(vm) != SG_ID_T_VM)
		return store_seterr(s, -EINVAL, "%016" PRIx64 " is not a VM ID", vm);
	if (component != SG_ID_NONE &&
	    (!sg_id_valid(component) || sg_id_type_of(component) != SG_ID_T_COMPONENT))
		return store_seterr(s, -EINVAL, "%016" PRIx64 " is not a component ID", component);
	return store_write(s, op_set_ref, &a);
}

static int
op_restore(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	const struct sg_id_object *in = arg;
	struct sg_id_object o = *in;
	size_t len = strlen(o.name);
	uint8_t nk[NAME_KEY_MAX];
	MDB_val k = {name_key(nk, o.ns, o.type, o.name, len), nk}, v;
	int rc;

	rc = obj_exists(s, txn, o.id);
	if (rc != 0)
		return rc < 0 ? rc
			      : store_seterr(s, -EEXIST, "ID %016" PRIx64 " already in use", o.id);
	rc = mdb_get(txn, s->db[DB_NAMES], &k, &v);
	if (rc == 0)
		return store_seterr(s, -EEXIST, "name '%s' already registered", o.name);
	if (rc != MDB_NOTFOUND)
		return store_mdb_err(s, rc, "read name");
	rc = counter_raise(s, txn, o.type, sg_id_serial_of(o.id));
	if (rc < 0)
		return rc;
	o.parent = SG_ID_NONE;
	o.ref = SG_ID_NONE;
	if (o.created_ns == 0)
		o.created_ns = store_now_ns();
	rc = obj_put(s, txn, &o, len);
	if (rc < 0)
		return rc;
	v.mv_size = 8;
	v.mv_data = &o.id;
	return store_mdb_err(s, mdb_put(txn, s->db[DB_NAMES], &k, &v, 0), "write name");
}

int
sg_id_restore(struct sg_id_store *s, const struct sg_id_object *o)
{
	struct sg_id_reg r;
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (o == NULL)
		return -EINVAL;
	if (!sg_id_valid(o->id) || sg_id_is_temp(o->id) || sg_id_type_of(o->id) != o->type)
		return store_seterr(s, -EINVAL,
				    "ID %016" PRIx64 " invalid or does not match type %u", o->id,
				    o->type);
	memset(&r, 0, sizeof(r));
	r.type = o->type;
	r.ns = o->ns;
	r.name = o->name;
	rc = reg_validate(s, &r, 0);
	if (rc < 0)
		return rc;
	return store_write(s, op_restore, (void *)o);
}

/* ---- temporary IDs ---- */

struct temp_arg {
	unsigned int type;
	uint64_t owner;
	uint64_t id;
	uint64_t now;
	uint64_t expires;
	size_t max;
	size_t swept;
};

static int
temp_put(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t owner, uint64_t expires)
{
	struct temp_rec r = {owner, expires};
	uint8_t kb[8], eb[16];
	MDB_val k = {8, kb}, v = {sizeof(r), &r}, ek = {16, eb}, ev = {0, eb};
	int rc;

	put_be64(kb, id);
	put_be64(eb, expires);
	put_be64(eb + 8, id);
	rc = store_mdb_err(s, mdb_put(txn, s->db[DB_TEMP], &k, &v, 0), "write temporary ID");
	if (rc == 0)
		rc = store_mdb_err(s, mdb_put(txn, s->db[DB_TEMP_EXP], &ek, &ev, 0),
				   "write expiry");
	return rc;
}

static int
temp_del(struct sg_id_store *s, MDB_txn *txn, uint64_t id, struct temp_rec *out)
{
	uint8_t kb[8], eb[16];
	MDB_val k = {8, kb}, v, ek = {16, eb};
	struct temp_rec r;
	int rc;

	put_be64(kb, id);
	rc = mdb_get(txn, s->db[DB_TEMP], &k, &v);
	if (rc == MDB_NOTFOUND)
		return store_seterr(s, -ENOENT, "temporary ID %016" PRIx64 " not allocated", id);
	if (rc)
		return store_mdb_err(s, rc, "read temporary ID");
	if (v.mv_size != sizeof(r))
		return store_seterr(s, -EIO, "temporary ID record damaged");
	memcpy(&r, v.mv_data, sizeof(r));
	put_be64(eb, r.expires_ns);
	put_be64(eb + 8, id);
	rc = mdb_del(txn, s->db[DB_TEMP], &k, NULL);
	if (rc == 0)
		rc = mdb_del(txn, s->db[DB_TEMP_EXP], &ek, NULL);
	if (rc == MDB_NOTFOUND)
		return store_seterr(s, -EIO, "temporary ID expiry index damaged");
	if (out != NULL)
		*out = r;
	return store_mdb_err(s, rc, "delete temporary ID");
}

static int
op_temp_alloc(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct temp_arg *a = arg;
	uint64_t serial;
	int rc = counter_next(s, txn, a->type, &serial);

	if (rc < 0)
		return rc;
	a->id = sg_id_make(a->type, serial);
	return temp_put(s, txn, a->id, a->owner, a->expires);
}

static int
op_temp_release(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct temp_arg *a = arg;

	return temp_del(s, txn, a->id, NULL);
}

static int
op_temp_touch(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct temp_arg *a = arg;
	struct temp_rec r;
	int rc = temp_del(s, txn, a->id, &r);

	return rc < 0 ? rc : temp_put(s, txn, a->id, r.owner, a->expires);
}

static int
op_temp_sweep(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct temp_arg *a = arg;
	uint8_t kb[8];
	MDB_val k, v, tk = {8, kb};
	MDB_cursor *c;
	int rc;

	a->swept = 0;
	rc = mdb_cursor_open(txn, s->db[DB_TEMP_EXP], &c);
	if (rc)
		return store_mdb_err(s, rc, "cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0 && (a->max == 0 || a->swept < a->max)) {
		if (k.mv_size != 16) {
			rc = MDB_CORRUPTED;
			break;
		}
		if (get_be64(k.mv_data) > a->now)
			break;
		memcpy(kb, (uint8_t *)k.mv_data + 8, 8);
		rc = mdb_del(txn, s->db[DB_TEMP], &tk, NULL);
		if (rc && rc != MDB_NOTFOUND)
			break;
		rc = mdb_cursor_del(c, 0);
		if (rc)
			break;
		a->swept++;
		rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
		if (rc == EINVAL || rc == MDB_NOTFOUND) {
			rc = MDB_NOTFOUND;
			break;
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : store_mdb_err(s, rc, "sweep");
}

static int
temp_prep(struct sg_id_store *s, uint64_t id, int write)
{
	int rc = store_check(s, write);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id) || !sg_id_is_temp(id))
		return store_seterr(s, -EINVAL, "%016" PRIx64 " is not a temporary ID", id);
	return 0;
}

int
sg_id_temp_alloc(struct sg_id_store *s, unsigned int type, uint64_t owner, uint32_t ttl_ms,
		 uint64_t *id)
{
	struct temp_arg a = {.type = type, .owner = owner};
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (id == NULL || !sg_id_type_valid(type) || !sg_id_type_is_temp(type))
		return store_seterr(s, -EINVAL, "type code %u is not a temporary type", type);
	if (ttl_ms == 0 || ttl_ms > TTL_MAX_MS)
		return store_seterr(s, -EINVAL, "ttl %u ms outside 1..%u", ttl_ms, TTL_MAX_MS);
	a.expires = store_now_ns() + (uint64_t)ttl_ms * 1000000u;
	rc = store_write(s, op_temp_alloc, &a);
	if (rc == 0)
		*id = a.id;
	return rc;
}

int
sg_id_temp_release(struct sg_id_store *s, uint64_t id)
{
	struct temp_arg a = {.id = id};
	int rc = temp_prep(s, id, 1);

	return rc < 0 ? rc : store_write(s, op_temp_release, &a);
}

int
sg_id_temp_touch(struct sg_id_store *s, uint64_t id, uint32_t ttl_ms)
{
	struct temp_arg a = {.id = id};
	int rc = temp_prep(s, id, 1);

	if (rc < 0)
		return rc;
	if (ttl_ms == 0 || ttl_ms > TTL_MAX_MS)
		return store_seterr(s, -EINVAL, "ttl %u ms outside 1..%u", ttl_ms, TTL_MAX_MS);
	a.expires = store_now_ns() + (uint64_t)ttl_ms * 1000000u;
	return store_write(s, op_temp_touch, &a);
}

int
sg_id_temp_get(struct sg_id_store *s, uint64_t id, struct sg_id_temp *t)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	struct temp_rec r;
	MDB_txn *txn;
	int rc = temp_prep(s, id, 0);

	if (rc < 0)
		return rc;
	if (t == NULL)
		return -EINVAL;
	put_be64(kb, id);
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_get(txn, s->db[DB_TEMP], &k, &v);
	if (rc == 0 && v.mv_size == sizeof(r)) {
		memcpy(&r, v.mv_data, sizeof(r));
		t->id = id;
		t->owner = r.owner;
		t->expires_ns = r.expires_ns;
	} else if (rc == 0) {
		rc = MDB_CORRUPTED;
	}
	store_read_end(s);
	if (rc == MDB_NOTFOUND)
		return store_seterr(s, -ENOENT, "temporary ID %016" PRIx64 " not allocated", id);
	return store_mdb_err(s, rc, "read temporary ID");
}

int
sg_id_temp_sweep(struct sg_id_store *s, uint64_t now_ns, size_t max, size_t *swept)
{
	struct temp_arg a = {.now = now_ns ? now_ns : store_now_ns(), .max = max};
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	rc = store_write(s, op_temp_sweep, &a);
	if (swept != NULL)
		*swept = rc == 0 ? a.swept : 0;
	return rc;
}

/* ---- serial counters (export/import keep "never reused" across stores) ---- */

int
sg_id_serial_next(struct sg_id_store *s, unsigned int type, uint64_t *next)
{
	uint8_t kb = (uint8_t)type;
	MDB_val k = {1, &kb}, v;
	MDB_txn *txn;
	int rc = store_check(s, 0);

	if (rc < 0)
		return rc;
	if (next == NULL || !sg_id_type_valid(type))
		return store_seterr(s, -EINVAL, "unknown type code %u", type);
	rc = store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_get(txn, s->db[DB_COUNTERS], &k, &v);
	*next = 1;
	if (rc == 0 && v.mv_size == 8)
		memcpy(next, v.mv_data, 8);
	else if (rc == 0)
		rc = MDB_CORRUPTED;
	store_read_end(s);
	return rc == MDB_NOTFOUND ? 0 : store_mdb_err(s, rc, "read counter");
}

struct reserve_arg {
	unsigned int type;
	uint64_t next;
};

static int
op_reserve(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct reserve_arg *a = arg;

	return counter_raise(s, txn, a->type, a->next - 1);
}

int
sg_id_serial_reserve(struct sg_id_store *s, unsigned int type, uint64_t next)
{
	struct reserve_arg a = {type, next};
	int rc = store_check(s, 1);

	if (rc < 0)
		return rc;
	if (!sg_id_type_valid(type) || next == 0 || next > SG_ID_SERIAL_MAX + 1)
		return store_seterr(s, -EINVAL, "bad type %u or next serial %" PRIu64, type, next);
	return store_write(s, op_reserve, &a);
}
