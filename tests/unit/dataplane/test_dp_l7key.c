/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L7 key extractors: complete inputs, every split point (NEED_MORE until
 * the key is decided, then FOUND with the same key), truncation with
 * final set, and hostile inputs (long lines, missing CRLF, lying lengths,
 * zero-length names, non-ASCII bytes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test.h"
#include "session/l7key.h"

#define R_FOUND	    SG_DP_L7_FOUND
#define R_NEED	    SG_DP_L7_NEED_MORE
#define R_ABSENT    SG_DP_L7_ABSENT
#define R_MALFORMED SG_DP_L7_MALFORMED

static uint8_t key[SG_MSG_KEY_MAX];
static uint16_t key_len;

static enum sg_dp_l7_result
ex(enum sg_msg_l7 t, const char *name, const void *buf, size_t len, bool final)
{
	enum sg_dp_l7_result r = sg_dp_l7_extract(t, name, buf, len, final, key, &key_len);

	assert_true(key_len <= SG_MSG_KEY_MAX);
	if (r != R_FOUND)
		assert_int_equal(key_len, 0);
	else
		assert_true(key_len > 0);
	return r;
}

static enum sg_dp_l7_result
ex_s(enum sg_msg_l7 t, const char *name, const char *s, bool final)
{
	return ex(t, name, s, strlen(s), final);
}

static void
assert_key(const char *want)
{
	assert_int_equal(key_len, strlen(want));
	assert_memory_equal(key, want, key_len);
}

/* Copy the characters of @p s (no NUL) to @p d; returns their count. */
static size_t
put_text(void *d, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		((char *)d)[i] = s[i];
	return n;
}

/*
 * Every split point: the prefix of i bytes gives NEED_MORE or FOUND with
 * the final key; once FOUND, FOUND stays. The whole input gives @p want.
 */
static void
split_all(enum sg_msg_l7 t, const char *name, const uint8_t *buf, size_t len, const char *want)
{
	bool seen = false;
	size_t i;

	for (i = 0; i < len; i++) {
		enum sg_dp_l7_result r = ex(t, name, buf, i, false);

		if (r == R_FOUND) {
			assert_key(want);
			seen = true;
		} else {
			if (r != R_NEED)
				fail_msg("type %d split at %zu: result %d", t, i, r);
			assert_false(seen);
		}
	}
	assert_int_equal(ex(t, name, buf, len, false), R_FOUND);
	assert_key(want);
	assert_int_equal(ex(t, name, buf, len, true), R_FOUND);
	assert_key(want);
}

/* ---------------- HTTP ---------------- */

static const char http_req[] = "GET /a/b%20c?x=1#f HTTP/1.1\r\n"
			       "Host: WWW.Example.com:8080\r\n"
			       "User-Agent: test/1.0\r\n"
			       "Cookie: a=1; sid=\"abc\"; z=2\r\n"
			       "Cookie: late=yes\r\n"
			       "X-Tenant:  Blue Team \t\r\n"
			       "X-Bin: caf\xc3\xa9\r\n"
			       "\r\n";

static void
test_http_complete(void **state)
{
	(void)state;
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HOST, NULL, http_req, false), R_FOUND);
	assert_key("www.example.com:8080");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_PATH, NULL, http_req, false), R_FOUND);
	assert_key("/a/b%20c");
	/* ring format v4: the cookie keeps its name (sg-control's rule looks for "sid=") */
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_COOKIE, "sid", http_req, false), R_FOUND);
	assert_key("sid=abc");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_COOKIE, "a", http_req, false), R_FOUND);
	assert_key("a=1");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_COOKIE, "late", http_req, false), R_FOUND);
	assert_key("late=yes");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_COOKIE, "Sid", http_req, false), R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_COOKIE, "si", http_req, false), R_ABSENT);
	/* a header: "Name: value", the name as the VS spells it, matched in any case */
	assert_int_equal(sg_dp_l7_http_header("x-tenant", (const uint8_t *)http_req,
					      strlen(http_req), false, key, &key_len),
			 R_FOUND);
	assert_key("x-tenant: Blue Team");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HEADER, "X-Tenant", http_req, false), R_FOUND);
	assert_key("X-Tenant: Blue Team");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HEADER, "X-BIN", http_req, false), R_FOUND);
	assert_key("X-BIN: caf\xc3\xa9");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HEADER, "User-Agent", http_req, false), R_FOUND);
	assert_key("User-Agent: test/1.0");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HEADER, "X-None", http_req, false), R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HEADER, "X-Tenan", http_req, false), R_ABSENT);
	assert_int_equal(sg_dp_l7_http_header("X-None", (const uint8_t *)http_req, strlen(http_req),
					      false, key, &key_len),
			 R_ABSENT);
	/* the first of two headers of that name */
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HEADER, "X-U",
			      "GET / HTTP/1.1\r\nx-u: 1\r\nX-U: 2\r\n\r\n", false),
			 R_FOUND);
	assert_key("X-U: 1");
	/* targets */
	assert_int_equal(
		ex_s(SG_MSG_L7_HTTP_PATH, NULL, "GET http://h.example/p/q?z HTTP/1.0\r\n", false),
		R_FOUND);
	assert_key("/p/q");
	assert_int_equal(
		ex_s(SG_MSG_L7_HTTP_PATH, NULL, "GET https://h.example HTTP/1.1\r\n", false),
		R_FOUND);
	assert_key("/");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_PATH, NULL, "OPTIONS * HTTP/1.1\r\n", false),
			 R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_PATH, NULL, "CONNECT h:443 HTTP/1.1\r\n", false),
			 R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_PATH, NULL, "GET /?q HTTP/1.1\r\n", false), R_FOUND);
	assert_key("/");
	/* HTTP/1.0 without Host */
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.0\r\n\r\n", false),
			 R_ABSENT);
	/* empty Host value */
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost:\r\n\r\n", false),
			 R_ABSENT);
}

