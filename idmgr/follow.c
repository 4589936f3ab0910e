/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The follower: keeps a local identity store a copy of etcd's identity keys
 * on a libevent loop (sg-control's, or sgid follow's). It starts from the
 * revision kept in the store (a full read first when there is none), then
 * applies each watched put and delete in revision order and keeps the
 * revision applied last (written at most every FLUSH_MS, and at stop: one
 * more LMDB commit per burst, not per key); etcd compacting past it means a
 * full read again. Applying is idempotent, so what came after the kept
 * revision is applied again at a restart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sessiongate/sg_cluster_keys.h>

#include "apply.h"
#include "resync.h"
#include "sg_etcd.h"
#include "sg_idmgr_cluster.h"
#include "store.h"

#define FLUSH_MS 50

struct sg_id_follower {
	struct sg_id_store *s;
	struct event *flush; /**< keeps st.revision in the store */
	int64_t kept;	     /**< the revision the store holds */
	struct sg_etcd *etcd;
	struct sg_etcd_watch *w;
	char prefix[201];
	char root[SG_ID_CK_KEY_MAX];
	int64_t floor; /**< after a resync: events at or below it are in the store already */
	struct sg_id_follow_stats st;
};

static void
on_kv(const struct sg_etcd_kv *kv, void *arg)
{
	struct sg_id_follower *f = arg;

	if (kv->mod_rev <= f->floor) {
		f->st.skipped++;
		return;
	}
	sg_id_apply_kv(f->s, f->prefix, kv, &f->st, NULL);
	if (kv->mod_rev > f->st.revision) {
		struct timeval tv = {0, FLUSH_MS * 1000};

		f->st.revision = kv->mod_rev;
		if (!evtimer_pending(f->flush, NULL))
			evtimer_add(f->flush, &tv);
	}
}

static void
flush_rev(struct sg_id_follower *f)
{
	if (f->st.revision != f->kept && sg_id_rev_put(f->s, f->prefix, f->st.revision) == 0)
		f->kept = f->st.revision;
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush_rev(arg);
}

/* etcd compacted past our revision: read everything again. */
static void
on_resync(void *arg)
{
	struct sg_id_follower *f = arg;
	char err[256];
	int64_t rev = 0;

	if (sg_id_resync(f->s, f->etcd, f->prefix, &f->st, &rev, err, sizeof(err)) < 0) {
		sg_id_log("follower: resync failed: %s (the watch replays from the compaction)",
			  err);
		return;
	}
	f->floor = rev;
	f->kept = rev;
	sg_id_log("follower: etcd compacted past our revision; read %s again at revision %lld",
		  f->root, (long long)rev);
}

struct sg_id_follower *
sg_id_follow_start(struct sg_id_store *s, struct sg_etcd *etcd, struct event_base *base,
		   const char *prefix, char *err, size_t errlen)
{
	struct sg_id_follower *f;
	int64_t rev = 0;
	int rc;

	if (s == NULL || etcd == NULL || base == NULL || prefix == NULL || prefix[0] == '\0' ||
	    strlen(prefix) >= sizeof(f->prefix)) {
		snprintf(err, errlen, "follower: a store, an etcd client, a loop and a prefix");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "follower: out of memory");
		return NULL;
	}
	f->s = s;
	f->etcd = etcd;
	snprintf(f->prefix, sizeof(f->prefix), "%s", prefix);
	snprintf(f->root, sizeof(f->root), "%s/" SG_CK_ID, prefix);
	rc = sg_id_rev_get(s, prefix, &rev);
	if (rc == 0 && rev == 0)
		rc = sg_id_resync(s, etcd, prefix, &f->st, &rev, err, errlen);
	else if (rc < 0)
		snprintf(err, errlen, "store: %s", sg_id_store_errmsg(s));
	else
		f->st.revision = rev; /* resume: the last revision is applied again */
	f->kept = rev;
	f->flush = evtimer_new(base, on_flush, f);
	if (rc == 0 && f->flush == NULL) {
		snprintf(err, errlen, "follower: out of memory");
		rc = -ENOMEM;
	}
	if (rc == 0) {
		f->w = sg_etcd_watch_start(etcd, base, f->root, f->st.resyncs ? rev + 1 : rev,
					   on_kv, on_resync, f);
		if (f->w == NULL)
			snprintf(err, errlen, "follower: %s", sg_etcd_error(etcd));
	}
	if (rc < 0 || f->w == NULL) {
		if (f->flush != NULL)
			event_free(f->flush);
		free(f);
		return NULL;
	}
	return f;
}

void
sg_id_follow_stop(struct sg_id_follower *f)
{
	if (f == NULL)
		return;
	sg_etcd_watch_stop(f->w);
	flush_rev(f);
	event_free(f->flush);
	free(f);
}

void
sg_id_follow_stats(const struct sg_id_follower *f, struct sg_id_follow_stats *st)
{
	*st = f->st;
}

int
sg_id_follow_once(struct sg_id_store *s, struct sg_etcd *etcd, const char *prefix,
		  struct sg_id_follow_stats *st, char *err, size_t errlen)
{
	struct sg_id_follow_stats local = {0};
	int64_t rev = 0;

	return sg_id_resync(s, etcd, prefix, st != NULL ? st : &local, &rev, err, errlen);
}
