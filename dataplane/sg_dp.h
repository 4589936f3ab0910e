/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * sessiongate data plane core: the packet-processing library behind
 * sg-dataplane.
 *
 * Split of work:
 *  - The library (this header; the dataplane/ sources except the program's
 *    own files) turns a validated struct sg_cfg into immutable forwarding
 *    tables (struct sg_dp_tables) and processes bursts of packets on a
 *    worker (struct sg_dp_worker). It never calls rte_eal_init, never
 *    configures ports and never logs per packet.
 *  - The program (dataplane/main.c, port.c, telemetry.c, reload.c) starts
 *    EAL, sets up ports and queues, launches one worker per lcore, publishes
 *    new tables with RCU (workers report quiescent states after each burst),
 *    transmits what the workers emit, and exposes counters through DPDK
 *    telemetry.
 *
 * Threading: a struct sg_dp_worker is owned by exactly one lcore. Tables are
 * read-only after sg_dp_tables_build() and shared by all workers. The
 * neighbour table is shared: workers learn and read MACs lock-free, the main
 * lcore solicits unresolved next hops.
 *
 * Every packet given to sg_dp_worker_process() leaves through exactly one
 * door: appended to an output queue (transmit), handed to another worker's
 * hand-off ring, used up by the data plane itself (ARP replies and neighbour
 * advertisements it learned from: counted SG_DP_EV_CONSUMED), passed to the
 * kernel on the exception path (SG_DP_EV_EXC_TO_KERNEL), or freed with one
 * drop counter incremented. Per worker, once every queued packet was
 * accounted with sg_dp_worker_count_tx() (an untransmitted one counts as
 * drop_tx_full):
 *   rx + handoff_in == tx + drops + handoff_out + consumed + exc_to_kernel
 *                      + port_fault_mbufs_lost.
 */
#ifndef SG_DP_H
#define SG_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sg_cfg.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_DP_BURST	   32
#define SG_DP_RX_BURST	   64 /**< packets a worker takes from a port at once, SG_DP_BURST a time */
#define SG_DP_PORTS_MAX	   SG_CFG_PORTS_MAX
#define SG_DP_WORKERS_MAX  SG_CFG_WORKERS_MAX
#define SG_DP_VS_SLOTS	   SG_CFG_VS_MAX /**< counter slots for virtual services */
#define SG_DP_MEMBER_SLOTS 4096		 /**< counter slots for pool members (all pools) */
/** Output queue depth per port: a round's bursts may grow (ARP replies, hand-offs in). */
#define SG_DP_TXQ_MAX (SG_DP_RX_BURST * 4)

/**
 * Drop and event counters. Every drop has exactly one reason. Names (for
 * telemetry) come from sg_dp_cnt_name().
 */
