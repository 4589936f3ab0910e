/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of sg_token_find: where the token sits in each L7 key type
 * (sessiongate/sg_token.h), and hostile keys (no separator, empty value,
 * the ring's 160 bytes and more, bytes a parser must not trust).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sessiongate/sg_msg.h"
#include "sg_token_lib.h"

#define TOK "aedq2aaaaaaaaaamb4aaaaaaaaaag4j7wmaowb43b5rvnxkm6pyzkuy"

/* The token found in @p key of @p type, as a string ("" = none). */
static const char *
find(unsigned int type, const char *key)
{
	static char out[SG_MSG_KEY_MAX + 1];
	size_t len = 12345;
	const char *t = sg_token_find(type, (const uint8_t *)key, (uint16_t)strlen(key), &len);

	if (t == NULL)
		return "";
	assert_true(len > 0 && len <= strlen(key));
	assert_true(t >= key && t + len <= key + strlen(key)); /* inside the key */
	memcpy(out, t, len);
	out[len] = '\0';
	return out;
}

static void
test_each_type(void **state)
{
	(void)state;
	assert_string_equal(find(SG_MSG_L7_HTTP_COOKIE, "sgtoken=" TOK), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_HEADER, "X-SG-Token: " TOK), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_HEADER, "X-SG-Token:" TOK), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_HOST, TOK ".desk.example"), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_HOST, TOK ".desk.example:8443"), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_HOST, TOK ":8443"), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_HOST, TOK), TOK);
	assert_string_equal(find(SG_MSG_L7_TLS_SNI, TOK ".desk.example"), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, "/" TOK "/index.html"), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, "/" TOK "?a=b"), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, "/" TOK "#frag"), TOK);
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, "/" TOK), TOK);
	assert_string_equal(find(SG_MSG_L7_RDP_COOKIE, "mstshash=" TOK), TOK);
	assert_string_equal(find(SG_MSG_L7_RDP_COOKIE, "msts=" TOK), TOK);
	/* the value as it is: verify decides (a cookie value may hold '=') */
	assert_string_equal(find(SG_MSG_L7_HTTP_COOKIE, "a=b=c"), "b=c");
	/* key types that carry no token */
	assert_string_equal(find(SG_MSG_L7_PREFIX, TOK), "");
	assert_string_equal(find(SG_MSG_L7_NONE, TOK), "");
	assert_string_equal(find(SG_MSG_L7_MAX, TOK), "");
	assert_string_equal(find(0xffffffffu, TOK), "");
}

static void
test_no_separator_or_empty(void **state)
{
	(void)state;
	assert_string_equal(find(SG_MSG_L7_HTTP_COOKIE, TOK), "");	  /* no '=' */
	assert_string_equal(find(SG_MSG_L7_HTTP_COOKIE, "sgtoken="), ""); /* empty value */
	assert_string_equal(find(SG_MSG_L7_HTTP_COOKIE, "="), "");
	assert_string_equal(find(SG_MSG_L7_HTTP_HEADER, "X-SG-Token " TOK), ""); /* no ':' */
	assert_string_equal(find(SG_MSG_L7_HTTP_HEADER, "X-SG-Token:"), "");
	assert_string_equal(find(SG_MSG_L7_HTTP_HEADER, "X-SG-Token:    "), "");
	assert_string_equal(find(SG_MSG_L7_HTTP_HOST, ".desk.example"), ""); /* empty label */
	assert_string_equal(find(SG_MSG_L7_TLS_SNI, "."), "");
	assert_string_equal(find(SG_MSG_L7_HTTP_HOST, ":80"), "");
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, "/"), "");
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, "//x"), "");
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, "/?" TOK), "");
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, TOK "/x"), ""); /* not origin-form */
	assert_string_equal(find(SG_MSG_L7_HTTP_PATH, "*"), "");
	assert_string_equal(find(SG_MSG_L7_RDP_COOKIE, "mstshash="), "");
	assert_string_equal(find(SG_MSG_L7_RDP_COOKIE, "msts="), "");
	assert_string_equal(find(SG_MSG_L7_RDP_COOKIE, "mstshash"), "");
	assert_string_equal(find(SG_MSG_L7_RDP_COOKIE, "Cookie: mstshash=" TOK), "");
	assert_string_equal(find(SG_MSG_L7_RDP_COOKIE, TOK), "");
}

