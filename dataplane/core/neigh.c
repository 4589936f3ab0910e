/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table shared by all workers and the main lcore, without locks.
 *
 * A fixed open-addressed array of cache-line entries, sized by
 * appliance.neighbours. A key (port, family, address) is claimed with one
 * compare-and-swap on the entry's state and published with a release
 * store. A MAC and its valid bit travel in one 64-bit word, written with
 * one atomic store, so a reader never sees half a MAC.
 *
 * Who may create an entry: a worker that needs a next hop (a miss marks it
 * "wanted"; the main lcore solicits it), the main lcore pinning the next
 * hops of the tables (gateways, members, member hosts), and static
 * neighbours. ARP and neighbour advertisements only refresh an entry that
 * exists (sg_dp_neigh_update): an unsolicited answer or a request from an
 * arbitrary on-link sender creates nothing.
 *
 * Entries are never emptied (an empty slot ends a probe chain): a freed
 * slot keeps its state valid with family 0 and is reused first. A new key
 * whose probe window is full replaces the least recently used unpinned
 * entry. Each re-key bumps the entry's generation, which flows caching the
 * entry compare (sg_dp_neigh_entry_mac), so a cached pointer never yields
 * another neighbour's MAC. The main lcore ages unpinned entries: unused for
 * NEIGH_UNUSED_S, or still unanswered after NEIGH_PROBES solicitations.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "core/neigh.h"
#include "core/tables.h"

#define NEIGH_PROBE	   32  /* slots probed per key */
#define NEIGH_STALE_S	   30  /* refresh a MAC older than this when it is used */
#define NEIGH_UNUSED_S	   300 /* age an unpinned entry unused this long */
#define NEIGH_PROBES	   3   /* solicitations without answer before an entry is aged */
#define NEIGH_RESOLICIT_MS 1000
#define NEIGH_MIN	   64
#define NEIGH_MAX	   (1u << 20)

enum { NE_EMPTY = 0, NE_FILLING = 1, NE_VALID = 2 };

struct sg_dp_neigh *
sg_dp_neigh_create(unsigned int entries, int socket)
{
	struct sg_dp_neigh *n;
	uint32_t sz = NEIGH_MIN;

	if (entries > NEIGH_MAX) {
		rte_errno = EINVAL;
		return NULL;
	}
	while (sz < entries)
		sz <<= 1;
	n = rte_zmalloc_socket("sgdp_neigh", sizeof(*n), 0, socket);
	if (n == NULL)
		return NULL;
	n->e = rte_zmalloc_socket("sgdp_neigh_e", sizeof(*n->e) * sz, RTE_CACHE_LINE_SIZE, socket);
	if (n->e == NULL) {
		rte_free(n);
		return NULL;
	}
	n->mask = sz - 1;
	n->second_tsc = rte_get_tsc_hz();
	n->stale_tsc = NEIGH_STALE_S * n->second_tsc;
	n->unused_tsc = NEIGH_UNUSED_S * n->second_tsc;
	n->pin_gen = UINT64_MAX;
	return n;
}

void
sg_dp_neigh_free(struct sg_dp_neigh *n)
{
	if (n == NULL)
		return;
	rte_free(n->e);
	rte_free(n);
}

static uint32_t
neigh_hash(uint16_t port, uint8_t family, const uint8_t *a)
{
	uint32_t k[4] = {0}; /* aligned copy: the address may sit anywhere in a packet */

	memcpy(k, a, family == AF_INET ? 4 : 16);
	return rte_jhash(k, family == AF_INET ? 4 : 16, (uint32_t)port << 8 | family);
}

static bool
key_eq(const struct sg_dp_neigh_entry *e, uint16_t port, uint8_t family, const uint8_t *a)
{
	return e->port == port && e->family == family &&
	       memcmp(e->a, a, family == AF_INET ? 4 : 16) == 0;
}

static void
cnt_add(struct sg_dp_neigh *n, enum sg_dp_neigh_cnt c)
{
	__atomic_fetch_add(&n->cnt[c], 1, __ATOMIC_RELAXED);
}

/* Last sign of life of an entry: its last use or answer. */
static uint64_t
entry_age_ref(const struct sg_dp_neigh_entry *e)
{
	uint64_t u = __atomic_load_n(&e->used, __ATOMIC_RELAXED);
	uint64_t l = __atomic_load_n(&e->learned, __ATOMIC_RELAXED);

	return u > l ? u : l;
}

/*
 * Take slot @p e (state @p st, already claimed or to be claimed) for a key:
 * the generation moves first, then the MAC is cleared, then the key is
 * written and published.
 */