enum sg_dp_cnt {
	/* parse: malformed or unsupported input */
	SG_DP_DROP_TRUNC_L2,   /**< shorter than Ethernet (+VLAN) header */
	SG_DP_DROP_VLAN,       /**< more than one VLAN tag, or unexpected tag */
	SG_DP_DROP_ETHERTYPE,  /**< not IPv4, IPv6 or ARP */
	SG_DP_DROP_TRUNC_L3,   /**< shorter than the IP header */
	SG_DP_DROP_IP_VERSION, /**< version field wrong for the ethertype */
	SG_DP_DROP_IP_IHL,     /**< IHL < 5 or beyond the packet */
	SG_DP_DROP_IP_LEN,     /**< total/payload length inconsistent with the frame */
	SG_DP_DROP_IP_CSUM,    /**< bad IPv4 header checksum */
	SG_DP_DROP_IP_TTL,     /**< TTL/hop limit would reach 0 */
	SG_DP_DROP_IP_FRAG,    /**< fragment to a VIP (policy: drop, counted) */
	SG_DP_DROP_IP_OPTIONS, /**< IPv4 options / IPv6 ext headers not allowed here */
	SG_DP_DROP_IP_SRC,     /**< martian source (multicast, broadcast, own address) */
	SG_DP_DROP_TRUNC_L4,   /**< shorter than the TCP/UDP/ICMP header */
	SG_DP_DROP_TCP_FLAGS,  /**< invalid TCP flag combination, bad data offset */
	SG_DP_DROP_L4_PROTO,   /**< protocol not served by this VIP */
	SG_DP_DROP_ARP_BAD,    /**< malformed ARP */
	SG_DP_DROP_ND_BAD,     /**< malformed ICMPv6 ND */
	SG_DP_DROP_ICMP_BAD,   /**< malformed or unanswered ICMP */
	/* policy */
	SG_DP_DROP_NOT_LOCAL,	 /**< not for a VIP, NAT address or own address */
	SG_DP_DROP_NO_VS,	 /**< VIP known, port/proto not served */
	SG_DP_DROP_NO_MEMBER,	 /**< pool has no member with weight > 0 */
	SG_DP_DROP_NO_FLOW,	 /**< TCP non-SYN for an unknown flow (NAT) or NAT return miss */
	SG_DP_DROP_FLOW_FULL,	 /**< flow table full and nothing evictable */
	SG_DP_DROP_VS_LIMIT,	 /**< VS max_flows reached */
	SG_DP_DROP_NAT_PORTS,	 /**< no free NAT source port */
	SG_DP_DROP_NEIGH_MISS,	 /**< next hop MAC unknown (solicitation requested) */
	SG_DP_DROP_NO_ROUTE,	 /**< no port reaches the destination */
	SG_DP_DROP_MTU,		 /**< encapsulated packet exceeds the egress MTU */
	SG_DP_DROP_HEADROOM,	 /**< mbuf lacks headroom for encapsulation */
	SG_DP_DROP_HANDOFF_FULL, /**< hand-off ring to the owning worker full */
	SG_DP_DROP_TX_FULL,	 /**< output queue full */
	SG_DP_DROP_VS_MODE,	 /**< VS mode not served (brokered without sessions, UDP) */
	SG_DP_DROP_COOKIE_BAD,	 /**< ACK to a brokered VS with a forged or foreign cookie */
	SG_DP_DROP_COOKIE_OLD,	 /**< ACK with an expired SYN cookie */
	SG_DP_DROP_SESS_FULL,	 /**< no room for another held session (answered with RST) */
	SG_DP_DROP_HOLD_FULL,	 /**< client data over the hold bounds */
	SG_DP_DROP_HOLD_OOO,	 /**< held session: segment out of order (client resends) */
	SG_DP_DROP_BROKERED,	 /**< unexpected segment on a brokered session */
	SG_DP_DROP_NO_MBUF,	 /**< mbuf pool empty when originating a packet */
	SG_DP_DROP_BOUNCE_BAD, /**< DSR hand-off bounce malformed, foreign or for no waiting session
				*/
	SG_DP_DROP_ICMP_FAMILY, /**< ICMPv6 (58) over IPv4 or ICMP (1) over IPv6 */
	SG_DP_DROP_TCP_DOFF,	/**< TCP header + options beyond the packet or its first segment */
	SG_DP_DROP_NEIGH_UNSOLICITED, /**< ARP reply / gratuitous ARP / NA for no wanted next hop */
	SG_DP_DROP_ICMP_NOFLOW,	      /**< ICMP error quoting no flow of this worker */
	SG_DP_DROP_ICMP_RATELIMITED,  /**< ICMP error over the worker's relay rate */
	/* brokered sessions under attack (doc/sessions.md, "Limits") */
	SG_DP_DROP_HOLD_BUDGET, /**< segment refused: the worker's held mbufs or the pool reserve */
	SG_DP_DROP_HOLD_PREFIX, /**< new session refused: its source prefix holds too many */
	SG_DP_DROP_NEW_RATE,	/**< new session refused: its source prefix's SESSION_NEW rate */
	SG_DP_DROP_VM_RST,	/**< hand-off: a VM RST that does not acknowledge our SYN */
	SG_DP_DROP_BOUNCE_TOKEN, /**< DSR hand-off bounce without its session's token */
	SG_DP_DROP_HELD_CSUM,	 /**< brokered: bad TCP checksum, not acknowledged nor held */
	SG_DP_DROP_SYN_SHED,  /**< SYN to a cookie-answering VS shed: the worker is behind (full rx
				 bursts) */
	SG_DP_DROP_EXC_RATE,  /**< for the kernel (exception path): over the worker's rate share */
	SG_DP_DROP_EXC_QUEUE, /**< for the kernel (exception path): its ring to the main lcore full
			       */
	/* member health (doc/dataplane.md, "Member state") */
	SG_DP_DROP_NO_LIVE_MEMBER,	/**< new flow: the pool's configured members are all down */
	SG_DP_DROP_NO_LIVE_RATELIMITED, /**< no_live_member reset: answer over the worker's rate */
	/* exception path, priority class (core/exc.h): a BGP peer's BGP, BFD, ARP, ND */
	SG_DP_DROP_EXC_PRIO_RATE, /**< for the kernel, priority class: over its fixed rate */
	/* per-session QoS (doc/sessions.md, "Usage and QoS") */
	SG_DP_DROP_QOS_RATE, /**< installed session: over its INSTALL's rate_bps */
	/* brokered DSR hand-off (doc/sessions.md, "DSR hand-off") */
	SG_DP_DROP_HOLD_DSR, /**< client bytes new after the DSR hand-off's SYN: not held */
	/* NAT ports reused while a member holds an earlier flow's half-open connection */
	SG_DP_DROP_NAT_STALE_SYNACK, /**< member SYN-ACK not acknowledging the client's SYN */
	/* events (not drops) */
	SG_DP_EV_FLOW_NEW,	/**< flows created */
	SG_DP_EV_FLOW_EXPIRED,	/**< flows removed by idle timeout */
	SG_DP_EV_FLOW_CLOSED,	/**< flows removed after FIN/RST */
	SG_DP_EV_FLOW_EVICTED,	/**< flows evicted to make room */
	SG_DP_EV_ARP_REPLY,	/**< ARP replies sent */
	SG_DP_EV_ND_REPLY,	/**< neighbour advertisements sent */
	SG_DP_EV_ICMP_REPLY,	/**< echo replies sent */
	SG_DP_EV_NEIGH_LEARN,	/**< neighbour entries learned/refreshed */
	SG_DP_EV_HANDOFF_OUT,	/**< packets handed to another worker */
	SG_DP_EV_HANDOFF_IN,	/**< packets received from another worker */
	SG_DP_EV_CONSUMED,	/**< packets used up by the data plane (ARP replies, NAs learned) */
	SG_DP_EV_ICMP_TOOBIG,	/**< DSR packet over the MTU answered with frag-needed / PTB */
	SG_DP_EV_SYNCOOKIE,	/**< SYN to a brokered VS answered with a cookie SYN-ACK */
	SG_DP_EV_SESS_NEW,	/**< brokered sessions opened (valid cookie) */
	SG_DP_EV_SESS_SENT,	/**< SESSION_NEW enqueued to sg-control */
	SG_DP_EV_CTL_RING_FULL, /**< a message to sg-control found its ring full (retried) */
	SG_DP_EV_SESS_INSTALLED,  /**< hand-offs completed (VM answered) */
	SG_DP_EV_SESS_REDIRECTED, /**< answered with an HTTP 307 */
	SG_DP_EV_SESS_REJECTED,	  /**< answered with 503 / RST on SESSION_REJECT or no control */
	SG_DP_EV_SESS_TIMEOUT,	  /**< hold, connect or replay timeout (the three below) */
	SG_DP_EV_SESS_TMO_HOLD,	  /**< ... held past the VS's hold timeout */
	SG_DP_EV_SESS_TMO_CONN,	  /**< ... the VM never answered the hand-off's SYN */
	SG_DP_EV_SESS_TMO_REPLAY, /**< ... the VM never acknowledged the replayed bytes */
	SG_DP_EV_INSTALL_FAILED,  /**< hand-off could not start: no NAT port / address, no host */
	SG_DP_EV_SESS_CLOSED,	  /**< brokered flows ended (SESSION_CLOSED sent or queued) */
	SG_DP_EV_CLOSED_LOST,	  /**< SESSION_CLOSED lost: its retry queue was full */
	SG_DP_EV_CTL_MSG,	  /**< messages received from sg-control */
	SG_DP_EV_CTL_MSG_BAD,	  /**< messages refused: malformed or for an unknown session */
	SG_DP_EV_HELD,		  /**< packets taken into hold buffers */
	SG_DP_EV_RELEASED,	  /**< held packets sent on (replayed) or freed */
	SG_DP_EV_GENERATED,	  /**< packets the data plane originated (ACK, SYN, 307, 503) */
	SG_DP_EV_BOUNCE,	  /**< VM segments a host returned during a DSR hand-off */
	SG_DP_EV_NEIGH_REFUSED,	  /**< ARP request / NS answered, its sender not learned */
	SG_DP_EV_ICMP_RELAYED,	  /**< ICMP errors relayed along the flow they quote */
	/* NAT ports and flow-table pressure (doc/dataplane.md) */
	SG_DP_EV_NAT_PORT_EXHAUSTED, /**< a NAT address's port pool was empty (reclaim tried) */
	SG_DP_EV_NAT_PORT_RECLAIMED, /**< embryonic/closing NAT flows removed for their port */
	SG_DP_EV_FLOW_TABLE_FULL,    /**< insertions that found the flow table full */
	SG_DP_EV_FLOW_EVICTED_EMB,   /**< evicted flows that were embryonic or closing */
	SG_DP_EV_FLOW_EVICTED_EST,   /**< evicted flows that were established (or brokered) */
	SG_DP_EV_FLOW_BUCKET_FULL,   /**< flows refused: both index buckets of the key full */
	SG_DP_EV_SYNPROXY_SYNACK, /**< SYN to a proxied nat VS answered with a cookie (no state) */
	SG_DP_EV_SYNPROXY_OPEN, /**< proxied: valid cookie ACK, flow made, SYN sent to the member */
	SG_DP_EV_SYNPROXY_REFUSED, /**< proxied: valid cookie ACK refused (no room, port, member) */
	SG_DP_EV_SYNPROXY_ON,	   /**< syn_proxy auto turned on (per worker and VS) */
	SG_DP_EV_VM_STALE_RESET,   /**< NAT hand-off: a VM's stale connection on the tuple reset */
	SG_DP_EV_SYNPROXY_OFF,	   /**< syn_proxy auto turned off again */
	SG_DP_EV_EXC_TO_KERNEL,	   /**< passed to the kernel (exception path, exc.h) */
	/* passive detection and SESSION_ABORT (doc/dataplane.md, doc/sessions.md) */
	SG_DP_EV_PASSIVE_FAILURES, /**< validated connect failures of watched members (per flow) */
	SG_DP_EV_PASSIVE_SUSPECTS, /**< MEMBER_SUSPECT decided (at most 1/s per member) */
	SG_DP_EV_PASSIVE_RST_UNVALIDATED, /**< member RST on a watched flow, seq/ack not exact */
	SG_DP_EV_CTL_ABORT,		  /**< SESSION_ABORT applied to a session of this worker */
	SG_DP_EV_CTL_ABORT_UNKNOWN,	  /**< SESSION_ABORT for no session of this worker */
	SG_DP_EV_CTL_DRAIN_FULL, /**< SESSION_ABORT drain found no room to wait: reset at once */
	/* member health (doc/dataplane.md, "Member state") */
	SG_DP_EV_MEMBER_STATE_MSG,   /**< MEMBER_STATE passed to the main lcore (worker 0) */
	SG_DP_EV_MEMBER_STATE_LOST,  /**< MEMBER_STATE lost: mailbox full, or not worker 0 */
	SG_DP_EV_NO_LIVE_RST,	     /**< no_live_member reset: TCP answered with RST */
	SG_DP_EV_NO_LIVE_UNREACH,    /**< no_live_member reset: UDP answered port unreachable */
	SG_DP_EV_FLOWS_RESET_MEMBER, /**< flows of a RESET member marked by the reset walk */
	SG_DP_EV_MEMBER_RESET_RST,   /**< segments of a reset member's flow answered with RST */
	/** flows removed for a new connection on their tuple, their member not up (worker/reuse.h)
	 */
	SG_DP_EV_FLOW_RESCHED_MEMBER_DOWN,
	/** RSTs to the other side of a reset NAT flow / aborted NAT session (session/peerrst.h) */
	SG_DP_EV_PEER_RST,
	/* state sync, the workers' side (core/sync.h, doc/dataplane.md "State sync") */
	SG_DP_EV_SYNC_PUB,	   /**< ADD records enqueued on sync_out (refreshes included) */
	SG_DP_EV_SYNC_OUT_FULL,	   /**< records lost: sync_out was full */
	SG_DP_EV_SYNC_REFRESH,	   /**< ADD records of active flows re-sent by the expiry walk */
	SG_DP_EV_SYNC_DEL,	   /**< DEL records enqueued (a published flow was removed) */
	SG_DP_EV_SYNC_INSTALLED,   /**< peers' flows installed as synced copies */
	SG_DP_EV_SYNC_UPDATED,	   /**< synced copies updated by an ADD */
	SG_DP_EV_SYNC_REMOVED,	   /**< synced (or taken over) flows removed by a DEL */
	SG_DP_EV_SYNC_REC_BAD,	   /**< records refused: a field out of range, another worker's */
	SG_DP_EV_SYNC_CONFLICT,	   /**< ADD not installed: NAT port or return key taken, no room */
	SG_DP_EV_SYNC_IGNORED_OWN, /**< records about a flow this worker owns: ignored */
	SG_DP_EV_SYNC_TAKEOVER,	   /**< synced copies that saw a packet here: now this worker's */
	SG_DP_EV_SYNC_DUMP_RECS,   /**< records enqueued by dump walks (DUMP_END included) */
	/* idle mode (dataplane/idle.h, doc/dataplane.md "Idle mode") */
	SG_DP_EV_IDLE_SLEEPS,	/**< sleeps of an idle worker */
	SG_DP_EV_IDLE_SLEEP_US, /**< microseconds idle workers slept (measured) */
	/** passed to the kernel in the exception path's priority class (also in exc_to_kernel) */
	SG_DP_EV_EXC_PRIO_TO_KERNEL,
	/* issue 16 (dpl7): keys of brokered sessions not found */
	SG_DP_EV_KEY_ABSENT,	/**< sessions whose L7 key was absent (sent without a key) */
	SG_DP_EV_KEY_MALFORMED, /**< sessions whose L7 key was malformed or too long */
	/* usage and VS_STATS to sg-control (doc/sessions.md, "Usage and QoS") */
	SG_DP_EV_USAGE_SENT,	    /**< SESSION_USAGE enqueued (interim totals of a session) */
	SG_DP_EV_USAGE_DEFERRED,    /**< SESSION_USAGE not sent (ring full): next interval */
	SG_DP_EV_VS_STATS_SENT,	    /**< VS_STATS enqueued */
	SG_DP_EV_VS_STATS_DEFERRED, /**< VS_STATS not sent (ring full, control away): next second */
	/* SESSION_ABORT reset of a NAT hand-off, unprompted (session/peerrst.h sg_dp_abort_rst())
	 */
	SG_DP_EV_CTL_ABORT_RST_CLIENT, /**< RSTs to the client, seq = its next expected */
	SG_DP_EV_CTL_ABORT_RST_VM,     /**< RSTs to the VM, seq = its next expected */
	/* a memif peer that left mid-burst (dataplane/portguard.h, doc/dataplane.md) */
	SG_DP_EV_PORT_FAULT_RECOVERED,	/**< bursts cut short by a fault on a port whose link went
					   down */
	SG_DP_EV_PORT_FAULT_MBUFS_LOST, /**< mbufs of such tx bursts, left to leak (not freed) */
	/** RSTs to a member's stale half-open connection on a NAT port (session/peerrst.h) */
	SG_DP_EV_NAT_STALE_RST,
	SG_DP_CNT_MAX
};

