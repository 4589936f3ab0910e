/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/token's mint and verify (sessiongate/sg_token.h): the
 * round trip, either case, every refusal (format, key, MAC, expired, app)
 * and a known-answer vector computed outside this library.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sg_token_lib.h"

#define USER 0x0d0000000000000cull /* user#12 */
#define APP  0x0f00000000000003ull /* vapp#3 */
#define EXP  1900000000u
#define NOW  1899900000ull /* EXP - 100000 */

/*
 * Known answer, computed with Python's standard library only (no lib/token):
 *   import hmac, hashlib, base64, struct
 *   key = bytes(range(32))
 *   body = struct.pack(">BBQQI", 1, 7, 0x0d0000000000000c, 0x0f00000000000003, 1900000000)
 *   mac = hmac.new(key, body, hashlib.sha256).digest()[:12]
 *   base64.b32encode(body + mac).decode().rstrip("=").lower()
 * (tests/unit/token/vectors.py checks more vectors through sg-token.)
 */
static const char kat[] = "aedq2aaaaaaaaaamb4aaaaaaaaaag4j7wmaowb43b5rvnxkm6pyzkuy";

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void
key_init(struct sg_token_key *k, uint8_t id, uint8_t len, uint8_t seed)
{
	unsigned int i;

	memset(k, 0, sizeof(*k));
	k->id = id;
	k->len = len;
	for (i = 0; i < len; i++)
		k->key[i] = (uint8_t)(seed + i);
}

static void
mint(const struct sg_token_key *k, uint64_t user, uint64_t app, uint32_t exp, char *out)
{
	struct sg_token t = {.user_id = user, .app_id = app, .expires = exp};

	assert_int_equal(sg_token_mint(k, &t, out, SG_TOKEN_TEXT_LEN + 1), 0);
	assert_int_equal(strlen(out), SG_TOKEN_TEXT_LEN);
}

static enum sg_token_err
verify1(const char *text, size_t len, const struct sg_token_key *k, struct sg_token *t)
{
	return sg_token_verify(text, len, k, 1, APP, NOW, t);
}

static int
b32_index(char c)
{
	const char *p = strchr(b32, c);

	return p != NULL && c != '\0' ? (int)(p - b32) : -1;
}

/* Base32 of @p bin (SG_TOKEN_BIN_LEN bytes), as the header describes it. */
static void
encode(const uint8_t *bin, char *out)
{
	unsigned int i, bit;

	for (i = 0; i < SG_TOKEN_TEXT_LEN; i++) {
		unsigned int v = 0, b;

		for (b = 0; b < 5; b++) {
			bit = i * 5 + b;
			v <<= 1;
			if (bit < SG_TOKEN_BIN_LEN * 8)
				v |= (bin[bit / 8] >> (7 - bit % 8)) & 1u;
		}
		out[i] = b32[v];
	}
	out[SG_TOKEN_TEXT_LEN] = '\0';
}

