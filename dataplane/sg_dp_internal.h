/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Internal structures of the data-plane core library, shared by its .c
 * files and by its unit tests. Not part of the program's API (sg_dp.h).
 */
#ifndef SG_DP_INTERNAL_H
#define SG_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>

#include "sg_dp.h"

#define SG_DP_MAGLEV_DEFAULT 65537u
#define SG_DP_MAGLEV_MAX     1000003u /**< largest accepted lookup table size */
#define SG_DP_WRR_SEQ_MAX    65536u   /**< longest precomputed WRR sequence */
#define SG_DP_NO_MEMBER	     UINT16_MAX

/** An address of either family: IPv4 in a[0..3], the rest zero. */
struct sg_dp_ip {
	uint8_t family;
	uint8_t a[16];
};

/**
 * Flow (and VS / address) key: the 5-tuple in network order. IPv4
 * addresses occupy the first four bytes, the rest is zero. 40 bytes.
 */
struct sg_dp_flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport; /**< network order */
	uint16_t dport; /**< network order */
	uint8_t proto;
	uint8_t family;
	uint8_t pad[2];
} __rte_aligned(8); /* hashed 8 bytes at a time */

/** Metadata of a parsed packet (sg_dp_pkt_parse()). */
struct sg_dp_pkt {
	uint16_t l2_len;    /**< Ethernet (+ one VLAN tag) */
	uint16_t l3_len;    /**< IP header (IPv4 with options) */
	uint16_t ethertype; /**< host order, of the payload after any VLAN tag */
	uint16_t ip_len;    /**< IP header + payload as announced by the IP header */
	uint16_t l4_len;    /**< ip_len - l3_len */
	uint8_t ttl;	    /**< TTL / hop limit */
	uint8_t tcp_flags;
	bool vlan;
	struct sg_dp_flow_key key; /**< addresses, ports (ICMP: 0), proto, family */
};

/** Kinds of local address (bit set). */
#define SG_DP_ADDR_VIP 0x1
#define SG_DP_ADDR_NAT 0x2
#define SG_DP_ADDR_OWN 0x4

struct sg_dp_addr_info {
	uint8_t kinds;	   /**< SG_DP_ADDR_* */
	uint8_t own_ports; /**< bit per port that owns it (SG_DP_ADDR_OWN) */
};

/** One member of a pool, as the tables hold it. */
struct sg_dp_member {
	char name[SG_CFG_NAME_MAX];
	const char *pool; /**< name of its pool (in the tables) */
	uint16_t slot;	  /**< counter slot */
	uint32_t weight;
	struct sg_dp_ip addr;
	uint16_t port;	      /**< host order, 0 = VS port */
	struct sg_dp_ip host; /**< DSR underlay address (addr when unset in config) */
};

struct sg_dp_pool {
	char name[SG_CFG_NAME_MAX];
	struct sg_dp_member *members;
	unsigned int n_members;
};

struct sg_dp_vs {
	char name[SG_CFG_NAME_MAX];
	uint16_t slot; /**< counter slot */
	struct sg_dp_ip vip;
	uint16_t port; /**< host order */
	uint8_t proto;
	enum sg_cfg_mode mode;
	enum sg_cfg_sched sched;
	enum sg_cfg_encap encap;
	uint16_t gue_port; /**< host order */
	const struct sg_dp_pool *pool;
	uint32_t max_flows;
	uint64_t tmo_tcp_est; /**< idle timeouts in TSC cycles */
	uint64_t tmo_tcp_trans;
	uint64_t tmo_udp;
	/* scheduler state, read-only after build */
	uint16_t *maglev; /**< maglev_size entries: index in pool->members or SG_DP_NO_MEMBER */
	uint32_t maglev_size;
	uint16_t *wrr; /**< wrr_len member indices */
	uint32_t wrr_len;
	unsigned int n_active; /**< members with weight > 0 */
	/* brokered / redirect */
	struct sg_cfg_brokered br;
	uint64_t hold_tmo; /**< br.hold_timeout_ms in TSC cycles */
};

struct sg_dp_port_tab {
	bool present;
	struct rte_ether_addr mac;
	uint16_t mtu;
	struct sg_cfg_addr addr4, addr6, gw4, gw6;
};