/** Counters below this one are drops (each freed one packet). */
#define SG_DP_DROP_END SG_DP_EV_FLOW_NEW

/** Name of a counter for telemetry ("drop_ip_ihl", "flow_new", ...). */
const char *sg_dp_cnt_name(enum sg_dp_cnt c);

/** A BGP peer of the exception path's priority class (sg_dp_worker_conf). */
struct sg_dp_exc_peer {
	uint8_t family; /**< AF_INET or AF_INET6 */
	uint8_t a[16];	/**< the address, network order (IPv4: the first 4 bytes) */
};

#define SG_DP_EXC_PRIO_PEERS SG_CFG_BGP_PEERS_MAX

struct sg_dp_port_stats {
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;
	uint64_t drops; /**< every drop of a packet received on this port */
};

struct sg_dp_obj_stats {
	uint64_t pkts, bytes;
	uint64_t flows;	       /**< flows created */
	uint64_t active_flows; /**< signed deltas summed across workers */
};

/** Per-worker statistics (cache aligned, written by one lcore, summed on read). */
struct sg_dp_stats {
	uint64_t cnt[SG_DP_CNT_MAX];
	struct sg_dp_port_stats port[SG_DP_PORTS_MAX];
	struct sg_dp_obj_stats vs[SG_DP_VS_SLOTS];
	struct sg_dp_obj_stats member[SG_DP_MEMBER_SLOTS];
} __rte_cache_aligned;

