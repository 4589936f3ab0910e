/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Attaching the shared-memory region of sg_msg.h from a process without
 * EAL (sg-control, the benchmark's control responder): validate the header
 * the data plane wrote, then locate every worker's pair of rings. The
 * region is hostile input too: every offset and size is checked against
 * the mapping before a ring is used.
 */
#ifndef SESSIONGATE_SG_SHM_H
#define SESSIONGATE_SG_SHM_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sessiongate/sg_msg.h"

/** The ring at @p off in a region of @p size bytes at @p base, or NULL if it is not one. */
static inline struct rte_ring *
sg_shm_ring_at(void *base, size_t size, uint64_t off, uint32_t ring_size)
{
	ssize_t need = rte_ring_get_memsize_elem(SG_MSG_SIZE, ring_size);
	struct rte_ring *r;

	if (need < 0 || off % 64 != 0 || off < sizeof(struct sg_shm_hdr) || off > size ||
	    (uint64_t)need > size - off)
		return NULL;
	r = (struct rte_ring *)((uint8_t *)base + off);
	if (r->size != ring_size || r->mask != ring_size - 1 || r->capacity == 0 ||
	    r->capacity > r->mask)
		return NULL;
	return r;
}

/**
 * Validate the header at @p base (region of @p size bytes) and fill
 * @p dp2ctl / @p ctl2dp (SG_SHM_RINGS_MAX / 2 entries each) and
 * @p n_workers.
 *
 * @return 0; -EAGAIN (no magic yet: the data plane may still be writing
 *   it), -EPROTONOSUPPORT (other layout or message version), -EPROTO (a
 *   field out of range, a ring outside the region); @p why says which.
 */
static inline int
sg_shm_attach_rings(void *base, size_t size, struct rte_ring **dp2ctl, struct rte_ring **ctl2dp,
		    unsigned int *n_workers, char *why, size_t whylen)
{
	const struct sg_shm_hdr *h = (const struct sg_shm_hdr *)base;
	uint32_t i, magic;

	if (size < sizeof(*h)) {
		snprintf(why, whylen, "region of %zu bytes is smaller than its header", size);
		return -EPROTO;
	}
	magic = __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE);
	if (magic != SG_SHM_MAGIC) {
		snprintf(why, whylen, "magic %#x, expected %#x", magic, SG_SHM_MAGIC);
		return -EAGAIN;
	}
	if (h->layout != SG_SHM_LAYOUT || h->msg_version != SG_MSG_VERSION) {
		snprintf(why, whylen, "layout %u msg version %u, expected %u/%u", h->layout,
			 h->msg_version, SG_SHM_LAYOUT, SG_MSG_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (h->elem_size != SG_MSG_SIZE || h->n_rings == 0 || h->n_rings % 2 != 0 ||
	    h->n_rings > SG_SHM_RINGS_MAX || h->ring_size < 2 || h->ring_size > (1u << 20) ||
	    (h->ring_size & (h->ring_size - 1)) != 0) {
		snprintf(why, whylen, "elem_size %u n_rings %u ring_size %u out of range",
			 h->elem_size, h->n_rings, h->ring_size);
		return -EPROTO;
	}
	for (i = 0; i < h->n_rings / 2; i++) {
		dp2ctl[i] = sg_shm_ring_at(base, size, h->ring_offset[SG_SHM_RING_DP2CTL(i)],
					   h->ring_size);
		ctl2dp[i] = sg_shm_ring_at(base, size, h->ring_offset[SG_SHM_RING_CTL2DP(i)],
					   h->ring_size);
		if (dp2ctl[i] == NULL || ctl2dp[i] == NULL) {
			snprintf(why, whylen, "ring of worker %u outside the region or malformed",
				 i);
			return -EPROTO;
		}
	}
	*n_workers = h->n_rings / 2;
	return 0;
}

#endif /* SESSIONGATE_SG_SHM_H */
