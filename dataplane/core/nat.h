/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * NAT (nat.c): the per-worker source-port allocator and the address / port
 * rewrite with incremental checksum updates.
 */
#ifndef SG_DP_CORE_NAT_H
#define SG_DP_CORE_NAT_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "core/parse.h"
#include "core/tables.h"

struct sg_dp_worker;

/** NAT port allocator (per worker). */
struct sg_dp_nat_alloc {
	uint16_t *fifo; /**< free ports of this worker within the current range */
	uint32_t head, n;
	uint8_t *used;	   /**< 65536 flags */
	uint16_t min, max; /**< range the fifo was built for (0/0: not built) */
};

int sg_dp_nat_alloc_init(struct sg_dp_nat_alloc *na, int socket);
void sg_dp_nat_alloc_free(struct sg_dp_nat_alloc *na);
/** Allocate a port (host order) of worker @p w within the tables' range; 0 if none. */
uint16_t sg_dp_nat_port_get(struct sg_dp_worker *w, const struct sg_dp_tables *t);
void sg_dp_nat_port_put(struct sg_dp_worker *w, uint16_t port);
/** Worker owning NAT port @p port (host order). */
static inline unsigned int
sg_dp_nat_port_owner(uint16_t port, unsigned int n_workers)
{
	return n_workers > 1 ? port % n_workers : 0;
}
void sg_dp_nat_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p, const uint8_t *src,
		       uint16_t sport, const uint8_t *dst, uint16_t dport);

#endif /* SG_DP_CORE_NAT_H */
