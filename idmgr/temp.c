/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Temporary (session) IDs: allocate from the per-type counter, release,
 * extend, read, and sweep the expired ones through the expiry index
 * (DB_TEMP_EXP, expires(8) id(8)).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "counter.h"
#include "store.h"

#define TTL_MAX_MS (30u * 24 * 3600 * 1000)

/* Record of DB_TEMP (native endian). */
struct temp_rec {
	uint64_t owner;
	uint64_t expires_ns;
};

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
	rc = sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_TEMP], &k, &v, 0), "write temporary ID");
	if (rc == 0)
		rc = sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_TEMP_EXP], &ek, &ev, 0),
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
		return sg_id_store_seterr(s, -ENOENT, "temporary ID %016" PRIx64 " not allocated",
					  id);
	if (rc)
		return sg_id_store_mdb_err(s, rc, "read temporary ID");
	if (v.mv_size != sizeof(r))
		return sg_id_store_seterr(s, -EIO, "temporary ID record damaged");
	memcpy(&r, v.mv_data, sizeof(r));
	put_be64(eb, r.expires_ns);
	put_be64(eb + 8, id);
	rc = mdb_del(txn, s->db[DB_TEMP], &k, NULL);
	if (rc == 0)
		rc = mdb_del(txn, s->db[DB_TEMP_EXP], &ek, NULL);
	if (rc == MDB_NOTFOUND)
		return sg_id_store_seterr(s, -EIO, "temporary ID expiry index damaged");
	if (out != NULL)
		*out = r;
	return sg_id_store_mdb_err(s, rc, "delete temporary ID");
}

static int
op_temp_alloc(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct temp_arg *a = arg;
	uint64_t serial;
	int rc = sg_id_counter_next(s, txn, a->type, &serial);

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
		return sg_id_store_mdb_err(s, rc, "cursor");
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
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : sg_id_store_mdb_err(s, rc, "sweep");
}

static int
temp_prep(struct sg_id_store *s, uint64_t id, int write)
{
	int rc = sg_id_store_check(s, write);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(id) || !sg_id_is_temp(id))
		return sg_id_store_seterr(s, -EINVAL, "%016" PRIx64 " is not a temporary ID", id);
	return 0;
}

int
sg_id_temp_alloc(struct sg_id_store *s, unsigned int type, uint64_t owner, uint32_t ttl_ms,
		 uint64_t *id)
{
	struct temp_arg a = {.type = type, .owner = owner};
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (id == NULL || !sg_id_type_valid(type) || !sg_id_type_is_temp(type))
		return sg_id_store_seterr(s, -EINVAL, "type code %u is not a temporary type", type);
	if (ttl_ms == 0 || ttl_ms > TTL_MAX_MS)
		return sg_id_store_seterr(s, -EINVAL, "ttl %u ms outside 1..%u", ttl_ms,
					  TTL_MAX_MS);
	a.expires = sg_id_store_now_ns() + (uint64_t)ttl_ms * 1000000u;
	rc = sg_id_store_write_quiet(s, op_temp_alloc, &a);
	if (rc == 0)
		*id = a.id;
	return rc;
}

int
sg_id_temp_release(struct sg_id_store *s, uint64_t id)
{
	struct temp_arg a = {.id = id};
	int rc = temp_prep(s, id, 1);

	return rc < 0 ? rc : sg_id_store_write_quiet(s, op_temp_release, &a);
}

int
sg_id_temp_touch(struct sg_id_store *s, uint64_t id, uint32_t ttl_ms)
{
	struct temp_arg a = {.id = id};
	int rc = temp_prep(s, id, 1);

	if (rc < 0)
		return rc;
	if (ttl_ms == 0 || ttl_ms > TTL_MAX_MS)
		return sg_id_store_seterr(s, -EINVAL, "ttl %u ms outside 1..%u", ttl_ms,
					  TTL_MAX_MS);
	a.expires = sg_id_store_now_ns() + (uint64_t)ttl_ms * 1000000u;
	return sg_id_store_write_quiet(s, op_temp_touch, &a);
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
	rc = sg_id_store_read_begin(s, &txn);
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
	sg_id_store_read_end(s);
	if (rc == MDB_NOTFOUND)
		return sg_id_store_seterr(s, -ENOENT, "temporary ID %016" PRIx64 " not allocated",
					  id);
	return sg_id_store_mdb_err(s, rc, "read temporary ID");
}

int
sg_id_temp_sweep(struct sg_id_store *s, uint64_t now_ns, size_t max, size_t *swept)
{
	struct temp_arg a = {.now = now_ns ? now_ns : sg_id_store_now_ns(), .max = max};
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	rc = sg_id_store_write_quiet(s, op_temp_sweep, &a);
	if (swept != NULL)
		*swept = rc == 0 ? a.swept : 0;
	return rc;
}
