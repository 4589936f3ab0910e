/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The SYN-cookie handshake (cookie.c) as the brokered services and the SYN
 * proxy of nat and dsr services (synproxy.c) share it. Internal to the folder.
 */
#ifndef SG_DP_SESSION_COOKIE_H
#define SG_DP_SESSION_COOKIE_H

#include "session/broker.h"

/**
 * Answer the client's SYN @p m in place with our SYN cookie SYN-ACK (no
 * state kept), counted syncookie; dropped (drop_tcp_flags, drop_brokered)
 * when its options are malformed or the reply cannot be built, and shed
 * (drop_syn_shed) when the worker's SYN budget of this rx burst is spent.
 * The answer takes its place in @p out at once and is built there by
 * sg_dp_broker_cookie_flush() with the burst's other answers (@p p must
 * stay valid until then: the worker flushes before its burst ends).
 *
 * @return 0 when answered; -EBUSY when shed; -EBADMSG when dropped.
 */
int sg_dp_broker_cookie_syn(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t port,
			    struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_txq *out,
			    uint64_t now);

/**
 * Check the client's ACK @p m completing a cookie handshake, leaving @p m
 * to the caller whatever the verdict.
 *
 * @param[out] o    the client's SYN options the cookie carried
 * @param[out] cur  the options of @p m itself
 * @return SG_DP_CNT_MAX (valid); else the drop it deserves: drop_held_csum
 *   (TCP checksum), drop_tcp_flags (malformed options), drop_cookie_old,
 *   drop_cookie_bad.
 */
enum sg_dp_cnt sg_dp_broker_cookie_check(struct sg_dp_worker *w, struct rte_mbuf *m,
					 const struct sg_dp_pkt *p, uint64_t now,
					 struct sg_dp_tcp_opts *o, struct sg_dp_tcp_opts *cur);

/**
 * Check the client's ACK @p m completing a cookie handshake
 * (sg_dp_broker_cookie_check()); dropped and counted when it fails.
 *
 * @param[out] o    the client's SYN options the cookie carried
 * @param[out] cur  the options of @p m itself
 * @return 0 (valid: @p m untouched); -EBADMSG (bad checksum or options),
 *   -EACCES (forged), -ETIMEDOUT (old): @p m dropped and counted
 *   (drop_held_csum, drop_tcp_flags, drop_cookie_bad, drop_cookie_old).
 */
int sg_dp_broker_cookie_verify(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
			       const struct sg_dp_pkt *p, uint64_t now, struct sg_dp_tcp_opts *o,
			       struct sg_dp_tcp_opts *cur);

/** What the verified ACK @p m tells session @p s and its flow @p f (ISNs, options). */
void sg_dp_broker_cookie_fill(struct br_sess *s, struct sg_dp_flow *f, struct rte_mbuf *m,
			      const struct sg_dp_pkt *p, const struct sg_dp_tcp_opts *o,
			      const struct sg_dp_tcp_opts *cur);

#endif /* SG_DP_SESSION_COOKIE_H */
