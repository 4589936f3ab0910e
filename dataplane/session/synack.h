/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Prebuilt SYN-ACK templates (synack.c): the IP and TCP headers and the
 * SYN-ACK options of every option layout a cookie SYN-ACK can carry, laid
 * out once with the one's-complement sum of their fixed bytes; a SYN is
 * answered by copying one whole and patching addresses, ports, seq/ack,
 * window, MSS, timestamps and window scale, the checksums by adding only
 * those fields to the precomputed sum. Byte-identical to
 * sg_dp_tcpgen_synack() (tests/unit/dataplane/test_dp_tcpgen.c compares
 * them). Nothing in a SYN-ACK depends on the VS, so the templates are per
 * family and option layout only, built at start-up.
 */
#ifndef SG_DP_SESSION_SYNACK_H
#define SG_DP_SESSION_SYNACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "core/parse.h"
#include "session/tcpopt.h"

/**
 * Turn the received SYN @p m (parsed into @p p) into our SYN-ACK from the
 * template of its family and of @p o's option layout: as
 * sg_dp_tcpgen_synack() (same bytes), with @p o->mss != 0.
 *
 * @return 0; -EINVAL when @p p is not TCP over IPv4/IPv6, its headers are
 *   not in the first segment or @p o->mss is 0; -ENOSPC when the mbuf's
 *   buffer cannot hold the reply.
 */
int sg_dp_synack_build(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
		       uint16_t win, const struct sg_dp_tcp_opts *o);

/** One SYN-ACK of a burst (sg_dp_synack_fill_burst()): sg_dp_synack_build()'s arguments. */
struct sg_dp_synack_req {
	struct rte_mbuf *m;	   /**< the SYN */
	const struct sg_dp_pkt *p; /**< its parse */
	uint32_t seq;		   /**< our ISN */
	uint32_t ack;		   /**< the client's ISN + 1 */
	struct sg_dp_tcp_opts o;   /**< our options, o.mss != 0 */
	uint8_t layout;		   /**< set by sg_dp_synack_prepare() */
	bool room;		   /**< set by sg_dp_synack_prepare() */
};

/**
 * Whether sg_dp_synack_build() can answer the SYN @p m (parsed into @p p)
 * with options @p o; nothing is changed.
 *
 * @return 0, or sg_dp_synack_build()'s error (-EINVAL, -ENOSPC).
 */
int sg_dp_synack_check(const struct rte_mbuf *m, const struct sg_dp_pkt *p,
		       const struct sg_dp_tcp_opts *o);

/** IP and TCP headers and options of the longest SYN-ACK of a family. */
#define SG_DP_SYNACK_HDR_MAX(family) ((family) == AF_INET ? 20u + 40u : 40u + 40u + 20u)

/**
 * sg_dp_synack_check()'s answer without a call, for options with a
 * nonzero MSS, when the mbuf holds the longest SYN-ACK of the family: true
 * means 0; false means ask sg_dp_synack_check().
 */
static inline bool
sg_dp_synack_fits(const struct rte_mbuf *m, const struct sg_dp_pkt *p)
{
	return p->key.proto == IPPROTO_TCP &&
	       (p->key.family == AF_INET || p->key.family == AF_INET6) &&
	       p->l2_len >= sizeof(struct rte_ether_hdr) &&
	       (uint32_t)p->l2_len + p->l3_len + 20u <= rte_pktmbuf_data_len(m) &&
	       (uint32_t)p->l2_len + SG_DP_SYNACK_HDR_MAX(p->key.family) <=
		       (uint32_t)m->buf_len - m->data_off;
}

/** The option layout (template) of a SYN-ACK with options @p o: TS 1, SACK 2, WS 4. */
#define SG_DP_SYNACK_LAYOUT(o)                                         \
	((unsigned int)(o)->has_ts | (unsigned int)(o)->sack_ok << 1 | \
	 (unsigned int)(o)->has_wscale << 2)

/**
 * Check the SYN of @p r (its m, p and o set) as sg_dp_synack_check() does,
 * and note what sg_dp_synack_fill_burst() needs.
 *
 * @return 0, or sg_dp_synack_check()'s error.
 */
static inline int
sg_dp_synack_prepare(struct sg_dp_synack_req *r)
{
	r->layout = (uint8_t)SG_DP_SYNACK_LAYOUT(&r->o);
	/* when fits is false only for want of room, the check passes (room false) */
	r->room = sg_dp_synack_fits(r->m, r->p);
	return likely(r->room) ? 0 : sg_dp_synack_check(r->m, r->p, &r->o);
}

/**
 * sg_dp_synack_build() of each of the @p n SYNs of @p r, all prepared with
 * sg_dp_synack_prepare() (same bytes), window @p win. Cannot fail.
 */
void sg_dp_synack_fill_burst(const struct sg_dp_synack_req *r, unsigned int n, uint16_t win);

#endif /* SG_DP_SESSION_SYNACK_H */
