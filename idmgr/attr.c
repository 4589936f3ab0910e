/* SPDX-License-Identifier: BSD-3-Clause */
/* Attributes of persistent objects: check, set, get, delete, walk. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "object.h"

int
sg_id_attr_key_check(struct sg_id_store *s, const char *key, size_t *klen)
{
	size_t n;

	if (key == NULL)
		return sg_id_store_seterr(s, -EINVAL, "attribute key missing");
	n = strlen(key);
	if (n == 0 || n > SG_ID_ATTR_KEY_MAX)
		return sg_id_store_seterr(s, n ? -ENAMETOOLONG : -EINVAL,
					  "attribute key must be 1-%d bytes of a-z 0-9 _ . -",
					  SG_ID_ATTR_KEY_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return sg_id_store_seterr(
				s, -EINVAL,
				"attribute key '%.64s': character at offset %zu not allowed (use a-z 0-9 _ . -)",
				key, i);
	}
	*klen = n;
	return 0;
}

int
sg_id_attr_value_check(struct sg_id_store *s, const char *key, const char *value, size_t *vlen)
{
	size_t n;

	if (value == NULL)
		return sg_id_store_seterr(s, -EINVAL, "attribute '%s': value missing", key);
	n = strnlen(value, SG_ID_ATTR_VALUE_MAX + 1);
	if (n > SG_ID_ATTR_VALUE_MAX)
		return sg_id_store_seterr(s, -E2BIG, "attribute '%s': value longer than %d bytes",
					  key, SG_ID_ATTR_VALUE_MAX);
	*vlen = n;
	return 0;
}

int
sg_id_attr_drop_all(struct sg_id_store *s, MDB_txn *txn, uint64_t id)
{
	MDB_dbi dbi = s->db[DB_ATTRS];
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	MDB_cursor *c;
	int rc;

	put_be64(kb, id);
	rc = mdb_cursor_open(txn, dbi, &c);
	if (rc)
		return sg_id_store_mdb_err(s, rc, "cursor");
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
	return sg_id_store_mdb_err(s, rc, "delete attributes");
}

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
		return sg_id_store_mdb_err(s, rc, "cursor");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && get_be64(k.mv_data) == id) {
		n++;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(c);
	*count = n;
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : sg_id_store_mdb_err(s, rc, "count attributes");
}

static int
op_attr_set(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct attr_arg *a = arg;
	uint8_t kb[SG_ID_ATTR_KEY_LEN];
	MDB_val k = {sg_id_attr_key(kb, a->id, a->key, a->klen), kb}, v;
	unsigned int n = 0;
	int rc;

	rc = sg_id_obj_exists(s, txn, a->id);
	if (rc <= 0)
		return rc ? rc : sg_id_store_seterr(s, -ENOENT, "no object %016" PRIx64, a->id);
	rc = mdb_get(txn, s->db[DB_ATTRS], &k, &v);
	if (rc == MDB_NOTFOUND) {
		rc = attr_count(s, txn, a->id, &n);
		if (rc < 0)
			return rc;
		if (n >= SG_ID_ATTRS_MAX)
			return sg_id_store_seterr(s, -E2BIG, "object already has %d attributes",
						  SG_ID_ATTRS_MAX);
	} else if (rc) {
		return sg_id_store_mdb_err(s, rc, "read attribute");
	}
	v.mv_size = a->vlen;
	v.mv_data = (void *)a->value;
	return sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_ATTRS], &k, &v, 0), "write attribute");
}

static int
op_attr_del(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct attr_arg *a = arg;
	uint8_t kb[SG_ID_ATTR_KEY_LEN];
	MDB_val k = {sg_id_attr_key(kb, a->id, a->key, a->klen), kb};
	int rc = mdb_del(txn, s->db[DB_ATTRS], &k, NULL);

	if (rc == MDB_NOTFOUND)
		return sg_id_store_seterr(s, -ENOENT, "no attribute '%s'", a->key);
	return sg_id_store_mdb_err(s, rc, "delete attribute");
}

static int
attr_prep(struct sg_id_store *s, uint64_t id, const char *key, struct attr_arg *a, int write)
{
	int rc = sg_id_store_check(s, write);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id) || sg_id_is_temp(id))
		return sg_id_store_seterr(s, -EINVAL, "%016" PRIx64 " is not a valid persistent ID",
					  id);
	a->id = id;
	a->key = key;
	return sg_id_attr_key_check(s, key, &a->klen);
}

int
sg_id_attr_set(struct sg_id_store *s, uint64_t id, const char *key, const char *value)
{
	struct attr_arg a;
	int rc = attr_prep(s, id, key, &a, 1);

	if (rc < 0)
		return rc;
	rc = sg_id_attr_value_check(s, key, value, &a.vlen);
	if (rc < 0)
		return rc;
	a.value = value;
	return sg_id_store_write(s, op_attr_set, &a);
}

int
sg_id_attr_del(struct sg_id_store *s, uint64_t id, const char *key)
{
	struct attr_arg a;
	int rc = attr_prep(s, id, key, &a, 1);

	return rc < 0 ? rc : sg_id_store_write(s, op_attr_del, &a);
}

int
sg_id_attr_get(struct sg_id_store *s, uint64_t id, const char *key, char *buf, size_t len)
{
	uint8_t kb[SG_ID_ATTR_KEY_LEN];
	struct attr_arg a;
	MDB_txn *txn;
	MDB_val k, v;
	int rc = attr_prep(s, id, key, &a, 0);

	if (rc < 0)
		return rc;
	if (buf == NULL)
		return -EINVAL;
	k.mv_size = sg_id_attr_key(kb, id, key, a.klen);
	k.mv_data = kb;
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_get(txn, s->db[DB_ATTRS], &k, &v);
	if (rc == 0) {
		if (v.mv_size + 1 > len) {
			rc = sg_id_store_seterr(s, -ENOSPC, "attribute '%s' needs %zu bytes", key,
						v.mv_size + 1);
		} else {
			memcpy(buf, v.mv_data, v.mv_size);
			buf[v.mv_size] = '\0';
			rc = (int)v.mv_size;
		}
	} else if (rc == MDB_NOTFOUND) {
		int e = sg_id_obj_exists(s, txn, id);

		rc = sg_id_store_seterr(s, -ENOENT,
					e > 0 ? "no attribute '%s'" : "no object (key '%s')", key);
	} else {
		rc = sg_id_store_mdb_err(s, rc, "read attribute");
	}
	sg_id_store_read_end(s);
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
	int rc = sg_id_store_check(s, 0), ret = 0;

	if (rc < 0)
		return rc;
	if (cb == NULL || !sg_id_valid(id) || sg_id_is_temp(id))
		return -EINVAL;
	val = malloc(SG_ID_ATTR_VALUE_MAX + 1);
	if (val == NULL)
		return -ENOMEM;
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0) {
		free(val);
		return rc;
	}
	rc = sg_id_obj_exists(s, txn, id);
	if (rc <= 0) {
		sg_id_store_read_end(s);
		free(val);
		return rc ? rc : sg_id_store_seterr(s, -ENOENT, "no object %016" PRIx64, id);
	}
	rc = mdb_cursor_open(txn, s->db[DB_ATTRS], &c);
	if (rc == 0) {
		put_be64(kb, id);
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		while (rc == 0 && get_be64(k.mv_data) == id) {
			size_t kl = k.mv_size - 8;

			if (kl > SG_ID_ATTR_KEY_MAX || v.mv_size > SG_ID_ATTR_VALUE_MAX) {
				ret = sg_id_store_seterr(s, -EIO, "attribute record damaged");
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
	sg_id_store_read_end(s);
	free(val);
	if (ret != 0)
		return ret;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : sg_id_store_mdb_err(s, rc, "walk attributes");
}
