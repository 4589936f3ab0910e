/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the per-type serial counters (DB_COUNTERS, type -> next serial).
 * A serial is taken in the same transaction as the object it names, so a
 * committed ID is never handed out again.
 */
#ifndef SG_ID_COUNTER_H
#define SG_ID_COUNTER_H

#include <stdint.h>

#include "store.h"

/**
 * Take the next serial of @type.
 * @return 0, -EOVERFLOW (serials exhausted), -EIO (record damaged), store errors.
 */
int sg_id_counter_next(struct sg_id_store *s, MDB_txn *txn, unsigned int type, uint64_t *serial);

/**
 * Make sure the next serial of @type is above @past.
 * @return 0, -EIO (record damaged), store errors.
 */
int sg_id_counter_raise(struct sg_id_store *s, MDB_txn *txn, unsigned int type, uint64_t past);

#endif
