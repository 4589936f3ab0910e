/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtual_services section: VIP, port, protocol, mode, scheduler,
 * encapsulation, Maglev size, timeouts and pool of each virtual service,
 * and the member rules that depend on its mode. The brokered map of a
 * brokered or redirect service is read by brokered.c. What a new flow gets
 * when the pool has no live member (no_live_member, fallback_pool) is read
 * here too, after the pool.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sessiongate/sg_wire.h>

#include "addr.h"
#include "ctx.h"
#include "names.h"
#include "sections.h"

/* Defaults and bounds (doc/configuration.md); the GUE port is SG_WIRE_GUE_PORT. */
#define DEF_MAGLEV_SIZE	   65537
#define DEF_TCP_TIMEOUT	   300
#define DEF_TCP_TRANSITORY 30
#define DEF_UDP_TIMEOUT	   60
/* the data plane's bounds (core/tables.c): twice the members a pool may have, SG_DP_MAGLEV_MAX */
#define MAGLEV_SIZE_MIN (2 * SG_CFG_MEMBERS_MAX)
#define MAGLEV_SIZE_MAX 1000003 /* prime */
#define TIMEOUT_MAX	604800	/* one week */
#define TRANSITORY_MAX	3600

static bool
is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (d = 3; d <= n / d; d += 2) {
		if (n % d == 0)
			return false;
	}
	return true;
}

static int
parse_maglev_size(struct sg_cfg_ctx *c, const struct sg_cfg_node *vs, const char *prefix,
		  struct sg_cfg_vs *s)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(vs, "maglev_size");
	char path[SG_CFG_PATH_MAX];
	uint32_t lo, hi;
	int rc;

	s->maglev_size = DEF_MAGLEV_SIZE;
	if (v == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "maglev_size");
	if (s->scheduler != SG_CFG_SCHED_MAGLEV)
		return sg_cfg_ctx_fail(c, v, path,
				       "only used with scheduler: maglev (this one is %s)",
				       sg_cfg_sched_name(s->scheduler));
	rc = sg_cfg_ctx_u32(c, vs, prefix, "maglev_size", MAGLEV_SIZE_MIN, MAGLEV_SIZE_MAX,
			    DEF_MAGLEV_SIZE, &s->maglev_size);
	if (rc != 0)
		return rc;
	if (is_prime(s->maglev_size))
		return 0;
	for (lo = s->maglev_size - 1; !is_prime(lo); lo--)
		;
	/* MAGLEV_SIZE_MAX is prime, so hi stops there at the latest. */
	for (hi = s->maglev_size + 1; !is_prime(hi); hi++)
		;
	if (lo < MAGLEV_SIZE_MIN)
		return sg_cfg_ctx_fail(c, v, path,
				       "%u is not prime (the nearest prime in range is %u)",
				       s->maglev_size, hi);
	return sg_cfg_ctx_fail(c, v, path, "%u is not prime (the nearest primes are %u and %u)",
			       s->maglev_size, lo, hi);
}

static int
parse_timeouts(struct sg_cfg_ctx *c, const struct sg_cfg_node *vs, const char *prefix,
	       struct sg_cfg_vs *s)
{
	static const char *const keys[] = {"tcp", "tcp_transitory", "udp", NULL};
	const struct sg_cfg_node *t = sg_cfg_node_get(vs, "timeouts");
	char path[SG_CFG_PATH_MAX];
	int rc;

	s->tcp_timeout_s = DEF_TCP_TIMEOUT;
	s->tcp_transitory_s = DEF_TCP_TRANSITORY;
	s->udp_timeout_s = DEF_UDP_TIMEOUT;
	if (t == NULL)
		return 0;
	sg_cfg_ctx_path(path, prefix, "timeouts");
	rc = sg_cfg_node_check_keys(c->doc, t, path, keys, c->err);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, t, path, "tcp", 1, TIMEOUT_MAX, DEF_TCP_TIMEOUT,
				    &s->tcp_timeout_s);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, t, path, "tcp_transitory", 1, TRANSITORY_MAX,
				    DEF_TCP_TRANSITORY, &s->tcp_transitory_s);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, t, path, "udp", 1, TIMEOUT_MAX, DEF_UDP_TIMEOUT,
				    &s->udp_timeout_s);
	return rc;
}

