/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF"):
 * 128-bit key, 64-bit output, the reference convention (key bytes 0-7 and
 * 8-15 read little-endian; the message read in little-endian 64-bit words).
 * Used as the MAC of the SYN cookies (sg_dp_syncookie.h). No allocation,
 * no state, bounded by the message length.
 */
#ifndef SG_DP_SIPHASH_H
#define SG_DP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t
sg_dp_siphash_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
}

static inline uint64_t
sg_dp_siphash_rotl(uint64_t x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SG_DP_SIPROUND(v0, v1, v2, v3)           \
	do {                                     \
		v0 += v1;                        \
		v1 = sg_dp_siphash_rotl(v1, 13); \
		v1 ^= v0;                        \
		v0 = sg_dp_siphash_rotl(v0, 32); \
		v2 += v3;                        \
		v3 = sg_dp_siphash_rotl(v3, 16); \
		v3 ^= v2;                        \
		v0 += v3;                        \
		v3 = sg_dp_siphash_rotl(v3, 21); \
		v3 ^= v0;                        \
		v2 += v1;                        \
		v1 = sg_dp_siphash_rotl(v1, 17); \
		v1 ^= v2;                        \
		v2 = sg_dp_siphash_rotl(v2, 32); \
	} while (0)

/* SipHash-2-4's compression of one little-endian message word @p m. */
#define SG_DP_SIPHASH_WORD(v0, v1, v2, v3, m)   \
	do {                                    \
		v3 ^= (m);                      \
		SG_DP_SIPROUND(v0, v1, v2, v3); \
		SG_DP_SIPROUND(v0, v1, v2, v3); \
		v0 ^= (m);                      \
	} while (0)

/*
 * SipHash-2-4's last block @p b (length byte and tail) and finalisation.
 * Always inlined: as a call (the compiler's choice at this size) it cost
 * a SYN cookie 4 instructions more (callgrind, dp_flowperf syn32).
 */
static inline __attribute__((always_inline)) uint64_t
sg_dp_siphash_finish(uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3, uint64_t b)
{
	v3 ^= b;
	SG_DP_SIPROUND(v0, v1, v2, v3);
	SG_DP_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SG_DP_SIPROUND(v0, v1, v2, v3);
	SG_DP_SIPROUND(v0, v1, v2, v3);
	SG_DP_SIPROUND(v0, v1, v2, v3);
	SG_DP_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * SipHash-2-4 of @p len bytes at @p data under the 16-byte key @p key
 * (k0 = bytes 0-7, k1 = bytes 8-15, little-endian).
 *
 * @return the 64-bit tag (as the reference implementation's
 *   little-endian output read as a uint64_t). Cannot fail.
 */
static inline uint64_t
sg_dp_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = sg_dp_siphash_le64(key), k1 = sg_dp_siphash_le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k1 ^ 0x7465646279746573ull;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		m = sg_dp_siphash_le64(in + i);
		SG_DP_SIPHASH_WORD(v0, v1, v2, v3, m);
	}
	for (size_t j = 0; j < left; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	return sg_dp_siphash_finish(v0, v1, v2, v3, b);
}

/**
 * SipHash-2-4's initial state @p v under the key words @p k0, @p k1 (key
 * bytes 0-7 and 8-15, little-endian): computed once for any number of
 * messages under the same key (sg_dp_siphash24_words_from()).
 */
static inline void
sg_dp_siphash_init(uint64_t k0, uint64_t k1, uint64_t v[4])
{
	v[0] = k0 ^ 0x736f6d6570736575ull;
	v[1] = k1 ^ 0x646f72616e646f6dull;
	v[2] = k0 ^ 0x6c7967656e657261ull;
	v[3] = k1 ^ 0x7465646279746573ull;
}

/**
 * SipHash-2-4 of the @p n little-endian 64-bit words @p w followed by the
 * @p tail_len (0-7) bytes of @p tail (its low bytes first; the higher bytes
 * must be zero) from the initial state @p vi (sg_dp_siphash_init()): the
 * message of 8 * @p n + @p tail_len bytes that sg_dp_siphash24() would
 * read, with no byte loads. Same tag. Cannot fail.
 */
static inline uint64_t
sg_dp_siphash24_words_from(const uint64_t vi[4], const uint64_t *w, unsigned int n, uint64_t tail,
			   unsigned int tail_len)
{
	uint64_t v0 = vi[0], v1 = vi[1], v2 = vi[2], v3 = vi[3];
	uint64_t b = (uint64_t)(8u * n + tail_len) << 56 | tail;
	unsigned int i;

	for (i = 0; i < n; i++)
		SG_DP_SIPHASH_WORD(v0, v1, v2, v3, w[i]);
	return sg_dp_siphash_finish(v0, v1, v2, v3, b);
}

/**
 * sg_dp_siphash24_words_from() under the key words @p k0, @p k1 (key bytes
 * 0-7 and 8-15, little-endian). Cannot fail.
 */
static inline uint64_t
sg_dp_siphash24_words(uint64_t k0, uint64_t k1, const uint64_t *w, unsigned int n, uint64_t tail,
		      unsigned int tail_len)
{
	uint64_t v[4];

	sg_dp_siphash_init(k0, k1, v);
	return sg_dp_siphash24_words_from(v, w, n, tail, tail_len);
}

#endif /* SG_DP_SIPHASH_H */
