/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Sequence-number translation of a spliced TCP connection (SYN proxy):
 * the client talks to our cookie ISN, the server to its own ISN, and the
 * data plane shifts every sequence number, acknowledgment number and SACK
 * block by a constant delta per direction, updating the TCP checksum
 * incrementally. All arithmetic is modulo 2^32 (RFC 9293 section 3.4).
 */
#ifndef SG_DP_SEQ_H
#define SG_DP_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "core/csum.h"

/** a < b in sequence space (wrap-safe; meaningful for |a - b| < 2^31). */
static inline bool
sg_dp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/** a <= b in sequence space. */
static inline bool
sg_dp_seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/** a > b in sequence space. */
static inline bool
sg_dp_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/** a >= b in sequence space. */
static inline bool
sg_dp_seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/**
 * Write @p len bytes (1..8) of @p val at @p base + @p off and return the
 * checksum @p ck (as stored) updated for the change. @p base is the start
 * of the checksummed area (or any even offset into it); @p off may be odd:
 * the changed bytes are summed in their real 16-bit word positions.
 */
static inline uint16_t
sg_dp_csum_patch(uint16_t ck, uint8_t *base, size_t off, const void *val, size_t len)
{
	size_t ws = off & ~(size_t)1, we = (off + len + 1) & ~(size_t)1;
	uint8_t old[10];

	memcpy(old, base + ws, we - ws);
	memcpy(base + off, val, len);
	return sg_dp_csum_replace(ck, old, base + ws, (unsigned int)(we - ws));
}

/**
 * Deltas of one spliced connection. A client sequence number @c s is
 * @c s + c2s in the server's space; a server sequence number @c s is
 * @c s + s2c in the client's space.
 */
struct sg_dp_seq_xlate {
	uint32_t c2s; /**< client seq as the server sees it - as the client sent it */
	uint32_t s2c; /**< server seq as the client sees it - as the server sent it */
};

/**
 * Deltas from the initial sequence numbers of both sides: the client's
 * ISN as it sent it and as the server got it (equal when the data plane
 * replays the client's SYN unchanged), the server's ISN and the one the
 * client got (our SYN cookie).
 */
static inline void
sg_dp_seq_xlate_set(struct sg_dp_seq_xlate *x, uint32_t client_isn, uint32_t client_isn_at_server,
		    uint32_t server_isn, uint32_t server_isn_at_client)
{
	x->c2s = client_isn_at_server - client_isn;
	x->s2c = server_isn_at_client - server_isn;
}

/**
 * Rewrite the TCP segment whose header starts @p l4_off bytes into @p m
 * (first segment): seq += @p seq_add; when ACK is set, ack -= @p ack_sub;
 * every SACK block edge -= @p ack_sub. The TCP checksum is updated
 * incrementally, unless @p m asks for TCP checksum offload
 * (RTE_MBUF_F_TX_TCP_CKSUM: the field then holds the pseudo-header sum,
 * which these fields do not enter).
 *
 * @return 0; -EINVAL when the TCP header (with its options, data offset
 *   20..60) is not within the first segment; -EBADMSG when the option
 *   list is malformed (bad length, overrun, SACK length not 2 + 8n).
 *   Nothing is changed on an error.
 */
int sg_dp_seq_rewrite(struct rte_mbuf *m, uint16_t l4_off, uint32_t seq_add, uint32_t ack_sub);

/** Client -> server segment: sg_dp_seq_rewrite(m, l4_off, x->c2s, x->s2c). */
static inline int
sg_dp_seq_to_server(const struct sg_dp_seq_xlate *x, struct rte_mbuf *m, uint16_t l4_off)
{
	return sg_dp_seq_rewrite(m, l4_off, x->c2s, x->s2c);
}

/** Server -> client segment: sg_dp_seq_rewrite(m, l4_off, x->s2c, x->c2s). */
static inline int
sg_dp_seq_to_client(const struct sg_dp_seq_xlate *x, struct rte_mbuf *m, uint16_t l4_off)
{
	return sg_dp_seq_rewrite(m, l4_off, x->s2c, x->c2s);
}

#endif /* SG_DP_SEQ_H */
