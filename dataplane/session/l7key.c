/* SPDX-License-Identifier: BSD-3-Clause */
/* L7 key extractors of brokered sessions (sg_dp_l7key.h). */
#include <string.h>

#include "session/l7key.h"
#include "session/l7scan.h"

/* ---------------- helpers ---------------- */

/*
 * The ring's key of a named cookie or header (sg_msg.h v4): @p name as the
 * VS spells it, @p sep, then the value as sent. Over SG_MSG_KEY_MAX in all
 * is MALFORMED: cutting it would make a different identity.
 */
static enum sg_dp_l7_result
found_named(const char *name, const char *sep, const uint8_t *v, size_t n, uint8_t *key,
	    uint16_t *key_len)
{
	size_t nl = strlen(name), sl = strlen(sep), i;

	if (n == 0)
		return SG_DP_L7_ABSENT;
	if (nl + sl + n > SG_MSG_KEY_MAX)
		return SG_DP_L7_MALFORMED;
	for (i = 0; i < nl; i++) /* bytes, not a string: no NUL on the ring */
		key[i] = (uint8_t)name[i];
	for (i = 0; i < sl; i++)
		key[nl + i] = (uint8_t)sep[i];
	memcpy(key + nl + sl, v, n);
	*key_len = (uint16_t)(nl + sl + n);
	return SG_DP_L7_FOUND;
}

static uint8_t
lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/*
 * Byte classes of the HTTP scan (issue 17: one load per byte instead of a
 * chain of compares and a strchr()):
 */
#define C_TCHAR	 1u  /* RFC 9110 tchar: a method or header-name byte */
#define C_VALUE	 2u  /* a header value byte: HT, 0x20-0x7e, obs-text 0x80-0xff */
#define C_HOST	 4u  /* Host value: letters, digits, -._~!$&'()*+,;=%:[] */
#define C_TARGET 8u  /* request-target: 0x21-0x7e */
#define C_UPPER	 16u /* A-Z */

static const uint8_t http_class[256] = {
	0,  0,	0,  0,	0,  0,	0,  0,	0,  2,	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,
	0,  0,	0,  0,	0,  0,	0,  0,	0,  0,	2,  15, 10, 11, 15, 15, 15, 15, 14, 14, 15, 15,
	14, 15, 15, 10, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 14, 14, 10, 14, 10, 10, 10, 31,
	31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31,
	31, 31, 31, 14, 10, 14, 11, 15, 11, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 10, 11, 10, 15, 0,	2,  2,	2,  2,
	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,
	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,
	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,
	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,
	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,
	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,	2,  2,
};

static bool
is_tchar(uint8_t c)
{
	return (http_class[c] & C_TCHAR) != 0;
}

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Some byte of @p x is below @p n (n <= 128): exact as a yes/no. */
static bool
word_has_below(uint64_t x, uint8_t n)
{
	return ((x - ONES * n) & ~x & HIGHS) != 0;
}

/* Some byte of @p x is above @p n (n <= 127). */
static bool
word_has_above(uint64_t x, uint8_t n)
{
	return (((x + ONES * (uint8_t)(127 - n)) | x) & HIGHS) != 0;
}

static bool
word_has_zero(uint64_t x)
{
	return ((x - ONES) & ~x & HIGHS) != 0;
}

/* Eight bytes, all of class @p cls (only C_VALUE and C_TARGET have a word test). */
static bool
word_all(const uint8_t *p, unsigned int cls)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	if (cls == C_VALUE)
		return !word_has_below(x, 0x20) && !word_has_zero(x ^ (ONES * 0x7f));
	return !word_has_below(x, 0x21) && !word_has_above(x, 0x7e);
}

/*
 * First index in [i, end) whose byte is not of class @p cls (end if none):
 * eight bytes at a time while they all are, then byte by byte (a word
 * with an HT in a value goes on byte by byte: same answer, slower).
 */