static void
test_http_split(void **state)
{
	const uint8_t *b = (const uint8_t *)http_req;
	size_t n = strlen(http_req);

	(void)state;
	split_all(SG_MSG_L7_HTTP_HOST, NULL, b, n, "www.example.com:8080");
	split_all(SG_MSG_L7_HTTP_PATH, NULL, b, n, "/a/b%20c");
	split_all(SG_MSG_L7_HTTP_COOKIE, "sid", b, n, "sid=abc");
	split_all(SG_MSG_L7_HTTP_COOKIE, "late", b, n, "late=yes");
	split_all(SG_MSG_L7_HTTP_HEADER, "x-tenant", b, n, "x-tenant: Blue Team");
	split_all(SG_MSG_L7_HTTP_HEADER, "X-Bin", b, n, "X-Bin: caf\xc3\xa9");
}

static void
test_http_truncated_final(void **state)
{
	(void)state;
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HOST, NULL, "", true), R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HOST, NULL, "GET /a HT", true), R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_PATH, NULL, "GET /a HT", true), R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_PATH, NULL, "GET /a HT", false), R_NEED);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HOST, NULL, "GET /a HTTP/1.1\r\nHo", true), R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_PATH, NULL, "GET /a HTTP/1.1\r\nHo", true), R_FOUND);
	assert_key("/a");
	/* Host complete, block not: final gives what was seen */
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost: a.b\r\nX", true),
			 R_FOUND);
	assert_key("a.b");
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost: a.b\r\nX", false),
			 R_NEED);
	assert_int_equal(ex_s(SG_MSG_L7_HTTP_COOKIE, "c", "GET / HTTP/1.1\r\nCookie: c=1", true),
			 R_ABSENT);
}

/*
 * "NAME=value" and "Name: value" fill SG_MSG_KEY_MAX exactly: FOUND whole;
 * one byte more: MALFORMED (a cut key would be another user's identity).
 */
