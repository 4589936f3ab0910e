/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-worker flow table (flow.c): the flow entry, its states and flags, and
 * the table operations. Removing a flow that carries a streaming-session ID
 * reports it through the worker's flow_gone hook (core/state.h): the core
 * does not know who owns sessions.
 */
#ifndef SG_DP_CORE_FLOW_H
#define SG_DP_CORE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <string.h>

#include <rte_hash_crc.h>

#include "sg_dp.h"
#include "core/addr.h"
#include "core/flowhash.h"

struct sg_dp_neigh_entry;
struct sg_dp_tables;
struct sg_dp_worker;

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
#define SG_DP_FLOW_PROXY   0x8 /**< SYN-proxied nat flow (session/synproxy.c): no sg-control */
/** Passive detection watches the member's answer to this flow's SYN (core/passive.h). */
#define SG_DP_FLOW_WATCH  0x10
#define SG_DP_FLOW_SYNACK 0x20 /**< watched: the member's SYN-ACK was seen (member_isn valid) */
#define SG_DP_FLOW_ABORT  0x40 /**< SESSION_ABORT: SESSION_CLOSED carries abort_reason */
/** Its member is in RESET: segments other than RST are answered with RST (worker/memberhealth.c) */
#define SG_DP_FLOW_RESET 0x80
/*
 * struct sg_dp_flow.sync (core/sync.h): bits 0..3 say what state sync knows
 * of the flow, bits 4..7 hold the refresh period of its last ADD (mod 16).
 */
#define SG_DP_SYNC_WANT	       0x1 /**< published when established (NAT, brokered, non-Maglev DSR) */
#define SG_DP_SYNC_PUB	       0x2 /**< an ADD went out: its removal sends a DEL */
#define SG_DP_SYNC_COPY	       0x4 /**< installed from a peer's record, no packet seen here yet */
#define SG_DP_SYNC_TAKEN       0x8 /**< was a copy, saw a packet here: this worker's flow now */
#define SG_DP_SYNC_EPOCH_SHIFT 4
/** Counter slot of brokered flows (no pool member of the tables). */
#define SG_DP_MEMBER_SLOT_BROKERED (SG_DP_MEMBER_SLOTS - 1)

/** Where a flow's packets go: cached route and neighbour entry (one per direction). */
struct sg_dp_route_cache {
	struct sg_dp_neigh_entry *ne; /**< neighbour of the next hop; NULL: resolve */
	uint64_t tables_gen;	      /**< tables the route was computed from */
	uint16_t port;		      /**< egress port */
	uint32_t ne_gen;	      /**< generation of ne when cached (slots are reused) */
};

/** A route cache and the destination it was computed for (struct sg_dp_worker.member_rt). */
struct sg_dp_member_route {
	struct sg_dp_route_cache rc;
	struct sg_dp_ip dst;
};

/**
 * The flow table's signature of @p key: rte_hash_crc() over the whole
 * 40-byte key, initial value 0, inline: rte_hash_crc()'s generic loop tests
 * the CPU's CRC instruction every 8 bytes (about 88 instructions a key
 * against 15).
 */
static inline uint32_t
sg_dp_flow_sig(const struct sg_dp_flow_key *key)
{
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	/* the key's five 8-byte words, rte_hash_crc()'s own instruction unrolled */
	uint64_t q[5];
	uint32_t c;

	RTE_BUILD_BUG_ON(sizeof(*key) != sizeof(q));
	memcpy(q, key, sizeof(q));
	c = crc32c_sse42_u64(q[0], 0);
	c = crc32c_sse42_u64(q[1], c);
	c = crc32c_sse42_u64(q[2], c);
	c = crc32c_sse42_u64(q[3], c);
	return crc32c_sse42_u64(q[4], c);
#else
	return rte_hash_crc(key, sizeof(*key), 0);
#endif
}

