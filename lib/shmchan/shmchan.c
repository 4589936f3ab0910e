/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one implementation of the shared-memory region of sg_msg.h
 * (sessiongate/sg_shm.h): size, initialisation, validation and the
 * attaching side's mapping. Uses only rte_ring_init() and the ring's
 * memory layout: works in a process without EAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "sessiongate/sg_shm.h"

#define RING_SIZE_MAX (1u << 20)

static size_t
align64(size_t v)
{
	return (v + 63) & ~(size_t)63;
}

static bool
ring_size_ok(unsigned int ring_size)
{
	return ring_size >= 2 && ring_size <= RING_SIZE_MAX && (ring_size & (ring_size - 1)) == 0;
}

ssize_t
sg_shm_region_size(unsigned int n_workers, unsigned int ring_size)
{
	ssize_t rsz;

	if (n_workers == 0 || n_workers > SG_SHM_WORKERS_MAX || !ring_size_ok(ring_size))
		return -EINVAL;
	rsz = rte_ring_get_memsize_elem(SG_MSG_SIZE, ring_size);
	if (rsz < 0)
		return -EINVAL;
	return (ssize_t)(align64(sizeof(struct sg_shm_hdr)) + 2 * n_workers * align64((size_t)rsz));
}

int
sg_shm_region_init(void *base, size_t size, unsigned int n_workers, unsigned int ring_size,
		   uint64_t epoch, struct rte_ring **dp2ctl, struct rte_ring **ctl2dp)
{
	ssize_t need = sg_shm_region_size(n_workers, ring_size);
	struct sg_shm_hdr *h = base;
	size_t off = align64(sizeof(*h));
	size_t rsz = align64((size_t)rte_ring_get_memsize_elem(SG_MSG_SIZE, ring_size));
	unsigned int i;
	int rc;

	if (need < 0 || (size_t)need > size)
		return -EINVAL;
	for (i = 0; i < 2 * n_workers; i++, off += rsz) {
		struct rte_ring *r = (struct rte_ring *)((uint8_t *)base + off);
		char rn[RTE_RING_NAMESIZE];

		snprintf(rn, sizeof(rn), "sgctl%u", i);
		rc = rte_ring_init(r, rn, ring_size, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rc != 0)
			return rc < 0 ? rc : -EINVAL;
		h->ring_offset[i] = off;
		if (i % 2 == 0 && dp2ctl != NULL)
			dp2ctl[i / 2] = r;
		else if (i % 2 == 1 && ctl2dp != NULL)
			ctl2dp[i / 2] = r;
	}
	h->layout = SG_SHM_LAYOUT;
	h->msg_version = SG_MSG_VERSION;
	h->n_rings = 2 * n_workers;
	h->elem_size = SG_MSG_SIZE;
	h->ring_size = ring_size;
	h->epoch = epoch;
	__atomic_store_n(&h->magic, SG_SHM_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

/* The ring at @p off in a region of @p size bytes at @p base, or NULL if it is not one. */
static struct rte_ring *
ring_at(void *base, size_t size, uint64_t off, uint32_t ring_size)
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

int
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
	    h->n_rings > SG_SHM_RINGS_MAX || !ring_size_ok(h->ring_size)) {
		snprintf(why, whylen, "elem_size %u n_rings %u ring_size %u out of range",
			 h->elem_size, h->n_rings, h->ring_size);
		return -EPROTO;
	}
	for (i = 0; i < h->n_rings / 2; i++) {
		dp2ctl[i] =
			ring_at(base, size, h->ring_offset[SG_SHM_RING_DP2CTL(i)], h->ring_size);
		ctl2dp[i] =
			ring_at(base, size, h->ring_offset[SG_SHM_RING_CTL2DP(i)], h->ring_size);
		if (dp2ctl[i] == NULL || ctl2dp[i] == NULL) {
			snprintf(why, whylen, "ring of worker %u outside the region or malformed",
				 i);
			return -EPROTO;
		}
	}
	*n_workers = h->n_rings / 2;
	return 0;
}

int
sg_shm_map_open(struct sg_shm_map *m, const char *name, uint64_t size_max, char *why, size_t whylen)
{
	struct stat st;
	int fd, rc;

	memset(m, 0, sizeof(*m));
	fd = shm_open(name, O_RDWR, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "shm_open: %s", strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(struct sg_shm_hdr) ||
	    (uint64_t)st.st_size > size_max) {
		close(fd);
		snprintf(why, whylen, "region not sized yet");
		return -EAGAIN; /* the data plane may still be sizing it */
	}
	m->size = (size_t)st.st_size;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->base = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

void
sg_shm_map_close(struct sg_shm_map *m)
{
	if (m->base != NULL)
		munmap(m->base, m->size);
	m->base = NULL;
}

bool
sg_shm_map_replaced(const struct sg_shm_map *m, const char *name)
{
	struct stat st;
	bool gone = false;
	int fd = shm_open(name, O_RDONLY, 0);

	if (fd < 0)
		return true;
	if (fstat(fd, &st) < 0 || st.st_ino != m->ino || st.st_dev != m->dev)
		gone = true;
	close(fd);
	return gone;
}