static inline size_t
run_of(const uint8_t *b, size_t i, size_t end, unsigned int cls)
{
	while (end - i >= 8 && word_all(b + i, cls))
		i += 8;
	while (i < end && (http_class[b[i]] & cls) != 0)
		i++;
	return i;
}

static bool
valid_name(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return false;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= SG_DP_L7_NAME_MAX || !is_tchar((uint8_t)name[i]))
			return false;
	return true;
}

/* ---------------- HTTP/1.x ---------------- */

enum http_want { W_HOST, W_PATH, W_COOKIE, W_HEADER };

struct http_req {
	size_t target, target_len; /* request-target */
	size_t hdr;		   /* first header line */
};

/*
 * Request line "METHOD SP target SP HTTP/1.d CRLF". Checks every byte
 * present, so that a non-HTTP client is refused at its first byte.
 */
static enum sg_dp_l7_result
http_request_line(const uint8_t *b, size_t len, bool final, struct http_req *rq)
{
	static const char ver[] = "HTTP/1.";
	size_t i = 0, n, v;

	for (n = 0; i < len && b[i] != ' '; i++, n++)
		if (n >= 32 || !is_tchar(b[i]))
			return SG_DP_L7_MALFORMED;
	if (i == len)
		return short_of_data(final);
	if (n == 0)
		return SG_DP_L7_MALFORMED;
	rq->target = ++i;
	/* stops at the SP, a bad byte, the end, or one past the line's limit */
	i = run_of(b, i, len < SG_DP_L7_HTTP_LINE_MAX + 1 ? len : SG_DP_L7_HTTP_LINE_MAX + 1,
		   C_TARGET);
	if (i > SG_DP_L7_HTTP_LINE_MAX || (i < len && b[i] != ' '))
		return SG_DP_L7_MALFORMED;
	if (i == len)
		return short_of_data(final);
	rq->target_len = i - rq->target;
	if (rq->target_len == 0)
		return SG_DP_L7_MALFORMED;
	i++;
	if (len - i >= 10) { /* the whole "HTTP/1." digit CR LF there: one compare */
		if (memcmp(b + i, ver, 7) != 0 || b[i + 7] < '0' || b[i + 7] > '9' ||
		    b[i + 8] != '\r' || b[i + 9] != '\n')
			return SG_DP_L7_MALFORMED;
		rq->hdr = i + 10;
		return SG_DP_L7_FOUND;
	}
	for (v = 0; v < 10; v++, i++) { /* "HTTP/1." digit CR LF, cut short */
		uint8_t c;
		bool ok;

		if (i >= len)
			return short_of_data(final);
		c = b[i];
		if (v < 7)
			ok = c == (uint8_t)ver[v];
		else if (v == 7)
			ok = c >= '0' && c <= '9';
		else
			ok = c == (v == 8 ? '\r' : '\n');
		if (!ok)
			return SG_DP_L7_MALFORMED;
	}
	rq->hdr = i;
	return SG_DP_L7_FOUND;
}

static enum sg_dp_l7_result
http_path(const uint8_t *b, const struct http_req *rq, uint8_t *key, uint16_t *key_len)
{
	const uint8_t *t = b + rq->target;
	size_t n = rq->target_len, s = 0, e;

	if (t[0] != '/') {
		/* absolute form: scheme "://" authority [path] */
		size_t i = 0;

		while (i < n && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
				 (i > 0 && ((t[i] >= '0' && t[i] <= '9') || t[i] == '+' ||
					    t[i] == '-' || t[i] == '.'))))
			i++;
		if (i == 0 || n - i < 3 || memcmp(t + i, "://", 3) != 0)
			return SG_DP_L7_ABSENT; /* "*" or authority form */
		i += 3;
		while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
			i++;
		if (i == n || t[i] != '/')
			return found((const uint8_t *)"/", 1, false, key, key_len);
		s = i;
	}
	for (e = s; e < n && t[e] != '?' && t[e] != '#'; e++)
		;
	return found(t + s, e - s, false, key, key_len);
}

