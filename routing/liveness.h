/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The data plane's liveness as sg-routed sees it, from telemetry
 * `/sg/cluster` (doc/cluster.md): alive = it answers AND its `heartbeat`
 * (bumped by the main lcore only while every worker passes quiescent
 * states) changed within stale_ms; `ready` (sync dump done, or sync off);
 * `ctl_up` (sg-control's heartbeat seen by the data plane).
 */
#ifndef SG_RT_LIVENESS_H
#define SG_RT_LIVENESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What the last polls said. */
struct sg_rt_liveness {
	uint32_t stale_ms;
	bool answering;	       /**< the last query got a valid /sg/cluster answer */
	bool alive;	       /**< answering and heartbeat moved within stale_ms */
	bool ready;	       /**< alive and /sg/cluster ready == 1 */
	bool ctl_up;	       /**< alive and /sg/cluster ctl_up == 1 */
	bool seen;	       /**< a heartbeat value is known */
	uint64_t heartbeat;    /**< last value seen */
	int64_t heartbeat_ms;  /**< when it last changed (monotonic ms); 0 = never */
	int last_error;	       /**< the last query's -errno (0 = answered) */
	uint64_t query_errors; /**< queries that failed (no socket, timeout, ...) */
	uint64_t bad_answers;  /**< answers that were not /sg/cluster's JSON */
};

/** Initialise @p lv: nothing seen, not alive. */
void sg_rt_liveness_init(struct sg_rt_liveness *lv, uint32_t stale_ms);

/**
 * Update @p lv from one answer of telemetry `/sg/cluster` (@p json,
 * @p len bytes, or @p err < 0 when the query failed) at monotonic time
 * @p now_ms. @return 0, -EBADMSG for an answer that is not the expected
 * JSON (counted in bad_answers; the data plane then counts as not
 * answering), or @p err.
 */
int sg_rt_liveness_update(struct sg_rt_liveness *lv, const char *json, size_t len, int err,
			  int64_t now_ms);

#endif /* SG_RT_LIVENESS_H */
