/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The port guard: memif ports whose peer leaves (doc/dataplane.md, "A memif
 * peer that leaves").
 *
 * When a memif peer's socket hangs up, DPDK's interrupt thread runs
 * memif_disconnect() (drivers/net/memif/memif_socket.c): link DOWN, the
 * CONNECTED flag cleared, then memif_free_regions() munmaps the shared
 * regions, with no quiescence against a worker inside eth_memif_rx/tx,
 * which checked the flag once at its top. A worker preempted there resumes
 * on unmapped memory: SIGSEGV. The guard:
 *
 *  - only ports whose driver is net_memif are guarded; the others pay one
 *    predictable branch per burst in the worker loop;
 *  - a burst on a guarded port runs armed: sigsetjmp (no signal mask saved:
 *    no syscall), the burst, disarm. A SIGSEGV / SIGBUS on a worker armed
 *    for a port whose link reads DOWN jumps back: the burst is counted
 *    port_fault_recovered, its mbufs are leaked (a tx burst cut short may
 *    have freed some: port_fault_mbufs_lost), the worker stops polling the
 *    port. Any other fault restores the previous disposition (ASan's
 *    handler, or the default: a core) and faults again, unchanged;
 *  - the main lcore watches the links (sg_dp_portguard_tick): a link down
 *    (or a worker's fault) closes the port's gate, every worker stops
 *    polling it and says so; a memif client is then restarted
 *    (rte_eth_dev_stop/start: DPDK's client does not reconnect by itself)
 *    every SG_DP_PORTGUARD_RETRY_MS until its link is up; then the gate
 *    opens. One log line per transition; /sg/ports counts them. A memif
 *    client whose peer is not there at start-up (port.c) is connected the
 *    same way: every gate starts closed.
 */
#ifndef SG_DP_PORTGUARD_H
#define SG_DP_PORTGUARD_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "sg_dp.h"

/** A memif client whose link is down is restarted this often. */
#define SG_DP_PORTGUARD_RETRY_MS 250
/** A restarted client whose link is not up after this long is restarted again. */
#define SG_DP_PORTGUARD_CONNECT_MS 2000
/** Workers read the gates this often (their control poll). */
#define SG_DP_PORTGUARD_POLL_US 1000

struct sg_dp_app;
struct rte_tel_data;

/** One worker's side of the guard: written by that worker only (the handler too). */
struct sg_dp_portguard_worker {
	sigjmp_buf jb;		       /**< where a recovered fault resumes */
	volatile uint32_t armed;       /**< DPDK port id + 1 of the burst in progress; 0: none */
	bool guarded[SG_DP_PORTS_MAX]; /**< config port index: a memif port */
	bool parked[SG_DP_PORTS_MAX];  /**< not polled until its gate opens again */
	uint16_t port_id[SG_DP_PORTS_MAX];
	unsigned int n_guarded;
	uint32_t fault_gen[SG_DP_PORTS_MAX]; /**< gate generation of a fault; odd: none */
	uint32_t ack[SG_DP_PORTS_MAX];	     /**< the closed gate generation it parked for */
	uint64_t next_poll;		     /**< TSC of the next gate read */
	uint64_t poll_every;
	struct sg_dp_worker *w;
	const struct sg_dp_portguard *pg;
} __rte_cache_aligned;

struct rte_eth_dev_info;

/**
 * True when the port of @p info, configured as @p device, is a memif client
 * (role=client; DPDK's default role is server): its start fails while its
 * peer is away, and it never connects again by itself.
 */
bool sg_dp_portguard_memif_client(const struct rte_eth_dev_info *info, const char *device);

/**
 * Find the memif ports of @p app (after sg_dp_ports_setup) and, when there
 * is one, install the SIGSEGV / SIGBUS handler.
 * @return 0, -ENOMEM, or -errno of sigaction().
 */
int sg_dp_portguard_init(struct sg_dp_app *app);
/** Restore the previous SIGSEGV / SIGBUS dispositions and free the guard (workers stopped). */
void sg_dp_portguard_fini(struct sg_dp_app *app);

/**
 * Worker @p id (on its own lcore, before its loop): its side of the guard,
 * made this thread's for the fault handler. Never NULL once init succeeded.
 */
struct sg_dp_portguard_worker *sg_dp_portguard_worker_enter(struct sg_dp_app *app, unsigned int id,
							    struct sg_dp_worker *w);
/** The worker leaves its loop: the handler no longer knows this thread. */
void sg_dp_portguard_worker_leave(void);

/**
 * Worker: rx burst of up to @p n packets on guarded port @p p (config index),
 * queue @p q. @return the packets received; 0 when the port is parked or
 * the burst was cut short by a recovered fault.
 */
uint16_t sg_dp_portguard_rx(struct sg_dp_portguard_worker *g, unsigned int p, uint16_t q,
			    struct rte_mbuf **pkts, uint16_t n);
/**
 * Worker: transmit the @p n packets of @p pkts on guarded port @p p, queue
 * @p q, and account for all of them (sg_dp_worker_count_tx; what was not
 * sent is freed as drop_tx_full; a parked port sends nothing; a burst cut
 * short leaks its mbufs, counted port_fault_mbufs_lost).
 */
void sg_dp_portguard_tx(struct sg_dp_portguard_worker *g, unsigned int p, uint16_t q,
			struct rte_mbuf **pkts, uint16_t n);
/**
 * Worker, from its control poll: read the gates (at most every
 * SG_DP_PORTGUARD_POLL_US): park the ports whose gate is closed and say so,
 * poll again those whose gate opened since.
 */
void sg_dp_portguard_worker_poll(struct sg_dp_portguard_worker *g, uint64_t now_tsc);

/** Main lcore housekeeping: links, gates, restarts of memif clients, one log line each. */
void sg_dp_portguard_tick(struct sg_dp_app *app);

/**
 * Telemetry (/sg/ports): add port @p p's "link" (up/down) and, for a
 * guarded port, "guard" ("memif"), "link_down" and "link_up" (transitions
 * the main lcore saw) to the dictionary @p c.
 */
void sg_dp_portguard_tel_port(const struct sg_dp_app *app, unsigned int p, struct rte_tel_data *c);

#endif
