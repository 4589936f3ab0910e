/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * L7 keys of a brokered session, extracted from a contiguous prefix of
 * the client's first bytes (sg_dp_hold_peek()): HTTP/1.x Host, path, a
 * named cookie or header (kept with its name); TLS ClientHello SNI; RDP X.224 routing cookie;
 * or a prefix of the payload.
 *
 * Rules common to every extractor:
 *  - @p buf holds the first @p len bytes the client sent; @p final says no
 *    more will come (the client stopped, or the hold buffer is full). At
 *    most SG_DP_L7_SCAN_MAX bytes are looked at: a longer @p len counts as
 *    final at that many bytes.
 *  - SG_DP_L7_NEED_MORE: the bytes so far are a valid beginning but do not
 *    decide the key; only returned when @p final is false. With final set,
 *    a truncated but well-formed beginning gives SG_DP_L7_ABSENT (or FOUND
 *    when the key was already complete).
 *  - SG_DP_L7_FOUND: @p key holds *key_len bytes (1..SG_MSG_KEY_MAX), each
 *    copied (HTTP Host and SNI: lower-cased) from @p buf.
 *  - SG_DP_L7_ABSENT: well-formed, no such key (also: an empty value).
 *  - SG_DP_L7_MALFORMED: not the expected protocol, a length that lies, a
 *    forbidden byte, a line or key over its limit (a key longer than
 *    SG_MSG_KEY_MAX is MALFORMED, never truncated: two different long keys
 *    must not collide; only PREFIX truncates, by definition), or bad
 *    arguments (name NULL, empty or not a token where one is required).
 *  - @p key must have room for SG_MSG_KEY_MAX bytes; *key_len is 0 unless
 *    FOUND. No allocation, no state; every loop is bounded by @p len.
 */
#ifndef SG_DP_L7KEY_H
#define SG_DP_L7KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sessiongate/sg_msg.h"

#define SG_DP_L7_SCAN_MAX      16384 /**< bytes of client data looked at, at most */
#define SG_DP_L7_HTTP_LINE_MAX 8190  /**< longest HTTP request or header line (with CRLF) */
#define SG_DP_L7_NAME_MAX      64    /**< longest cookie / header name argument */
#define SG_DP_L7_RDP_TPKT_MAX  2048  /**< longest X.224 Connection Request TPKT accepted */

enum sg_dp_l7_result {
	SG_DP_L7_FOUND,
	SG_DP_L7_NEED_MORE,
	SG_DP_L7_ABSENT,
	SG_DP_L7_MALFORMED,
};

/**
 * HTTP/1.x Host header value, lower-cased, port kept as sent. Needs the
 * whole header block (up to the empty line): more than one Host header is
 * MALFORMED (RFC 9112 section 3.2). Allowed bytes: letters, digits and
 * -._~!$&'()*+,;=%:[] (anything else, non-ASCII included, is MALFORMED).
 */
enum sg_dp_l7_result sg_dp_l7_http_host(const uint8_t *buf, size_t len, bool final, uint8_t *key,
					uint16_t *key_len);

/**
 * Path of the request-target (origin form "/p?q" or absolute form
 * "http://h/p?q"), without query or fragment, as sent (no decoding).
 * Needs only the request line. Asterisk and authority forms: ABSENT.
 */
enum sg_dp_l7_result sg_dp_l7_http_path(const uint8_t *buf, size_t len, bool final, uint8_t *key,
					uint16_t *key_len);

/**
 * The cookie @p name (case-sensitive) of the first Cookie header that has
 * it, as "NAME=value" (sg_msg.h v4: the name kept, as sg-control's
 * http_cookie rule looks for it); surrounding double quotes of the value
 * removed. The value must be cookie-octets (RFC 6265); an empty value is
 * ABSENT; NAME=value longer than SG_MSG_KEY_MAX is MALFORMED. Needs the
 * header block up to that cookie (or to its end for ABSENT).
 */
enum sg_dp_l7_result sg_dp_l7_http_cookie(const char *name, const uint8_t *buf, size_t len,
					  bool final, uint8_t *key, uint16_t *key_len);

/**
 * The first header @p name (matched case-insensitively) as "Name: value":
 * the name as @p name spells it, one space, the value with surrounding
 * blanks removed, bytes as sent (obs-text allowed, control bytes other
 * than HT are MALFORMED). An empty value is ABSENT; the whole key longer
 * than SG_MSG_KEY_MAX is MALFORMED.
 */
enum sg_dp_l7_result sg_dp_l7_http_header(const char *name, const uint8_t *buf, size_t len,
					  bool final, uint8_t *key, uint16_t *key_len);

/**
 * host_name of the server_name extension of a TLS ClientHello, lower-cased
 * (letters, digits, '-', '.', '_' only). Only the first record is read:
 * a ClientHello whose extensions continue in a second record gives ABSENT
 * when the name is not in the first. Every length (record <= 16384,
 * handshake, session id, cipher suites, compression, extensions, server
 * name list, name) is checked against its container: a lie is MALFORMED.
 */
enum sg_dp_l7_result sg_dp_l7_tls_sni(const uint8_t *buf, size_t len, bool final, uint8_t *key,
				      uint16_t *key_len);

/**
 * Routing cookie of an RDP X.224 Connection Request (TPKT version 3, at
 * most SG_DP_L7_RDP_TPKT_MAX bytes, waited for whole): the text after
 * "Cookie: " up to CRLF, which is "mstshash=<name>" or "msts=<token>"
 * (the key keeps that prefix so the two kinds never collide). No cookie
 * (e.g. only an RDP_NEG_REQ): ABSENT. Bytes 0x20-0x7e only.
 */
enum sg_dp_l7_result sg_dp_l7_rdp_cookie(const uint8_t *buf, size_t len, bool final, uint8_t *key,
					 uint16_t *key_len);

/**
 * The first @p n bytes (1..SG_MSG_KEY_MAX, larger is clamped): FOUND once
 * @p n bytes are there, or with final set with the 1..n-1 bytes there.
 */
enum sg_dp_l7_result sg_dp_l7_prefix(size_t n, const uint8_t *buf, size_t len, bool final,
				     uint8_t *key, uint16_t *key_len);

/**
 * Extract key @p type: HTTP_HOST, HTTP_PATH, HTTP_COOKIE (@p name = cookie
 * name), HTTP_HEADER (@p name = header name), TLS_SNI, RDP_COOKIE, PREFIX
 * (@p name NULL: SG_MSG_KEY_MAX bytes,
 * else the decimal byte count 1..160 it spells). SG_MSG_L7_NONE and
 * unknown types: ABSENT.
 */
enum sg_dp_l7_result sg_dp_l7_extract(enum sg_msg_l7 type, const char *name, const uint8_t *buf,
				      size_t len, bool final, uint8_t *key, uint16_t *key_len);

#endif /* SG_DP_L7KEY_H */
