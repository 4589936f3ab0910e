/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * BIRD 2 configuration from the appliance YAML (doc/cluster.md, "BGP and
 * liveness"): which prefixes the appliance announces, grouped into static
 * protocols sg-routed enables and disables, one BGP protocol per peer, BFD
 * on the exception-path interfaces. No kernel protocol: BIRD never installs
 * a route into the appliance's kernel.
 */
#ifndef SG_RT_BIRDCONF_H
#define SG_RT_BIRDCONF_H

#include <stdbool.h>
#include <stdio.h>

#include "sg_cfg.h"

/** The announcement groups, each enabled or disabled as a whole. */
enum sg_rt_group {
	SG_RT_VIPS,	/**< DSR and NAT VIPs (/32, /128) */
	SG_RT_BROKERED, /**< brokered and redirect VIPs: also need sg-control */
	SG_RT_NAT,	/**< own NAT addresses, local pref owned */
	SG_RT_BACKUP,	/**< the peers' NAT addresses, local pref backup */
	SG_RT_GROUPS,
};

#define SG_RT_PROTO_MAX 24 /**< a BIRD protocol name incl. NUL */

/** What the generated configuration holds, for the announce loop and status. */
struct sg_rt_plan {
	/** static protocols of a group: "sg_vips" (IPv4), "sg_vips6" (IPv6) */
	char proto[SG_RT_GROUPS][2][SG_RT_PROTO_MAX];
	unsigned int n_proto[SG_RT_GROUPS];
	unsigned int n_prefix[SG_RT_GROUPS]; /**< distinct prefixes of the group */
	/** "sg_bgp1".. in the order of appliance.cluster.bgp.peers */
	char bgp[SG_CFG_BGP_PEERS_MAX][SG_RT_PROTO_MAX];
	unsigned int n_bgp;
};

/** Name of a group ("vips", "brokered", "nat", "backup"). */
const char *sg_rt_group_name(enum sg_rt_group g);

/**
 * Check @p cfg for what BIRD needs (bgp enabled, exception path on, each
 * peer on-link with a port address of its family) and fill @p plan.
 * @return 0, or -EINVAL with the reason in @p why.
 */
int sg_rt_birdconf_plan(const struct sg_cfg *cfg, struct sg_rt_plan *plan, char *why,
			size_t why_len);

/**
 * Write BIRD's configuration for @p cfg (checked by sg_rt_birdconf_plan())
 * to @p f. @return 0, or -EIO.
 */
int sg_rt_birdconf_emit(const struct sg_cfg *cfg, const struct sg_rt_plan *plan, FILE *f);

/**
 * Write it to @p path atomically (a temporary file beside it, fsync,
 * rename), mode 0644. @return 0, or -errno of the failed step.
 */
int sg_rt_birdconf_write(const struct sg_cfg *cfg, const struct sg_rt_plan *plan, const char *path);

#endif /* SG_RT_BIRDCONF_H */
