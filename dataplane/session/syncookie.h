/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * SYN cookies (RFC 4987) keyed with SipHash-2-4: a brokered virtual
 * service answers a SYN without keeping any state; the client's ACK brings
 * back everything needed to rebuild the connection.
 *
 * Our initial sequence number (the cookie) is
 *
 *     cookie = client_isn + (T << 27 | M << 24 | MAC)
 *
 *   - T   (bits 31..27): time counter (now_s / 64) modulo 32;
 *   - M   (bits 26..24): index of the MSS in sg_dp_syncookie_mss[]
 *                        (the largest entry <= the client's MSS; 536 when
 *                        the client sent none or less);
 *   - MAC (bits 23..0):  low 24 bits of SipHash-2-4 over the family, both
 *                        addresses and ports, the client ISN, the full
 *                        32-bit counter, M, and the timestamp bits below.
 *
 * When the client's SYN carried timestamps, our TSval's low 5 bits carry
 * the client's window scale (bits 3..0, 0xf = none) and SACK-permitted
 * (bit 4); the client echoes them in TSecr, and they are covered by the
 * MAC. Without timestamps, window scale and SACK-permitted are lost: the
 * connection goes on without them (out->has_wscale and sack_ok false).
 * A client that sent timestamps in its SYN but none in its ACK fails the
 * MAC check (-EACCES), as RFC 7323 requires them on every segment.
 *
 * A cookie is accepted while its counter is the current one or the one
 * before (a lifetime of 64 to 128 s).
 *
 * Secrets and the lock-free rule: struct sg_dp_syncookie_secret holds two
 * keys, current and previous, in slots selected by the parity of a
 * generation number. sg_dp_syncookie_rotate() (main lcore only, one
 * writer) writes the new key into the slot of the previous key (the one
 * being retired), then publishes gen + 1 with a release store. Workers
 * load gen with acquire, make cookies with the current key and check
 * against the current then the previous one. Key words are read and
 * written with relaxed atomics, so a worker racing a rotation reads a
 * well-defined mix of the retired key and the new one only in the slot
 * being retired: the worst outcome is that a cookie made under the retired
 * key is refused a moment before it would be anyway; a mixed key is as
 * unknown to an attacker as either key, so it never admits a forgery.
 * Rotate at most once per 128 s (the cookie lifetime) so that every
 * cookie still valid by time is checked under its key: a cookie made under
 * the previous key stays valid after one rotation, not after two.
 */
#ifndef SG_DP_SYNCOOKIE_H
#define SG_DP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "session/tcpopt.h"

#define SG_DP_SYNCOOKIE_PERIOD_S 64 /**< seconds per time counter step */
#define SG_DP_SYNCOOKIE_MSS_N	 8
/** Values a cookie can carry as the client's MSS (index in bits 26..24). */
extern const uint16_t sg_dp_syncookie_mss[SG_DP_SYNCOOKIE_MSS_N];

/** Two SipHash keys (current, previous) selected by gen's parity. */
struct sg_dp_syncookie_secret {
	uint64_t key[2][2]; /**< key[gen & 1] current, key[(gen + 1) & 1] previous */
	uint32_t gen;	    /**< generation; written by the main lcore only */
};

/**
 * Fill both keys from getrandom() (called once at start, never per
 * packet).
 *
 * @return 0, or -EIO when the kernel did not deliver 32 random bytes
 *   (the secret is then unusable: zeroed).
 */
int sg_dp_syncookie_init(struct sg_dp_syncookie_secret *s);

/**
 * Make @p newkey the current key; the current one becomes the previous
 * one, the previous one is forgotten. Main lcore only (one writer); safe
 * while workers make and check cookies (see the file comment).
 */
void sg_dp_syncookie_rotate(struct sg_dp_syncookie_secret *s, const uint8_t newkey[16]);

/**
 * Make the cookie (our ISN) answering a SYN of flow @p k (client ->
 * VIP, as sg_dp_pkt_parse() fills it) with sequence number @p client_isn
 * and options @p syn, at time @p now_s (seconds, any monotonic origin).
 *
 * @param[out] mss_out    MSS to use towards the client (the table value)
 * @param[out] tsval_out  our TSval for the SYN-ACK when @p syn->has_ts
 *                        (carries window scale and SACK-permitted), else 0
 * @return the cookie. Cannot fail: a flow key of another family is hashed
 *   as it is and its cookie will never check (-EINVAL).
 */
