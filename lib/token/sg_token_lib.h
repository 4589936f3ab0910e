/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/token: mint, parse and verify user tokens (sessiongate/sg_token.h).
 * No allocation; the MAC is OpenSSL's HMAC-SHA256 and compared in
 * constant time.
 */
#ifndef SG_TOKEN_LIB_H
#define SG_TOKEN_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "sessiongate/sg_token.h"

/**
 * Clock skew allowed between a minter and sg-control: a token whose expiry is
 * more than SG_TOKEN_TTL_MAX + SG_TOKEN_SKEW_S seconds after the verifier's
 * now is refused (SG_TOKEN_E_EXPIRED), as an expired one is.
 */
#define SG_TOKEN_SKEW_S 3600

/** One signing key of an application. */
struct sg_token_key {
	uint8_t id;  /**< 1..255 */
	uint8_t len; /**< SG_TOKEN_KEY_MIN..SG_TOKEN_KEY_MAX */
	uint8_t key[SG_TOKEN_KEY_MAX];
};

/** A token's claims. */
struct sg_token {
	uint8_t key_id;
	uint64_t user_id;
	uint64_t app_id;
	uint32_t expires; /**< Unix seconds */
};

/** Why a token was refused (counted per reason by its readers). */
enum sg_token_err {
	SG_TOKEN_OK = 0,
	SG_TOKEN_E_ABSENT,  /**< no token where the application carries it */
	SG_TOKEN_E_FORMAT,  /**< wrong length, character, padding bits or version */
	SG_TOKEN_E_KEY,	    /**< key_id is none of the application's keys */
	SG_TOKEN_E_MAC,	    /**< signature does not verify (forged or altered) */
	SG_TOKEN_E_EXPIRED, /**< expires is in the past, or too far ahead (SG_TOKEN_SKEW_S) */
	SG_TOKEN_E_APP,	    /**< signed for another application */
	SG_TOKEN_E_MAX
};

/** "ok", "absent", "format", "key", "mac", "expired", "app". */
const char *sg_token_err_name(enum sg_token_err e);

/**
 * Mint: write the SG_TOKEN_TEXT_LEN characters and a NUL into @p out
 * (@p outlen >= SG_TOKEN_TEXT_LEN + 1), signed with @p k (t->key_id is
 * taken from @p k). @return 0, or -EINVAL (bad key, outlen short).
 */
int sg_token_mint(const struct sg_token_key *k, const struct sg_token *t, char *out, size_t outlen);

/**
 * Parse and verify the @p len characters at @p text (exactly
 * SG_TOKEN_TEXT_LEN, either case) against @p keys of application
 * @p app_id at time @p now (Unix seconds). Fills @p t on success (and, for
 * E_EXPIRED / E_APP, with the verified claims). Checks in this order:
 * format, key, MAC, app, expiry. Only the first SG_TOKEN_KEYS_MAX of
 * @p n_keys keys are consulted.
 */
enum sg_token_err sg_token_verify(const char *text, size_t len, const struct sg_token_key *keys,
				  unsigned int n_keys, uint64_t app_id, uint64_t now,
				  struct sg_token *t);

/**
 * Read a key file: hex text (64..128 hex digits, optional trailing
 * newline; a file of hex digits only is always read as hex), else raw bytes
 * (32..64). Refuses files readable or writable by group or others, links
 * and anything not a regular file.
 * @return 0, or -errno with @p err filled ("<path>: ...").
 */
int sg_token_key_load(const char *path, uint8_t id, struct sg_token_key *k, char *err,
		      size_t errlen);

/**
 * Find the token in an L7 key of type @p key_type (enum sg_msg_l7) as the
 * header's table says (cookie/header value, first label, first path
 * segment, mstshash or the RDP routing token "msts="). A key longer than
 * SG_MSG_KEY_MAX is refused. @return its start and *len (> 0), or NULL.
 */
const char *sg_token_find(unsigned int key_type, const uint8_t *key, uint16_t key_len, size_t *len);

#endif /* SG_TOKEN_LIB_H */
