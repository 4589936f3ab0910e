/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Clustered writes: every identity write is checked against the local
 * store, written to etcd first (one key per record, tree entry, reference,
 * relation: sessiongate/sg_cluster_keys.h), then applied to the local LMDB
 * by apply.c, the follower's own code. A failure in etcd leaves both
 * unchanged; a failure applying locally after etcd accepted is reported
 * and heals when the follower applies the same key.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "attr.h"
#include "object.h"
#include "sg_etcd.h"
#include "sg_idmgr_cluster.h"
#include "store.h"

#define SERIAL_TRIES 64 /* serials tried when other appliances took the next ones */

struct sg_id_cluster {
	struct sg_id_store *s;
	struct sg_etcd *etcd;
	char prefix[201];
};

struct sg_id_cluster *
sg_id_cluster_new(struct sg_id_store *s, struct sg_etcd *etcd, const char *prefix)
{
	struct sg_id_cluster *cl;

	if (s == NULL || etcd == NULL || prefix == NULL || prefix[0] == '\0' ||
	    strlen(prefix) >= sizeof(cl->prefix))
		return NULL;
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return NULL;
	cl->s = s;
	cl->etcd = etcd;
	memcpy(cl->prefix, prefix, strlen(prefix) + 1);
	return cl;
}

void
sg_id_cluster_free(struct sg_id_cluster *cl)
{
	free(cl);
}

static int
etcd_fail(struct sg_id_cluster *cl, int rc, const char *what)
{
	sg_id_store_setmsg(cl->s, "etcd %s: %s", what, sg_etcd_error(cl->etcd));
	return rc;
}

/*
 * A create answered -EEXIST: whether the key holds @p val, i.e. our own
 * create that committed though its answer was lost (a timeout, then the
 * next endpoint). @return 0 (ours) or -EEXIST.
 */
static int
ours(struct sg_id_cluster *cl, const char *key, const char *val)
{
	char *got = NULL;
	size_t len = 0;
	int rc = sg_etcd_get(cl->etcd, key, &got, &len, NULL);

	rc = rc == 0 && len == strlen(val) && memcmp(got, val, len) == 0 ? 0 : -EEXIST;
	free(got);
	return rc;
}

/* Write @p ck to etcd (put, create-if-absent, or delete). */
static int
ck_write(struct sg_id_cluster *cl, const struct sg_id_ck *ck, int op)
{
	char key[SG_ID_CK_KEY_MAX], *val = NULL;
	int rc = sg_id_ck_key(cl->prefix, ck, key, sizeof(key));

	if (rc < 0)
		return sg_id_store_seterr(cl->s, rc, "cannot build the etcd key");
	if (op != 'd' && (val = sg_id_ck_value(ck)) == NULL)
		return sg_id_store_seterr(cl->s, -ENOMEM, "cannot build the etcd value of %s", key);
	if (op == 'p')
		rc = sg_etcd_put(cl->etcd, key, val, strlen(val), 0);
	else if (op == 'c')
		rc = sg_etcd_create(cl->etcd, key, val, strlen(val), 0);
	else
		rc = sg_etcd_delete(cl->etcd, key);
	if (rc == -EEXIST && val != NULL)
		rc = ours(cl, key, val);
	free(val);
	return rc < 0 && rc != -EEXIST ? etcd_fail(cl, rc, key) : rc;
}

/* Write @p ck to etcd, then apply it here. */
static int
ck_commit(struct sg_id_cluster *cl, const struct sg_id_ck *ck, bool del)
{
	int rc = ck_write(cl, ck, del ? 'd' : 'p');

	if (rc < 0)
		return rc;
	rc = sg_id_apply(cl->s, ck, del);
	return rc > 0 ? 0 : rc;
}

/* ck for the object @p id: its record and attributes from the local store. */
struct obj_fill {
	struct sg_id_ck *ck;
	char keys[SG_ID_ATTRS_MAX][SG_ID_ATTR_KEY_MAX + 1];
	char *vals[SG_ID_ATTRS_MAX];
	unsigned int n; /**< vals[] allocated (attributes may be dropped from ck) */
};

static int
fill_attr(const char *key, const char *value, void *arg)
{
	struct obj_fill *f = arg;
	unsigned int i = f->ck->nattrs;

	if (i == SG_ID_ATTRS_MAX || (f->vals[i] = strdup(value)) == NULL)
		return -ENOMEM;
	snprintf(f->keys[i], sizeof(f->keys[i]), "%s", key);
	f->ck->attrs[i].key = f->keys[i];
	f->ck->attrs[i].value = f->vals[i];
	f->ck->nattrs++;
	f->n++;
	return 0;
}

