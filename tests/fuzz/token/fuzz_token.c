/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: sg_token_find and sg_token_verify on hostile L7 keys,
 * the path sg-control's broker takes for every SESSION_NEW of a token app.
 *
 * Input: one byte choosing the key type (low 3 bits) and the verifier's
 * clock (next bits), then the key as the data plane would send it (cut to
 * SG_MSG_KEY_MAX bytes like the ring does, and also offered uncut).
 * Invariants:
 *   - find: NULL, or a non-empty span inside the key; NULL for keys over
 *     SG_MSG_KEY_MAX bytes;
 *   - verify of the span (and of the whole input): anything but ABSENT /
 *     FORMAT only for exactly SG_TOKEN_TEXT_LEN characters of the base32
 *     alphabet (either case);
 *   - a token that verifies (OK, or EXPIRED / APP with verified claims)
 *     is re-minted from its claims with the same key to the same text,
 *     lower-cased: one token per claims, no malleable encoding;
 *   - mint of claims taken from the input verifies back to those claims.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sessiongate/sg_msg.h"
#include "sg_token_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define APP 0x0f00000000000003ull /* vapp#3 (the seeds' app) */
#define EXP 1900000000u		  /* the seeds' expiry */

static struct sg_token_key keys[2];

static void
init_keys(void)
{
	unsigned int i;

	if (keys[0].id != 0)
		return;
	keys[0].id = 7; /* the seeds' key: bytes 0..31 */
	keys[0].len = 32;
	keys[1].id = 9;
	keys[1].len = 64;
	for (i = 0; i < 64; i++) {
		keys[0].key[i] = i < 32 ? (uint8_t)i : 0;
		keys[1].key[i] = (uint8_t)(0xa5 ^ i);
	}
}

static bool
b32_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
}

static void
check_verify(const char *text, size_t len, uint64_t now)
{
	char again[SG_TOKEN_TEXT_LEN + 1];
	struct sg_token t;
	enum sg_token_err e;
	size_t i;

	memset(&t, 0, sizeof(t));
	e = sg_token_verify(text, len, keys, 2, APP, now, &t);
	if ((unsigned int)e >= SG_TOKEN_E_MAX)
		abort();
	if (e == SG_TOKEN_E_ABSENT && len != 0)
		abort();
	if (e == SG_TOKEN_E_ABSENT || e == SG_TOKEN_E_FORMAT)
		return;
	if (len != SG_TOKEN_TEXT_LEN)
		abort();
	for (i = 0; i < len; i++)
		if (!b32_char((uint8_t)text[i]))
			abort();
	if (e != SG_TOKEN_OK && e != SG_TOKEN_E_EXPIRED && e != SG_TOKEN_E_APP)
		return; /* KEY, MAC: no claims */
	if (sg_token_mint(t.key_id == 7 ? &keys[0] : &keys[1], &t, again, sizeof(again)) != 0)
		abort();
	for (i = 0; i < len; i++) {
		char c = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] + 32) : text[i];

		if (c != again[i])
			abort();
	}
	if (e == SG_TOKEN_OK && (t.app_id != APP || t.expires < now))
		abort();
}

static void
check_find(unsigned int type, const uint8_t *key, size_t klen, uint64_t now)
{
	size_t len = 0;
	uint16_t kl = (uint16_t)(klen > UINT16_MAX ? UINT16_MAX : klen);
	const char *t = sg_token_find(type, key, kl, &len);

	if (t == NULL)
		return;
	if (kl > SG_MSG_KEY_MAX || len == 0 || t < (const char *)key ||
	    t + len > (const char *)key + kl)
		abort();
	check_verify(t, len, now);
}

/* Claims from the input, minted and verified back. */
static void
check_mint(const uint8_t *data, size_t size)
{
	struct sg_token c, t;
	char text[SG_TOKEN_TEXT_LEN + 1];
	uint8_t b[20] = {0};

	memcpy(b, data, size < sizeof(b) ? size : sizeof(b));
	memcpy(&c.user_id, b, 8);
	memcpy(&c.app_id, b + 8, 8);
	memcpy(&c.expires, b + 16, 4);
	c.key_id = 0;
	if (sg_token_mint(&keys[b[0] & 1], &c, text, sizeof(text)) != 0 ||
	    strlen(text) != SG_TOKEN_TEXT_LEN)
		abort();
	if (sg_token_verify(text, SG_TOKEN_TEXT_LEN, keys, 2, c.app_id, c.expires, &t) !=
		    SG_TOKEN_OK ||
	    t.user_id != c.user_id || t.app_id != c.app_id || t.expires != c.expires ||
	    t.key_id != keys[b[0] & 1].id)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t clocks[] = {EXP - 100000, EXP + 1, 0, UINT64_MAX};
	uint64_t now;
	unsigned int type;
	size_t klen;

	init_keys();
	if (size < 1)
		return 0;
	type = data[0] & 7;
	now = clocks[(data[0] >> 3) & 3];
	klen = size - 1 > SG_MSG_KEY_MAX ? SG_MSG_KEY_MAX : size - 1;
	check_find(type, data + 1, klen, now);	   /* as the ring carries it */
	check_find(type, data + 1, size - 1, now); /* uncut: over 160 bytes refused */
	check_verify((const char *)data + 1, size - 1, now);
	check_mint(data + 1, size - 1);
	return 0;
}
