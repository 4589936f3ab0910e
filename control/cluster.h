/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Cluster mode of sg-control (doc/control.md "Cluster mode"): several
 * sg-controls, one per appliance, share the VMs and the sessions through
 * etcd (lib/etcd). Each keeps its LMDB session DB as its local store.
 *
 *   cluster.c       the lease (kept alive at ttl/3), nodes/<node>, the
 *                   watches, the work timer, lease loss and regain
 *   cluster_vm.c    VM ownership (vms/<vm>/owner with this node's lease,
 *                   create-if-absent), the owner's vms/<vm>/state, the
 *                   other nodes' vms/<vm>/use/<node> and vms/<vm>/want/<node>
 *   cluster_sess.c  sessions/<sid>: created before a session is placed
 *                   (never brokered twice), written installed, deleted
 *                   when it ends
 *
 * Keys, under cluster.etcd.prefix (default /sessiongate), the layout of
 * include/sessiongate/sg_cluster_keys.h (v1/ in every path):
 *
 *   nodes/<node>              {"node","pid","started_ms"}      node's lease
 *   vms/<vm>/owner            <node>                           owner's lease
 *   vms/<vm>/state            {"node","state","address","host","sessions"} owner's lease
 *   vms/<vm>/use/<node>       sessions <node> holds on it      <node>'s lease
 *   vms/<vm>/want/<node>      <node> wants it started (ms)     <node>'s lease
 *   sessions/<sid, 16 hex>    {"node","state","app","vm","worker"}  no lease
 *
 * Every call is synchronous with the configured timeout, made from the
 * event loop; a node without a lease makes none on the session path.
 */
#ifndef SG_CTL_CLUSTER_H
#define SG_CTL_CLUSTER_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

#define SG_CTL_CLUSTER_NODES_MAX 16  /**< nodes tracked (nodes/, per-VM use) */
#define SG_CTL_CLUSTER_WORK_MS	 100 /**< claims, state and use publication */

struct event;
struct event_base;
struct sg_etcd;
struct sg_etcd_kv;
struct sg_etcd_watch;
struct sg_ctl_vmm;
struct sg_ctl_cs;
struct sg_ctl_ids;
struct sg_id_follower;

/** Another node's sessions on a VM (its vms/<vm>/use/<node>). */
struct sg_ctl_cluster_use {
	char node[SG_CTL_NAME_MAX]; /**< "" = free slot */
	uint32_t n;
};

/** This node's view of one VM's ownership (index = configured VM). */
struct sg_ctl_cluster_vm {
	char owner[SG_CTL_NAME_MAX];	  /**< from vms/<vm>/owner; "" = no owner */
	int64_t owner_lease;		  /**< the owner key's lease */
	bool mine;			  /**< owner == this node under this node's lease */
	char prev_owner[SG_CTL_NAME_MAX]; /**< its last owner: claiming it from a dead one is a
					       takeover */
	uint64_t orphan_since_ns;	  /**< no owner since */
	bool pub_valid;			  /**< vms/<vm>/state written under the current lease */
	uint8_t pub_state;
	uint32_t pub_sessions;
	uint32_t pub_use;	 /**< vms/<vm>/use/<me> written (0 = none) */
	uint32_t owner_sessions; /**< the owner's "sessions" (its state key) */
	struct sg_ctl_cluster_use use[SG_CTL_CLUSTER_NODES_MAX];
};

/** What the cluster works with, given by main.c. */
struct sg_ctl_cluster_deps {
	const struct sg_ctl_cfg *cfg;
	struct event_base *base;
	struct sg_ctl_clock *clk;
	struct sg_ctl_inv *inv;
	struct sg_ctl_vmm *vmm; /**< VM states of remote VMs, wants of owned ones */
	struct sg_ctl_ids *ids; /**< its identity store follows etcd's identities */
	struct sg_ctl_cluster_stats *st;
	void (*step_end)(void *ctx); /**< commit after a change */
	void *ctx;
};