static int
obj_load(struct sg_id_cluster *cl, uint64_t id, struct obj_fill *f)
{
	int rc;

	memset(f->ck, 0, sizeof(*f->ck));
	f->ck->kind = SG_ID_CK_OBJ;
	f->ck->id = id;
	rc = sg_id_get(cl->s, id, &f->ck->obj);
	if (rc == 0)
		rc = sg_id_attr_foreach(cl->s, id, fill_attr, f);
	return rc;
}

static void
obj_unload(struct obj_fill *f)
{
	for (unsigned int i = 0; i < f->n; i++)
		free(f->vals[i]);
}

/* The object's record with attribute @p key set to @p value (NULL: removed). */
static int
attr_write(struct sg_id_cluster *cl, uint64_t id, const char *key, const char *value)
{
	struct sg_id_ck *ck = calloc(1, sizeof(*ck));
	struct obj_fill *f = calloc(1, sizeof(*f));
	unsigned int i, at;
	size_t kl, vl;
	int rc = ck == NULL || f == NULL ? -ENOMEM : 0;

	if (rc == 0 && (rc = sg_id_store_check(cl->s, 1)) == 0 &&
	    (rc = sg_id_attr_key_check(cl->s, key, &kl)) == 0 &&
	    (value == NULL || (rc = sg_id_attr_value_check(cl->s, key, value, &vl)) == 0)) {
		f->ck = ck;
		rc = obj_load(cl, id, f);
	}
	if (rc < 0)
		goto out;
	for (at = 0; at < ck->nattrs && strcmp(ck->attrs[at].key, key) != 0; at++)
		;
	if (value == NULL && at == ck->nattrs) {
		rc = sg_id_store_seterr(cl->s, -ENOENT, "no attribute '%s'", key);
	} else if (value == NULL) {
		for (i = at; i + 1 < ck->nattrs; i++)
			ck->attrs[i] = ck->attrs[i + 1];
		ck->nattrs--;
	} else if (at == ck->nattrs && at == SG_ID_ATTRS_MAX) {
		rc = sg_id_store_seterr(cl->s, -E2BIG, "%d attributes already", SG_ID_ATTRS_MAX);
	} else {
		ck->attrs[at].key = key;
		ck->attrs[at].value = value;
		ck->nattrs += at == ck->nattrs;
	}
	if (rc == 0)
		rc = ck_commit(cl, ck, false);
out:
	if (f != NULL && f->ck != NULL)
		obj_unload(f);
	free(f);
	free(ck);
	return rc;
}

int
sg_id_cluster_attr_set(struct sg_id_cluster *cl, uint64_t id, const char *key, const char *value)
{
	return value == NULL ? -EINVAL : attr_write(cl, id, key, value);
}

int
sg_id_cluster_attr_del(struct sg_id_cluster *cl, uint64_t id, const char *key)
{
	return attr_write(cl, id, key, NULL);
}

/* A lost race for a name: the ID etcd's name/ key gives. */
static int
name_owner(struct sg_id_cluster *cl, const struct sg_id_ck *nk, uint64_t *id)
{
	char key[SG_ID_CK_KEY_MAX], err[128], *val = NULL;
	struct sg_id_ck got;
	size_t len = 0;
	int rc = sg_id_ck_key(cl->prefix, nk, key, sizeof(key));

	if (rc < 0)
		return sg_id_store_seterr(cl->s, rc, "cannot build the etcd key of a name");
	rc = sg_etcd_get(cl->etcd, key, &val, &len, NULL);
	if (rc < 0)
		return etcd_fail(cl, rc, key);
	rc = sg_id_ck_parse(cl->prefix, key, strlen(key), val, len, &got, err, sizeof(err));
	if (rc == 0)
		*id = got.id;
	sg_id_ck_free(&got);
	free(val);
	return rc == 0 ? 0 : sg_id_store_seterr(cl->s, -EPROTO, "etcd %s: %s", key, err);
}

