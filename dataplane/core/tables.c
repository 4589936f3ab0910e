/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding tables built from a validated configuration, off the worker
 * path: local address set (own, VIP, NAT), virtual services keyed by
 * (VIP, port, protocol), pools and members with counter slots that keep
 * their numbers across reloads (matched by name), scheduler state and
 * routes (connected prefixes and gateways per port).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "core/health.h"
#include "core/sched.h"
#include "core/slotkeep.h"
#include "core/tables.h"

static uint64_t tables_generation;

static struct rte_hash *
hash_create(const char *what, uint32_t entries, char *err, size_t errlen)
{
	static uint32_t seq;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.key_len = sizeof(struct sg_dp_flow_key),
		.hash_func =
			rte_hash_crc, /* CRC32 instructions: a third of jhash's cost per lookup */
		.socket_id = SOCKET_ID_ANY,
	};
	struct rte_hash *h;

	(void)snprintf(name, sizeof(name), "sgdp_%s_%u", what,
		       __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	hp.name = name;
	hp.entries = RTE_MAX(entries * 2, 64u);
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	h = rte_hash_create(&hp);
	if (h == NULL)
		(void)snprintf(err, errlen, "data plane tables: cannot create hash %s (%s)", name,
			       rte_strerror(rte_errno));
	return h;
}

void
sg_dp_ip_from_cfg(struct sg_dp_ip *ip, const struct sg_cfg_addr *a)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = a->family;
	if (a->family == AF_INET)
		memcpy(ip->a, &a->v4, 4);
	else if (a->family == AF_INET6)
		memcpy(ip->a, a->v6, 16);
}

bool
sg_dp_prefix_match(const struct sg_cfg_addr *pfx, uint8_t family, const uint8_t *a)
{
	const uint8_t *p = pfx->family == AF_INET ? (const uint8_t *)&pfx->v4 : pfx->v6;
	unsigned int bits = pfx->prefixlen, full, rem;

	if (pfx->family != family || family == 0)
		return false;
	if (bits > (family == AF_INET ? 32u : 128u))
		return false;
	full = bits / 8;
	rem = bits % 8;
	if (memcmp(p, a, full) != 0)
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((p[full] & mask) != (a[full] & mask))
			return false;
	}
	return true;
}

static void
addr_key(struct sg_dp_flow_key *k, uint8_t family, const uint8_t *a)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	memcpy(k->dst, a, family == AF_INET ? 4 : 16);
}

/*
 * The bit of address @p a in addr_filter: its 32-bit fold (IPv6: the words
 * XORed) through a multiplicative hash, SG_DP_ADDR_FILTER_BITS wide.
 */
static inline unsigned int
addr_fold(uint8_t family, const uint8_t *a)
{
	uint32_t x, w[4];

	if (family == AF_INET) {
		memcpy(&x, a, sizeof(x));
	} else {
		memcpy(w, a, sizeof(w));
		x = w[0] ^ w[1] ^ w[2] ^ w[3];
	}
	return (x * 0x9e3779b1u) >> (32 - SG_DP_ADDR_FILTER_SHIFT);
}

const struct sg_dp_addr_info *
sg_dp_tables_addr(const struct sg_dp_tables *t, uint8_t family, const uint8_t *a)
{
	struct sg_dp_flow_key k;
	unsigned int b = addr_fold(family, a);
	void *data;

	if (!(t->addr_filter[b >> 6] & (UINT64_C(1) << (b & 63))))
		return NULL; /* none of ours: no hash lookup */
	addr_key(&k, family, a);
	if (rte_hash_lookup_data(t->addr_hash, &k, &data) < 0)
		return NULL;
	return &t->addr_info[(uintptr_t)data];
}

const struct sg_dp_vs *
sg_dp_tables_vs(const struct sg_dp_tables *t, uint8_t family, const uint8_t *vip, uint16_t port_be,
		uint8_t proto)
{
	struct sg_dp_flow_key k;
	void *data;

	addr_key(&k, family, vip);
	k.dport = port_be;
	k.proto = proto;
	if (rte_hash_lookup_data(t->vs_hash, &k, &data) < 0)
		return NULL;
	return &t->vs[(uintptr_t)data];
}

