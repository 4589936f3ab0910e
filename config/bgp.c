/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appliance.cluster.bgp: route announcement through BIRD 2 by sg-routed
 * (doc/configuration.md, "Cluster"): the local AS and router ID, the BGP
 * peers, the local preferences of owned and backup routes, the backup
 * addresses (the peers' NAT addresses), the BGP and BFD timers, the
 * liveness check and the files sg-routed uses.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "ctx.h"
#include "error.h"
#include "sections.h"

#define ASN_MAX		UINT32_MAX
#define DEF_BIRD_SOCKET "/run/bird/bird.ctl"
#define DEF_BIRD_CONFIG "/run/sessiongate/bird.conf"
#define DEF_STATUS_FILE "/run/sessiongate/routed.json"

/* bgp.peers[i]: name and address (both unique), asn, bfd. */
static int
parse_peer(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, unsigned int i, const char *list,
	   struct sg_cfg_bgp *b)
{
	static const char *const keys[] = {"name", "address", "asn", "bfd", NULL};
	struct sg_cfg_bgp_peer *peer = &b->peers[i];
	const struct sg_cfg_ctx_seen seen = {b->peers[0].name, sizeof(*peer), i, "peer", list};
	const struct sg_cfg_ctx_seen_addr seen_addr = {(const unsigned char *)&b->peers[0].addr,
						       sizeof(*peer), i, list};
	char prefix[SG_CFG_PATH_MAX];
	int rc;

	sg_cfg_ctx_path(prefix, list, "[%u]", i);
	if (sg_cfg_ctx_peer(c, p, prefix, keys, &seen, &seen_addr, peer->name, &peer->addr, &rc) ==
		    NULL ||
	    sg_cfg_ctx_need(c, p, prefix, "asn", NULL, &rc) == NULL)
		return rc;
	rc = sg_cfg_ctx_u32(c, p, prefix, "asn", 1, ASN_MAX, 0, &peer->asn);
	peer->bfd = true;
	return rc != 0 ? rc : sg_cfg_ctx_bool(c, p, prefix, "bfd", &peer->bfd);
}

/* The peers, and the backup addresses: unique unicast (against VIPs and NAT later). */
static int
parse_lists(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	    struct sg_cfg_bgp *b)
{
	char list[SG_CFG_PATH_MAX], path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v;
	unsigned int i;
	int rc;

	v = sg_cfg_ctx_seq(c, n, prefix, "peers", SG_CFG_BGP_PEERS_MAX, list, &rc);
	for (i = 0; v != NULL && rc == 0 && i < v->n_items; i++) {
		rc = parse_peer(c, v->items[i], i, list, b);
		b->n_peers = i + 1;
	}
	v = rc == 0 ? sg_cfg_ctx_seq(c, n, prefix, "backup", SG_CFG_BGP_BACKUP_MAX, list, &rc)
		    : NULL;
	for (i = 0; v != NULL && rc == 0 && i < v->n_items; i++) {
		const struct sg_cfg_ctx_seen_addr seen = {(const unsigned char *)b->backup,
							  sizeof(b->backup[0]), i, list};

		sg_cfg_ctx_path(path, list, "[%u]", i);
		rc = sg_cfg_ctx_unicast(c, v->items[i], path, &b->backup[i]);
		if (rc == 0)
			rc = sg_cfg_ctx_addr_unique(c, v->items[i], path, &b->backup[i], &seen);
		b->n_backup = i + 1;
	}
	return rc;
}

/* router_id: IPv4, default the first port's IPv4 address. */
static int
parse_router_id(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		struct sg_cfg_bgp *b)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(n, "router_id");
	const struct sg_cfg_appliance *ap = &c->cfg->appliance;
	char path[SG_CFG_PATH_MAX];
	int rc;

	sg_cfg_ctx_path(path, prefix, "router_id");
	if (v == NULL) {
		if (ap->n_ports > 0 && ap->ports[0].addr4.family == AF_INET) {
			b->router_id = ap->ports[0].addr4;
			b->router_id.prefixlen = 32;
		}
		if (b->router_id.family != 0 || !b->enabled)
			return 0;
		return sg_cfg_ctx_fail(c, n, path,
				       "required key is missing (the first port has no IPv4 "
				       "address to default to)");
	}
	rc = sg_cfg_ctx_unicast(c, v, path, &b->router_id);
	if (rc == 0 && b->router_id.family != AF_INET)
		rc = sg_cfg_ctx_fail(c, v, path, "a BGP router ID is an IPv4 address, not %s",
				     v->value);
	return rc;
}

#define NUM(key, min, max, def)                                       \
	{                                                             \
#key, min, max, def, offsetof(struct sg_cfg_bgp, key) \
	}

