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
/** Exception path (exception.c): the main lcore polls the taps this often ... */
#define SG_DP_EXC_POLL_US 1000
/** ... reading at most this many bursts from each tap per poll (the kernel's bound). */
#define SG_DP_EXC_RX_BURSTS 4
/** Descriptors of each tap queue. */
#define SG_DP_EXC_TAP_DESC 128
/** Metric of the default routes via the ports' gateways (a management route wins). */
#define SG_DP_EXC_METRIC 200
/** Defaults where the configuration leaves 0 (config/ sets the same). */
#define SG_DP_EXC_RATE_DEFAULT	20000
#define SG_DP_EXC_BURST_DEFAULT 512
#define SG_DP_EXC_QUEUE_DEFAULT 1024

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

/** One port's tap interface of the exception path (main lcore writes, telemetry reads). */
struct sg_dp_exc_port {
	bool present;
	uint16_t tap; /**< DPDK port id of the net_tap */
	uint16_t mtu;
	int ifindex;
	char ifname[16];
	char name[SG_CFG_NAME_MAX]; /**< the data port's name */
	uint64_t to_kernel;	    /**< written to the tap */
	uint64_t tap_full;	    /**< the tap refused them (freed) */
	uint64_t from_kernel;	    /**< read from the tap, queued on the port */
	uint64_t from_kernel_bad;   /**< not Ethernet + IPv4/IPv6/ARP, too long or short */
	uint64_t from_kernel_full;  /**< app->ctl_tx full */
};

/** The exception path (exception.c, doc/dataplane.md "Exception path"). */
struct sg_dp_exc {
	struct sg_cfg_exception cfg; /**< in service (start-up settings; a reload keeps them) */
	struct rte_ring *ring;	     /**< workers -> main lcore; NULL: off */
	struct sg_dp_exc_port port[SG_DP_PORTS_MAX];
	/** the priority class (core/exc.h): its ring (drained first; NULL: none), the BGP peers */
	struct rte_ring *prio_ring;
	struct sg_dp_exc_peer peers[SG_DP_EXC_PRIO_PEERS];
	unsigned int n_peers;
	uint64_t no_tap; /**< dequeued for a port without a tap (freed; never expected) */
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
	struct sg_dp_portguard *guard; /**< memif ports whose peer may leave (portguard.h) */

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

	struct sg_dp_exc exc;
	/* member state from sg-control (memberstate.c; ctl_lock) */
	struct sg_dp_health *health;
	struct rte_ring *member_mbox; /**< worker 0 -> main lcore, struct sg_msg_member_state */
	bool health_dirty;	      /**< a rebuild failed: try again */

	volatile bool quit;
	volatile bool reload_requested;

	/* cluster (cluster.c, sync.c; doc/cluster.md) */
	struct sg_dp_sync *sync; /**< the state-sync channel; NULL: sync off */
	uint64_t heartbeat;	 /**< main lcore: +1 when every worker passed a quiescent state */
	uint64_t hb_token;	 /**< RCU token the next bump waits for (0: none yet) */
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

/* exception.c */
struct rte_tel_data;
int sg_dp_exc_setup(struct sg_dp_app *app);
void sg_dp_exc_poll(struct sg_dp_app *app);
void sg_dp_exc_stop(struct sg_dp_app *app);
void sg_dp_exc_stats(const struct sg_dp_app *app, struct rte_tel_data *d);
int sg_dp_exc_telemetry(const char *cmd, const char *params, struct rte_tel_data *d);

/* excnl.c (the taps' kernel side, libnl-route-3) */
struct nl_sock;
void sg_dp_exc_nl_stale_remove(struct nl_sock *sk, const char *ifname);
int sg_dp_exc_nl_config(struct sg_dp_app *app, struct nl_sock *sk, unsigned int i);

/* cluster.c */
/** Main lcore housekeeping: bump app->heartbeat when every worker reported since the last. */
void sg_dp_cluster_heartbeat(struct sg_dp_app *app);
/** Register telemetry /sg/cluster: node, readiness, heartbeat, sync channel and peers. */
int sg_dp_cluster_register(struct sg_dp_app *app);

/* telemetry.c */
int sg_dp_telemetry_register(struct sg_dp_app *app);

/* capture.c */
/**
 * rte_pdump for dpdk-dumpcap when multi-process is possible (hugepages, the
 * channel), log and telemetry /sg/capture saying so. @return 0, or the
 * telemetry registration's negative errno (capture being off is not an error).
 */
int sg_dp_capture_init(const struct sg_dp_app *app);
/** Stop serving capture processes (before the ports stop). */
void sg_dp_capture_fini(void);

#endif /* SG_DP_APP_H */
