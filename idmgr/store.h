/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal: the LMDB environment behind the identity manager (named
 * databases, the store handle, the transaction runners, error recording)
 * and the big-endian key codec every database uses. Not installed.
 */
#ifndef SG_ID_STORE_H
#define SG_ID_STORE_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>

#include <lmdb.h>

#include "sg_idmgr.h"

#define SG_ID_FORMAT_VERSION 1u

/* Named databases. Keys holding IDs are 8-byte big-endian so that an
 * ordered scan walks IDs in (type, serial) order. */
enum {
	DB_OBJECTS,   /* id -> struct sg_id_obj_rec + name */
	DB_NAMES,     /* ns(1) type(1) name -> id */
	DB_ATTRS,     /* id + key -> value */
	DB_CHILDREN,  /* parent -> child (DUPSORT, DUPFIXED) */
	DB_EDGES_OUT, /* from -> rel(1) to(8) (DUPSORT, DUPFIXED) */
	DB_EDGES_IN,  /* to -> rel(1) from(8) (DUPSORT, DUPFIXED) */
	DB_TEMP,      /* id -> struct temp_rec (temp.c) */
	DB_TEMP_EXP,  /* expires(8) id(8) -> "" */
	DB_COUNTERS,  /* type(1) -> next serial (u64) */
	DB_META,      /* "format" -> u32 */
	DB_COUNT,
};

/* Internal error codes, never returned to callers. */
#define SG_EMAPFULL (-100001)

struct sg_id_store {
	MDB_env *env;
	MDB_dbi db[DB_COUNT];
	MDB_txn *rtxn; /* cached read txn, reset between calls (MDB_NOTLS) */
	unsigned int flags;
	size_t map_max;
	uint64_t fork_gen;
	uint64_t grows;
	uint64_t adopts;
	uint64_t readers_cleared;
	dev_t dev;
	ino_t ino;
	struct sg_id_store *next;
	char errmsg[320];
	/* sg_id_store_generation(): what this handle's quiet writes left unmoved */
	uint64_t quiet_last; /* txn ID of this handle's last quiet write */
	uint64_t gen_ext;    /* the generation reported while only quiet writes followed */
};

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/** Record a printf-style message for sg_id_store_errmsg() (cut to fit). */
void sg_id_store_setmsg(struct sg_id_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Prefix the recorded message with a printf-style context ("entry 3: ..."),
 * used by the batch calls to name the entry that failed.
 */
void sg_id_store_prefixmsg(struct sg_id_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Map a non-zero LMDB or errno code to a negative errno, recording a message.
 * @return always negative: -ENOENT, -EEXIST, -EUSERS, -E2BIG, -EIO, -errno,
 *         or SG_EMAPFULL (internal, retried by sg_id_store_write()).
 */
int sg_id_store_mdb_fail(struct sg_id_store *s, int mdb_rc, const char *what);

/*
 * Record a message for sg_id_store_errmsg() and yield @rc unchanged. A macro
 * (not a function in store.c) so that every caller, and static analysis, sees
 * that the code passed in is the code that comes back.
 */
#define sg_id_store_seterr(s, rc, ...) (sg_id_store_setmsg((s), __VA_ARGS__), (rc))

/*
 * Map an LMDB return code to 0 or a negative errno (recording a message).
 * 0 stays 0; anything else is guaranteed to come back negative, so callers
 * may rely on "rc < 0" after a failed LMDB call.
 */
static inline int
sg_id_store_mdb_err(struct sg_id_store *s, int mdb_rc, const char *what)
{
	int rc;

	if (mdb_rc == 0)
		return 0;
	rc = sg_id_store_mdb_fail(s, mdb_rc, what);
	return rc < 0 ? rc : -EIO;
}

/**
 * Check a handle before a call: clears the message, refuses use after fork()
 * and writes to a read-only store.
 * @return 0, -EINVAL (no store), -ECHILD (after fork), -EROFS (read-only).
 */
int sg_id_store_check(struct sg_id_store *s, int write);

/**
 * Run @fn in a write transaction and commit it; on MDB_MAP_FULL grow the map
 * (up to map_max) and run @fn again from the start.
 * @return 0, what @fn returned, -ENOSPC (map ceiling), -EIO, or an LMDB error.
 */
int sg_id_store_write(struct sg_id_store *s, int (*fn)(struct sg_id_store *, MDB_txn *, void *),
		      void *arg);
/**
 * sg_id_store_write() of a write that changes no object, edge or attribute
 * (temporary IDs, serial leases): sg_id_store_generation() does not move
 * for it, so readers keep what they cached.
 */
int sg_id_store_write_quiet(struct sg_id_store *s,
			    int (*fn)(struct sg_id_store *, MDB_txn *, void *), void *arg);

/**
 * Begin (renew) the cached read transaction; end it with sg_id_store_read_end().
 * @return 0, -EUSERS (reader slots full), -EIO.
 */
int sg_id_store_read_begin(struct sg_id_store *s, MDB_txn **txn);

/** Reset the cached read transaction begun by sg_id_store_read_begin(). */
void sg_id_store_read_end(struct sg_id_store *s);

/**
 * Whether database @db holds the 8-byte big-endian key @id.
 * @return 1, 0, or a negative errno (message names @what).
 */
int sg_id_store_has(struct sg_id_store *s, MDB_txn *txn, int db, uint64_t id, const char *what);

/**
 * End a scan of a read transaction: close @c, end the read, and return the
 * callback's non-zero @ret, else 0 when the cursor ran out (@rc 0 or
 * MDB_NOTFOUND), else @rc mapped (message names @what).
 */
int sg_id_store_scan_end(struct sg_id_store *s, MDB_cursor *c, int rc, int ret, const char *what);

/** Wall-clock time in nanoseconds (creation times, session expiry). */
uint64_t sg_id_store_now_ns(void);

/** One line "sgid: ..." on stderr, for events with no caller to tell. */
void sg_id_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