int
sg_dp_route(const struct sg_dp_tables *t, uint8_t family, const uint8_t *dst,
	    struct sg_dp_ip *nexthop)
{
	unsigned int p;

	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		const struct sg_dp_port_tab *pt = &t->ports[p];

		if (!pt->present)
			continue;
		if (sg_dp_prefix_match(family == AF_INET ? &pt->addr4 : &pt->addr6, family, dst)) {
			sg_dp_ip_set(nexthop, family, dst);
			return (int)p;
		}
	}
	for (p = 0; p < SG_DP_PORTS_MAX; p++) {
		const struct sg_dp_port_tab *pt = &t->ports[p];
		const struct sg_cfg_addr *gw = family == AF_INET ? &pt->gw4 : &pt->gw6;

		if (!pt->present || gw->family != family)
			continue;
		sg_dp_ip_from_cfg(nexthop, gw);
		return (int)p;
	}
	return -1;
}

static int
addr_add(struct sg_dp_tables *t, const struct sg_cfg_addr *a, uint8_t kind, unsigned int port,
	 char *err, size_t errlen)
{
	struct sg_dp_flow_key k;
	struct sg_dp_ip ip;
	void *data;
	uintptr_t idx;
	int rc;

	if (a->family != AF_INET && a->family != AF_INET6)
		return 0;
	sg_dp_ip_from_cfg(&ip, a);
	addr_key(&k, ip.family, ip.a);
	if (rte_hash_lookup_data(t->addr_hash, &k, &data) >= 0) {
		idx = (uintptr_t)data;
	} else {
		idx = t->n_addrs++;
		rc = rte_hash_add_key_data(t->addr_hash, &k, (void *)idx);
		if (rc < 0) {
			(void)snprintf(err, errlen, "data plane tables: address set full (%d)", rc);
			return rc;
		}
		rc = (int)addr_fold(ip.family, ip.a);
		t->addr_filter[rc >> 6] |= UINT64_C(1) << (rc & 63);
	}
	t->addr_info[idx].kinds |= kind;
	if (kind == SG_DP_ADDR_OWN)
		t->addr_info[idx].own_ports |= (uint8_t)(1u << port);
	return 0;
}

/* ---- build ---- */

static uint64_t
secs_to_tsc(uint32_t s, uint32_t dflt, uint64_t hz)
{
	return (uint64_t)(s ? s : dflt) * hz;
}

