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

#endif /* SG_DP_CSUM_H */
