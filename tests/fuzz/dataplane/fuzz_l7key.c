/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the L7 key extractors and the TCP option parser.
 *
 * Input: two bytes choosing a split point, then the client's first bytes.
 * Every extractor runs on the whole input (final false and true), on the
 * chosen prefix, and on every prefix when the input is small. Invariants:
 *   - key_len <= SG_MSG_KEY_MAX; key_len > 0 exactly when FOUND;
 *   - a FOUND key is a substring of the input (case-insensitively for the
 *     lower-casing extractors); a cookie or header key is the name as
 *     configured, its separator, then a non-empty substring of the input;
 *   - a prefix that decides (FOUND, ABSENT, MALFORMED with final false)
 *     decides the same for the whole input, with the same key;
 *   - final never gives NEED_MORE.
 * TCP options: the payload's first 40 bytes are parsed; a successful parse
 * written as a SYN-ACK's options parses back to the same options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/l7key.h"
#include "session/tcpopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ex {
	enum sg_msg_l7 type;
	const char *name;
	const char *sep; /* named keys (ring format v4): the key is name, sep, value */
	bool lower;
};

static const struct ex exs[] = {
	{SG_MSG_L7_HTTP_HOST, NULL, NULL, true},
	{SG_MSG_L7_HTTP_PATH, NULL, NULL, false},
	{SG_MSG_L7_HTTP_COOKIE, "sid", "=", false},
	{SG_MSG_L7_TLS_SNI, NULL, NULL, true},
	{SG_MSG_L7_RDP_COOKIE, NULL, NULL, false},
	{SG_MSG_L7_PREFIX, "16", NULL, false},
	{SG_MSG_L7_PREFIX, NULL, NULL, false},
	{SG_MSG_L7_HTTP_HEADER, "x-tenant", ": ", false},
	{SG_MSG_L7_HTTP_HEADER, "X-Auth-Token", ": ", false},
};

struct out {
	enum sg_dp_l7_result r;
	uint8_t key[SG_MSG_KEY_MAX];
	uint16_t len;
};

static uint8_t
lc(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool
within(const uint8_t *key, size_t kl, const uint8_t *buf, size_t len, bool lower)
{
	size_t i, j;

	for (i = 0; i + kl <= len; i++) {
		for (j = 0; j < kl; j++)
			if ((lower ? lc(buf[i + j]) : buf[i + j]) != key[j])
				break;
		if (j == kl)
			return true;
	}
	return false;
}

static void
run(const struct ex *e, const uint8_t *buf, size_t len, bool final, struct out *o)
{
	memset(o->key, 0xa5, sizeof(o->key));
	o->len = 0xffff;
	o->r = sg_dp_l7_extract(e->type, e->name, buf, len, final, o->key, &o->len);
	if (o->len > SG_MSG_KEY_MAX || (o->r == SG_DP_L7_FOUND) != (o->len > 0)) {
		(void)fprintf(stderr, "type %d: result %d key_len %u\n", e->type, o->r, o->len);
		abort();
	}
	if (o->r > SG_DP_L7_MALFORMED || (final && o->r == SG_DP_L7_NEED_MORE))
		abort();
	if (o->r == SG_DP_L7_FOUND && e->sep != NULL) {
		size_t pl = strlen(e->name) + strlen(e->sep);

		/* the name as the VS spells it, then a non-empty value from the input */
		if (o->len <= pl || memcmp(o->key, e->name, strlen(e->name)) != 0 ||
		    memcmp(o->key + strlen(e->name), e->sep, strlen(e->sep)) != 0 ||
		    !within(o->key + pl, o->len - pl, buf, len, false)) {
			(void)fprintf(stderr, "type %d: named key not name, sep, value\n", e->type);
			abort();
		}
	} else if (o->r == SG_DP_L7_FOUND && !within(o->key, o->len, buf, len, e->lower)) {
		(void)fprintf(stderr, "type %d: key not in the input\n", e->type);
		abort();
	}
}

static void
same(const struct ex *e, const struct out *part, const struct out *whole, size_t at)
{
	if (part->r == SG_DP_L7_NEED_MORE)
		return;
	if (part->r != whole->r || part->len != whole->len ||
	    memcmp(part->key, whole->key, part->len) != 0) {
		(void)fprintf(stderr, "type %d: prefix %zu decided %d, whole input %d\n", e->type,
			      at, part->r, whole->r);
		abort();
	}
}

static void
fuzz_tcpopt(const uint8_t *d, size_t n)
{
	struct sg_dp_tcp_opts o, back;
	uint8_t buf[SG_DP_TCPOPT_SYNACK_MAX];
	size_t w;

	if (n > SG_DP_TCPOPT_LEN_MAX)
		n = SG_DP_TCPOPT_LEN_MAX;
	if (sg_dp_tcpopt_parse(d, n, &o) != 0)
		return;
	if (o.has_wscale && o.wscale > SG_DP_TCP_WSCALE_MAX)
		abort();
	w = sg_dp_tcpopt_write_synack(buf, sizeof(buf), &o);
	if (w % 4 != 0 || w > sizeof(buf))
		abort();
	if (sg_dp_tcpopt_parse(buf, w, &back) != 0)
		abort();
	if (back.mss != o.mss || back.has_wscale != o.has_wscale || back.sack_ok != o.sack_ok ||
	    back.has_ts != o.has_ts || (o.has_wscale && back.wscale != o.wscale) ||
	    (o.has_ts && (back.tsval != o.tsval || back.tsecr != o.tsecr)))
		abort();
	if (sg_dp_tcpopt_write_synack(buf, w > 0 ? w - 1 : 0, &o) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *buf;
	size_t len, split, i, k;

	if (size < 2 || size > 3 * SG_DP_L7_SCAN_MAX)
		return -1;
	split = (size_t)data[0] | (size_t)data[1] << 8;
	buf = data + 2;
	len = size - 2;
	split = len > 0 ? split % (len + 1) : 0;
	fuzz_tcpopt(buf, len);
	for (k = 0; k < sizeof(exs) / sizeof(exs[0]); k++) {
		struct out whole, part, fin;

		run(&exs[k], buf, len, false, &whole);
		run(&exs[k], buf, len, true, &fin);
		if (whole.r != SG_DP_L7_NEED_MORE)
			same(&exs[k], &whole, &fin, len);
		run(&exs[k], buf, split, false, &part);
		same(&exs[k], &part, &whole, split);
		run(&exs[k], buf, split, true, &part);
		if (len <= 96) {
			for (i = 0; i < len; i++) {
				run(&exs[k], buf, i, false, &part);
				same(&exs[k], &part, &whole, i);
			}
		}
	}
	return 0;
}
