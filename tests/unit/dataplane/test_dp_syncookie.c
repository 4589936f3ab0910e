/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SipHash-2-4 reference vectors, TCP option parsing/writing and SYN
 * cookies (make, check, expiry, forgery, key rotation) for IPv4 and IPv6.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dp_test.h"
#include "session/siphash.h"
#include "session/syncookie.h"
#include "session/tcpopt.h"

/* ---------------- SipHash ---------------- */

/*
 * SipHash paper, appendix A / reference implementation vectors_sip64:
 * key 00 01 .. 0f, message 00 01 .. (n-1), for n = 0..23.
 */
static const uint64_t sip_vectors[] = {
	0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull, 0x85676696d7fb7e2dull,
	0xcf2794e0277187b7ull, 0x18765564cd99a68dull, 0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull,
	0x93f5f5799a932462ull, 0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
	0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull, 0xa129ca6149be45e5ull,
	0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull, 0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull,
	0xbed65cf21aa2ee98ull, 0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
};

static void
test_siphash_vectors(void **state)
{
	uint8_t key[16], msg[64];
	unsigned int i;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < RTE_DIM(sip_vectors); i++)
		assert_true(sg_dp_siphash24(key, msg, i) == sip_vectors[i]);
	/* the word form (the cookie MAC's): the same tags, every length */
	for (i = 0; i < RTE_DIM(sip_vectors); i++) {
		uint64_t w[8], tail = 0;
		unsigned int j;

		for (j = 0; j < i / 8; j++)
			w[j] = sg_dp_siphash_le64(msg + 8 * j);
		for (j = 0; j < i % 8; j++)
			tail |= (uint64_t)msg[8 * (i / 8) + j] << (8 * j);
		assert_true(sg_dp_siphash24_words(sg_dp_siphash_le64(key),
						  sg_dp_siphash_le64(key + 8), w, i / 8, tail,
						  i % 8) == sip_vectors[i]);
	}
	key[0] ^= 1; /* the key matters */
	assert_true(sg_dp_siphash24(key, msg, 15) != sip_vectors[15]);
}

/* ---------------- TCP options ---------------- */

