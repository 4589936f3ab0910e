/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cluster mode: this node's lease and its view of the cluster.
 *
 *   - the lease (cluster.etcd.lease_ttl_s) is granted at start and kept
 *     alive every ttl/3 from the work timer; nodes/<node> is put with it;
 *   - losing it (keepalive answers "expired", or etcd has not answered for
 *     longer than the TTL) means this node owns nothing any more: every VM
 *     becomes remote (never started, stopped or placed on until an owner's
 *     state says it runs), the session path refuses new sessions, and the
 *     lease is granted again as soon as etcd answers: then the view is read
 *     again and VMs are claimed again (cluster_vm.c);
 *   - the view (nodes/ and vms/) is read with a range and kept current by
 *     two watches from the revision after it; a compacted watch re-reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cluster.h"
#include "ids.h"
#include "sg_idmgr_cluster.h"
#include "sessiongate/sg_cluster_keys.h"
#include "sg_etcd.h"

#define NODES_LEN (sizeof(SG_CK_NODES) - 1)
#define VMS_LEN	  (sizeof(SG_CK_VMS) - 1)

/* nodes/<name>: put (live) or delete (its lease ended). */
static void
node_event(struct sg_ctl_cluster *cl, const char *name, size_t len, bool put)
{
	unsigned int i;

	if (len == 0 || len >= SG_CTL_NAME_MAX || memchr(name, '/', len) != NULL) {
		cl->d.st->watch_bad++;
		return;
	}
	for (i = 0; i < cl->n_nodes; i++)
		if (strlen(cl->nodes[i]) == len && memcmp(cl->nodes[i], name, len) == 0)
			break;
	if (put && i == cl->n_nodes && cl->n_nodes < SG_CTL_CLUSTER_NODES_MAX) {
		memcpy(cl->nodes[cl->n_nodes], name, len);
		cl->nodes[cl->n_nodes][len] = '\0';
		cl->n_nodes++;
		syslog(LOG_INFO, "cluster: node %s is up", cl->nodes[cl->n_nodes - 1]);
	} else if (!put && i < cl->n_nodes) {
		syslog(LOG_NOTICE, "cluster: node %s is gone", cl->nodes[i]);
		memmove(cl->nodes[i], cl->nodes[i + 1],
			(cl->n_nodes - i - 1) * sizeof(cl->nodes[0]));
		cl->n_nodes--;
	}
}

/* One key of a range or a watch: nodes/... or vms/... under the prefix. */
static void
on_kv(const struct sg_etcd_kv *kv, void *arg)
{
	struct sg_ctl_cluster *cl = arg;
	size_t plen = strlen(cl->d.cfg->cluster.prefix);
	const char *k = kv->key;
	size_t len = kv->key_len;

	if (kv->mod_rev > cl->rev)
		cl->rev = kv->mod_rev;
	if (len <= plen + 1 || memcmp(k, cl->d.cfg->cluster.prefix, plen) != 0 || k[plen] != '/') {
		cl->d.st->watch_bad++;
		return;
	}
	k += plen + 1;
	len -= plen + 1;
	cl->d.st->watch_events++;
	if (len > NODES_LEN && memcmp(k, SG_CK_NODES, NODES_LEN) == 0)
		node_event(cl, k + NODES_LEN, len - NODES_LEN, kv->val != NULL);
	else if (len > VMS_LEN && memcmp(k, SG_CK_VMS, VMS_LEN) == 0)
		sg_ctl_cluster_vm_event(cl, k + VMS_LEN, len - VMS_LEN, kv);
	else
		cl->d.st->watch_bad++;
}

/* A watch event: apply it, then commit what it changed. */
static void
on_watch(const struct sg_etcd_kv *kv, void *arg)
{
	struct sg_ctl_cluster *cl = arg;

	sg_ctl_clock_update(cl->d.clk);
	on_kv(kv, cl);
	cl->d.step_end(cl->d.ctx);
}

static void
on_resync(void *arg)
{
	struct sg_ctl_cluster *cl = arg;

	cl->resync = true; /* re-read from the work timer, not inside the watch's callback */
}

