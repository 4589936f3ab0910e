/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP key extractors of dataplane/session/l7key.c as they were before
 * issue 17's table-driven scan (commit 9041cd4), frozen here as the
 * reference of test_dp_l7key_diff.c: ref_l7_http_host / _path /
 * _cookie / _header must answer exactly as sg_dp_l7_http_* do. Do not "fix" this
 * copy: it is the behaviour the fast parser must keep.
 */
#ifndef SG_TEST_L7KEY_REF_H
#define SG_TEST_L7KEY_REF_H

#include <stdbool.h>
#include <string.h>

#include "session/l7key.h"

/* ---------------- helpers ---------------- */

static enum sg_dp_l7_result
ref_found(const uint8_t *v, size_t n, bool lower, uint8_t *key, uint16_t *key_len)
{
	size_t i;

	if (n == 0)
		return SG_DP_L7_ABSENT;
	if (n > SG_MSG_KEY_MAX)
		return SG_DP_L7_MALFORMED;
	for (i = 0; i < n; i++)
		key[i] = (lower && v[i] >= 'A' && v[i] <= 'Z') ? (uint8_t)(v[i] + 32) : v[i];
	*key_len = (uint16_t)n;
	return SG_DP_L7_FOUND;
}

/*
 * The ring's key of a named cookie or header (sg_msg.h v4): @p name as the
 * VS spells it, @p sep, then the value as sent. Over SG_MSG_KEY_MAX in all
 * is MALFORMED: cutting it would make a different identity.
 */
static enum sg_dp_l7_result
ref_found_named(const char *name, const char *sep, const uint8_t *v, size_t n, uint8_t *key,
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

/* Out of bytes: wait for more unless none will come. */
static enum sg_dp_l7_result
ref_short_of_data(bool final)
{
	return final ? SG_DP_L7_ABSENT : SG_DP_L7_NEED_MORE;
}

static void
ref_clamp(size_t *len, bool *final)
{
	if (*len >= SG_DP_L7_SCAN_MAX) {
		*len = SG_DP_L7_SCAN_MAX;
		*final = true;
	}
}

static uint8_t
ref_lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* RFC 9110 tchar */
static bool
ref_is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
ref_valid_name(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return false;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= SG_DP_L7_NAME_MAX || !ref_is_tchar((uint8_t)name[i]))
			return false;
	return true;
}

/* ---------------- HTTP/1.x ---------------- */

enum ref_http_want { RW_HOST, RW_PATH, RW_COOKIE, RW_HEADER };

struct ref_http_req {
	size_t target, target_len; /* request-target */
	size_t hdr;		   /* first header line */
};

/*
 * Request line "METHOD SP target SP HTTP/1.d CRLF". Checks every byte
 * present, so that a non-HTTP client is refused at its first byte.
 */
static enum sg_dp_l7_result
ref_http_request_line(const uint8_t *b, size_t len, bool final, struct ref_http_req *rq)
{
	static const char ver[] = "HTTP/1.";
	size_t i = 0, n, v;

	for (n = 0; i < len && b[i] != ' '; i++, n++)
		if (n >= 32 || !ref_is_tchar(b[i]))
			return SG_DP_L7_MALFORMED;
	if (i == len)
		return ref_short_of_data(final);
	if (n == 0)
		return SG_DP_L7_MALFORMED;
	rq->target = ++i;
	for (; i < len && b[i] != ' '; i++)
		if (b[i] < 0x21 || b[i] > 0x7e || i >= SG_DP_L7_HTTP_LINE_MAX)
			return SG_DP_L7_MALFORMED;
	if (i == len)
		return ref_short_of_data(final);
	rq->target_len = i - rq->target;
	if (rq->target_len == 0)
		return SG_DP_L7_MALFORMED;
	i++;
	for (v = 0; v < 10; v++, i++) { /* "HTTP/1." digit CR LF */
		uint8_t c;
		bool ok;

		if (i >= len)
			return ref_short_of_data(final);
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
ref_http_path(const uint8_t *b, const struct ref_http_req *rq, uint8_t *key, uint16_t *key_len)
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
			return ref_found((const uint8_t *)"/", 1, false, key, key_len);
		s = i;
	}
	for (e = s; e < n && t[e] != '?' && t[e] != '#'; e++)
		;
	return ref_found(t + s, e - s, false, key, key_len);
}

