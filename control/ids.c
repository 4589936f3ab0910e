/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Identities of the control path, in the project's ID encoding
 * (include/sessiongate/sg_id.h: type byte + 56-bit serial).
 *
 * With control.idmgr_dir set, the identity manager (idmgr/, its own LMDB
 * store) is the source:
 *  - persistent IDs: hosts, VMs (contained in their host, referencing the
 *    component = their pool), components, applications, virtual
 *    applications, service providers and configured users are registered
 *    (idempotent: a restart gets the same IDs);
 *  - affinity: "a user's VM" is the VM the user is ASSIGNED to in the
 *    relationship graph (config users: are written there as edges; sgid
 *    can add more while sg-control runs);
 *  - temporary IDs (controlling, user and service sessions), in one of two
 *    modes (control.idmgr_temp):
 *      register: sg_id_temp_alloc() per ID, sg_id_temp_release() when the
 *                session ends: every live session ID is visible in idmgr;
 *                one idmgr write transaction per ID.
 *      lease:    serials are reserved from idmgr's generator in blocks of
 *                SG_CTL_ID_LEASE (sg_id_serial_reserve) and handed out
 *                locally: the same encoding and never-reuse guarantee at
 *                no per-session cost, without per-ID tracking in idmgr.
 * Without idmgr_dir, IDs are local: persistent ones hash the name, session
 * ones count from a serial stored in the session DB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ids.h"
#include "bus.h"

#include "sg_idmgr.h"
#include "sg_idmgr_cluster.h"

#define SG_CTL_ID_LEASE 65536
#define TEMP_TTL_MS	(30u * 24 * 3600 * 1000) /* idmgr's bound; sessions end sooner */

struct sg_ctl_ids {
	struct sg_id_store *store;
	bool lease;
	uint64_t next[4], end[4]; /**< lease per session type */
	uint64_t next_local_id;	  /**< local IDs (no idmgr, or idmgr refused) */
	const struct sg_ctl_cfg *cfg;
	struct sg_ctl_inv *inv;
	struct sg_ctl_bus *bus;
	struct sg_ctl_stats *st;
	struct sg_etcd *etcd;	   /**< cluster mode: identities through etcd */
	const char *prefix;	   /**< cluster.etcd.prefix */
	struct sg_id_cluster *idc; /**< clustered writes while open */
};

struct sg_ctl_ids *
sg_ctl_ids_create(const struct sg_ctl_cfg *cfg, struct sg_ctl_inv *inv, struct sg_ctl_bus *bus,
		  struct sg_ctl_stats *st)
{
	struct sg_ctl_ids *ids = calloc(1, sizeof(*ids));

	if (ids == NULL)
		return NULL;
	ids->next_local_id = 1;
	ids->cfg = cfg;
	ids->inv = inv;
	ids->bus = bus;
	ids->st = st;
	return ids;
}

void
sg_ctl_ids_destroy(struct sg_ctl_ids *ids)
{
	if (ids == NULL)
		return;
	sg_ctl_ids_close(ids);
	free(ids);
}

uint64_t *
sg_ctl_ids_next_local(struct sg_ctl_ids *ids)
{
	return &ids->next_local_id;
}

static unsigned int
kind_type(unsigned int kind)
{
	switch (kind) {
	case SG_CTL_ID_CONTROLLING:
		return SG_ID_T_CONTROLLING;
	case SG_CTL_ID_USER_SESSION:
		return SG_ID_T_USER_SESSION;
	case SG_CTL_ID_SERVICE_SESSION:
		return SG_ID_T_SERVICE_SESSION;
	case SG_CTL_ID_APP:
		return SG_ID_T_VAPP;
	case SG_CTL_ID_VM:
		return SG_ID_T_VM;
	case SG_CTL_ID_HOST:
		return SG_ID_T_HOST;
	case SG_CTL_ID_PROVIDER:
		return SG_ID_T_SP;
	case SG_CTL_ID_USER:
		return SG_ID_T_USER;
	case SG_CTL_ID_COMPONENT:
		return SG_ID_T_COMPONENT;
	case SG_CTL_ID_DOMAIN:
		return SG_ID_T_DOMAIN;
	case SG_CTL_ID_STORAGE:
		return SG_ID_T_STORAGE;
	default:
		return SG_ID_T_NONE;
	}
}