/* The inverse of encode(), ignoring the spare bits. */
static void
decode(const char *text, uint8_t *bin)
{
	unsigned int i, b, bit;

	memset(bin, 0, SG_TOKEN_BIN_LEN);
	for (i = 0; i < SG_TOKEN_TEXT_LEN; i++) {
		int v = b32_index(text[i]);

		assert_true(v >= 0);
		for (b = 0; b < 5; b++) {
			bit = i * 5 + b;
			if (bit < SG_TOKEN_BIN_LEN * 8 && ((unsigned int)v >> (4 - b)) & 1u)
				bin[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
		}
	}
}

static void
test_known_answer(void **state)
{
	struct sg_token_key k;
	struct sg_token t;
	char out[SG_TOKEN_TEXT_LEN + 1];

	(void)state;
	key_init(&k, 7, 32, 0);
	mint(&k, USER, APP, EXP, out);
	assert_string_equal(out, kat);
	memset(&t, 0, sizeof(t));
	assert_int_equal(verify1(kat, strlen(kat), &k, &t), SG_TOKEN_OK);
	assert_int_equal(t.key_id, 7);
	assert_true(t.user_id == USER && t.app_id == APP && t.expires == EXP);
}

static void
test_round_trip(void **state)
{
	static const uint64_t users[] = {1, USER, 0x0dffffffffffffffull, UINT64_MAX};
	struct sg_token_key keys[3];
	struct sg_token t;
	char out[SG_TOKEN_TEXT_LEN + 1];
	unsigned int i, j, len;

	(void)state;
	key_init(&keys[0], 1, 32, 10);
	key_init(&keys[1], 200, 64, 20);
	key_init(&keys[2], 255, 48, 30);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 4; j++) {
			mint(&keys[i], users[j], APP, (uint32_t)NOW + j, out);
			for (len = 0; len < SG_TOKEN_TEXT_LEN; len++)
				assert_true(b32_index(out[len]) >= 0); /* lower case, no '=' */
			memset(&t, 0, sizeof(t));
			/* every key of the app verifies, whichever signed */
			assert_int_equal(
				sg_token_verify(out, SG_TOKEN_TEXT_LEN, keys, 3, APP, NOW, &t),
				SG_TOKEN_OK);
			assert_int_equal(t.key_id, keys[i].id);
			assert_true(t.user_id == users[j] && t.app_id == APP);
			assert_int_equal(t.expires, (uint32_t)NOW + j);
			/* claims are optional */
			assert_int_equal(
				sg_token_verify(out, SG_TOKEN_TEXT_LEN, keys, 3, APP, NOW, NULL),
				SG_TOKEN_OK);
		}
	}
}

static void
test_either_case(void **state)
{
	struct sg_token_key k;
	char up[SG_TOKEN_TEXT_LEN + 1], mixed[SG_TOKEN_TEXT_LEN + 1];
	unsigned int i;

	(void)state;
	key_init(&k, 7, 32, 0);
	for (i = 0; i < SG_TOKEN_TEXT_LEN; i++) {
		up[i] = (kat[i] >= 'a' && kat[i] <= 'z') ? (char)(kat[i] - 'a' + 'A') : kat[i];
		mixed[i] = i % 2 ? up[i] : kat[i];
	}
	up[i] = mixed[i] = '\0';
	assert_int_equal(verify1(up, SG_TOKEN_TEXT_LEN, &k, NULL), SG_TOKEN_OK);
	assert_int_equal(verify1(mixed, SG_TOKEN_TEXT_LEN, &k, NULL), SG_TOKEN_OK);
}

static void
test_absent_and_length(void **state)
{
	struct sg_token_key k;
	char longer[SG_TOKEN_TEXT_LEN + 2];

	(void)state;
	key_init(&k, 7, 32, 0);
	assert_int_equal(verify1(NULL, 0, &k, NULL), SG_TOKEN_E_ABSENT);
	assert_int_equal(verify1(kat, 0, &k, NULL), SG_TOKEN_E_ABSENT);
	assert_int_equal(verify1(kat, 1, &k, NULL), SG_TOKEN_E_FORMAT);
	assert_int_equal(verify1(kat, SG_TOKEN_TEXT_LEN - 1, &k, NULL), SG_TOKEN_E_FORMAT);
	memcpy(longer, kat, SG_TOKEN_TEXT_LEN);
	longer[SG_TOKEN_TEXT_LEN] = 'a';
	longer[SG_TOKEN_TEXT_LEN + 1] = '\0';
	assert_int_equal(verify1(longer, SG_TOKEN_TEXT_LEN + 1, &k, NULL), SG_TOKEN_E_FORMAT);
	/* base64url or padded base32 text of the same bytes is not a token */
	assert_int_equal(
		verify1("aedq2aaaaaaaaaamb4aaaaaaaaaag4j7wmaowb43b5rvnxkm6pyzkuy=", 56, &k, NULL),
		SG_TOKEN_E_FORMAT);
}