/** What a worker needs to know about one port (filled by the program). */
struct sg_dp_port_info {
	bool present;
	struct rte_ether_addr mac;
};

/**
 * Immutable forwarding tables built from a configuration: own addresses
 * per port, VIP and NAT address sets, virtual services with their
 * scheduler state (Maglev lookup tables), pools and members with stable
 * counter slots, routes (connected prefixes and gateways per port).
 * Opaque to the program.
 */
struct sg_dp_tables;

/**
 * Build tables from @p cfg (off the worker path: allocates, may take
 * milliseconds for Maglev). @p prev (may be NULL) is the table set in
 * service: counter slots of VSs and members with the same names are kept,
 * so counters survive a reload.
 *
 * @return 0, -EINVAL (with @p err: e.g. more members than counter slots),
 *   -ENOMEM.
 */
int sg_dp_tables_build(const struct sg_cfg *cfg, const struct sg_dp_tables *prev,
		       const struct sg_dp_port_info ports[SG_DP_PORTS_MAX],
		       struct sg_dp_tables **out, char *err, size_t errlen);
void sg_dp_tables_free(struct sg_dp_tables *t);

struct sg_dp_health;
/**
 * sg_dp_tables_build() with the member health overlay @p health (may be
 * NULL: every member up; core/health.h): a member that is not up has
 * effective weight 0 for new flows; Maglev gives only its entries to the
 * live members; a VS whose pool has no live member follows its
 * no_live_member; members in RESET are listed for the workers' reset walk.
 */
