/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The LMDB environment behind the identity manager: open/close, the guard
 * against opening one environment twice or using it after fork(), the
 * write-transaction runner that grows the map on MDB_MAP_FULL and retries,
 * and the cached read transaction.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define MAP_DEFAULT	(UINT64_C(64) << 20)
#define MAP_MAX_DEFAULT (UINT64_C(64) << 30)
#define READERS_DEFAULT 256
#define WRITE_TRIES_MAX 64

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sg_id_store *open_list;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static volatile uint64_t fork_gen;

static const char *const db_names[DB_COUNT] = {
	[DB_OBJECTS] = "objects",   [DB_NAMES] = "names",	  [DB_ATTRS] = "attrs",
	[DB_CHILDREN] = "children", [DB_EDGES_OUT] = "edges_out", [DB_EDGES_IN] = "edges_in",
	[DB_TEMP] = "temp",	    [DB_TEMP_EXP] = "temp_exp",	  [DB_COUNTERS] = "counters",
	[DB_META] = "meta",
};

static const unsigned int db_flags[DB_COUNT] = {
	[DB_CHILDREN] = MDB_DUPSORT | MDB_DUPFIXED,
	[DB_EDGES_OUT] = MDB_DUPSORT | MDB_DUPFIXED,
	[DB_EDGES_IN] = MDB_DUPSORT | MDB_DUPFIXED,
};

void
sg_id_log(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap); /* a long message is cut, not lost */
	va_end(ap);
	/* one write, so lines of processes sharing stderr do not interleave; a
	 * failed write to stderr has nowhere to be reported */
	(void)fprintf(stderr, "sgid: %s\n", msg);
}

static void
on_fork_child(void)
{
	fork_gen++;
}

