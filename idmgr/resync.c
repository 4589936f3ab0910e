/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A full read of the identity keys (the follower's first start, and after
 * etcd compacted past its revision): every key is applied, then what the
 * local store holds and etcd does not is removed (objects, edges, tree
 * entries, references), so that the store is etcd's copy. The revision read
 * is kept in the store's meta database, beside the format version.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sessiongate/sg_cluster_keys.h>

#include "apply.h"
#include "resync.h"
#include "sg_etcd.h"
#include "store.h"

#define PASSES_MAX (SG_ID_DEPTH_MAX + 1) /* unregister passes: leaves first */

/* What etcd holds, sorted for bsearch: objects, edges, parents, references. */
struct seen {
	uint64_t *objs;
	size_t n_objs, cap_objs;
	uint64_t (*edges)[3]; /* from, rel, to; and {child, parent} / {vm, component} */
	size_t n_edges, cap_edges;
	struct sg_id_store *s;
	const char *prefix;
	struct sg_id_follow_stats *st;
	uint64_t work[64]; /* objects to remove in this pass */
	size_t n_work;
	int err;
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_u64x3(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	for (int i = 0; i < 3; i++)
		if (x[i] != y[i])
			return (x[i] > y[i]) - (x[i] < y[i]);
	return 0;
}

static int
grow(void **p, size_t *cap, size_t n, size_t elt)
{
	void *np;

	if (n < *cap)
		return 0;
	np = realloc(*p, (*cap ? *cap * 2 : 1024) * elt);
	if (np == NULL)
		return -ENOMEM;
	*p = np;
	*cap = *cap ? *cap * 2 : 1024;
	return 0;
}

/* Edge kinds in seen.edges[][1] beside relations: a tree entry, a reference. */
#define SEEN_TREE (SG_ID_REL_LAST + 1u)
#define SEEN_REF  (SG_ID_REL_LAST + 2u)

static void
seen_kv(const struct sg_etcd_kv *kv, void *arg)
{
	struct seen *sn = arg;
	struct sg_id_ck ck;
	uint64_t e[3] = {0};

	if (sg_id_apply_kv(sn->s, sn->prefix, kv, sn->st, &ck) < 0)
		return;
	if (ck.kind == SG_ID_CK_OBJ) {
		if (grow((void **)&sn->objs, &sn->cap_objs, sn->n_objs, sizeof(uint64_t)) == 0)
			sn->objs[sn->n_objs++] = ck.id;
		else
			sn->err = -ENOMEM;
	} else if (ck.kind == SG_ID_CK_REL || ck.kind == SG_ID_CK_TREE || ck.kind == SG_ID_CK_REF) {
		e[0] = ck.id;
		e[1] = ck.kind == SG_ID_CK_REL ? ck.rel
					       : (ck.kind == SG_ID_CK_TREE ? SEEN_TREE : SEEN_REF);
		e[2] = ck.other;
		if (grow((void **)&sn->edges, &sn->cap_edges, sn->n_edges, sizeof(e)) == 0)
			memcpy(sn->edges[sn->n_edges++], e, sizeof(e));
		else
			sn->err = -ENOMEM;
	}
	sg_id_ck_free(&ck);
}

static bool
seen_edge(const struct seen *sn, uint64_t a, uint64_t kind, uint64_t b)
{
	uint64_t e[3] = {a, kind, b};

	return sn->n_edges > 0 && bsearch(e, sn->edges, sn->n_edges, sizeof(e), cmp_u64x3) != NULL;
}

/* Objects: collect (a bounded batch of) those etcd does not hold; fix tree and refs. */
static int
check_obj(const struct sg_id_object *o, void *arg)
{
	struct seen *sn = arg;

	if (sn->n_objs == 0 ||
	    bsearch(&o->id, sn->objs, sn->n_objs, sizeof(uint64_t), cmp_u64) == NULL) {
		if (sn->n_work < sizeof(sn->work) / sizeof(sn->work[0]))
			sn->work[sn->n_work++] = o->id;
		return 0;
	}
	if (o->parent != SG_ID_NONE && !seen_edge(sn, o->id, SEEN_TREE, o->parent) &&
	    sn->n_work < sizeof(sn->work) / sizeof(sn->work[0]))
		sn->work[sn->n_work++] = o->id; /* a root in etcd: moved to the root */
	return 0;
}

static int
check_edge(uint64_t from, unsigned int rel, uint64_t to, void *arg)
{
	struct seen *sn = arg;

	if (rel == SG_ID_REL_SERVED_BY
		    ? seen_edge(sn, to, SEEN_REF, from) || seen_edge(sn, from, rel, to)
		    : seen_edge(sn, from, rel, to))
		return 0;
	if (sn->n_work < sizeof(sn->work) / sizeof(sn->work[0]) / 3) {
		sn->work[3 * sn->n_work] = from;
		sn->work[3 * sn->n_work + 1] = rel;
		sn->work[3 * sn->n_work + 2] = to;
		sn->n_work++;
	}
	return 0;
}

/* Remove the edges etcd does not hold, a batch at a time. */
static int
drop_edges(struct seen *sn)
{
	size_t i, pass = 0;
	int rc;

	do {
		sn->n_work = 0;
		rc = sg_id_foreach_edge(sn->s, check_edge, sn);
		for (i = 0; rc == 0 && i < sn->n_work; i++) {
			uint64_t *w = &sn->work[3 * i];

			/* SERVED_BY stands for a reference: clear it, the edge goes with it */
			rc = w[1] == SG_ID_REL_SERVED_BY ? sg_id_set_ref(sn->s, w[2], SG_ID_NONE)
							 : 0;
			if (rc == 0 || rc == -ENOENT)
				rc = sg_id_unrelate(sn->s, w[0], (unsigned int)w[1], w[2]);
			rc = rc == -ENOENT ? 0 : rc;
			sn->st->removed++;
		}
	} while (rc == 0 && sn->n_work > 0 && ++pass < 100000);
	return rc;
}

/* Remove the objects etcd does not hold, and move to the root those it holds as roots. */
static int
drop_objs(struct seen *sn)
{
	struct sg_id_object o;
	int rc = 0, pass, progress;
	size_t i;

	for (pass = 0; rc == 0 && pass < PASSES_MAX * 8; pass++) {
		sn->n_work = 0;
		progress = 0;
		rc = sg_id_foreach(sn->s, 0, check_obj, sn);
		for (i = 0; rc == 0 && i < sn->n_work; i++) {
			if (sg_id_get(sn->s, sn->work[i], &o) < 0)
				continue;
			if (sn->n_objs > 0 &&
			    bsearch(&o.id, sn->objs, sn->n_objs, sizeof(uint64_t), cmp_u64) != NULL)
				rc = sg_id_move(sn->s, o.id, SG_ID_NONE);
			else if ((rc = sg_id_unregister(sn->s, o.id)) == 0)
				sn->st->removed++;
			if (rc == -ENOTEMPTY)
				rc = 0; /* its children go first, in this pass or the next */
			else if (rc == 0)
				progress++;
		}
		if (sn->n_work == 0 || progress == 0)
			break;
	}
	return rc;
}

int
sg_id_resync(struct sg_id_store *s, struct sg_etcd *etcd, const char *prefix,
	     struct sg_id_follow_stats *st, int64_t *rev, char *err, size_t errlen)
{
	struct seen sn = {.s = s, .prefix = prefix, .st = st};
	char root[SG_ID_CK_KEY_MAX];
	long n;
	int rc;