int sg_dp_tables_build_health(const struct sg_cfg *cfg, const struct sg_dp_tables *prev,
			      const struct sg_dp_port_info ports[SG_DP_PORTS_MAX],
			      const struct sg_dp_health *health, struct sg_dp_tables **out,
			      char *err, size_t errlen);

/** Name of the VS / member that owns counter slot @p slot in @p t, or NULL if unused. */
const char *sg_dp_tables_vs_name(const struct sg_dp_tables *t, unsigned int slot);
const char *sg_dp_tables_member_name(const struct sg_dp_tables *t, unsigned int slot,
				     const char **pool);

/**
 * Neighbour table (ARP / ND) shared by all workers and the main lcore.
 * Lock-free: entries are a fixed open-addressed array; a MAC is stored
 * with a single atomic 64-bit write. @p entries (64..1048576, rounded up to
 * a power of two): appliance.neighbours.
 */
struct sg_dp_neigh;
struct sg_dp_neigh *sg_dp_neigh_create(unsigned int entries, int socket);
void sg_dp_neigh_free(struct sg_dp_neigh *n);
/**
 * Main lcore: build ARP requests / neighbour solicitations (from @p pool)
 * for next hops that workers asked for and that are unresolved or stale,
 * at most @p max; return them per port in @p out / @p n_out.
 */
