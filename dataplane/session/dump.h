/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The session dump (dump.c): every live brokered session of one worker,
 * read from another thread (telemetry) without locks: the worker is never
 * slowed, the reader tolerates an entry that changes under it.
 */
#ifndef SG_DP_SESSION_DUMP_H
#define SG_DP_SESSION_DUMP_H

#include <stdint.h>

#include "core/flow.h"

/** One live brokered session as the dump sees it. */
struct sg_dp_session_info {
	uint64_t sid;		   /**< streaming session ID */
	struct sg_dp_flow_key key; /**< client -> VIP (network order) */
	struct sg_dp_ip member;	   /**< the VM once installed; family 0: none yet */
	uint16_t mport;		   /**< member port, network order */
	uint16_t vs_slot;	   /**< the virtual service */
	uint8_t state;		   /**< enum sg_dp_flow_state */
};

#endif /* SG_DP_SESSION_DUMP_H */