/* A Linux SYN: MSS 1460, SACK-permitted, TS 12345/0, NOP, WS 7 */
static const uint8_t linux_syn[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00,
				    0x30, 0x39, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

static void
test_tcpopt_parse_valid(void **state)
{
	static const uint8_t unknown[] = {0x1e, 0x04, 0xaa, 0xbb, 0x02, 0x04, 0x02, 0x18};
	static const uint8_t eol[] = {0x00, 0x02, 0x04, 0x05, 0xb4};
	static const uint8_t big_ws[] = {0x03, 0x03, 0x20, 0x01};
	struct sg_dp_tcp_opts o;

	(void)state;
	assert_int_equal(sg_dp_tcpopt_parse(linux_syn, sizeof(linux_syn), &o), 0);
	assert_int_equal(o.mss, 1460);
	assert_true(o.sack_ok && o.has_ts && o.has_wscale);
	assert_int_equal(o.wscale, 7);
	assert_int_equal(o.tsval, 12345);
	assert_int_equal(o.tsecr, 0);
	assert_int_equal(sg_dp_tcpopt_parse(unknown, sizeof(unknown), &o), 0);
	assert_int_equal(o.mss, 536);
	assert_int_equal(sg_dp_tcpopt_parse(eol, sizeof(eol), &o), 0);
	assert_int_equal(o.mss, 0); /* after EOL nothing counts */
	assert_int_equal(sg_dp_tcpopt_parse(big_ws, sizeof(big_ws), &o), 0);
	assert_int_equal(o.wscale, 14);
	assert_int_equal(sg_dp_tcpopt_parse(NULL, 0, &o), 0);
	assert_false(o.has_ts || o.sack_ok || o.has_wscale || o.mss);
}

static void
test_tcpopt_parse_malformed(void **state)
{
	static const uint8_t zero_len[] = {0x1e, 0x00, 0x01, 0x01};
	static const uint8_t one_len[] = {0x1e, 0x01, 0x01, 0x01};
	static const uint8_t overrun[] = {0x1e, 0x10, 0x00, 0x00};
	static const uint8_t no_len[] = {0x01, 0x01, 0x02};
	static const uint8_t mss_len[] = {0x02, 0x03, 0x05, 0x01};
	static const uint8_t ts_len[] = {0x08, 0x06, 0, 0, 0, 0};
	struct sg_dp_tcp_opts o;
	size_t n;

	(void)state;
	for (n = 1; n < sizeof(linux_syn); n++) { /* every truncation inside an option */
		int rc = sg_dp_tcpopt_parse(linux_syn, n, &o);

		if (n == 4 || n == 6 || n == 16 || n == 17)
			assert_int_equal(rc, 0); /* cut between options */
		else
			assert_int_equal(rc, -EBADMSG);
	}
	assert_int_equal(sg_dp_tcpopt_parse(zero_len, sizeof(zero_len), &o), -EBADMSG);
	assert_int_equal(sg_dp_tcpopt_parse(one_len, sizeof(one_len), &o), -EBADMSG);
	assert_int_equal(sg_dp_tcpopt_parse(overrun, sizeof(overrun), &o), -EBADMSG);
	assert_int_equal(sg_dp_tcpopt_parse(no_len, sizeof(no_len), &o), -EBADMSG);
	assert_int_equal(sg_dp_tcpopt_parse(mss_len, sizeof(mss_len), &o), -EBADMSG);
	assert_int_equal(sg_dp_tcpopt_parse(ts_len, sizeof(ts_len), &o), -EBADMSG);
}

static void
test_tcpopt_write(void **state)
{
	static const uint8_t want_all[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08,
					   0x0a, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00,
					   0x30, 0x39, 0x01, 0x03, 0x03, 0x07};
	static const uint8_t want_sack[] = {0x02, 0x04, 0x02, 0x18, 0x01, 0x01, 0x04, 0x02};
	static const uint8_t want_ts[] = {0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2};
	struct sg_dp_tcp_opts o = {.mss = 1460,
				   .wscale = 7,
				   .has_wscale = true,
				   .sack_ok = true,
				   .has_ts = true,
				   .tsval = 0x11223344,
				   .tsecr = 12345};
	struct sg_dp_tcp_opts back;
	uint8_t buf[40];

	(void)state;
	assert_int_equal(sg_dp_tcpopt_write_synack(buf, sizeof(buf), &o), sizeof(want_all));
	assert_memory_equal(buf, want_all, sizeof(want_all));
	assert_int_equal(sg_dp_tcpopt_parse(buf, sizeof(want_all), &back), 0);
	/* field by field: the initializer of o leaves its padding undefined */
	assert_int_equal(back.mss, o.mss);
	assert_int_equal(back.wscale, o.wscale);
	assert_true(back.has_wscale == o.has_wscale && back.sack_ok == o.sack_ok &&
		    back.has_ts == o.has_ts);
	assert_int_equal(back.tsval, o.tsval);
	assert_int_equal(back.tsecr, o.tsecr);
	assert_int_equal(sg_dp_tcpopt_write_synack(buf, 19, &o), 0); /* cap too small */
	o = (struct sg_dp_tcp_opts){.mss = 536, .sack_ok = true};
	assert_int_equal(sg_dp_tcpopt_write_synack(buf, sizeof(buf), &o), sizeof(want_sack));
	assert_memory_equal(buf, want_sack, sizeof(want_sack));
	o = (struct sg_dp_tcp_opts){.has_ts = true, .tsval = 1, .tsecr = 2};
	assert_int_equal(sg_dp_tcpopt_write_synack(buf, sizeof(buf), &o), sizeof(want_ts));
	assert_memory_equal(buf, want_ts, sizeof(want_ts));
	o = (struct sg_dp_tcp_opts){0};
	assert_int_equal(sg_dp_tcpopt_write_synack(buf, sizeof(buf), &o), 0);
}

/* ---------------- SYN cookies ---------------- */

static struct sg_dp_syncookie_secret sec;

static void
key_of(uint8_t k[16], uint8_t v)
{
	memset(k, v, 16);
}

static void
flow4(struct sg_dp_flow_key *k, uint16_t sport)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(inet_pton(AF_INET, "198.18.0.50", k->src), 1);
	assert_int_equal(inet_pton(AF_INET, "198.18.10.3", k->dst), 1);
	k->sport = htons(sport);
	k->dport = htons(80);
	k->proto = IPPROTO_TCP;
	k->family = AF_INET;
}

