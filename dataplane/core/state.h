/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The state of one worker (struct sg_dp_worker) that the core modules work
 * on: counters, flow table, NAT ports, per-object activity. Owned by one
 * lcore. The session layer hangs its own state on @c br and, at creation,
 * registers @c flow_gone: the way back from the core to sessions is this
 * hook, never a call.
 */
#ifndef SG_DP_CORE_STATE_H
#define SG_DP_CORE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "sg_dp.h"
#include "core/flow.h"
#include "core/nat.h"
#include "core/passive.h"

struct sg_dp_addr_info;
struct sg_dp_broker;
struct sg_dp_vs;

/**
 * SYN cookies answered per full rx burst (of SG_DP_BURST) while the worker
 * is behind (SG_DP_BURST: no shedding, for benchmark comparisons).
 */
#ifndef SG_DP_SYN_BUSY_BUDGET
#define SG_DP_SYN_BUSY_BUDGET 4
#endif
/**
 * Full rx bursts of nothing but SYNs of new flows that are still shed after
 * a full burst that held anything else (an established packet, say): the
 * flood is still mixed with traffic the shedding protects, though a burst
 * or two of it came without any (doc/sessions.md, "Shedding"; 0: each full
 * burst judged alone).
 */
#ifndef SG_DP_SYN_CONTEND_BURSTS
#define SG_DP_SYN_CONTEND_BURSTS 64
#endif
/**
 * Full rx bursts after an idle sleep that answer every SYN cookie: what
 * max_us of sleep leaves in the queue at a moderate rate (16 x 32 packets),
 * while a flood that outlasts them is shed as before.
 */
#define SG_DP_SYN_WAKE_GRACE 16

struct sg_dp_worker {
	struct sg_dp_stats stats;
	struct sg_dp_broker *br; /**< brokered sessions (session/); NULL: none */
	struct sg_dp_worker_conf conf;
	struct sg_dp_flow_table ft;
	struct sg_dp_nat_alloc nat;
	uint32_t vs_active[SG_DP_VS_SLOTS];
	uint32_t member_active[SG_DP_MEMBER_SLOTS];
	uint32_t wrr_pos[SG_DP_VS_SLOTS];
	uint64_t pend_tx_bytes[SG_DP_PORTS_MAX];
	uint64_t tsc_hz;
	/**
	 * Called by sg_dp_flow_remove() before a flow with a streaming-session
	 * ID (f->sid != 0) is removed, with the removal's counter; set with br.
	 * Last, so the hot fields above keep the layout they had before the
	 * core and the sessions were split.
	 */
	void (*flow_gone)(struct sg_dp_worker *w, struct sg_dp_flow *f, enum sg_dp_cnt why);
	uint64_t icmp_relay_tat; /**< ICMP error relay token bucket (icmprelay.c), TSC */
	/**
	 * SYN cookies the current rx burst may still answer: unlimited for a
	 * short burst, SG_DP_SYN_BUSY_BUDGET for a full one (the worker is
	 * behind its rx ring) while other traffic competes (syn_contend), so a
	 * SYN flood cannot take the cycles of established flows; unlimited for
	 * a full burst of a flood nothing else competes with (set by the
	 * worker's dispatch, spent by the session layer's cookie answer).
	 */
	uint16_t syn_budget;
	/**
	 * Full rx bursts after an idle sleep that still count as short
	 * (sg_dp_worker_woke(): they carry the sleep's backlog, not overload).
	 */
	uint16_t syn_grace;
	/**
	 * Full bursts of nothing but new SYNs that are still shed: set to
	 * SG_DP_SYN_CONTEND_BURSTS by a full burst that held anything else,
	 * counted down by each full burst of new SYNs only.
	 */
	uint16_t syn_contend;
	/**
	 * SYN cookie answers queued by the session layer in this burst, built
	 * together at its end (sg_dp_broker_cookie_flush(), at most SG_DP_BURST).
	 */
	uint16_t syn_pend;
	/* exception path token bucket (core/exc.c, GCRA), TSC; exc_iv 0: path off */
	uint64_t exc_tat, exc_iv, exc_tol;
	/* ... and its priority class's (exc_prio_iv 0: no class) */
	uint64_t exc_prio_tat, exc_prio_iv, exc_prio_tol;
	uint32_t ctl_seq; /**< sequence of the next message on the dp->ctl ring (core/ctlmsg.h) */
	struct sg_dp_passive passive; /**< passive detection (core/passive.h) */
	/* member health (worker/memberhealth.c) */
	uint64_t no_live_tat;  /**< no_live_member answers' token bucket (GCRA), TSC */
	uint64_t reset_epoch;  /**< last reset walk request taken from the tables */
	uint32_t reset_cursor; /**< next flow entry of the reset walk; UINT32_MAX: idle */
	/* state sync (core/sync.h) */
	uint64_t sync_period;	   /**< TSC of one refresh period (conf.sync_refresh_s / 4) */
	uint32_t sync_dump_id;	   /**< last dump request taken from conf.sync_dump */
	uint32_t sync_dump_cursor; /**< next entry of the dump walk + 1; 0: none (sync.c) */
	/**
	 * The route of the last new flow to each member slot (its rt_to), given
	 * to the next new flow to the same destination: a new flow does not
	 * resolve route and neighbour again (worker.c; validated when used).
	 */
	struct sg_dp_member_route member_rt[SG_DP_MEMBER_SLOTS];
	/**
	 * The last local destination of a first packet (worker.c): its address
	 * info and, for port / proto, its VS. A flood or a burst of new flows
	 * to one VIP looks neither up again. Valid for tables @p gen only.
	 */
	struct {
		uint64_t gen;
		const struct sg_dp_addr_info *ai; /**< NULL: empty */
		const struct sg_dp_vs *vs;	  /**< NULL: no VS cached */
		uint8_t a[16];
		uint8_t family;
		uint8_t proto;
		uint16_t port; /**< network order */
	} last_dst;
} __rte_cache_aligned;

/**
 * Token bucket (GCRA) of worker @p w: at most @p rate events a second, a
 * burst of @p burst; @p tat is the bucket's theoretical arrival time (TSC).
 * @return true (and the event is counted in the bucket) when allowed.
 */
static inline bool
sg_dp_rate_allow(const struct sg_dp_worker *w, uint64_t *tat, uint64_t now, uint32_t rate,
		 uint32_t burst)
{
	uint64_t iv = w->tsc_hz / rate;
	uint64_t t = *tat > now ? *tat : now;

	if (t > now + iv * burst)
		return false;
	*tat = t + iv;
	return true;
}

#endif /* SG_DP_CORE_STATE_H */
