/* SPDX-License-Identifier: BSD-3-Clause */
/* sg-hostagent's clock: monotonic milliseconds, the unit of every deadline. */
#ifndef SG_HA_CLOCK_H
#define SG_HA_CLOCK_H

#include <stdint.h>
#include <time.h>

/** Monotonic time in milliseconds. */
static inline uint64_t
sg_ha_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/** Double @p backoff_ms, bounded by @p max_ms (reconnect backoffs). */
static inline uint32_t
sg_ha_backoff_next(uint32_t backoff_ms, uint32_t max_ms)
{
	return backoff_ms * 2 > max_ms ? max_ms : backoff_ms * 2;
}

#endif /* SG_HA_CLOCK_H */
