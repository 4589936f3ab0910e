/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The clock of one step of work: the wiring refreshes it once per event
 * (ring poll, tick, agent message, admin command) and every module that
 * needs "now" reads it through the pointer it received at init.
 */
#ifndef SG_CTL_CLOCK_H
#define SG_CTL_CLOCK_H

#include <stdint.h>
#include <time.h>

struct sg_ctl_clock {
	uint64_t now_ns; /**< CLOCK_MONOTONIC at the start of the current step */
};

/** CLOCK_MONOTONIC in ns. */
static inline uint64_t
sg_ctl_clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/** Refresh @p clk->now_ns. */
static inline void
sg_ctl_clock_update(struct sg_ctl_clock *clk)
{
	clk->now_ns = sg_ctl_clock_mono_ns();
}

#endif /* SG_CTL_CLOCK_H */