static void
named_key_bounds(char *big, size_t size)
{
	static const struct {
		enum sg_msg_l7 t;
		const char *name, *line; /* line: the header up to the value */
		size_t extra;		 /* bytes of the key besides the value */
	} nk[] = {
		{SG_MSG_L7_HTTP_COOKIE, "sid", "Cookie: x=1; sid=", 4},
		{SG_MSG_L7_HTTP_HEADER, "X-Token", "x-token:   ", 9},
	};
	unsigned int i, more;

	for (i = 0; i < RTE_DIM(nk); i++) {
		for (more = 0; more < 2; more++) {
			size_t vl = SG_MSG_KEY_MAX - nk[i].extra + more;
			int n = snprintf(big, size, "GET / HTTP/1.1\r\n%s", nk[i].line);

			memset(big + n, 'v', vl);
			n += (int)vl;
			n += (int)put_text(big + n, "\r\n\r\n");
			if (more == 0) {
				assert_int_equal(ex(nk[i].t, nk[i].name, big, (size_t)n, false),
						 R_FOUND);
				assert_int_equal(key_len, SG_MSG_KEY_MAX);
				assert_memory_equal(key, nk[i].name, strlen(nk[i].name));
			} else {
				assert_int_equal(ex(nk[i].t, nk[i].name, big, (size_t)n, false),
						 R_MALFORMED);
			}
		}
	}
}

/*
 * A cookie or header key already too long in the bytes looked at (the data
 * plane peeks at the first 2048): MALFORMED at once, not NEED_MORE then
 * ABSENT; one that still fits waits. A quoted cookie cut short waits too.
 */
static void
named_key_partial(char *big, size_t size)
{
	int n = snprintf(big, size, "GET / HTTP/1.1\r\nX-Token: ");

	memset(big + n, 't', 3000);
	assert_int_equal(ex(SG_MSG_L7_HTTP_HEADER, "X-Token", big, 2048, false), R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_HTTP_HEADER, "X-Token", big, 2048, true), R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_HTTP_HEADER, "X-Token", big, (size_t)n + 151, false),
			 R_NEED); /* "X-Token: " + 151 = 160 */
	assert_int_equal(ex(SG_MSG_L7_HTTP_HEADER, "X-Token", big, (size_t)n + 152, false),
			 R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_HTTP_HEADER, "X-Other", big, 2048, false), R_NEED);
	n = snprintf(big, size, "GET / HTTP/1.1\r\nCookie: a=1; sid=");
	memset(big + n, 'v', 3000);
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "sid", big, 2048, false), R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "a", big, 2048, false), R_NEED); /* the line */
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "sid", big, (size_t)n + 158, false), R_NEED);
	/* a leading quote: too long whether or not it closes (quoted or bad, MALFORMED) */
	big[n] = '"';
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "sid", big, 2048, false), R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "sid", big, 2048, true), R_MALFORMED);
	/* ...but not before it is over the limit: the closing quote may still come */
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "sid", big, (size_t)n + 100, false), R_NEED);
	/* fuzz-l7key found it: a bad octet after a value already too long must not turn the
	 * decision back into NEED_MORE (a prefix said MALFORMED, the longer input waited) */
	big[n] = 'v';
	big[n + 170] = (char)0xd0;
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "sid", big, (size_t)n + 166, false),
			 R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "sid", big, (size_t)n + 180, false),
			 R_MALFORMED);
}

