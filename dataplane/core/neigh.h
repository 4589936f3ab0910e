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

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ether.h>

#include "sg_dp.h"
#include "core/tables.h"

#define SG_DP_NEIGH_MAC_VALID (1ull << 63)

struct sg_dp_neigh_entry {
	uint32_t state; /**< 0 empty, 1 being filled, 2 valid (atomic) */
	uint8_t family;
	uint8_t port;
	uint8_t wanted; /**< a worker missed on it (atomic) */
	uint8_t a[16];
	uint64_t mac;	    /**< MAC in bits 0..47 + SG_DP_NEIGH_MAC_VALID (atomic) */
	uint64_t learned;   /**< TSC of the last learn (atomic) */
	uint64_t solicited; /**< TSC of the last solicitation (main lcore only) */
} __rte_cache_aligned;

struct sg_dp_neigh {
	struct sg_dp_neigh_entry *e;
	uint32_t mask;
	uint64_t stale_tsc; /**< age after which a used MAC is refreshed */
};

/** MAC of (port, family, a) or false on a miss (the entry is then marked wanted). */
bool sg_dp_neigh_lookup(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
			uint64_t now, struct rte_ether_addr *mac);
/**
 * As sg_dp_neigh_lookup(), returning the entry (NULL on a miss) so that a
 * flow can cache it: entries are never removed while the table lives.
 */
struct sg_dp_neigh_entry *sg_dp_neigh_get(struct sg_dp_neigh *n, uint16_t port, uint8_t family,
					  const uint8_t *a, uint64_t now,
					  struct rte_ether_addr *mac);
/** MAC of a cached entry; false if it is not valid (then marked wanted). */
static inline bool
sg_dp_neigh_entry_mac(const struct sg_dp_neigh *n, struct sg_dp_neigh_entry *e, uint64_t now,
		      struct rte_ether_addr *mac)
{
	uint64_t v = __atomic_load_n(&e->mac, __ATOMIC_ACQUIRE);

	if (unlikely(!(v & SG_DP_NEIGH_MAC_VALID))) {
		if (!__atomic_load_n(&e->wanted, __ATOMIC_RELAXED))
			__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED);
		return false;
	}
	for (unsigned int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(v >> (8 * i));
	if (unlikely(now > __atomic_load_n(&e->learned, __ATOMIC_RELAXED) + n->stale_tsc) &&
	    !__atomic_load_n(&e->wanted, __ATOMIC_RELAXED))
		__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED); /* refresh, keep using it */
	return true;
}
/** Learn (create or refresh). Returns true if the table took it. */
bool sg_dp_neigh_learn(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		       const struct rte_ether_addr *mac, uint64_t now);
/** May a worker learn @p a on @p port (on-link, gateway, IPv6 link-local)? */
bool sg_dp_neigh_learnable(const struct sg_dp_tables *t, uint16_t port, uint8_t family,
			   const uint8_t *a);

#endif /* SG_DP_CORE_NEIGH_H */
