/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ids.c: identities (idmgr when control.idmgr_dir is set, else local IDs).
 */
#ifndef SG_CTL_IDS_H
#define SG_CTL_IDS_H

#include "model.h"

struct sg_ctl_ids;
struct sg_ctl_bus;
struct sg_id_store;
struct sg_etcd;

/* Kinds of IDs (top byte of a local ID; see doc/control.md). */
enum sg_ctl_id_kind {
	SG_CTL_ID_CONTROLLING = 1,
	SG_CTL_ID_USER_SESSION,
	SG_CTL_ID_SERVICE_SESSION,
	SG_CTL_ID_APP,
	SG_CTL_ID_VM,
	SG_CTL_ID_HOST,
	SG_CTL_ID_PROVIDER,
	SG_CTL_ID_USER,
	SG_CTL_ID_COMPONENT,
	SG_CTL_ID_DOMAIN,
	SG_CTL_ID_STORAGE,
};

/**
 * The identity module: local IDs until sg_ctl_ids_open() opens idmgr. It
 * writes the IDs idmgr gives into @p inv and the providers of @p bus, and
 * counts refused IDs in @p st. NULL: no memory.
 */
struct sg_ctl_ids *sg_ctl_ids_create(const struct sg_ctl_cfg *cfg, struct sg_ctl_inv *inv,
				     struct sg_ctl_bus *bus, struct sg_ctl_stats *st);
/** Close idmgr and free. */
void sg_ctl_ids_destroy(struct sg_ctl_ids *ids);
/** Open idmgr when control.idmgr_dir is set and register every object; 0 without idmgr. */
int sg_ctl_ids_open(struct sg_ctl_ids *ids);
/**
 * Cluster mode (before sg_ctl_ids_open()): the identity store first catches
 * up with etcd's identities under @p prefix (idmgr's follower, once), and
 * the objects sg-control registers are written to etcd first (idmgr's
 * clustered writes), so every appliance gives them the same IDs.
 */
void sg_ctl_ids_cluster(struct sg_ctl_ids *ids, struct sg_etcd *etcd, const char *prefix);
/** Close idmgr (local IDs from now on). */
void sg_ctl_ids_close(struct sg_ctl_ids *ids);
/** The local ID serial, which the session DB persists ("next_id"). */
uint64_t *sg_ctl_ids_next_local(struct sg_ctl_ids *ids);
/**
 * Register object @p slot of @p kind (enum sg_ctl_kind) with idmgr (no
 * store: nothing): a host and its provider, a pool's component and
 * storage, a VM and its component, an app and its graph. At open for
 * each object, and for each object added at run time. Idempotent.
 */
int sg_ctl_ids_add(struct sg_ctl_ids *ids, unsigned int kind, unsigned int slot);
/** Register the configured users and their ASSIGNED edges (open, reload). */
int sg_ctl_ids_users(struct sg_ctl_ids *ids);
void sg_ctl_ids_release(struct sg_ctl_ids *ids, const struct sg_ctl_cs *cs);
/** The identity store (NULL without idmgr), for tests and tools. */
struct sg_id_store *sg_ctl_ids_store(struct sg_ctl_ids *ids);
void sg_ctl_ids_set_lease(struct sg_ctl_ids *ids, bool lease);
/** "type#serial" */
int sg_ctl_ids_text(uint64_t id, char *buf, size_t len);
uint64_t sg_ctl_ids_new(struct sg_ctl_ids *ids, unsigned int kind);
uint64_t sg_ctl_ids_named(unsigned int kind, const char *name);
uint64_t sg_ctl_ids_user_id(struct sg_ctl_ids *ids, const char *user);
/** The user's VM from the identity relations, or NULL. */
struct sg_ctl_vm *sg_ctl_ids_user_vm(struct sg_ctl_ids *ids, const char *user, unsigned int pool);

#endif /* SG_CTL_IDS_H */