static void
test_http_hostile(void **state)
{
	static const struct {
		enum sg_msg_l7 t;
		const char *name;
		const char *in;
		enum sg_dp_l7_result want;
	} cases[] = {
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\nHost: x\n\n",
		 R_MALFORMED}, /* LF only */
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost: x\r\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		 R_MALFORMED}, /* two Hosts */
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
		 R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost : a\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\n: a\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nNoColon\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost: caf\xc3\xa9.com\r\n\r\n",
		 R_MALFORMED}, /* non-ASCII host */
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/2.0\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET / HTTP/1.x\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "GET  / HTTP/1.1\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, " GET / HTTP/1.1\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HOST, NULL, "\x16\x03\x01", R_MALFORMED}, /* TLS, at once */
		{SG_MSG_L7_HTTP_PATH, NULL, "G\xc3T / HTTP/1.1\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_PATH, NULL, "GET /\xc3 HTTP/1.1\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_PATH, NULL, "GET /\t HTTP/1.1\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_COOKIE, "", "GET / HTTP/1.1\r\nCookie: =1\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_COOKIE, NULL, "GET / HTTP/1.1\r\nCookie: a=1\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_COOKIE, "a b", "GET / HTTP/1.1\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_COOKIE, "a", "GET / HTTP/1.1\r\nCookie: a=x\\y\r\n\r\n",
		 R_MALFORMED},
		{SG_MSG_L7_HTTP_COOKIE, "a", "GET / HTTP/1.1\r\nCookie: a=\r\n\r\n", R_ABSENT},
		{SG_MSG_L7_HTTP_COOKIE, "a", "GET / HTTP/1.1\r\nCookie: a\r\n\r\n", R_ABSENT},
		{SG_MSG_L7_HTTP_COOKIE, "a", "GET / HTTP/1.1\r\nCookie: ;;; a=\"\"\r\n\r\n",
		 R_ABSENT},
		{SG_MSG_L7_HTTP_COOKIE, "a", "GET / HTTP/1.1\r\nCookie: a=\"\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HEADER, NULL, "GET / HTTP/1.1\r\nX: 1\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HEADER, "", "GET / HTTP/1.1\r\n: 1\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HEADER, "X:Y", "GET / HTTP/1.1\r\nX: 1\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HEADER, "X", "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HEADER, "X", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", R_FOUND},
		{SG_MSG_L7_HTTP_HEADER, "Y", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", R_MALFORMED},
		{SG_MSG_L7_HTTP_HEADER, "X", "GET / HTTP/1.1\r\nX:  \t \r\n\r\n", R_ABSENT},
		{SG_MSG_L7_HTTP_HEADER, "X", "GET / HTTP/1.1\nX: a\n\n", R_MALFORMED},
	};
	static char big[3 * SG_DP_L7_SCAN_MAX];
	unsigned int i;
	int n;

	(void)state;
	for (i = 0; i < RTE_DIM(cases); i++) {
		enum sg_dp_l7_result r = ex_s(cases[i].t, cases[i].name, cases[i].in, false);

		if (r != cases[i].want)
			fail_msg("case %u: result %d, want %d", i, r, cases[i].want);
	}
	/* a header line longer than the limit, complete or not */
	n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX-Long: ");
	memset(big + n, 'a', 9000);
	memcpy(big + n + 9000, "\r\nHost: h\r\n\r\n", 14);
	assert_int_equal(ex(SG_MSG_L7_HTTP_HOST, NULL, big, (size_t)n + 9014, false), R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_HTTP_HOST, NULL, big, (size_t)n + 8500, false), R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_HTTP_HOST, NULL, big, (size_t)n + 8000, false), R_NEED);
	/* a request line longer than the limit */
	(void)put_text(big, "GET /");
	memset(big + 5, 'p', 10000);
	assert_int_equal(ex(SG_MSG_L7_HTTP_PATH, NULL, big, 10005, false), R_MALFORMED);
	/* a path over SG_MSG_KEY_MAX: refused, never truncated */
	(void)put_text(big + 5 + SG_MSG_KEY_MAX, " HTTP/1.1\r\n");
	assert_int_equal(ex(SG_MSG_L7_HTTP_PATH, NULL, big, 5 + SG_MSG_KEY_MAX + 11, false),
			 R_MALFORMED);
	(void)put_text(big + 4 + SG_MSG_KEY_MAX, " HTTP/1.1\r\n");
	assert_int_equal(ex(SG_MSG_L7_HTTP_PATH, NULL, big, 4 + SG_MSG_KEY_MAX + 11, false),
			 R_FOUND);
	assert_int_equal(key_len, SG_MSG_KEY_MAX);
	/* a named key over SG_MSG_KEY_MAX with its name: refused, never cut */
	named_key_bounds(big, sizeof(big));
	named_key_partial(big, sizeof(big));
	/* many short headers past the scan limit: decided, not NEED_MORE forever */
	n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
	while ((size_t)n + 8 < sizeof(big)) {
		(void)put_text(big + n, "A: b\r\n");
		n += 6;
	}
	assert_int_equal(ex(SG_MSG_L7_HTTP_HOST, NULL, big, (size_t)n, false), R_ABSENT);
	assert_int_equal(ex(SG_MSG_L7_HTTP_COOKIE, "a", big, (size_t)n, false), R_ABSENT);
}

/* ---------------- TLS ---------------- */