static bool
entry_claim(struct sg_dp_neigh_entry *e, uint32_t st, uint16_t port, uint8_t family,
	    const uint8_t *a, uint64_t now)
{
	if (!__atomic_compare_exchange_n(&e->state, &st, NE_FILLING, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	__atomic_fetch_add(&e->gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&e->mac, 0, __ATOMIC_RELEASE);
	e->port = (uint8_t)port;
	e->family = family;
	memset(e->a, 0, sizeof(e->a));
	if (family != 0)
		memcpy(e->a, a, family == AF_INET ? 4 : 16);
	e->pinned = 0;
	e->probes = 0;
	e->solicited = 0;
	__atomic_store_n(&e->wanted, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->learned, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->used, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->state, NE_VALID, __ATOMIC_RELEASE);
	return true;
}

/*
 * Find the entry of a key; with @p create claim a slot for it: a free or
 * empty one of its probe window, else the least recently used unpinned
 * entry of the window (counted evicted), else none (counted full).
 */
static struct sg_dp_neigh_entry *
neigh_find(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a, bool create,
	   uint64_t now)
{
	struct sg_dp_neigh_entry *free_e = NULL, *lru = NULL;
	uint32_t h = neigh_hash(port, family, a), i;
	uint64_t lru_ref = UINT64_MAX;

	for (i = 0; i < NEIGH_PROBE; i++) {
		struct sg_dp_neigh_entry *e = &n->e[(h + i) & n->mask];
		uint32_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);

		if (st == NE_EMPTY) {
			if (free_e == NULL)
				free_e = e;
			break; /* an empty slot ends the chain */
		}
		if (st == NE_FILLING)
			continue; /* another lcore is filling it; probe on */
		if (e->family == 0) {
			if (free_e == NULL)
				free_e = e;
			continue;
		}
		if (key_eq(e, port, family, a))
			return e;
		if (!e->pinned && entry_age_ref(e) < lru_ref) {
			lru_ref = entry_age_ref(e);
			lru = e;
		}
	}
	if (!create)
		return NULL;
	if (free_e != NULL) {
		uint32_t st = __atomic_load_n(&free_e->state, __ATOMIC_ACQUIRE);

		if ((st == NE_EMPTY || (st == NE_VALID && free_e->family == 0)) &&
		    entry_claim(free_e, st, port, family, a, now))
			return free_e;
	}
	if (lru != NULL && entry_claim(lru, NE_VALID, port, family, a, now)) {
		cnt_add(n, SG_DP_NEIGH_EVICTED);
		return lru;
	}
	cnt_add(n, SG_DP_NEIGH_FULL);
	return NULL;
}

static uint64_t
mac_pack(const struct rte_ether_addr *m)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		v |= (uint64_t)m->addr_bytes[i] << (8 * i);
	return v | SG_DP_NEIGH_MAC_VALID;
}

struct sg_dp_neigh_entry *
sg_dp_neigh_get(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		uint64_t now, struct rte_ether_addr *mac, uint32_t *gen)
{
	struct sg_dp_neigh_entry *e = neigh_find(n, port, family, a, false, now);
	uint32_t g;

	if (e == NULL) {
		e = neigh_find(n, port, family, a, true, now);
		if (e != NULL)
			__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	g = __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE);
	if (!key_eq(e, port, family, a) || !sg_dp_neigh_entry_mac(n, e, g, now, mac))
		return NULL;
	*gen = g;
	return e;
}

bool
sg_dp_neigh_lookup(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		   uint64_t now, struct rte_ether_addr *mac)
{
	uint32_t gen;

	return sg_dp_neigh_get(n, port, family, a, now, mac, &gen) != NULL;
}

static void
entry_set_mac(struct sg_dp_neigh_entry *e, const struct rte_ether_addr *mac, uint64_t now)
{
	__atomic_store_n(&e->mac, mac_pack(mac), __ATOMIC_RELEASE);
	__atomic_store_n(&e->learned, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->wanted, 0, __ATOMIC_RELAXED);
}