static void
flow6(struct sg_dp_flow_key *k, uint16_t sport)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(inet_pton(AF_INET6, "2001:2:0:99::50", k->src), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:2:0:10::3", k->dst), 1);
	k->sport = htons(sport);
	k->dport = htons(443);
	k->proto = IPPROTO_TCP;
	k->family = AF_INET6;
}

static int
cookie_setup(void **state)
{
	uint8_t k[16];

	(void)state;
	if (sg_dp_syncookie_init(&sec) != 0)
		return -1;
	key_of(k, 0x11);
	sg_dp_syncookie_rotate(&sec, k);
	return 0;
}

/* make at @p t0, check at @p t1 with what a conforming client echoes */
static int
roundtrip(const struct sg_dp_flow_key *k, uint32_t isn, const struct sg_dp_tcp_opts *syn,
	  uint32_t t0, uint32_t t1, struct sg_dp_tcp_opts *out)
{
	uint16_t mss;
	uint32_t tsval, c = sg_dp_syncookie_make(&sec, k, isn, t0, syn, &mss, &tsval);

	return sg_dp_syncookie_check(&sec, k, c + 1, isn + 1, t1, syn->has_ts, tsval, out);
}

static void
test_cookie_valid(void **state)
{
	static const struct {
		uint16_t mss, want;
	} mss_cases[] = {{0, 536},     {100, 536},   {536, 536},   {1219, 536},	 {1220, 1220},
			 {1299, 1220}, {1300, 1300}, {1360, 1360}, {1400, 1400}, {1459, 1440},
			 {1460, 1460}, {8959, 1460}, {8960, 8960}, {9000, 8960}, {65535, 8960}};
	struct sg_dp_tcp_opts syn = {0}, out;
	struct sg_dp_flow_key k;
	uint32_t tsval, c;
	uint16_t mss;
	unsigned int i;

	(void)state;
	flow4(&k, 40000);
	for (i = 0; i < RTE_DIM(mss_cases); i++) {
		syn.mss = mss_cases[i].mss;
		c = sg_dp_syncookie_make(&sec, &k, 0x1000 + i, 1000, &syn, &mss, &tsval);
		assert_int_equal(mss, mss_cases[i].want);
		assert_int_equal(tsval, 0);
		assert_int_equal(sg_dp_syncookie_check(&sec, &k, c + 1, 0x1000 + i + 1, 1000, false,
						       0, &out),
				 0);
		assert_int_equal(out.mss, mss_cases[i].want);
		assert_false(out.has_ts || out.has_wscale || out.sack_ok); /* lost without TS */
	}
	/* window scale and SACK travel in TSval */
	syn = (struct sg_dp_tcp_opts){
		.mss = 1460, .wscale = 7, .has_wscale = true, .sack_ok = true, .has_ts = true};
	c = sg_dp_syncookie_make(&sec, &k, 0xfffffff0u, 1000, &syn, &mss, &tsval);
	assert_int_equal(tsval & 0x1f, 0x17);
	assert_int_equal(
		sg_dp_syncookie_check(&sec, &k, c + 1, 0xfffffff1u, 1010, true, tsval, &out), 0);
	assert_int_equal(out.mss, 1460);
	assert_true(out.has_ts && out.has_wscale && out.sack_ok);
	assert_int_equal(out.wscale, 7);
	/* every window scale, with and without SACK */
	for (i = 0; i <= 15; i++) {
		syn = (struct sg_dp_tcp_opts){.mss = 1400,
					      .wscale = (uint8_t)(i % 15),
					      .has_wscale = i < 15,
					      .sack_ok = i % 2,
					      .has_ts = true};
		assert_int_equal(roundtrip(&k, 7 * i, &syn, 5000, 5000, &out), 0);
		assert_int_equal(out.has_wscale, i < 15);
		if (i < 15)
			assert_int_equal(out.wscale, i % 15);
		assert_int_equal(out.sack_ok, i % 2);
	}
	/* the client ISN wraps: client_seq is 0 */
	syn = (struct sg_dp_tcp_opts){.mss = 1460};
	assert_int_equal(roundtrip(&k, 0xffffffffu, &syn, 1000, 1000, &out), 0);
}

