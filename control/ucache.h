/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * ucache.c: what idmgr says of a user for one application (the graph's
 * VMs and their hosts, the user's name, its QoS attributes), kept while
 * idmgr's store is unchanged: a session of a known (user, application)
 * reads none of it again. Any write to the store that may change an
 * object, edge or attribute, by any process (sgid relate / unrelate / attr
 * set, another node's follower, this sg-control), makes every entry stale
 * at once, so the next session sees the change; this sg-control's own
 * temporary IDs and ID leases do not (sg_id_store_generation()). A fixed table, direct-mapped by
 * hash: a colliding pair takes the slot over (bounded memory, no eviction list).
 */
#ifndef SG_CTL_UCACHE_H
#define SG_CTL_UCACHE_H

#include <stdint.h>

#include "model.h"

struct sg_ctl_ids;
struct sg_ctl_ucache;

#define SG_CTL_UCACHE_BITS  16u			       /**< log2 of the entries */
#define SG_CTL_UCACHE_SLOTS (1u << SG_CTL_UCACHE_BITS) /**< entries */
#define SG_CTL_UCACHE_VMS   16u /**< VMs kept per entry (SG_CTL_ACCESS_VMS_MAX) */

/** Parts of an entry, filled by their reader when missing (sg_ctl_uent.have). */
enum {
	SG_CTL_UENT_GRAPH = 1u << 0, /**< access.c: graph_rc, n_vms, vm[], host[] */
	SG_CTL_UENT_NAME = 1u << 1,  /**< auth.c: name */
	SG_CTL_UENT_QOS = 1u << 2,   /**< qos.c: qos_has, qos_sessions, qos_rate */
};

/** qos_has: which of the user's QoS attributes are set (and numbers). */
enum {
	SG_CTL_UENT_QOS_SESSIONS = 1u << 0, /**< qos.user_sessions */
	SG_CTL_UENT_QOS_RATE = 1u << 1,	    /**< qos.rate_bps */
};

/** One (user, application): the parts in @c have were read at the current generation. */
struct sg_ctl_uent {
	uint64_t user;
	const struct sg_ctl_app *app;
	uint64_t epoch; /**< the cache's epoch it was filled in; 0: empty */
	uint8_t have;	/**< SG_CTL_UENT_* */
	/* access.c */
	int16_t graph_rc; /**< 0, or the graph's refusal (-ENOLINK, -ENOENT) */
	uint8_t n_vms;
	uint16_t vm[SG_CTL_UCACHE_VMS]; /**< the app pool's VMs serving the user (inv->vms index) */
	int16_t host[SG_CTL_UCACHE_VMS]; /**< each one's host in the address tree (inv->hosts
					      index), -1: none known */
	/* qos.c */
	uint8_t qos_has; /**< SG_CTL_UENT_QOS_* */
	uint32_t qos_sessions;
	uint32_t qos_rate;
	/* auth.c */
	char name[SG_CTL_NAME_MAX]; /**< "" when idmgr knows no user of that ID */
};

/**
 * The cache over @p ids's store; hits, misses and flushes counted in
 * @p st (may be NULL). NULL: no memory.
 */
struct sg_ctl_ucache *sg_ctl_ucache_create(struct sg_ctl_ids *ids, struct sg_ctl_auth_stats *st);
/** Free it; NULL is a no-op. */
void sg_ctl_ucache_destroy(struct sg_ctl_ucache *uc);

/**
 * The entry of (@p user, @p app), its parts valid for the store as it is
 * now: emptied (have = 0) when it held another pair or the store was
 * written since it was filled. The caller fills a part it lacks and sets
 * its bit (sg_ctl_ucache_has() says whether it is there). With @p uc
 * NULL or idmgr not open, @p scratch is emptied and returned: nothing is
 * kept.
 */
struct sg_ctl_uent *sg_ctl_ucache_get(struct sg_ctl_ucache *uc, uint64_t user,
				      const struct sg_ctl_app *app, struct sg_ctl_uent *scratch);

/**
 * Count a lookup of part @p part of @p e: a hit when it was there,
 * else a miss; @return whether it was there.
 */
bool sg_ctl_ucache_has(struct sg_ctl_ucache *uc, const struct sg_ctl_uent *e, unsigned int part);

#endif /* SG_CTL_UCACHE_H */
