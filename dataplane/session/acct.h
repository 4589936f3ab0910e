/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Usage and QoS of installed sessions (acct.c, doc/sessions.md "Usage and
 * QoS"): a side array of the worker's flow table, one struct br_acct per
 * flow entry, touched only by flows with a streaming-session ID whose
 * INSTALL was applied. The flow entry itself is four full cache lines.
 *
 * Bytes are L4 payload bytes (TCP or UDP data, no header); packets are the
 * segments / datagrams forwarded. c2s: from the client, as forwarded
 * (the held bytes once replayed); s2c: to the client, as forwarded (NAT,
 * the redirect's answer) or, for a DSR hand-off, the advance of the
 * client's cumulative ACK (SG_MSG_USAGE_S2C_ACKED, no packets).
 */
#ifndef SG_DP_SESSION_ACCT_H
#define SG_DP_SESSION_ACCT_H

#include <stdbool.h>
#include <stdint.h>

#include "sg_dp.h"
#include "core/flow.h"
#include "core/state.h"
#include "sessiongate/sg_msg.h"

#define BR_ACCT_ON	0x1  /**< the entry belongs to the flow's session (sid) */
#define BR_ACCT_DSR	0x2  /**< s2c from the client's ACKs */
#define BR_ACCT_ACK	0x4  /**< DSR: ack_last is known */
#define BR_ACCT_RATE	0x8  /**< a QoS rate applies */
#define BR_ACCT_DROPS	0x10 /**< the rate dropped packets (SG_MSG_USAGE_QOS_DROPS) */
#define BR_ACCT_NXT_VM	0x20 /**< NAT: nxt[0] is known */
#define BR_ACCT_NXT_CLI 0x40 /**< NAT: nxt[1] is known */

#define BR_ACCT_RATE_MIN  64		/**< bytes/s: a lower rate_bps is taken as this */
#define BR_ACCT_BURST_MIN (64u * 1024u) /**< bytes: burst_bytes 0 = rate/10, at least this */
#define BR_ACCT_BURST_MAX (1u << 30)	/**< bytes: larger bursts are cut to this */
#define BR_ACCT_FP	  16		/**< fraction bits of tsc_per_byte */
#define BR_USAGE_PER_POLL 64		/**< sessions looked at per usage step */
#define BR_USAGE_MAX_S	  86400		/**< usage_interval_s above this: taken as this */

/**
 * One flow entry's usage. The first cache line is what a forwarded packet
 * reads and writes; the second what the usage walk and the close read.
 */
struct br_acct {
	uint64_t sid;	    /**< the session it counts; != f->sid: not accounted */
	uint64_t pkts[2];   /**< [0] client -> VM, [1] VM -> client */
	uint64_t bytes[2];  /**< L4 payload bytes, same directions */
	uint64_t start_tsc; /**< INSTALL applied */
	uint32_t ack_last;  /**< DSR: the client's highest cumulative ACK */
	/**
	 * NAT (BR_ACCT_NXT_VM / BR_ACCT_NXT_CLI): the next sequence number each
	 * side expects, [0] the VM's (client seq + len, or the VM's ACK: client
	 * numbers are not translated), [1] the client's as it sees them (VM seq
	 * + len + the splice delta, or the client's ACK): an abort's RSTs.
	 */
	uint32_t nxt[2];
	uint8_t flags; /**< BR_ACCT_* */
	uint8_t pad[3];
	/* second cache line: QoS (only a rated flow's packets touch it), usage, close */
	uint64_t tat[2];     /**< QoS: the GCRA's theoretical arrival time per direction (TSC) */
	uint64_t tpb_fp;     /**< QoS: TSC per byte << BR_ACCT_FP */
	uint64_t tol;	     /**< QoS: the burst, in TSC */
	uint64_t next_usage; /**< next SESSION_USAGE (TSC); 0: none */
	uint64_t usage_iv;   /**< usage interval (TSC) */
	uint64_t qos_dropped;
	uint32_t usage_pos; /**< index in the broker's usage list */
	uint32_t pad2;
} __rte_cache_aligned;

_Static_assert(sizeof(struct br_acct) == 2 * RTE_CACHE_LINE_SIZE, "two cache lines");

/** Allocate the worker's side array (one entry per flow entry) and usage list. */
int sg_dp_acct_create(struct sg_dp_worker *w);
void sg_dp_acct_free(struct sg_dp_worker *w);

/**
 * Session @p f's INSTALL was applied at @p now (@p in NULL: a peer's
 * session taken over, no QoS and no interval known): counting starts from
 * zero; @p dsr: s2c from the client's ACKs, starting at @p ack0 (@p in
 * NULL: at the first ACK seen).
 */
void sg_dp_acct_start(struct sg_dp_worker *w, const struct sg_dp_flow *f,
		      const struct sg_msg_session_install *in, bool dsr, uint32_t ack0,
		      uint64_t now);

/** Add @p pkts / @p bytes in direction @p dir (0: c2s, 1: s2c) to @p f's usage. */
void sg_dp_acct_add(struct sg_dp_worker *w, const struct sg_dp_flow *f, unsigned int dir,
		    uint32_t pkts, uint32_t bytes);

/**
 * @p f's totals so far into @p c (reason untouched): zeros when its
 * session never was installed. @p now: the close or the interval.
 */
void sg_dp_acct_fill(const struct sg_dp_worker *w, const struct sg_dp_flow *f,
		     struct sg_msg_session_closed *c, uint64_t now);

/**
 * The next sequence numbers of installed NAT session @p f's sides, as
 * tracked from its forwarded segments: *@p vm (what the VM expects, from
 * the client's segments and the VM's ACKs), *@p cli (what the client
 * expects, in its own numbers). A DSR session: *@p cli only, the client's
 * highest cumulative ACK (the VM's segments do not pass here).
 * @return BR_ACCT_NXT_VM | BR_ACCT_NXT_CLI, the ones known (0: not
 * accounted here).
 */
unsigned int sg_dp_acct_nxt(const struct sg_dp_worker *w, const struct sg_dp_flow *f, uint32_t *vm,
			    uint32_t *cli);

/** @p f's session ends: its entry is free again. */
void sg_dp_acct_end(struct sg_dp_worker *w, const struct sg_dp_flow *f);

/**
 * SESSION_USAGE of sessions whose interval passed: at most
 * BR_USAGE_PER_POLL looked at per call; a full ring is counted
 * (usage_deferred) and the totals go with the next interval.
 */
void sg_dp_acct_usage_step(struct sg_dp_worker *w, uint64_t now);

#endif /* SG_DP_SESSION_ACCT_H */
