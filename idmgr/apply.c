/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Apply one identity key of the cluster store to the local LMDB through the
 * store's own calls (restore, move, set_ref, relate, attributes), so that
 * the store's rules hold for what etcd says too. Idempotent: a put of what
 * is already there and a delete of what is gone are successes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "sg_etcd.h"
#include "sg_idmgr_cluster.h"
#include "store.h"

struct attr_sync {
	const struct sg_id_ck *ck;
	char drop[SG_ID_ATTRS_MAX][SG_ID_ATTR_KEY_MAX + 1];
	unsigned int n;
};

static int
attr_collect(const char *key, const char *value, void *arg)
{
	struct attr_sync *a = arg;
	unsigned int i;

	(void)value;
	for (i = 0; i < a->ck->nattrs; i++)
		if (strcmp(a->ck->attrs[i].key, key) == 0)
			return 0;
	if (a->n < SG_ID_ATTRS_MAX)
		snprintf(a->drop[a->n++], sizeof(a->drop[0]), "%s", key);
	return 0;
}

/* Make the object's attributes those of the record. */
static int
attrs_sync(struct sg_id_store *s, const struct sg_id_ck *ck)
{
	char cur[SG_ID_ATTR_VALUE_MAX + 1];
	struct attr_sync a = {.ck = ck};
	unsigned int i;
	int rc;

	rc = sg_id_attr_foreach(s, ck->id, attr_collect, &a);
	for (i = 0; rc == 0 && i < a.n; i++)
		rc = sg_id_attr_del(s, ck->id, a.drop[i]);
	for (i = 0; rc == 0 && i < ck->nattrs; i++) {
		int got = sg_id_attr_get(s, ck->id, ck->attrs[i].key, cur, sizeof(cur));

		if (got < 0 || strcmp(cur, ck->attrs[i].value) != 0)
			rc = sg_id_attr_set(s, ck->id, ck->attrs[i].key, ck->attrs[i].value);
	}
	return rc == -ENOENT ? 0 : rc;
}

static int
apply_obj(struct sg_id_store *s, const struct sg_id_ck *ck, bool del)
{
	struct sg_id_object cur;
	int rc;

	if (del) {
		rc = sg_id_unregister(s, ck->id);
		return rc == -ENOENT ? 0 : rc;
	}
	rc = sg_id_get(s, ck->id, &cur);
	if (rc == -ENOENT) {
		rc = sg_id_restore(s, &ck->obj);
	} else if (rc == 0 && (cur.type != ck->obj.type || cur.ns != ck->obj.ns ||
			       strcmp(cur.name, ck->obj.name) != 0)) {
		sg_id_store_setmsg(s, "ID %016" PRIx64 " names '%s' here, '%s' in etcd", ck->id,
				   cur.name, ck->obj.name);
		return -EEXIST;
	}
	return rc < 0 ? rc : attrs_sync(s, ck);
}

int
sg_id_apply(struct sg_id_store *s, const struct sg_id_ck *ck, bool del)
{
	int rc;

	switch (ck->kind) {
	case SG_ID_CK_OBJ:
		return apply_obj(s, ck, del);
	case SG_ID_CK_TREE:
		rc = sg_id_move(s, ck->id, del ? SG_ID_NONE : ck->other);
		return del && rc == -ENOENT ? 0 : rc;
	case SG_ID_CK_REF:
		rc = sg_id_set_ref(s, ck->id, del ? SG_ID_NONE : ck->other);
		return del && rc == -ENOENT ? 0 : rc;
	case SG_ID_CK_REL:
		if (!del)
			return sg_id_relate(s, ck->id, ck->rel, ck->other);
		rc = sg_id_unrelate(s, ck->id, ck->rel, ck->other);
		return rc == -ENOENT ? 0 : rc;
	case SG_ID_CK_NAME:
	default:
		return 1;
	}
}

int
sg_id_apply_kv(struct sg_id_store *s, const char *prefix, const struct sg_etcd_kv *kv,
	       struct sg_id_follow_stats *st, struct sg_id_ck *out)
{
	struct sg_id_ck ck;
	char err[200];
	int rc;

	rc = sg_id_ck_parse(prefix, kv->key, kv->key_len, kv->val, kv->val_len, &ck, err,
			    sizeof(err));
	if (rc < 0) {
		st->rejected++;
		sg_id_log("etcd key %.*s at revision %lld rejected: %s", (int)kv->key_len, kv->key,
			  (long long)kv->mod_rev, err);
	} else if (rc == 0) {
		rc = sg_id_apply(s, &ck, kv->val == NULL);
		if (rc < 0) {
			st->failed++;
			sg_id_log("etcd key %.*s at revision %lld not applied: %s",
				  (int)kv->key_len, kv->key, (long long)kv->mod_rev,
				  sg_id_store_errmsg(s));
		}
	}
	if (rc == 0)
		st->applied++;
	else if (rc == 1)
		st->skipped++;
	if (out != NULL && rc >= 0)
		*out = ck;
	else
		sg_id_ck_free(&ck);
	return rc;
}
