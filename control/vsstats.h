/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * vsstats.c: the data plane's VS_STATS, kept per [slot][worker] (each
 * message is one worker's cumulative counters of one VS) and summed over
 * workers when read (sgctl vs, the metrics).
 */
#ifndef SG_CTL_VSSTATS_H
#define SG_CTL_VSSTATS_H

#include "model.h"
#include "sessiongate/sg_msg.h"

/** The sum over workers of one VS slot. */
struct sg_ctl_vs_sum {
	const char *name; /**< NULL: the slot was never reported */
	uint64_t held, installed, rejected, held_now;
	uint64_t updated_ms; /**< wall clock of its last report */
};

/**
 * Keep validated VS_STATS @p m in @p vs (SG_CTL_VS_SLOTS entries); a slot
 * that now names another VS (a data-plane reload) starts again from zero.
 * @return 0, -ERANGE (slot or worker out of range) or -EPROTO (an empty name, or
 * one with a character outside 0x21-0x7e, '"' or '\\'): ignored.
 */
int sg_ctl_vs_update(struct sg_ctl_vs_stats *vs, const struct sg_msg *m, uint64_t now_ms);
/** Slot @p slot of @p vs summed over workers into @p out. */
void sg_ctl_vs_sum(const struct sg_ctl_vs_stats *vs, unsigned int slot, struct sg_ctl_vs_sum *out);

#endif /* SG_CTL_VSSTATS_H */
