/* SPDX-License-Identifier: BSD-3-Clause */
/* L7 key extractors of brokered sessions for binary protocols: the TLS
 * ClientHello's server name and RDP's X.224 cookie (l7key.h; HTTP and the
 * dispatcher are in l7key.c). */
#include <string.h>

#include "session/l7key.h"
#include "session/l7scan.h"

/* ---------------- TLS ClientHello ---------------- */

#define TLS_RECORD_MAX 16384

/*
 * Cursor over the first record. Every read names its innermost container's
 * declared end: passing it is a lie (MALFORMED); passing the bytes we have
 * is a shortage (NEED_MORE, or ABSENT when the record is complete and the
 * handshake goes on in the next record, or when final).
 */
struct tls_cur {
	const uint8_t *b;
	size_t pos;
	size_t avail;	/* min(len, record end) */
	bool rec_whole; /* the whole record is in avail */
	bool final;
};

/* 0: n bytes readable at pos; else the result to return. */
static enum sg_dp_l7_result
tls_need(const struct tls_cur *c, size_t n, size_t limit)
{
	if (c->pos + n > limit)
		return SG_DP_L7_MALFORMED;
	if (c->pos + n > c->avail)
		return c->rec_whole ? SG_DP_L7_ABSENT : short_of_data(c->final);
	return SG_DP_L7_FOUND;
}

#define TLS_NEED(c, n, limit)                                          \
	do {                                                           \
		enum sg_dp_l7_result r_ = tls_need((c), (n), (limit)); \
		if (r_ != SG_DP_L7_FOUND)                              \
			return r_;                                     \
	} while (0)

static size_t
be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static enum sg_dp_l7_result
tls_server_name(struct tls_cur *c, size_t ext_end, uint8_t *key, uint16_t *key_len)
{
	size_t list_end;

	TLS_NEED(c, 2, ext_end);
	list_end = c->pos + 2 + be16(c->b + c->pos);
	if (list_end != ext_end)
		return SG_DP_L7_MALFORMED;
	c->pos += 2;
	while (c->pos < list_end) { /* pos grows by >= 3 each turn */
		uint8_t type;
		size_t nl, i;

		TLS_NEED(c, 3, list_end);
		type = c->b[c->pos];
		nl = be16(c->b + c->pos + 1);
		c->pos += 3;
		TLS_NEED(c, nl, list_end);
		if (type != 0) { /* only host_name (0) is defined */
			c->pos += nl;
			continue;
		}
		if (nl == 0 || nl > SG_MSG_KEY_MAX)
			return SG_DP_L7_MALFORMED;
		for (i = 0; i < nl; i++) {
			uint8_t ch = c->b[c->pos + i];

			if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
			      (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '.' || ch == '_'))
				return SG_DP_L7_MALFORMED;
		}
		return found(c->b + c->pos, nl, true, key, key_len);
	}
	return SG_DP_L7_ABSENT;
}