static void
test_bad_characters(void **state)
{
	static const char bad[] = "01890=-_./+ \t\r\n\"';:%\x7f\x80\xff";
	struct sg_token_key k;
	char t[SG_TOKEN_TEXT_LEN + 1];
	unsigned int i, pos;

	(void)state;
	key_init(&k, 7, 32, 0);
	for (pos = 0; pos < SG_TOKEN_TEXT_LEN; pos += 9) {
		for (i = 0; i < sizeof(bad); i++) { /* the NUL too */
			memcpy(t, kat, sizeof(t));
			t[pos] = bad[i];
			assert_int_equal(verify1(t, SG_TOKEN_TEXT_LEN, &k, NULL),
					 SG_TOKEN_E_FORMAT);
		}
	}
}

/* The last character carries 2 data bits and 3 spare bits, which must be 0. */
static void
test_pad_bits(void **state)
{
	struct sg_token_key k;
	char t[SG_TOKEN_TEXT_LEN + 1];
	int last = b32_index(kat[SG_TOKEN_TEXT_LEN - 1]);
	unsigned int spare;

	(void)state;
	key_init(&k, 7, 32, 0);
	assert_true(last >= 0 && (last & 7) == 0);
	for (spare = 1; spare < 8; spare++) {
		memcpy(t, kat, sizeof(t));
		t[SG_TOKEN_TEXT_LEN - 1] = b32[((unsigned int)last | spare) & 31];
		assert_int_equal(verify1(t, SG_TOKEN_TEXT_LEN, &k, NULL), SG_TOKEN_E_FORMAT);
	}
}

/* A validly signed token of another version is still refused as format. */
static void
test_version(void **state)
{
	static const uint8_t versions[] = {0, 2, 0x81, 0xff};
	struct sg_token_key k;
	uint8_t bin[SG_TOKEN_BIN_LEN];
	char t[SG_TOKEN_TEXT_LEN + 1];
	unsigned int i;

	(void)state;
	key_init(&k, 7, 32, 0);
	for (i = 0; i < sizeof(versions); i++) {
		decode(kat, bin);
		bin[0] = versions[i];
		encode(bin, t);
		assert_int_equal(verify1(t, SG_TOKEN_TEXT_LEN, &k, NULL), SG_TOKEN_E_FORMAT);
	}
	decode(kat, bin);
	encode(bin, t);
	assert_string_equal(t, kat); /* the test's own codec agrees */
}

static void
test_unknown_key(void **state)
{
	struct sg_token_key keys[SG_TOKEN_KEYS_MAX + 1], k7;
	uint8_t bin[SG_TOKEN_BIN_LEN];
	char t[SG_TOKEN_TEXT_LEN + 1];
	unsigned int i;

	(void)state;
	key_init(&k7, 7, 32, 0);
	for (i = 0; i <= SG_TOKEN_KEYS_MAX; i++)
		key_init(&keys[i], (uint8_t)(1 + i), 32, 0);
	/* the app's keys are 1..4: key 7 is none of them, even with the same bytes */
	assert_int_equal(
		sg_token_verify(kat, SG_TOKEN_TEXT_LEN, keys, SG_TOKEN_KEYS_MAX, APP, NOW, NULL),
		SG_TOKEN_E_KEY);
	assert_int_equal(sg_token_verify(kat, SG_TOKEN_TEXT_LEN, keys, 0, APP, NOW, NULL),
			 SG_TOKEN_E_KEY);
	/* a key past SG_TOKEN_KEYS_MAX is never consulted */
	keys[SG_TOKEN_KEYS_MAX].id = 7;
	assert_int_equal(sg_token_verify(kat, SG_TOKEN_TEXT_LEN, keys, SG_TOKEN_KEYS_MAX + 1, APP,
					 NOW, NULL),
			 SG_TOKEN_E_KEY);
	/* an invalid key with the right id is no key */
	k7.len = SG_TOKEN_KEY_MIN - 1;
	assert_int_equal(verify1(kat, SG_TOKEN_TEXT_LEN, &k7, NULL), SG_TOKEN_E_KEY);
	/* key_id 0 in the token */
	key_init(&k7, 7, 32, 0);
	decode(kat, bin);
	bin[1] = 0;
	encode(bin, t);
	assert_int_equal(verify1(t, SG_TOKEN_TEXT_LEN, &k7, NULL), SG_TOKEN_E_KEY);
}

