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

struct sg_ctl_db;
struct sg_ctl_cs_tab;
struct sg_ctl_shm;

/** Re-create a stored session (the way back to csm at load). */
typedef int (*sg_ctl_db_restore_fn)(void *ctx, const struct sg_ctl_cs *saved, const char *app,
				    const char *vm);

/**
 * The session database, not opened yet: a commit writes @p tab's change
 * list (storage IDs from @p inv, the data plane's epoch from @p shm) and
 * the local ID serial @p next_id; sg_ctl_db_load() gives every stored
 * session to @p restore. NULL: no memory.
 */
struct sg_ctl_db *sg_ctl_db_create(struct sg_ctl_cs_tab *tab, struct sg_ctl_inv *inv,
				   struct sg_ctl_shm *shm, struct sg_ctl_stats *st,
				   uint64_t *next_id, sg_ctl_db_restore_fn restore,
				   void *restore_ctx);
/** Close and free. */
void sg_ctl_db_destroy(struct sg_ctl_db *db);
/** Opened (sessions are stored)? */
bool sg_ctl_db_is_open(const struct sg_ctl_db *db);
int sg_ctl_db_open(struct sg_ctl_db *db, const char *dir, uint32_t map_mb);
void sg_ctl_db_close(struct sg_ctl_db *db);
/**
 * Write the change list in one transaction (a full map is grown and the
 * transaction redone). @return 0, -EIO: nothing was written, the change
 * list is untouched (the caller retries).
 */
int sg_ctl_db_commit(struct sg_ctl_db *db);
/** Fault injection for tests: the next @p n commits fail (-EIO) after writing everything. */
void sg_ctl_db_fail_next(struct sg_ctl_db *db, unsigned int n);
void sg_ctl_db_sync(struct sg_ctl_db *db);
/** Re-create every stored session (through the restore hook). @return sessions restored. */
int sg_ctl_db_load(struct sg_ctl_db *db);
int sg_ctl_db_meta_get(struct sg_ctl_db *db, const char *key, uint64_t *val);
int sg_ctl_db_meta_put(struct sg_ctl_db *db, const char *key, uint64_t val);
/** Rows per table: streaming, controlling, user, relationship. */
int sg_ctl_db_counts(struct sg_ctl_db *db, uint64_t counts[4]);

#endif /* SG_CTL_SESSIONDB_H */