static int
build_pools(struct sg_dp_tables *t, const struct sg_cfg *cfg, const struct sg_dp_tables *prev,
	    char *err, size_t errlen)
{
	bool used[SG_DP_MEMBER_SLOTS] = {false};
	struct sg_dp_slot_index mi;
	unsigned int i, j, n = 0, pass;
	int rc;

	for (i = 0; i < cfg->n_pools; i++) {
		if (cfg->pools[i].n_members > 0 && cfg->pools[i].members == NULL) {
			(void)snprintf(err, errlen, "pool %s: members missing", cfg->pools[i].name);
			return -EINVAL;
		}
		n += cfg->pools[i].n_members;
	}
	if (n > SG_DP_MEMBER_SLOTS - 1) { /* the last slot counts brokered flows */
		(void)snprintf(
			err, errlen,
			"%u pool members in all pools, the data plane has counter slots for %u: "
			"remove members or split the appliance",
			n, SG_DP_MEMBER_SLOTS - 1);
		return -EINVAL;
	}
	t->pools = calloc(RTE_MAX(cfg->n_pools, 1u), sizeof(*t->pools));
	t->members = calloc(RTE_MAX(n, 1u), sizeof(*t->members));
	if (t->pools == NULL || t->members == NULL)
		return -ENOMEM;
	t->n_pools = cfg->n_pools;
	t->n_members = n;
	rc = sg_dp_slot_member_index(&mi, prev);
	if (rc < 0)
		return rc;

	n = 0;
	for (i = 0; i < cfg->n_pools; i++) {
		const struct sg_cfg_pool *cp = &cfg->pools[i];
		struct sg_dp_pool *p = &t->pools[i];

		(void)snprintf(p->name, sizeof(p->name), "%s", cp->name);
		p->members = &t->members[n];
		p->n_members = cp->n_members;
		for (j = 0; j < cp->n_members; j++) {
			const struct sg_cfg_member *cm = &cp->members[j];
			struct sg_dp_member *m = &p->members[j];

			(void)snprintf(m->name, sizeof(m->name), "%s", cm->name);
			m->pool = p->name;
			m->weight = cm->weight;
			m->port = cm->port;
			m->passive_fails = cp->passive.consecutive_failures;
			m->slot = SG_DP_NO_MEMBER;
			sg_dp_ip_from_cfg(&m->addr, &cm->addr);
			if (cm->host.family == AF_INET || cm->host.family == AF_INET6)
				sg_dp_ip_from_cfg(&m->host, &cm->host);
			else
				m->host = m->addr;
			if (m->addr.family != AF_INET && m->addr.family != AF_INET6) {
				(void)snprintf(err, errlen, "pool %s member %s: no address",
					       p->name, m->name);
				sg_dp_slot_index_free(&mi);
				return -EINVAL;
			}
		}
		n += cp->n_members;
	}
	/* pass 0: keep the slots of members that existed before; pass 1: new ones */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < t->n_members; i++) {
			struct sg_dp_member *m = &t->members[i];
			int s;

			if (m->slot != SG_DP_NO_MEMBER)
				continue;
			if (pass == 0) {
				s = sg_dp_slot_member_find(&mi, m->pool, m->name);
				if (s < 0 || used[s])
					continue;
			} else {
				s = sg_dp_slot_pick(used,
						    prev ? (const void *const *)prev->member_by_slot
							 : NULL,
						    SG_DP_MEMBER_SLOTS);
			}
			used[s] = true;
			m->slot = (uint16_t)s;
			t->member_by_slot[s] = m;
		}
	}
	sg_dp_slot_index_free(&mi);
	return 0;
}

/*
 * no_live_member fallback: while the VS's pool has no live member, its
 * scheduler is built on the fallback pool's live members instead (tables
 * are rebuilt on every member state change, so this follows the state).
 */
static int
build_fallback(struct sg_dp_tables *t, const struct sg_cfg *cfg, const struct sg_cfg_vs *cv,
	       struct sg_dp_vs *vs, char *err, size_t errlen)
{
	const struct sg_dp_pool *fb;
	unsigned int j, n_cfg_active = vs->n_cfg_active;
	int rc;

	vs->cfg_pool = vs->pool;
	vs->no_live = cv->no_live_member;
	/* brokered and redirect services are scheduled by sg-control: nothing to build */
	if (vs->no_live != SG_CFG_NO_MEMBER_FALLBACK ||
	    (vs->mode != SG_CFG_MODE_NAT && vs->mode != SG_CFG_MODE_DSR))
		return 0;
	if (cv->fallback_pool >= cfg->n_pools || cv->fallback_pool == cv->pool) {
		(void)snprintf(err, errlen,
			       "virtual service %s: no_live_member fallback needs a fallback_pool "
			       "other than its pool",
			       vs->name);
		return -EINVAL;
	}
	fb = &t->pools[cv->fallback_pool];
	for (j = 0; vs->mode == SG_CFG_MODE_NAT && j < fb->n_members; j++) {
		if (fb->members[j].addr.family != vs->vip.family) {
			(void)snprintf(err, errlen,
				       "virtual service %s: nat mode: member %s of fallback pool "
				       "%s is not of the VIP's family",
				       vs->name, fb->members[j].name, fb->name);
			return -EINVAL;
		}
	}
	if (vs->n_active > 0 || n_cfg_active == 0)
		return 0;
	free(vs->maglev);
	free(vs->wrr);
	vs->maglev = NULL;
	vs->wrr = NULL;
	vs->pool = fb;
	rc = sg_dp_sched_build(vs, err, errlen);
	vs->n_cfg_active = n_cfg_active;
	return rc;
}

