/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal: object attributes (DB_ATTRS, id(8) key -> value). */
#ifndef SG_ID_ATTR_H
#define SG_ID_ATTR_H

#include <stdint.h>
#include <string.h>

#include "store.h"

#define SG_ID_ATTR_KEY_LEN (8 + SG_ID_ATTR_KEY_MAX)

/* Key of DB_ATTRS: id(8) key; returns its length. */
static inline size_t
sg_id_attr_key(uint8_t *buf, uint64_t id, const char *key, size_t klen)
{
	put_be64(buf, id);
	memcpy(buf + 8, key, klen);
	return 8 + klen;
}

/**
 * Check an attribute key (1-SG_ID_ATTR_KEY_MAX bytes of a-z 0-9 _ . -) and
 * return its length in @klen. @return 0, -EINVAL, -ENAMETOOLONG.
 */
int sg_id_attr_key_check(struct sg_id_store *s, const char *key, size_t *klen);

/**
 * Check an attribute value (at most SG_ID_ATTR_VALUE_MAX bytes) and return
 * its length in @vlen. @return 0, -EINVAL (missing), -E2BIG.
 */
int sg_id_attr_value_check(struct sg_id_store *s, const char *key, const char *value, size_t *vlen);

/** Delete every attribute of @id. @return 0 or a negative errno. */
int sg_id_attr_drop_all(struct sg_id_store *s, MDB_txn *txn, uint64_t id);

#endif