/**
 * A flow: everything forwarding needs is copied in, so it outlives its tables.
 * Laid out by cache line for the hits of a large table: a DSR hit reads
 * lines 0 and 1 (its key, compared by the lookup, beside its route), so
 * does an IPv4 NAT forward hit (its addresses' copies in line 0, n4); an
 * IPv6 one also reads line 2 (the addresses); a NAT return hit reads lines
 * 0, 1 (the client's address and port) and 3 (its key beside its route).
 */
struct sg_dp_flow {
	/* line 0: every hit, the expiry walk */
	uint64_t last_tsc;
	uint64_t sid; /**< streaming session ID; 0 = not brokered */
	union {
		uint32_t hash; /**< flow hash (GUE source port; NAT: address pick at creation) */
		/** NAT flow with SG_DP_FLOW_SYNACK: the member's ISN (hash is not read again) */
		uint32_t member_isn;
	};
	uint8_t state;
	uint8_t flags;
	uint8_t mode;
	uint8_t encap;
	uint16_t vs_slot;
	uint16_t member_slot;
	uint16_t gue_port; /**< network order */
	uint16_t mport;	   /**< member port, network order */
	uint16_t nat_port; /**< network order */
	/**
	 * UDP flow of one datagram so far: on the embryonic list, so a full
	 * table evicts it before flows that have had a second datagram or a
	 * reply (a flood of new flows evicts its own). Cleared by the next.
	 */
	bool unconf;
	uint8_t sync; /**< state sync: SG_DP_SYNC_*, refresh period */
	union {
		struct sg_dp_ip host; /**< DSR: the tunnel's far end (the member's host) */
		/**
		 * NAT over IPv4: nat.a's and member.a's four bytes, copied when
		 * the return key is added (sg_dp_flow_add_rkey_sig()), so that a
		 * forward hit reads no line 2, and the checksum changes of both
		 * rewrites. host is a DSR flow's only.
		 */
		struct {
			uint8_t family_unused;
			uint8_t nat4[4];
			uint8_t member4[4];
			/**
			 * the two rewrites' checksum changes, four 16-bit words
			 * (sg_dp_nat4_ck_make()), set with the copies
			 */
			uint8_t ck[8];
		} n4;
	};
	uint8_t emb;	      /**< SG_DP_FLOW_EMB_*: on the embryonic list (SYN, CLOSING, unconf) */
	uint8_t abort_reason; /**< SG_DP_FLOW_ABORT: enum sg_msg_reason */
	bool ts;	      /**< timestamps in use */
	uint32_t sess;	      /**< session slot + 1 while held / connecting; 0 = none */
	uint32_t emb_prev;    /**< embryonic list link (SG_DP_FLOW_NONE: end) */
	/* line 1: a forward hit's key and route (a DSR hit reads lines 0 and 1 only) */
	struct sg_dp_flow_key key;	/**< client -> VIP */
	struct sg_dp_route_cache rt_to; /**< towards the member/host */
	/* line 2: NAT's addresses, the timeouts, the rest of a brokered session's */
	uint64_t tmo_est, tmo_trans; /**< TCP est / transitory (UDP: tmo_est) in TSC */
	struct sg_dp_ip member;
	struct sg_dp_ip nat;
	int8_t ws_shift; /**< VM window << ws_shift (negative: >>) for the client */
	union {
		uint32_t seq_s2c; /**< SG_DP_FLOW_SEQ: VM seq + seq_s2c = seq the client sees */
		uint32_t syn_isn; /**< plain NAT flow opened by a SYN: the client SYN's ISN */
	};
	uint32_t ts_s2c;   /**< VM TSval + ts_s2c = TSval the client sees */
	uint32_t emb_next; /**< embryonic list link (SG_DP_FLOW_NONE: end) */
	/* line 3: a NAT return hit's key and route */
	struct sg_dp_flow_key rkey;	  /**< NAT: member -> NAT address (return key) */
	struct sg_dp_route_cache rt_back; /**< back to the client (NAT return) */
};

/* Four cache lines an entry, each holding what its comment says (the hits read by line) */
_Static_assert(sizeof(struct sg_dp_flow) == 4 * RTE_CACHE_LINE_SIZE,
	       "struct sg_dp_flow must stay four cache lines: place new fields in its holes");