static void
test_cookie_expired(void **state)
{
	struct sg_dp_tcp_opts syn = {.mss = 1460}, out;
	struct sg_dp_flow_key k;

	(void)state;
	flow4(&k, 40001);
	/* now = 1000: counter 15 (960..1023) */
	assert_int_equal(roundtrip(&k, 1, &syn, 1000, 1000 + 63, &out), 0); /* counter 16 */
	assert_int_equal(roundtrip(&k, 1, &syn, 1000, 1000 + 128, &out), -ETIMEDOUT); /* 17 */
	assert_int_equal(roundtrip(&k, 1, &syn, 1000, 1000 + 200, &out), -ETIMEDOUT);
	/* 32 and 33 periods later the 5 counter bits look recent again: the MAC (over the
	 * full counter) refuses it */
	assert_int_equal(roundtrip(&k, 1, &syn, 1000, 1000 + 64 * 32, &out), -EACCES);
	assert_int_equal(roundtrip(&k, 1, &syn, 1000, 1000 + 64 * 33, &out), -EACCES);
	assert_int_equal(roundtrip(&k, 1, &syn, 1000, 1000 + 64 * 34, &out), -ETIMEDOUT);
	/* a cookie from the future (clock went back) */
	assert_int_equal(roundtrip(&k, 1, &syn, 1000, 1000 - 64, &out), -ETIMEDOUT);
	/* the 5-bit counter wraps: made at counter 31, checked at counter 32 */
	assert_int_equal(roundtrip(&k, 1, &syn, 64 * 31 + 10, 64 * 32 + 5, &out), 0);
	assert_int_equal(roundtrip(&k, 1, &syn, 64 * 63 + 60, 64 * 64, &out), 0);
}

