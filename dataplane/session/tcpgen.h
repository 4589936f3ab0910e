/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TCP segments the data plane sends itself for brokered sessions: replies
 * built in place from a received segment (SYN-ACK, ACK, RST, data with an
 * optional FIN), a SYN towards a backend and a RST to either side of a
 * connection built into an empty mbuf, plus the two HTTP answers of a held
 * session (503 with Retry-After, 307 with Location).
 *
 * Replies keep the received L2 header (one VLAN tag or none) with the
 * MAC addresses swapped, swap addresses and ports, and write a fresh IP
 * header: IPv4 without options, DF set, ID 0, TTL 64; IPv6 with traffic
 * class and flow label 0, hop limit 64. Anything after the new segment is
 * cut off (extra segments of a chain are freed). IP and TCP checksums are
 * computed in full; no offload flags are set. No allocation, no logging.
 */
#ifndef SG_DP_TCPGEN_H
#define SG_DP_TCPGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "core/parse.h"
#include "session/tcpopt.h"

#define SG_DP_TCPGEN_TTL 64

/**
 * Turn the received SYN @p m (parsed into @p p) into our SYN-ACK: sequence
 * number @p seq (the cookie), acknowledgment @p ack (client ISN + 1),
 * window @p win, options from @p o (sg_dp_tcpopt_write_synack()).
 *
 * @return 0; -EINVAL when @p p is not TCP over IPv4/IPv6 or its headers
 *   are not in the first segment; -ENOSPC when the mbuf's buffer cannot
 *   hold the reply.
 */
int sg_dp_tcpgen_synack(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
			uint16_t win, const struct sg_dp_tcp_opts *o);

/** As sg_dp_tcpgen_synack(): a bare ACK (no options). Same errors. */
int sg_dp_tcpgen_ack(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
		     uint16_t win);

/**
 * Reset answering the received segment (RFC 9293 section 3.10.7.1): when it
 * carried ACK, RST with seq = its ack; otherwise RST|ACK with seq 0 and
 * ack = its seq + its length (SYN and FIN count one). Same errors.
 */
int sg_dp_tcpgen_rst(struct rte_mbuf *m, const struct sg_dp_pkt *p);

/**
 * A data segment (ACK|PSH, plus FIN when @p fin) carrying @p len bytes of
 * @p data (which must not point into @p m). Same errors (-ENOSPC when the
 * payload does not fit the buffer).
 */
int sg_dp_tcpgen_data(struct rte_mbuf *m, const struct sg_dp_pkt *p, uint32_t seq, uint32_t ack,
		      uint16_t win, const uint8_t *data, uint16_t len, bool fin);

/**
 * Build a SYN from @p k->src:sport to @p k->dst:dport (family AF_INET or
 * AF_INET6, ports in network order) into the empty mbuf @p m: Ethernet
 * (no VLAN) from @p smac to @p dmac, ISN @p isn, window @p win, options
 * MSS/SACK-permitted/timestamps/window scale from @p o (NULL: none).
 *
 * @return 0; -EINVAL (family, or @p m not empty); -ENOSPC (no room).
 */
int sg_dp_tcpgen_syn(struct rte_mbuf *m, const struct rte_ether_addr *smac,
		     const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k,
		     uint32_t isn, uint16_t win, const struct sg_dp_tcp_opts *o);

/**
 * sg_dp_tcpgen_syn() with @p len bytes of @p data after the header (the
 * brokered DSR hand-off's struct sg_handoff_meta). -ENOSPC when it does not fit.
 */
int sg_dp_tcpgen_syn_data(struct rte_mbuf *m, const struct rte_ether_addr *smac,
			  const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k,
			  uint32_t isn, uint16_t win, const struct sg_dp_tcp_opts *o,
			  const uint8_t *data, uint16_t len);

/**
 * A RST (no ACK, window 0) from @p k->src:sport to @p k->dst:dport with
 * sequence number @p seq into the empty mbuf @p m, Ethernet as
 * sg_dp_tcpgen_syn(): the reset of a connection's other side, built from
 * the sequence number it expects next (RFC 9293 3.10.7.4: such a RST is
 * accepted). Same errors as sg_dp_tcpgen_syn().
 */
int sg_dp_tcpgen_rst_to(struct rte_mbuf *m, const struct rte_ether_addr *smac,
			const struct rte_ether_addr *dmac, const struct sg_dp_flow_key *k,
			uint32_t seq);

/**
 * "HTTP/1.1 503 Service Unavailable" with Retry-After: @p retry_after_s,
 * Content-Length: 0 and Connection: close, into @p buf.
 *
 * @return bytes written (no NUL counted), or 0 when @p cap is too small.
 */
size_t sg_dp_http_503(char *buf, size_t cap, uint32_t retry_after_s);

/**
 * "HTTP/1.1 307 Temporary Redirect" with Location: the @p loc_len bytes
 * of @p location, Content-Length: 0 and Connection: close.
 *
 * @return bytes written, or 0 when @p cap is too small, @p loc_len is 0 or
 *   above 2048, or the location holds a byte outside 0x21-0x7e (no header
 *   injection).
 */
size_t sg_dp_http_307(char *buf, size_t cap, const char *location, size_t loc_len);

#endif /* SG_DP_TCPGEN_H */