unsigned int sg_dp_neigh_solicit(struct sg_dp_neigh *n, const struct sg_dp_tables *t,
				 struct rte_mempool *pool, uint64_t now_tsc, struct rte_mbuf **out,
				 uint16_t *out_port, unsigned int max);
/**
 * Main lcore, after each table publication: pin the next hops @p t needs
 * (each port's gateways, the next hop of every member and member host) so
 * that they are resolved at once and never evicted or aged. Does nothing
 * when the generation of @p t was already pinned.
 */
void sg_dp_neigh_pin(struct sg_dp_neigh *n, const struct sg_dp_tables *t, uint64_t now_tsc);
/**
 * Counters of the neighbour table for telemetry: up to @p max (name, value)
 * pairs ("neigh_evicted", "neigh_full", "neigh_aged", "neigh_entries").
 * @return the number of pairs written.
 */
unsigned int sg_dp_neigh_stats(const struct sg_dp_neigh *n, const char **names, uint64_t *vals,
			       unsigned int max);

/** Everything a worker is given at creation. */
struct sg_dp_worker_conf {
	unsigned int id; /**< 0..n_workers-1 */
	unsigned int n_workers;
	int socket;
	uint32_t flow_entries; /**< flow table capacity of this worker */
	struct sg_dp_neigh *neigh;
	struct sg_dp_port_info ports[SG_DP_PORTS_MAX];
	/**
	 * Hand-off rings, one per worker (index = worker id), multi-producer
	 * single-consumer. A NAT return packet whose NAT port belongs to
	 * another worker's slice is enqueued to that worker's ring.
	 */
	struct rte_ring *handoff[SG_DP_WORKERS_MAX];
	/*
	 * Brokered sessions (doc/sessions.md). to_ctl / from_ctl: this worker's
	 * SP/SC rings of the shared-memory channel to sg-control (NULL: no
	 * control path: brokered sessions are answered at once). ctl_up: set by
	 * the main lcore while sg-control's heartbeat moves (read atomically).
	 */
	struct rte_ring *to_ctl;
	struct rte_ring *from_ctl;
	const bool *ctl_up;
	uint64_t dp_epoch;	  /**< this data-plane start (session IDs) */
	uint32_t max_held;	  /**< held sessions; 0 = no brokered sessions */
	uint64_t hold_budget;	  /**< held client bytes */
	uint32_t hold_mbufs;	  /**< mbufs held by all sessions; 0 = half the pool */
	uint32_t hold_reserve;	  /**< free mbufs of @c pool a hold never takes */
	uint32_t pfx_max_held;	  /**< held sessions per source /24 or /64; 0 = no limit */
	uint32_t pfx_new_rate;	  /**< new sessions per second per source prefix; 0 = no limit */
	uint32_t pfx_new_burst;	  /**< ... and their burst */
	struct rte_mempool *pool; /**< for packets the data plane originates */
	const struct sg_dp_syncookie_secret *cookies;
	uint32_t cookie_clock_s; /**< nonzero: fixed SYN-cookie clock (test mode, testmode.h) */
	/*
	 * The exception path (core/exc.h): the MP/SC ring to the main lcore
	 * (NULL: off, packets for the kernel are dropped as drop_l4_proto),
	 * and the appliance-wide rate and burst this worker takes 1/n_workers of.
	 */
	struct rte_ring *exc_ring;
	uint32_t exc_rate_pps;
	uint32_t exc_burst;
	/*
	 * The exception path's priority class (core/exc.h): the BGP peers'
	 * addresses (appliance.cluster.bgp.peers) and the MP/SC ring the main
	 * lcore drains first; NULL or no peers: no class.
	 */
	struct rte_ring *exc_prio_ring;
	struct sg_dp_exc_peer exc_prio_peers[SG_DP_EXC_PRIO_PEERS];
	unsigned int n_exc_prio_peers;
	/**
	 * Worker 0 only: SP/SC ring (elements struct sg_msg_member_state) to
	 * the main lcore, which applies member state (core/health.h). NULL on
	 * other workers: a MEMBER_STATE there is counted member_state_lost.
	 */
	struct rte_ring *member_mbox;
	/*
	 * State sync (core/sync.h, doc/cluster.md). sync_out: SP/SC ring of
	 * struct sg_sync_rec elements (include/sessiongate/sg_sync.h) this
	 * worker produces, the sync thread consumes (NULL: sync off);
	 * sync_in: SP/SC ring the sync thread fills with the peers' records
	 * for this worker. sync_dump: the dump the sync thread asks for
	 * (read atomically; for each new nonzero value the worker walks its
	 * table once, a bounded slice per poll, and ends with a DUMP_END
	 * record carrying that value). node_id: appliance.cluster.node_id
	 * (0 standalone), part of every session ID.
	 */
	struct rte_ring *sync_out;
	struct rte_ring *sync_in;
	const uint32_t *sync_dump;
	uint32_t sync_refresh_s; /**< an active synced flow is re-sent this often */
	bool sync_dsr;		 /**< also sync DSR flows of non-Maglev VSs */
	unsigned int node_id;
	/**
	 * VS_STATS of the brokered VSs to sg-control about once a second and
	 * after a reload (session/vsstats.h); off: none (unit tests of other
	 * messages). sg-dataplane sets it.
	 */
	bool vs_stats;
};

