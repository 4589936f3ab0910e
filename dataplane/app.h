/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sg-dataplane program state (main.c, port.c, reload.c, telemetry.c).
 * Internal to the program: workers see only struct sg_dp_worker and the
 * published struct sg_dp_tables.
 */
#ifndef SG_DP_APP_H
#define SG_DP_APP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "sg_cfg.h"
#include "sg_dp.h"
#include "core/health.h"
#include "core/log.h"
#include "session/syncookie.h"
#include "sessiongate/sg_msg.h"

/** Ring size of each worker's hand-off ring (NAT returns from other workers). */
#define SG_DP_HANDOFF_RING 4096
/** Flow expiry: one slice of each worker's table every SG_DP_EXPIRE_US ... */
#define SG_DP_EXPIRE_US 1000
/** ... so that a whole pass over the table takes about this long. */
#define SG_DP_EXPIRE_PASS_S 10
/** SYN-cookie key rotation period (at least the 128 s cookie lifetime). */
#define SG_DP_COOKIE_ROTATE_S 256
/** Main lcore housekeeping period (neighbour solicitation, reload requests). */
#define SG_DP_HOUSEKEEPING_US 20000

struct sg_dp_app;

/** The data plane's end of the shared-memory channel to sg-control (ctlchan.c). */
struct sg_dp_ctlchan {
	char name[SG_CFG_NAME_MAX];
	void *base; /**< NULL: no control path configured */
	size_t size;
	struct sg_shm_hdr *hdr;
	uint64_t epoch;
	struct rte_ring *to_ctl[SG_DP_WORKERS_MAX];   /**< dp -> ctl, produced by worker w */
	struct rte_ring *from_ctl[SG_DP_WORKERS_MAX]; /**< ctl -> dp, consumed by worker w */
	uint64_t last_ctl_hb;
	uint64_t ctl_hb_tsc; /**< when ctl_heartbeat last moved (0: never) */
	bool ctl_up;	     /**< read by workers (atomic) */
	uint64_t ctl_ups;
};

/** Per-worker launch context: one per worker lcore. */
struct sg_dp_worker_ctx {
	struct sg_dp_app *app;
	struct sg_dp_worker *worker;
	unsigned int id;    /**< worker index = rx/tx queue index */
	unsigned int lcore; /**< EAL lcore id */
} __rte_cache_aligned;

struct sg_dp_app {
	const char *config_path;
	struct sg_cfg *cfg;	     /**< configuration in service */
	struct sg_dp_tables *tables; /**< published to workers (atomic pointer) */
	struct sg_dp_neigh *neigh;
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsbr;

	unsigned int n_ports;
	uint16_t port_id[SG_DP_PORTS_MAX]; /**< config port index -> DPDK port id */
	struct sg_dp_port_info port_info[SG_DP_PORTS_MAX];

	unsigned int n_workers;
	struct sg_dp_worker_ctx wctx[SG_DP_WORKERS_MAX];
	struct rte_ring *handoff[SG_DP_WORKERS_MAX];
	/**
	 * Packets the main lcore originates (neighbour solicitations), sent by
	 * worker 0 on its own queues (mbuf->port = config port index): ports
	 * have exactly one queue pair per worker, none for the main lcore.
	 */
	struct rte_ring *ctl_tx;
	uint64_t ctl_tx_ring_full;  /**< written by the main lcore only */
	uint64_t ctl_tx_queue_full; /**< written by worker 0 only */

	/* control: reload, telemetry readers (never taken by workers) */
	pthread_mutex_t ctl_lock;
	uint64_t generation; /**< tables published so far */
	uint64_t reloads_ok;
	uint64_t reloads_failed;
	char last_error[512];

	struct sg_dp_ctlchan ctl;
	struct sg_dp_syncookie_secret cookies; /**< read by workers, rotated by the main lcore */
	uint64_t cookie_rotated;

	/* member state from sg-control (memberstate.c; ctl_lock) */
	struct sg_dp_health *health;
	struct rte_ring *member_mbox; /**< worker 0 -> main lcore, struct sg_msg_member_state */
	bool health_dirty;	      /**< a rebuild failed: try again */

	volatile bool quit;
	volatile bool reload_requested;
};

/* port.c */
int sg_dp_ports_setup(struct sg_dp_app *app);
void sg_dp_ports_stop(struct sg_dp_app *app);

/* reload.c */
int sg_dp_tables_publish_initial(struct sg_dp_app *app);
int sg_dp_reload(struct sg_dp_app *app, char *msg, size_t msglen);
/**
 * Publish @p nt in place of the tables in service (ctl_lock held): swap
 * the pointer, wait for every worker's quiescent state (RCU), free the old
 * tables, bump the generation.
 */
void sg_dp_tables_swap(struct sg_dp_app *app, struct sg_dp_tables *nt);

/* memberstate.c */
int sg_dp_member_state_init(struct sg_dp_app *app);
void sg_dp_member_state_destroy(struct sg_dp_app *app);
/** Main lcore: apply the MEMBER_STATE messages worker 0 passed, one rebuild at most. */
void sg_dp_member_state_poll(struct sg_dp_app *app);
/** "up", "down", "drain", "reset". */
const char *sg_dp_member_state_name(uint8_t state);

/* ctlchan.c */
int sg_dp_ctlchan_create(struct sg_dp_app *app);
void sg_dp_ctlchan_tick(struct sg_dp_app *app);
void sg_dp_ctlchan_destroy(struct sg_dp_app *app);

/* telemetry.c */
int sg_dp_telemetry_register(struct sg_dp_app *app);

#endif /* SG_DP_APP_H */
