/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Full NAT: rewriting of addresses, ports and TTL with incremental
 * checksum updates, and the NAT source port pools of a worker.
 *
 * A worker holds one pool per NAT address: a flow's port is unique per NAT
 * address, so every address adds the whole range. Each worker owns the
 * ports p with p % n_workers == worker id, for every address alike, so the
 * destination port of a return packet names the worker that holds its flow
 * (sg_dp_nat_port_owner()). Free ports wait in a FIFO (a port is reused as
 * late as possible). The pools follow the tables: a new generation gives
 * new NAT addresses a pool and rebuilds the FIFOs of a changed range from
 * the bitmaps, without allocation; a removed address's pool keeps its ports
 * in use until they come back.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "core/csum.h"
#include "core/nat.h"
#include "core/state.h"

#define NAT_PORTS     65536u
#define NAT_BMAP_SIZE (NAT_PORTS / 8)

static_assert(SG_DP_NAT_POOLS <= 64, "sg_dp_nat_sync() keeps a bit per pool in a uint64_t");

int
sg_dp_nat_alloc_init(struct sg_dp_nat_alloc *na, unsigned int n_workers, int socket)
{
	size_t fifo_bytes, per;
	uint8_t *mem;
	unsigned int i;

	memset(na, 0, sizeof(*na));
	if (n_workers == 0)
		return -EINVAL;
	na->fifo_cap = (NAT_PORTS + n_workers - 1) / n_workers;
	fifo_bytes = RTE_ALIGN_CEIL(sizeof(uint16_t) * na->fifo_cap, sizeof(uint64_t));
	per = fifo_bytes + NAT_BMAP_SIZE;
	na->mem = rte_zmalloc_socket("sgdp_nat_pools", per * SG_DP_NAT_POOLS, RTE_CACHE_LINE_SIZE,
				     socket);
	if (na->mem == NULL)
		return -ENOMEM;
	mem = na->mem;
	for (i = 0; i < SG_DP_NAT_POOLS; i++) {
		na->pool[i].fifo = (uint16_t *)(void *)(mem + i * per);
		na->pool[i].used = (uint64_t *)(void *)(mem + i * per + fifo_bytes);
	}
	return 0;
}

void
sg_dp_nat_alloc_free(struct sg_dp_nat_alloc *na)
{
	rte_free(na->mem);
	memset(na, 0, sizeof(*na));
}

static inline bool
port_used(const struct sg_dp_nat_pool *pl, uint16_t p)
{
	return (pl->used[p >> 6] >> (p & 63)) & 1;
}

/* Slot of address @p a in the pool hint: its bytes XOR-folded. */
static inline unsigned int
addr_hint(const struct sg_dp_ip *a)
{
	uint64_t lo, hi, x;

	memcpy(&lo, a->a, 8);
	memcpy(&hi, a->a + 8, 8);
	x = lo ^ hi ^ a->family;
	x ^= x >> 32;
	x ^= x >> 16;
	x ^= x >> 8;
	return (unsigned int)x & (SG_DP_NAT_HINTS - 1);
}