static uint64_t
fnv56(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	h &= SG_ID_SERIAL_MASK;
	return h == 0 ? 1 : h;
}

uint64_t
sg_ctl_ids_named(unsigned int kind, const char *name)
{
	return sg_id_make(kind_type(kind), fnv56(name));
}

static int
ids_lease(struct sg_ctl_ids *ids, unsigned int slot, unsigned int type)
{
	uint64_t next;
	int rc;

	rc = sg_id_serial_next(ids->store, type, &next);
	if (rc == 0)
		rc = sg_id_serial_reserve(ids->store, type, next + SG_CTL_ID_LEASE);
	if (rc < 0) {
		syslog(LOG_ERR, "idmgr: cannot lease IDs: %s", sg_id_store_errmsg(ids->store));
		return rc;
	}
	ids->next[slot] = next;
	ids->end[slot] = next + SG_CTL_ID_LEASE;
	return 0;
}

uint64_t
sg_ctl_ids_new(struct sg_ctl_ids *ids, unsigned int kind)
{
	unsigned int type = kind_type(kind), slot = kind - SG_CTL_ID_CONTROLLING;
	uint64_t id;

	if (ids->store != NULL && kind <= SG_CTL_ID_SERVICE_SESSION) {
		if (!ids->lease) {
			if (sg_id_temp_alloc(ids->store, type, 0, TEMP_TTL_MS, &id) == 0)
				return id;
			ids->st->id_errors++;
		} else if (ids->next[slot] < ids->end[slot] || ids_lease(ids, slot, type) == 0) {
			return sg_id_make(type, ids->next[slot]++);
		} else {
			ids->st->id_errors++;
		}
	}
	/* Local: a serial kept in the session DB ("next_id"), never reused. */
	return sg_id_make(type, ids->next_local_id++ & SG_ID_SERIAL_MASK);
}

void
sg_ctl_ids_release(struct sg_ctl_ids *ids, const struct sg_ctl_cs *cs)
{
	if (ids->store == NULL || ids->lease)
		return;
	sg_id_temp_release(ids->store, cs->ctl_id);
	sg_id_temp_release(ids->store, cs->user_session_id);
	sg_id_temp_release(ids->store, cs->service_session_id);
}

void
sg_ctl_ids_cluster(struct sg_ctl_ids *ids, struct sg_etcd *etcd, const char *prefix)
{
	ids->etcd = etcd;
	ids->prefix = prefix;
}

static int
reg(struct sg_ctl_ids *ids, unsigned int type, const char *name, uint64_t parent, uint64_t *id)
{
	static const struct sg_id_attr no_attrs[1]; /* never NULL: memcpy of 0 attributes */
	struct sg_id_reg r = {
		.type = (uint8_t)type, .name = name, .parent = parent, .attrs = no_attrs};
	int rc = ids->idc != NULL ? sg_id_cluster_register(ids->idc, &r, id, NULL)
				  : sg_id_register(ids->store, &r, id, NULL);

	if (rc < 0)
		syslog(LOG_ERR, "idmgr: cannot register %s '%s': %s", sg_id_type_name(type), name,
		       sg_id_store_errmsg(ids->store));
	return rc;
}

