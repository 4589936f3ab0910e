/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The other side's reset (peerrst.c). A NAT flow being reset (a member in
 * RESET, worker/memberhealth.c; a SESSION_ABORT reset, session/abort.c)
 * answers each segment with a RST to its sender (seq = its ack). Alone,
 * that leaves the other side waiting when it sends nothing (a downloading
 * client whose member's segment came first). So the same segment also
 * yields a RST to the other side, built from the segment's own sequence
 * number: exactly what that side expects next when the segment is in order.
 */
#ifndef SG_DP_SESSION_PEERRST_H
#define SG_DP_SESSION_PEERRST_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "sg_dp.h"
#include "core/flow.h"
#include "core/parse.h"
#include "core/state.h"
#include "core/tables.h"

/**
 * Queue the other side's RST for TCP segment @p m (parsed into @p p, not
 * yet changed) of NAT flow @p f, received on @p rx_port; @p ret: it came
 * from the member (@p f's return key).
 *
 *  - from the member (seq S): to the client, from the VIP:port, seq S as
 *    the client sees it (S + seq_s2c on a spliced flow, SG_DP_FLOW_SEQ);
 *  - from the client (seq S): to the member, from the NAT address:port,
 *    seq S (client sequence numbers are never translated).
 *
 * A RST without ACK, in a new mbuf of the worker's pool (counted
 * `generated`; `drop_no_mbuf` when the pool is empty), routed like the
 * flow's forwarded packets (its route caches f->rt_to, f->rt_back; a miss is dropped
 * with its counter), counted `peer_rst`. Nothing is sent for a flow
 * without NAT (DSR: the client's kernel resets the member), a segment that
 * is not TCP, or one with SYN or RST.
 */
void sg_dp_peer_rst(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port,
		    const struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
		    bool ret, struct sg_dp_txq *out, uint64_t now);

/**
 * Member SYN-ACK @p m (parsed into @p p, not yet changed, received on
 * @p rx_port) of plain NAT flow @p f in state SYN: when it does not
 * acknowledge the client's SYN (f->syn_isn + 1), the member answered from
 * a half-open connection an earlier flow left on the same NAT address,
 * port and member (a spoofed SYN's, whose port went back to the pool when
 * its flow was evicted, reclaimed or expired). The member gets a RST from
 * the NAT address, seq = the SYN-ACK's ack (its RCV.NXT: it drops that
 * connection), counted `nat_stale_rst`, and the SYN-ACK is dropped
 * (`drop_nat_stale_synack`): the client never sees it, and its SYN,
 * retransmitted on the same flow, meets no state at the member.
 * @return true when @p m was such a SYN-ACK (consumed), else false.
 */
bool sg_dp_nat_stale_synack(struct sg_dp_worker *w, const struct sg_dp_tables *t, uint16_t rx_port,
			    struct rte_mbuf *m, const struct sg_dp_pkt *p, struct sg_dp_flow *f,
			    struct sg_dp_txq *out, uint64_t now);

/**
 * SESSION_ABORT reset (or a drain's deadline) of installed NAT session
 * @p f, unprompted: a RST to the client from the VIP with seq = the
 * client's next expected sequence number (RFC 5961 3.2: a RST whose seq is
 * RCV.NXT is accepted) and one to the VM from the NAT address with seq =
 * the VM's, each where its forwarded segments made it known
 * (sg_dp_acct_nxt()). A DSR hand-off: the client's RST only, seq = its
 * highest cumulative ACK (accepted when nothing more reached it: a dead VM). Built and routed like
 * sg_dp_peer_rst()'s, counted `ctl_abort_rst_client` / `ctl_abort_rst_vm`. A side not known (no
 * segment of it forwarded yet) is left to the prompted path.
 *
 * @return BR_ACCT_NXT_CLI | BR_ACCT_NXT_VM: the RSTs queued.
 */
unsigned int sg_dp_abort_rst(struct sg_dp_worker *w, const struct sg_dp_tables *t,
			     struct sg_dp_flow *f, struct sg_dp_txq *out, uint64_t now);

#endif /* SG_DP_SESSION_PEERRST_H */