static inline bool
pool_is(const struct sg_dp_nat_pool *pl, const struct sg_dp_ip *a)
{
	uint64_t x[2], y[2];

	memcpy(x, pl->addr.a, 16);
	memcpy(y, a->a, 16);
	return pl->addr.family == a->family && ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/*
 * Index of the pool of @p nat (live pools only when @p live_only), or -1;
 * @p slot: addr_hint(nat). An address has at most one pool (pool_adopt()
 * reuses it), so the hint's pool, when it holds @p nat, is the answer;
 * else every pool is searched.
 */
static inline int
pool_index_at(const struct sg_dp_nat_alloc *na, const struct sg_dp_ip *nat, bool live_only,
	      unsigned int slot)
{
	unsigned int i = na->hint[slot];

	if (likely(pool_is(&na->pool[i], nat)))
		return na->pool[i].live || !live_only ? (int)i : -1;
	for (i = 0; i < SG_DP_NAT_POOLS; i++) {
		const struct sg_dp_nat_pool *pl = &na->pool[i];

		if (pool_is(pl, nat))
			return pl->live || !live_only ? (int)i : -1;
	}
	return -1;
}

static int
pool_index(const struct sg_dp_nat_alloc *na, const struct sg_dp_ip *nat, bool live_only)
{
	return pool_index_at(na, nat, live_only, addr_hint(nat));
}

/* The pool of @p nat (see pool_index_at()), remembered in the hint. */
static inline struct sg_dp_nat_pool *
pool_find(struct sg_dp_nat_alloc *na, const struct sg_dp_ip *nat, bool live_only)
{
	unsigned int slot = addr_hint(nat);
	int i = pool_index_at(na, nat, live_only, slot);

	if (i < 0)
		return NULL;
	na->hint[slot] = (uint8_t)i;
	return &na->pool[i];
}

/* Refill @p pl's FIFO with this worker's free ports of the range. */
static void
pool_fill(const struct sg_dp_worker *w, const struct sg_dp_nat_alloc *na, struct sg_dp_nat_pool *pl)
{
	uint32_t p;

	pl->head = 0;
	pl->n = 0;
	pl->n_stale = 0;
	for (p = na->min; p <= na->max && pl->n < na->fifo_cap; p++)
		if (p != 0 && !port_used(pl, (uint16_t)p) &&
		    sg_dp_nat_port_owner((uint16_t)p, w->conf.n_workers) == w->conf.id)
			pl->fifo[pl->n++] = (uint16_t)p;
}

/* Give @p t's NAT address @p a a live pool; @p was_live: bit per pool before the sync. */
static void
pool_adopt(struct sg_dp_worker *w, const struct sg_dp_ip *a, uint64_t was_live, bool range_changed)
{
	struct sg_dp_nat_alloc *na = &w->nat;
	int k = pool_index(na, a, false);
	unsigned int i;

	if (k < 0) {
		for (i = 0; i < SG_DP_NAT_POOLS && k < 0; i++)
			if (na->pool[i].addr.family == 0)
				k = (int)i;
		if (k < 0)
			return; /* every slot holds a removed address's ports: none for this one */
		na->pool[k].addr = *a;
		na->pool[k].n_used = 0;
		was_live &= ~(UINT64_C(1) << k);
	}
	na->pool[k].live = true;
	na->hint[addr_hint(a)] = (uint8_t)k;
	if (range_changed || !(was_live & (UINT64_C(1) << k)))
		pool_fill(w, na, &na->pool[k]);
}

void
sg_dp_nat_sync(struct sg_dp_worker *w, const struct sg_dp_tables *t)
{
	struct sg_dp_nat_alloc *na = &w->nat;
	uint64_t was_live = 0;
	bool range_changed;
	unsigned int i;

	if (likely(na->synced && na->gen == t->generation))
		return;
	range_changed = !na->synced || na->min != t->nat_port_min || na->max != t->nat_port_max;
	na->min = t->nat_port_min;
	na->max = t->nat_port_max;
	for (i = 0; i < SG_DP_NAT_POOLS; i++) {
		if (na->pool[i].live)
			was_live |= UINT64_C(1) << i;
		na->pool[i].live = false;
	}
	for (i = 0; i < t->n_nat4; i++)
		pool_adopt(w, &t->nat4[i], was_live, range_changed);
	for (i = 0; i < t->n_nat6; i++)
		pool_adopt(w, &t->nat6[i], was_live, range_changed);
	for (i = 0; i < SG_DP_NAT_POOLS; i++) {
		struct sg_dp_nat_pool *pl = &na->pool[i];

		if (pl->live || pl->addr.family == 0)
			continue;
		pl->n = 0; /* removed address: hands out nothing, freed with its last port */
		if (pl->n_used == 0)
			memset(&pl->addr, 0, sizeof(pl->addr));
	}
	na->gen = t->generation;
	na->synced = true;
}

uint16_t
sg_dp_nat_port_get(struct sg_dp_worker *w, const struct sg_dp_tables *t, const struct sg_dp_ip *nat)
{
	struct sg_dp_nat_alloc *na = &w->nat;
	struct sg_dp_nat_pool *pl;
	uint16_t p;

	if (unlikely(!na->synced || na->gen != t->generation))
		sg_dp_nat_sync(w, t);
	pl = pool_find(na, nat, true);
	if (pl == NULL)
		return 0;
	for (;;) {
		if (pl->n == 0)
			return 0;
		p = pl->fifo[pl->head];
		pl->head = pl->head + 1 == na->fifo_cap ? 0 : pl->head + 1;
		pl->n--;
		if (likely(!port_used(pl, p)))
			break;
		if (pl->n_stale > 0) /* reserved for a synced flow (sg_dp_nat_port_reserve()) */
			pl->n_stale--;
	}
	pl->used[p >> 6] |= UINT64_C(1) << (p & 63);
	pl->n_used++;
	return p;
}

int
sg_dp_nat_port_reserve(struct sg_dp_worker *w, const struct sg_dp_tables *t,
		       const struct sg_dp_ip *nat, uint16_t port)
{
	struct sg_dp_nat_pool *pl;

	sg_dp_nat_sync(w, t);
	pl = pool_find(&w->nat, nat, true);
	if (pl == NULL)
		return -ENOENT;
	if (port_used(pl, port))
		return -EBUSY;
	pl->used[port >> 6] |= UINT64_C(1) << (port & 63);
	pl->n_used++;
	/* still in the FIFO when it is this worker's and in the range: skipped there */
	if (port >= w->nat.min && port <= w->nat.max &&
	    sg_dp_nat_port_owner(port, w->conf.n_workers) == w->conf.id)
		pl->n_stale++;
	return 0;
}

void
sg_dp_nat_port_put(struct sg_dp_worker *w, const struct sg_dp_ip *nat, uint16_t port)
{
	struct sg_dp_nat_alloc *na = &w->nat;
	struct sg_dp_nat_pool *pl = pool_find(na, nat, false);

	if (pl == NULL || !port_used(pl, port))
		return;
	pl->used[port >> 6] &= ~(UINT64_C(1) << (port & 63));
	pl->n_used--;
	if (!pl->live) {
		if (pl->n_used == 0)
			memset(&pl->addr, 0, sizeof(pl->addr));
		return;
	}
	if (port >= na->min && port <= na->max && pl->n < na->fifo_cap) {
		uint32_t tail = pl->head + pl->n;

		pl->fifo[tail >= na->fifo_cap ? tail - na->fifo_cap : tail] = port;
		pl->n++;
	}
}

int
sg_dp_nat_pool_ports(const struct sg_dp_worker *w, const struct sg_dp_ip *nat, uint32_t *n_free,
		     uint32_t *n_used)
{
	int i = pool_index(&w->nat, nat, true);

	if (i < 0)
		return -ENOENT;
	*n_free = w->nat.pool[i].n - RTE_MIN(w->nat.pool[i].n_stale, w->nat.pool[i].n);
	*n_used = w->nat.pool[i].n_used;
	return 0;
}

int
sg_dp_worker_nat_ports(const struct sg_dp_worker *w, const struct sg_dp_tables *t, unsigned int i,
		       char *name, size_t len, uint32_t *n_free, uint32_t *n_used)
{
	const struct sg_dp_ip *a;

	if (i >= t->n_nat4 + t->n_nat6)
		return -ENOENT;
	a = i < t->n_nat4 ? &t->nat4[i] : &t->nat6[i - t->n_nat4];
	if (inet_ntop(a->family, a->a, name, (socklen_t)len) == NULL)
		return -ENOSPC;
	if (sg_dp_nat_pool_ports(w, a, n_free, n_used) != 0)
		*n_free = *n_used = 0;
	return 0;
}

void
sg_dp_nat_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p, const uint8_t *src, uint16_t sport,
		  const uint8_t *dst, uint16_t dport)
{
	sg_dp_nat_rewrite_inl(m, p, src, sport, dst, dport);
}