struct sg_ctl_cluster {
	struct sg_ctl_cluster_deps d;
	struct sg_etcd *etcd;
	struct sg_etcd_watch *w_nodes, *w_vms;
	struct sg_id_follower *follower; /**< etcd's identities into the idmgr LMDB */
	uint64_t follow_try_ns;		 /**< last start tried (etcd away at start) */
	struct event *work_ev;
	int64_t lease;	       /**< 0 = none: this node owns nothing */
	int64_t lost_lease;    /**< the lease given up: revoked once etcd answers again */
	uint64_t lease_ok_ns;  /**< last keepalive (or grant) etcd answered */
	uint64_t keepalive_ns; /**< last keepalive sent */
	uint64_t grant_try_ns; /**< last grant tried */
	uint64_t started_ms;   /**< wall clock */
	int64_t rev;	       /**< store revision of the last read or event */
	bool reachable;	       /**< the last etcd call succeeded */
	bool resync;	       /**< a watch asked for a full re-read */
	char nodes[SG_CTL_CLUSTER_NODES_MAX][SG_CTL_NAME_MAX]; /**< nodes/ (live nodes) */
	unsigned int n_nodes;
	struct sg_ctl_cluster_vm *vms; /**< cfg->n_vms */
	char last_error[256];
};

/** Build @p key = "<prefix>/<fmt...>". @return 0 or -ENAMETOOLONG. */
static inline int __attribute__((format(printf, 4, 5)))
sg_ctl_cluster_key(const struct sg_ctl_cluster *cl, char *key, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(key, len, "%s/", cl->d.cfg->cluster.prefix);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	n += vsnprintf(key + n, len - (size_t)n, fmt, ap);
	va_end(ap);
	return (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/**
 * Count a failed etcd call @p rc of @p what (logged once per outage), or
 * mark etcd reachable again. @return @p rc.
 */
int sg_ctl_cluster_etcd_rc(struct sg_ctl_cluster *cl, int rc, const char *what);

/** @p name has a nodes/ key (its node is up). */
static inline bool
sg_ctl_cluster_node_up(const struct sg_ctl_cluster *cl, const char *name)
{
	unsigned int i;

	for (i = 0; i < cl->n_nodes; i++)
		if (strcmp(cl->nodes[i], name) == 0)
			return true;
	return false;
}

/** The client and timers; no request yet. @return 0, or <0 with @p err. */
int sg_ctl_cluster_create(struct sg_ctl_cluster **out, const struct sg_ctl_cluster_deps *d,
			  char *err, size_t errlen);
/** Grant the first lease (etcd may be down: retried), read the view, arm the timer. */
void sg_ctl_cluster_start(struct sg_ctl_cluster *cl);
/** Revoke the lease (a peer takes this node's VMs at once), free everything. */
void sg_ctl_cluster_destroy(struct sg_ctl_cluster *cl);

/* cluster_vm.c */
/** Forget the view of owners and uses (before a full re-read). */
void sg_ctl_cluster_vm_reset(struct sg_ctl_cluster *cl);
/** One put or delete under vms/ (@p rest: the key after "<prefix>/vms/"). */
void sg_ctl_cluster_vm_event(struct sg_ctl_cluster *cl, const char *rest, size_t len,
			     const struct sg_etcd_kv *kv);
/** The lease is gone: this node owns nothing (its keys went with the lease). */
void sg_ctl_cluster_vm_release_all(struct sg_ctl_cluster *cl, const char *why);
/** Claims, hand-backs, state and use publication (every SG_CTL_CLUSTER_WORK_MS). */
void sg_ctl_cluster_vm_work(struct sg_ctl_cluster *cl);
/** vmm's want hook: ask the owner of remote @p vm to start it. */
int sg_ctl_cluster_want(void *cl, struct sg_ctl_vm *vm);
/** The node preferred for VM @p i among the live nodes (rendezvous hash), or NULL. */
const char *sg_ctl_cluster_vm_preferred(const struct sg_ctl_cluster *cl, unsigned int i);

/* cluster_sess.c */
/** csm's claim hook: create sessions/<sid> (0, -EEXIST, or <0: not now). */
int sg_ctl_cluster_claim(void *cl, uint64_t sid, uint16_t worker);
/** csm's foreign_closed hook: delete another node's sessions/<sid> if it exists. */
void sg_ctl_cluster_foreign_closed(void *cl, uint64_t sid);
/** ctl's committed hook: write an installed session, delete an ended one. */
void sg_ctl_cluster_committed(void *cl, struct sg_ctl_cs *cs);

#endif /* SG_CTL_CLUSTER_H */
