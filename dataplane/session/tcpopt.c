/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP options of a SYN proxy (sg_dp_tcpopt.h). */
#include <errno.h>
#include <string.h>

#include "session/tcpopt.h"

#define TCP_HDR_LEN 20 /* without options */

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int
sg_dp_tcpopt_parse(const uint8_t *opts, size_t len, struct sg_dp_tcp_opts *out)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	while (i < len) { /* every turn advances i by at least 1 */
		uint8_t kind = opts[i], olen;

		if (kind == SG_DP_TCPOPT_EOL)
			break;
		if (kind == SG_DP_TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -EBADMSG;
		olen = opts[i + 1];
		if (olen < 2 || olen > len - i)
			return -EBADMSG;
		switch (kind) {
		case SG_DP_TCPOPT_MSS:
			if (olen != 4)
				return -EBADMSG;
			out->mss = (uint16_t)(opts[i + 2] << 8 | opts[i + 3]);
			break;
		case SG_DP_TCPOPT_WSCALE:
			if (olen != 3)
				return -EBADMSG;
			out->has_wscale = true;
			out->wscale = opts[i + 2] > SG_DP_TCP_WSCALE_MAX ? SG_DP_TCP_WSCALE_MAX
									 : opts[i + 2];
			break;
		case SG_DP_TCPOPT_SACK_PERM:
			if (olen != 2)
				return -EBADMSG;
			out->sack_ok = true;
			break;
		case SG_DP_TCPOPT_TS:
			if (olen != 10)
				return -EBADMSG;
			out->has_ts = true;
			out->tsval = rd32(opts + i + 2);
			out->tsecr = rd32(opts + i + 6);
			break;
		default:
			break;
		}
		i += olen;
	}
	return 0;
}

int
sg_dp_tcpopt_parse_mbuf(const struct rte_mbuf *m, uint32_t l4_off, struct sg_dp_tcp_opts *out)
{
	const uint8_t *th;
	uint32_t avail = rte_pktmbuf_data_len(m), doff;

	memset(out, 0, sizeof(*out));
	if (l4_off > avail || avail - l4_off < TCP_HDR_LEN)
		return -EBADMSG;
	th = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4_off);
	doff = (th[12] >> 4) * 4u;
	if (doff < TCP_HDR_LEN || doff > avail - l4_off)
		return -EBADMSG;
	return sg_dp_tcpopt_parse(th + TCP_HDR_LEN, doff - TCP_HDR_LEN, out);
}

size_t
sg_dp_tcpopt_write_synack(uint8_t *buf, size_t cap, const struct sg_dp_tcp_opts *o)
{
	size_t need = 0, n = 0;

	if (o->mss != 0)
		need += 4;
	if (o->has_ts)
		need += 12; /* SACK_PERM + TS, or NOP NOP TS */
	else if (o->sack_ok)
		need += 4; /* NOP NOP SACK_PERM */
	if (o->has_wscale)
		need += 4; /* NOP WSCALE */
	if (need == 0 || need > cap)
		return 0;
	if (o->mss != 0) {
		buf[n++] = SG_DP_TCPOPT_MSS;
		buf[n++] = 4;
		buf[n++] = (uint8_t)(o->mss >> 8);
		buf[n++] = (uint8_t)o->mss;
	}
	if (o->has_ts) {
		if (o->sack_ok) {
			buf[n++] = SG_DP_TCPOPT_SACK_PERM;
			buf[n++] = 2;
		} else {
			buf[n++] = SG_DP_TCPOPT_NOP;
			buf[n++] = SG_DP_TCPOPT_NOP;
		}
		buf[n++] = SG_DP_TCPOPT_TS;
		buf[n++] = 10;
		wr32(buf + n, o->tsval);
		wr32(buf + n + 4, o->tsecr);
		n += 8;
	} else if (o->sack_ok) {
		buf[n++] = SG_DP_TCPOPT_NOP;
		buf[n++] = SG_DP_TCPOPT_NOP;
		buf[n++] = SG_DP_TCPOPT_SACK_PERM;
		buf[n++] = 2;
	}
	if (o->has_wscale) {
		buf[n++] = SG_DP_TCPOPT_NOP;
		buf[n++] = SG_DP_TCPOPT_WSCALE;
		buf[n++] = 3;
		buf[n++] = o->wscale > SG_DP_TCP_WSCALE_MAX ? SG_DP_TCP_WSCALE_MAX : o->wscale;
	}
	return n;
}