/** Output of one processing call: packets to transmit per port. */
struct sg_dp_txq {
	struct rte_mbuf *pkts[SG_DP_PORTS_MAX][SG_DP_TXQ_MAX];
	uint16_t n[SG_DP_PORTS_MAX];
};

struct sg_dp_worker;
struct sg_dp_syncookie_secret;

struct sg_dp_worker *sg_dp_worker_create(const struct sg_dp_worker_conf *conf);
void sg_dp_worker_free(struct sg_dp_worker *w);

/**
 * Process a burst received on @p port. Packets go to @p out (the caller
 * transmits out->pkts[p][0..n) on its tx queue of port p and frees what
 * the port did not take, counting SG_DP_DROP_TX_FULL via
 * sg_dp_worker_count_tx()), to a hand-off ring, or are freed and counted.
 * @p t must be a table set built by sg_dp_tables_build() (not NULL); the
 * mbufs' port field is set to @p port (hand-off keeps the receiving port).
 * No allocation, no locks, no logging.
 */
void sg_dp_worker_process(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			  struct rte_mbuf **pkts, uint16_t n, struct sg_dp_txq *out,
			  uint64_t now_tsc);

/** Drain this worker's hand-off ring (packets other workers passed to it). */
void sg_dp_worker_handoff_drain(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				struct sg_dp_txq *out, uint64_t now_tsc);

