/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The shared-memory channel of sg_msg.h (struct sg_shm_hdr, then two SP/SC
 * rte_rings per worker at 64-byte aligned offsets), implemented once in
 * lib/shmchan (link sgshm_dep): the region's size, its initialisation by
 * the data plane (or a process playing it), and the attach of a process
 * without EAL (sg-control, the benchmark's control responder), which
 * validates the header the data plane wrote and locates every ring. The
 * region is hostile input to the attaching side: every offset and size is
 * checked against the mapping before a ring is used.
 *
 * Mapping lifetime, epoch and naming stay with the creator (the data
 * plane); the attach helpers (sg_shm_map_*) map an existing POSIX shm
 * object read-write and tell when it was removed or replaced.
 *
 * Owner: control (lib/shmchan). The layout's meaning is versioned by
 * SG_SHM_LAYOUT in sg_msg.h.
 */
#ifndef SESSIONGATE_SG_SHM_H
#define SESSIONGATE_SG_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sessiongate/sg_msg.h"

struct rte_ring;

/** Workers one region can serve (two rings each). */
#define SG_SHM_WORKERS_MAX (SG_SHM_RINGS_MAX / 2)

/**
 * Bytes of a region for @p n_workers workers and rings of @p ring_size
 * elements.
 *
 * @return the size, or -EINVAL (no worker, too many, or a ring size that
 *   is not a power of two rte_ring accepts).
 */
ssize_t sg_shm_region_size(unsigned int n_workers, unsigned int ring_size);

/**
 * Lay out a region of @p size bytes at @p base (zeroed, at least
 * sg_shm_region_size() bytes): the header, then rte_ring_init() of every
 * ring (no EAL needed), the magic written last with release order so that
 * an attaching process never sees a half-written header. Fills
 * @p dp2ctl / @p ctl2dp (n_workers entries each) when not NULL.
 *
 * @return 0, -EINVAL (sizes out of range), or rte_ring_init's error.
 */
int sg_shm_region_init(void *base, size_t size, unsigned int n_workers, unsigned int ring_size,
		       uint64_t epoch, struct rte_ring **dp2ctl, struct rte_ring **ctl2dp);

/**
 * Validate the header at @p base (region of @p size bytes) and fill
 * @p dp2ctl / @p ctl2dp (SG_SHM_WORKERS_MAX entries each) and
 * @p n_workers.
 *
 * @return 0; -EAGAIN (no magic yet: the data plane may still be writing
 *   it), -EPROTONOSUPPORT (other layout or message version), -EPROTO (a
 *   field out of range, a ring outside the region); @p why says which.
 */
int sg_shm_attach_rings(void *base, size_t size, struct rte_ring **dp2ctl, struct rte_ring **ctl2dp,
			unsigned int *n_workers, char *why, size_t whylen);

/** An existing region mapped read-write by the attaching side. */
struct sg_shm_map {
	void *base; /**< NULL while not mapped */
	size_t size;
	dev_t dev; /**< identity of the shm object, to see it replaced */
	ino_t ino;
};

/**
 * Map the POSIX shm object @p name (at most @p size_max bytes) into @p m.
 *
 * @return 0; -ENOENT and other shm_open errors; -EAGAIN (not sized yet,
 *   or larger than @p size_max); -ENOMEM (mmap failed). @p why says which.
 */
int sg_shm_map_open(struct sg_shm_map *m, const char *name, uint64_t size_max, char *why,
		    size_t whylen);

/** Unmap @p m (no-op when not mapped). */
void sg_shm_map_close(struct sg_shm_map *m);

/**
 * Whether the object named @p name is no longer the one mapped in @p m
 * (removed, or re-created by a restarted data plane: another inode).
 */
bool sg_shm_map_replaced(const struct sg_shm_map *m, const char *name);

#endif /* SESSIONGATE_SG_SHM_H */
