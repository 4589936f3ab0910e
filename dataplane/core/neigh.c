/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table shared by all workers and the main lcore, without locks.
 *
 * A fixed open-addressed array of cache-line entries. A key (port, family,
 * address) is claimed with one compare-and-swap on the entry's state and
 * published with a release store; keys are never removed (the table is
 * sized for the next hops of the appliance, a full table only costs
 * neigh_miss drops). A MAC and its valid bit travel in one 64-bit word,
 * written with one atomic store, so a reader never sees half a MAC.
 * Workers learn from ARP and neighbour advertisements and mark entries
 * "wanted" on a miss; the main lcore solicits wanted entries.
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

#define NEIGH_PROBE	   32 /* slots probed per key */
#define NEIGH_STALE_S	   30 /* refresh a MAC older than this when it is used */
#define NEIGH_RESOLICIT_MS 1000

enum { NE_EMPTY = 0, NE_FILLING = 1, NE_VALID = 2 };

struct sg_dp_neigh *
sg_dp_neigh_create(unsigned int entries, int socket)
{
	struct sg_dp_neigh *n;
	uint32_t sz = 64;

	if (entries > (1u << 20)) {
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
	n->stale_tsc = NEIGH_STALE_S * rte_get_tsc_hz();
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

/* Find the entry of a key; with @p create claim a free slot for it. */
static struct sg_dp_neigh_entry *
neigh_find(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a, bool create)
{
	uint32_t h = neigh_hash(port, family, a), i;

	for (i = 0; i < NEIGH_PROBE; i++) {
		struct sg_dp_neigh_entry *e = &n->e[(h + i) & n->mask];
		uint32_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);

		if (st == NE_VALID) {
			if (key_eq(e, port, family, a))
				return e;
			continue;
		}
		if (st == NE_FILLING)
			continue; /* another lcore is filling it; probe on */
		if (!create)
			return NULL; /* keys are never removed: an empty slot ends the chain */
		if (__atomic_compare_exchange_n(&e->state, &st, NE_FILLING, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			e->port = (uint8_t)port;
			e->family = family;
			memset(e->a, 0, sizeof(e->a));
			memcpy(e->a, a, family == AF_INET ? 4 : 16);
			__atomic_store_n(&e->mac, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&e->state, NE_VALID, __ATOMIC_RELEASE);
			return e;
		}
		if (st == NE_VALID && key_eq(e, port, family, a))
			return e;
	}
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
		uint64_t now, struct rte_ether_addr *mac)
{
	struct sg_dp_neigh_entry *e = neigh_find(n, port, family, a, false);

	if (e == NULL) {
		e = neigh_find(n, port, family, a, true);
		if (e != NULL)
			__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	return sg_dp_neigh_entry_mac(n, e, now, mac) ? e : NULL;
}

bool
sg_dp_neigh_lookup(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		   uint64_t now, struct rte_ether_addr *mac)
{
	return sg_dp_neigh_get(n, port, family, a, now, mac) != NULL;
}

bool
sg_dp_neigh_learn(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		  const struct rte_ether_addr *mac, uint64_t now)
{
	struct sg_dp_neigh_entry *e;

	if (!rte_is_unicast_ether_addr(mac) || rte_is_zero_ether_addr(mac))
		return false;
	e = neigh_find(n, port, family, a, true);
	if (e == NULL)
		return false;
	__atomic_store_n(&e->mac, mac_pack(mac), __ATOMIC_RELEASE);
	__atomic_store_n(&e->learned, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->wanted, 0, __ATOMIC_RELAXED);
	return true;
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

unsigned int
sg_dp_neigh_solicit(struct sg_dp_neigh *n, const struct sg_dp_tables *t, struct rte_mempool *pool,
		    uint64_t now_tsc, struct rte_mbuf **out, uint16_t *out_port, unsigned int max)
{
	uint64_t gap = rte_get_tsc_hz() * NEIGH_RESOLICIT_MS / 1000;
	unsigned int cnt = 0;
	uint32_t i;

	if (n == NULL || t == NULL || pool == NULL)
		return 0;
	for (i = 0; i <= n->mask && cnt < max; i++) {
		struct sg_dp_neigh_entry *e = &n->e[i];
		const struct sg_dp_port_tab *pt;
		struct rte_mbuf *m;

		if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != NE_VALID ||
		    !__atomic_load_n(&e->wanted, __ATOMIC_RELAXED))
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
		__atomic_store_n(&e->wanted, 0, __ATOMIC_RELAXED);
		out[cnt] = m;
		out_port[cnt] = e->port;
		cnt++;
	}
	return cnt;
}
