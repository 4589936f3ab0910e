/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the identity keys of the cluster store (sessiongate/
 * sg_cluster_keys.h, "v1/id/"): building a key and its JSON value, and
 * parsing one back (hostile input: every field checked). No I/O.
 */
#ifndef SG_ID_CKEY_H
#define SG_ID_CKEY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sg_idmgr.h"

enum sg_id_ck_kind {
	SG_ID_CK_OBJ = 1, /**< obj/<id>: an object and its attributes */
	SG_ID_CK_NAME,	  /**< name/<ns>/<type>/<name>: a name's claim */
	SG_ID_CK_TREE,	  /**< tree/<child>: its parent */
	SG_ID_CK_REF,	  /**< ref/<vm>: its component */
	SG_ID_CK_REL,	  /**< rel/<from>/<rel>/<to>: an edge */
};

/** One identity key, decoded. */
struct sg_id_ck {
	enum sg_id_ck_kind kind;
	uint64_t id;	/**< obj, tree (child), ref (vm), rel (from), name (its ID) */
	uint64_t other; /**< tree: parent; ref: component; rel: to */
	unsigned int rel;
	struct sg_id_object obj; /**< obj: the object (parent, ref unset) */
	struct sg_id_attr attrs[SG_ID_ATTRS_MAX];
	unsigned int nattrs;
	json_t *doc; /**< holds the attribute strings: sg_id_ck_free() */
};

/** The longest key: prefix + "/" + "v1/id/name/" + ns/type/name. */
#define SG_ID_CK_KEY_MAX 512

/**
 * Build the key of @p ck under @p prefix in @p key (SG_ID_CK_KEY_MAX).
 * @return 0 or -ENAMETOOLONG, -EINVAL (bad kind, relation, type).
 */
int sg_id_ck_key(const char *prefix, const struct sg_id_ck *ck, char *key, size_t len);

/**
 * The JSON value of @p ck (malloc'd text: free()). For SG_ID_CK_OBJ the
 * object and attributes come from ck->obj and ck->attrs. @return it or NULL.
 */
char *sg_id_ck_value(const struct sg_id_ck *ck);

/**
 * Decode @p key (under @p prefix) and @p val (@p vlen bytes; NULL: a delete,
 * only the key is read). @return 0; 1 (not an identity key: ignore it);
 * -EPROTO (malformed: @p err says what).
 */
int sg_id_ck_parse(const char *prefix, const char *key, size_t klen, const char *val, size_t vlen,
		   struct sg_id_ck *ck, char *err, size_t errlen);

/** Free what sg_id_ck_parse() kept (the JSON document). */
void sg_id_ck_free(struct sg_id_ck *ck);

#endif
