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

#define ASN_MAX		    UINT32_MAX
#define DEF_PREF_OWNED	    200
#define DEF_PREF_BACKUP	    100
#define DEF_HOLD_S	    9
#define HOLD_S_MIN	    3
#define HOLD_S_MAX	    65535
#define DEF_BFD_INTERVAL_MS 100
#define BFD_INTERVAL_MIN    10
#define BFD_INTERVAL_MAX    10000
#define DEF_BFD_MULTIPLIER  3
#define BFD_MULTIPLIER_MAX  255
#define DEF_CHECK_MS	    100
#define CHECK_MS_MIN	    10
#define CHECK_MS_MAX	    10000
#define DEF_STALE_MS	    500
#define STALE_MS_MAX	    60000
#define DEF_BIRD_SOCKET	    "/run/bird/bird.ctl"
#define DEF_BIRD_CONFIG	    "/run/sessiongate/bird.conf"
#define DEF_STATUS_FILE	    "/run/sessiongate/routed.json"

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
	char prefix[SG_CFG_PATH_MAX], path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v;
	int rc;

	sg_cfg_ctx_path(prefix, list, "[%u]", i);
	rc = sg_cfg_node_map(c->doc, p, prefix, false, c->err);
	if (rc == 0)
		rc = sg_cfg_node_check_keys(c->doc, p, prefix, keys, c->err);
	if (rc != 0 || sg_cfg_ctx_name(c, p, prefix, peer->name, path, &seen, &rc) == NULL)
		return rc;
	v = sg_cfg_ctx_need(c, p, prefix, "address", path, &rc);
	if (v == NULL)
		return rc;
	rc = sg_cfg_ctx_unicast(c, v, path, &peer->addr);
	if (rc == 0)
		rc = sg_cfg_ctx_addr_unique(c, v, path, &peer->addr, &seen_addr);
	if (rc != 0 || sg_cfg_ctx_need(c, p, prefix, "asn", NULL, &rc) == NULL)
		return rc;
	rc = sg_cfg_ctx_u32(c, p, prefix, "asn", 1, ASN_MAX, 0, &peer->asn);
	peer->bfd = true;
	if (rc == 0)
		rc = sg_cfg_ctx_bool(c, p, prefix, "bfd", &peer->bfd);
	return rc;
}

static int
parse_peers(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	    struct sg_cfg_bgp *b)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(n, "peers");
	char list[SG_CFG_PATH_MAX];
	unsigned int i;
	int rc;

	sg_cfg_ctx_path(list, prefix, "peers");
	if (v == NULL || sg_cfg_node_is_null(v))
		return 0;
	rc = sg_cfg_node_seq(c->doc, v, list, SG_CFG_BGP_PEERS_MAX, c->err);
	for (i = 0; rc == 0 && i < v->n_items; i++) {
		rc = parse_peer(c, v->items[i], i, list, b);
		b->n_peers = i + 1;
	}
	return rc;
}

/* bgp.backup: unique unicast addresses (checked against VIPs and NAT later). */
static int
parse_backup(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	     struct sg_cfg_bgp *b)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(n, "backup");
	char list[SG_CFG_PATH_MAX], path[SG_CFG_PATH_MAX];
	unsigned int i;
	int rc;

	sg_cfg_ctx_path(list, prefix, "backup");
	if (v == NULL || sg_cfg_node_is_null(v))
		return 0;
	rc = sg_cfg_node_seq(c->doc, v, list, SG_CFG_BGP_BACKUP_MAX, c->err);
	for (i = 0; rc == 0 && i < v->n_items; i++) {
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

/* Local preferences (owned over backup) and the timers. */
static int
parse_numbers(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	      struct sg_cfg_bgp *b)
{
	char path[SG_CFG_PATH_MAX];
	int rc;

	rc = sg_cfg_ctx_u32(c, n, prefix, "local_pref_owned", 0, UINT32_MAX, DEF_PREF_OWNED,
			    &b->local_pref_owned);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "local_pref_backup", 0, UINT32_MAX,
				    DEF_PREF_BACKUP, &b->local_pref_backup);
	if (rc == 0 && b->local_pref_owned <= b->local_pref_backup) {
		sg_cfg_ctx_path(path, prefix, "local_pref_owned");
		return sg_cfg_ctx_fail(c,
				       sg_cfg_node_get(n, "local_pref_owned")
					       ? sg_cfg_node_get(n, "local_pref_owned")
					       : sg_cfg_node_get(n, "local_pref_backup"),
				       path, "%u must be over local_pref_backup (%u)",
				       b->local_pref_owned, b->local_pref_backup);
	}
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "hold_s", HOLD_S_MIN, HOLD_S_MAX, DEF_HOLD_S,
				    &b->hold_s);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "bfd_interval_ms", BFD_INTERVAL_MIN,
				    BFD_INTERVAL_MAX, DEF_BFD_INTERVAL_MS, &b->bfd_interval_ms);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "bfd_multiplier", 1, BFD_MULTIPLIER_MAX,
				    DEF_BFD_MULTIPLIER, &b->bfd_multiplier);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "check_ms", CHECK_MS_MIN, CHECK_MS_MAX,
				    DEF_CHECK_MS, &b->check_ms);
	if (rc == 0)
		rc = sg_cfg_ctx_u32(c, n, prefix, "stale_ms", 1, STALE_MS_MAX, DEF_STALE_MS,
				    &b->stale_ms);
	if (rc == 0 && b->stale_ms <= b->check_ms) {
		sg_cfg_ctx_path(path, prefix, "stale_ms");
		return sg_cfg_ctx_fail(
			c,
			sg_cfg_node_get(n, "stale_ms") ? sg_cfg_node_get(n, "stale_ms")
						       : sg_cfg_node_get(n, "check_ms"),
			path,
			"%u must be over check_ms (%u): a liveness check needs time to see "
			"progress",
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
	int rc = 0;

	memset(b, 0, sizeof(*b));
	sg_cfg_strlcpy(b->bird_socket, DEF_BIRD_SOCKET, sizeof(b->bird_socket));
	sg_cfg_strlcpy(b->bird_config, DEF_BIRD_CONFIG, sizeof(b->bird_config));
	sg_cfg_strlcpy(b->status_file, DEF_STATUS_FILE, sizeof(b->status_file));
	if (n != NULL && !sg_cfg_node_is_null(n)) {
		rc = sg_cfg_node_map(c->doc, n, prefix, true, c->err);
		if (rc == 0)
			rc = sg_cfg_node_check_keys(c->doc, n, prefix, keys, c->err);
		if (rc == 0)
			rc = sg_cfg_ctx_bool(c, n, prefix, "enabled", &b->enabled);
		if (rc == 0)
			rc = sg_cfg_ctx_u32(c, n, prefix, "asn", 1, ASN_MAX, 0, &b->asn);
	} else {
		n = NULL;
	}
	if (rc == 0)
		rc = parse_router_id(c, n, prefix, b);
	if (rc == 0)
		rc = parse_peers(c, n, prefix, b);
	if (rc == 0)
		rc = parse_numbers(c, n, prefix, b);
	if (rc == 0)
		rc = parse_backup(c, n, prefix, b);
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
