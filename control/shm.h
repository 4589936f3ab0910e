/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * shm.c: sg-control's end of the shared-memory ring channel (lib/shmchan):
 * attach and re-attach, polling (each validated message goes to the
 * dp_msg hook), the bounded retry list of outgoing messages.
 */
#ifndef SG_CTL_SHM_H
#define SG_CTL_SHM_H

#include "model.h"
#include "sessiongate/sg_msg.h"

struct sg_ctl_shm;

/** The way back from the ring to the modules above, registered by the wiring. */
struct sg_ctl_shm_hooks {
	/** One validated dp->ctl message. */
	void (*dp_msg)(void *ctx, const struct sg_msg *m);
	/** The data plane attached with @p epoch (@p up) or went away. */
	void (*dp_link)(void *ctx, bool up, uint64_t epoch);
	void *ctx;
};

/** The channel, not opened yet; counts in @p st, data-plane liveness from @p cfg. NULL: no memory.
 */
struct sg_ctl_shm *sg_ctl_shm_create(const struct sg_ctl_cfg *cfg, const struct sg_ctl_clock *clk,
				     struct sg_ctl_stats *st, const struct sg_ctl_shm_hooks *hooks);
/** Close and free. */
void sg_ctl_shm_destroy(struct sg_ctl_shm *s);

/** Remember the region name (/NAME); attach happens in sg_ctl_shm_check(). */
int sg_ctl_shm_open(struct sg_ctl_shm *s, const char *name);
/** Detach and forget the name (sg_ctl_shm_open() may follow). */
void sg_ctl_shm_close(struct sg_ctl_shm *s);
/** Attach or re-attach when the region (re)appears; @return 1 on a new attach. */
int sg_ctl_shm_check(struct sg_ctl_shm *s);
/**
 * Handle up to @p budget messages, one burst per worker ring; they stay on
 * their ring until sg_ctl_shm_ack(), and a ring with a burst not yet acked
 * is skipped. @return the number handled.
 */
unsigned int sg_ctl_shm_poll(struct sg_ctl_shm *s, unsigned int budget);
/** The messages handled since the last ack are committed: take them off their rings. */
void sg_ctl_shm_ack(struct sg_ctl_shm *s);
/** Queue a ctl->dp message (sent at the next flush). */
void sg_ctl_shm_send(struct sg_ctl_shm *s, uint16_t worker, struct sg_msg *m);
/** Enqueue queued messages; a full ring keeps them for the next flush. */
void sg_ctl_shm_flush(struct sg_ctl_shm *s);
bool sg_ctl_shm_attached(const struct sg_ctl_shm *s);
uint64_t sg_ctl_shm_epoch(const struct sg_ctl_shm *s);
/** Epoch, workers, data-plane heartbeat and liveness, queued outgoing messages. */
void sg_ctl_shm_status(const struct sg_ctl_shm *s, uint64_t *epoch, uint32_t *rings,
		       uint64_t *dp_hb, bool *dp_alive, uint32_t *pending);

#endif /* SG_CTL_SHM_H */