/* Read nodes/ and vms/ again (the watches go on from where they are). */
static int
reload_view(struct sg_ctl_cluster *cl)
{
	char key[SG_ETCD_KEY_MAX];
	int64_t rev = 0;
	long n;

	cl->n_nodes = 0;
	sg_ctl_cluster_vm_reset(cl);
	if (sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_NODES) < 0)
		return -ENAMETOOLONG;
	n = sg_etcd_range(cl->etcd, key, on_kv, cl, &rev);
	if (sg_ctl_cluster_etcd_rc(cl, n < 0 ? (int)n : 0, "range nodes/") < 0)
		return (int)n;
	if (sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_VMS) < 0)
		return -ENAMETOOLONG;
	n = sg_etcd_range(cl->etcd, key, on_kv, cl, &rev);
	if (sg_ctl_cluster_etcd_rc(cl, n < 0 ? (int)n : 0, "range vms/") < 0)
		return (int)n;
	if (rev > cl->rev)
		cl->rev = rev;
	cl->d.st->resyncs++;
	return 0;
}

static int
start_watches(struct sg_ctl_cluster *cl)
{
	char key[SG_ETCD_KEY_MAX];

	if (cl->w_nodes == NULL && sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_NODES) == 0)
		cl->w_nodes = sg_etcd_watch_start(cl->etcd, cl->d.base, key, cl->rev + 1, on_watch,
						  on_resync, cl);
	if (cl->w_vms == NULL && sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_VMS) == 0)
		cl->w_vms = sg_etcd_watch_start(cl->etcd, cl->d.base, key, cl->rev + 1, on_watch,
						on_resync, cl);
	return cl->w_nodes != NULL && cl->w_vms != NULL ? 0 : -ENOMEM;
}

/* Grant a lease, announce this node, read the view, watch it. */
static void
lease_grant(struct sg_ctl_cluster *cl)
{
	const struct sg_ctl_cluster_cfg *cc = &cl->d.cfg->cluster;
	char key[SG_ETCD_KEY_MAX], val[160];
	int64_t id = 0;
	int rc, n;

	cl->grant_try_ns = cl->d.clk->now_ns;
	rc = sg_ctl_cluster_etcd_rc(cl, sg_etcd_lease_grant(cl->etcd, cc->lease_ttl_s, &id),
				    "lease grant");
	if (rc < 0)
		return;
	n = snprintf(val, sizeof(val), "{\"node\":\"%s\",\"pid\":%d,\"started_ms\":%" PRIu64 "}",
		     cc->node, (int)getpid(), cl->started_ms);
	if (sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_NODES "%s", cc->node) < 0 ||
	    sg_ctl_cluster_etcd_rc(cl, sg_etcd_put(cl->etcd, key, val, (size_t)n, id),
				   "put nodes/") < 0 ||
	    reload_view(cl) < 0) {
		sg_etcd_lease_revoke(cl->etcd, id);
		return;
	}
	cl->lease = id;
	cl->lease_ok_ns = cl->keepalive_ns = cl->d.clk->now_ns;
	/* etcd keeps a lease across its own restart: the keys of the one given up would
	 * hold this node's VMs for another TTL */
	if (cl->lost_lease != 0 && sg_etcd_lease_revoke(cl->etcd, cl->lost_lease) == 0)
		syslog(LOG_NOTICE, "cluster: lease %" PRIx64 " given up earlier: revoked",
		       (uint64_t)cl->lost_lease);
	cl->lost_lease = 0;
	cl->d.st->lease_grants++;
	syslog(LOG_NOTICE, "cluster: node %s has lease %" PRIx64 " (ttl %u s), %u nodes up",
	       cc->node, (uint64_t)id, cc->lease_ttl_s, cl->n_nodes);
	if (start_watches(cl) < 0)
		syslog(LOG_ERR, "cluster: cannot start the watches");
}

static void
lease_lost(struct sg_ctl_cluster *cl, const char *why)
{
	syslog(LOG_WARNING, "cluster: lease %" PRIx64 " lost (%s): this node owns nothing now",
	       (uint64_t)cl->lease, why);
	cl->d.st->lease_lost++;
	cl->lost_lease = cl->lease;
	cl->lease = 0;
	sg_ctl_cluster_vm_release_all(cl, why);
}

static void
lease_tick(struct sg_ctl_cluster *cl)
{
	const struct sg_ctl_cluster_cfg *cc = &cl->d.cfg->cluster;
	uint64_t now = cl->d.clk->now_ns, ttl_ns = (uint64_t)cc->lease_ttl_s * 1000000000ull;
	int rc;

	if (cl->lease == 0) {
		if (now - cl->grant_try_ns >= 500000000ull)
			lease_grant(cl);
		return;
	}
	if (now - cl->keepalive_ns < ttl_ns / 3)
		return;
	cl->keepalive_ns = now;
	rc = sg_ctl_cluster_etcd_rc(cl, sg_etcd_lease_keepalive(cl->etcd, cl->lease),
				    "lease keepalive");
	if (rc == 0)
		cl->lease_ok_ns = now;
	else if (rc == -ENOENT)
		lease_lost(cl, "expired");
	else if (now - cl->lease_ok_ns > ttl_ns)
		lease_lost(cl, "etcd unreachable for longer than the lease TTL");
}

