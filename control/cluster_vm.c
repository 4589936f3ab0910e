/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cluster mode: which sg-control owns each VM (brokers, starts and stops
 * it through its host agent).
 *
 *  - an owner-less VM is claimed with vms/<vm>/owner created under this
 *    node's lease (create-if-absent: one winner) by the node a rendezvous
 *    hash over the live nodes (nodes/) prefers, or by any node once it has
 *    been owner-less for a lease TTL; a dead node's keys vanish with its
 *    lease, so its VMs are taken over one TTL after it died;
 *  - an owner hands an idle VM (no session of any node) back to the node
 *    the hash prefers, so that owners split when a node joins;
 *  - the owner publishes vms/<vm>/state; the others take it as the VM's
 *    state (a remote VM is placed on only while its owner says it runs),
 *    publish their sessions on it (vms/<vm>/use/<node>: the cap and the
 *    idle stop count every node's) and ask the owner to start it
 *    (vms/<vm>/want/<node>).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "cluster.h"
#include "sessiongate/sg_cluster_keys.h"
#include "sessiongate/sg_wire.h"
#include "sg_etcd.h"
#include "vm.h"

static const char *
me(const struct sg_ctl_cluster *cl)
{
	return cl->d.cfg->cluster.node;
}

/* FNV-1a over node "/" vm, then MurmurHash3's finaliser (FNV alone barely moves on
 * names that differ in their last byte): the highest score of the live nodes wins. */
static uint64_t
score(const char *node, const char *vm)
{
	uint64_t h = 1469598103934665603ull;
	const char *p;

	for (p = node; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h = (h ^ '/') * 1099511628211ull;
	for (p = vm; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdull;
	h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

const char *
sg_ctl_cluster_vm_preferred(const struct sg_ctl_cluster *cl, unsigned int i)
{
	const char *best = NULL;
	uint64_t s, top = 0;
	unsigned int n;

	for (n = 0; n < cl->n_nodes; n++) {
		s = score(cl->nodes[n], cl->d.cfg->vms[i].name);
		if (best == NULL || s > top) {
			best = cl->nodes[n];
			top = s;
		}
	}
	return best;
}

static void
recount(struct sg_ctl_cluster *cl, unsigned int i)
{
	struct sg_ctl_cluster_vm *v = &cl->vms[i];
	uint32_t n = v->mine ? 0 : v->owner_sessions;
	unsigned int k;

	for (k = 0; k < SG_CTL_CLUSTER_NODES_MAX; k++)
		if (v->use[k].node[0] != '\0' && strcmp(v->use[k].node, v->owner) != 0)
			n += v->use[k].n;
	cl->d.inv->vms[i].others = n;
}

/* Not placeable until an owner says how it is; installed sessions stay. */
static void
vm_unknown(struct sg_ctl_vm *vm, const char *why)
{
	vm->state = SG_CTL_VM_UNKNOWN;
	snprintf(vm->why, sizeof(vm->why), "%s", why);
}

static void
release_one(struct sg_ctl_cluster *cl, unsigned int i, const char *why)
{
	struct sg_ctl_vm *vm = &cl->d.inv->vms[i];

	cl->vms[i].mine = false;
	cl->vms[i].pub_valid = false;
	vm->remote = true;
	vm_unknown(vm, why);
	cl->d.st->vm_released++;
	recount(cl, i);
	syslog(LOG_NOTICE, "cluster: vm %s no longer owned here: %s", vm->cfg->name, why);
}

static void
adopt(struct sg_ctl_cluster *cl, unsigned int i)
{
	struct sg_ctl_cluster_vm *v = &cl->vms[i];
	struct sg_ctl_vm *vm = &cl->d.inv->vms[i];
	bool takeover;

	snprintf(v->owner, sizeof(v->owner), "%s", me(cl));
	v->owner_lease = cl->lease;
	v->mine = true;
	v->pub_valid = false;
	v->owner_sessions = 0;
	vm->remote = false;
	cl->d.st->vm_claims++;
	/* a takeover: its last owner was another node, and that node is gone */
	takeover = v->prev_owner[0] != '\0' && strcmp(v->prev_owner, me(cl)) != 0 &&
		   !sg_ctl_cluster_node_up(cl, v->prev_owner);
	if (takeover)
		cl->d.st->vm_takeovers++;
	syslog(LOG_NOTICE, "cluster: vm %s owned by this node (%s%s)", vm->cfg->name,
	       takeover ? "taken over from " : "claimed", takeover ? v->prev_owner : "");
	recount(cl, i);
	/* Its state is now what its host agent tells this node; sessions waiting here for
	 * the start its dead owner never made: this node starts it. */
	if (vm->agent_state == SG_CTL_VM_STOPPED && !TAILQ_EMPTY(&vm->waiters)) {
		vm->state = SG_CTL_VM_STOPPED;
		sg_ctl_vm_want(cl->d.vmm, vm);
	} else if (vm->agent_state != SG_CTL_VM_UNKNOWN && vm->agent_state != vm->state) {
		sg_ctl_vm_on_state(cl->d.vmm, vm, vm->agent_state, "owner now: its agent's state");
	}
}

void
sg_ctl_cluster_vm_reset(struct sg_ctl_cluster *cl)
{
	unsigned int i;

	for (i = 0; i < cl->d.cfg->n_vms; i++) {
		struct sg_ctl_cluster_vm *v = &cl->vms[i];

		if (v->owner[0] != '\0') {
			v->orphan_since_ns = cl->d.clk->now_ns;
			snprintf(v->prev_owner, sizeof(v->prev_owner), "%s", v->owner);
		}
		v->owner[0] = '\0';
		v->owner_lease = 0;
		v->owner_sessions = 0;
		memset(v->use, 0, sizeof(v->use));
	}
}

void
sg_ctl_cluster_vm_release_all(struct sg_ctl_cluster *cl, const char *why)
{
	unsigned int i;

	for (i = 0; i < cl->d.cfg->n_vms; i++) {
		if (cl->vms[i].mine) {
			release_one(cl, i, why);
			cl->vms[i].owner[0] = '\0';
			cl->vms[i].orphan_since_ns = cl->d.clk->now_ns;
		}
		cl->vms[i].pub_use = 0; /* the keys went with the lease */
	}
}

static bool
name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= SG_CTL_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] == '/' || s[i] == '"' || s[i] == '\\' || s[i] > '~')
			return false;
	return true;
}

/* The owner's vms/<vm>/state: {"state": "running", "sessions": N, ...}. */
static int
remote_state(struct sg_ctl_cluster *cl, unsigned int i, const struct sg_etcd_kv *kv)
{
	struct sg_ctl_vm *vm = &cl->d.inv->vms[i];
	json_t *o, *st, *n;
	unsigned int s;
	char why[96];

	o = json_loadb(kv->val, kv->val_len, JSON_REJECT_DUPLICATES, NULL);
	st = json_object_get(o, "state");
	n = json_object_get(o, "sessions");
	for (s = 0; json_is_string(st) && s < SG_CTL_VM_STATE_MAX; s++)
		if (strcmp(json_string_value(st), sg_ctl_vm_state_name(s)) == 0)
			break;
	if (!json_is_object(o) || !json_is_string(st) || s >= SG_CTL_VM_STATE_MAX ||
	    !json_is_integer(n) || json_integer_value(n) < 0 ||
	    json_integer_value(n) > SG_CTL_SESSIONS_MAX) {
		json_decref(o);
		return -EINVAL;
	}
	cl->vms[i].owner_sessions = (uint32_t)json_integer_value(n);
	json_decref(o);
	recount(cl, i);
	if (vm->remote && s != vm->state) {
		snprintf(why, sizeof(why), "its owner %s says so", cl->vms[i].owner);
		sg_ctl_vm_on_state(cl->d.vmm, vm, s, why);
	}
	return 0;
}

/* vms/<vm>/use/<node> or want/<node>: the node named, not this one. */
static int
node_slot(struct sg_ctl_cluster *cl, unsigned int i, const char *node, size_t len, bool put,
	  uint32_t n)
{
	struct sg_ctl_cluster_use *u = cl->vms[i].use, *free_slot = NULL;
	unsigned int k;

	for (k = 0; k < SG_CTL_CLUSTER_NODES_MAX; k++) {
		if (u[k].node[0] == '\0') {
			if (free_slot == NULL)
				free_slot = &u[k];
		} else if (strlen(u[k].node) == len && memcmp(u[k].node, node, len) == 0) {
			break;
		}
	}
	if (k < SG_CTL_CLUSTER_NODES_MAX && !put)
		memset(&u[k], 0, sizeof(u[k]));
	else if (k < SG_CTL_CLUSTER_NODES_MAX)
		u[k].n = n;
	else if (put && free_slot != NULL) {
		memcpy(free_slot->node, node, len);
		free_slot->node[len] = '\0';
		free_slot->n = n;
	} else if (put)
		return -ENOSPC;
	recount(cl, i);
	return 0;
}

static int
use_event(struct sg_ctl_cluster *cl, unsigned int i, const char *node, size_t len,
	  const struct sg_etcd_kv *kv)
{
	char buf[16], *end;
	unsigned long n = 0;

	if (!name_ok(node, len))
		return -EINVAL;
	if (strlen(me(cl)) == len && memcmp(node, me(cl), len) == 0)
		return 0;
	if (kv->val != NULL) {
		if (kv->val_len == 0 || kv->val_len >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, kv->val, kv->val_len);
		buf[kv->val_len] = '\0';
		n = strtoul(buf, &end, 10);
		if (*end != '\0' || n > SG_CTL_SESSIONS_MAX)
			return -EINVAL;
	}
	return node_slot(cl, i, node, len, kv->val != NULL, (uint32_t)n);
}

static int
owner_event(struct sg_ctl_cluster *cl, unsigned int i, const struct sg_etcd_kv *kv)
{
	struct sg_ctl_cluster_vm *v = &cl->vms[i];
	char why[96];
	bool mine_now;

	if (kv->val == NULL) {
		if (v->owner[0] != '\0')
			snprintf(v->prev_owner, sizeof(v->prev_owner), "%s", v->owner);
		v->owner[0] = '\0';
		v->owner_lease = 0;
		v->orphan_since_ns = cl->d.clk->now_ns;
		if (v->mine)
			release_one(cl, i, "its owner key is gone");
		return 0;
	}
	if (!name_ok(kv->val, kv->val_len))
		return -EINVAL;
	memcpy(v->owner, kv->val, kv->val_len);
	v->owner[kv->val_len] = '\0';
	v->owner_lease = kv->lease;
	mine_now = cl->lease != 0 && kv->lease == cl->lease && strcmp(v->owner, me(cl)) == 0;
	if (v->mine && !mine_now) {
		snprintf(why, sizeof(why), "owned by %s", v->owner);
		release_one(cl, i, why);
	} else if (!v->mine && mine_now) {
		adopt(cl, i);
	}
	recount(cl, i);
	return 0;
}

void
sg_ctl_cluster_vm_event(struct sg_ctl_cluster *cl, const char *rest, size_t len,
			const struct sg_etcd_kv *kv)
{
	char name[SG_CTL_NAME_MAX];
	const char *slash = memchr(rest, '/', len);
	struct sg_ctl_vm *vm;
	const char *sub;
	size_t nlen, slen;
	unsigned int i;
	int rc = -EINVAL;

	nlen = slash != NULL ? (size_t)(slash - rest) : len;
	if (slash == NULL || !name_ok(rest, nlen))
		goto bad;
	memcpy(name, rest, nlen);
	name[nlen] = '\0';
	vm = sg_ctl_vm_by_name(cl->d.inv, name);
	if (vm == NULL) /* a VM another node has and this one does not: not ours to track */
		return;
	i = (unsigned int)(vm - cl->d.inv->vms);
	sub = slash + 1;
	slen = len - nlen - 1;
	if (slen == 5 && memcmp(sub, "owner", 5) == 0)
		rc = owner_event(cl, i, kv);
	else if (slen == 5 && memcmp(sub, "state", 5) == 0) {
		rc = 0;
		if (cl->vms[i].mine)
			return;
		if (kv->val != NULL)
			rc = remote_state(cl, i, kv);
		else if (vm->remote) {
			cl->vms[i].owner_sessions = 0;
			recount(cl, i);
			vm_unknown(vm, "its owner's state key is gone");
		}
	} else if (slen > 4 && memcmp(sub, "use/", 4) == 0)
		rc = use_event(cl, i, sub + 4, slen - 4, kv);
	else if (slen > 5 && memcmp(sub, "want/", 5) == 0) {
		rc = name_ok(sub + 5, slen - 5) ? 0 : -EINVAL;
		if (rc == 0 && kv->val != NULL && cl->vms[i].mine) {
			unsigned int before = vm->state;

			sg_ctl_vm_want(cl->d.vmm, vm);
			if (before != vm->state)
				cl->d.st->wants_served++;
		}
	}
	if (rc == 0)
		return;
bad:
	cl->d.st->watch_bad++;
}

int
sg_ctl_cluster_want(void *arg, struct sg_ctl_vm *vm)
{
	struct sg_ctl_cluster *cl = arg;
	char key[SG_ETCD_KEY_MAX], val[32];
	int n;

	if (cl->lease == 0 || !cl->reachable)
		return -ENOTCONN;
	n = snprintf(val, sizeof(val), "%" PRIu64, cl->d.clk->now_ns / 1000000);
	if (sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_VMS "%s/want/%s", vm->cfg->name,
			       me(cl)) < 0)
		return -ENAMETOOLONG;
	if (sg_ctl_cluster_etcd_rc(cl, sg_etcd_put(cl->etcd, key, val, (size_t)n, cl->lease),
				   "put want") < 0)
		return -EIO;
	cl->d.st->wants_sent++;
	syslog(LOG_INFO, "cluster: vm %s: asked its owner %s to start it", vm->cfg->name,
	       cl->vms[vm - cl->d.inv->vms].owner);
	return 0;
}