/* A header name of @p n bytes is "Host", in any case (| 0x20 maps only 'H' and 'h' to 'h'). */
static bool
is_host(const uint8_t *b, size_t n)
{
	uint32_t w, host;

	if (n != 4)
		return false;
	memcpy(&w, b, 4);
	memcpy(&host, "host", 4);
	return (w | 0x20202020u) == host;
}

/*
 * Check every byte of the Host value [v, v + n) and copy its first
 * SG_MSG_KEY_MAX bytes lower-cased into @p key, in one pass (host_found()
 * gives the length once the header block is whole); false: a byte not
 * allowed.
 */
static bool
host_take(const uint8_t *v, size_t n, uint8_t *key)
{
	for (size_t j = 0; j < n; j++) {
		uint8_t c = v[j], k = http_class[c];

		if ((k & C_HOST) == 0)
			return false;
		if (j < SG_MSG_KEY_MAX)
			key[j] = (k & C_UPPER) != 0 ? (uint8_t)(c + 32) : c;
	}
	return true;
}

/* The Host value host_take() copied, of @p n bytes: found(), without the copy. */
static enum sg_dp_l7_result
host_found(size_t n, uint16_t *key_len)
{
	if (n == 0)
		return SG_DP_L7_ABSENT;
	if (n > SG_MSG_KEY_MAX)
		return SG_DP_L7_MALFORMED;
	*key_len = (uint16_t)n;
	return SG_DP_L7_FOUND;
}