static void
fork_init(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

uint64_t
sg_id_store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
sg_id_store_setmsg(struct sg_id_store *s, const char *fmt, ...)
{
	va_list ap;

	if (s == NULL)
		return;
	va_start(ap, fmt);
	/* a message longer than errmsg is cut short on purpose: it stays readable */
	(void)vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
}

void
sg_id_store_prefixmsg(struct sg_id_store *s, const char *fmt, ...)
{
	char prev[sizeof(s->errmsg)], pre[64];
	va_list ap;

	if (s == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(prev, s->errmsg, sizeof(prev));
	sg_id_store_setmsg(s, "%s%s", pre, prev);
}

/* @rc is a non-zero LMDB or errno code; the result is always negative. */
int
sg_id_store_mdb_fail(struct sg_id_store *s, int rc, const char *what)
{
	switch (rc) {
	case 0:
		return sg_id_store_seterr(s, -EIO, "%s: internal error: no LMDB error to report",
					  what);
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
		return SG_EMAPFULL;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_READERS_FULL:
		return sg_id_store_seterr(
			s, -EUSERS, "%s: all LMDB reader slots in use (raise max_readers)", what);
	case MDB_TXN_FULL:
		return sg_id_store_seterr(s, -E2BIG,
					  "%s: transaction too large (use smaller batches)", what);
	}
	if (rc > 0)
		return sg_id_store_seterr(s, -rc, "%s: %s", what, strerror(rc));
	/* corruption, version mismatch, panic, internal limits */
	sg_id_log("%s: LMDB error %d: %s", what, rc, mdb_strerror(rc));
	return sg_id_store_seterr(s, -EIO,
				  "%s: LMDB error: %s (store may be damaged: restore from export)",
				  what, mdb_strerror(rc));
}

int
sg_id_store_check(struct sg_id_store *s, int write)
{
	if (s == NULL)
		return -EINVAL;
	s->errmsg[0] = '\0';
	if (s->fork_gen != fork_gen)
		return sg_id_store_seterr(
			s, -ECHILD, "store handle used after fork(): open a new one in the child");
	if (write && (s->flags & SG_ID_OPEN_RDONLY))
		return sg_id_store_seterr(s, -EROFS, "store opened read-only");
	return 0;
}

static void
rtxn_drop(struct sg_id_store *s)
{
	if (s->rtxn != NULL) {
		mdb_txn_abort(s->rtxn);
		s->rtxn = NULL;
	}
}

static int
map_adopt(struct sg_id_store *s)
{
	int rc;

	rtxn_drop(s);
	rc = mdb_env_set_mapsize(s->env, 0);
	if (rc)
		return sg_id_store_mdb_err(s, rc, "adopt map size");
	s->adopts++;
	return 0;
}

static int
map_grow(struct sg_id_store *s)
{
	MDB_envinfo info;
	size_t next;
	int rc;

	rc = mdb_env_info(s->env, &info);
	if (rc)
		return sg_id_store_mdb_err(s, rc, "map info");
	if (info.me_mapsize >= s->map_max)
		return sg_id_store_seterr(
			s, -ENOSPC,
			"identity store full at its map ceiling of %zu bytes (raise map_max)",
			s->map_max);
	next = info.me_mapsize * 2;
	if (next > s->map_max)
		next = s->map_max;
	rtxn_drop(s); /* no transaction may be active in this process */
	rc = mdb_env_set_mapsize(s->env, next);
	if (rc)
		return sg_id_store_mdb_err(s, rc, "grow map");
	s->grows++;
	return 0;
}

static uint64_t
last_txnid(struct sg_id_store *s)
{
	MDB_envinfo info;

	return mdb_env_info(s->env, &info) == 0 ? (uint64_t)info.me_last_txnid : 0;
}

/*
 * Quiet write @p t committed: the generation stays what it was reported,
 * unless a write it did not report came just before (then that one's ID,
 * newer than any reported, is the generation).
 */
static void
quiet_committed(struct sg_id_store *s, uint64_t t)
{
	if (last_txnid(s) != t)
		return; /* another write came after it already: that one is reported */
	if (t - 1 != s->quiet_last && t - 1 != s->gen_ext)
		s->gen_ext = t - 1;
	s->quiet_last = t;
}

static int
store_write(struct sg_id_store *s, int (*fn)(struct sg_id_store *, MDB_txn *, void *), void *arg,
	    bool quiet)
{
	MDB_txn *txn;
	uint64_t t;
	int rc;

	for (int tries = 0; tries < WRITE_TRIES_MAX; tries++) {
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			rc = map_adopt(s);
			if (rc < 0)
				return rc;
			continue;
		}
		if (rc)
			return sg_id_store_mdb_err(s, rc, "begin write transaction");
		rc = fn(s, txn, arg);
		if (rc == 0) {
			t = (uint64_t)mdb_txn_id(txn);
			rc = mdb_txn_commit(txn);
			if (rc == 0) {
				if (quiet)
					quiet_committed(s, t);
				return 0;
			}
			rc = sg_id_store_mdb_err(s, rc, "commit");
		} else {
			mdb_txn_abort(txn);
		}
		if (rc != SG_EMAPFULL)
			return rc;
		s->errmsg[0] = '\0';
		rc = map_grow(s);
		if (rc < 0)
			return rc;
	}
	return sg_id_store_seterr(s, -EIO, "write did not fit after %d map growths",
				  WRITE_TRIES_MAX);
}

int
sg_id_store_write(struct sg_id_store *s, int (*fn)(struct sg_id_store *, MDB_txn *, void *),
		  void *arg)
{
	return store_write(s, fn, arg, false);
}

int
sg_id_store_write_quiet(struct sg_id_store *s, int (*fn)(struct sg_id_store *, MDB_txn *, void *),
			void *arg)
{
	return store_write(s, fn, arg, true);
}

int
sg_id_store_read_begin(struct sg_id_store *s, MDB_txn **txn)
{
	int rc;

	for (int tries = 0; tries < 4; tries++) {
		if (s->rtxn != NULL) {
			rc = mdb_txn_renew(s->rtxn);
			if (rc)
				rtxn_drop(s);
		} else {
			MDB_txn *t = NULL;

			rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &t);
			if (rc == 0)
				s->rtxn = t;
		}
		if (rc == 0) {
			*txn = s->rtxn;
			return 0;
		}
		if (rc == MDB_READERS_FULL && tries == 0) {
			int dead = 0;

			/* slots of killed readers may be what fills the table */
			mdb_reader_check(s->env, &dead);
			s->readers_cleared += (uint64_t)dead;
			if (dead > 0)
				continue;
		}
		if (rc != MDB_MAP_RESIZED)
			return sg_id_store_mdb_err(s, rc, "begin read transaction");
		rc = map_adopt(s);
		if (rc < 0)
			return rc;
	}
	return sg_id_store_seterr(s, -EIO, "map kept changing size while starting a read");
}

