/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * TCP options of a SYN / SYN-ACK: parse the ones a SYN proxy negotiates
 * (MSS, window scale, SACK-permitted, timestamps) and write a SYN-ACK's.
 * Every input is hostile: lengths are checked against the option list,
 * loops are bounded by it. No allocation, no logging.
 */
#ifndef SG_DP_TCPOPT_H
#define SG_DP_TCPOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#define SG_DP_TCPOPT_EOL       0
#define SG_DP_TCPOPT_NOP       1
#define SG_DP_TCPOPT_MSS       2 /**< length 4 */
#define SG_DP_TCPOPT_WSCALE    3 /**< length 3 */
#define SG_DP_TCPOPT_SACK_PERM 4 /**< length 2 */
#define SG_DP_TCPOPT_SACK      5 /**< length 2 + 8n, n = 1..4 */
#define SG_DP_TCPOPT_TS	       8 /**< length 10 */

#define SG_DP_TCPOPT_LEN_MAX 40 /**< largest TCP option area (data offset 15) */
#define SG_DP_TCP_WSCALE_MAX 14 /**< RFC 7323: larger shifts are used as 14 */
/** Bytes sg_dp_tcpopt_write_synack() needs at most. */
#define SG_DP_TCPOPT_SYNACK_MAX 20

/** Negotiated options of a SYN (or what a SYN-ACK announces). */
struct sg_dp_tcp_opts {
	uint16_t mss;	/**< host order; 0 = absent */
	uint8_t wscale; /**< shift (clamped to SG_DP_TCP_WSCALE_MAX); valid if has_wscale */
	bool has_wscale;
	bool sack_ok;
	bool has_ts;
	uint32_t tsval; /**< host order; valid if has_ts */
	uint32_t tsecr; /**< host order; valid if has_ts */
};

/**
 * Parse the TCP option list @p opts of @p len bytes (the bytes after the
 * 20-byte TCP header) into @p out (reset first). EOL ends the list; unknown
 * options with a well-formed length are skipped; a later occurrence of a
 * known option overrides an earlier one. A window scale above 14 is
 * clamped to 14 (RFC 7323 section 2.3).
 *
 * @return 0, or -EBADMSG when the list is malformed: an option length
 *   below 2 or running past @p len, a kind byte without its length byte,
 *   or a known option (MSS, window scale, SACK-permitted, timestamps)
 *   with a length other than its fixed one. @p out is then partial.
 */
int sg_dp_tcpopt_parse(const uint8_t *opts, size_t len, struct sg_dp_tcp_opts *out);

/**
 * Parse the options of the TCP header at offset @p l4_off of @p m with
 * sg_dp_tcpopt_parse(), reading only what lies in the first segment: the
 * header's data offset and the segment's data length both bound the list.
 *
 * @return 0; -EBADMSG when the header (20 bytes, or its data offset) runs
 *   past the first segment, the data offset is below 5, or the list is
 *   malformed (see sg_dp_tcpopt_parse()).
 */
int sg_dp_tcpopt_parse_mbuf(const struct rte_mbuf *m, uint32_t l4_off, struct sg_dp_tcp_opts *out);

/**
 * Write the options of a SYN-ACK announcing @p o into @p buf: MSS (when
 * @p o->mss is not 0), SACK-permitted (when sack_ok), timestamps (when
 * has_ts: TSval = o->tsval, TSecr = o->tsecr) and window scale (when
 * has_wscale), NOP padded to a multiple of 4 bytes (Linux layout).
 *
 * @return the bytes written (0..SG_DP_TCPOPT_SYNACK_MAX, a multiple of 4),
 *   or 0 when @p cap is too small (nothing written then) or nothing is to
 *   be announced.
 */
size_t sg_dp_tcpopt_write_synack(uint8_t *buf, size_t cap, const struct sg_dp_tcp_opts *o);

#endif /* SG_DP_TCPOPT_H */