/* Local preferences (owned over backup) and the timers. */
static int
parse_numbers(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	      struct sg_cfg_bgp *b)
{
	static const struct sg_cfg_ctx_u32_key nums[] = {
		NUM(local_pref_owned, 0, UINT32_MAX, 200),
		NUM(local_pref_backup, 0, UINT32_MAX, 100),
		NUM(hold_s, 3, 65535, 9),
		NUM(bfd_interval_ms, 10, 10000, 100),
		NUM(bfd_multiplier, 1, 255, 3),
		NUM(check_ms, 10, 10000, 100),
		NUM(stale_ms, 1, 60000, 500),
		{NULL, 0, 0, 0, 0},
	};
	char path[SG_CFG_PATH_MAX];
	int rc = sg_cfg_ctx_u32_table(c, n, prefix, nums, b);

	if (rc == 0 && b->local_pref_owned <= b->local_pref_backup) {
		sg_cfg_ctx_path(path, prefix, "local_pref_owned");
		return sg_cfg_ctx_fail(
			c, sg_cfg_ctx_either(n, "local_pref_owned", "local_pref_backup"), path,
			"%u must be over local_pref_backup (%u)", b->local_pref_owned,
			b->local_pref_backup);
	}
	if (rc == 0 && b->stale_ms <= b->check_ms) {
		sg_cfg_ctx_path(path, prefix, "stale_ms");
		return sg_cfg_ctx_fail(c, sg_cfg_ctx_either(n, "stale_ms", "check_ms"), path,
				       "%u must be over check_ms (%u): a liveness check needs time "
				       "to see progress",
				       b->stale_ms, b->check_ms);
	}
	return rc;
}

static int
check_enabled(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	      const struct sg_cfg_bgp *b)
{
	char path[SG_CFG_PATH_MAX];
	int rc;

	if (!b->enabled)
		return 0;
	if (b->asn == 0 && sg_cfg_ctx_need(c, n, prefix, "asn", NULL, &rc) == NULL)
		return rc;
	if (b->n_peers > 0)
		return 0;
	sg_cfg_ctx_path(path, prefix, "peers");
	return sg_cfg_ctx_fail(c, sg_cfg_node_get(n, "peers") ? sg_cfg_node_get(n, "peers") : n,
			       path, "enabled BGP needs at least one peer");
}

int
sg_cfg_parse_bgp(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		 struct sg_cfg_bgp *b)
{
	static const char *const keys[] = {"enabled",	       "asn",
					   "router_id",	       "peers",
					   "local_pref_owned", "local_pref_backup",
					   "backup",	       "hold_s",
					   "bfd_interval_ms",  "bfd_multiplier",
					   "check_ms",	       "stale_ms",
					   "bird_socket",      "bird_config",
					   "status_file",      NULL};
	int rc;

	memset(b, 0, sizeof(*b));
	sg_cfg_strlcpy(b->bird_socket, DEF_BIRD_SOCKET, sizeof(b->bird_socket));
	sg_cfg_strlcpy(b->bird_config, DEF_BIRD_CONFIG, sizeof(b->bird_config));
	sg_cfg_strlcpy(b->status_file, DEF_STATUS_FILE, sizeof(b->status_file));
	if (n != NULL && sg_cfg_node_is_null(n))
		n = NULL;
	rc = sg_cfg_ctx_map(c, n, prefix, keys);
	if (rc == 0)
		rc = sg_cfg_ctx_bool(c, n, prefix, "enabled", &b->enabled);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "asn", 1, ASN_MAX, 0, &b->asn);
	if (rc == 0)
		rc = parse_router_id(c, n, prefix, b);
	if (rc == 0)
		rc = parse_lists(c, n, prefix, b);
	if (rc == 0)
		rc = parse_numbers(c, n, prefix, b);
	if (rc == 0)
		rc = sg_cfg_ctx_abs_path(c, n, prefix, "bird_socket", b->bird_socket,
					 sizeof(b->bird_socket));
	if (rc == 0)
		rc = sg_cfg_ctx_abs_path(c, n, prefix, "bird_config", b->bird_config,
					 sizeof(b->bird_config));
	if (rc == 0)
		rc = sg_cfg_ctx_abs_path(c, n, prefix, "status_file", b->status_file,
					 sizeof(b->status_file));
	return rc != 0 ? rc : check_enabled(c, n, prefix, b);
}

/* Where @p a is one of this appliance's own VIPs or NAT addresses: "VIP of x", "NAT address". */
static const char *
own_address(const struct sg_cfg *cfg, const struct sg_cfg_addr *a, unsigned int *idx)
{
	unsigned int i;

	for (i = 0; i < cfg->nat.n_addrs; i++) {
		*idx = i;
		if (sg_cfg_addr_equal(a, &cfg->nat.addrs[i]))
			return "nat.addresses";
	}
	for (i = 0; i < cfg->n_vs; i++) {
		*idx = i;
		if (sg_cfg_addr_equal(a, &cfg->vs[i].vip))
			return "virtual_services";
	}
	return NULL;
}

int
sg_cfg_check_bgp_backup(struct sg_cfg_ctx *c, const struct sg_cfg_node *b)
{
	const struct sg_cfg_bgp *bgp = &c->cfg->appliance.cluster.bgp;
	const struct sg_cfg_node *v = sg_cfg_node_get(b, "backup");
	char path[SG_CFG_PATH_MAX];
	unsigned int i, j;

	for (i = 0; i < bgp->n_backup && v != NULL && i < v->n_items; i++) {
		const char *where = own_address(c->cfg, &bgp->backup[i], &j);

		if (where == NULL)
			continue;
		sg_cfg_ctx_path(path, "appliance.cluster.bgp.backup", "[%u]", i);
		return sg_cfg_ctx_fail(c, v->items[i], path,
				       "%s is this appliance's own address (%s[%u]); backup "
				       "lists the peers' NAT addresses",
				       v->items[i]->value, where, j);
	}
	return 0;
}
