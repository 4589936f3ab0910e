/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The section parsers of the appliance schema, one file each (not
 * installed). load.c calls appliance, nat, pools and virtual services in
 * that order; appliance.c calls ports and control; vs.c calls brokered.
 * Each fills its part of c->cfg and returns 0, -EINVAL with the error
 * filled, or -ENOMEM.
 */
#ifndef SG_CFG_SECTIONS_H
#define SG_CFG_SECTIONS_H

#include "ctx.h"

/** appliance.c: the "appliance" map @p a. */
int sg_cfg_parse_appliance(struct sg_cfg_ctx *c, const struct sg_cfg_node *a);

/** ports.c: appliance.ports[@p idx] from node @p p (ports before it already read). */
int sg_cfg_parse_port(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, unsigned int idx);

/** control.c: appliance.control @p n into c->cfg->appliance.control (defaults when NULL). */
int sg_cfg_parse_control(struct sg_cfg_ctx *c, const struct sg_cfg_node *n);

/** exception.c: appliance.exception @p n into c->cfg->appliance.exception (defaults when NULL). */
int sg_cfg_parse_exception(struct sg_cfg_ctx *c, const struct sg_cfg_node *n);

/** nat.c: the "nat" map @p n (defaults when NULL or null). */
int sg_cfg_parse_nat(struct sg_cfg_ctx *c, const struct sg_cfg_node *n);

/** pools.c: the "pools" list @p n (none when NULL or null). */
int sg_cfg_parse_pools(struct sg_cfg_ctx *c, const struct sg_cfg_node *n);

/**
 * health.c: the health_check and passive maps of pool node @p p (path
 * @p prefix) into pool->check and pool->passive; defaults when absent
 * (no active check; passive detection on).
 */
int sg_cfg_parse_health(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, const char *prefix,
			struct sg_cfg_pool *pool);

/** vs.c: the "virtual_services" list @p n (after nat and pools). */
int sg_cfg_parse_vss(struct sg_cfg_ctx *c, const struct sg_cfg_node *n);

/**
 * brokered.c: the "brokered" map of virtual service node @p vs (path
 * @p prefix) into s->brokered; defaults when absent, an error when present
 * on a VS of another mode. s->mode and s->proto are already set.
 */
int sg_cfg_parse_brokered(struct sg_cfg_ctx *c, const struct sg_cfg_node *vs, const char *prefix,
			  struct sg_cfg_vs *s);

/**
 * synproxy.c: the syn_proxy keys of virtual service node @p vs (path
 * @p prefix) into s->syn_proxy*; defaults when absent, an error when
 * present on a VS that is not nat + tcp. s->mode and s->proto are set.
 */
int sg_cfg_parse_syn_proxy(struct sg_cfg_ctx *c, const struct sg_cfg_node *vs, const char *prefix,
			   struct sg_cfg_vs *s);

/** idle.c: appliance.idle @p n into c->cfg->appliance.idle (defaults when NULL). */
int sg_cfg_parse_idle(struct sg_cfg_ctx *c, const struct sg_cfg_node *n);

/**
 * cluster.c: appliance.cluster @p n into c->cfg->appliance.cluster (defaults
 * when NULL: standalone). The ports are already read (bgp.router_id's default).
 */
int sg_cfg_parse_cluster(struct sg_cfg_ctx *c, const struct sg_cfg_node *n);

/** sync.c: the sync map @p n (path @p prefix) into @p s; defaults when NULL. */
int sg_cfg_parse_sync(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		      struct sg_cfg_sync *s);

/** bgp.c: the bgp map @p n (path @p prefix) into @p b; defaults when NULL. */
int sg_cfg_parse_bgp(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		     struct sg_cfg_bgp *b);

/**
 * bgp.c, after nat and virtual_services: no address of bgp.backup (map
 * @p b, appliance.cluster.bgp, may be NULL) is a VIP or NAT address of this
 * appliance.
 */
int sg_cfg_check_bgp_backup(struct sg_cfg_ctx *c, const struct sg_cfg_node *b);

#endif /* SG_CFG_SECTIONS_H */