struct sg_dp_tables {
	struct sg_dp_port_tab ports[SG_DP_PORTS_MAX];
	struct sg_dp_vs *vs;
	unsigned int n_vs;
	struct sg_dp_pool *pools;
	unsigned int n_pools;
	struct sg_dp_member *members; /**< all members of all pools */
	unsigned int n_members;
	struct rte_hash *vs_hash;   /**< sg_dp_flow_key (dst, dport, proto, family) -> vs */
	struct rte_hash *addr_hash; /**< sg_dp_flow_key (dst, family) -> addr_info */
	struct sg_dp_addr_info *addr_info;
	unsigned int n_addrs;
	struct sg_dp_ip nat_addrs[SG_CFG_NAT_ADDRS_MAX];
	unsigned int n_nat4, n_nat6;
	struct sg_dp_ip nat4[SG_CFG_NAT_ADDRS_MAX], nat6[SG_CFG_NAT_ADDRS_MAX];
	uint16_t nat_port_min, nat_port_max;
	uint64_t generation; /**< unique per build */
	/* counter slot owners (names point into vs[] / members[]) */
	const struct sg_dp_vs *vs_by_slot[SG_DP_VS_SLOTS];
	const struct sg_dp_member *member_by_slot[SG_DP_MEMBER_SLOTS];
};

/* ---- flows ---- */
enum sg_dp_flow_state {
	SG_DP_FS_FREE = 0,
	SG_DP_FS_SYN,	     /**< TCP: SYN seen */
	SG_DP_FS_EST,	     /**< TCP established, or UDP */
	SG_DP_FS_CLOSING,    /**< TCP: FIN or RST seen */
	SG_DP_FS_HELD,	     /**< brokered: handshake done by cookie, client held */
	SG_DP_FS_CONNECTING, /**< brokered NAT hand-off: SYN sent to the VM */
	SG_DP_FS_ANSWERED,   /**< brokered: answered by the data plane (307/503), closing */
};

#define SG_DP_FLOW_NAT	   0x1
#define SG_DP_FLOW_SEQ	   0x2 /**< spliced connection: translate seq / ack / timestamps */
#define SG_DP_FLOW_RSTNEXT 0x4 /**< answered without data: reset the client's next segment */
/** Counter slot of brokered flows (no pool member of the tables). */
#define SG_DP_MEMBER_SLOT_BROKERED (SG_DP_MEMBER_SLOTS - 1)

/** A flow: everything forwarding needs is copied in, so it outlives its tables. */
/** Where a flow's packets go: cached route and neighbour entry (one per direction). */
struct sg_dp_route_cache {
	struct sg_dp_neigh_entry *ne; /**< neighbour of the next hop; NULL: resolve */
	uint64_t tables_gen;	      /**< tables the route was computed from */
	uint16_t port;		      /**< egress port */
};

/*
 * Hot fields first: a DSR hit touches only the first cache line (state,
 * timers, counters' slots, route cache, host); NAT also reads the second.
 */
struct sg_dp_flow {
	uint64_t last_tsc;
	uint64_t tmo_est, tmo_trans; /**< TCP est / transitory (UDP: tmo_est) in TSC */
	uint32_t hash;		     /**< flow hash (GUE source port) */
	uint8_t state;
	uint8_t flags;
	uint8_t mode;
	uint8_t encap;
	uint16_t vs_slot;
	uint16_t member_slot;
	uint16_t gue_port; /**< network order */
	uint16_t mport;	   /**< member port, network order */
	uint16_t nat_port; /**< network order */
	struct sg_dp_ip host;
	struct sg_dp_route_cache rt[2]; /**< [0] towards the member/host, [1] back to the client */
	struct sg_dp_ip member;
	struct sg_dp_ip nat;
	struct sg_dp_flow_key key;  /**< client -> VIP */
	struct sg_dp_flow_key rkey; /**< NAT: member -> NAT address (return key) */
	/* brokered sessions */
	uint64_t sid;	  /**< streaming session ID; 0 = not brokered */
	uint32_t sess;	  /**< session slot + 1 while held / connecting; 0 = none */
	uint32_t seq_s2c; /**< SG_DP_FLOW_SEQ: VM seq + seq_s2c = seq the client sees */
	uint32_t ts_s2c;  /**< VM TSval + ts_s2c = TSval the client sees */
	int8_t ws_shift;  /**< VM window << ws_shift (negative: >>) for the client */
	bool ts;	  /**< timestamps in use */
};

struct sg_dp_flow_table {
	struct rte_hash *h; /**< key -> entry index (data = index) */
	struct sg_dp_flow *e;
	uint32_t *free_idx; /**< stack of free entry indices */
	uint32_t n_free;
	uint32_t cap;
	uint32_t count;
	uint32_t cursor; /**< expiry / eviction scan position */
	uint32_t gen;	 /**< bumped by every removal: invalidates looked-up entries */
};

