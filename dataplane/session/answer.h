/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Segments the data plane answers a client with (answer.c): ACK, RST,
 * data + FIN (307 / 503 / 403 / 302 / 429), and the reject of a session.
 */
#ifndef SG_DP_SESSION_ANSWER_H
#define SG_DP_SESSION_ANSWER_H

#include "session/broker.h"

enum answer_kind {
	ANS_ACK,      /**< bare ACK */
	ANS_RST,      /**< reset answering the segment (RFC 9293 3.10.7.1) */
	ANS_DATA_FIN, /**< data, then FIN */
};

/**
 * Turn @p m (a segment from the peer) into our answer to it, transmitted
 * on the port it came in on.
 */
void sg_dp_broker_answer(struct sg_dp_worker *w, uint16_t port, struct rte_mbuf *m,
			 const struct sg_dp_pkt *p, enum answer_kind kind, uint32_t seq,
			 uint32_t ack, uint16_t win, const void *data, uint16_t len,
			 struct sg_dp_txq *out);

/** A copy of @p m's headers, to answer with while @p m itself is held. */
struct rte_mbuf *sg_dp_broker_header_copy(struct sg_dp_worker *w, struct rte_mbuf *m,
					  const struct sg_dp_pkt *p);

uint16_t sg_dp_broker_hold_window(const struct br_sess *s, const struct sg_dp_vs *vs);

/** The answer of a rejected or timed-out session: 503 (HTTP) or RST. */
void sg_dp_broker_answer_reject(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
				struct sg_dp_txq *out, uint16_t retry_after);

/**
 * The answer of sg-control's SESSION_REJECT @p r: for an HTTP key 403
 * (FORBIDDEN), 302 to r->location (LOGIN), 429 (LIMIT, Retry-After when
 * r->retry_after), 503 (other reasons); otherwise RST.
 */
void sg_dp_broker_answer_refuse(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
				struct sg_dp_txq *out, const struct sg_msg_session_reject *r);

/**
 * A held or connecting session ends before its hand-off: the reject answer,
 * @p why counted, the slot released; a flow left unanswered is removed
 * (counted @p gone).
 */
void sg_dp_broker_sess_end(struct sg_dp_worker *w, struct sg_dp_flow *f, struct br_sess *s,
			   struct sg_dp_txq *out, enum sg_dp_cnt why, enum sg_dp_cnt gone);

#endif /* SG_DP_SESSION_ANSWER_H */