struct hello {
	uint8_t b[2048];
	size_t len;
	size_t rec_len, hs_len, sid_len, cs_len, ext_len, sni_ext, sni_list, sni_name;
};

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A TLS 1.3 style ClientHello, SNI @p sni (NULL: no server_name extension). */
static void
hello_build(struct hello *h, const char *sni, bool extensions)
{
	uint8_t *b = h->b;
	size_t n = 0, ext_start;

	memset(h, 0, sizeof(*h));
	b[n++] = 22;
	b[n++] = 3;
	b[n++] = 1;
	h->rec_len = n;
	n += 2;
	b[n++] = 1; /* ClientHello */
	h->hs_len = n;
	n += 3;
	b[n++] = 3;
	b[n++] = 3;
	memset(b + n, 0x11, 32); /* random */
	n += 32;
	h->sid_len = n;
	b[n++] = 32;
	memset(b + n, 0x22, 32);
	n += 32;
	h->cs_len = n;
	put16(b + n, 6);
	n += 2;
	memcpy(b + n, "\x13\x01\x13\x02\x13\x03", 6);
	n += 6;
	b[n++] = 1;
	b[n++] = 0; /* null compression */
	if (extensions) {
		h->ext_len = n;
		n += 2;
		ext_start = n;
		memcpy(b + n, "\x00\x2b\x00\x03\x02\x03\x04", 7); /* supported_versions */
		n += 7;
		if (sni != NULL) {
			size_t sl = strlen(sni);

			put16(b + n, 0);
			h->sni_ext = n + 2;
			put16(b + n + 2, sl + 5);
			h->sni_list = n + 4;
			put16(b + n + 4, sl + 3);
			b[n + 6] = 0;
			h->sni_name = n + 7;
			put16(b + n + 7, sl);
			memcpy(b + n + 9, sni, sl);
			n += 9 + sl;
		}
		memcpy(b + n, "\x00\x0a\x00\x04\x00\x02\x00\x1d", 8); /* supported_groups */
		n += 8;
		put16(b + h->ext_len, n - ext_start);
	}
	put16(b + h->rec_len, n - 5);
	b[h->hs_len] = 0;
	put16(b + h->hs_len + 1, n - 9);
	h->len = n;
}

static enum sg_dp_l7_result
sni(const struct hello *h, bool final)
{
	return ex(SG_MSG_L7_TLS_SNI, NULL, h->b, h->len, final);
}

static void
test_tls_sni(void **state)
{
	struct hello h;
	size_t i;

	(void)state;
	hello_build(&h, "Www.Example.COM", true);
	assert_int_equal(sni(&h, false), R_FOUND);
	assert_key("www.example.com");
	split_all(SG_MSG_L7_TLS_SNI, NULL, h.b, h.len, "www.example.com");
	/* truncated with final: nothing to wait for */
	for (i = 0; i < h.sni_name + 2 + 15; i++)
		assert_int_equal(ex(SG_MSG_L7_TLS_SNI, NULL, h.b, i, true), R_ABSENT);
	hello_build(&h, NULL, true);
	assert_int_equal(sni(&h, false), R_ABSENT);
	hello_build(&h, NULL, false);
	assert_int_equal(sni(&h, false), R_ABSENT);
	/* a name of exactly SG_MSG_KEY_MAX bytes, then one more */
	{
		char name[SG_MSG_KEY_MAX + 2];

		memset(name, 'a', sizeof(name));
		name[SG_MSG_KEY_MAX] = '\0';
		hello_build(&h, name, true);
		assert_int_equal(sni(&h, false), R_FOUND);
		assert_int_equal(key_len, SG_MSG_KEY_MAX);
		name[SG_MSG_KEY_MAX] = 'a';
		name[SG_MSG_KEY_MAX + 1] = '\0';
		hello_build(&h, name, true);
		assert_int_equal(sni(&h, false), R_MALFORMED);
	}
}