static void
test_cookie_forged(void **state)
{
	struct sg_dp_tcp_opts syn = {.mss = 1460, .has_ts = true, .sack_ok = true}, out;
	struct sg_dp_flow_key k, other;
	uint32_t isn = 0x12345678, tsval, c;
	uint16_t mss;
	unsigned int b;

	(void)state;
	flow4(&k, 40002);
	c = sg_dp_syncookie_make(&sec, &k, isn, 3000, &syn, &mss, &tsval);
	assert_int_equal(sg_dp_syncookie_check(&sec, &k, c + 1, isn + 1, 3000, true, tsval, &out),
			 0);
	for (b = 0; b < 27; b++) /* every MAC bit; the MSS index is authenticated too */
		assert_int_equal(sg_dp_syncookie_check(&sec, &k, isn + ((c - isn) ^ (1u << b)) + 1,
						       isn + 1, 3000, true, tsval, &out),
				 -EACCES);
	for (b = 27; b < 32; b++) /* other counter bits: too old, or refused by the MAC */
		assert_true(sg_dp_syncookie_check(&sec, &k, isn + ((c - isn) ^ (1u << b)) + 1,
						  isn + 1, 3000, true, tsval, &out) < 0);
	/* other client ISN (cookie shifted with it: same MAC field) */
	assert_int_equal(sg_dp_syncookie_check(&sec, &k, c + 2, isn + 2, 3000, true, tsval, &out),
			 -EACCES);
	/* other 4-tuple */
	other = k;
	other.sport = htons(40003);
	assert_int_equal(
		sg_dp_syncookie_check(&sec, &other, c + 1, isn + 1, 3000, true, tsval, &out),
		-EACCES);
	other = k;
	other.src[3] ^= 1;
	assert_int_equal(
		sg_dp_syncookie_check(&sec, &other, c + 1, isn + 1, 3000, true, tsval, &out),
		-EACCES);
	other = k;
	other.dport = htons(81);
	assert_int_equal(
		sg_dp_syncookie_check(&sec, &other, c + 1, isn + 1, 3000, true, tsval, &out),
		-EACCES);
	/* the options in TSval are authenticated too */
	for (b = 0; b < 5; b++)
		assert_int_equal(sg_dp_syncookie_check(&sec, &k, c + 1, isn + 1, 3000, true,
						       tsval ^ (1u << b), &out),
				 -EACCES);
	assert_int_equal(sg_dp_syncookie_check(&sec, &k, c + 1, isn + 1, 3000, false, 0, &out),
			 -EACCES);
	/* a bad family never checks */
	other = k;
	other.family = 4;
	assert_int_equal(
		sg_dp_syncookie_check(&sec, &other, c + 1, isn + 1, 3000, true, tsval, &out),
		-EINVAL);
}

static void
test_cookie_rotation(void **state)
{
	struct sg_dp_tcp_opts syn = {.mss = 1440}, out;
	struct sg_dp_flow_key k;
	uint32_t isn = 777, tsval, c, c2;
	uint16_t mss;
	uint8_t key[16];

	(void)state;
	flow6(&k, 50000);
	c = sg_dp_syncookie_make(&sec, &k, isn, 4000, &syn, &mss, &tsval);
	key_of(key, 0x22);
	sg_dp_syncookie_rotate(&sec, key);
	/* made under the previous key: still valid */
	assert_int_equal(sg_dp_syncookie_check(&sec, &k, c + 1, isn + 1, 4000, false, 0, &out), 0);
	assert_int_equal(out.mss, 1440);
	/* a new cookie uses the new key */
	c2 = sg_dp_syncookie_make(&sec, &k, isn, 4000, &syn, &mss, &tsval);
	assert_true(c2 != c);
	assert_int_equal(sg_dp_syncookie_check(&sec, &k, c2 + 1, isn + 1, 4000, false, 0, &out), 0);
	key_of(key, 0x33);
	sg_dp_syncookie_rotate(&sec, key);
	/* two rotations later: gone; one rotation later: still fine */
	assert_int_equal(sg_dp_syncookie_check(&sec, &k, c + 1, isn + 1, 4000, false, 0, &out),
			 -EACCES);
	assert_int_equal(sg_dp_syncookie_check(&sec, &k, c2 + 1, isn + 1, 4000, false, 0, &out), 0);
}

/*
 * A cookie's MAC is the reference SipHash-2-4 of the message syncookie.c
 * documents: addresses, ports, client ISN, then counter, MSS index,
 * timestamp bits and family; 23 bytes over IPv4, 47 over IPv6. The burst's
 * unrolled IPv4 MAC, the generic one and the check must all compute it.
 */