static bool
idle(const struct sg_ctl_vm *vm)
{
	return vm->n_sessions == 0 && vm->n_reserved == 0 && vm->others == 0 &&
	       TAILQ_EMPTY(&vm->waiters) && !vm->stop_requested &&
	       (vm->state == SG_CTL_VM_STOPPED || vm->state == SG_CTL_VM_RUNNING ||
		vm->state == SG_CTL_VM_UNKNOWN);
}

/* Claim VM @p i, or hand it back to the node the hash prefers. <0: etcd failed. */
static int
claim_or_hand_back(struct sg_ctl_cluster *cl, unsigned int i)
{
	struct sg_ctl_cluster_vm *v = &cl->vms[i];
	struct sg_ctl_vm *vm = &cl->d.inv->vms[i];
	const char *pref = sg_ctl_cluster_vm_preferred(cl, i);
	uint64_t grace = (uint64_t)cl->d.cfg->cluster.lease_ttl_s * 1000000000ull;
	char key[SG_ETCD_KEY_MAX], why[96];
	int rc;

	if (sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_VMS "%s/owner", vm->cfg->name) < 0)
		return 0;
	if (!v->mine && v->owner[0] == '\0' &&
	    ((pref != NULL && strcmp(pref, me(cl)) == 0) ||
	     cl->d.clk->now_ns - v->orphan_since_ns >= grace)) {
		rc = sg_ctl_cluster_etcd_rc(
			cl, sg_etcd_create(cl->etcd, key, me(cl), strlen(me(cl)), cl->lease),
			"create owner");
		if (rc == 0)
			adopt(cl, i);
		return rc == -EEXIST ? 0 : rc;
	}
	if (v->mine && pref != NULL && strcmp(pref, me(cl)) != 0 && idle(vm)) {
		rc = sg_ctl_cluster_etcd_rc(cl, sg_etcd_delete(cl->etcd, key), "delete owner");
		if (rc < 0)
			return rc;
		if (sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_VMS "%s/state", vm->cfg->name) ==
		    0)
			sg_ctl_cluster_etcd_rc(cl, sg_etcd_delete(cl->etcd, key), "delete state");
		snprintf(why, sizeof(why), "handed back to %s", pref);
		release_one(cl, i, why);
		v->owner[0] = '\0';
		v->orphan_since_ns = cl->d.clk->now_ns;
	}
	return 0;
}