/* Every single-bit flip of the signed bytes or of the MAC is refused. */
static void
test_mac_bit_flips(void **state)
{
	struct sg_token_key k, other;
	uint8_t bin[SG_TOKEN_BIN_LEN];
	char t[SG_TOKEN_TEXT_LEN + 1];
	enum sg_token_err e;
	unsigned int bit, n_mac = 0;

	(void)state;
	key_init(&k, 7, 32, 0);
	for (bit = 0; bit < SG_TOKEN_BIN_LEN * 8; bit++) {
		decode(kat, bin);
		bin[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
		encode(bin, t);
		e = verify1(t, SG_TOKEN_TEXT_LEN, &k, NULL);
		if (bit < 8)
			assert_int_equal(e, SG_TOKEN_E_FORMAT); /* version */
		else if (bit < 16)
			assert_int_equal(e, SG_TOKEN_E_KEY); /* key_id 7 -> another */
		else
			assert_int_equal(e, SG_TOKEN_E_MAC);
		n_mac += e == SG_TOKEN_E_MAC;
	}
	assert_int_equal(n_mac, (SG_TOKEN_BIN_LEN - 2) * 8);
	/* the right id with other key bytes (one bit, or one byte longer) */
	key_init(&other, 7, 32, 0);
	other.key[31] ^= 1;
	assert_int_equal(verify1(kat, SG_TOKEN_TEXT_LEN, &other, NULL), SG_TOKEN_E_MAC);
	key_init(&other, 7, 33, 0);
	assert_int_equal(verify1(kat, SG_TOKEN_TEXT_LEN, &other, NULL), SG_TOKEN_E_MAC);
}

/* More keys than lib/token keeps contexts for, in turn: each MAC with its own key. */
static void
test_many_keys(void **state)
{
	struct sg_token_key keys[20], same_id;
	char out[SG_TOKEN_TEXT_LEN + 1];
	unsigned int round, i;

	(void)state;
	for (i = 0; i < 20; i++)
		key_init(&keys[i], (uint8_t)(i + 1), (uint8_t)(32 + i), (uint8_t)(i * 11));
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 20; i++) {
			mint(&keys[i], USER + i, APP, EXP, out);
			assert_int_equal(verify1(out, SG_TOKEN_TEXT_LEN, &keys[i], NULL),
					 SG_TOKEN_OK);
			/* the same id with the bytes of the previous key */
			same_id = keys[(i + 19) % 20];
			same_id.id = keys[i].id;
			assert_int_equal(verify1(out, SG_TOKEN_TEXT_LEN, &same_id, NULL),
					 SG_TOKEN_E_MAC);
		}
	}
	key_init(&keys[0], 7, 32, 0);
	mint(&keys[0], USER, APP, EXP, out);
	assert_string_equal(out, kat);
}

static void
test_expired(void **state)
{
	struct sg_token_key k;
	struct sg_token t;

	(void)state;
	key_init(&k, 7, 32, 0);
	assert_int_equal(sg_token_verify(kat, SG_TOKEN_TEXT_LEN, &k, 1, APP, EXP, NULL),
			 SG_TOKEN_OK); /* valid through its last second */
	memset(&t, 0, sizeof(t));
	assert_int_equal(sg_token_verify(kat, SG_TOKEN_TEXT_LEN, &k, 1, APP, EXP + 1ull, &t),
			 SG_TOKEN_E_EXPIRED);
	assert_true(t.user_id == USER && t.expires == EXP); /* the verified claims, for the log */
	assert_int_equal(sg_token_verify(kat, SG_TOKEN_TEXT_LEN, &k, 1, APP, UINT64_MAX, NULL),
			 SG_TOKEN_E_EXPIRED);
}

