/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session database on LMDB: its own environment (not idmgr's), five
 * named DBIs:
 *
 *   streaming    session_id         -> struct db_streaming
 *   controlling  ctl_id             -> struct db_controlling
 *   user         user_session_id    -> struct db_user
 *   relation     service_session_id -> struct db_relation (links the three)
 *   meta         name               -> uint64 (data-plane epoch, ID counter)
 *
 * Keys are big-endian so that cursors walk them in ID order (and mostly
 * append). Rows are fixed-size structs with a version byte.
 *
 * MDB_WRITEMAP | MDB_NOSYNC: a commit writes the shared file mapping (the
 * page cache) and returns, so a killed sg-control (kill -9) loses nothing
 * committed; an OS crash may lose (or, with WRITEMAP, tear) what was not
 * yet flushed: sg_ctl_db_sync() runs every second. After an OS crash the
 * data plane has restarted too, and its new epoch purges every session
 * anyway, so durability past a process crash buys nothing here while a
 * synchronous commit would cap setups at the disk's flush rate.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "cs.h"
#include "sessiondb.h"
#include "shm.h"

#define DB_ROW_VERSION 1

enum { DBI_STREAMING, DBI_CONTROLLING, DBI_USER, DBI_RELATION, DBI_META, DBI_N };

static const char *const dbi_names[DBI_N] = {"streaming", "controlling", "user", "relation",
					     "meta"};

struct sg_ctl_db {
	MDB_env *env; /**< NULL until sg_ctl_db_open() */
	MDB_dbi dbi[DBI_N];
	size_t map_size;
	struct sg_ctl_cs_tab *tab; /**< its change list is what a commit writes */
	struct sg_ctl_inv *inv;
	struct sg_ctl_shm *shm; /**< the data plane's epoch, recorded per session */
	struct sg_ctl_stats *st;
	uint64_t *next_id; /**< the local ID serial it persists */
	sg_ctl_db_restore_fn restore;
	void *restore_ctx;
	unsigned int fail_next; /**< commits to fail on purpose (sg_ctl_db_fail_next()) */
};

struct sg_ctl_db *
sg_ctl_db_create(struct sg_ctl_cs_tab *tab, struct sg_ctl_inv *inv, struct sg_ctl_shm *shm,
		 struct sg_ctl_stats *st, uint64_t *next_id, sg_ctl_db_restore_fn restore,
		 void *restore_ctx)
{
	struct sg_ctl_db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return NULL;
	db->tab = tab;
	db->inv = inv;
	db->shm = shm;
	db->st = st;
	db->next_id = next_id;
	db->restore = restore;
	db->restore_ctx = restore_ctx;
	return db;
}

void
sg_ctl_db_destroy(struct sg_ctl_db *db)
{
	if (db == NULL)
		return;
	sg_ctl_db_close(db);
	free(db);
}

bool
sg_ctl_db_is_open(const struct sg_ctl_db *db)
{
	return db->env != NULL;
}

struct db_streaming {
	uint8_t version;
	uint8_t pad;
	uint16_t worker; /**< I/O port ID: the data-plane worker that owns the flow */
	uint32_t pad2;
	uint64_t network_id;	 /**< the data-plane instance (epoch) the flow lives in */
	struct sg_msg_flow flow; /**< 5-tuple; flow.vs_slot is the VS */
	uint64_t ctl_id;
};

struct db_controlling {
	uint8_t version;
	uint8_t state;
	uint8_t reason;
	uint8_t n_providers;
	uint8_t key_type;
	uint8_t pad;
	uint16_t key_len;
	uint64_t session_id;
	uint64_t created_ms;
	uint64_t providers[SG_CTL_PROVIDERS_MAX];
	char app[SG_CTL_NAME_MAX];
	uint8_t key[SG_MSG_KEY_MAX];
};

struct db_user {
	uint8_t version;
	uint8_t pad[7];
	uint64_t user_id;
	uint64_t app_id;
	uint64_t domain_id;
	uint64_t component_id;
	uint64_t vm_id;
	uint64_t server_id;
	uint64_t storage_id;
	char user[SG_CTL_NAME_MAX];
	char vapp[SG_CTL_NAME_MAX];
	char vm[SG_CTL_NAME_MAX];
};

struct db_relation {
	uint8_t version;
	uint8_t pad[7];
	uint64_t session_id;
	uint64_t ctl_id;
	uint64_t user_session_id;
};

static void
db_key(MDB_val *k, uint64_t *store, uint64_t id)
{
	*store = htobe64(id);
	k->mv_data = store;
	k->mv_size = sizeof(*store);
}

static int db_open_once(struct sg_ctl_db *db, const char *dir, uint32_t map_mb);

/* LMDB returns errno values (> 0) or its own codes (<= MDB_KEYEXIST). */
static int
db_errno(int rc)
{
	if (rc > 0)
		return -rc;
	return rc <= MDB_KEYEXIST ? -EIO : rc;
}

/*
 * Open the session DB. A DB that LMDB finds corrupt (possible after an OS
 * crash with MDB_WRITEMAP | MDB_NOSYNC) is moved aside, not trusted: the
 * data plane restarted with the OS, so its sessions are gone anyway.
 */
int
sg_ctl_db_open(struct sg_ctl_db *db, const char *dir, uint32_t map_mb)
{
	char aside[SG_CTL_PATH_MAX + 32];
	int rc;

	rc = db_open_once(db, dir, map_mb);
	if (rc != MDB_INVALID && rc != MDB_CORRUPTED && rc != MDB_VERSION_MISMATCH &&
	    rc != MDB_PAGE_NOTFOUND && rc != MDB_INCOMPATIBLE)
		return db_errno(rc);
	snprintf(aside, sizeof(aside), "%s.corrupt-%ld", dir, (long)time(NULL));
	if (rename(dir, aside) < 0) {
		syslog(LOG_ERR, "sessiondb: %s is corrupt and cannot be moved aside: %s", dir,
		       strerror(errno));
		return -EIO;
	}
	syslog(LOG_CRIT, "sessiondb: %s was corrupt (%s); moved to %s, starting empty", dir,
	       mdb_strerror(rc), aside);
	rc = db_open_once(db, dir, map_mb);
	return db_errno(rc);
}

static int
db_open_once(struct sg_ctl_db *db, const char *dir, uint32_t map_mb)
{
	MDB_txn *txn;
	int rc, dead, i;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
		syslog(LOG_ERR, "sessiondb: cannot create %s: %s", dir, strerror(errno));
		return rc;
	}
	db->map_size = (size_t)map_mb << 20;
	rc = mdb_env_create(&db->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(db->env, DBI_N);
	if (rc == 0)
		rc = mdb_env_set_mapsize(db->env, db->map_size);
	if (rc == 0)
		rc = mdb_env_open(db->env, dir, MDB_WRITEMAP | MDB_NOSYNC | MDB_NOTLS, 0640);
	if (rc != 0) {
		syslog(LOG_ERR, "sessiondb: cannot open %s: %s", dir, mdb_strerror(rc));
		goto fail;
	}
	/* A killed reader leaves a stale slot behind. */
	mdb_reader_check(db->env, &dead);
	rc = mdb_txn_begin(db->env, NULL, 0, &txn);
	if (rc != 0)
		goto fail;
	for (i = 0; i < DBI_N; i++) {
		rc = mdb_dbi_open(txn, dbi_names[i], MDB_CREATE, &db->dbi[i]);
		if (rc != 0) {
			mdb_txn_abort(txn);
			syslog(LOG_ERR, "sessiondb: table %s: %s", dbi_names[i], mdb_strerror(rc));
			goto fail;
		}
	}
	rc = mdb_txn_commit(txn);
	if (rc != 0)
		goto fail;
	return 0;
fail:
	if (db->env != NULL)
		mdb_env_close(db->env);
	db->env = NULL;
	return rc; /* an MDB_ code (> 0 or LMDB's negatives) or -errno */
}

void
sg_ctl_db_close(struct sg_ctl_db *db)
{
	if (db->env == NULL)
		return;
	mdb_env_sync(db->env, 1);
	mdb_env_close(db->env);
	db->env = NULL;
}

void
sg_ctl_db_sync(struct sg_ctl_db *db)
{
	if (db->env != NULL)
		mdb_env_sync(db->env, 1);
}

static int
db_put_row(struct sg_ctl_db *db, MDB_txn *txn, int dbi, uint64_t id, void *row, size_t len)
{
	uint64_t kb;
	MDB_val k, v;

	int rc;

	db_key(&k, &kb, id);
	v.mv_data = row;
	v.mv_size = len;
	/* IDs mostly grow: appending skips the search; an older key falls back. */
	rc = mdb_put(txn, db->dbi[dbi], &k, &v, MDB_APPEND);
	if (rc == MDB_KEYEXIST) {
		v.mv_data = row;
		v.mv_size = len;
		rc = mdb_put(txn, db->dbi[dbi], &k, &v, 0);
	}
	return rc;
}

static int
db_del_row(struct sg_ctl_db *db, MDB_txn *txn, int dbi, uint64_t id)
{
	uint64_t kb;
	MDB_val k;
	int rc;

	db_key(&k, &kb, id);
	rc = mdb_del(txn, db->dbi[dbi], &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
db_write_cs(struct sg_ctl_db *db, MDB_txn *txn, const struct sg_ctl_cs *cs)
{
	struct db_streaming s;
	struct db_controlling k;
	struct db_user u;
	struct db_relation r;
	int rc;

	memset(&s, 0, sizeof(s));
	s.version = DB_ROW_VERSION;
	s.worker = cs->worker;
	s.network_id = sg_ctl_shm_epoch(db->shm);
	s.flow = cs->flow;
	s.ctl_id = cs->ctl_id;
	memset(&k, 0, sizeof(k));
	k.version = DB_ROW_VERSION;
	k.state = cs->state;
	k.reason = cs->reason;
	k.n_providers = cs->n_providers;
	memcpy(k.providers, cs->providers, sizeof(k.providers));
	k.key_type = cs->key_type;
	k.key_len = cs->key_len;
	memcpy(k.key, cs->key, cs->key_len);
	k.session_id = cs->session_id;
	k.created_ms = cs->created_ms;
	if (cs->app != NULL)
		snprintf(k.app, sizeof(k.app), "%s", cs->app->cfg->name);
	memset(&u, 0, sizeof(u));
	u.version = DB_ROW_VERSION;
	u.user_id = cs->user_id;
	snprintf(u.user, sizeof(u.user), "%s", cs->user);
	if (cs->app != NULL) {
		u.app_id = cs->app->id;
		u.domain_id = cs->app->domain_id;
		u.storage_id = db->inv->pools[cs->app->cfg->pool].storage_id;
		snprintf(u.vapp, sizeof(u.vapp), "%s", cs->app->cfg->name);
	}
	if (cs->vm != NULL) {
		u.vm_id = cs->vm->id;
		u.server_id = cs->vm->host->id;
		u.component_id = cs->vm->component_id;
		snprintf(u.vm, sizeof(u.vm), "%s", cs->vm->cfg->name);
	}
	memset(&r, 0, sizeof(r));
	r.version = DB_ROW_VERSION;
	r.session_id = cs->session_id;
	r.ctl_id = cs->ctl_id;
	r.user_session_id = cs->user_session_id;
	rc = db_put_row(db, txn, DBI_STREAMING, cs->session_id, &s, sizeof(s));
	if (rc == 0)
		rc = db_put_row(db, txn, DBI_CONTROLLING, cs->ctl_id, &k, sizeof(k));
	if (rc == 0)
		rc = db_put_row(db, txn, DBI_USER, cs->user_session_id, &u, sizeof(u));
	if (rc == 0)
		rc = db_put_row(db, txn, DBI_RELATION, cs->service_session_id, &r, sizeof(r));
	return rc;
}

static int
db_del_cs(struct sg_ctl_db *db, MDB_txn *txn, const struct sg_ctl_cs *cs)
{
	int rc;

	rc = db_del_row(db, txn, DBI_STREAMING, cs->session_id);
	if (rc == 0)
		rc = db_del_row(db, txn, DBI_CONTROLLING, cs->ctl_id);
	if (rc == 0)
		rc = db_del_row(db, txn, DBI_USER, cs->user_session_id);
	if (rc == 0)
		rc = db_del_row(db, txn, DBI_RELATION, cs->service_session_id);
	return rc;
}

static int
db_meta_put_txn(struct sg_ctl_db *db, MDB_txn *txn, const char *key, uint64_t val)
{
	MDB_val k = {.mv_size = strlen(key), .mv_data = (void *)(uintptr_t)key};
	MDB_val v = {.mv_size = sizeof(val), .mv_data = &val};

	return mdb_put(txn, db->dbi[DBI_META], &k, &v, 0);
}

static int
db_commit_once(struct sg_ctl_db *db)
{
	struct sg_ctl_cs *cs;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(db->env, NULL, 0, &txn);
	if (rc != 0)
		return rc;
	for (cs = db->tab->changed; cs != NULL && rc == 0; cs = cs->dnext) {
		if (cs->doomed) {
			if (cs->stored)
				rc = db_del_cs(db, txn, cs);
		} else if (cs->dirty) {
			rc = db_write_cs(db, txn, cs);
		}
	}
	if (rc == 0)
		rc = db_meta_put_txn(db, txn, "next_id", *db->next_id);
	if (rc == 0 && db->fail_next > 0) {
		db->fail_next--;
		rc = EIO; /* injected: everything written, then the transaction lost */
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

int
sg_ctl_db_commit(struct sg_ctl_db *db)
{
	int rc, tries;

	if (db->env == NULL || db->tab->changed == NULL)
		return 0;
	for (tries = 0; tries < 8; tries++) {
		rc = db_commit_once(db);
		if (rc != MDB_MAP_FULL)
			break;
		/* The transaction is gone: grow the map (no transaction active) and redo. */
		if (mdb_env_set_mapsize(db->env, db->map_size * 2) != 0)
			break;
		db->map_size *= 2;
		db->st->db_map_grows++;
		syslog(LOG_NOTICE, "sessiondb: map grown to %zu MiB", db->map_size >> 20);
	}
	if (rc != 0) {
		db->st->db_errors++;
		syslog(LOG_ERR, "sessiondb: commit failed: %s", mdb_strerror(rc));
		return -EIO;
	}
	db->st->db_commits++;
	return 0;
}

void
sg_ctl_db_fail_next(struct sg_ctl_db *db, unsigned int n)
{
	db->fail_next = n;
}

int
sg_ctl_db_meta_get(struct sg_ctl_db *db, const char *key, uint64_t *val)
{
	MDB_val k = {.mv_size = strlen(key), .mv_data = (void *)(uintptr_t)key};
	MDB_val v;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return -EIO;
	rc = mdb_get(txn, db->dbi[DBI_META], &k, &v);
	if (rc == 0 && v.mv_size == sizeof(*val))
		memcpy(val, v.mv_data, sizeof(*val));
	mdb_txn_abort(txn);
	return rc == 0 ? 0 : rc == MDB_NOTFOUND ? -ENOENT : -EIO;
}

int
sg_ctl_db_meta_put(struct sg_ctl_db *db, const char *key, uint64_t val)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(db->env, NULL, 0, &txn);
	if (rc != 0)
		return -EIO;
	rc = db_meta_put_txn(db, txn, key, val);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return -EIO;
	}
	return mdb_txn_commit(txn) == 0 ? 0 : -EIO;
}

int
sg_ctl_db_counts(struct sg_ctl_db *db, uint64_t counts[4])
{
	MDB_txn *txn;
	MDB_stat st;
	int i;

	if (mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn) != 0)
		return -EIO;
	for (i = 0; i < 4; i++)
		counts[i] = mdb_stat(txn, db->dbi[i], &st) == 0 ? st.ms_entries : 0;
	mdb_txn_abort(txn);
	return 0;
}

static int
db_get_row(struct sg_ctl_db *db, MDB_txn *txn, int dbi, uint64_t id, void *row, size_t len)
{
	uint64_t kb;
	MDB_val k, v;
	int rc;

	db_key(&k, &kb, id);
	rc = mdb_get(txn, db->dbi[dbi], &k, &v);
	if (rc != 0)
		return rc;
	if (v.mv_size != len || ((const uint8_t *)v.mv_data)[0] != DB_ROW_VERSION)
		return MDB_INCOMPATIBLE;
	memcpy(row, v.mv_data, len);
	return 0;
}

int
sg_ctl_db_load(struct sg_ctl_db *db)
{
	struct db_streaming s;
	struct db_controlling k;
	struct db_user u;
	struct db_relation r;
	struct sg_ctl_cs saved;
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val kv, vv;
	int rc, n = 0, bad = 0;

	if (sg_ctl_db_meta_get(db, "next_id", db->next_id) < 0)
		*db->next_id = 1;
	rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0)
		return -EIO;
	rc = mdb_cursor_open(txn, db->dbi[DBI_RELATION], &cur);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return -EIO;
	}
	while (mdb_cursor_get(cur, &kv, &vv, n + bad == 0 ? MDB_FIRST : MDB_NEXT) == 0) {
		if (kv.mv_size != 8 || vv.mv_size != sizeof(r)) {
			bad++;
			continue;
		}
		memcpy(&r, vv.mv_data, sizeof(r));
		memset(&saved, 0, sizeof(saved));
		saved.service_session_id = be64toh(*(const uint64_t *)kv.mv_data);
		if (db_get_row(db, txn, DBI_STREAMING, r.session_id, &s, sizeof(s)) != 0 ||
		    db_get_row(db, txn, DBI_CONTROLLING, r.ctl_id, &k, sizeof(k)) != 0 ||
		    db_get_row(db, txn, DBI_USER, r.user_session_id, &u, sizeof(u)) != 0 ||
		    k.key_len > SG_MSG_KEY_MAX || k.n_providers > SG_CTL_PROVIDERS_MAX ||
		    k.state >= SG_CTL_CS_STATE_MAX) {
			bad++;
			continue;
		}
		saved.session_id = r.session_id;
		saved.ctl_id = r.ctl_id;
		saved.user_session_id = r.user_session_id;
		saved.user_id = u.user_id;
		saved.worker = s.worker;
		saved.flow = s.flow;
		saved.state = k.state;
		saved.reason = k.reason;
		saved.created_ms = k.created_ms;
		saved.key_type = k.key_type;
		saved.key_len = k.key_len;
		memcpy(saved.key, k.key, k.key_len);
		saved.n_providers = k.n_providers;
		memcpy(saved.providers, k.providers, sizeof(saved.providers));
		memcpy(saved.user, u.user, sizeof(saved.user));
		saved.user[sizeof(saved.user) - 1] = '\0';
		k.app[sizeof(k.app) - 1] = '\0';
		u.vm[sizeof(u.vm) - 1] = '\0';
		if (db->restore(db->restore_ctx, &saved, k.app, u.vm) == 0)
			n++;
		else
			bad++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (bad > 0)
		syslog(LOG_WARNING, "sessiondb: %d stored sessions could not be restored", bad);
	syslog(LOG_INFO, "sessiondb: %d sessions restored", n);
	return n;
}