int
sg_id_cluster_register(struct sg_id_cluster *cl, const struct sg_id_reg *r, uint64_t *id,
		       bool *created)
{
	struct sg_id_ck *ck = calloc(1, sizeof(*ck)), nk = {.kind = SG_ID_CK_NAME};
	struct sg_id_ck tk = {.kind = SG_ID_CK_TREE};
	struct sg_id_object parent;
	uint64_t serial;
	bool made = false;
	int rc, i;

	if (ck == NULL)
		return -ENOMEM;
	if ((rc = sg_id_store_check(cl->s, 1)) < 0 || (rc = sg_id_reg_validate(cl->s, r, 0)) < 0)
		goto out;
	ck->obj.type = r->type;
	ck->obj.ns = (uint8_t)(r->ns != 0 ? r->ns : sg_id_type_ns(r->type));
	snprintf(ck->obj.name, sizeof(ck->obj.name), "%s", r->name);
	ck->obj.created_ns = sg_id_store_now_ns();
	ck->kind = SG_ID_CK_OBJ;
	memcpy(ck->attrs, r->attrs, r->nattrs * sizeof(r->attrs[0]));
	ck->nattrs = r->nattrs;
	rc = sg_id_lookup_name(cl->s, ck->obj.ns, r->type, r->name, id);
	if (rc != -ENOENT)
		goto out; /* registered already (here: etcd had it first), or an error */
	if (r->parent != SG_ID_NONE && (rc = sg_id_get(cl->s, r->parent, &parent)) < 0)
		goto out;
	if ((rc = sg_id_serial_next(cl->s, r->type, &serial)) < 0)
		goto out;
	/* the serial: the first free obj/ key from the local generator's next one */
	for (i = 0, rc = -EEXIST; i < SERIAL_TRIES && rc == -EEXIST; i++, serial++) {
		ck->id = ck->obj.id = sg_id_make(r->type, serial);
		rc = ck_write(cl, ck, 'c');
	}
	if (rc < 0) {
		if (rc == -EEXIST)
			rc = sg_id_store_seterr(cl->s, -EOVERFLOW, "%d serials taken in etcd",
						SERIAL_TRIES);
		goto out;
	}
	/* the name: create-if-absent; on a lost race give the claimed ID back */
	nk.id = ck->id;
	nk.obj = ck->obj;
	rc = ck_write(cl, &nk, 'c');
	if (rc == -EEXIST) {
		if ((rc = ck_write(cl, ck, 'd')) == 0 && (rc = name_owner(cl, &nk, id)) == 0)
			sg_id_apply(cl->s, ck, true); /* the serial stays used here too */
		goto out;
	}
	if (rc < 0)
		goto out;
	tk.id = ck->id;
	tk.other = r->parent;
	if (r->parent != SG_ID_NONE && (rc = ck_write(cl, &tk, 'p')) < 0)
		goto out;
	made = true;
	*id = ck->id;
	rc = sg_id_apply(cl->s, ck, false);
	if (rc == 0 && r->parent != SG_ID_NONE)
		rc = sg_id_apply(cl->s, &tk, false);
out:
	if (created != NULL)
		*created = made;
	free(ck);
	return rc;
}

int
sg_id_cluster_relate(struct sg_id_cluster *cl, uint64_t from, unsigned int rel, uint64_t to)
{
	struct sg_id_ck ck = {.kind = SG_ID_CK_REL, .id = from, .rel = rel, .other = to};
	struct sg_id_object o;
	int rc;

	if ((rc = sg_id_store_check(cl->s, 1)) < 0)
		return rc;
	if (rel == SG_ID_REL_NONE || rel > SG_ID_REL_LAST || from == to || sg_id_is_temp(from) ||
	    sg_id_is_temp(to))
		return sg_id_store_seterr(cl->s, -EINVAL,
					  "relation %u between %016" PRIx64 " and %016" PRIx64
					  " refused",
					  rel, from, to);
	if ((rc = sg_id_get(cl->s, from, &o)) < 0 || (rc = sg_id_get(cl->s, to, &o)) < 0)
		return rc;
	return ck_commit(cl, &ck, false);
}

/* Whether the edge @p from -rel-> @p to is in the local store. */
static bool
has_edge(struct sg_id_cluster *cl, uint64_t from, unsigned int rel, uint64_t to)
{
	struct sg_id_query q = {
		.dir = SG_ID_DIR_OUT, .rel_mask = SG_ID_REL_BIT(rel), .max_depth = 1};
	uint64_t out[256];
	size_t n = 0, i;
	int rc = sg_id_related(cl->s, from, &q, out, 256, &n);

	for (i = 0; (rc == 0 || rc == -ENOBUFS) && i < n; i++)
		if (out[i] == to)
			return true;
	return rc == -ENOBUFS; /* more than we read: let the store say */
}

int
sg_id_cluster_unrelate(struct sg_id_cluster *cl, uint64_t from, unsigned int rel, uint64_t to)
{
	struct sg_id_ck ck = {.kind = SG_ID_CK_REL, .id = from, .rel = rel, .other = to};
	int rc;

	if ((rc = sg_id_store_check(cl->s, 1)) < 0)
		return rc;
	if (rel == SG_ID_REL_NONE || rel > SG_ID_REL_LAST)
		return sg_id_store_seterr(cl->s, -EINVAL, "unknown relation %u", rel);
	if (!has_edge(cl, from, rel, to))
		return sg_id_store_seterr(cl->s, -ENOENT, "no such edge");
	return ck_commit(cl, &ck, true);
}