/* Service-provider names in idmgr's syntax: [a-z][a-z0-9-]*, <= 32. */
static void
sp_name(const char *in, char *out, size_t len)
{
	size_t i, o = 0;

	for (i = 0; in[i] != '\0' && o + 1 < len && o < 32; i++) {
		char ch = in[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '-';
		out[o++] = ch;
	}
	out[o] = '\0';
}

static int
relate(struct sg_ctl_ids *ids, uint64_t from, unsigned int rel, uint64_t to)
{
	return ids->idc != NULL ? sg_id_cluster_relate(ids->idc, from, rel, to)
				: sg_id_relate(ids->store, from, rel, to);
}

/* Cluster mode: catch up with etcd's identities, then write through etcd. An
 * unreachable etcd is not fatal here: what is registered already stays local;
 * registering something new then fails (and sg-control with it). */
static int
cluster_open(struct sg_ctl_ids *ids)
{
	char err[256];

	if (sg_id_follow_once(ids->store, ids->etcd, ids->prefix, NULL, err, sizeof(err)) < 0)
		syslog(LOG_WARNING, "idmgr: cannot catch up with etcd's identities: %s", err);
	ids->idc = sg_id_cluster_new(ids->store, ids->etcd, ids->prefix);
	return ids->idc != NULL ? 0 : -ENOMEM;
}

/*
 * The graph of application @p i, for access and placement (access.c): its
 * APP object (users SUBSCRIBE to it; same name as the virtual application,
 * which EXPOSES it), APP -HAS_DOMAIN-> its domain (the configured one, or
 * one named after the app), domain -HAS_COMPONENT-> its pool's component
 * (which is SERVED_BY the pool's VMs). Idempotent.
 */
static int
ids_app_graph(struct sg_ctl_ids *ids, unsigned int i, uint64_t comp)
{
	const struct sg_ctl_app_cfg *a = &ids->cfg->apps[i];
	struct sg_ctl_app *app = &ids->inv->apps[i];
	uint64_t dom;
	int rc;

	rc = reg(ids, SG_ID_T_APP, a->name, SG_ID_NONE, &app->graph_id);
	if (rc == 0)
		rc = relate(ids, app->id, SG_ID_REL_EXPOSES, app->graph_id);
	if (rc == 0)
		rc = reg(ids, SG_ID_T_DOMAIN, a->domain[0] != '\0' ? a->domain : a->name,
			 SG_ID_NONE, &dom);
	if (rc == 0)
		rc = relate(ids, app->graph_id, SG_ID_REL_HAS_DOMAIN, dom);
	if (rc == 0)
		rc = relate(ids, dom, SG_ID_REL_HAS_COMPONENT, comp);
	return rc;
}

/* Host @p i's VM-manager provider under its idmgr name (a host added at run time). */
static int
ids_host_sp(struct sg_ctl_ids *ids, unsigned int i)
{
	struct sg_ctl_host *h = &ids->inv->hosts[i];
	struct sg_ctl_provider *p = sg_ctl_bus_provider(ids->bus, h->provider);
	char name[SG_CTL_NAME_MAX + 16];
	uint64_t id;
	int rc;

	if (p == NULL || h->cfg == NULL)
		return 0;
	sp_name(p->name, name, sizeof(name));
	rc = reg(ids, SG_ID_T_SP, name, SG_ID_NONE, &id);
	if (rc == 0)
		p->id = h->provider_id = id;
	return rc;
}

int
sg_ctl_ids_add(struct sg_ctl_ids *ids, unsigned int kind, unsigned int i)
{
	const struct sg_ctl_cfg *k = ids->cfg;
	struct sg_ctl_inv *inv = ids->inv;
	uint64_t comp = 0;
	unsigned int pool;
	int rc = 0;

	if (ids->store == NULL)
		return 0;
	switch (kind) {
	case SG_CTL_KIND_HOST:
		rc = reg(ids, SG_ID_T_HOST, k->hosts[i].name, SG_ID_NONE, &inv->hosts[i].id);
		if (rc == 0)
			rc = ids_host_sp(ids, i);
		return rc;
	case SG_CTL_KIND_POOL:
		rc = reg(ids, SG_ID_T_COMPONENT, k->pools[i].name, SG_ID_NONE, &comp);
		if (rc == 0 && k->pools[i].storage[0] != '\0')
			rc = reg(ids, SG_ID_T_STORAGE, k->pools[i].storage, SG_ID_NONE,
				 &inv->pools[i].storage_id);
		return rc;
	case SG_CTL_KIND_VM:
		pool = k->vms[i].pool;
		rc = reg(ids, SG_ID_T_COMPONENT, k->pools[pool].name, SG_ID_NONE, &comp);
		if (rc == 0)
			rc = reg(ids, SG_ID_T_VM, k->vms[i].name, inv->vms[i].host->id,
				 &inv->vms[i].id);
		if (rc == 0)
			rc = ids->idc != NULL
				     ? sg_id_cluster_set_ref(ids->idc, inv->vms[i].id, comp)
				     : sg_id_set_ref(ids->store, inv->vms[i].id, comp);
		inv->vms[i].component_id = comp;
		if (rc == 0 && inv->pools[pool].storage_id != 0)
			rc = relate(ids, inv->vms[i].id, SG_ID_REL_USES,
				    inv->pools[pool].storage_id);
		return rc;
	default:
		rc = reg(ids, SG_ID_T_COMPONENT, k->pools[k->apps[i].pool].name, SG_ID_NONE, &comp);
		if (rc == 0)
			rc = reg(ids, SG_ID_T_VAPP, k->apps[i].name, SG_ID_NONE, &inv->apps[i].id);
		if (rc == 0 && k->apps[i].domain[0] != '\0')
			rc = reg(ids, SG_ID_T_DOMAIN, k->apps[i].domain, SG_ID_NONE,
				 &inv->apps[i].domain_id);
		if (rc == 0)
			rc = ids_app_graph(ids, i, comp);
		return rc;
	}
}

/* The configured users and their ASSIGNED edge (at open and at every reload). */
int
sg_ctl_ids_users(struct sg_ctl_ids *ids)
{
	const struct sg_ctl_cfg *k = ids->cfg;
	unsigned int i;
	uint64_t id;
	int rc = 0;

	if (ids->store == NULL)
		return 0;
	for (i = 0; rc == 0 && i < k->n_users; i++) {
		if (k->vms[k->users[i].vm].retiring)
			continue;
		rc = reg(ids, SG_ID_T_USER, k->users[i].name, SG_ID_NONE, &id);
		if (rc == 0)
			rc = relate(ids, id, SG_ID_REL_ASSIGNED, ids->inv->vms[k->users[i].vm].id);
	}
	return rc;
}

int
sg_ctl_ids_open(struct sg_ctl_ids *ids)
{
	struct sg_id_open_opts opts = {.flags = SG_ID_OPEN_NOSYNC};
	const struct sg_ctl_cfg *k = ids->cfg;
	char name[SG_CTL_NAME_MAX + 16];
	uint64_t id;
	unsigned int i;
	int rc;

	if (k->idmgr_dir[0] == '\0')
		return 0;
	ids->lease = k->idmgr_lease;
	rc = sg_id_store_open(k->idmgr_dir, &opts, &ids->store);
	if (rc < 0) {
		syslog(LOG_ERR, "idmgr: cannot open the identity store %s: %s", k->idmgr_dir,
		       strerror(-rc));
		ids->store = NULL;
		return rc;
	}
	if (ids->etcd != NULL && cluster_open(ids) < 0) {
		sg_ctl_ids_close(ids);
		return -ENOMEM;
	}
	for (i = 0; rc == 0 && i < k->n_hosts; i++)
		if (!SG_CTL_SLOT_FREE(&k->hosts[i]))
			rc = sg_ctl_ids_add(ids, SG_CTL_KIND_HOST, i);
	for (i = 0; rc == 0 && i < k->n_pools; i++)
		if (!SG_CTL_SLOT_FREE(&k->pools[i]))
			rc = sg_ctl_ids_add(ids, SG_CTL_KIND_POOL, i);
	for (i = 0; rc == 0 && i < k->n_vms; i++)
		if (!SG_CTL_SLOT_FREE(&k->vms[i]))
			rc = sg_ctl_ids_add(ids, SG_CTL_KIND_VM, i);
	for (i = 0; rc == 0 && i < k->n_apps; i++)
		if (!SG_CTL_SLOT_FREE(&k->apps[i]))
			rc = sg_ctl_ids_add(ids, SG_CTL_KIND_APP, i);
	for (i = 0; rc == 0 && i < sg_ctl_bus_count(ids->bus); i++) {
		struct sg_ctl_provider *p = sg_ctl_bus_provider(ids->bus, i);
		unsigned int h;

		sp_name(p->name, name, sizeof(name));
		rc = reg(ids, SG_ID_T_SP, name, SG_ID_NONE, &id);
		for (h = 0; rc == 0 && h < k->n_hosts; h++)
			if (!SG_CTL_SLOT_FREE(&k->hosts[h]) &&
			    ids->inv->hosts[h].provider_id == p->id)
				ids->inv->hosts[h].provider_id = id;
		if (rc == 0 && ids->inv->net_provider_id == p->id)
			ids->inv->net_provider_id = id;
		for (h = 0; rc == 0 && h < k->n_pools; h++)
			if (!SG_CTL_SLOT_FREE(&k->pools[h]) &&
			    ids->inv->pools[h].storage_provider_id == p->id)
				ids->inv->pools[h].storage_provider_id = id;
		p->id = id;
	}
	if (rc == 0)
		rc = sg_ctl_ids_users(ids);
	if (rc < 0) {
		sg_ctl_ids_close(ids);
		return rc;
	}
	syslog(LOG_INFO, "idmgr: %s: identities registered; session IDs %s", k->idmgr_dir,
	       ids->lease ? "leased in blocks" : "allocated one by one");
	return 0;
}

void
sg_ctl_ids_close(struct sg_ctl_ids *ids)
{
	if (ids->store == NULL)
		return;
	sg_id_cluster_free(ids->idc);
	ids->idc = NULL;
	sg_id_store_close(ids->store);
	ids->store = NULL;
}

uint64_t
sg_ctl_ids_user_id(struct sg_ctl_ids *ids, const char *user)
{
	uint64_t id;

	if (ids->store != NULL &&
	    sg_id_lookup_name(ids->store, SG_ID_NS_USER, SG_ID_T_USER, user, &id) == 0)
		return id;
	return sg_ctl_ids_named(SG_CTL_ID_USER, user);
}

struct sg_ctl_vm *
sg_ctl_ids_user_vm(struct sg_ctl_ids *ids, const char *user, unsigned int pool)
{
	struct sg_id_query q = {.dir = SG_ID_DIR_OUT,
				.rel_mask = SG_ID_REL_BIT(SG_ID_REL_ASSIGNED),
				.type = SG_ID_T_VM,
				.max_depth = 1};
	uint64_t uid, vms[8];
	size_t n = 0, i;
	unsigned int k;

	if (ids->store != NULL) {
		if (sg_id_lookup_name(ids->store, SG_ID_NS_USER, SG_ID_T_USER, user, &uid) != 0)
			return NULL;
		if (sg_id_related(ids->store, uid, &q, vms, 8, &n) < 0 && n == 0)
			return NULL;
		/* a user may be assigned VMs of several apps: only one of this pool */
		for (i = 0; i < n; i++)
			for (k = 0; k < ids->cfg->n_vms; k++)
				if (!SG_CTL_SLOT_FREE(&ids->cfg->vms[k]) &&
				    !ids->cfg->vms[k].retiring && ids->inv->vms[k].id == vms[i] &&
				    ids->cfg->vms[k].pool == pool)
					return &ids->inv->vms[k];
		return NULL;
	}
	for (k = 0; k < ids->cfg->n_users; k++)
		if (strcmp(ids->cfg->users[k].name, user) == 0 &&
		    ids->cfg->vms[ids->cfg->users[k].vm].pool == pool &&
		    !ids->cfg->vms[ids->cfg->users[k].vm].retiring)
			return &ids->inv->vms[ids->cfg->users[k].vm];
	return NULL;
}

int
sg_ctl_ids_text(uint64_t id, char *buf, size_t len)
{
	return sg_id_text_format(id, buf, len);
}

struct sg_id_store *
sg_ctl_ids_store(struct sg_ctl_ids *ids)
{
	return ids->store != NULL ? ids->store : NULL;
}

void
sg_ctl_ids_set_lease(struct sg_ctl_ids *ids, bool lease)
{
	if (ids->store != NULL)
		ids->lease = lease;
}