static int
build_vs(struct sg_dp_tables *t, const struct sg_cfg *cfg, const struct sg_dp_tables *prev,
	 char *err, size_t errlen)
{
	bool used[SG_DP_VS_SLOTS] = {false};
	uint64_t hz = rte_get_tsc_hz();
	unsigned int i, pass;
	int rc;

	if (cfg->n_vs > SG_DP_VS_SLOTS) {
		(void)snprintf(err, errlen, "%u virtual services, the data plane has %u slots",
			       cfg->n_vs, SG_DP_VS_SLOTS);
		return -EINVAL;
	}
	if (cfg->n_vs > 0 && cfg->vs == NULL) {
		(void)snprintf(err, errlen, "virtual services missing");
		return -EINVAL;
	}
	t->vs = calloc(RTE_MAX(cfg->n_vs, 1u), sizeof(*t->vs));
	if (t->vs == NULL)
		return -ENOMEM;
	t->n_vs = cfg->n_vs;
	for (i = 0; i < cfg->n_vs; i++) {
		const struct sg_cfg_vs *cv = &cfg->vs[i];
		struct sg_dp_vs *vs = &t->vs[i];
		struct sg_dp_flow_key k;
		unsigned int j;

		(void)snprintf(vs->name, sizeof(vs->name), "%s", cv->name);
		vs->slot = SG_DP_NO_MEMBER;
		sg_dp_ip_from_cfg(&vs->vip, &cv->vip);
		if (vs->vip.family != AF_INET && vs->vip.family != AF_INET6) {
			(void)snprintf(err, errlen, "virtual service %s: no VIP", vs->name);
			return -EINVAL;
		}
		if (cv->proto != SG_CFG_PROTO_TCP && cv->proto != SG_CFG_PROTO_UDP) {
			(void)snprintf(err, errlen, "virtual service %s: protocol %d not tcp/udp",
				       vs->name, (int)cv->proto);
			return -EINVAL;
		}
		if (cv->pool >= cfg->n_pools) {
			(void)snprintf(err, errlen,
				       "virtual service %s: pool index %u out of range", vs->name,
				       cv->pool);
			return -EINVAL;
		}
		vs->port = cv->port;
		vs->proto = (uint8_t)cv->proto;
		vs->mode = cv->mode;
		vs->sched = cv->scheduler;
		vs->encap = cv->encap;
		vs->gue_port = cv->gue_port ? cv->gue_port : SG_WIRE_GUE_PORT;
		vs->pool = &t->pools[cv->pool];
		vs->max_flows = cv->max_flows;
		vs->tmo_tcp_est = secs_to_tsc(cv->tcp_timeout_s, 300, hz);
		vs->tmo_tcp_trans = secs_to_tsc(cv->tcp_transitory_s, 30, hz);
		vs->tmo_udp = secs_to_tsc(cv->udp_timeout_s, 60, hz);
		vs->br = cv->brokered;
		vs->hold_tmo = hz / 1000 * cv->brokered.hold_timeout_ms;
		vs->syn_proxy = cv->syn_proxy;
		vs->syn_proxy_rate = cv->syn_proxy_rate;
		vs->syn_proxy_fill_pct = cv->syn_proxy_fill_pct;
		vs->syn_proxy_hold_s = cv->syn_proxy_hold_s;
		vs->maglev_size = cv->maglev_size ? cv->maglev_size : SG_DP_MAGLEV_DEFAULT;
		if (vs->sched == SG_CFG_SCHED_MAGLEV &&
		    (vs->maglev_size > SG_DP_MAGLEV_MAX || !sg_dp_is_prime(vs->maglev_size) ||
		     vs->maglev_size < 2 * SG_CFG_MEMBERS_MAX)) {
			(void)snprintf(
				err, errlen,
				"virtual service %s: maglev_size %u must be a prime in [%u, %u]",
				vs->name, vs->maglev_size, 2 * SG_CFG_MEMBERS_MAX,
				SG_DP_MAGLEV_MAX);
			return -EINVAL;
		}
		if (vs->mode == SG_CFG_MODE_NAT) {
			unsigned int nf = vs->vip.family == AF_INET ? t->n_nat4 : t->n_nat6;

			if (nf == 0) {
				(void)snprintf(
					err, errlen,
					"virtual service %s: nat mode needs a NAT address of the "
					"VIP's family (nat.addresses)",
					vs->name);
				return -EINVAL;
			}
			for (j = 0; j < vs->pool->n_members; j++) {
				if (vs->pool->members[j].addr.family != vs->vip.family) {
					(void)snprintf(
						err, errlen,
						"virtual service %s: nat mode: member %s of pool "
						"%s is not of the VIP's family",
						vs->name, vs->pool->members[j].name,
						vs->pool->name);
					return -EINVAL;
				}
			}
		}
		rc = sg_dp_sched_build(vs, err, errlen);
		if (rc == 0)
			rc = build_fallback(t, cfg, cv, vs, err, errlen);
		if (rc < 0)
			return rc;
		addr_key(&k, vs->vip.family, vs->vip.a);
		k.dport = rte_cpu_to_be_16(vs->port);
		k.proto = vs->proto;
		if (rte_hash_lookup(t->vs_hash, &k) >= 0) {
			(void)snprintf(err, errlen,
				       "virtual service %s: VIP, port and protocol already used",
				       vs->name);
			return -EINVAL;
		}
		rc = rte_hash_add_key_data(t->vs_hash, &k, (void *)(uintptr_t)i);
		if (rc < 0) {
			(void)snprintf(err, errlen, "virtual service %s: hash add failed (%d)",
				       vs->name, rc);
			return rc;
		}
		rc = addr_add(t, &cv->vip, SG_DP_ADDR_VIP, 0, err, errlen);
		if (rc < 0)
			return rc;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < t->n_vs; i++) {
			struct sg_dp_vs *vs = &t->vs[i];
			int s;

			if (vs->slot != SG_DP_NO_MEMBER)
				continue;
			if (pass == 0) {
				s = sg_dp_slot_prev_vs(prev, vs->name);
				if (s < 0 || used[s])
					continue;
			} else {
				s = sg_dp_slot_pick(
					used, prev ? (const void *const *)prev->vs_by_slot : NULL,
					SG_DP_VS_SLOTS);
			}
			used[s] = true;
			vs->slot = (uint16_t)s;
			t->vs_by_slot[s] = vs;
		}
	}
	return 0;
}