_Static_assert(offsetof(struct sg_dp_flow, key) == RTE_CACHE_LINE_SIZE &&
		       offsetof(struct sg_dp_flow, tmo_est) == 2 * RTE_CACHE_LINE_SIZE &&
		       offsetof(struct sg_dp_flow, rkey) == 3 * RTE_CACHE_LINE_SIZE,
	       "struct sg_dp_flow: a field moved another to the next cache line");

/** struct sg_dp_flow.emb: not on the embryonic list, on it, on it and in its look-ahead window. */
#define SG_DP_FLOW_EMB_OFF   0
#define SG_DP_FLOW_EMB_ON    1
#define SG_DP_FLOW_EMB_AHEAD 2
/** Embryonic flows (the next eviction victims) whose entries are prefetched ahead. */
#define SG_DP_FLOW_AHEAD 64
/** Victims of one burst whose hash buckets are fetched together (sg_dp_flow_prefetch_victims). */
#define SG_DP_FLOW_VICTIMS 32

/** Entries one least-recently-used eviction examines after the cursor (sg_dp_flow_lru_scan). */
#define SG_DP_FLOW_EVICT_SCAN 16

/** Return-key signatures a table remembers (a burst's worth). */
#define SG_DP_FLOW_RSIGS 32
/** No entry (end of the embryonic list). */
#define SG_DP_FLOW_NONE UINT32_MAX

struct sg_dp_flow_table {
	struct sg_dp_fh fh; /**< key -> entry (core/flowhash.h) */
	struct sg_dp_flow *e;
	uint32_t *free_idx; /**< stack of free entry indices */
	uint32_t n_free;
	uint32_t cap;
	uint32_t count;
	uint32_t cursor; /**< expiry / eviction scan position */
	uint32_t gen;	 /**< bumped by every removal: invalidates looked-up entries */
	/**
	 * Signatures of the last SG_DP_FLOW_RSIGS return keys added (n_rsig: how
	 * many ever): a burst's miss whose signature is among those added since
	 * its bulk lookup is looked up again (worker.c).
	 */
	uint32_t n_rsig;
	uint32_t rsig[SG_DP_FLOW_RSIGS];
	/** Bit (sig % 256) of every return key added since the burst began: most misses skip rsig[]
	 */
	uint64_t rsig_bits[4];
	/**
	 * Embryonic list: flows in state SYN or CLOSING and UDP flows of one
	 * datagram (unconf), oldest first. Eviction and NAT port reclaim take
	 * from its head before touching established flows. A flow another layer
	 * moved out of those states is dropped from the list when a walk meets
	 * it.
	 */
	uint32_t emb_head, emb_tail;
	uint32_t n_emb;
	/**
	 * Look-ahead window of a full table: the first n_ahead flows of the
	 * embryonic list (the next victims, ending at ahead_last, each marked
	 * SG_DP_FLOW_EMB_AHEAD) had their entries prefetched, the window growing
	 * by a step each eviction, so a victim's entry is in cache when it goes.
	 */
	uint32_t ahead_last, n_ahead;
	/**
	 * The victims of the current burst, taken from the window: their keys
	 * were looked up together (their hash buckets' misses overlapped) and
	 * their signatures kept for the deletes. Voided by any other removal.
	 */
	uint32_t n_vic, vic_next;
	uint32_t vic_idx[SG_DP_FLOW_VICTIMS];
	uint32_t vic_sig[SG_DP_FLOW_VICTIMS];
	uint32_t vic_rsig[SG_DP_FLOW_VICTIMS]; /**< NAT victims: the return key's */
	uint32_t vic_natm; /**< bit k: vic_rsig[k] is set (a NAT flow when looked up) */
	/**
	 * Victims the least-recently-used scan chose ahead (flowahead.c): bit
	 * k of vic_lru says vic_idx[k] is one, found by the scan of the 16
	 * entries from vic_cur0[k] (the cursor then at vic_cur1[k]) with time
	 * vic_tsc[k]. An eviction whose scan would begin at vic_cur0[k] takes it
	 * without scanning (sg_dp_flow_lru_taken()) while its time is unchanged
	 * and older than the burst's: within a burst flows are only touched to
	 * its time, inserted with it, or freed, so the same scan would find it.
	 * Cleared at the burst's end (a synced copy takes its record's time).
	 */
	uint32_t vic_lru;
	uint32_t vic_cur0[SG_DP_FLOW_VICTIMS], vic_cur1[SG_DP_FLOW_VICTIMS];
	uint64_t vic_tsc[SG_DP_FLOW_VICTIMS];
	uint64_t n_lru_taken; /**< evictions that took a victim chosen ahead without a scan (tests)
			       */
	/**
	 * The next insert's key, its signature and its sg_dp_flow_hash(), where
	 * the caller computed them (worker.c: a burst's miss, likely a new flow,
	 * whose Maglev slot was prefetched); the insert hashes any other key.
	 */
	const struct sg_dp_flow_key *ins_key;
	uint32_t ins_sig;
	uint32_t ins_fhash;
};