/**
 * Expire idle flows: examine at most @p budget entries (call from the
 * worker loop when a poll found nothing, and at least every few ms).
 */
void sg_dp_worker_expire(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint64_t now_tsc,
			 unsigned int budget);

/**
 * Account transmitted / untransmitted packets of @p port after tx burst.
 * Call once per port after the last tx attempt of a processing round, with
 * @p sent = the queue array given to rte_eth_tx_burst (out->pkts[port]):
 * entries [0, n_sent) may already be freed by the PMD and are not read;
 * entries [n_sent, n_sent + n_dropped) are still the caller's (free them
 * after this call) and their lengths are taken off the transmitted bytes.
 * @p sent may be NULL when n_dropped is 0.
 */
void sg_dp_worker_count_tx(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf **sent,
			   uint16_t n_sent, uint16_t n_dropped);

/**
 * A burst on @p port was cut short: the port's link went down and its
 * driver unmapped the memory the burst was using (the program's port guard,
 * dataplane/portguard.h). Counts port_fault_recovered, and @p lost mbufs (a
 * tx burst's, whose ownership is unknown: leaked, not freed) in
 * port_fault_mbufs_lost; with @p lost != 0 (a tx burst) the port's pending
 * tx bytes are dropped too.
 */
void sg_dp_worker_count_port_fault(struct sg_dp_worker *w, uint16_t port, uint16_t lost);

/** The worker's statistics (read by the main lcore; values are monotonic). */
/**
 * Brokered sessions: messages from sg-control, hold timeouts and re-sends
 * (doc/sessions.md). Call once per round of the worker loop; cheap when
 * nothing is due.
 */
void sg_dp_worker_poll_control(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			       struct sg_dp_txq *out, uint64_t now_tsc);

/**
 * State sync (core/sync.c, doc/cluster.md): install the peers' records of
 * conf.sync_in (a bounded number per call), go on with a requested dump
 * walk, re-send active flows due for a refresh. Call once per round of the
 * worker loop; returns true when it did any work (idle mode), and is a
 * no-op returning false when sync is off (conf.sync_out NULL).
 */
bool sg_dp_worker_sync_poll(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint64_t now_tsc);

/**
 * The worker slept (idle mode, dataplane/idle.c): its next full rx bursts
 * carry the sleep's backlog, not overload, so up to SG_DP_SYN_WAKE_GRACE of
 * them (or until a short one) answer every SYN cookie instead of shedding.
 */
void sg_dp_worker_woke(struct sg_dp_worker *w);

const struct sg_dp_stats *sg_dp_worker_stats(const struct sg_dp_worker *w);

/** Current number of flows in this worker's table. */
uint32_t sg_dp_worker_flow_count(const struct sg_dp_worker *w);

/**
 * NAT address @p i of tables @p t (IPv4 ones first) as text in @p name,
 * with worker @p w's free and used source ports for it (read from another
 * lcore: a snapshot; 0 and 0 before the worker first met these tables).
 * @return 0, -ENOENT past the last NAT address, -ENOSPC when @p len is short.
 */
int sg_dp_worker_nat_ports(const struct sg_dp_worker *w, const struct sg_dp_tables *t,
			   unsigned int i, char *name, size_t len, uint32_t *n_free,
			   uint32_t *n_used);

#ifdef __cplusplus
}
#endif

#endif /* SG_DP_H */
