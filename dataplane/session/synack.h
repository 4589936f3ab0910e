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

#include <stdint.h>

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

#endif /* SG_DP_SESSION_SYNACK_H */
