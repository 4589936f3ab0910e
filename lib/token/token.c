/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * User tokens (sessiongate/sg_token.h): base32 text of 22 signed bytes and
 * a 12-byte truncated HMAC-SHA256.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sg_token_lib.h"

static const char b32_alpha[] = "abcdefghijklmnopqrstuvwxyz234567";

static const char *const err_names[SG_TOKEN_E_MAX] = {"ok",  "absent",	"format", "key",
						      "mac", "expired", "app"};

const char *
sg_token_err_name(enum sg_token_err e)
{
	return (unsigned int)e < SG_TOKEN_E_MAX ? err_names[e] : "?";
}

static void
b32_encode(const uint8_t *in, size_t n, char *out)
{
	uint32_t acc = 0;
	unsigned int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alpha[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = b32_alpha[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

static int
b32_val(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Exactly SG_TOKEN_TEXT_LEN characters into SG_TOKEN_BIN_LEN bytes; the 3 spare bits must be 0. */
static int
b32_decode(const char *text, uint8_t *out)
{
	uint32_t acc = 0;
	unsigned int bits = 0;
	size_t i, o = 0;
	int v;

	for (i = 0; i < SG_TOKEN_TEXT_LEN; i++) {
		v = b32_val(text[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (o != SG_TOKEN_BIN_LEN || (acc & ((1u << bits) - 1)) != 0)
		return -EINVAL;
	return 0;
}

static void
put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * HMAC contexts kept per thread, one per recently used key (MAC_SLOTS):
 * OpenSSL 3's one-shot HMAC() fetches the algorithm and allocates a context
 * per call (1.8 us a token on the development VM), re-keying a kept context
 * costs 0.57 us, re-starting one with its key 0.31 us. A slot is found by
 * the key's bytes (a key changed on reload gets a new slot); when no
 * context can be made, the one-shot call.
 */
#define MAC_SLOTS 8

struct mac_slot {
	EVP_MAC_CTX *ctx;
	uint8_t len; /**< 0: not keyed */
	uint8_t key[SG_TOKEN_KEY_MAX];
};

static EVP_MAC_CTX *
mac_new(void)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx;
	OSSL_PARAM p[2];

	if (mac == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context holds its own reference */
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL && EVP_MAC_CTX_set_params(ctx, p) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* A context started with @p k's key, or NULL. */
static EVP_MAC_CTX *
mac_start(const struct sg_token_key *k)
{
	static _Thread_local struct mac_slot slots[MAC_SLOTS];
	static _Thread_local unsigned int next;
	struct mac_slot *sl;
	unsigned int i;

	for (i = 0; i < MAC_SLOTS; i++) {
		sl = &slots[i];
		if (sl->len == k->len && sl->ctx != NULL && memcmp(sl->key, k->key, k->len) == 0)
			return EVP_MAC_init(sl->ctx, NULL, 0, NULL) == 1 ? sl->ctx : NULL;
	}
	sl = &slots[next++ % MAC_SLOTS];
	sl->len = 0;
	if (sl->ctx == NULL)
		sl->ctx = mac_new();
	if (sl->ctx == NULL || EVP_MAC_init(sl->ctx, k->key, k->len, NULL) != 1)
		return NULL;
	memcpy(sl->key, k->key, k->len);
	sl->len = k->len;
	return sl->ctx;
}

static int
token_mac(const struct sg_token_key *k, const uint8_t *msg, uint8_t *mac)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	EVP_MAC_CTX *ctx = mac_start(k);
	unsigned int len = 0;
	size_t n = 0;

	if (ctx != NULL) {
		if (EVP_MAC_update(ctx, msg, SG_TOKEN_SIGNED_LEN) != 1 ||
		    EVP_MAC_final(ctx, full, &n, sizeof(full)) != 1 || n < SG_TOKEN_MAC_LEN)
			return -EIO;
	} else if (HMAC(EVP_sha256(), k->key, k->len, msg, SG_TOKEN_SIGNED_LEN, full, &len) ==
			   NULL ||
		   len < SG_TOKEN_MAC_LEN) {
		return -EIO;
	}
	memcpy(mac, full, SG_TOKEN_MAC_LEN);
	return 0;
}

static bool
key_ok(const struct sg_token_key *k)
{
	return k != NULL && k->id != 0 && k->len >= SG_TOKEN_KEY_MIN && k->len <= SG_TOKEN_KEY_MAX;
}

int
sg_token_mint(const struct sg_token_key *k, const struct sg_token *t, char *out, size_t outlen)
{
	uint8_t bin[SG_TOKEN_BIN_LEN];

	if (!key_ok(k) || t == NULL || out == NULL || outlen < SG_TOKEN_TEXT_LEN + 1)
		return -EINVAL;
	bin[0] = SG_TOKEN_VERSION;
	bin[1] = k->id;
	put_be(bin + 2, t->user_id, 8);
	put_be(bin + 10, t->app_id, 8);
	put_be(bin + 18, t->expires, 4);
	if (token_mac(k, bin, bin + SG_TOKEN_SIGNED_LEN) < 0)
		return -EIO;
	b32_encode(bin, sizeof(bin), out);
	return 0;
}

enum sg_token_err
sg_token_verify(const char *text, size_t len, const struct sg_token_key *keys, unsigned int n_keys,
		uint64_t app_id, uint64_t now, struct sg_token *t)
{
	uint8_t bin[SG_TOKEN_BIN_LEN], mac[SG_TOKEN_MAC_LEN];
	const struct sg_token_key *k = NULL;
	struct sg_token c;
	unsigned int i;

	if (text == NULL || len == 0)
		return SG_TOKEN_E_ABSENT;
	if (len != SG_TOKEN_TEXT_LEN || b32_decode(text, bin) < 0 || bin[0] != SG_TOKEN_VERSION)
		return SG_TOKEN_E_FORMAT;
	for (i = 0; i < n_keys && i < SG_TOKEN_KEYS_MAX; i++)
		if (keys[i].id == bin[1] && key_ok(&keys[i]))
			k = &keys[i];
	if (k == NULL)
		return SG_TOKEN_E_KEY;
	if (token_mac(k, bin, mac) < 0 ||
	    CRYPTO_memcmp(mac, bin + SG_TOKEN_SIGNED_LEN, SG_TOKEN_MAC_LEN) != 0)
		return SG_TOKEN_E_MAC;
	c.key_id = bin[1];
	c.user_id = get_be(bin + 2, 8);
	c.app_id = get_be(bin + 10, 8);
	c.expires = (uint32_t)get_be(bin + 18, 4);
	if (t != NULL)
		*t = c;
	if (c.app_id != app_id)
		return SG_TOKEN_E_APP;
	/* expired, or valid for longer than any minter may sign (a leaked long-lived token) */
	if ((uint64_t)c.expires < now ||
	    (uint64_t)c.expires > now + SG_TOKEN_TTL_MAX + SG_TOKEN_SKEW_S)
		return SG_TOKEN_E_EXPIRED;
	return SG_TOKEN_OK;
}
