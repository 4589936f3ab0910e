/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every L7 key extractor of brokered sessions shares (l7key.c: HTTP,
 * prefix, dispatch; l7tls.c: TLS SNI, RDP cookie): a found key copied to
 * the ring's key, the answer when the bytes run out, the scan bound.
 */
#ifndef SG_DP_SESSION_L7SCAN_H
#define SG_DP_SESSION_L7SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session/l7key.h"

static inline enum sg_dp_l7_result
found(const uint8_t *v, size_t n, bool lower, uint8_t *key, uint16_t *key_len)
{
	size_t i;

	if (n == 0)
		return SG_DP_L7_ABSENT;
	if (n > SG_MSG_KEY_MAX)
		return SG_DP_L7_MALFORMED;
	for (i = 0; i < n; i++)
		key[i] = (lower && v[i] >= 'A' && v[i] <= 'Z') ? (uint8_t)(v[i] + 32) : v[i];
	*key_len = (uint16_t)n;
	return SG_DP_L7_FOUND;
}

/* Out of bytes: wait for more unless none will come. */
static inline enum sg_dp_l7_result
short_of_data(bool final)
{
	return final ? SG_DP_L7_ABSENT : SG_DP_L7_NEED_MORE;
}

static inline void
clamp(size_t *len, bool *final)
{
	if (*len >= SG_DP_L7_SCAN_MAX) {
		*len = SG_DP_L7_SCAN_MAX;
		*final = true;
	}
}

#endif /* SG_DP_SESSION_L7SCAN_H */
