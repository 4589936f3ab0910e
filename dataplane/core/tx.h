/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The doors of a packet and where it goes: transmit on an output queue,
 * drop with one counter, resolve a destination to an egress port and
 * next-hop MAC (optionally cached in a flow). Header only: called per
 * packet by the worker dispatch and the session layer, so it stays inline.
 */
#ifndef SG_DP_CORE_TX_H
#define SG_DP_CORE_TX_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "sg_dp.h"
#include "core/flow.h"
#include "core/neigh.h"
#include "core/state.h"
#include "core/tables.h"

/** Free @p m received on @p port, counting @p why (one drop counter). */
static inline void
sg_dp_pkt_drop(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m, enum sg_dp_cnt why)
{
	w->stats.cnt[why]++;
	if (port < SG_DP_PORTS_MAX)
		w->stats.port[port].drops++;
	rte_pktmbuf_free(m);
}

/** Queue @p m (received on @p rx_port) for transmission on @p port; drop_tx_full if full. */
static inline void
sg_dp_pkt_tx(struct sg_dp_worker *w, uint16_t rx_port, struct sg_dp_txq *out, uint16_t port,
	     struct rte_mbuf *m)
{
	if (unlikely(out->n[port] >= SG_DP_TXQ_MAX)) {
		sg_dp_pkt_drop(w, rx_port, m, SG_DP_DROP_TX_FULL);
		return;
	}
	w->pend_tx_bytes[port] += rte_pktmbuf_pkt_len(m);
	out->pkts[port][out->n[port]++] = m;
}

/* Route @p dst, then its next hop's neighbour entry (NULL in *ne on a miss). */
static inline enum sg_dp_cnt
sg_dp_route_neigh(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint8_t family,
		  const uint8_t *dst, uint64_t now, uint16_t *port, struct rte_ether_addr *mac,
		  struct sg_dp_neigh_entry **ne, uint32_t *gen)
{
	struct sg_dp_ip nh;
	int p = sg_dp_route(t, family, dst, &nh);

	*ne = NULL;
	if (p < 0)
		return SG_DP_DROP_NO_ROUTE;
	*port = (uint16_t)p;
	*ne = sg_dp_neigh_get(w->conf.neigh, (uint16_t)p, nh.family, nh.a, now, mac, gen);
	return *ne != NULL ? SG_DP_CNT_MAX : SG_DP_DROP_NEIGH_MISS;
}

/** Egress port and next-hop MAC for @p dst, or a drop counter (no_route, neigh_miss). */
static inline enum sg_dp_cnt
sg_dp_resolve(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint8_t family,
	      const uint8_t *dst, uint64_t now, uint16_t *port, struct rte_ether_addr *mac)
{
	struct sg_dp_neigh_entry *ne;
	uint32_t gen;

	return sg_dp_route_neigh(w, t, family, dst, now, port, mac, &ne, &gen);
}

/*
 * sg_dp_resolve_cached() when @p rc does not hold: resolve and cache. Out of
 * line, so that the cached case inlines into its callers without it.
 */
static __rte_noinline __rte_unused enum sg_dp_cnt
sg_dp_resolve_fill(struct sg_dp_worker *w, const struct sg_dp_tables *t,
		   struct sg_dp_route_cache *rc, uint8_t family, const uint8_t *dst, uint64_t now,
		   uint16_t *port, struct rte_ether_addr *mac)
{
	enum sg_dp_cnt res;

	res = sg_dp_route_neigh(w, t, family, dst, now, port, mac, &rc->ne, &rc->ne_gen);
	if (res == SG_DP_CNT_MAX) {
		rc->port = *port;
		rc->tables_gen = t->generation;
	}
	return res;
}

/**
 * sg_dp_resolve() with the answer cached in @p rc: the route is kept while
 * the same tables are published, the neighbour entry while its generation
 * holds (a slot evicted or aged takes another generation); its MAC is read
 * fresh every time. Always inline: an established packet's call costs more
 * than the cached case's checks.
 */
static __rte_always_inline enum sg_dp_cnt
sg_dp_resolve_cached(struct sg_dp_worker *w, const struct sg_dp_tables *t,
		     struct sg_dp_route_cache *rc, uint8_t family, const uint8_t *dst, uint64_t now,
		     uint16_t *port, struct rte_ether_addr *mac)
{
	if (likely(rc->ne != NULL && rc->tables_gen == t->generation) &&
	    sg_dp_neigh_entry_mac(w->conf.neigh, rc->ne, rc->ne_gen, now, mac)) {
		*port = rc->port;
		return SG_DP_CNT_MAX;
	}
	return sg_dp_resolve_fill(w, t, rc, family, dst, now, port, mac);
}

#endif /* SG_DP_CORE_TX_H */