static bool
ref_host_char(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("-._~!$&'()*+,;=%:[]", c) != NULL;
}

static bool
ref_cookie_octet(uint8_t c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
	       (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

static bool
ref_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/*
 * Find @p name=value in one Cookie header value; 1 found, 0 not, -1 its value
 * has a byte that is no cookie-octet (*vs, *vl set for 1 and -1).
 */
static int
ref_cookie_find(const uint8_t *v, size_t n, const char *name, size_t *vs, size_t *vl)
{
	size_t nl = strlen(name), i = 0;

	while (i < n) {
		size_t ps = i, pe, eq;

		while (i < n && v[i] != ';')
			i++;
		pe = i++; /* pair [ps, pe) */
		while (ps < pe && ref_blank(v[ps]))
			ps++;
		while (pe > ps && ref_blank(v[pe - 1]))
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
			if (!ref_cookie_octet(v[j]))
				return -1;
		return 1;
	}
	return 0;
}

static bool
ref_name_is(const uint8_t *b, size_t n, const char *name)
{
	size_t i;

	if (strlen(name) != n)
		return false;
	for (i = 0; i < n; i++)
		if (ref_lc(b[i]) != ref_lc((uint8_t)name[i]))
			return false;
	return true;
}

/*
 * The wanted cookie or header already longer than the ring's key in the
 * incomplete line [v, v + n) of header @p h: MALFORMED whatever follows
 * (the value only grows; a cookie's quotes may take 2 off), so a key
 * running past the bytes looked at is decided as the whole one would be.
 */
static bool
ref_partial_too_long(enum ref_http_want want, const char *name, const uint8_t *h, size_t hl,
		     const uint8_t *v, size_t n)
{
	size_t nl = name != NULL ? strlen(name) : 0, s = 0, cs, cl;

	while (s < n && ref_blank(v[s]))
		s++;
	while (n > s && ref_blank(v[n - 1]))
		n--;
	if (want == RW_HEADER && ref_name_is(h, hl, name))
		return nl + 2 + (n - s) > SG_MSG_KEY_MAX;
	/* a bad octet already there (-1) does not matter: too long or bad, the whole is
	 * MALFORMED; a cookie not over the limit yet waits for its line (a leading quote
	 * is only bad until its closing one comes) */
	if (want == RW_COOKIE && ref_name_is(h, hl, "cookie") &&
	    ref_cookie_find(v + s, n - s, name, &cs, &cl) != 0)
		return nl + 1 + cl > SG_MSG_KEY_MAX + 2;
	return false;
}

static enum sg_dp_l7_result
ref_http_extract(enum ref_http_want want, const char *name, const uint8_t *b, size_t len,
		 bool final, uint8_t *key, uint16_t *key_len)
{
	struct ref_http_req rq = {0}; /* (the analyzer cannot see every FOUND sets it) */
	enum sg_dp_l7_result r;
	size_t pos, host_s = 0, host_l = 0;
	unsigned int hosts = 0;

	*key_len = 0;
	if ((want == RW_COOKIE || want == RW_HEADER) && !ref_valid_name(name))
		return SG_DP_L7_MALFORMED;
	ref_clamp(&len, &final);
	r = ref_http_request_line(b, len, final, &rq);
	if (r != SG_DP_L7_FOUND)
		return r;
	if (want == RW_PATH)
		return ref_http_path(b, &rq, key, key_len);
	pos = rq.hdr;
	for (;;) { /* one header line per turn; pos only grows */
		size_t i, colon = 0, vs, ve;

		if (pos >= len)
			break;
		if (b[pos] == '\r') {
			if (pos + 1 >= len)
				break;
			if (b[pos + 1] != '\n')
				return SG_DP_L7_MALFORMED;
			/* end of the header block */
			if (want == RW_HOST && hosts == 1)
				return ref_found(b + host_s, host_l, true, key, key_len);
			return SG_DP_L7_ABSENT;
		}
		if (ref_blank(b[pos])) /* obsolete line folding */
			return SG_DP_L7_MALFORMED;
		for (i = pos; i < len && b[i] != '\r'; i++) {
			if (i - pos >= SG_DP_L7_HTTP_LINE_MAX)
				return SG_DP_L7_MALFORMED;
			if (colon == 0) {
				if (b[i] == ':')
					colon = i;
				else if (!ref_is_tchar(b[i]))
					return SG_DP_L7_MALFORMED;
			} else if ((b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f) {
				return SG_DP_L7_MALFORMED;
			}
		}
		if (i + 1 >= len) { /* line incomplete */
			if (colon != 0 && ref_partial_too_long(want, name, b + pos, colon - pos,
							       b + colon + 1, i - colon - 1))
				return SG_DP_L7_MALFORMED;
			break;
		}
		if (b[i + 1] != '\n' || colon == 0 || colon == pos)
			return SG_DP_L7_MALFORMED;
		for (vs = colon + 1; vs < i && ref_blank(b[vs]); vs++)
			;
		for (ve = i; ve > vs && ref_blank(b[ve - 1]); ve--)
			;
		if (want == RW_HOST && ref_name_is(b + pos, colon - pos, "host")) {
			if (++hosts > 1)
				return SG_DP_L7_MALFORMED;
			for (size_t j = vs; j < ve; j++)
				if (!ref_host_char(b[j]))
					return SG_DP_L7_MALFORMED;
			host_s = vs;
			host_l = ve - vs;
		} else if (want == RW_HEADER && ref_name_is(b + pos, colon - pos, name)) {
			return ref_found_named(name, ": ", b + vs, ve - vs, key, key_len);
		} else if (want == RW_COOKIE && ref_name_is(b + pos, colon - pos, "cookie")) {
			size_t cs, cl;
			int c = ref_cookie_find(b + vs, ve - vs, name, &cs, &cl);

			if (c < 0)
				return SG_DP_L7_MALFORMED;
			if (c > 0)
				return ref_found_named(name, "=", b + vs + cs, cl, key, key_len);
		}
		pos = i + 2;
	}
	/* out of bytes inside the header block */
	if (!final)
		return SG_DP_L7_NEED_MORE;
	if (want == RW_HOST && hosts == 1)
		return ref_found(b + host_s, host_l, true, key, key_len);
	return SG_DP_L7_ABSENT;
}

static enum sg_dp_l7_result
ref_l7_http_host(const uint8_t *buf, size_t len, bool final, uint8_t *key, uint16_t *key_len)
{
	return ref_http_extract(RW_HOST, NULL, buf, len, final, key, key_len);
}

static enum sg_dp_l7_result
ref_l7_http_path(const uint8_t *buf, size_t len, bool final, uint8_t *key, uint16_t *key_len)
{
	return ref_http_extract(RW_PATH, NULL, buf, len, final, key, key_len);
}

static enum sg_dp_l7_result
ref_l7_http_cookie(const char *name, const uint8_t *buf, size_t len, bool final, uint8_t *key,
		   uint16_t *key_len)
{
	return ref_http_extract(RW_COOKIE, name, buf, len, final, key, key_len);
}

static enum sg_dp_l7_result
ref_l7_http_header(const char *name, const uint8_t *buf, size_t len, bool final, uint8_t *key,
		   uint16_t *key_len)
{
	return ref_http_extract(RW_HEADER, name, buf, len, final, key, key_len);
}

#endif /* SG_TEST_L7KEY_REF_H */