/* The owner's vms/<vm>/state, this node's vms/<vm>/use/<me>, when they changed. */
static int
publish(struct sg_ctl_cluster *cl, unsigned int i)
{
	struct sg_ctl_cluster_vm *v = &cl->vms[i];
	struct sg_ctl_vm *vm = &cl->d.inv->vms[i];
	uint32_t n = vm->n_sessions + vm->n_reserved, use = v->mine ? 0 : n;
	char key[SG_ETCD_KEY_MAX], val[320], addr[64] = "";
	int rc = 0, len;

	if (v->mine && (!v->pub_valid || v->pub_state != vm->state || v->pub_sessions != n)) {
		inet_ntop(vm->cfg->family == SG_WIRE_FAMILY_V4 ? AF_INET : AF_INET6, vm->cfg->addr,
			  addr, sizeof(addr));
		len = snprintf(val, sizeof(val),
			       "{\"node\":\"%s\",\"state\":\"%s\",\"address\":\"%s\","
			       "\"host\":\"%s\",\"sessions\":%u}",
			       me(cl), sg_ctl_vm_state_name(vm->state), addr, vm->host->cfg->name,
			       n);
		if (sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_VMS "%s/state", vm->cfg->name) <
		    0)
			return 0;
		rc = sg_ctl_cluster_etcd_rc(
			cl, sg_etcd_put(cl->etcd, key, val, (size_t)len, cl->lease), "put state");
		if (rc < 0)
			return rc;
		v->pub_valid = true;
		v->pub_state = vm->state;
		v->pub_sessions = n;
	}
	if (use != v->pub_use) {
		if (sg_ctl_cluster_key(cl, key, sizeof(key), SG_CK_VMS "%s/use/%s", vm->cfg->name,
				       me(cl)) < 0)
			return 0;
		len = snprintf(val, sizeof(val), "%u", use);
		rc = use > 0 ? sg_etcd_put(cl->etcd, key, val, (size_t)len, cl->lease)
			     : sg_etcd_delete(cl->etcd, key);
		rc = sg_ctl_cluster_etcd_rc(cl, rc, "put use");
		if (rc == 0)
			v->pub_use = use;
	}
	return rc;
}

void
sg_ctl_cluster_vm_work(struct sg_ctl_cluster *cl)
{
	unsigned int i;

	for (i = 0; i < cl->d.cfg->n_vms; i++) {
		struct sg_ctl_cluster_vm *v = &cl->vms[i];

		if (SG_CTL_SLOT_FREE(&cl->d.cfg->vms[i]))
			continue;
		/* a re-read found it is not (or no longer) this node's */
		if (v->mine && (v->owner_lease != cl->lease || strcmp(v->owner, me(cl)) != 0))
			release_one(cl, i, "not its owner in etcd");
		/* one failed call is enough per round: each may wait timeout_ms */
		if (claim_or_hand_back(cl, i) < 0 || publish(cl, i) < 0)
			return;
	}
}
