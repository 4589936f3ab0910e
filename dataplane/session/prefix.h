/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-source-prefix limits of one worker's brokered sessions: held
 * sessions per client /24 (IPv4) or /64 (IPv6), and a rate of new sessions
 * (each one a SESSION_NEW that may boot a VM) per prefix.
 *
 * A count-min table: two rows of SG_DP_PFX_SLOTS counters, each prefix
 * hashed (SipHash, a random key per worker, so a client cannot choose
 * colliding prefixes) to one slot per row. A prefix is refused only when
 * both its slots say so, so a colliding attacker can make a legitimate
 * prefix share one slot but not both (unless it fills the table). Held
 * counts go up at admission and down at release; the rate is a GCRA token
 * bucket per slot (one timestamp). Fixed size, no allocation, one lcore.
 */
#ifndef SG_DP_SESSION_PREFIX_H
#define SG_DP_SESSION_PREFIX_H

#include <stdint.h>

#include "core/addr.h"

#define SG_DP_PFX_ROWS	2
#define SG_DP_PFX_SLOTS 4096 /**< per row, power of two */

struct sg_dp_pfx_tab {
	uint8_t key[16];    /**< SipHash key */
	uint32_t max_held;  /**< 0: no limit */
	uint64_t interval;  /**< TSC per new session; 0: no rate limit */
	uint64_t tolerance; /**< TSC: (burst - 1) intervals */
	uint32_t held[SG_DP_PFX_ROWS][SG_DP_PFX_SLOTS];
	uint64_t tat[SG_DP_PFX_ROWS][SG_DP_PFX_SLOTS]; /**< GCRA theoretical arrival time */
};

/** The two slots of a client's prefix (what sg_dp_pfx_admit() and release take). */
struct sg_dp_pfx_ref {
	uint16_t slot[SG_DP_PFX_ROWS];
};

/**
 * Empty table: at most @p max_held held sessions per prefix (0: no limit),
 * @p rate new sessions per second (0: no limit) with bursts of @p burst,
 * on a clock of @p tsc_hz; @p key seeds the hash.
 */
void sg_dp_pfx_init(struct sg_dp_pfx_tab *t, uint32_t max_held, uint32_t rate, uint32_t burst,
		    uint64_t tsc_hz, const uint8_t key[16]);

/** The slots of the prefix of @p k's source address (family AF_INET or AF_INET6). */
struct sg_dp_pfx_ref sg_dp_pfx_of(const struct sg_dp_pfx_tab *t, const struct sg_dp_flow_key *k);

/**
 * Admit a new session of prefix @p r at time @p now (TSC): it counts as
 * held until sg_dp_pfx_release().
 *
 * @return 0; -ENOSPC when the prefix holds max_held sessions already;
 *   -EBUSY when its rate of new sessions is spent. Nothing changes on
 *   refusal.
 */
int sg_dp_pfx_admit(struct sg_dp_pfx_tab *t, struct sg_dp_pfx_ref r, uint64_t now);

/**
 * Admit a session of prefix @p r that sends no SESSION_NEW (a SYN-proxied
 * connection of a nat VS, doc/sessions.md): only the held limit applies,
 * the rate of new sessions is neither checked nor spent.
 *
 * @return 0, or -ENOSPC as sg_dp_pfx_admit().
 */
int sg_dp_pfx_admit_held(struct sg_dp_pfx_tab *t, struct sg_dp_pfx_ref r);

/** A session admitted with @p r ended. */
void sg_dp_pfx_release(struct sg_dp_pfx_tab *t, struct sg_dp_pfx_ref r);

#endif /* SG_DP_SESSION_PREFIX_H */