/* Rules of one member that depend on the VS mode (family, port, NAT sources). */
static int
check_member(struct sg_cfg_ctx *c, const struct sg_cfg_node *pool_node, const char *path,
	     const struct sg_cfg_vs *s, const struct sg_cfg_member *m)
{
	const struct sg_cfg_nat *nat = &c->cfg->nat;
	const struct sg_cfg_addr *under = m->host.family ? &m->host : &m->addr;
	const char *vip_f = sg_cfg_addr_family_name(s->vip.family);
	const char *addr_f = sg_cfg_addr_family_name(m->addr.family);
	unsigned int j;

	if (s->mode == SG_CFG_MODE_DSR && m->addr.family != s->vip.family)
		return sg_cfg_ctx_fail(c, pool_node, path,
				       "member \"%s\" has an %s address but the VIP is %s; "
				       "dsr cannot change the family",
				       m->name, addr_f, vip_f);
	if (s->mode == SG_CFG_MODE_DSR && under->family != s->vip.family)
		return sg_cfg_ctx_fail(c, pool_node, path,
				       "member \"%s\" has an %s host but the VIP is %s; dsr "
				       "encapsulates %s in %s: give it an %s host",
				       m->name, sg_cfg_addr_family_name(under->family), vip_f,
				       vip_f, vip_f, vip_f);
	if (s->mode == SG_CFG_MODE_DSR && m->port != 0 && m->port != s->port)
		return sg_cfg_ctx_fail(c, pool_node, path,
				       "member \"%s\" listens on port %u but dsr keeps the "
				       "VS port %u (remove the member port)",
				       m->name, m->port, s->port);
	if (s->mode != SG_CFG_MODE_NAT)
		return 0;
	/* as the data plane's table build (core/tables.c): nat never changes the family */
	if (m->addr.family != s->vip.family)
		return sg_cfg_ctx_fail(c, pool_node, path,
				       "member \"%s\" has an %s address but the VIP is %s; "
				       "nat does not translate between families",
				       m->name, addr_f, vip_f);
	for (j = 0; j < nat->n_addrs; j++) {
		if (nat->addrs[j].family == m->addr.family)
			return 0;
	}
	return sg_cfg_ctx_fail(c, pool_node, path,
			       "member \"%s\" is %s but nat.addresses has no %s "
			       "address (needed by mode nat)",
			       m->name, addr_f, addr_f);
}

/* A pool of a VS (its own or its fallback): not empty, fits its Maglev table, members fit its mode.
 */