/* idmgr's follower on the identity store (control.idmgr_dir), retried every second. */
static void
follow_start(struct sg_ctl_cluster *cl)
{
	struct sg_id_store *s = sg_ctl_ids_store(cl->d.ids);
	char err[256];

	if (s == NULL || cl->follower != NULL ||
	    cl->d.clk->now_ns - cl->follow_try_ns < 1000000000ull)
		return;
	cl->follow_try_ns = cl->d.clk->now_ns;
	cl->follower = sg_id_follow_start(s, cl->etcd, cl->d.base, cl->d.cfg->cluster.prefix, err,
					  sizeof(err));
	if (cl->follower == NULL)
		sg_ctl_cluster_etcd_rc(cl, -EIO, "identity follower");
	else
		syslog(LOG_INFO, "cluster: the identity store follows etcd's identities");
}

static void
work_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sg_ctl_cluster *cl = arg;

	(void)fd;
	(void)what;
	sg_ctl_clock_update(cl->d.clk);
	lease_tick(cl);
	if (cl->lease != 0 && cl->resync && reload_view(cl) == 0)
		cl->resync = false;
	/* etcd not answering: only the keepalive tries (each call may wait timeout_ms) */
	if (cl->lease != 0 && cl->reachable)
		sg_ctl_cluster_vm_work(cl);
	if (cl->reachable)
		follow_start(cl);
	cl->d.step_end(cl->d.ctx);
}

int
sg_ctl_cluster_create(struct sg_ctl_cluster **out, const struct sg_ctl_cluster_deps *d, char *err,
		      size_t errlen)
{
	const struct sg_ctl_cluster_cfg *cc = &d->cfg->cluster;
	struct sg_etcd_opts o = {.n_endpoints = cc->n_endpoints, .timeout_ms = cc->timeout_ms};
	struct sg_ctl_cluster *cl;
	struct timespec ts;
	unsigned int i;

	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return -ENOMEM;
	cl->d = *d;
	cl->vms = calloc(SG_CTL_VMS_MAX + 1, sizeof(*cl->vms)); /* VMs added later too */
	for (i = 0; i < cc->n_endpoints; i++)
		o.endpoints[i] = cc->endpoints[i];
	cl->etcd = cl->vms != NULL ? sg_etcd_new(&o, err, errlen) : NULL;
	cl->work_ev = event_new(d->base, -1, EV_PERSIST, work_cb, cl);
	if (cl->vms == NULL || cl->etcd == NULL || cl->work_ev == NULL) {
		if (cl->vms == NULL || cl->work_ev == NULL)
			snprintf(err, errlen, "cluster: out of memory");
		sg_ctl_cluster_destroy(cl);
		return -ENOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	cl->started_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	cl->reachable = true;
	/* Until an owner is known, no VM is this node's (cluster_vm.c claims them). */
	for (i = 0; i < d->cfg->n_vms; i++) {
		if (SG_CTL_SLOT_FREE(&d->cfg->vms[i]))
			continue;
		d->inv->vms[i].remote = true;
		cl->vms[i].orphan_since_ns = d->clk->now_ns;
	}
	*out = cl;
	return 0;
}

void
sg_ctl_cluster_start(struct sg_ctl_cluster *cl)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = SG_CTL_CLUSTER_WORK_MS * 1000};

	sg_ctl_clock_update(cl->d.clk);
	lease_grant(cl);
	if (cl->lease != 0)
		sg_ctl_cluster_vm_work(cl);
	cl->follow_try_ns = cl->d.clk->now_ns - 1000000000ull;
	follow_start(cl);
	evtimer_add(cl->work_ev, &tv);
}

void
sg_ctl_cluster_destroy(struct sg_ctl_cluster *cl)
{
	if (cl == NULL)
		return;
	if (cl->w_nodes != NULL)
		sg_etcd_watch_stop(cl->w_nodes);
	if (cl->w_vms != NULL)
		sg_etcd_watch_stop(cl->w_vms);
	sg_id_follow_stop(cl->follower);
	if (cl->lease != 0 && sg_etcd_lease_revoke(cl->etcd, cl->lease) == 0)
		syslog(LOG_NOTICE, "cluster: lease revoked: the other nodes take this node's VMs");
	if (cl->work_ev != NULL)
		event_free(cl->work_ev);
	sg_etcd_free(cl->etcd);
	free(cl->vms);
	free(cl);
}
