/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Session audit (audit.c): on sg-control's SESSION_AUDIT the worker lists
 * every live session ID in SESSION_ALIVE messages, a bounded slice of its
 * flow table per poll, so that sg-control can close the sessions it still
 * has but the data plane no longer does (a SESSION_CLOSED it never got).
 */
#ifndef SG_DP_SESSION_AUDIT_H
#define SG_DP_SESSION_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "sessiongate/sg_msg.h"

#define SG_DP_AUDIT_SCAN 512 /**< flow entries looked at per poll */

struct sg_dp_worker;

/** The worker's audit in progress (in struct sg_dp_broker). */
struct sg_dp_audit {
	struct sg_msg msg; /**< SESSION_ALIVE being filled (or waiting for ring space) */
	uint32_t token;	   /**< of the SESSION_AUDIT */
	uint32_t cursor;   /**< next flow entry */
	bool active;
	bool full; /**< msg is complete and waits for ring space */
};

/** SESSION_AUDIT @p token: start (or restart) listing the worker's sessions. */
void sg_dp_broker_audit_start(struct sg_dp_worker *w, uint32_t token);
/** One slice of the audit in progress; a full ring leaves the rest for the next call. */
void sg_dp_broker_audit_step(struct sg_dp_worker *w);

#endif /* SG_DP_SESSION_AUDIT_H */