uint32_t sg_dp_syncookie_make(const struct sg_dp_syncookie_secret *s,
			      const struct sg_dp_flow_key *k, uint32_t client_isn, uint32_t now_s,
			      const struct sg_dp_tcp_opts *syn, uint16_t *mss_out,
			      uint32_t *tsval_out);

/** One SYN's cookie in a burst (sg_dp_syncookie_make_burst()). */
struct sg_dp_syncookie_req {
	const struct sg_dp_flow_key *k; /**< the SYN's flow (client -> VIP) */
	uint32_t isn;			/**< the client's ISN */
	uint8_t idx;			/**< MSS index (sg_dp_syncookie_prep()) */
	uint8_t ts_bits;		/**< timestamp bits (sg_dp_syncookie_prep()) */
	uint32_t cookie;		/**< out: the cookie (our ISN) */
};

#define SG_DP_SYNCOOKIE_TS_WSNONE 0xfu	/**< TSval bits 3..0: no window scale */
#define SG_DP_SYNCOOKIE_TS_SACK	  0x10u /**< TSval bit 4: SACK permitted */

/**
 * What the options @p syn of a SYN put into its cookie: the MSS index
 * @p idx (the largest table entry <= its MSS; 0 (536) when absent or
 * below) and timestamp bits @p ts_bits (0: no timestamps).
 *
 * @return the MSS to use towards the client (the table value).
 */
static inline uint16_t
sg_dp_syncookie_prep(const struct sg_dp_tcp_opts *syn, uint8_t *idx, uint8_t *ts_bits)
{
	unsigned int i = 0;

	if (syn->mss >= sg_dp_syncookie_mss[1]) { /* SYN floods mostly carry none */
		i = SG_DP_SYNCOOKIE_MSS_N - 1;
		while (i > 0 && sg_dp_syncookie_mss[i] > syn->mss)
			i--;
	}
	*idx = (uint8_t)i;
	*ts_bits = 0;
	if (syn->has_ts) {
		uint32_t bits = syn->has_wscale ? syn->wscale : SG_DP_SYNCOOKIE_TS_WSNONE;

		if (syn->sack_ok)
			bits |= SG_DP_SYNCOOKIE_TS_SACK;
		*ts_bits = (uint8_t)(0x80 | bits);
	}
	return sg_dp_syncookie_mss[i];
}

/**
 * Our TSval for a SYN-ACK whose SYN had timestamps (@p ts_bits != 0, from
 * sg_dp_syncookie_prep()) at @p now_s: a millisecond clock with the 5
 * bits of window scale and SACK-permitted below.
 */
static inline uint32_t
sg_dp_syncookie_tsval(uint32_t now_s, uint8_t ts_bits)
{
	return ((now_s * 1000u) & ~0x1fu) | (ts_bits & 0x1fu);
}

/**
 * sg_dp_syncookie_make() of the @p n SYNs of @p r at time @p now_s (the
 * same cookies), the key loaded and SipHash's initial state computed
 * once. Cannot fail.
 */
void sg_dp_syncookie_make_burst(const struct sg_dp_syncookie_secret *s, uint32_t now_s,
				struct sg_dp_syncookie_req *r, unsigned int n);

/**
 * Check the client's ACK completing a cookie handshake of flow @p k.
 *
 * @param ack_seq     the ACK's acknowledgment number (cookie + 1)
 * @param client_seq  the ACK's sequence number (client ISN + 1)
 * @param has_ts      the ACK carried a timestamps option
 * @param tsecr       its TSecr (our TSval echoed)
 * @param[out] out    on success: mss, has_wscale/wscale, sack_ok, has_ts
 *                    (tsval/tsecr 0)
 * @return 0 (valid cookie), -EACCES (MAC mismatch: forged, other flow,
 *   other key, tampered bits, or timestamps dropped by the client),
 *   -ETIMEDOUT (its counter is neither the current one nor the one
 *   before: older than 64 to 128 s), -EINVAL (family not AF_INET/AF_INET6, or an
 *   authenticated but impossible window scale).
 */
int sg_dp_syncookie_check(const struct sg_dp_syncookie_secret *s, const struct sg_dp_flow_key *k,
			  uint32_t ack_seq, uint32_t client_seq, uint32_t now_s, bool has_ts,
			  uint32_t tsecr, struct sg_dp_tcp_opts *out);

#endif /* SG_DP_SYNCOOKIE_H */
