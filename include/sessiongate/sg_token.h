/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The user token (doc/identity.md "Tokens"), version SG_TOKEN_VERSION.
 * Owner: lib/token (mint, parse, verify); readers: sg-control (broker),
 * sgctl and sg-token (mint), and any login service that issues tokens.
 *
 * A token says "user U may use application A until T", signed with a key
 * of A. sg-control verifies it without a round trip; the user ID is the
 * identity manager's persistent user ID (sessiongate/sg_id.h encoding).
 *
 * Binary form, SG_TOKEN_BIN_LEN bytes, integers big-endian:
 *
 *     off len
 *       0   1  version      SG_TOKEN_VERSION
 *       1   1  key_id       which of the application's keys signed it (rotation)
 *       2   8  user_id      persistent user ID
 *      10   8  app_id       persistent application ID
 *      18   4  expires      Unix seconds; the token is refused after it
 *      22  12  mac          HMAC-SHA256(key, bytes 0..21), first 12 bytes
 *
 * Text form: the 34 bytes in base32 (RFC 4648 alphabet, written lower
 * case, no padding), SG_TOKEN_TEXT_LEN = 55 characters. Base32, not
 * base64url: a token must survive where case does not (a TLS SNI label, a
 * Host name: DNS compares without case, and clients lower-case them) and
 * must be one DNS label (<= 63 characters of [a-z0-9]); readers accept
 * either case. The same text fits a cookie value, a header value, a path
 * segment and an RDP mstshash, and leaves room in the ring's 160-byte key.
 *
 * Where it is carried, by the application's match type (doc/control.md):
 *   http_cookie: the cookie's value;   http_header: the header's value;
 *   http_host, tls_sni: the first label ("<token>.desk.example");
 *   http_path: the first path segment ("/<token>/...");
 *   rdp_cookie: "mstshash=<token>" (or the routing token "msts=<token>").
 *
 * Keys: 32..64 random bytes per key; an application has up to
 * SG_TOKEN_KEYS_MAX keys at once, each with its key_id (1..255), so a new
 * key is added, tokens are minted with it, and the old key is removed
 * once its tokens expired.
 */
#ifndef SG_TOKEN_H
#define SG_TOKEN_H

#define SG_TOKEN_VERSION    1
#define SG_TOKEN_BIN_LEN    34
#define SG_TOKEN_SIGNED_LEN 22 /**< bytes the MAC covers */
#define SG_TOKEN_MAC_LEN    12
#define SG_TOKEN_TEXT_LEN   55 /**< base32 characters, no padding */
#define SG_TOKEN_KEY_MIN    32
#define SG_TOKEN_KEY_MAX    64
#define SG_TOKEN_KEYS_MAX   4	     /**< keys per application at once */
#define SG_TOKEN_TTL_MAX    31622400 /**< seconds (366 days): a longer expiry is refused */

#endif /* SG_TOKEN_H */