static bool
cookie_octet(uint8_t c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

static bool
blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/*
 * Find @p name=value in one Cookie header value; 1 found, 0 not, -1 its value
 * has a byte that is no cookie-octet (*vs, *vl set for 1 and -1).
 */
static int
cookie_find(const uint8_t *v, size_t n, const char *name, size_t *vs, size_t *vl)
{
	size_t nl = strlen(name), i = 0;

	while (i < n) {
		size_t ps = i, pe, eq;

		while (i < n && v[i] != ';')
			i++;
		pe = i++; /* pair [ps, pe) */
		while (ps < pe && blank(v[ps]))
			ps++;
		while (pe > ps && blank(v[pe - 1]))
			pe--;
		for (eq = ps; eq < pe && v[eq] != '='; eq++)
			;
		if (eq == pe || eq - ps != nl || memcmp(v + ps, name, nl) != 0)
			continue;
		eq++;
		if (pe - eq >= 2 && v[eq] == '"' && v[pe - 1] == '"') {
			eq++;
			pe--;
		}
		*vs = eq; /* also for -1: an incomplete line's too-long test reads it */
		*vl = pe - eq;
		for (size_t j = eq; j < pe; j++)
			if (!cookie_octet(v[j]))
				return -1;
		return 1;
	}
	return 0;
}

/* @p b (n bytes) is @p name (nl bytes), case-insensitively */
static bool
name_is_n(const uint8_t *b, size_t n, const char *name, size_t nl)
{
	size_t i;

	if (nl != n)
		return false;
	for (i = 0; i < n; i++)
		if (lc(b[i]) != lc((uint8_t)name[i]))
			return false;
	return true;
}

static bool
name_is(const uint8_t *b, size_t n, const char *name)
{
	return name_is_n(b, n, name, strlen(name));
}

/*
 * The wanted cookie or header already longer than the ring's key in the
 * incomplete line [v, v + n) of header @p h: MALFORMED whatever follows
 * (the value only grows; a cookie's quotes may take 2 off), so a key
 * running past the bytes looked at is decided as the whole one would be.
 */
static bool
partial_too_long(enum http_want want, const char *name, const uint8_t *h, size_t hl,
		 const uint8_t *v, size_t n)
{
	size_t nl = name != NULL ? strlen(name) : 0, s = 0, cs, cl;

	while (s < n && blank(v[s]))
		s++;
	while (n > s && blank(v[n - 1]))
		n--;
	if (want == W_HEADER && name_is(h, hl, name))
		return nl + 2 + (n - s) > SG_MSG_KEY_MAX;
	/* a bad octet already there (-1) does not matter: too long or bad, the whole is
	 * MALFORMED; a cookie not over the limit yet waits for its line (a leading quote
	 * is only bad until its closing one comes) */
	if (want == W_COOKIE && name_is(h, hl, "cookie") &&
	    cookie_find(v + s, n - s, name, &cs, &cl) != 0)
		return nl + 1 + cl > SG_MSG_KEY_MAX + 2;
	return false;
}

static enum sg_dp_l7_result
http_extract(enum http_want want, const char *name, const uint8_t *b, size_t len, bool final,
	     uint8_t *key, uint16_t *key_len)
{
	struct http_req rq;
	enum sg_dp_l7_result r;
	size_t pos, host_l = 0, name_len = 0;
	unsigned int hosts = 0;

	*key_len = 0;
	if ((want == W_COOKIE || want == W_HEADER) && !valid_name(name))
		return SG_DP_L7_MALFORMED;
	if (want == W_HEADER)
		name_len = strlen(name);
	clamp(&len, &final);
	r = http_request_line(b, len, final, &rq);
	if (r != SG_DP_L7_FOUND)
		return r;
	if (want == W_PATH)
		return http_path(b, &rq, key, key_len);
	pos = rq.hdr;
	for (;;) { /* one header line per turn; pos only grows */
		size_t i, colon = 0, vs, ve, lim;

		if (pos >= len)
			break;
		if (b[pos] == '\r') {
			if (pos + 1 >= len)
				break;
			if (b[pos + 1] != '\n')
				return SG_DP_L7_MALFORMED;
			/* end of the header block */
			if (want == W_HOST && hosts == 1)
				return host_found(host_l, key_len);
			return SG_DP_L7_ABSENT;
		}
		if (blank(b[pos])) /* obsolete line folding */
			return SG_DP_L7_MALFORMED;
		/* name, ':', value up to the CR: the scan stops at a byte of
		 * neither class, the end, or one past the line's limit */
		lim = len - pos > SG_DP_L7_HTTP_LINE_MAX ? pos + SG_DP_L7_HTTP_LINE_MAX + 1 : len;
		for (i = pos; i < lim && is_tchar(b[i]); i++)
			;
		if (i < lim && b[i] == ':') {
			colon = i;
			i = run_of(b, i + 1, lim, C_VALUE);
		}
		if (i - pos > SG_DP_L7_HTTP_LINE_MAX || (i < len && b[i] != '\r'))
			return SG_DP_L7_MALFORMED;
		if (i + 1 >= len) { /* line incomplete */
			if (colon != 0 && partial_too_long(want, name, b + pos, colon - pos,
							   b + colon + 1, i - colon - 1))
				return SG_DP_L7_MALFORMED;
			break;
		}
		if (b[i + 1] != '\n' || colon == 0 || colon == pos)
			return SG_DP_L7_MALFORMED;
		for (vs = colon + 1; vs < i && blank(b[vs]); vs++)
			;
		for (ve = i; ve > vs && blank(b[ve - 1]); ve--)
			;
		if (want == W_HOST && is_host(b + pos, colon - pos)) {
			if (++hosts > 1 || !host_take(b + vs, ve - vs, key))
				return SG_DP_L7_MALFORMED;
			host_l = ve - vs;
		} else if (want == W_HEADER && name_is_n(b + pos, colon - pos, name, name_len)) {
			return found_named(name, ": ", b + vs, ve - vs, key, key_len);
		} else if (want == W_COOKIE && name_is_n(b + pos, colon - pos, "cookie", 6)) {
			size_t cs, cl;
			int c = cookie_find(b + vs, ve - vs, name, &cs, &cl);

			if (c < 0)
				return SG_DP_L7_MALFORMED;
			if (c > 0)
				return found_named(name, "=", b + vs + cs, cl, key, key_len);
		}
		pos = i + 2;
	}
	/* out of bytes inside the header block */
	if (!final)
		return SG_DP_L7_NEED_MORE;
	if (want == W_HOST && hosts == 1)
		return host_found(host_l, key_len);
	return SG_DP_L7_ABSENT;
}

enum sg_dp_l7_result
sg_dp_l7_http_host(const uint8_t *buf, size_t len, bool final, uint8_t *key, uint16_t *key_len)
{
	return http_extract(W_HOST, NULL, buf, len, final, key, key_len);
}

enum sg_dp_l7_result
sg_dp_l7_http_path(const uint8_t *buf, size_t len, bool final, uint8_t *key, uint16_t *key_len)
{
	return http_extract(W_PATH, NULL, buf, len, final, key, key_len);
}

enum sg_dp_l7_result
sg_dp_l7_http_cookie(const char *name, const uint8_t *buf, size_t len, bool final, uint8_t *key,
		     uint16_t *key_len)
{
	return http_extract(W_COOKIE, name, buf, len, final, key, key_len);
}

enum sg_dp_l7_result
sg_dp_l7_http_header(const char *name, const uint8_t *buf, size_t len, bool final, uint8_t *key,
		     uint16_t *key_len)
{
	return http_extract(W_HEADER, name, buf, len, final, key, key_len);
}

/* ---------------- prefix and dispatcher ---------------- */

enum sg_dp_l7_result
sg_dp_l7_prefix(size_t n, const uint8_t *buf, size_t len, bool final, uint8_t *key,
		uint16_t *key_len)
{
	*key_len = 0;
	if (n == 0)
		return SG_DP_L7_MALFORMED;
	if (n > SG_MSG_KEY_MAX)
		n = SG_MSG_KEY_MAX;
	if (len >= n)
		return found(buf, n, false, key, key_len);
	if (!final)
		return SG_DP_L7_NEED_MORE;
	return found(buf, len, false, key, key_len); /* ABSENT when len is 0 */
}

static size_t
prefix_arg(const char *name)
{
	size_t n = 0, i;

	if (name == NULL)
		return SG_MSG_KEY_MAX;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= 3 || name[i] < '0' || name[i] > '9')
			return 0;
		n = n * 10 + (size_t)(name[i] - '0');
	}
	return n <= SG_MSG_KEY_MAX ? n : 0;
}

enum sg_dp_l7_result
sg_dp_l7_extract(enum sg_msg_l7 type, const char *name, const uint8_t *buf, size_t len, bool final,
		 uint8_t *key, uint16_t *key_len)
{
	*key_len = 0;
	switch (type) {
	case SG_MSG_L7_HTTP_HOST:
		return sg_dp_l7_http_host(buf, len, final, key, key_len);
	case SG_MSG_L7_HTTP_PATH:
		return sg_dp_l7_http_path(buf, len, final, key, key_len);
	case SG_MSG_L7_HTTP_COOKIE:
		return sg_dp_l7_http_cookie(name, buf, len, final, key, key_len);
	case SG_MSG_L7_HTTP_HEADER:
		return sg_dp_l7_http_header(name, buf, len, final, key, key_len);
	case SG_MSG_L7_TLS_SNI:
		return sg_dp_l7_tls_sni(buf, len, final, key, key_len);
	case SG_MSG_L7_RDP_COOKIE:
		return sg_dp_l7_rdp_cookie(buf, len, final, key, key_len);
	case SG_MSG_L7_PREFIX:
		return sg_dp_l7_prefix(prefix_arg(name), buf, len, final, key, key_len);
	default:
		return SG_DP_L7_ABSENT;
	}
}