/* Set the MAC of (port, family, a); with @p create make the entry, pinned, if missing. */
static bool
neigh_set(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
	  const struct rte_ether_addr *mac, uint64_t now, bool create)
{
	struct sg_dp_neigh_entry *e;

	if (!rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return false;
	e = neigh_find(n, port, family, a, false, now);
	if (e == NULL && create)
		e = neigh_find(n, port, family, a, true, now);
	if (e == NULL)
		return false;
	if (create)
		e->pinned = 1; /* static: never evicted or aged */
	entry_set_mac(e, mac, now);
	return true;
}

bool
sg_dp_neigh_learn(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		  const struct rte_ether_addr *mac, uint64_t now)
{
	return neigh_set(n, port, family, a, mac, now, true);
}

bool
sg_dp_neigh_update(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		   const struct rte_ether_addr *mac, uint64_t now)
{
	return neigh_set(n, port, family, a, mac, now, false);
}

bool
sg_dp_neigh_learnable(const struct sg_dp_tables *t, uint16_t port, uint8_t family, const uint8_t *a)
{
	const struct sg_dp_port_tab *pt;
	struct sg_dp_ip gw;

	if (port >= SG_DP_PORTS_MAX)
		return false;
	pt = &t->ports[port];
	if (family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return true; /* link-local */
	if (sg_dp_prefix_match(family == AF_INET ? &pt->addr4 : &pt->addr6, family, a))
		return true;
	sg_dp_ip_from_cfg(&gw, family == AF_INET ? &pt->gw4 : &pt->gw6);
	return gw.family == family && memcmp(gw.a, a, family == AF_INET ? 4 : 16) == 0;
}

static struct rte_mbuf *
build_arp_request(const struct sg_dp_port_tab *pt, const uint8_t *target, struct rte_mempool *mp)
{
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	struct rte_mbuf *m;

	if (pt->addr4.family != AF_INET)
		return NULL;
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ah));
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	ah = (struct rte_arp_hdr *)(eh + 1);
	memset(&eh->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	eh->src_addr = pt->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	ah->arp_data.arp_sha = pt->mac;
	ah->arp_data.arp_sip = pt->addr4.v4;
	memset(&ah->arp_data.arp_tha, 0, RTE_ETHER_ADDR_LEN);
	memcpy(&ah->arp_data.arp_tip, target, 4);
	return m;
}

static struct rte_mbuf *
build_ns(const struct sg_dp_port_tab *pt, const uint8_t *target, struct rte_mempool *mp)
{
	const size_t icmp_len = 24 + 8; /* header, target, source link-layer address option */
	struct rte_ether_hdr *eh;
	struct rte_ipv6_hdr *ip;
	uint8_t *icmp;
	struct rte_mbuf *m;

	if (pt->addr6.family != AF_INET6)
		return NULL;
	m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eh) + sizeof(*ip) + icmp_len);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	ip = (struct rte_ipv6_hdr *)(eh + 1);
	icmp = (uint8_t *)(ip + 1);
	/* solicited-node multicast ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX */
	eh->dst_addr.addr_bytes[0] = 0x33;
	eh->dst_addr.addr_bytes[1] = 0x33;
	eh->dst_addr.addr_bytes[2] = 0xff;
	memcpy(&eh->dst_addr.addr_bytes[3], target + 13, 3);
	eh->src_addr = pt->mac;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16((uint16_t)icmp_len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 255;
	memcpy(ip->src_addr, pt->addr6.v6, 16);
	memset(ip->dst_addr, 0, 16);
	ip->dst_addr[0] = 0xff;
	ip->dst_addr[1] = 0x02;
	ip->dst_addr[11] = 0x01;
	ip->dst_addr[12] = 0xff;
	memcpy(&ip->dst_addr[13], target + 13, 3);
	memset(icmp, 0, icmp_len);
	icmp[0] = 135; /* neighbour solicitation */
	memcpy(icmp + 8, target, 16);
	icmp[24] = 1; /* source link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, &pt->mac, RTE_ETHER_ADDR_LEN);
	{
		uint16_t ck = rte_ipv6_udptcp_cksum(ip, icmp);

		memcpy(icmp + 2, &ck, 2);
	}
	return m;
}

/* Main lcore: free an unpinned entry nobody used lately, or that never answered. */
static void
entry_age(struct sg_dp_neigh *n, struct sg_dp_neigh_entry *e, uint64_t now, uint64_t gap)
{
	bool resolved = __atomic_load_n(&e->mac, __ATOMIC_RELAXED) & SG_DP_NEIGH_MAC_VALID;

	if (e->pinned || e->family == 0)
		return;
	if (resolved ? now <= entry_age_ref(e) + n->unused_tsc
		     : e->probes < NEIGH_PROBES || now < e->solicited + gap)
		return;
	if (entry_claim(e, NE_VALID, 0, 0, NULL, now))
		cnt_add(n, SG_DP_NEIGH_AGED);
}

unsigned int
sg_dp_neigh_solicit(struct sg_dp_neigh *n, const struct sg_dp_tables *t, struct rte_mempool *pool,
		    uint64_t now_tsc, struct rte_mbuf **out, uint16_t *out_port, unsigned int max)
{
	uint64_t gap = rte_get_tsc_hz() * NEIGH_RESOLICIT_MS / 1000;
	unsigned int cnt = 0;
	uint32_t i;

	if (n == NULL || t == NULL || pool == NULL)
		return 0;
	for (i = 0; i <= n->mask; i++) {
		struct sg_dp_neigh_entry *e = &n->e[i];
		const struct sg_dp_port_tab *pt;
		struct rte_mbuf *m;
		bool resolved;

		if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != NE_VALID)
			continue;
		entry_age(n, e, now_tsc, gap);
		if (cnt >= max || e->family == 0)
			continue;
		resolved = __atomic_load_n(&e->mac, __ATOMIC_RELAXED) & SG_DP_NEIGH_MAC_VALID;
		/* asked for, or unanswered: probe again until NEIGH_PROBES */
		if (!__atomic_load_n(&e->wanted, __ATOMIC_RELAXED) &&
		    (resolved || e->probes == 0 || e->probes >= NEIGH_PROBES))
			continue;
		if (e->solicited != 0 && now_tsc < e->solicited + gap)
			continue;
		if (e->port >= SG_DP_PORTS_MAX || !t->ports[e->port].present)
			continue;
		pt = &t->ports[e->port];
		m = e->family == AF_INET ? build_arp_request(pt, e->a, pool)
					 : build_ns(pt, e->a, pool);
		if (m == NULL)
			continue;
		e->solicited = now_tsc;
		if (!resolved && e->probes < UINT8_MAX)
			e->probes++;
		__atomic_store_n(&e->wanted, 0, __ATOMIC_RELAXED);
		out[cnt] = m;
		out_port[cnt] = e->port;
		cnt++;
	}
	return cnt;
}

