/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Incremental Internet checksum update (RFC 1624, eqn. 3):
 * HC' = ~(~HC + ~m + m'), over 16-bit words in memory order.
 */
#ifndef SG_DP_CSUM_H
#define SG_DP_CSUM_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

static inline uint16_t
sg_dp_csum_fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/**
 * Checksum field value @p ck (as stored) after @p len bytes (even) changed
 * from @p old to @p new. The buffers need no alignment.
 */
static inline uint16_t
sg_dp_csum_replace(uint16_t ck, const void *old, const void *new, unsigned int len)
{
	const uint8_t *o = old, *n = new;
	uint32_t s = (uint16_t)~ck;
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2) {
		uint16_t ow, nw;

		memcpy(&ow, o + i, 2);
		memcpy(&nw, n + i, 2);
		s += (uint16_t)~ow;
		s += nw;
	}
	return (uint16_t)~sg_dp_csum_fold(s);
}

/* 32-bit word @p i of @p b (any alignment), as loaded: memory order, like the 16-bit words. */
static inline uint32_t
sg_dp_csum_ld32(const uint8_t *b, unsigned int i)
{
	uint32_t v;

	memcpy(&v, b + 4 * i, 4);
	return v;
}

/*
 * One's-complement sum (64-bit accumulator, not folded) of what replacing
 * @p n32 words of @p old by @p new adds (RFC 1624: ~m + m'). Summing 32-bit
 * words and folding at the end gives the sum of their 16-bit halves, as
 * 2^16 = 1 in one's-complement arithmetic.
 */
static inline uint64_t
sg_dp_csum_delta32(const uint8_t *old, const uint8_t *new, unsigned int n32)
{
	uint64_t s = 0;
	unsigned int i;

	for (i = 0; i < n32; i++)
		s += (uint64_t)(uint32_t)~sg_dp_csum_ld32(old, i) + sg_dp_csum_ld32(new, i);
	return s;
}

/*
 * @p s (a one's-complement sum in 64 bits) folded to 16: 0 only when @p s
 * is, else the one value of its class in 1..0xffff.
 */
static inline uint16_t
sg_dp_csum_fold64(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return sg_dp_csum_fold((uint32_t)s);
}

/*
 * Stored checksum @p ck after the change @p d, a sum already folded to 16
 * bits (sg_dp_csum_fold64()): one fold, the same value sg_dp_csum_apply()
 * gives for the unfolded sum (both are the class's one value in 1..0xffff
 * when the sum is nonzero).
 */
static inline uint16_t
sg_dp_csum_apply16(uint16_t ck, uint16_t d)
{
	uint32_t s = (uint32_t)(uint16_t)~ck + d;

	return (uint16_t) ~((s & 0xffff) + (s >> 16));
}

/* Stored checksum @p ck after the changes summed in @p delta: ~(~ck + delta), folded. */
static inline uint16_t
sg_dp_csum_apply(uint16_t ck, uint64_t delta)
{
	uint64_t s = (uint16_t)~ck + delta;

	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (uint16_t)~sg_dp_csum_fold((uint32_t)s);
}

/**
 * rte_ipv4_cksum() of a 20-byte IPv4 header (no options) whose checksum
 * field is 0, from its five 32-bit words as they lie in memory (@p w0 ..
 * @p w4, sg_dp_w32()): summed and folded, instead of ten
 * 16-bit words in a loop. The same value: a one's-complement sum does not
 * depend on how its words are grouped (2^16 = 1), and a nonzero sum (the
 * version byte is never 0) folds to the one nonzero 16-bit value of its
 * class, as rte_raw_cksum()'s does.
 */
static inline uint16_t
sg_dp_ipv4_cksum_w(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3, uint32_t w4)
{
	uint64_t s = (uint64_t)w0 + w1 + w2 + w3 + w4;

	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (uint16_t)~sg_dp_csum_fold((uint32_t)s);
}

/*
 * The 32-bit word whose bytes lie in memory as @p b0 .. @p b3: a header
 * built in registers this way and summed there (sg_dp_ipv4_cksum_w()), then
 * stored a word at a time, is never read back from the smaller stores that
 * wrote it (a store-forwarding stall each time: 16 % of an established DSR
 * burst's samples when the outer header was built field by field and summed
 * from memory; a local array of the words, copied out whole, made the
 * compiler store and reload it the same way).
 */
static inline uint32_t
sg_dp_w32(uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return b0 | (uint32_t)b1 << 8 | (uint32_t)b2 << 16 | (uint32_t)b3 << 24;
#else
	return (uint32_t)b0 << 24 | (uint32_t)b1 << 16 | (uint32_t)b2 << 8 | b3;
#endif
}

/* The word @p w with its bytes 2 and 3 set to 16-bit value @p v as it is stored. */
static inline uint32_t
sg_dp_w32_hi16(uint32_t w, uint16_t v)
{
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	return (w & 0xffffu) | (uint32_t)v << 16;
#else
	return (w & 0xffff0000u) | v;
#endif
}

#endif /* SG_DP_CSUM_H */
