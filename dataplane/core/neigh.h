/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Neighbour table internals (neigh.c): entries shared lock-free by the
 * workers and the main lcore. The program's part of the API is in sg_dp.h.
 */
#ifndef SG_DP_CORE_NEIGH_H
#define SG_DP_CORE_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>

#include "sg_dp.h"
#include "core/tables.h"

#define SG_DP_NEIGH_MAC_VALID (1ull << 63)

/** Counters of the shared table (atomic, slow path only): sg_dp_neigh_counters(). */
enum sg_dp_neigh_cnt {
	SG_DP_NEIGH_EVICTED, /**< least recently used unpinned entry replaced by a new next hop */
	SG_DP_NEIGH_FULL,    /**< no slot: every candidate pinned or being filled */
	SG_DP_NEIGH_AGED,    /**< unused, or never answered after its probes: slot freed */
	SG_DP_NEIGH_CNT_MAX
};

struct sg_dp_neigh_entry {
	uint32_t state; /**< 0 empty, 1 being filled, 2 valid (atomic) */
	uint32_t gen;	/**< bumped each time the slot takes another key (atomic) */
	uint8_t family; /**< 0: a freed slot (valid state, no key) */
	uint8_t port;
	uint8_t wanted; /**< a worker missed on it (atomic) */
	uint8_t pinned; /**< a gateway or member next hop: never evicted or aged */
	uint8_t probes; /**< solicitations since the last answer (main lcore only) */
	uint8_t a[16];
	uint64_t mac;	    /**< MAC in bits 0..47 + SG_DP_NEIGH_MAC_VALID (atomic) */
	uint64_t learned;   /**< TSC of the last learn (atomic) */
	uint64_t used;	    /**< TSC of the last use, to the second (atomic) */
	uint64_t solicited; /**< TSC of the last solicitation (main lcore only) */
} __rte_cache_aligned;

struct sg_dp_neigh {
	struct sg_dp_neigh_entry *e;
	uint32_t mask;
	uint64_t stale_tsc;  /**< age after which a used MAC is refreshed */
	uint64_t second_tsc; /**< granularity of the "used" stamp */
	uint64_t unused_tsc; /**< an unpinned entry unused this long is aged */
	uint64_t pin_gen;    /**< tables generation whose next hops are pinned */
	uint64_t cnt[SG_DP_NEIGH_CNT_MAX];
};

/** MAC of (port, family, a) or false on a miss (the entry is then marked wanted). */
bool sg_dp_neigh_lookup(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
			uint64_t now, struct rte_ether_addr *mac);
/**
 * As sg_dp_neigh_lookup(), returning the entry (NULL on a miss) and its
 * generation in @p gen so that a flow can cache it: an entry may be evicted
 * and its slot reused, which sg_dp_neigh_entry_mac() detects by @p gen.
 */
struct sg_dp_neigh_entry *sg_dp_neigh_get(struct sg_dp_neigh *n, uint16_t port, uint8_t family,
					  const uint8_t *a, uint64_t now,
					  struct rte_ether_addr *mac, uint32_t *gen);
/**
 * MAC of a cached entry of generation @p gen; false if it is not valid
 * (then marked wanted) or the slot now holds another key.
 */
static inline bool
sg_dp_neigh_entry_mac(const struct sg_dp_neigh *n, struct sg_dp_neigh_entry *e, uint32_t gen,
		      uint64_t now, struct rte_ether_addr *mac)
{
	uint64_t v = __atomic_load_n(&e->mac, __ATOMIC_ACQUIRE);

	/* read after the MAC: a slot re-keyed since bumped gen before its new MAC */
	if (unlikely(__atomic_load_n(&e->gen, __ATOMIC_RELAXED) != gen))
		return false;
	if (unlikely(!(v & SG_DP_NEIGH_MAC_VALID))) {
		if (!__atomic_load_n(&e->wanted, __ATOMIC_RELAXED))
			__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED);
		return false;
	}
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	/* bits 0..47 are the MAC's bytes in memory order: one 4- and one 2-byte copy */
	memcpy(mac->addr_bytes, &v, RTE_ETHER_ADDR_LEN);
#else
	for (unsigned int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(v >> (8 * i));
#endif
	if (unlikely(now > __atomic_load_n(&e->used, __ATOMIC_RELAXED) + n->second_tsc))
		__atomic_store_n(&e->used, now, __ATOMIC_RELAXED); /* LRU, once a second */
	if (unlikely(now > __atomic_load_n(&e->learned, __ATOMIC_RELAXED) + n->stale_tsc) &&
	    !__atomic_load_n(&e->wanted, __ATOMIC_RELAXED))
		__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED); /* refresh, keep using it */
	return true;
}
/**
 * Learn (create or refresh) a static neighbour, pinned: tests and
 * --test-neigh. Returns true if the table took it.
 */
bool sg_dp_neigh_learn(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		       const struct rte_ether_addr *mac, uint64_t now);
/**
 * Refresh the MAC of an entry that exists because the data plane needs that
 * next hop (a worker missed on it, or it is pinned): what ARP and neighbour
 * advertisements may do. Never creates an entry.
 * @return true if updated, false if no such entry (an unsolicited answer).
 */
bool sg_dp_neigh_update(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
			const struct rte_ether_addr *mac, uint64_t now);
/** May a worker learn @p a on @p port (on-link, gateway, IPv6 link-local)? */
bool sg_dp_neigh_learnable(const struct sg_dp_tables *t, uint16_t port, uint8_t family,
			   const uint8_t *a);

#endif /* SG_DP_CORE_NEIGH_H */
