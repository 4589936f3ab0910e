/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: object records (DB_OBJECTS) and the name index key (DB_NAMES).
 * Every other part reads and writes objects through these calls.
 */
#ifndef SG_ID_OBJECT_H
#define SG_ID_OBJECT_H

#include <stdint.h>
#include <string.h>

#include "store.h"

#define SG_ID_NAME_KEY_MAX (2 + SG_ID_NAME_MAX)

/* On-disk object record (native endian: the store is local to one host). */
struct sg_id_obj_rec {
	uint8_t version;
	uint8_t type;
	uint8_t ns;
	uint8_t pad;
	uint16_t name_len;
	uint16_t nattrs;
	uint32_t pad2;
	uint64_t parent;
	uint64_t ref;
	uint64_t created_ns;
	/* name bytes follow, no NUL */
};

/* Key of DB_NAMES: ns(1) type(1) name; returns its length. */
static inline size_t
sg_id_name_key(uint8_t *buf, unsigned int ns, unsigned int type, const char *name, size_t len)
{
	buf[0] = (uint8_t)ns;
	buf[1] = (uint8_t)type;
	memcpy(buf + 2, name, len);
	return 2 + len;
}

/**
 * Read object @id (into @o unless NULL).
 * @return 0, -ENOENT (no such object), -EIO (record damaged), LMDB errors.
 */
int sg_id_obj_read(struct sg_id_store *s, MDB_txn *txn, uint64_t id, struct sg_id_object *o);

/** @return 1 if object @id exists, 0 if not, a negative errno on a store error. */
int sg_id_obj_exists(struct sg_id_store *s, MDB_txn *txn, uint64_t id);

/**
 * 0 if @id is a valid persistent ID of an existing object.
 * @return 0, -EINVAL (not a persistent ID), -ENOENT (no object), store errors.
 */
int sg_id_obj_need(struct sg_id_store *s, MDB_txn *txn, uint64_t id);

/**
 * Write the record of @o (its name is @name_len bytes).
 * @return 0 or a negative errno (SG_EMAPFULL retried by the runner).
 */
int sg_id_obj_put(struct sg_id_store *s, MDB_txn *txn, const struct sg_id_object *o,
		  size_t name_len);

/**
 * Rewrite the parent and reference IDs of object @id.
 * @return 0, -ENOENT (no object), -EIO, store errors.
 */
int sg_id_obj_set_parent_ref(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t parent,
			     uint64_t ref);

/** Delete the record of object @id. @return 0, -ENOENT, store errors. */
int sg_id_obj_del(struct sg_id_store *s, MDB_txn *txn, uint64_t id);

/**
 * Check a registration (type, namespace, name, attributes, parent ID form)
 * without touching the store; @p idx names the entry in the message.
 * @return 0, -EINVAL, -ENAMETOOLONG, -E2BIG.
 */
int sg_id_reg_validate(struct sg_id_store *s, const struct sg_id_reg *r, size_t idx);

#endif