static void
cookie_mac_is(const struct sg_dp_flow_key *k, unsigned int alen)
{
	struct sg_dp_tcp_opts syn = {.mss = 1460};
	uint32_t isn = 0x89abcdefu, now = 6400, counter = now / SG_DP_SYNCOOKIE_PERIOD_S, tsval, c;
	uint8_t key[16], msg[47], *b = msg;
	struct sg_dp_tcp_opts out;
	unsigned int idx, i;
	uint16_t mss;

	c = sg_dp_syncookie_make(&sec, k, isn, now, &syn, &mss, &tsval);
	idx = ((c - isn) >> 24) & 7u;
	assert_int_equal(sg_dp_syncookie_mss[idx], 1460);
	assert_int_equal((c - isn) >> 27, counter & 31u);
	memcpy(b, k->src, alen);
	memcpy(b + alen, k->dst, alen);
	b += 2 * alen;
	memcpy(b, &k->sport, 2);
	memcpy(b + 2, &k->dport, 2);
	for (i = 0; i < 4; i++) {
		b[4 + i] = (uint8_t)(isn >> (8 * i));
		b[8 + i] = (uint8_t)(counter >> (8 * i));
	}
	b[12] = (uint8_t)idx;
	b[13] = 0; /* no timestamps: no bits */
	b[14] = k->family;
	key_of(key, 0x11);
	assert_int_equal((c - isn) & 0xffffffu,
			 sg_dp_siphash24(key, msg, 2 * alen + 15) & 0xffffffu);
	assert_int_equal(sg_dp_syncookie_check(&sec, k, c + 1, isn + 1, now, false, 0, &out), 0);
}

static void
test_cookie_mac_message(void **state)
{
	struct sg_dp_flow_key k;

	(void)state;
	flow4(&k, 40000);
	cookie_mac_is(&k, 4);
	flow6(&k, 40001);
	cookie_mac_is(&k, 16);
}

static void
test_cookie_v4_v6(void **state)
{
	struct sg_dp_tcp_opts syn = {.mss = 1220, .has_ts = true, .has_wscale = true, .wscale = 2},
			      out;
	struct sg_dp_flow_key k4, k6;
	uint32_t isn = 0xdeadbeef, ts4, ts6, c4, c6;
	uint16_t mss;

	(void)state;
	flow4(&k4, 1234);
	flow6(&k6, 1234);
	c4 = sg_dp_syncookie_make(&sec, &k4, isn, 9000, &syn, &mss, &ts4);
	c6 = sg_dp_syncookie_make(&sec, &k6, isn, 9000, &syn, &mss, &ts6);
	assert_true(c4 != c6);
	assert_int_equal(sg_dp_syncookie_check(&sec, &k6, c6 + 1, isn + 1, 9001, true, ts6, &out),
			 0);
	assert_int_equal(out.mss, 1220);
	assert_int_equal(out.wscale, 2);
	assert_false(out.sack_ok);
	assert_int_equal(sg_dp_syncookie_check(&sec, &k4, c4 + 1, isn + 1, 9001, true, ts4, &out),
			 0);
	/* the v4 cookie does not check for the v6 flow (family is in the MAC) */
	assert_int_equal(sg_dp_syncookie_check(&sec, &k6, c4 + 1, isn + 1, 9001, true, ts4, &out),
			 -EACCES);
}

static void
test_cookie_random_acks(void **state)
{
	struct sg_dp_tcp_opts out;
	struct sg_dp_flow_key k;
	uint32_t x = 2463534242u;
	unsigned int i, accepted = 0;

	(void)state;
	flow4(&k, 999);
	for (i = 0; i < 100000; i++) { /* xorshift32 guesses: about 2^-24 each */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		if (sg_dp_syncookie_check(&sec, &k, x, 4242, 6000, false, 0, &out) == 0)
			accepted++;
	}
	assert_true(accepted <= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_tcpopt_parse_valid),
		cmocka_unit_test(test_tcpopt_parse_malformed),
		cmocka_unit_test(test_tcpopt_write),
		cmocka_unit_test_setup(test_cookie_valid, cookie_setup),
		cmocka_unit_test_setup(test_cookie_expired, cookie_setup),
		cmocka_unit_test_setup(test_cookie_forged, cookie_setup),
		cmocka_unit_test_setup(test_cookie_rotation, cookie_setup),
		cmocka_unit_test_setup(test_cookie_v4_v6, cookie_setup),
		cmocka_unit_test_setup(test_cookie_mac_message, cookie_setup),
		cmocka_unit_test_setup(test_cookie_random_acks, cookie_setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