	snprintf(root, sizeof(root), "%s/" SG_CK_ID, prefix);
	n = sg_etcd_range(etcd, root, seen_kv, &sn, rev);
	if (n < 0 || sn.err < 0) {
		snprintf(err, errlen, "etcd range %s: %s", root,
			 n < 0 ? sg_etcd_error(etcd) : "out of memory");
		rc = n < 0 ? (int)n : sn.err;
		goto out;
	}
	st->resyncs++;
	if (sn.n_objs > 0) /* qsort's array must not be NULL, even empty */
		qsort(sn.objs, sn.n_objs, sizeof(uint64_t), cmp_u64);
	if (sn.n_edges > 0)
		qsort(sn.edges, sn.n_edges, sizeof(sn.edges[0]), cmp_u64x3);
	rc = drop_edges(&sn);
	if (rc == 0)
		rc = drop_objs(&sn);
	if (rc == 0)
		rc = sg_id_rev_put(s, prefix, *rev);
	if (rc < 0)
		snprintf(err, errlen, "store: %s", sg_id_store_errmsg(s));
	else
		st->revision = *rev;
out:
	free(sn.objs);
	free(sn.edges);
	return rc;
}

/* ---------------------------------------------- the revision in DB_META */

static void
rev_key(const char *prefix, char *buf, size_t len, MDB_val *k)
{
	int n = snprintf(buf, len, "etcd_rev:%s", prefix);

	k->mv_data = buf;
	k->mv_size = n < 0 ? 0 : ((size_t)n < len ? (size_t)n : len - 1);
}

int
sg_id_rev_get(struct sg_id_store *s, const char *prefix, int64_t *rev)
{
	char buf[300];
	MDB_val k, v;
	MDB_txn *txn;
	int rc = sg_id_store_read_begin(s, &txn);

	*rev = 0;
	if (rc < 0)
		return rc;
	rev_key(prefix, buf, sizeof(buf), &k);
	rc = mdb_get(txn, s->db[DB_META], &k, &v);
	if (rc == 0 && v.mv_size == sizeof(*rev))
		memcpy(rev, v.mv_data, sizeof(*rev));
	sg_id_store_read_end(s);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : sg_id_store_mdb_err(s, rc, "read etcd revision");
}

struct rev_put {
	const char *prefix;
	int64_t rev;
};

static int
op_rev_put(struct sg_id_store *s, MDB_txn *txn, void *arg)
{
	struct rev_put *p = arg;
	char buf[300];
	MDB_val k, v = {sizeof(p->rev), &p->rev};

	rev_key(p->prefix, buf, sizeof(buf), &k);
	return sg_id_store_mdb_err(s, mdb_put(txn, s->db[DB_META], &k, &v, 0),
				   "keep etcd revision");
}

int
sg_id_rev_put(struct sg_id_store *s, const char *prefix, int64_t rev)
{
	struct rev_put p = {prefix, rev};
	int rc = sg_id_store_check(s, 1);

	return rc < 0 ? rc : sg_id_store_write(s, op_rev_put, &p);
}
