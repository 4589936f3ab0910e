/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cluster mode: each session's sessions/<sid> key in etcd, beside its rows
 * in this node's LMDB (the local store).
 *
 *  - before a SESSION_NEW is placed, the key is created (create-if-absent,
 *    no lease: it outlives its node, so a peer that inherits the flow can
 *    end it): a second create is refused and counted, so no session is
 *    brokered twice; without a lease (etcd unreachable) a session is
 *    refused with a retry-after rather than placed unrecorded;
 *  - once installed it is written again naming its application and VM;
 *  - when it ends (its rows deleted) the key is deleted; a SESSION_CLOSED
 *    for a session this node does not know (a peer's, handed over by the
 *    state sync after a failover) deletes the peer's key.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "cluster.h"
#include "cs.h"
#include "sessiongate/sg_cluster_keys.h"
#include "sg_etcd.h"

static int
sess_key(const struct sg_ctl_cluster *cl, char *key, size_t len, uint64_t sid)
{
	return sg_ctl_cluster_key(cl, key, len, SG_CK_SESSIONS SG_CK_ID_FMT, sid);
}

/* @p key names this node: its claim before sg-control was killed and its DB lost it. */
static bool
own_key(struct sg_ctl_cluster *cl, const char *key)
{
	char *val = NULL;
	size_t len = 0;
	json_t *o = NULL;
	bool mine = false;

	if (sg_ctl_cluster_etcd_rc(cl, sg_etcd_get(cl->etcd, key, &val, &len, NULL),
				   "get session") == 0)
		o = json_loadb(val, len, JSON_REJECT_DUPLICATES, NULL);
	mine = json_is_string(json_object_get(o, "node")) &&
	       strcmp(json_string_value(json_object_get(o, "node")), cl->d.cfg->cluster.node) == 0;
	json_decref(o);
	free(val);
	return mine;
}

int
sg_ctl_cluster_claim(void *arg, uint64_t sid, uint16_t worker)
{
	struct sg_ctl_cluster *cl = arg;
	char key[SG_ETCD_KEY_MAX], val[160];
	int rc, n;

	if (cl->lease == 0 || !cl->reachable) { /* no lease, or etcd away: not now */
		cl->d.st->sessions_refused_etcd++;
		return -ENOTCONN;
	}
	n = snprintf(val, sizeof(val), "{\"node\":\"%s\",\"state\":\"new\",\"worker\":%u}",
		     cl->d.cfg->cluster.node, worker);
	if (sess_key(cl, key, sizeof(key), sid) < 0)
		return -ENAMETOOLONG;
	rc = sg_ctl_cluster_etcd_rc(cl, sg_etcd_create(cl->etcd, key, val, (size_t)n, 0),
				    "create session");
	if (rc == -EEXIST && own_key(cl, key)) /* this node's, before a crash: still ours */
		rc = 0;
	if (rc == 0) {
		cl->d.st->sessions_claimed++;
	} else if (rc == -EEXIST) {
		cl->d.st->sessions_refused_dup++;
		syslog(LOG_WARNING, "session %#" PRIx64 ": already in etcd: not brokered twice",
		       sid);
	} else {
		cl->d.st->sessions_refused_etcd++;
	}
	return rc;
}

void
sg_ctl_cluster_committed(void *arg, struct sg_ctl_cs *cs)
{
	struct sg_ctl_cluster *cl = arg;
	char key[SG_ETCD_KEY_MAX], val[320];
	int n;

	if (cs->cl_pub == 0 || !cl->reachable || sess_key(cl, key, sizeof(key), cs->session_id) < 0)
		return; /* etcd away: the key stays (doc/control.md) */
	if (cs->doomed) {
		if (sg_ctl_cluster_etcd_rc(cl, sg_etcd_delete(cl->etcd, key), "delete session") ==
		    0) {
			cl->d.st->sessions_deleted++;
			cs->cl_pub = 0;
		}
		return;
	}
	if (cs->state != SG_CTL_CS_INSTALLED || cs->cl_pub != 1 || cs->app == NULL ||
	    cs->vm == NULL)
		return;
	n = snprintf(val, sizeof(val),
		     "{\"node\":\"%s\",\"state\":\"installed\",\"app\":\"%s\",\"vm\":\"%s\","
		     "\"worker\":%u}",
		     cl->d.cfg->cluster.node, cs->app->cfg->name, cs->vm->cfg->name, cs->worker);
	if (sg_ctl_cluster_etcd_rc(cl, sg_etcd_put(cl->etcd, key, val, (size_t)n, 0),
				   "put session") == 0)
		cs->cl_pub = 2;
}

void
sg_ctl_cluster_foreign_closed(void *arg, uint64_t sid)
{
	struct sg_ctl_cluster *cl = arg;
	char key[SG_ETCD_KEY_MAX], *val = NULL;
	size_t len = 0;
	int rc;

	if (!cl->reachable)
		return;
	if (sess_key(cl, key, sizeof(key), sid) < 0)
		return;
	rc = sg_ctl_cluster_etcd_rc(cl, sg_etcd_get(cl->etcd, key, &val, &len, NULL),
				    "get session");
	free(val);
	if (rc < 0)
		return;
	if (sg_ctl_cluster_etcd_rc(cl, sg_etcd_delete(cl->etcd, key), "delete session") == 0) {
		cl->d.st->sessions_foreign_closed++;
		syslog(LOG_INFO, "session %#" PRIx64 ": closed here for another node: key deleted",
		       sid);
	}
}
