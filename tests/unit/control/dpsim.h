/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test process playing sg-dataplane on the shared-memory channel: it
 * creates the POSIX shm region with struct sg_shm_hdr and real rte_rings
 * (rte_ring_init on the mapped memory, no EAL), sends SESSION_NEW /
 * SESSION_CLOSED and reads what sg-control answers. Used by the unit,
 * integration and bench suites of control/.
 */
#ifndef SG_CTL_DPSIM_H
#define SG_CTL_DPSIM_H

#include <stdbool.h>
#include <stdint.h>

#include "sessiongate/sg_msg.h"

struct dpsim {
	char name[64];
	void *base;
	size_t size;
	struct sg_shm_hdr *hdr;
	unsigned int workers;
	struct rte_ring *rx[SG_SHM_RINGS_MAX / 2]; /**< ctl -> dp */
	struct rte_ring *tx[SG_SHM_RINGS_MAX / 2]; /**< dp -> ctl */
	uint32_t seq[SG_SHM_RINGS_MAX / 2];
	uint64_t full; /**< enqueues refused */
};

/** Create (replace) the region @p name; @return 0 or -errno. */
int dpsim_create(struct dpsim *d, const char *name, unsigned int workers, unsigned int ring_size,
		 uint64_t epoch);
/** Unmap; unlink the name when @p unlink_name. */
void dpsim_destroy(struct dpsim *d, bool unlink_name);
/** Fill a SESSION_NEW for an IPv4 TCP flow to @p vip:@p dport. */
void dpsim_make_new(struct sg_msg *m, uint64_t sid, uint16_t worker, const char *vip,
		    uint16_t dport, uint8_t key_type, const char *key);
/** Zero @p m and fill its header: a @p type message of @p worker for session @p sid. */
void dpsim_make(struct sg_msg *m, uint16_t type, uint16_t worker, uint64_t sid);
/** Enqueue one message on worker @p w's dp->ctl ring (seq set here). @return 0 or -ENOBUFS. */
int dpsim_send(struct dpsim *d, unsigned int w, struct sg_msg *m);
int dpsim_send_closed(struct dpsim *d, unsigned int w, uint64_t sid);
/** Dequeue up to @p n messages from worker @p w's ctl->dp ring. */
unsigned int dpsim_recv(struct dpsim *d, unsigned int w, struct sg_msg *out, unsigned int n);

#endif
