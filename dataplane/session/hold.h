/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Hold buffer of a brokered session: the client's first bytes, kept while
 * the session waits for its VM, then replayed towards it.
 *
 * Only in-order payload is held: a segment starting at the next expected
 * sequence number is kept (its mbuf, in a fixed array of
 * SG_DP_HOLD_SEGS_MAX per session); a retransmission of held bytes is
 * recognised as a duplicate, a segment overlapping the held bytes is
 * trimmed to its new bytes, a segment beyond the next expected byte is
 * refused (the client retransmits it in order later). Bounds, set at init,
 * each refused with its own code and never partially: bytes per session,
 * segments per session, the bytes and the mbufs of all sessions of a worker
 * (struct sg_dp_hold_budget: a held segment pins its whole mbuf, ~2 KB, so
 * a trickle of one-byte segments is counted by what it really costs), and a
 * reserve of free mbufs in the pool that no hold may take (receive rings,
 * ARP, established flows keep theirs). No allocation: the only memory held
 * is the given mbufs. One lcore owns a session and its budget (no locks).
 */
#ifndef SG_DP_HOLD_H
#define SG_DP_HOLD_H

#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#define SG_DP_HOLD_SEGS_MAX 16 /**< largest per-session segment bound */

/** Budget shared by every hold buffer of one worker. */
struct sg_dp_hold_budget {
	uint64_t limit;		  /**< bytes; set at init */
	uint64_t used;		  /**< bytes held now */
	uint32_t mbuf_limit;	  /**< mbufs (chain segments counted); set at init */
	uint32_t mbufs;		  /**< mbufs held now */
	struct rte_mempool *pool; /**< where the held mbufs come from; NULL: no reserve check */
	uint32_t reserve;	  /**< a segment is refused while @c pool has fewer free */
};

/** Outcome of sg_dp_hold_append(). Only SG_DP_HOLD_OK takes the mbuf. */
enum sg_dp_hold_result {
	SG_DP_HOLD_OK = 0,	 /**< held (maybe trimmed); the mbuf belongs to the hold now */
	SG_DP_HOLD_DUP,		 /**< every byte already held (retransmission) */
	SG_DP_HOLD_EMPTY,	 /**< no payload */
	SG_DP_HOLD_OUT_OF_ORDER, /**< starts after the next expected byte */
	SG_DP_HOLD_BAD,		 /**< payload offset/length beyond the mbuf */
	SG_DP_HOLD_FULL_BYTES,	 /**< per-session byte bound */
	SG_DP_HOLD_FULL_SEGS,	 /**< per-session segment bound */
	SG_DP_HOLD_FULL_BUDGET,	 /**< the worker's byte budget */
	SG_DP_HOLD_FULL_MBUFS,	 /**< the worker's mbuf budget */
	SG_DP_HOLD_FULL_RESERVE, /**< the pool is down to its reserve */
};

/** One held segment: its payload is @c len bytes at @c off in @c m. */
struct sg_dp_hold_seg {
	struct rte_mbuf *m;
	uint32_t seq; /**< client sequence number of the first byte at off */
	uint16_t off; /**< from the start of the packet data */
	uint16_t len;
};

struct sg_dp_hold {
	struct sg_dp_hold_seg seg[SG_DP_HOLD_SEGS_MAX];
	struct sg_dp_hold_budget *budget;
	uint32_t next_seq;  /**< next expected client sequence number */
	uint32_t bytes;	    /**< held now */
	uint32_t max_bytes; /**< per-session bound */
	uint16_t max_segs;  /**< per-session bound (<= SG_DP_HOLD_SEGS_MAX) */
	uint16_t head;	    /**< index of the first held segment */
	uint16_t n;	    /**< held segments */
};

/**
 * Empty hold buffer expecting @p first_seq (client ISN + 1), drawing on
 * @p budget, held to @p max_bytes and @p max_segs.
 *
 * @return 0, or -EINVAL when @p max_segs is 0 or above SG_DP_HOLD_SEGS_MAX
 *   or @p max_bytes is 0.
 */
int sg_dp_hold_init(struct sg_dp_hold *h, struct sg_dp_hold_budget *budget, uint32_t first_seq,
		    uint32_t max_bytes, uint16_t max_segs);

/**
 * Offer the payload of segment @p m: @p len bytes at @p off (from the
 * start of the packet data; may lie in later segments of a chain), whose
 * first byte has client sequence number @p seq.
 *
 * @return SG_DP_HOLD_OK (the mbuf is the hold's now), or another
 *   enum sg_dp_hold_result (the mbuf stays the caller's). Over a bound the
 *   whole segment is refused (never partially held).
 */
enum sg_dp_hold_result sg_dp_hold_append(struct sg_dp_hold *h, struct rte_mbuf *m, uint32_t off,
					 uint32_t len, uint32_t seq);

/**
 * Copy the first held bytes, in order and contiguous, into @p buf (at
 * most @p cap).
 *
 * @return the bytes copied (min(held, cap)).
 */
size_t sg_dp_hold_peek(const struct sg_dp_hold *h, uint8_t *buf, size_t cap);

/**
 * Take the first held segment for replay: ownership of its mbuf moves to
 * the caller, its bytes leave the session and the budget.
 *
 * @return 0 with @p out filled, or -ENOENT when nothing is held.
 */
int sg_dp_hold_pop(struct sg_dp_hold *h, struct sg_dp_hold_seg *out);

/** The @p i-th held segment (0 = first) without taking it, or NULL. */
const struct sg_dp_hold_seg *sg_dp_hold_at(const struct sg_dp_hold *h, unsigned int i);

/** Free every held mbuf and give its bytes back to the budget. */
void sg_dp_hold_free(struct sg_dp_hold *h);

#endif /* SG_DP_HOLD_H */
