/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sessiondb.c: the LMDB session database (streaming, controlling, user and
 * relationship tables, plus meta). Writes are batched: sg_ctl_db_commit()
 * writes every dirty session and deletes every doomed one in one
 * transaction, before the messages they caused leave for the ring.
 */
#ifndef SG_CTL_SESSIONDB_H
#define SG_CTL_SESSIONDB_H

#include "model.h"

struct sg_ctl;

int sg_ctl_db_open(struct sg_ctl *c, const char *dir, uint32_t map_mb);
void sg_ctl_db_close(struct sg_ctl *c);
int sg_ctl_db_commit(struct sg_ctl *c);
void sg_ctl_db_sync(struct sg_ctl *c);
/** Re-create every stored session (through the restore hook). @return sessions restored. */
int sg_ctl_db_load(struct sg_ctl *c);
int sg_ctl_db_meta_get(struct sg_ctl *c, const char *key, uint64_t *val);
int sg_ctl_db_meta_put(struct sg_ctl *c, const char *key, uint64_t val);
/** Rows per table: streaming, controlling, user, relationship. */
int sg_ctl_db_counts(struct sg_ctl *c, uint64_t counts[4]);

#endif /* SG_CTL_SESSIONDB_H */
