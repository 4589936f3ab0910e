/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * State sync between appliances (doc/cluster.md): the records a worker
 * publishes about its flows, and the datagrams that carry them between
 * sg-dataplane processes over the dedicated sync channel (a kernel UDP
 * socket on the sync interface, never the exception path).
 *
 * Owner: dataplane/sync.c (the channel) writes and reads datagrams;
 * dataplane/core/sync.c (the workers) writes and installs records.
 *
 * A datagram: struct sg_sync_hdr, then n_rec records of SG_SYNC_REC_SIZE
 * bytes, then SG_SYNC_MAC_LEN bytes of HMAC-SHA256 (truncated) over
 * everything before it, keyed with the cluster's shared key. The receiver
 * treats every byte as hostile: magic, version, length, MAC, then the
 * sequence window, then every field of every record (dataplane/core/sync.c), before
 * anything is installed.
 *
 * Multi-byte fields are in network byte order on the wire, and already on
 * the workers' sync_out / sync_in rings: the channel copies records as
 * they are and reads only their one-byte fields (op, worker, proto,
 * family, mode, state), plus a DUMP_END's sid (big-endian, its low 32 bits
 * the dump id). Addresses are 16 bytes (IPv4 in the first four, the rest
 * zero), as in sg_wire.h.
 *
 * Version rules: SG_SYNC_VERSION changes when a datagram's or a record's
 * layout or meaning changes; a receiver drops other versions (counted).
 * v2: boot is the sender's start time (it orders a peer's restarts, so a
 * replayed datagram of an earlier boot cannot reset the window).
 */
#ifndef SG_SYNC_H
#define SG_SYNC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SG_SYNC_VERSION	  2
#define SG_SYNC_MAGIC	  0x53475359u /* "SGSY" */
#define SG_SYNC_MAC_LEN	  16	      /**< HMAC-SHA256 truncated to 128 bits */
#define SG_SYNC_DGRAM_MAX 1472	      /**< whole datagram: one Ethernet frame, no fragments */
#define SG_SYNC_REC_SIZE  128
/** Records in one datagram at most: (1472 - 32 - 16) / 128 = 11 */
#define SG_SYNC_REC_MAX ((SG_SYNC_DGRAM_MAX - 32 - SG_SYNC_MAC_LEN) / SG_SYNC_REC_SIZE)

/** Datagram types. */
enum sg_sync_type {
	SG_SYNC_T_RECORDS = 1,	 /**< n_rec records follow */
	SG_SYNC_T_HELLO = 2,	 /**< liveness, every second (n_rec 0) */
	SG_SYNC_T_DUMP_REQ = 3,	 /**< "send me everything you hold" (n_rec 0) */
	SG_SYNC_T_DUMP_DONE = 4, /**< every worker's dump for dump_id went out (n_rec 0) */
};

/** Datagram header: 32 bytes. */
struct sg_sync_hdr {
	uint32_t magic;	    /**< SG_SYNC_MAGIC */
	uint8_t version;    /**< SG_SYNC_VERSION */
	uint8_t type;	    /**< enum sg_sync_type */
	uint8_t node;	    /**< sender's cluster.node_id (1..15) */
	uint8_t n_rec;	    /**< records that follow (<= SG_SYNC_REC_MAX) */
	uint32_t boot;	    /**< sender's start, UNIX seconds: a larger value resets the seq
				 window (a restart), a smaller one is a replay (v2) */
	uint16_t n_workers; /**< sender's workers (records name a worker index) */
	uint16_t flags;	    /**< 0 */
	uint64_t seq;	    /**< per (sender, boot), +1 per datagram: replay / loss detection */
	uint32_t dump_id;   /**< DUMP_REQ / DUMP_DONE: the dump; RECORDS: 0 */
	uint32_t reserved;  /**< 0 */
} __attribute__((packed));

_Static_assert(sizeof(struct sg_sync_hdr) == 32, "sg_sync_hdr is 32 bytes on the wire");

/** What a record says. */
enum sg_sync_op {
	SG_SYNC_OP_ADD = 1,	 /**< created, established, or refreshed: install or update */
	SG_SYNC_OP_DEL = 2,	 /**< ended on the sender: remove the synced copy */
	SG_SYNC_OP_DUMP_END = 3, /**< worker @c worker finished dump @c sid (low 32 bits) */
};

/** A record's mode (the VS's forwarding mode when the flow was made). */
enum sg_sync_mode {
	SG_SYNC_MODE_DSR = 1,
	SG_SYNC_MODE_NAT = 2,
};

/** sg_sync_rec.flags */
#define SG_SYNC_F_SEQ 0x01 /**< spliced brokered flow: seq_s2c / ts_s2c / ws_shift valid */
#define SG_SYNC_F_TS  0x02 /**< timestamps in use on the spliced flow */
#define SG_SYNC_F_GUE 0x04 /**< DSR with GUE encapsulation (gue_port valid); else IPIP */

/** sg_sync_rec.state */
enum sg_sync_state {
	SG_SYNC_ST_EST = 1,	/**< TCP established, or UDP */
	SG_SYNC_ST_CLOSING = 2, /**< TCP FIN or RST seen */
};

/**
 * One flow: 128 bytes. The key is client -> VIP as the sender's worker
 * saw it; the receiver installs it on the worker with the same index (the
 * appliances of a cluster run the same number of workers behind the same
 * RSS), so both directions find it where they would have on the sender.
 */
struct sg_sync_rec {
	uint8_t op;	     /**< enum sg_sync_op */
	uint8_t worker;	     /**< sender's worker index */
	uint8_t proto;	     /**< 6 or 17 */
	uint8_t family;	     /**< of client, VIP, member and NAT address: 4 or 6 */
	uint8_t mode;	     /**< enum sg_sync_mode */
	uint8_t state;	     /**< enum sg_sync_state */
	uint8_t flags;	     /**< SG_SYNC_F_* */
	uint8_t host_family; /**< DSR: underlay address family, 4 or 6; else 0 */
	int8_t ws_shift;     /**< SEQ: VM window << ws_shift for the client (negative: >>) */
	uint8_t pad[3];	     /**< 0 */
	uint32_t idle_ms;    /**< time since the flow's last packet on the sender */
	uint64_t sid;	     /**< streaming session ID of a brokered flow; 0 = none */
	uint32_t seq_s2c;    /**< SEQ: VM seq + seq_s2c = seq the client sees */
	uint32_t ts_s2c;     /**< SEQ: VM TSval + ts_s2c = TSval the client sees */
	uint16_t cport;	     /**< client port */
	uint16_t vport;	     /**< VIP port */
	uint16_t mport;	     /**< member port */
	uint16_t nat_port;   /**< NAT: source port towards the member; else 0 */
	uint16_t gue_port;   /**< GUE: destination port; else 0 */
	uint16_t pad2;	     /**< 0 */
	uint32_t timeout_s;  /**< the flow's idle timeout on the sender (state's) */
	uint8_t client[16];
	uint8_t vip[16];
	uint8_t member[16];
	uint8_t nat[16];  /**< NAT: the NAT address; else 0 */
	uint8_t host[16]; /**< DSR: the member's host underlay address; else 0 */
} __attribute__((packed));

_Static_assert(sizeof(struct sg_sync_rec) == SG_SYNC_REC_SIZE, "sg_sync_rec is 128 bytes");

#ifdef __cplusplus
}
#endif

#endif /* SG_SYNC_H */