static void
test_tls_hostile(void **state)
{
	struct hello h;
	size_t n;

	(void)state;
#define LIE(stmt, want)                                   \
	do {                                              \
		hello_build(&h, "a.example", true);       \
		stmt;                                     \
		assert_int_equal(sni(&h, false), (want)); \
	} while (0)
	LIE(h.b[0] = 23, R_MALFORMED);				  /* not a handshake */
	LIE(h.b[1] = 2, R_MALFORMED);				  /* SSLv2-ish */
	LIE(put16(h.b + h.rec_len, 16385), R_MALFORMED);	  /* record too long */
	LIE(put16(h.b + h.rec_len, 0), R_MALFORMED);		  /* empty record */
	LIE(h.b[5] = 2, R_MALFORMED);				  /* ServerHello */
	LIE(put16(h.b + h.hs_len + 1, 10), R_MALFORMED);	  /* handshake too short */
	LIE(h.b[h.sid_len] = 33, R_MALFORMED);			  /* session id > 32 */
	LIE(put16(h.b + h.cs_len, 5), R_MALFORMED);		  /* odd cipher suites */
	LIE(put16(h.b + h.cs_len, 0), R_MALFORMED);		  /* no cipher suite */
	LIE(put16(h.b + h.cs_len, 0xfffe), R_MALFORMED);	  /* past the handshake */
	LIE(h.b[h.cs_len + 8] = 0, R_MALFORMED);		  /* no compression */
	LIE(put16(h.b + h.ext_len, 0xffff), R_MALFORMED);	  /* extensions overrun */
	LIE(put16(h.b + h.sni_ext, 0xff00), R_MALFORMED);	  /* extension overruns */
	LIE(put16(h.b + h.sni_list, 13), R_MALFORMED);		  /* list != ext - 2 */
	LIE(put16(h.b + h.sni_name, 200), R_MALFORMED);		  /* name past the list */
	LIE(h.b[h.sni_name + 2] = 0xc3, R_MALFORMED);		  /* non-ASCII */
	LIE(h.b[h.sni_name + 3] = '/', R_MALFORMED);		  /* not a host name */
	LIE(h.b[h.sni_list + 2] = 1, R_ABSENT);			  /* other name type only */
	LIE(put16(h.b + h.hs_len + 1, h.len - 9 + 100), R_FOUND); /* hello goes on, SNI in it */
	/* zero-length name (list and extension lengths consistent) */
	hello_build(&h, "", true);
	assert_int_equal(sni(&h, false), R_MALFORMED);
	/* the hello claims more than the record: SNI beyond the record */
	hello_build(&h, "a.example", true);
	n = h.sni_ext - 4; /* cut the record right before the SNI extension */
	put16(h.b + h.rec_len, n - 5);
	assert_int_equal(ex(SG_MSG_L7_TLS_SNI, NULL, h.b, h.len, false), R_ABSENT);
	assert_int_equal(ex(SG_MSG_L7_TLS_SNI, NULL, h.b, n - 1, false), R_NEED);
	/* HTTP fed to the TLS extractor */
	assert_int_equal(ex_s(SG_MSG_L7_TLS_SNI, NULL, "GET / HTTP/1.1\r\n", false), R_MALFORMED);
	assert_int_equal(ex(SG_MSG_L7_TLS_SNI, NULL, "", 0, false), R_NEED);
#undef LIE
}

/* ---------------- RDP ---------------- */

/* TPKT + X.224 CR + optional cookie line + RDP_NEG_REQ */
static size_t
rdp_build(uint8_t *b, const char *cookie)
{
	size_t n = 11, cl = cookie ? strlen(cookie) : 0;

	b[0] = 3;
	b[1] = 0;
	b[5] = 0xe0;
	memset(b + 6, 0, 5);
	if (cookie != NULL) {
		memcpy(b + n, cookie, cl);
		n += cl;
		b[n++] = '\r';
		b[n++] = '\n';
	}
	memcpy(b + n, "\x01\x00\x08\x00\x03\x00\x00\x00", 8);
	n += 8;
	put16(b + 2, n);
	b[4] = (uint8_t)(n - 5);
	return n;
}