int
sg_dp_tables_build(const struct sg_cfg *cfg, const struct sg_dp_tables *prev,
		   const struct sg_dp_port_info ports[SG_DP_PORTS_MAX], struct sg_dp_tables **out,
		   char *err, size_t errlen)
{
	return sg_dp_tables_build_health(cfg, prev, ports, NULL, out, err, errlen);
}

int
sg_dp_tables_build_health(const struct sg_cfg *cfg, const struct sg_dp_tables *prev,
			  const struct sg_dp_port_info ports[SG_DP_PORTS_MAX],
			  const struct sg_dp_health *health, struct sg_dp_tables **out, char *err,
			  size_t errlen)
{
	char dummy[8];
	struct sg_dp_tables *t;
	unsigned int i, n_addr;
	int rc;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (cfg == NULL || out == NULL) {
		(void)snprintf(err, errlen, "data plane tables: no configuration");
		return -EINVAL;
	}
	*out = NULL;
	if (cfg->appliance.n_ports > SG_DP_PORTS_MAX || cfg->nat.n_addrs > SG_CFG_NAT_ADDRS_MAX) {
		(void)snprintf(err, errlen, "data plane tables: too many ports or NAT addresses");
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->generation = __atomic_add_fetch(&tables_generation, 1, __ATOMIC_RELAXED);

	n_addr = cfg->n_vs + cfg->nat.n_addrs + 2 * cfg->appliance.n_ports +
		 cfg->appliance.cluster.bgp.n_backup;
	t->addr_info = calloc(RTE_MAX(n_addr, 1u), sizeof(*t->addr_info));
	if (t->addr_info == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	t->addr_hash = hash_create("addr", n_addr, err, errlen);
	t->vs_hash = t->addr_hash ? hash_create("vs", cfg->n_vs, err, errlen) : NULL;
	if (t->vs_hash == NULL) {
		rc = -ENOMEM;
		goto fail;
	}

	for (i = 0; i < cfg->appliance.n_ports; i++) {
		const struct sg_cfg_port *cp = &cfg->appliance.ports[i];
		struct sg_dp_port_tab *pt = &t->ports[i];

		pt->present = ports ? ports[i].present : true;
		if (ports)
			pt->mac = ports[i].mac;
		pt->mtu = cp->mtu ? cp->mtu : 1500;
		pt->addr4 = cp->addr4;
		pt->addr6 = cp->addr6;
		pt->gw4 = cp->gateway4;
		pt->gw6 = cp->gateway6;
		rc = addr_add(t, &cp->addr4, SG_DP_ADDR_OWN, i, err, errlen);
		if (rc == 0)
			rc = addr_add(t, &cp->addr6, SG_DP_ADDR_OWN, i, err, errlen);
		if (rc < 0)
			goto fail;
	}

	t->nat_port_min = cfg->nat.port_min ? cfg->nat.port_min : 1024;
	t->nat_port_max = cfg->nat.port_max ? cfg->nat.port_max : 65535;
	if (t->nat_port_min > t->nat_port_max) {
		(void)snprintf(err, errlen, "nat: port_min %u > port_max %u", t->nat_port_min,
			       t->nat_port_max);
		rc = -EINVAL;
		goto fail;
	}
	for (i = 0; i < cfg->nat.n_addrs; i++) {
		const struct sg_cfg_addr *a = &cfg->nat.addrs[i];

		if (a->family == AF_INET)
			sg_dp_ip_from_cfg(&t->nat4[t->n_nat4++], a);
		else if (a->family == AF_INET6)
			sg_dp_ip_from_cfg(&t->nat6[t->n_nat6++], a);
		rc = addr_add(t, a, SG_DP_ADDR_NAT, 0, err, errlen);
		if (rc < 0)
			goto fail;
	}
	for (i = 0; cfg->appliance.cluster.sync.enabled && i < cfg->appliance.cluster.bgp.n_backup;
	     i++) {
		rc = addr_add(t, &cfg->appliance.cluster.bgp.backup[i], SG_DP_ADDR_PEER_NAT, 0, err,
			      errlen);
		if (rc < 0)
			goto fail;
	}

	rc = build_pools(t, cfg, prev, err, errlen);
	if (rc == 0) {
		sg_dp_health_to_tables(health, t);
		rc = build_vs(t, cfg, prev, err, errlen);
	}
	if (rc < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	if (rc == -ENOMEM && err[0] == '\0')
		(void)snprintf(err, errlen, "data plane tables: out of memory");
	sg_dp_tables_free(t);
	return rc;
}

void
sg_dp_tables_free(struct sg_dp_tables *t)
{
	unsigned int i;

	if (t == NULL)
		return;
	for (i = 0; t->vs != NULL && i < t->n_vs; i++) {
		free(t->vs[i].maglev);
		free(t->vs[i].wrr);
	}
	free(t->vs);
	free(t->pools);
	free(t->members);
	free(t->addr_info);
	rte_hash_free(t->vs_hash);
	rte_hash_free(t->addr_hash);
	free(t);
}

const char *
sg_dp_tables_vs_name(const struct sg_dp_tables *t, unsigned int slot)
{
	if (t == NULL || slot >= SG_DP_VS_SLOTS || t->vs_by_slot[slot] == NULL)
		return NULL;
	return t->vs_by_slot[slot]->name;
}

const char *
sg_dp_tables_member_name(const struct sg_dp_tables *t, unsigned int slot, const char **pool)
{
	const struct sg_dp_member *m;

	if (t == NULL || slot >= SG_DP_MEMBER_SLOTS || t->member_by_slot[slot] == NULL)
		return NULL;
	m = t->member_by_slot[slot];
	if (pool)
		*pool = m->pool;
	return m->name;
}