static int
check_vs_members(struct sg_cfg_ctx *c, const struct sg_cfg_node *pool_node, const char *path,
		 const struct sg_cfg_vs *s, unsigned int pool_idx)
{
	const struct sg_cfg_pool *pool = &c->cfg->pools[pool_idx];
	unsigned int i;
	int rc;

	if (pool->n_members == 0)
		return sg_cfg_ctx_fail(c, pool_node, path, "pool \"%s\" has no members",
				       pool->name);
	if (s->scheduler == SG_CFG_SCHED_MAGLEV && s->maglev_size < pool->n_members)
		return sg_cfg_ctx_fail(c, pool_node, path,
				       "pool \"%s\" has %u members, more than maglev_size %u",
				       pool->name, pool->n_members, s->maglev_size);
	for (i = 0; i < pool->n_members; i++) {
		rc = check_member(c, pool_node, path, s, &pool->members[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The pool named by node @p v: its index into *idx. */
static int
find_pool(struct sg_cfg_ctx *c, const struct sg_cfg_node *v, const char *path, unsigned int *idx)
{
	char pname[SG_CFG_NAME_MAX];
	unsigned int j;
	int rc;

	rc = sg_cfg_node_name(c->doc, v, path, pname, c->err);
	if (rc != 0)
		return rc;
	for (j = 0; j < c->cfg->n_pools; j++) {
		if (strcmp(c->cfg->pools[j].name, pname) == 0) {
			*idx = j;
			return 0;
		}
	}
	return sg_cfg_ctx_fail(c, v, path, "no pool named \"%s\"", pname);
}

/*
 * no_live_member and fallback_pool (after the pool): the fallback pool is
 * required with fallback and only then, is not the VS's own pool, and its
 * members fit the VS as its own pool's must.
 */
static int
parse_no_live_member(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		     struct sg_cfg_vs *s)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(n, "fallback_pool");
	char path[SG_CFG_PATH_MAX];
	unsigned int e;
	int rc;

	rc = sg_cfg_ctx_enum(c, n, prefix, "no_live_member", sg_cfg_no_member_names,
			     SG_CFG_NO_MEMBER_DROP, &e);
	if (rc != 0)
		return rc;
	s->no_live_member = (enum sg_cfg_no_member)e;
	s->fallback_pool = 0;
	sg_cfg_ctx_path(path, prefix, "fallback_pool");
	if (s->no_live_member != SG_CFG_NO_MEMBER_FALLBACK) {
		if (v == NULL)
			return 0;
		return sg_cfg_ctx_fail(c, v, path,
				       "only used with no_live_member: fallback (this one is %s)",
				       sg_cfg_no_member_name(s->no_live_member));
	}
	if (v == NULL)
		return sg_cfg_ctx_fail(c, sg_cfg_node_get(n, "no_live_member"), path,
				       "no_live_member: fallback needs a fallback_pool");
	rc = find_pool(c, v, path, &s->fallback_pool);
	if (rc != 0)
		return rc;
	if (s->fallback_pool == s->pool)
		return sg_cfg_ctx_fail(c, v, path, "\"%s\" is the VS's own pool; name another pool",
				       c->cfg->pools[s->pool].name);
	return check_vs_members(c, v, path, s, s->fallback_pool);
}

static int
parse_vs(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, unsigned int idx)
{
	static const char *const keys[] = {"name",
					   "vip",
					   "port",
					   "protocol",
					   "mode",
					   "scheduler",
					   "encap",
					   "gue_port",
					   "pool",
					   "maglev_size",
					   "max_flows",
					   "timeouts",
					   "brokered",
					   "syn_proxy",
					   "syn_proxy_rate",
					   "syn_proxy_fill_pct",
					   "syn_proxy_hold_s",
					   "syn_proxy_dsr",
					   "no_live_member",
					   "fallback_pool",
					   NULL};
	struct sg_cfg *cfg = c->cfg;
	struct sg_cfg_vs *s = &cfg->vs[idx];
	const struct sg_cfg_ctx_seen seen = {cfg->vs[0].name, sizeof(*s), idx, "virtual service",
					     "virtual_services"};
	char prefix[SG_CFG_PATH_MAX], path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v, *pool_node;
	unsigned int e, j;
	int rc;

	sg_cfg_ctx_path(prefix, "virtual_services", "[%u]", idx);
	rc = sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
	if (rc != 0)
		return rc;
	v = sg_cfg_ctx_name(c, n, prefix, s->name, path, &seen, &rc);
	if (v == NULL)
		return rc;
	v = sg_cfg_ctx_need(c, n, prefix, "vip", path, &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_ctx_unicast(c, v, path, &s->vip);
	if (rc != 0)
		return rc;
	for (j = 0; j < cfg->appliance.n_ports; j++) {
		const struct sg_cfg_port *p = &cfg->appliance.ports[j];

		if (sg_cfg_addr_equal(&p->addr4, &s->vip) || sg_cfg_addr_equal(&p->addr6, &s->vip))
			return sg_cfg_ctx_fail(c, v, path,
					       "the VIP is the address of appliance.ports[%u]", j);
	}
	for (j = 0; j < cfg->nat.n_addrs; j++) {
		if (sg_cfg_addr_equal(&cfg->nat.addrs[j], &s->vip))
			return sg_cfg_ctx_fail(c, v, path, "the VIP is also nat.addresses[%u]", j);
	}
	v = sg_cfg_ctx_need(c, n, prefix, "port", NULL, &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_ctx_u16(c, n, prefix, "port", 1, 65535, 0, &s->port);
	if (rc != 0)
		return rc;
	rc = sg_cfg_ctx_enum(c, n, prefix, "protocol", sg_cfg_proto_names, 0, &e);
	if (rc != 0)
		return rc;
	s->proto = e == 0 ? SG_CFG_PROTO_TCP : SG_CFG_PROTO_UDP;
	for (j = 0; j < idx; j++) {
		const struct sg_cfg_vs *o = &cfg->vs[j];

		if (sg_cfg_addr_equal(&o->vip, &s->vip) && o->port == s->port &&
		    o->proto == s->proto) {
			sg_cfg_ctx_path(path, prefix, "port");
			return sg_cfg_ctx_fail(
				c, sg_cfg_node_get(n, "port"), path,
				"virtual_services[%u] (\"%s\") already uses this VIP, port "
				"and protocol",
				j, o->name);
		}
	}
	v = sg_cfg_ctx_need(c, n, prefix, "mode", NULL, &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_ctx_enum(c, n, prefix, "mode", sg_cfg_mode_names, 0, &e);
	if (rc != 0)
		return rc;
	s->mode = (enum sg_cfg_mode)e;
	if (s->mode == SG_CFG_MODE_REDIRECT && s->proto != SG_CFG_PROTO_TCP) {
		sg_cfg_ctx_path(path, prefix, "mode");
		return sg_cfg_ctx_fail(c, v, path,
				       "mode %s answers with HTTP: it needs protocol: tcp",
				       sg_cfg_mode_name(s->mode));
	}
	rc = sg_cfg_ctx_enum(c, n, prefix, "scheduler", sg_cfg_sched_names, SG_CFG_SCHED_MAGLEV,
			     &e);
	if (rc != 0)
		return rc;
	s->scheduler = (enum sg_cfg_sched)e;
	if (s->mode == SG_CFG_MODE_DSR && s->scheduler == SG_CFG_SCHED_LC) {
		sg_cfg_ctx_path(path, prefix, "scheduler");
		return sg_cfg_ctx_fail(
			c, sg_cfg_node_get(n, "scheduler"), path,
			"lc counts connections on the return path, which dsr never sees; "
			"use maglev or wrr");
	}
	v = sg_cfg_node_get(n, "encap");
	if (v != NULL && s->mode != SG_CFG_MODE_DSR) {
		sg_cfg_ctx_path(path, prefix, "encap");
		return sg_cfg_ctx_fail(c, v, path, "only used with mode: dsr (this one is %s)",
				       sg_cfg_mode_name(s->mode));
	}
	rc = sg_cfg_ctx_enum(c, n, prefix, "encap", sg_cfg_encap_names, SG_CFG_ENCAP_IPIP, &e);
	if (rc != 0)
		return rc;
	s->encap = (enum sg_cfg_encap)e;
	v = sg_cfg_node_get(n, "gue_port");
	if (v != NULL && (s->mode != SG_CFG_MODE_DSR || s->encap != SG_CFG_ENCAP_GUE)) {
		sg_cfg_ctx_path(path, prefix, "gue_port");
		return sg_cfg_ctx_fail(c, v, path, "only used with mode: dsr and encap: gue");
	}
	rc = sg_cfg_ctx_u16(c, n, prefix, "gue_port", 1, 65535, SG_WIRE_GUE_PORT, &s->gue_port);
	if (rc != 0)
		return rc;
	rc = parse_maglev_size(c, n, prefix, s);
	if (rc != 0)
		return rc;
	rc = sg_cfg_ctx_u32(c, n, prefix, "max_flows", 0, cfg->appliance.flow_table_size, 0,
			    &s->max_flows);
	if (rc != 0)
		return rc;
	rc = parse_timeouts(c, n, prefix, s);
	if (rc == 0)
		rc = sg_cfg_parse_brokered(c, n, prefix, s);
	if (rc == 0)
		rc = sg_cfg_parse_syn_proxy(c, n, prefix, s);
	if (rc != 0)
		return rc;
	pool_node = sg_cfg_ctx_need(c, n, prefix, "pool", path, &rc);
	if (pool_node == NULL)
		return rc;
	rc = find_pool(c, pool_node, path, &s->pool);
	if (rc != 0)
		return rc;
	rc = check_vs_members(c, pool_node, path, s, s->pool);
	if (rc == 0)
		rc = parse_no_live_member(c, n, prefix, s);
	return rc;
}

int
sg_cfg_parse_vss(struct sg_cfg_ctx *c, const struct sg_cfg_node *n)
{
	struct sg_cfg *cfg = c->cfg;
	unsigned int i;
	int rc;

	cfg->vs = sg_cfg_ctx_list(c, n, "virtual_services", SG_CFG_VS_MAX, sizeof(*cfg->vs), &rc);
	if (cfg->vs == NULL)
		return rc;
	for (i = 0; i < n->n_items; i++) {
		rc = parse_vs(c, n->items[i], i);
		if (rc != 0)
			return rc;
		cfg->n_vs = i + 1;
	}
	return 0;
}
