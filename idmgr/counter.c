/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Serial counters: take, raise, read and reserve the next serial of a type
 * (export/import keep "never reused" across stores).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "counter.h"

/* Read the next serial of the type keyed by @k (1 when none yet). */
static int
counter_get(struct sg_id_store *s, MDB_txn *txn, MDB_val *k, uint64_t *next)
{
	MDB_val v;
	int rc = mdb_get(txn, s->db[DB_COUNTERS], k, &v);

	*next = 1;
	if (rc == 0 && v.mv_size == 8)
		memcpy(next, v.mv_data, 8);
	else if (rc == 0)
		return sg_id_store_seterr(s, -EIO, "counter record damaged");
	return rc == MDB_NOTFOUND ? 0 : sg_id_store_mdb_err(s, rc, "read counter");
}

static int
counter_set(struct sg_id_store *s, MDB_txn *txn, MDB_val *k, uint64_t next)
{
	MDB_val v = {8, &next};

	return sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_COUNTERS], k, &v, 0), "write counter");
}

int
sg_id_counter_next(struct sg_id_store *s, MDB_txn *txn, unsigned int type, uint64_t *serial)
{
	uint8_t kb = (uint8_t)type;
	MDB_val k = {1, &kb};
	uint64_t next;
	int rc = counter_get(s, txn, &k, &next);

	if (rc < 0)
		return rc;
	if (next > SG_ID_SERIAL_MAX)
		return sg_id_store_seterr(s, -EOVERFLOW, "serials of type '%s' exhausted",
					  sg_id_type_name(type));
	*serial = next;
	return counter_set(s, txn, &k, next + 1);
}

int
sg_id_counter_raise(struct sg_id_store *s, MDB_txn *txn, unsigned int type, uint64_t past)
{
	uint8_t kb = (uint8_t)type;
	MDB_val k = {1, &kb};
	uint64_t next;
	int rc = counter_get(s, txn, &k, &next);

	if (rc < 0 || next > past)
		return rc;
	return counter_set(s, txn, &k, past + 1);
}

int
sg_id_serial_next(struct sg_id_store *s, unsigned int type, uint64_t *next)
{
	uint8_t kb = (uint8_t)type;
	MDB_val k = {1, &kb};
	MDB_txn *txn;
	int rc = sg_id_store_check(s, 0);

	if (rc < 0)
		return rc;
	if (next == NULL || !sg_id_type_valid(type))
		return sg_id_store_seterr(s, -EINVAL, "unknown type code %u", type);
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = counter_get(s, txn, &k, next);
	sg_id_store_read_end(s);
	return rc;
}

struct reserve_arg {
	unsigned int type;
	uint64_t next;
};

static int
op_reserve(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct reserve_arg *a = arg;

	return sg_id_counter_raise(s, txn, a->type, a->next - 1);
}

int
sg_id_serial_reserve(struct sg_id_store *s, unsigned int type, uint64_t next)
{
	struct reserve_arg a = {type, next};
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (!sg_id_type_valid(type) || next == 0 || next > SG_ID_SERIAL_MAX + 1)
		return sg_id_store_seterr(s, -EINVAL, "bad type %u or next serial %" PRIu64, type,
					  next);
	return sg_id_store_write_quiet(s, op_reserve, &a);
}
