/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * State sync, the workers' side (doc/dataplane.md, "State sync: the
 * workers' side"; the channel between appliances is dataplane/sync.c).
 *
 * A worker publishes its flows as struct sg_sync_rec records
 * (include/sessiongate/sg_sync.h) on conf.sync_out and installs the peers'
 * records it finds on conf.sync_in as synced copies. Two files, so that
 * calls run one way: syncpub.c builds and enqueues records (flow.c calls it
 * at a flow's establishment, removal and in the expiry walk); sync.c
 * installs records and walks the table for a dump (it calls flow.c and
 * nat.c). Per flow, one byte (struct sg_dp_flow.sync, SG_DP_SYNC_*) says
 * what sync knows of it; nothing else is done per packet.
 */
#ifndef SG_DP_CORE_SYNC_H
#define SG_DP_CORE_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "sessiongate/sg_sync.h"
#include "core/flow.h"

struct sg_dp_vs;
struct sg_dp_worker;

/** Records installed per sg_dp_worker_sync_poll() call at most. */
#define SG_DP_SYNC_POLL_MAX 256
/** Flow entries a dump walk examines per sg_dp_worker_sync_poll() call. */
#define SG_DP_SYNC_DUMP_SLICE 2048
/** VS counter slot of a synced flow whose VS the tables do not have. */
#define SG_DP_SYNC_VS_SLOT (SG_DP_VS_SLOTS - 1)

/**
 * Fill @p r with flow @p f of worker @p w: @p op, @p state (enum
 * sg_sync_state), idle time at @p now. @return false when @p f is not a
 * flow a record can describe (neither NAT nor DSR mode).
 */
bool sg_dp_sync_rec_fill(const struct sg_dp_worker *w, const struct sg_dp_flow *f, uint8_t op,
			 uint8_t state, uint64_t now, struct sg_sync_rec *r);
/** Enqueue @p r on sync_out without blocking. @return false (not counted) when full. */
bool sg_dp_sync_enqueue(struct sg_dp_worker *w, struct sg_sync_rec *r);
/**
 * Publish flow @p f (ADD of its state; counted sync_pub, or sync_out_full):
 * marks it published (a DEL follows its removal) in the refresh period of
 * @p now. Nothing when sync is off or @p f is neither established nor closing.
 */
void sg_dp_sync_publish(struct sg_dp_worker *w, struct sg_dp_flow *f, uint64_t now);
/**
 * A new flow @p f of VS @p vs (worker dispatch): marked wanted when sync
 * publishes it (NAT; DSR of a non-Maglev VS with conf.sync_dsr), and
 * published at once when already established (UDP).
 */
void sg_dp_sync_flow_new(struct sg_dp_worker *w, const struct sg_dp_vs *vs, struct sg_dp_flow *f,
			 uint64_t now);
/** A brokered flow @p f was installed (the session layer): wanted, published. */
void sg_dp_sync_installed(struct sg_dp_worker *w, struct sg_dp_flow *f, uint64_t now);
/**
 * Published flow @p f is being removed, counted @p why: a DEL, state
 * CLOSING unless it expired or was evicted while established.
 */
void sg_dp_sync_gone(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why);
/**
 * Expiry walk, published flow @p f not expired: re-published (sync_refresh)
 * when established, active in the current period (conf.sync_refresh_s / 4)
 * and last published 4 periods before (fewer when half its idle timeout is
 * shorter than conf.sync_refresh_s).
 */
void sg_dp_sync_refresh(struct sg_dp_worker *w, struct sg_dp_flow *f, uint64_t now);
/** Synced copy @p f saw a packet here: this worker's flow now, published (sync_takeover). */
void sg_dp_sync_takeover(struct sg_dp_worker *w, struct sg_dp_flow *f, uint64_t now);

#endif /* SG_DP_CORE_SYNC_H */