/* ---- NAT port allocator (per worker) ---- */
struct sg_dp_nat_alloc {
	uint16_t *fifo; /**< free ports of this worker within the current range */
	uint32_t head, n;
	uint8_t *used;	   /**< 65536 flags */
	uint16_t min, max; /**< range the fifo was built for (0/0: not built) */
};

struct sg_dp_broker;

struct sg_dp_worker {
	struct sg_dp_stats stats;
	struct sg_dp_broker *br; /**< brokered sessions (sg_dp_broker.c); NULL: none */
	struct sg_dp_worker_conf conf;
	struct sg_dp_flow_table ft;
	struct sg_dp_nat_alloc nat;
	uint32_t vs_active[SG_DP_VS_SLOTS];
	uint32_t member_active[SG_DP_MEMBER_SLOTS];
	uint32_t wrr_pos[SG_DP_VS_SLOTS];
	uint64_t pend_tx_bytes[SG_DP_PORTS_MAX];
	uint64_t tsc_hz;
} __rte_cache_aligned;

/* ---- neighbour table ---- */
#define SG_DP_NEIGH_MAC_VALID (1ull << 63)

struct sg_dp_neigh_entry {
	uint32_t state; /**< 0 empty, 1 being filled, 2 valid (atomic) */
	uint8_t family;
	uint8_t port;
	uint8_t wanted; /**< a worker missed on it (atomic) */
	uint8_t a[16];
	uint64_t mac;	    /**< MAC in bits 0..47 + SG_DP_NEIGH_MAC_VALID (atomic) */
	uint64_t learned;   /**< TSC of the last learn (atomic) */
	uint64_t solicited; /**< TSC of the last solicitation (main lcore only) */
} __rte_cache_aligned;

struct sg_dp_neigh {
	struct sg_dp_neigh_entry *e;
	uint32_t mask;
	uint64_t stale_tsc; /**< age after which a used MAC is refreshed */
};

/* pkt_parse.c */
enum sg_dp_cnt sg_dp_pkt_parse(struct rte_mbuf *m, struct sg_dp_pkt *p);

/* tables.c */
const struct sg_dp_addr_info *sg_dp_tables_addr(const struct sg_dp_tables *t, uint8_t family,
						const uint8_t *a);
const struct sg_dp_vs *sg_dp_tables_vs(const struct sg_dp_tables *t, uint8_t family,
				       const uint8_t *vip, uint16_t port_be, uint8_t proto);
/**
 * Route @p dst: egress port and next hop (the destination when on-link,
 * else the port's gateway). Returns -1 when no present port reaches it.
 */
int sg_dp_route(const struct sg_dp_tables *t, uint8_t family, const uint8_t *dst,
		struct sg_dp_ip *nexthop);
bool sg_dp_prefix_match(const struct sg_cfg_addr *pfx, uint8_t family, const uint8_t *a);
void sg_dp_ip_from_cfg(struct sg_dp_ip *ip, const struct sg_cfg_addr *a);

/* maglev.c */
/**
 * Fill @p table (@p size entries, a prime) with indices of @p n backends,
 * backend i owning about weight[i]/sum of the entries. Backends with weight
 * 0 get none; all zero leaves every entry SG_DP_NO_MEMBER. @p id seeds each
 * backend's permutation (keep it stable across rebuilds).
 */
int sg_dp_maglev_build(const uint32_t *weight, const uint64_t *id, unsigned int n, uint32_t size,
		       uint16_t *table);
bool sg_dp_is_prime(uint32_t n);
int sg_dp_wrr_build(const uint32_t *weight, unsigned int n, uint16_t **seq, uint32_t *len);
/** Pick a member for a new flow of @p vs on worker @p w (index in pool) or SG_DP_NO_MEMBER. */
uint16_t sg_dp_sched_pick(struct sg_dp_worker *w, const struct sg_dp_vs *vs, uint32_t hash);

/* flow.c */
int sg_dp_flow_table_init(struct sg_dp_flow_table *ft, uint32_t cap, int socket,
			  unsigned int worker_id);
void sg_dp_flow_table_free(struct sg_dp_flow_table *ft);
struct sg_dp_flow *sg_dp_flow_lookup(struct sg_dp_flow_table *ft, const struct sg_dp_flow_key *key);
/** New entry for @p key (not yet present), evicting if full; NULL with *reason set. */
struct sg_dp_flow *sg_dp_flow_insert(struct sg_dp_worker *w, const struct sg_dp_flow_key *key,
				     uint64_t now, enum sg_dp_cnt *reason);