int
sg_id_cluster_move(struct sg_id_cluster *cl, uint64_t id, uint64_t parent)
{
	struct sg_id_ck ck = {.kind = SG_ID_CK_TREE, .id = id, .other = parent};
	uint64_t path[SG_ID_DEPTH_MAX + 1];
	struct sg_id_object o;
	size_t n = 0, i;
	int rc;

	if ((rc = sg_id_store_check(cl->s, 1)) < 0 || (rc = sg_id_get(cl->s, id, &o)) < 0)
		return rc;
	if (parent != SG_ID_NONE) {
		rc = sg_id_resolve_where(cl->s, parent, path, SG_ID_DEPTH_MAX + 1, &n);
		if (rc < 0 && rc != -ENOBUFS)
			return rc;
		for (i = 0; i < n; i++)
			if (path[i] == id)
				return sg_id_store_seterr(cl->s, -ELOOP,
							  "the new parent is inside the object");
	}
	return ck_commit(cl, &ck, parent == SG_ID_NONE);
}

int
sg_id_cluster_set_ref(struct sg_id_cluster *cl, uint64_t vm, uint64_t component)
{
	struct sg_id_ck ck = {.kind = SG_ID_CK_REF, .id = vm, .other = component};
	struct sg_id_object o;
	int rc;

	if ((rc = sg_id_store_check(cl->s, 1)) < 0 || (rc = sg_id_get(cl->s, vm, &o)) < 0)
		return rc;
	if (o.type != SG_ID_T_VM)
		return sg_id_store_seterr(cl->s, -EINVAL, "%s is not a VM", o.name);
	if (component != SG_ID_NONE) {
		if ((rc = sg_id_get(cl->s, component, &o)) < 0)
			return rc;
		if (o.type != SG_ID_T_COMPONENT)
			return sg_id_store_seterr(cl->s, -EINVAL, "%s is not a component", o.name);
	}
	return ck_commit(cl, &ck, component == SG_ID_NONE);
}

/* Delete every edge of @p id (and the references SERVED_BY stands for) in etcd and here. */
static int
drop_edges(struct sg_id_cluster *cl, uint64_t id)
{
	static const unsigned int dirs[2] = {SG_ID_DIR_OUT, SG_ID_DIR_IN};
	struct sg_id_ck ck = {.kind = SG_ID_CK_REL}, rk = {.kind = SG_ID_CK_REF};
	uint64_t *out = malloc(4096 * sizeof(*out));
	unsigned int d, rel;
	size_t n, i;
	int rc = out == NULL ? -ENOMEM : 0;

	for (d = 0; rc == 0 && d < 2; d++) {
		for (rel = 1; rc == 0 && rel <= SG_ID_REL_LAST; rel++) {
			struct sg_id_query q = {
				.dir = dirs[d], .rel_mask = SG_ID_REL_BIT(rel), .max_depth = 1};

			rc = sg_id_related(cl->s, id, &q, out, 4096, &n);
			for (i = 0; rc == 0 && i < n; i++) {
				ck.id = d == 0 ? id : out[i];
				ck.other = d == 0 ? out[i] : id;
				ck.rel = rel;
				rk.id = ck.other; /* SERVED_BY: component -> vm, the VM's ref */
				if (rel == SG_ID_REL_SERVED_BY)
					rc = ck_commit(cl, &rk, true);
				if (rc == 0)
					rc = ck_commit(cl, &ck, true);
			}
		}
	}
	free(out);
	return rc;
}

int
sg_id_cluster_unregister(struct sg_id_cluster *cl, uint64_t id)
{
	struct sg_id_ck ck = {.kind = SG_ID_CK_OBJ, .id = id};
	struct sg_id_ck nk = {.kind = SG_ID_CK_NAME, .id = id};
	struct sg_id_ck tk = {.kind = SG_ID_CK_TREE, .id = id};
	struct sg_id_ck rk = {.kind = SG_ID_CK_REF, .id = id};
	uint64_t child;
	size_t n = 0;
	int rc;

	if ((rc = sg_id_store_check(cl->s, 1)) < 0)
		return rc;
	if (sg_id_is_temp(id))
		return sg_id_store_seterr(cl->s, -EINVAL, "temporary IDs are not clustered");
	if ((rc = sg_id_get(cl->s, id, &ck.obj)) < 0)
		return rc;
	rc = sg_id_resolve_contained(cl->s, id, 1, &child, 1, &n);
	if (rc == -ENOBUFS || (rc == 0 && n > 0))
		return sg_id_store_seterr(cl->s, -ENOTEMPTY, "%s still contains objects",
					  ck.obj.name);
	nk.obj = ck.obj;
	if (rc == 0)
		rc = drop_edges(cl, id);
	if (rc == 0 && ck.obj.ref != SG_ID_NONE)
		rc = ck_commit(cl, &rk, true);
	if (rc == 0 && ck.obj.parent != SG_ID_NONE)
		rc = ck_commit(cl, &tk, true);
	if (rc == 0)
		rc = ck_commit(cl, &nk, true);
	return rc == 0 ? ck_commit(cl, &ck, true) : rc;
}