int sg_dp_flow_table_init(struct sg_dp_flow_table *ft, uint32_t cap, int socket,
			  unsigned int worker_id);
void sg_dp_flow_table_free(struct sg_dp_flow_table *ft);
struct sg_dp_flow *sg_dp_flow_lookup(struct sg_dp_flow_table *ft, const struct sg_dp_flow_key *key);
/** New entry for @p key (not yet present), evicting if full; NULL with *reason set. */
struct sg_dp_flow *sg_dp_flow_insert(struct sg_dp_worker *w, const struct sg_dp_flow_key *key,
				     uint64_t now, enum sg_dp_cnt *reason);
/**
 * Before a burst that will insert up to @p need flows into a full table:
 * look up the keys of the next @p need eviction victims (the embryonic
 * list's head, within the look-ahead window; when the list holds fewer,
 * the least recently used flows eviction's scan would take next, their
 * entries prefetched) together, so that their hash buckets are in cache
 * when they are deleted. Chooses nothing: who is evicted is decided at
 * each insert as before.
 */
void sg_dp_flow_prefetch_victims(struct sg_dp_flow_table *ft, unsigned int need);
/**
 * The least recently used flow of the next SG_DP_FLOW_EVICT_SCAN entries
 * from @p *cursor (further until one is in use), the victim of an eviction
 * the embryonic list has none for; @p *cursor moves past them.
 * @param[out] victim its entry index, SG_DP_FLOW_NONE for an empty table
 * @return the entries examined
 */
unsigned int sg_dp_flow_lru_scan(const struct sg_dp_flow_table *ft, uint32_t *cursor,
				 uint32_t *victim);
/**
 * Grow the look-ahead window by one flow (after an eviction): the one after
 * its last, whose entry (every line: an eviction reads three, the new flow
 * writes four) is prefetched. Reading the last one's link costs nothing
 * when it was prefetched one eviction ago.
 */
void sg_dp_flow_ahead_step(struct sg_dp_flow_table *ft);
/**
 * The victim the eviction's least-recently-used scan from the cursor would
 * find, when it was chosen ahead and nothing since could change the
 * answer (vic_lru); the cursor moves past its window. SG_DP_FLOW_NONE:
 * scan (sg_dp_flow_lru_scan()).
 */
uint32_t sg_dp_flow_lru_taken(struct sg_dp_flow_table *ft, uint64_t now);
/**
 * Where @p f is among the burst's victims (sg_dp_flow_prefetch_victims()):
 * its position, their signatures' index, consumed; else -1.
 */
int sg_dp_flow_victim_pos(struct sg_dp_flow_table *ft, const struct sg_dp_flow *f);
/** Undo sg_dp_flow_insert() before the flow was counted (no NAT key yet). */
void sg_dp_flow_discard(struct sg_dp_flow_table *ft, struct sg_dp_flow *f);
/**
 * A NAT flow's return key: @p member port @p mport -> @p nat port
 * @p nat_port (ports in network order), the flow's protocol and family.
 */
