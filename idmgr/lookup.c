/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookup of persistent objects: by name, by ID, by handle text, the handle of
 * an ID, and an ordered walk over all objects (of one type).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "object.h"

int
sg_id_lookup_name(struct sg_id_store *s, unsigned int ns, unsigned int type, const char *name,
		  uint64_t *id)
{
	uint8_t nk[SG_ID_NAME_KEY_MAX];
	char err[200];
	MDB_txn *txn;
	MDB_val k, v;
	size_t len;
	int rc = sg_id_store_check(s, 0);

	if (rc < 0)
		return rc;
	if (id == NULL || name == NULL)
		return -EINVAL;
	if (ns == SG_ID_NS_NONE)
		ns = sg_id_type_ns(type);
	len = strnlen(name, SG_ID_NAME_MAX + 1);
	rc = sg_id_name_check(ns, type, name, len, err, sizeof(err));
	if (rc < 0)
		return sg_id_store_seterr(s, rc, "%s", err);
	if (sg_id_type_is_temp(type))
		return sg_id_store_seterr(s, -EINVAL, "temporary IDs have no names");
	k.mv_size = sg_id_name_key(nk, ns, type, name, len);
	k.mv_data = nk;
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_get(txn, s->db[DB_NAMES], &k, &v);
	if (rc == 0 && v.mv_size == 8)
		memcpy(id, v.mv_data, 8);
	else if (rc == 0)
		rc = MDB_CORRUPTED;
	sg_id_store_read_end(s);
	if (rc == MDB_NOTFOUND)
		return sg_id_store_seterr(s, -ENOENT, "%s/%s/%s is not registered",
					  sg_id_ns_name(ns), sg_id_type_name(type), name);
	return sg_id_store_mdb_err(s, rc, "read name");
}

int
sg_id_get(struct sg_id_store *s, uint64_t id, struct sg_id_object *o)
{
	MDB_txn *txn;
	int rc = sg_id_store_check(s, 0);

	if (rc < 0)
		return rc;
	if (o == NULL || !sg_id_valid(id) || sg_id_is_temp(id))
		return sg_id_store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid persistent ID",
					  id);
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = sg_id_obj_read(s, txn, id, o);
	sg_id_store_read_end(s);
	if (rc == -ENOENT)
		return sg_id_store_seterr(s, rc, "no object %016" PRIx64, id);
	return rc;
}

int
sg_id_lookup_handle(struct sg_id_store *s, const char *text, uint64_t *id)
{
	struct sg_id_handle h;
	char err[200];
	uint64_t v;
	int rc = sg_id_store_check(s, 0);

	if (rc < 0)
		return rc;
	if (text == NULL || id == NULL)
		return -EINVAL;
	if (strchr(text, '/') == NULL) {
		rc = sg_id_text_parse(text, &v);
		if (rc < 0)
			return sg_id_store_seterr(
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
		return sg_id_store_seterr(s, rc, "handle '%.80s': %s", text, err);
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
	int rc = sg_id_store_check(s, 0), ret = 0;

	if (rc < 0)
		return rc;
	if (cb == NULL || (type != 0 && (!sg_id_type_valid(type) || sg_id_type_is_temp(type))))
		return -EINVAL;
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_cursor_open(txn, s->db[DB_OBJECTS], &c);
	if (rc) {
		sg_id_store_read_end(s);
		return sg_id_store_mdb_err(s, rc, "cursor");
	}
	put_be64(kb, type ? sg_id_make(type, 0) : 0);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		uint64_t id = get_be64(k.mv_data);

		if (type != 0 && sg_id_type_of(id) != type)
			break;
		ret = sg_id_obj_read(s, txn, id, &o);
		if (ret < 0)
			break;
		ret = cb(&o, arg);
		if (ret != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	return sg_id_store_scan_end(s, c, rc, ret, "walk objects");
}