/* An expiry more than SG_TOKEN_TTL_MAX (and an hour of clock skew) ahead is refused. */
static void
test_ttl_max(void **state)
{
	struct sg_token_key k;
	char out[SG_TOKEN_TEXT_LEN + 1];
	uint32_t limit = (uint32_t)NOW + SG_TOKEN_TTL_MAX + SG_TOKEN_SKEW_S;

	(void)state;
	key_init(&k, 7, 32, 0);
	mint(&k, USER, APP, limit, out);
	assert_int_equal(verify1(out, SG_TOKEN_TEXT_LEN, &k, NULL), SG_TOKEN_OK);
	mint(&k, USER, APP, limit + 1, out);
	assert_int_equal(verify1(out, SG_TOKEN_TEXT_LEN, &k, NULL), SG_TOKEN_E_EXPIRED);
	mint(&k, USER, APP, UINT32_MAX, out);
	assert_int_equal(verify1(out, SG_TOKEN_TEXT_LEN, &k, NULL), SG_TOKEN_E_EXPIRED);
	assert_int_equal(sg_token_verify(out, SG_TOKEN_TEXT_LEN, &k, 1, APP, 0, NULL),
			 SG_TOKEN_E_EXPIRED);
}

static void
test_other_app(void **state)
{
	struct sg_token_key k;
	struct sg_token t;

	(void)state;
	key_init(&k, 7, 32, 0);
	memset(&t, 0, sizeof(t));
	assert_int_equal(sg_token_verify(kat, SG_TOKEN_TEXT_LEN, &k, 1, APP + 1, NOW, &t),
			 SG_TOKEN_E_APP);
	assert_true(t.app_id == APP && t.user_id == USER);
	assert_int_equal(sg_token_verify(kat, SG_TOKEN_TEXT_LEN, &k, 1, 0, NOW, NULL),
			 SG_TOKEN_E_APP);
}

static void
test_mint_errors(void **state)
{
	struct sg_token_key k;
	struct sg_token t = {.user_id = USER, .app_id = APP, .expires = EXP};
	char out[SG_TOKEN_TEXT_LEN + 1];

	(void)state;
	key_init(&k, 7, 32, 0);
	assert_int_equal(sg_token_mint(&k, &t, out, SG_TOKEN_TEXT_LEN), -EINVAL);
	assert_int_equal(sg_token_mint(NULL, &t, out, sizeof(out)), -EINVAL);
	assert_int_equal(sg_token_mint(&k, NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(sg_token_mint(&k, &t, NULL, sizeof(out)), -EINVAL);
	k.id = 0;
	assert_int_equal(sg_token_mint(&k, &t, out, sizeof(out)), -EINVAL);
	key_init(&k, 7, SG_TOKEN_KEY_MIN - 1, 0);
	assert_int_equal(sg_token_mint(&k, &t, out, sizeof(out)), -EINVAL);
	k.len = SG_TOKEN_KEY_MAX + 1;
	assert_int_equal(sg_token_mint(&k, &t, out, sizeof(out)), -EINVAL);
	/* t->key_id is ignored: the key's id signs */
	key_init(&k, 7, 32, 0);
	t.key_id = 99;
	assert_int_equal(sg_token_mint(&k, &t, out, sizeof(out)), 0);
	assert_string_equal(out, kat);
}

static void
test_err_names(void **state)
{
	static const char *const names[] = {"ok",  "absent",  "format", "key",
					    "mac", "expired", "app"};
	unsigned int i;

	(void)state;
	for (i = 0; i < SG_TOKEN_E_MAX; i++)
		assert_string_equal(sg_token_err_name((enum sg_token_err)i), names[i]);
	assert_string_equal(sg_token_err_name(SG_TOKEN_E_MAX), "?");
	assert_string_equal(sg_token_err_name((enum sg_token_err) - 1), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),   cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_either_case),    cmocka_unit_test(test_absent_and_length),
		cmocka_unit_test(test_bad_characters), cmocka_unit_test(test_pad_bits),
		cmocka_unit_test(test_version),	       cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_mac_bit_flips),  cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_expired),	       cmocka_unit_test(test_ttl_max),
		cmocka_unit_test(test_other_app),      cmocka_unit_test(test_mint_errors),
		cmocka_unit_test(test_err_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