/** Undo sg_dp_flow_insert() before the flow was counted (no NAT key yet). */
void sg_dp_flow_discard(struct sg_dp_flow_table *ft, struct sg_dp_flow *f);
/** Fill f->rkey (member -> NAT address:port) from the flow and add it to the table. */
int sg_dp_flow_add_rkey(struct sg_dp_flow_table *ft, struct sg_dp_flow *f);
void sg_dp_flow_remove(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why);
void sg_dp_flow_track_tcp(struct sg_dp_flow *f, uint8_t tcp_flags);
uint32_t sg_dp_flow_hash(const struct sg_dp_flow_key *key);

/* nat.c */
int sg_dp_nat_alloc_init(struct sg_dp_nat_alloc *na, int socket);
void sg_dp_nat_alloc_free(struct sg_dp_nat_alloc *na);
/** Allocate a port (host order) of worker @p w within the tables' range; 0 if none. */
uint16_t sg_dp_nat_port_get(struct sg_dp_worker *w, const struct sg_dp_tables *t);
void sg_dp_nat_port_put(struct sg_dp_worker *w, uint16_t port);
/** Worker owning NAT port @p port (host order). */
static inline unsigned int
sg_dp_nat_port_owner(uint16_t port, unsigned int n_workers)
{
	return n_workers > 1 ? port % n_workers : 0;
}
void sg_dp_nat_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p, const uint8_t *src,
		       uint16_t sport, const uint8_t *dst, uint16_t dport);

/* worker.c */
/** Egress port and next-hop MAC for @p dst, or a drop counter (no_route, neigh_miss). */
enum sg_dp_cnt sg_dp_resolve(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint8_t family,
			     const uint8_t *dst, uint64_t now, uint16_t *port,
			     struct rte_ether_addr *mac);

/* encap.c */
/**
 * DSR: wrap the packet (its IP header at p->l2_len) in an outer IP (+ GUE
 * UDP) header from @p port of @p t to the flow's host and an Ethernet header
 * to @p dmac. Returns SG_DP_CNT_MAX or the drop counter (mtu, headroom,
 * no_route when the port has no address of the outer family).
 */
enum sg_dp_cnt sg_dp_encap(struct rte_mbuf *m, const struct sg_dp_pkt *p,
			   const struct sg_dp_flow *f, const struct sg_dp_tables *t, uint16_t port,
			   const struct rte_ether_addr *dmac);
/** Bytes sg_dp_encap() adds in front of the inner IP packet of flow @p f (without L2). */
unsigned int sg_dp_encap_overhead(const struct sg_dp_flow *f);
/** Replace the L2 header (and trailing padding) by Ethernet from @p port to @p dmac. */
void sg_dp_l2_rewrite(struct rte_mbuf *m, const struct sg_dp_pkt *p,
		      const struct rte_ether_addr *smac, const struct rte_ether_addr *dmac);

/* neigh.c */
/** MAC of (port, family, a) or false on a miss (the entry is then marked wanted). */
bool sg_dp_neigh_lookup(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
			uint64_t now, struct rte_ether_addr *mac);
/**
 * As sg_dp_neigh_lookup(), returning the entry (NULL on a miss) so that a
 * flow can cache it: entries are never removed while the table lives.
 */
struct sg_dp_neigh_entry *sg_dp_neigh_get(struct sg_dp_neigh *n, uint16_t port, uint8_t family,
					  const uint8_t *a, uint64_t now,
					  struct rte_ether_addr *mac);
/** MAC of a cached entry; false if it is not valid (then marked wanted). */
static inline bool
sg_dp_neigh_entry_mac(const struct sg_dp_neigh *n, struct sg_dp_neigh_entry *e, uint64_t now,
		      struct rte_ether_addr *mac)
{
	uint64_t v = __atomic_load_n(&e->mac, __ATOMIC_ACQUIRE);

	if (unlikely(!(v & SG_DP_NEIGH_MAC_VALID))) {
		if (!__atomic_load_n(&e->wanted, __ATOMIC_RELAXED))
			__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED);
		return false;
	}
	for (unsigned int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(v >> (8 * i));
	if (unlikely(now > __atomic_load_n(&e->learned, __ATOMIC_RELAXED) + n->stale_tsc) &&
	    !__atomic_load_n(&e->wanted, __ATOMIC_RELAXED))
		__atomic_store_n(&e->wanted, 1, __ATOMIC_RELAXED); /* refresh, keep using it */
	return true;
}
/** Learn (create or refresh). Returns true if the table took it. */
bool sg_dp_neigh_learn(struct sg_dp_neigh *n, uint16_t port, uint8_t family, const uint8_t *a,
		       const struct rte_ether_addr *mac, uint64_t now);
