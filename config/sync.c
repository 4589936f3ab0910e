/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * appliance.cluster.sync: the state-sync channel between appliances
 * (doc/configuration.md, "Cluster"): the local address and port, the HMAC
 * key file, the peers, and the channel's rate, queue, refresh and dump
 * wait.
 */
#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "ctx.h"
#include "sections.h"

#define QUEUE_MIN	 256
#define QUEUE_MAX	 (1u << 20)
#define REFRESH_S_MAX	 3600
#define DUMP_WAIT_MS_MAX 60000

/* sync.peers[i]: name, address (unique, the listen family, not listen), port. */
static int
parse_peer(struct sg_cfg_ctx *c, const struct sg_cfg_node *p, unsigned int i, const char *list,
	   struct sg_cfg_sync *s)
{
	static const char *const keys[] = {"name", "address", "port", NULL};
	struct sg_cfg_sync_peer *peer = &s->peers[i];
	const struct sg_cfg_ctx_seen seen = {s->peers[0].name, sizeof(*peer), i, "peer", list};
	const struct sg_cfg_ctx_seen_addr seen_addr = {(const unsigned char *)&s->peers[0].addr,
						       sizeof(*peer), i, list};
	char prefix[SG_CFG_PATH_MAX], path[SG_CFG_PATH_MAX];
	const struct sg_cfg_node *v;
	int rc;

	sg_cfg_ctx_path(prefix, list, "[%u]", i);
	v = sg_cfg_ctx_peer(c, p, prefix, keys, &seen, &seen_addr, peer->name, &peer->addr, &rc);
	if (v == NULL)
		return rc;
	sg_cfg_ctx_path(path, prefix, "address");
	if (s->listen.family != 0 && peer->addr.family != s->listen.family)
		return sg_cfg_ctx_fail(c, v, path, "an %s peer of an %s listen address",
				       sg_cfg_addr_family_name(peer->addr.family),
				       sg_cfg_addr_family_name(s->listen.family));
	if (sg_cfg_addr_equal(&peer->addr, &s->listen))
		return sg_cfg_ctx_fail(c, v, path,
				       "%s is this appliance's own listen address, not a peer",
				       v->value);
	return sg_cfg_ctx_u16(c, p, prefix, "port", 1, 65535, SG_CFG_SYNC_PORT, &peer->port);
}

/* What an enabled channel needs: an address, a key and someone to talk to. */
static int
check_enabled(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	      const struct sg_cfg_sync *s)
{
	char path[SG_CFG_PATH_MAX];
	int rc;

	if (!s->enabled)
		return 0;
	if (s->listen.family == 0 && sg_cfg_ctx_need(c, n, prefix, "listen", NULL, &rc) == NULL)
		return rc;
	if (s->key_file[0] == '\0' && sg_cfg_ctx_need(c, n, prefix, "key_file", NULL, &rc) == NULL)
		return rc;
	if (s->n_peers > 0)
		return 0;
	sg_cfg_ctx_path(path, prefix, "peers");
	return sg_cfg_ctx_fail(c, sg_cfg_node_get(n, "peers") ? sg_cfg_node_get(n, "peers") : n,
			       path, "an enabled sync channel needs at least one peer");
}

/* listen, port, key_file and the peers (after listen: their family). */
static int
parse_ends(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
	   struct sg_cfg_sync *s)
{
	const struct sg_cfg_node *v = sg_cfg_node_get(n, "listen");
	char path[SG_CFG_PATH_MAX];
	unsigned int i;
	int rc = 0;

	if (v != NULL) {
		sg_cfg_ctx_path(path, prefix, "listen");
		rc = sg_cfg_ctx_unicast(c, v, path, &s->listen);
	}
	if (rc == 0)
		rc = sg_cfg_ctx_u16(c, n, prefix, "port", 1, 65535, SG_CFG_SYNC_PORT, &s->port);
	if (rc == 0)
		rc = sg_cfg_ctx_abs_path(c, n, prefix, "key_file", s->key_file,
					 sizeof(s->key_file));
	v = rc == 0 ? sg_cfg_ctx_seq(c, n, prefix, "peers", SG_CFG_SYNC_PEERS_MAX, path, &rc)
		    : NULL;
	for (i = 0; v != NULL && rc == 0 && i < v->n_items; i++) {
		rc = parse_peer(c, v->items[i], i, path, s);
		s->n_peers = i + 1;
	}
	return rc;
}

int
sg_cfg_parse_sync(struct sg_cfg_ctx *c, const struct sg_cfg_node *n, const char *prefix,
		  struct sg_cfg_sync *s)
{
	static const char *const keys[] = {"enabled",	   "listen", "port",  "key_file",
					   "peers",	   "rate",   "queue", "refresh_s",
					   "dump_wait_ms", "dsr",    NULL};
	static const struct sg_cfg_ctx_u32_key nums[] = {
		{"rate", 1, UINT32_MAX, 1000000, offsetof(struct sg_cfg_sync, rate)},
		{"queue", QUEUE_MIN, QUEUE_MAX, 16384, offsetof(struct sg_cfg_sync, queue)},
		{"refresh_s", 1, REFRESH_S_MAX, 60, offsetof(struct sg_cfg_sync, refresh_s)},
		{"dump_wait_ms", 0, DUMP_WAIT_MS_MAX, 5000,
		 offsetof(struct sg_cfg_sync, dump_wait_ms)},
		{NULL, 0, 0, 0, 0},
	};
	char path[SG_CFG_PATH_MAX];
	int rc;

	memset(s, 0, sizeof(*s));
	s->dsr = true;
	rc = sg_cfg_ctx_map(c, n, prefix, keys);
	if (rc == 0)
		rc = sg_cfg_ctx_bool(c, n, prefix, "enabled", &s->enabled);
	if (rc == 0)
		rc = parse_ends(c, n, prefix, s);
	if (rc == 0)
		rc = sg_cfg_ctx_u32_table(c, n, prefix, nums, s);
	if (rc == 0) {
		sg_cfg_ctx_path(path, prefix, "queue");
		rc = sg_cfg_ctx_pow2(c, sg_cfg_node_get(n, "queue"), path, s->queue);
	}
	if (rc == 0)
		rc = sg_cfg_ctx_bool(c, n, prefix, "dsr", &s->dsr);
	return rc != 0 ? rc : check_enabled(c, n, prefix, s);
}