/* Pin the next hop towards @p dst (family 0: none). */
static void
pin_nexthop(struct sg_dp_neigh *n, const struct sg_dp_tables *t, const struct sg_dp_ip *dst,
	    uint64_t now)
{
	struct sg_dp_neigh_entry *e;
	struct sg_dp_ip nh;
	int p;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return;
	p = sg_dp_route(t, dst->family, dst->a, &nh);
	if (p < 0)
		return;
	e = neigh_find(n, (uint16_t)p, nh.family, nh.a, false, now);
	if (e == NULL)
		e = neigh_find(n, (uint16_t)p, nh.family, nh.a, true, now);
	if (e == NULL)
		return;
	e->pinned = 1;
	if (!(__atomic_load_n(&e->mac, __ATOMIC_RELAXED) & SG_DP_NEIGH_MAC_VALID))
		__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED);
}

void
sg_dp_neigh_pin(struct sg_dp_neigh *n, const struct sg_dp_tables *t, uint64_t now_tsc)
{
	unsigned int i;

	if (n == NULL || t == NULL || n->pin_gen == t->generation)
		return;
	for (i = 0; i < SG_DP_PORTS_MAX; i++) {
		struct sg_dp_ip gw;

		if (!t->ports[i].present)
			continue;
		sg_dp_ip_from_cfg(&gw, &t->ports[i].gw4);
		pin_nexthop(n, t, &gw, now_tsc);
		sg_dp_ip_from_cfg(&gw, &t->ports[i].gw6);
		pin_nexthop(n, t, &gw, now_tsc);
	}
	for (i = 0; i < t->n_members; i++) {
		pin_nexthop(n, t, &t->members[i].addr, now_tsc);
		pin_nexthop(n, t, &t->members[i].host, now_tsc);
	}
	n->pin_gen = t->generation;
}

unsigned int
sg_dp_neigh_stats(const struct sg_dp_neigh *n, const char **names, uint64_t *vals, unsigned int max)
{
	static const char *const cnames[SG_DP_NEIGH_CNT_MAX] = {
		[SG_DP_NEIGH_EVICTED] = "neigh_evicted",
		[SG_DP_NEIGH_FULL] = "neigh_full",
		[SG_DP_NEIGH_AGED] = "neigh_aged",
	};
	unsigned int k = 0, c;
	uint64_t used = 0;
	uint32_t i;

	if (n == NULL)
		return 0;
	for (c = 0; c < SG_DP_NEIGH_CNT_MAX && k < max; c++, k++) {
		names[k] = cnames[c];
		vals[k] = __atomic_load_n(&n->cnt[c], __ATOMIC_RELAXED);
	}
	for (i = 0; i <= n->mask; i++)
		if (__atomic_load_n(&n->e[i].state, __ATOMIC_ACQUIRE) == NE_VALID &&
		    n->e[i].family != 0)
			used++;
	if (k < max) {
		names[k] = "neigh_entries";
		vals[k++] = used;
	}
	return k;
}
