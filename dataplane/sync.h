/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The state-sync channel of sg-dataplane (doc/dataplane.md, "State sync:
 * the channel"): one control thread, a kernel UDP socket on the sync
 * interface, the workers' sync_out / sync_in rings, the dump handshake and
 * the appliance's readiness. Format: include/sessiongate/sg_sync.h.
 *
 * Files: sync.c (set-up, thread loop, timers, shut-down), sync_auth.c (key
 * and HMAC), sync_tx.c (batching, rate, sending), sync_rx.c (checks of a
 * received datagram, replay window, hand-off to the workers), cluster.c
 * (/sg/cluster telemetry and the main lcore's heartbeat).
 *
 * The sync thread alone writes this state; telemetry reads the counters
 * without synchronisation (each is a 64-bit value with one writer).
 */
#ifndef SG_DP_SYNC_H
#define SG_DP_SYNC_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <rte_ring.h>

#include "sg_cfg.h"
#include "sg_dp.h"
#include "sessiongate/sg_sync.h"

/** A batch that is not full leaves after this long. */
#define SG_DP_SYNC_FLUSH_US 1000
/** The thread's poll() timeout when there is nothing to do. */
#define SG_DP_SYNC_POLL_MS 1
/** HELLO period; a peer is down after SG_DP_SYNC_DOWN_MS without a valid datagram. */
#define SG_DP_SYNC_HELLO_MS 1000
#define SG_DP_SYNC_DOWN_MS  3500
/** A DUMP_REQ that got no DUMP_DONE is sent again this often. */
#define SG_DP_SYNC_DUMP_RETRY_MS 1000
/** A peer that answers but never finishes its dump: ready anyway after dump_wait_ms times this. */
#define SG_DP_SYNC_DUMP_HARD_FACTOR 6
/** Records taken from one worker's sync_out per pass, and datagrams read per pass. */
#define SG_DP_SYNC_DRAIN_MAX 256
#define SG_DP_SYNC_RX_MAX    64
/** Shared key bounds (bytes of key_file). */
#define SG_DP_SYNC_KEY_MIN 32
#define SG_DP_SYNC_KEY_MAX 1024
/** Error log lines: at most one per this many milliseconds per kind. */
#define SG_DP_SYNC_LOG_MS 1000
/** Defaults where the configuration leaves 0 (config/ sets the same). */
#define SG_DP_SYNC_RATE_DEFAULT	     1000000
#define SG_DP_SYNC_QUEUE_DEFAULT     16384
#define SG_DP_SYNC_REFRESH_DEFAULT   60
#define SG_DP_SYNC_DUMP_WAIT_DEFAULT 5000

/** Kinds of rate-limited error lines. */
enum sg_dp_sync_log_kind {
	SG_DP_SYNC_LOG_RX = 0, /**< a datagram refused */
	SG_DP_SYNC_LOG_TX,     /**< sendto() failed */
	SG_DP_SYNC_LOG_IN,     /**< a worker's sync_in full */
	SG_DP_SYNC_LOG_MAX,
};

/** Why the appliance is ready (or not yet). */
enum sg_dp_sync_ready {
	SG_DP_READY_WAITING = 0,  /**< sync on, start-up dump not over */
	SG_DP_READY_SYNC_OFF,	  /**< sync off: ready at once */
	SG_DP_READY_DUMP_DONE,	  /**< a peer's full dump arrived and went to the workers */
	SG_DP_READY_NO_PEER,	  /**< no peer answered within dump_wait_ms */
	SG_DP_READY_DUMP_TIMEOUT, /**< a peer answered but its dump never finished */
};

/** The start-up dump this appliance asks its peers for. */
enum sg_dp_sync_dump_state {
	SG_DP_DUMP_IDLE = 0, /**< not asked (sync off) */
	SG_DP_DUMP_REQUESTED,
	SG_DP_DUMP_DRAINING, /**< DUMP_DONE arrived: the workers' sync_in rings empty out */
	SG_DP_DUMP_DONE,
	SG_DP_DUMP_GAVE_UP, /**< no DUMP_DONE (no_peer or dump_timeout) */
};

/** Counters of one peer (telemetry /sg/cluster). */
struct sg_dp_sync_peer_stats {
	uint64_t tx_datagrams;
	uint64_t tx_records;
	uint64_t tx_errors; /**< sendto() failed */
	uint64_t rx_datagrams;
	uint64_t rx_records; /**< records handed to a worker */
	uint64_t rx_lost;    /**< sequence numbers skipped (gaps) */
	uint64_t rx_bad_mac;
	uint64_t rx_replay;    /**< seen already, older than the window, or an older boot */
	uint64_t rx_bad;       /**< header or record fields out of range, wrong node */
	uint64_t rx_in_full;   /**< a worker's sync_in was full: record dropped */
	uint64_t dumps_served; /**< DUMP_DONE sent to this peer */
};

/** A configured peer appliance. */
struct sg_dp_sync_peer {
	char name[SG_CFG_NAME_MAX];
	char addr_str[INET6_ADDRSTRLEN];
	struct sockaddr_storage sa;
	socklen_t salen;
	/* receive side */
	bool node_known;
	uint8_t node; /**< the first node id seen from this address */
	bool boot_known;
	uint32_t boot;	     /**< the peer's start (a larger value: it restarted) */
	uint64_t seq_top;    /**< highest sequence accepted for this boot */
	uint64_t window;     /**< bit i: seq_top - i accepted */
	uint64_t last_rx_ms; /**< monotonic ms of the last valid datagram (0: never) */
	bool up;
	/* send side */
	uint64_t tx_seq;
	/* dumps this appliance serves to the peer */
	bool dump_pending;     /**< asked; no dump of ours covers it yet */
	uint32_t dump_req;     /**< the peer's dump_id, echoed in DUMP_DONE */
	uint32_t dump_serving; /**< our dump id that answers it (0: none) */
	struct sg_dp_sync_peer_stats st;
};

/** Totals that belong to no configured peer. */
struct sg_dp_sync_stats {
	uint64_t rx_not_peer; /**< source address/port of no configured peer */
	uint64_t rx_short;    /**< shorter than a header, or length not header + records + MAC */
	uint64_t rx_bad_magic;
	uint64_t rx_bad_version;
	uint64_t rx_errors;	/**< recvfrom() failed */
	uint64_t out_records;	/**< records taken from the workers' sync_out */
	uint64_t dump_ends;	/**< DUMP_END records consumed */
	uint64_t rate_limited;	/**< passes that left records queued because of the rate */
	uint64_t dumps_started; /**< dump walks asked of the workers (for peers) */
};

/** The channel (app->sync; NULL when appliance.cluster.sync is off). */
struct sg_dp_sync {
	struct sg_cfg_sync cfg; /**< settings in service (defaults filled in) */
	unsigned int node_id;
	unsigned int n_workers;
	struct rte_ring *out[SG_DP_WORKERS_MAX]; /**< worker -> thread */
	struct rte_ring *in[SG_DP_WORKERS_MAX];	 /**< thread -> worker */
	uint32_t dump_id; /**< read by the workers (conf.sync_dump), written here (atomic) */

	int fd;
	pthread_t thread;
	bool thread_started;
	volatile bool stop;

	uint8_t key[SG_DP_SYNC_KEY_MAX];
	size_t key_len;
	uint32_t boot;

	struct sg_dp_sync_peer peer[SG_CFG_SYNC_PEERS_MAX];
	unsigned int n_peers;

	/* batching and rate (sync_tx.c) */
	struct sg_sync_rec batch[SG_SYNC_REC_MAX];
	unsigned int n_batch;
	uint64_t batch_tsc;   /**< when the batch's first record came (tsc) */
	uint64_t backlog_tsc; /**< since when records wait in the rings (0: none) */
	uint64_t tat;	      /**< GCRA theoretical arrival time (tsc) */
	uint64_t rec_cost;    /**< tsc per record at cfg.rate */
	uint64_t burst_tsc;   /**< GCRA tolerance */

	/* the dump this appliance serves (for one or more peers) */
	uint32_t serve_id;	/**< the dump the workers walk now (0: none) */
	uint64_t serve_ends;	/**< bit w: worker w sent DUMP_END for serve_id */
	uint64_t serve_records; /**< records since serve_id began */

	/* the start-up dump this appliance asks for, and readiness */
	enum sg_dp_sync_dump_state dump_state;
	uint32_t dump_req_id;	 /**< our DUMP_REQ's dump_id */
	uint64_t dump_requested; /**< DUMP_REQ datagrams sent */
	uint64_t dump_done;	 /**< DUMP_DONE datagrams accepted */
	uint64_t dump_records;	 /**< records received while the dump ran */
	uint64_t start_ms;
	uint64_t last_dump_req_ms;
	uint64_t last_hello_ms;
	enum sg_dp_sync_ready ready; /**< read by telemetry */
	uint64_t ready_ms;	     /**< after start (0: not ready) */

	uint64_t log_ms[SG_DP_SYNC_LOG_MAX]; /**< rate limit of error lines, per enum
						sg_dp_sync_log_kind */
	struct sg_dp_sync_stats st;
};

/* sync.c */
/**
 * Set up the channel when appliance.cluster.sync is on (app->sync stays
 * NULL otherwise): the key, the workers' rings, the bound socket. Call
 * after app->n_workers is known and before the workers are created.
 * @return 0, or a negative errno (logged).
 */
struct sg_dp_app;
int sg_dp_sync_setup(struct sg_dp_app *app);
/** Start the sync thread (after the workers). @return 0 or a negative errno. */
int sg_dp_sync_start(struct sg_dp_app *app);
/** Stop the thread, close the socket, free the rings (after the workers stopped). */
void sg_dp_sync_stop(struct sg_dp_app *app);
/** Fill a worker's sync fields of its configuration. */
void sg_dp_sync_worker_conf(struct sg_dp_app *app, unsigned int i, struct sg_dp_worker_conf *wc);
/* cluster.c */
/** "waiting", "sync_off", "dump_done", "no_peer", "dump_timeout". */
const char *sg_dp_sync_ready_name(enum sg_dp_sync_ready r);
/** "idle", "requested", "draining", "done", "gave_up". */
const char *sg_dp_sync_dump_state_name(enum sg_dp_sync_dump_state s);

/** Monotonic milliseconds. */
static inline uint64_t
sg_dp_sync_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/** True when an error line of @p kind may be logged now (one per SG_DP_SYNC_LOG_MS). */
static inline bool
sg_dp_sync_log_ok(struct sg_dp_sync *s, enum sg_dp_sync_log_kind kind)
{
	uint64_t now = sg_dp_sync_now_ms();

	if (s->log_ms[kind] != 0 && now - s->log_ms[kind] < SG_DP_SYNC_LOG_MS)
		return false;
	s->log_ms[kind] = now;
	return true;
}

/* sync_auth.c */
/**
 * Read the shared key from @p path into @p s: refuse a file that group or
 * others can read, or one outside SG_DP_SYNC_KEY_MIN..SG_DP_SYNC_KEY_MAX
 * bytes. @return 0 or a negative errno (logged, with the reason).
 */
int sg_dp_sync_key_load(struct sg_dp_sync *s, const char *path);
/** Write the truncated HMAC-SHA256 of @p buf[0..len) at @p buf + len. @return 0 or -EIO. */
int sg_dp_sync_sign(const struct sg_dp_sync *s, uint8_t *buf, size_t len);
/** True when @p buf[len..len+MAC) is the MAC of @p buf[0..len) (constant time). */
bool sg_dp_sync_verify(const struct sg_dp_sync *s, const uint8_t *buf, size_t len);

/* sync_tx.c */
/** Send a datagram of @p type with no record to peer @p p. */
void sg_dp_sync_send_ctl(struct sg_dp_sync *s, struct sg_dp_sync_peer *p, uint8_t type,
			 uint32_t dump_id);
/** Drain the workers' sync_out within the rate, batch, send full batches; DUMP_END handled. */
void sg_dp_sync_drain(struct sg_dp_sync *s, uint64_t now_tsc);
/** Send the batch if it is older than SG_DP_SYNC_FLUSH_US (or @p force). */
void sg_dp_sync_flush(struct sg_dp_sync *s, uint64_t now_tsc, bool force);
/** Start a dump walk for the peers that asked (none running). */
void sg_dp_sync_serve_start(struct sg_dp_sync *s);

/* sync_rx.c */
/** Read and handle up to SG_DP_SYNC_RX_MAX datagrams. @return datagrams read. */
unsigned int sg_dp_sync_receive(struct sg_dp_sync *s);
/**
 * Check a datagram from @p from: length, magic, version, peer, MAC, node,
 * replay window, then act on it. Counted whatever happens.
 */
void sg_dp_sync_input(struct sg_dp_sync *s, uint8_t *buf, size_t len,
		      const struct sockaddr_storage *from, socklen_t fromlen);

#endif /* SG_DP_SYNC_H */
