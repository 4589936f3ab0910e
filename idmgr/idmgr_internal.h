/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal state of the identity manager store; not installed. */
#ifndef SG_IDMGR_INTERNAL_H
#define SG_IDMGR_INTERNAL_H

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
	DB_OBJECTS,   /* id -> struct obj_rec + name */
	DB_NAMES,     /* ns(1) type(1) name -> id */
	DB_ATTRS,     /* id + key -> value */
	DB_CHILDREN,  /* parent -> child (DUPSORT, DUPFIXED) */
	DB_EDGES_OUT, /* from -> rel(1) to(8) (DUPSORT, DUPFIXED) */
	DB_EDGES_IN,  /* to -> rel(1) from(8) (DUPSORT, DUPFIXED) */
	DB_TEMP,      /* id -> struct temp_rec */
	DB_TEMP_EXP,  /* expires(8) id(8) -> "" */
	DB_COUNTERS,  /* type(1) -> next serial (u64) */
	DB_META,      /* "format" -> u32 */
	DB_COUNT,
};

/* Internal error codes, never returned to callers. */
#define SG_EMAPFULL (-100001)

/* On-disk object record (native endian: the store is local to one host). */
struct obj_rec {
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

struct temp_rec {
	uint64_t owner;
	uint64_t expires_ns;
};

#define EDGE_VAL_LEN 9

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

void store_setmsg(struct sg_id_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int store_mdb_fail(struct sg_id_store *s, int mdb_rc, const char *what);

/*
 * Record a message for sg_id_store_errmsg() and yield @rc unchanged. A macro
 * (not a function in store.c) so that every caller, and static analysis, sees
 * that the code passed in is the code that comes back.
 */
#define store_seterr(s, rc, ...) (store_setmsg((s), __VA_ARGS__), (rc))

/*
 * Map an LMDB return code to 0 or a negative errno (recording a message).
 * 0 stays 0; anything else is guaranteed to come back negative, so callers
 * may rely on "rc < 0" after a failed LMDB call.
 */
static inline int
store_mdb_err(struct sg_id_store *s, int mdb_rc, const char *what)
{
	int rc;

	if (mdb_rc == 0)
		return 0;
	rc = store_mdb_fail(s, mdb_rc, what);
	return rc < 0 ? rc : -EIO;
}
int store_check(struct sg_id_store *s, int write);
int store_write(struct sg_id_store *s, int (*fn)(struct sg_id_store *, MDB_txn *, void *),
		void *arg);
int store_read_begin(struct sg_id_store *s, MDB_txn **txn);
void store_read_end(struct sg_id_store *s);
uint64_t store_now_ns(void);
void sg_id_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* registry.c helpers shared with resolve.c */
int obj_read(struct sg_id_store *s, MDB_txn *txn, uint64_t id, struct sg_id_object *o);
int obj_exists(struct sg_id_store *s, MDB_txn *txn, uint64_t id);
int obj_write_parent_ref(struct sg_id_store *s, MDB_txn *txn, uint64_t id, uint64_t parent,
			 uint64_t ref);
int edge_put(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel, uint64_t to);
int edge_del(struct sg_id_store *s, MDB_txn *txn, uint64_t from, unsigned int rel, uint64_t to);

#endif