void
sg_id_store_read_end(struct sg_id_store *s)
{
	if (s->rtxn != NULL)
		mdb_txn_reset(s->rtxn);
}

int
sg_id_store_has(struct sg_id_store *s, MDB_txn *txn, int db, uint64_t id, const char *what)
{
	uint8_t kb[8];
	MDB_val k = {8, kb}, v;
	int rc;

	put_be64(kb, id);
	rc = mdb_get(txn, s->db[db], &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	return rc ? sg_id_store_mdb_err(s, rc, what) : 1;
}

int
sg_id_store_scan_end(struct sg_id_store *s, MDB_cursor *c, int rc, int ret, const char *what)
{
	mdb_cursor_close(c);
	sg_id_store_read_end(s);
	if (ret != 0)
		return ret;
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : sg_id_store_mdb_err(s, rc, what);
}

static int
open_dbis(struct sg_id_store *s)
{
	int rdonly = (s->flags & SG_ID_OPEN_RDONLY) != 0;
	MDB_txn *txn;
	MDB_val k = {6, (void *)"format"}, v;
	uint32_t fmt = SG_ID_FORMAT_VERSION;
	int rc;

	for (int tries = 0; tries < 4; tries++) {
		rc = mdb_txn_begin(s->env, NULL, rdonly ? MDB_RDONLY : 0, &txn);
		if (rc != MDB_MAP_RESIZED)
			break;
		mdb_env_set_mapsize(s->env, 0);
	}
	if (rc)
		return sg_id_store_mdb_err(s, rc, "open transaction");
	for (int i = 0; i < DB_COUNT; i++) {
		rc = mdb_dbi_open(txn, db_names[i], db_flags[i] | (rdonly ? 0 : MDB_CREATE),
				  &s->db[i]);
		if (rc == MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			return sg_id_store_seterr(
				s, -ENOENT,
				"store not initialised (database '%s' missing): open it read-write once",
				db_names[i]);
		}
		if (rc) {
			mdb_txn_abort(txn);
			return sg_id_store_mdb_err(s, rc, "open database");
		}
	}
	rc = mdb_get(txn, s->db[DB_META], &k, &v);
	if (rc == MDB_NOTFOUND && !rdonly) {
		v.mv_size = sizeof(fmt);
		v.mv_data = &fmt;
		rc = mdb_put(txn, s->db[DB_META], &k, &v, 0);
	} else if (rc == 0) {
		if (v.mv_size != sizeof(fmt) || memcmp(v.mv_data, &fmt, sizeof(fmt)) != 0) {
			mdb_txn_abort(txn);
			return sg_id_store_seterr(
				s, -EPROTO,
				"store format version differs from %u: export with the matching sgid and import",
				SG_ID_FORMAT_VERSION);
		}
	}
	if (rc) {
		mdb_txn_abort(txn);
		return sg_id_store_mdb_err(s, rc == MDB_NOTFOUND ? EIO : rc, "read format");
	}
	rc = mdb_txn_commit(txn);
	return rc ? sg_id_store_mdb_err(s, rc, "commit open") : 0;
}

int
sg_id_store_open(const char *dir, const struct sg_id_open_opts *opts, struct sg_id_store **out)
{
	struct sg_id_open_opts o = {0};
	struct sg_id_store *s, *it;
	unsigned int eflags = MDB_NOTLS;
	MDB_envinfo info;
	struct stat st;
	size_t want;
	int dead = 0, rc;

	if (dir == NULL || out == NULL)
		return -EINVAL;
	*out = NULL;
	if (opts != NULL)
		o = *opts;
	if (o.flags & ~(SG_ID_OPEN_RDONLY | SG_ID_OPEN_NOSYNC | SG_ID_OPEN_NOMETASYNC))
		return -EINVAL;
	pthread_once(&fork_once, fork_init);
	if (!(o.flags & SG_ID_OPEN_RDONLY) && mkdir(dir, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
		sg_id_log("cannot create store directory %s: %s", dir, strerror(errno));
		return rc;
	}
	if (stat(dir, &st) < 0) {
		rc = -errno;
		sg_id_log("store directory %s: %s", dir, strerror(errno));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		sg_id_log("store path %s is not a directory", dir);
		return -ENOTDIR;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->flags = o.flags;
	s->map_max = o.map_max ? o.map_max : MAP_MAX_DEFAULT;
	s->dev = st.st_dev;
	s->ino = st.st_ino;

	pthread_mutex_lock(&open_lock);
	s->fork_gen = fork_gen;
	for (it = open_list; it != NULL; it = it->next) {
		if (it->fork_gen == fork_gen && it->dev == s->dev && it->ino == s->ino) {
			pthread_mutex_unlock(&open_lock);
			free(s);
			sg_id_log("store %s is already open in this process", dir);
			return -EBUSY;
		}
	}
	s->next = open_list;
	open_list = s;
	pthread_mutex_unlock(&open_lock);

	rc = mdb_env_create(&s->env);
	if (rc) {
		rc = -ENOMEM;
		goto fail;
	}
	mdb_env_set_maxdbs(s->env, DB_COUNT + 2);
	mdb_env_set_maxreaders(s->env, o.max_readers ? o.max_readers : READERS_DEFAULT);
	if (o.flags & SG_ID_OPEN_RDONLY)
		eflags |= MDB_RDONLY;
	if (o.flags & SG_ID_OPEN_NOSYNC)
		eflags |= MDB_NOSYNC;
	if (o.flags & SG_ID_OPEN_NOMETASYNC)
		eflags |= MDB_NOMETASYNC;
	/* An explicit size applies (LMDB keeps at least the data in use); else an
	 * existing store keeps its size and a new one starts at the default. */
	mdb_env_set_mapsize(s->env, o.map_size);
	rc = mdb_env_open(s->env, dir, eflags, 0640);
	if (rc) {
		if (rc == ENOENT)
			sg_id_log("store %s does not exist (open it read-write once)", dir);
		else if (rc == EACCES)
			sg_id_log("store %s: permission denied", dir);
		else
			sg_id_log("cannot open store %s: %s", dir, mdb_strerror(rc));
		rc = rc > 0 ? -rc : -EIO;
		goto fail;
	}
	/* A killed reader leaves a stale slot that pins old pages: clear them. */
	mdb_reader_check(s->env, &dead);
	s->readers_cleared = (uint64_t)dead;
	if (dead > 0)
		sg_id_log("store %s: cleared %d stale reader slot(s) of dead processes", dir, dead);
	want = MAP_DEFAULT < s->map_max ? MAP_DEFAULT : s->map_max;
	if (o.map_size == 0 && mdb_env_info(s->env, &info) == 0 && info.me_mapsize < want)
		mdb_env_set_mapsize(s->env, want);
	rc = open_dbis(s);
	if (rc < 0) {
		sg_id_log("store %s: %s", dir, s->errmsg);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sg_id_store_close(s);
	return rc;
}

void
sg_id_store_close(struct sg_id_store *s)
{
	struct sg_id_store **pp;

	if (s == NULL)
		return;
	pthread_mutex_lock(&open_lock);
	for (pp = &open_list; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&open_lock);
	/* In a forked child the environment belongs to the parent: touch nothing. */
	if (s->fork_gen == fork_gen && s->env != NULL) {
		rtxn_drop(s);
		mdb_env_close(s->env);
	}
	free(s);
}

const char *
sg_id_store_errmsg(const struct sg_id_store *s)
{
	return s ? s->errmsg : "";
}

uint64_t
sg_id_store_generation(struct sg_id_store *s)
{
	uint64_t g;

	if (s == NULL || s->env == NULL)
		return 0;
	g = last_txnid(s);
	if (g != 0 && g == s->quiet_last)
		return s->gen_ext; /* only this handle's quiet writes since */
	s->gen_ext = g;
	return g;
}

int
sg_id_store_sync(struct sg_id_store *s)
{
	int rc = sg_id_store_check(s, 1);

	if (rc < 0)
		return rc;
	rc = mdb_env_sync(s->env, 1);
	return rc ? sg_id_store_mdb_err(s, rc, "sync") : 0;
}

int
sg_id_store_stats(struct sg_id_store *s, struct sg_id_stats *st)
{
	MDB_envinfo info;
	MDB_stat ms;
	MDB_txn *txn;
	int rc;

	rc = sg_id_store_check(s, 0);
	if (rc < 0)
		return rc;
	if (st == NULL)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	rc = sg_id_store_read_begin(s, &txn);
	if (rc < 0)
		return rc;
	if (mdb_stat(txn, s->db[DB_OBJECTS], &ms) == 0)
		st->objects = ms.ms_entries;
	if (mdb_stat(txn, s->db[DB_TEMP], &ms) == 0)
		st->temps = ms.ms_entries;
	if (mdb_stat(txn, s->db[DB_EDGES_OUT], &ms) == 0)
		st->edges = ms.ms_entries;
	if (mdb_env_info(s->env, &info) == 0) {
		MDB_stat es;

		st->map_size = info.me_mapsize;
		if (mdb_env_stat(s->env, &es) == 0)
			st->map_used = (uint64_t)(info.me_last_pgno + 1) * es.ms_psize;
	}
	sg_id_store_read_end(s);
	st->map_grows = s->grows;
	st->map_adopts = s->adopts;
	st->readers_cleared = s->readers_cleared;
	return 0;
}

const char *
sg_id_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -ENOENT:
		return "no such object, name, attribute or edge";
	case -EEXIST:
		return "already exists";
	case -EINVAL:
		return "invalid argument";
	case -ENAMETOOLONG:
		return "name or handle too long";
	case -E2BIG:
		return "value too large or too many entries";
	case -ELOOP:
		return "move would create a cycle in the containment tree";
	case -EMLINK:
		return "containment tree too deep";
	case -ENOTEMPTY:
		return "object still contains other objects";
	case -EROFS:
		return "store opened read-only";
	case -ENOBUFS:
		return "more results than the bound allows";
	case -EOVERFLOW:
		return "serial numbers of this type exhausted";
	case -EBUSY:
		return "store already open in this process";
	case -ECHILD:
		return "store handle used after fork()";
	case -EIO:
		return "store damaged or LMDB internal error";
	case -ENOSPC:
		return "store full (map ceiling or disk)";
	case -EUSERS:
		return "too many concurrent readers";
	case -EPROTO:
		return "store format version not supported";
	case -ENOLINK:
		return "user does not subscribe to the application";
	case -ERANGE:
		return "number out of range";
	case -ENOMEM:
		return "out of memory";
	}
	return strerror(err < 0 ? -err : err);
}
