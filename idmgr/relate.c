/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Editing the relationship graph: relate and unrelate (one or a batch), a
 * VM's reference ID (kept in step with its SERVED_BY edge), and the walk
 * over every edge (export).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "edge.h"
#include "object.h"

struct rel_arg {
	uint64_t from, to;
	unsigned int rel;
};

static int
op_relate(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct rel_arg *a = arg;
	int rc;

	rc = sg_id_obj_exists(s, txn, a->from);
	if (rc == 0)
		return sg_id_store_seterr(s, -ENOENT, "no object %016" PRIx64, a->from);
	if (rc > 0)
		rc = sg_id_obj_exists(s, txn, a->to);
	if (rc == 0)
		return sg_id_store_seterr(s, -ENOENT, "no object %016" PRIx64, a->to);
	if (rc < 0)
		return rc;
	return sg_id_edge_put(s, txn, a->from, a->rel, a->to);
}

static int
op_unrelate(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct rel_arg *a = arg;
	struct sg_id_object o;
	int rc = sg_id_edge_del(s, txn, a->from, a->rel, a->to);

	/* keep the VM's reference ID in step with its SERVED_BY edge */
	if (rc == 0 && a->rel == SG_ID_REL_SERVED_BY && sg_id_obj_read(s, txn, a->to, &o) == 0 &&
	    o.ref == a->from)
		rc = sg_id_obj_set_parent_ref(s, txn, a->to, o.parent, 0);
	return rc;
}

static int
rel_prep(struct sg_id_store *s, uint64_t from, unsigned int rel, uint64_t to)
{
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (sg_id_rel_name(rel) == NULL)
		return sg_id_store_seterr(s, -EINVAL, "unknown relation code %u", rel);
	if (!sg_id_valid(from) || !sg_id_valid(to) || sg_id_is_temp(from) || sg_id_is_temp(to))
		return sg_id_store_seterr(s, -EINVAL, "edges join valid persistent IDs only");
	if (from == to)
		return sg_id_store_seterr(s, -EINVAL, "an object cannot relate to itself");
	return 0;
}

int
sg_id_relate(struct sg_id_store *s, uint64_t from, unsigned int rel, uint64_t to)
{
	struct rel_arg a = {from, to, rel};
	int rc = rel_prep(s, from, rel, to);

	return rc < 0 ? rc : sg_id_store_write(s, op_relate, &a);
}

struct rel_many_arg {
	const struct sg_id_edge *e;
	size_t n;
};

static int
op_relate_many(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct rel_many_arg *a = arg;
	int rc = 0;

	for (size_t i = 0; i < a->n && rc == 0; i++) {
		struct rel_arg r = {a->e[i].from, a->e[i].to, a->e[i].rel};

		rc = op_relate(s, txn, &r);
		if (rc < 0 && rc != SG_EMAPFULL)
			sg_id_store_prefixmsg(s, "edge %zu: ", i);
	}
	return rc;
}

int
sg_id_relate_many(struct sg_id_store *s, const struct sg_id_edge *e, size_t n)
{
	struct rel_many_arg a = {e, n};
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (e == NULL && n > 0)
		return -EINVAL;
	if (n > SG_ID_BATCH_MAX)
		return sg_id_store_seterr(s, -E2BIG, "batch of %zu edges, at most %d allowed", n,
					  SG_ID_BATCH_MAX);
	for (size_t i = 0; i < n; i++) {
		rc = rel_prep(s, e[i].from, e[i].rel, e[i].to);
		if (rc < 0) {
			sg_id_store_prefixmsg(s, "edge %zu: ", i);
			return rc;
		}
	}
	return n ? sg_id_store_write(s, op_relate_many, &a) : 0;
}

int
sg_id_unrelate(struct sg_id_store *s, uint64_t from, unsigned int rel, uint64_t to)
{
	struct rel_arg a = {from, to, rel};
	int rc = rel_prep(s, from, rel, to);

	return rc < 0 ? rc : sg_id_store_write(s, op_unrelate, &a);
}

struct ref_arg {
	uint64_t vm, component;
};

static int
op_set_ref(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct ref_arg *a = arg;
	struct sg_id_object vm;
	int rc;

	rc = sg_id_obj_read(s, txn, a->vm, &vm);
	if (rc == -ENOENT)
		return sg_id_store_seterr(s, rc, "no VM %016" PRIx64, a->vm);
	if (rc < 0)
		return rc;
	if (a->component != SG_ID_NONE) {
		rc = sg_id_obj_exists(s, txn, a->component);
		if (rc <= 0)
			return rc ? rc
				  : sg_id_store_seterr(s, -ENOENT, "no component %016" PRIx64,
						       a->component);
	}
	if (vm.ref == a->component)
		return 0;
	if (vm.ref != SG_ID_NONE) {
		rc = sg_id_edge_del(s, txn, vm.ref, SG_ID_REL_SERVED_BY, a->vm);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	if (a->component != SG_ID_NONE) {
		rc = sg_id_edge_put(s, txn, a->component, SG_ID_REL_SERVED_BY, a->vm);
		if (rc < 0)
			return rc;
	}
	return sg_id_obj_set_parent_ref(s, txn, a->vm, vm.parent, a->component);
}

int
sg_id_set_ref(struct sg_id_store *s, uint64_t vm, uint64_t component)
{
	struct ref_arg a = {vm, component};
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	if (!sg_id_valid(vm) || sg_id_type_of(vm) != SG_ID_T_VM)
		return sg_id_store_seterr(s, -EINVAL, "%016" PRIx64 " is not a VM ID", vm);
	if (component != SG_ID_NONE &&
	    (!sg_id_valid(component) || sg_id_type_of(component) != SG_ID_T_COMPONENT))
		return sg_id_store_seterr(s, -EINVAL, "%016" PRIx64 " is not a component ID",
					  component);
	return sg_id_store_write(s, op_set_ref, &a);
}

int
sg_id_foreach_edge(struct sg_id_store *s,
		   int (*cb)(uint64_t from, unsigned int rel, uint64_t to, void *arg), void *arg)
{
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int rc = sg_id_store_check(s, 0), ret = 0;

	if (rc < 0)
		return rc;
	if (cb == NULL)
		return -EINVAL;
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	rc = mdb_cursor_open(txn, s->db[DB_EDGES_OUT], &c);
	if (rc) {
		sg_id_store_read_end(s);
		return sg_id_store_mdb_err(s, rc, "cursor");
	}
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0) {
		const uint8_t *e = v.mv_data;

		if (k.mv_size != 8 || v.mv_size != SG_ID_EDGE_VAL_LEN) {
			ret = sg_id_store_seterr(s, -EIO, "edge record damaged");
			break;
		}
		ret = cb(get_be64(k.mv_data), e[0], get_be64(e + 1), arg);
		if (ret != 0)
			break;
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	return sg_id_store_scan_end(s, c, rc, ret, "walk edges");
}