static void
test_rdp(void **state)
{
	uint8_t b[512];
	size_t n, i;

	(void)state;
	n = rdp_build(b, "Cookie: mstshash=jdoe");
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_FOUND);
	assert_key("mstshash=jdoe");
	split_all(SG_MSG_L7_RDP_COOKIE, NULL, b, n, "mstshash=jdoe");
	for (i = 0; i < n; i++)
		assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, i, true), R_ABSENT);
	n = rdp_build(b, "Cookie: msts=3640205228.15629.0000");
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_FOUND);
	assert_key("msts=3640205228.15629.0000");
	n = rdp_build(b, NULL); /* no cookie */
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_ABSENT);
	n = rdp_build(b, "Cookie: mstshash=");
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_ABSENT);
	n = rdp_build(b, "Cookie: other=1");
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_MALFORMED);
	n = rdp_build(b, "Cookie: mstshash=j\xc3\xa9");
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_MALFORMED);
	/* no CRLF inside the TPDU */
	(void)rdp_build(b, NULL);
	(void)put_text(b + 11, "Cookie: mstshash=abcdefgh");
	n = 36;
	put16(b + 2, n);
	b[4] = (uint8_t)(n - 5);
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_MALFORMED);
	/* lying lengths */
	n = rdp_build(b, "Cookie: mstshash=jdoe");
	b[4]++;
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_MALFORMED);
	n = rdp_build(b, "Cookie: mstshash=jdoe");
	put16(b + 2, 7);
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_MALFORMED);
	put16(b + 2, 0xffff);
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_MALFORMED);
	n = rdp_build(b, "Cookie: mstshash=jdoe");
	b[5] = 0xd0; /* not a Connection Request */
	assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_MALFORMED);
	assert_int_equal(ex_s(SG_MSG_L7_RDP_COOKIE, NULL, "GET / HTTP/1.1\r\n", false),
			 R_MALFORMED);
	/* a name over SG_MSG_KEY_MAX */
	{
		char c[300] = "Cookie: mstshash=";

		memset(c + strlen(c), 'x', 200);
		n = rdp_build(b, c);
		assert_int_equal(ex(SG_MSG_L7_RDP_COOKIE, NULL, b, n, false), R_MALFORMED);
	}
}

/* ---------------- prefix, dispatcher ---------------- */

static void
test_prefix_dispatch(void **state)
{
	static uint8_t big[400];

	(void)state;
	assert_int_equal(ex_s(SG_MSG_L7_PREFIX, "4", "abcdef", false), R_FOUND);
	assert_key("abcd");
	assert_int_equal(ex_s(SG_MSG_L7_PREFIX, "4", "ab", false), R_NEED);
	assert_int_equal(ex_s(SG_MSG_L7_PREFIX, "4", "ab", true), R_FOUND);
	assert_key("ab");
	assert_int_equal(ex_s(SG_MSG_L7_PREFIX, "4", "", true), R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_PREFIX, "0", "abc", true), R_MALFORMED);
	assert_int_equal(ex_s(SG_MSG_L7_PREFIX, "161", "abc", true), R_MALFORMED);
	assert_int_equal(ex_s(SG_MSG_L7_PREFIX, "x", "abc", true), R_MALFORMED);
	assert_int_equal(ex_s(SG_MSG_L7_PREFIX, "1234", "abc", true), R_MALFORMED);
	memset(big, 0xab, sizeof(big));
	assert_int_equal(ex(SG_MSG_L7_PREFIX, NULL, big, sizeof(big), false), R_FOUND);
	assert_int_equal(key_len, SG_MSG_KEY_MAX);
	assert_int_equal(ex(SG_MSG_L7_PREFIX, "160", big, 159, false), R_NEED);
	split_all(SG_MSG_L7_PREFIX, "7", (const uint8_t *)"0123456789", 10, "0123456");
	assert_int_equal(ex_s(SG_MSG_L7_NONE, NULL, "abc", true), R_ABSENT);
	assert_int_equal(ex_s(SG_MSG_L7_MAX, NULL, "abc", true), R_ABSENT);
	assert_int_equal(ex_s((enum sg_msg_l7)99, NULL, "abc", true), R_ABSENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_complete),
		cmocka_unit_test(test_http_split),
		cmocka_unit_test(test_http_truncated_final),
		cmocka_unit_test(test_http_hostile),
		cmocka_unit_test(test_tls_sni),
		cmocka_unit_test(test_tls_hostile),
		cmocka_unit_test(test_rdp),
		cmocka_unit_test(test_prefix_dispatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