static void
test_bounds(void **state)
{
	uint8_t key[SG_MSG_KEY_MAX + 8];
	const char *t;
	size_t len = 0;
	unsigned int type;

	(void)state;
	/* the ring's largest key: 160 bytes, the value runs to its very end */
	memset(key, 'a', sizeof(key));
	key[0] = 'c';
	key[1] = '=';
	t = sg_token_find(SG_MSG_L7_HTTP_COOKIE, key, SG_MSG_KEY_MAX, &len);
	assert_ptr_equal(t, (const char *)key + 2);
	assert_int_equal(len, SG_MSG_KEY_MAX - 2);
	key[0] = '/';
	t = sg_token_find(SG_MSG_L7_HTTP_PATH, key, SG_MSG_KEY_MAX, &len);
	assert_ptr_equal(t, (const char *)key + 1);
	assert_int_equal(len, SG_MSG_KEY_MAX - 1);
	memset(key, 'a', sizeof(key));
	t = sg_token_find(SG_MSG_L7_TLS_SNI, key, SG_MSG_KEY_MAX, &len);
	assert_ptr_equal(t, (const char *)key);
	assert_int_equal(len, SG_MSG_KEY_MAX);
	/* a separator only in the byte after the key is not seen */
	key[SG_MSG_KEY_MAX] = '=';
	assert_null(sg_token_find(SG_MSG_L7_HTTP_COOKIE, key, SG_MSG_KEY_MAX, &len));
	key[SG_MSG_KEY_MAX] = ':';
	assert_null(sg_token_find(SG_MSG_L7_HTTP_HEADER, key, SG_MSG_KEY_MAX, &len));
	/* longer than a ring key, empty, NULL: refused whatever the type */
	for (type = 0; type <= SG_MSG_L7_MAX; type++) {
		assert_null(sg_token_find(type, key, SG_MSG_KEY_MAX + 1, &len));
		assert_null(sg_token_find(type, key, UINT16_MAX, &len));
		assert_null(sg_token_find(type, key, 0, &len));
		assert_null(sg_token_find(type, NULL, 10, &len));
		assert_null(sg_token_find(type, key, 10, NULL));
	}
}

/* Bytes a parser must not trust: NULs, CR/LF, high bytes stay inside the key. */
static void
test_hostile_bytes(void **state)
{
	static const uint8_t nul_cookie[] = {'s', 0, '=', 'x', 0, 'y'};
	static const uint8_t high_host[] = {0xff, 0xfe, '.', 'e'};
	static const uint8_t nul_path[] = {'/', 'a', 0, '/', 'b'};
	const char *t;
	size_t len = 0;

	(void)state;
	t = sg_token_find(SG_MSG_L7_HTTP_COOKIE, nul_cookie, sizeof(nul_cookie), &len);
	assert_ptr_equal(t, (const char *)nul_cookie + 3);
	assert_int_equal(len, 3);
	t = sg_token_find(SG_MSG_L7_HTTP_HOST, high_host, sizeof(high_host), &len);
	assert_ptr_equal(t, (const char *)high_host);
	assert_int_equal(len, 2);
	/* a NUL is a byte like any other, not the end of the segment (strchr's NUL) */
	t = sg_token_find(SG_MSG_L7_HTTP_PATH, nul_path, sizeof(nul_path), &len);
	assert_ptr_equal(t, (const char *)nul_path + 1);
	assert_int_equal(len, 2);
	assert_string_equal(find(SG_MSG_L7_HTTP_HEADER, "A:\r\n" TOK), "\r\n" TOK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_type),
		cmocka_unit_test(test_no_separator_or_empty),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_hostile_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