/** May a worker learn @p a on @p port (on-link, gateway, IPv6 link-local)? */
bool sg_dp_neigh_learnable(const struct sg_dp_tables *t, uint16_t port, uint8_t family,
			   const uint8_t *a);

/* arp.c, nd.c, icmp.c: return SG_DP_CNT_MAX when the packet is to be sent back out
 * of @p port (reply built in place), SG_DP_EV_CONSUMED when it was used up, else a
 * drop counter. */
enum sg_dp_cnt sg_dp_arp_input(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			       struct rte_mbuf *m, const struct sg_dp_pkt *p, uint16_t port,
			       uint64_t now);
enum sg_dp_cnt sg_dp_nd_input(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			      struct rte_mbuf *m, const struct sg_dp_pkt *p, uint16_t port,
			      uint64_t now);
/**
 * Turn a DSR packet that does not fit the egress MTU into an ICMP
 * "fragmentation needed" (IPv4, only when DF is set) or ICMPv6 "packet too
 * big" from the VIP to the client, announcing @p mtu. Returns SG_DP_CNT_MAX
 * with *out_port set, or the drop counter (mtu when it cannot answer).
 */
enum sg_dp_cnt sg_dp_icmp_toobig(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				 struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t mtu,
				 uint64_t now, uint16_t *out_port);
enum sg_dp_cnt sg_dp_icmp_input(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				struct rte_mbuf *m, const struct sg_dp_pkt *p, uint16_t port,
				const struct sg_dp_addr_info *ai);

static inline void
sg_dp_ip_set(struct sg_dp_ip *ip, uint8_t family, const uint8_t *a)
{
	ip->family = family;
	memset(ip->a, 0, sizeof(ip->a));
	memcpy(ip->a, a, family == AF_INET ? 4 : 16);
}

/* broker.c: brokered and redirect virtual services (doc/sessions.md) */
int sg_dp_broker_create(struct sg_dp_worker *w);
void sg_dp_broker_free(struct sg_dp_worker *w);
/** First packet of a flow to a brokered / redirect VS (no flow entry). */
void sg_dp_broker_new(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		      struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_vs *vs,
		      struct sg_dp_txq *out, uint64_t now);
/** A packet of a brokered flow that is not (yet) a plain NAT flow. @p ret: from the VM. */
void sg_dp_broker_flow(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
		       struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
		       bool ret, struct sg_dp_txq *out, uint64_t now);
/** Spliced flow: translate a forwarded segment (after the NAT rewrite). */
void sg_dp_broker_xlate(struct rte_mbuf *m, const struct sg_dp_pkt *p, const struct sg_dp_flow *f,
			bool ret);
/** A VM -> client segment of a flow still replaying held bytes: release them once acked. */
void sg_dp_broker_vm_ack(struct sg_dp_worker *w, struct sg_dp_flow *f, struct rte_mbuf *m,
			 const struct sg_dp_pkt *p);
/**
 * UDP to SG_HANDOFF_PORT of an own address: a VM segment a host returns
 * during a DSR hand-off (handed to the session's worker when another got
 * it; @p handed: it came from another worker).
 */
void sg_dp_broker_bounce(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			 struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_txq *out,
			 uint64_t now, bool handed);
/** The flow is being removed: tell sg-control, free what the session holds. */
void sg_dp_broker_flow_gone(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why);
/** Messages from sg-control, hold timeouts, re-sends. Worker loop, every round. */
void sg_dp_broker_poll(struct sg_dp_worker *w, const struct sg_dp_tables *t, struct sg_dp_txq *out,
		       uint64_t now);
/* worker.c, for the broker */
void sg_dp_pkt_tx(struct sg_dp_worker *w, uint16_t rx_port, struct sg_dp_txq *out, uint16_t port,
		  struct rte_mbuf *m);
void sg_dp_pkt_drop(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m, enum sg_dp_cnt why);
enum sg_dp_cnt sg_dp_resolve_cached(struct sg_dp_worker *w, const struct sg_dp_tables *t,
				    struct sg_dp_route_cache *rc, uint8_t family,
				    const uint8_t *dst, uint64_t now, uint16_t *port,
				    struct rte_ether_addr *mac);

#endif /* SG_DP_INTERNAL_H */