static inline void
sg_dp_flow_rkey_fill(struct sg_dp_flow_key *rk, const struct sg_dp_ip *member, uint16_t mport,
		     const struct sg_dp_ip *nat, uint16_t nat_port, uint8_t proto, uint8_t family)
{
	memcpy(rk->src, member->a, 16); /* IPv4: the rest zero (struct sg_dp_ip) */
	memcpy(rk->dst, nat->a, 16);
	sg_dp_key_put_tail(rk, mport, nat_port, proto, family); /* hashed next, a word at a time */
}

/** Fill f->rkey (member -> NAT address:port) from the flow and add it to the table. */
int sg_dp_flow_add_rkey(struct sg_dp_flow_table *ft, struct sg_dp_flow *f);
/** Add f->rkey, filled by the caller, whose signature is @p sig (sg_dp_flow_add_rkey()). */
int sg_dp_flow_add_rkey_sig(struct sg_dp_flow_table *ft, struct sg_dp_flow *f, uint32_t sig);
/**
 * Remove @p f, counting @p why. A flow with a streaming-session ID is
 * reported to the worker's flow_gone hook first.
 */
void sg_dp_flow_remove(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why);
/**
 * Follow a TCP segment of flow @p f: SYN -> established only on the
 * client's ACK (@p from_client; the member's SYN-ACK leaves it embryonic),
 * FIN or RST -> closing, a new SYN reopens a closing flow. A flow state
 * sync wants (SG_DP_SYNC_WANT) is published when it becomes established.
 */
void sg_dp_flow_track_tcp(struct sg_dp_worker *w, struct sg_dp_flow *f, uint8_t tcp_flags,
			  bool from_client);
/** Set @p f's state, keeping the embryonic list (SYN, CLOSING) in step. */
void sg_dp_flow_set_state(struct sg_dp_flow_table *ft, struct sg_dp_flow *f,
			  enum sg_dp_flow_state state);
/**
 * New UDP flow @p f, after its first datagram: unconfirmed, on the
 * embryonic list (evicted before the flows that had a second datagram).
 */
void sg_dp_flow_udp_unconf(struct sg_dp_flow_table *ft, struct sg_dp_flow *f);
/** Unconfirmed UDP flow @p f's second datagram (either way): off the embryonic list. */
void sg_dp_flow_confirm(struct sg_dp_flow_table *ft, struct sg_dp_flow *f);
/**
 * A NAT source port (host order) of worker @p w for NAT address @p nat (one
 * of @p t's), for a flow to @p member port @p mport (network order). When
 * the address's pool is empty (counted nat_port_exhausted), the oldest
 * embryonic or closing NAT flow of that address gives its port back first
 * (removed, counted nat_port_reclaimed); one to another member than
 * @p member:@p mport is preferred, as the member of the old flow may still
 * hold its half-open connection on the same 4-tuple.
 * Give the port back with sg_dp_nat_port_put(w, nat, port) unless a flow
 * that carries it (SG_DP_FLOW_NAT, f->nat, f->nat_port) is removed.
 * @return the port, or 0 when none is free.
 */
uint16_t sg_dp_flow_nat_port(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			     const struct sg_dp_ip *nat, const struct sg_dp_ip *member,
			     uint16_t mport);

/**
 * The flow hash of a key whose signature (sg_dp_flow_sig()) is @p sig: the
 * signature through a finalizer (murmur3's), so that its low bits, which
 * pick the index bucket, do not also pick the Maglev slot. A miss's
 * signature is known already: its hash costs six instructions (jhash over
 * the key took 144).
 */
static inline uint32_t
sg_dp_flow_hash_sig(uint32_t sig)
{
	uint32_t h = sig ^ 0x53476470u;

	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/** Flow hash of @p key (GUE source port, Maglev pick, NAT address pick). */
static inline uint32_t
sg_dp_flow_hash(const struct sg_dp_flow_key *key)
{
	return sg_dp_flow_hash_sig(sg_dp_flow_sig(key));
}

#endif /* SG_DP_CORE_FLOW_H */