enum sg_dp_l7_result
sg_dp_l7_tls_sni(const uint8_t *buf, size_t len, bool final, uint8_t *key, uint16_t *key_len)
{
	struct tls_cur c = {.b = buf, .pos = 0, .final = final};
	size_t rec_len, rec_end, hs_end, n, ext_block_end;

	*key_len = 0;
	clamp(&len, &final);
	c.final = final;
	/* record header: 22 (handshake), version 3.x, length 1..16384 */
	if (len >= 1 && buf[0] != 22)
		return SG_DP_L7_MALFORMED;
	if (len >= 2 && buf[1] != 3)
		return SG_DP_L7_MALFORMED;
	if (len >= 3 && buf[2] > 4)
		return SG_DP_L7_MALFORMED;
	if (len < 5)
		return short_of_data(final);
	rec_len = be16(buf + 3);
	if (rec_len == 0 || rec_len > TLS_RECORD_MAX)
		return SG_DP_L7_MALFORMED;
	rec_end = 5 + rec_len;
	c.rec_whole = len >= rec_end;
	c.avail = c.rec_whole ? rec_end : len;
	c.pos = 5;
	/* handshake header: ClientHello (1), 24-bit length */
	if (c.avail > 5 && buf[5] != 1)
		return SG_DP_L7_MALFORMED;
	TLS_NEED(&c, 4, rec_end);
	n = (size_t)buf[6] << 16 | be16(buf + 7);
	if (n < 2 + 32 + 1 + 2 + 1)
		return SG_DP_L7_MALFORMED;
	c.pos = 9;
	hs_end = 9 + n;	 /* may pass rec_end: the hello continues in the next record */
	c.pos += 2 + 32; /* client_version, random */
	TLS_NEED(&c, 1, hs_end);
	n = buf[c.pos];
	if (n > 32)
		return SG_DP_L7_MALFORMED;
	c.pos += 1;
	TLS_NEED(&c, n, hs_end);
	c.pos += n; /* session id */
	TLS_NEED(&c, 2, hs_end);
	n = be16(buf + c.pos);
	if (n < 2 || n % 2 != 0)
		return SG_DP_L7_MALFORMED;
	c.pos += 2;
	TLS_NEED(&c, n, hs_end);
	c.pos += n; /* cipher suites */
	TLS_NEED(&c, 1, hs_end);
	n = buf[c.pos];
	if (n < 1)
		return SG_DP_L7_MALFORMED;
	c.pos += 1;
	TLS_NEED(&c, n, hs_end);
	c.pos += n; /* compression methods */
	if (c.pos == hs_end)
		return SG_DP_L7_ABSENT; /* no extensions */
	TLS_NEED(&c, 2, hs_end);
	ext_block_end = c.pos + 2 + be16(buf + c.pos);
	if (ext_block_end > hs_end)
		return SG_DP_L7_MALFORMED;
	c.pos += 2;
	while (c.pos < ext_block_end) { /* pos grows by >= 4 each turn */
		size_t type, elen;

		TLS_NEED(&c, 4, ext_block_end);
		type = be16(buf + c.pos);
		elen = be16(buf + c.pos + 2);
		c.pos += 4;
		if (c.pos + elen > ext_block_end)
			return SG_DP_L7_MALFORMED;
		if (type == 0)
			return tls_server_name(&c, c.pos + elen, key, key_len);
		c.pos += elen; /* skipped without reading it */
		if (c.pos > c.avail)
			return c.rec_whole ? SG_DP_L7_ABSENT : short_of_data(c.final);
	}
	return SG_DP_L7_ABSENT;
}

/* ---------------- RDP X.224 Connection Request ---------------- */

enum sg_dp_l7_result
sg_dp_l7_rdp_cookie(const uint8_t *buf, size_t len, bool final, uint8_t *key, uint16_t *key_len)
{
	static const char ck[] = "Cookie: ";
	size_t tpkt, i, s, v;

	*key_len = 0;
	clamp(&len, &final);
	/* TPKT: version 3, reserved 0, length; X.224: LI, CR (0xE0) */
	if ((len >= 1 && buf[0] != 3) || (len >= 2 && buf[1] != 0))
		return SG_DP_L7_MALFORMED;
	if (len < 4)
		return short_of_data(final);
	tpkt = be16(buf + 2);
	if (tpkt < 11 || tpkt > SG_DP_L7_RDP_TPKT_MAX)
		return SG_DP_L7_MALFORMED;
	if ((len >= 5 && buf[4] != tpkt - 5) || (len >= 6 && (buf[5] & 0xf0) != 0xe0))
		return SG_DP_L7_MALFORMED;
	if (len < tpkt)
		return short_of_data(final);
	s = 11; /* variable part */
	if (tpkt - s < sizeof(ck) - 1 || memcmp(buf + s, ck, sizeof(ck) - 1) != 0)
		return SG_DP_L7_ABSENT;
	s += sizeof(ck) - 1;
	for (i = s; i + 1 < tpkt && !(buf[i] == '\r' && buf[i + 1] == '\n'); i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return SG_DP_L7_MALFORMED;
	if (i + 1 >= tpkt)
		return SG_DP_L7_MALFORMED; /* no CRLF inside the TPDU */
	if (i - s >= 9 && memcmp(buf + s, "mstshash=", 9) == 0)
		v = 9;
	else if (i - s >= 5 && memcmp(buf + s, "msts=", 5) == 0)
		v = 5;
	else
		return SG_DP_L7_MALFORMED; /* not a cookie RDP defines */
	if (i - s == v)
		return SG_DP_L7_ABSENT; /* empty name or token */
	return found(buf + s, i - s, false, key, key_len);
}
