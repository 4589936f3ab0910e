/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Issue 17: the table-driven HTTP scan of l7key.c against the parser it
 * replaced (l7key_ref.h, frozen). Generated requests, valid and hostile
 * (folded lines, bare LF, missing CRLF, lines and headers over the limits,
 * NULs and control bytes, obs-text, mixed-case and duplicate Host, quoted
 * and bad cookies, random byte flips), each cut at every length for short
 * ones and at random lengths for long ones, with final false and true:
 * Host, path, a cookie and two headers must give the same result and key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_test.h"
#include "l7key_ref.h"
#include "session/l7key.h"

#define REQ_MAX (SG_DP_L7_SCAN_MAX + 4096)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned long compared;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

struct buf {
	uint8_t b[REQ_MAX];
	size_t n;
};

static void
put(struct buf *r, const void *p, size_t n)
{
	if (n > sizeof(r->b) - r->n)
		n = sizeof(r->b) - r->n;
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void
puts_(struct buf *r, const char *s)
{
	put(r, s, strlen(s));
}

/* n bytes drawn from @p alphabet, or any byte when it is NULL */
static void
put_run(struct buf *r, const char *alphabet, size_t n)
{
	size_t al = alphabet != NULL ? strlen(alphabet) : 0;

	for (size_t i = 0; i < n && r->n < sizeof(r->b); i++)
		r->b[r->n++] = al != 0 ? (uint8_t)alphabet[rnd((uint32_t)al)] : (uint8_t)rnd(256);
}

static const char *const names[] = {
	"Host",	    "host",	    "HOST",	  "hOsT",   "Cookie", "cookie", "X-Tenant",
	"x-tenant", "X-AUTH-TOKEN", "User-Agent", "Accept", "Hos",    "Hostx",	"X_Y!#$%&'*+.^`|~"};
static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char hostch[] = "abcXYZ019-._~!$&'()*+,;=%:[]";
static const char valch[] = "abc XYZ\t019:;=\"/\\?#()<>@,{}\x80\xff";
static const char ends[][3] = {"\r\n", "\r\n", "\r\n", "\r\n", "\n", "\r", "\r\r", "\r\x00"};

static void
gen_value(struct buf *r)
{
	switch (rnd(8)) {
	case 0:
		put_run(r, hostch, rnd(24));
		break;
	case 1: /* a cookie list, maybe quoted, maybe with a bad octet */
		puts_(r, rnd(2) ? "a=1; sid=" : " sid=");
		puts_(r, rnd(3) == 0 ? "\"" : "");
		put_run(r, rnd(4) == 0 ? valch : alnum, rnd(2) ? rnd(12) : rnd(200));
		puts_(r, rnd(3) == 0 ? "\"; b=2" : "");
		break;
	case 2: /* long: over the key limit, sometimes over the line limit */
		put_run(r, alnum, rnd(2) ? 150 + rnd(40) : SG_DP_L7_HTTP_LINE_MAX - 20 + rnd(40));
		break;
	case 3:
		put_run(r, NULL, rnd(10)); /* any bytes: NULs, controls, 0x7f */
		break;
	default:
		put_run(r, rnd(2) ? valch : alnum, rnd(40));
		break;
	}
}

static void
gen_request(struct buf *r)
{
	static const char *const methods[] = {
		"GET", "POST", "M-SEARCH", "G@T", "", "VERYLONGMETHODNAMEOVERTHIRTYTWOCHARS"};
	static const char *const targets[] = {
		"/", "/a/b?q=1#f", "http://h.example:8080/p?x", "*", "h:443", "http://h", "/a b"};
	unsigned int nh = rnd(12);

	r->n = 0;
	puts_(r, methods[rnd(6)]);
	puts_(r, " ");
	if (rnd(8) == 0)
		put_run(r, rnd(2) ? alnum : NULL,
			rnd(2) ? rnd(20) : SG_DP_L7_HTTP_LINE_MAX - 10 + rnd(20));
	else
		puts_(r, targets[rnd(7)]);
	puts_(r, rnd(16) == 0 ? " HTTP/2.0\r\n" : " HTTP/1.1\r\n");
	for (unsigned int h = 0; h < nh; h++) {
		if (rnd(16) == 0)
			puts_(r, rnd(2) ? " folded\r\n" : "\tfolded\r\n");
		if (rnd(10) == 0)
			put_run(r, alnum, rnd(20)); /* a name with no colon */
		else
			puts_(r, names[rnd(sizeof(names) / sizeof(names[0]))]);
		puts_(r, rnd(12) == 0 ? " :" : ":");
		puts_(r, rnd(2) ? " " : "");
		gen_value(r);
		puts_(r, rnd(3) ? "" : " \t");
		puts_(r, ends[rnd(sizeof(ends) / sizeof(ends[0]))]);
	}
	if (rnd(6) != 0)
		puts_(r, "\r\n");
	if (rnd(8) == 0 && r->n > 0) /* flip a byte */
		r->b[rnd((uint32_t)r->n)] = (uint8_t)rnd(256);
}

static void
compare_one(const uint8_t *b, size_t len, bool final)
{
	static const char *const hdrs[] = {"x-tenant", "X-Auth-Token"};
	uint8_t k1[SG_MSG_KEY_MAX], k2[SG_MSG_KEY_MAX];
	uint16_t l1, l2;
	enum sg_dp_l7_result r1, r2;

	for (int e = 0; e < 5; e++) {
		switch (e) {
		case 0:
			r1 = sg_dp_l7_http_host(b, len, final, k1, &l1);
			r2 = ref_l7_http_host(b, len, final, k2, &l2);
			break;
		case 1:
			r1 = sg_dp_l7_http_path(b, len, final, k1, &l1);
			r2 = ref_l7_http_path(b, len, final, k2, &l2);
			break;
		case 2:
			r1 = sg_dp_l7_http_cookie("sid", b, len, final, k1, &l1);
			r2 = ref_l7_http_cookie("sid", b, len, final, k2, &l2);
			break;
		default:
			r1 = sg_dp_l7_http_header(hdrs[e - 3], b, len, final, k1, &l1);
			r2 = ref_l7_http_header(hdrs[e - 3], b, len, final, k2, &l2);
			break;
		}
		if (r1 != r2 || l1 != l2 || memcmp(k1, k2, l1) != 0) {
			(void)fprintf(stderr,
				      "extractor %d len %zu final %d: new %d/%u ref %d/%u\n", e,
				      len, final, r1, l1, r2, l2);
			fail();
		}
		compared++;
	}
}

static void
compare_cuts(const uint8_t *b, size_t n)
{
	if (n <= 300) {
		for (size_t len = 0; len <= n; len++) {
			compare_one(b, len, false);
			compare_one(b, len, true);
		}
		return;
	}
	compare_one(b, n, false);
	compare_one(b, n, true);
	for (int c = 0; c < 24; c++) {
		size_t len = rnd((uint32_t)n + 1);

		compare_one(b, len, c & 1);
	}
}

static struct buf req;

static void
test_generated(void **state)
{
	(void)state;
	for (int i = 0; i < 4000; i++) {
		gen_request(&req);
		compare_cuts(req.b, req.n);
	}
	(void)printf("compared %lu extractions\n", compared);
}

/* Hand-picked edges of the word scan: each forbidden byte at each offset of a word. */
static void
test_word_edges(void **state)
{
	static const uint8_t bad[] = {0x00, 0x01, 0x0a, 0x0d, 0x1f, 0x20, 0x7f, 0x80, 0xff, 0x09};

	(void)state;
	for (size_t b = 0; b < sizeof(bad); b++)
		for (size_t off = 0; off < 24; off++) {
			req.n = 0;
			puts_(&req, "GET /");
			put_run(&req, "a", off);
			put(&req, &bad[b], 1);
			puts_(&req, "x HTTP/1.1\r\nHost: ");
			put_run(&req, "h", off);
			put(&req, &bad[b], 1);
			puts_(&req, "z\r\nX-Tenant: ");
			put_run(&req, "v", off);
			put(&req, &bad[b], 1);
			puts_(&req, "w\r\n\r\n");
			compare_cuts(req.b, req.n);
			/* and the same byte only in the header value */
			req.n = 0;
			puts_(&req, "GET / HTTP/1.1\r\nX-Tenant: ");
			put_run(&req, "v", off);
			put(&req, &bad[b], 1);
			puts_(&req, "w\r\nHost: a\r\n\r\n");
			compare_cuts(req.b, req.n);
		}
}

/* Lines exactly at, one under and one over SG_DP_L7_HTTP_LINE_MAX. */
static void
test_line_limits(void **state)
{
	(void)state;
	for (int d = -3; d <= 3; d++) {
		req.n = 0;
		puts_(&req, "GET /");
		put_run(&req, "p", (size_t)(SG_DP_L7_HTTP_LINE_MAX - 5 + d));
		puts_(&req, " HTTP/1.1\r\nHost: a\r\n\r\n");
		compare_cuts(req.b, req.n);
		req.n = 0;
		puts_(&req, "GET / HTTP/1.1\r\nX-Tenant: ");
		put_run(&req, "v", (size_t)(SG_DP_L7_HTTP_LINE_MAX - 10 + d));
		puts_(&req, "\r\nHost: a\r\n\r\n");
		compare_cuts(req.b, req.n);
		req.n = 0;
		puts_(&req, "GET / HTTP/1.1\r\n");
		put_run(&req, "N", (size_t)(SG_DP_L7_HTTP_LINE_MAX - 1 + d));
		puts_(&req, ":\r\nHost: a\r\n\r\n");
		compare_cuts(req.b, req.n);
	}
}

/* A browser's request (about 600 bytes): the case the scan was made for. */
static const char browser_req[] =
	"GET /products/list?page=2&sort=price HTTP/1.1\r\n"
	"Host: shop.example.com\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/120.0.0.0 Safari/537.36\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
	"*/*;q=0.8\r\n"
	"Accept-Language: en-US,en;q=0.9\r\n"
	"Accept-Encoding: gzip, deflate, br\r\n"
	"Referer: https://shop.example.com/products/list?page=1&sort=price\r\n"
	"Cookie: _ga=GA1.2.1234567890.1700000000; sid=8f14e45fceea167a5a36dedd4bea2543; "
	"theme=dark\r\n"
	"Connection: keep-alive\r\n"
	"Upgrade-Insecure-Requests: 1\r\n\r\n";
static const char bench_req[] = "GET / HTTP/1.1\r\nHost: bench.example\r\n\r\n";

/* The measured calls: `valgrind --tool=callgrind --toggle-collect=perf_new` (or perf_ref). */
static __attribute__((noinline)) unsigned int
perf_new(const uint8_t *b, size_t n, unsigned int rounds)
{
	uint8_t k[SG_MSG_KEY_MAX];
	uint16_t kl;
	unsigned int found = 0;

	for (unsigned int i = 0; i < rounds; i++)
		found += sg_dp_l7_http_host(b, n, false, k, &kl) == SG_DP_L7_FOUND;
	return found;
}

static __attribute__((noinline)) unsigned int
perf_ref(const uint8_t *b, size_t n, unsigned int rounds)
{
	uint8_t k[SG_MSG_KEY_MAX];
	uint16_t kl;
	unsigned int found = 0;

	for (unsigned int i = 0; i < rounds; i++)
		found += ref_l7_http_host(b, n, false, k, &kl) == SG_DP_L7_FOUND;
	return found;
}

/* test_dp_l7key_diff perf bench|browser ROUNDS: both parsers, the Host of one request */
static int
perf_main(const char *which, unsigned int rounds)
{
	const char *r = strcmp(which, "browser") == 0 ? browser_req : bench_req;
	size_t n = strlen(r);
	unsigned int a = perf_new((const uint8_t *)r, n, rounds);
	unsigned int b = perf_ref((const uint8_t *)r, n, rounds);

	(void)printf("%s request, %zu bytes: new %u, ref %u found of %u\n", which, n, a, b, rounds);
	return a == rounds && b == rounds ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_word_edges),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_generated),
	};

	if (argc == 4 && strcmp(argv[1], "perf") == 0)
		return perf_main(argv[2], (unsigned int)strtoul(argv[3], NULL, 10));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
