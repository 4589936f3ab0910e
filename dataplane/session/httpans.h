/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * HTTP answers of a refused session (httpans.c): 403, 302 to a login page,
 * 429; each with Connection: close and a short text body. The 503 and the
 * 307 of a redirect are tcpgen.h's.
 */
#ifndef SG_DP_SESSION_HTTPANS_H
#define SG_DP_SESSION_HTTPANS_H

#include <stddef.h>
#include <stdint.h>

/**
 * "HTTP/1.1 403 Forbidden" into @p buf.
 * @return bytes written (no NUL counted), or 0 when @p cap is too small.
 */
size_t sg_dp_http_403(char *buf, size_t cap);

/**
 * "HTTP/1.1 302 Found" with Location: @p location, at most @p loc_max
 * bytes of it (NUL-terminated within them), into @p buf.
 * @return bytes written, or 0 when @p cap is too small, the location is
 *   empty, not terminated within @p loc_max or holds a byte outside
 *   0x21-0x7e (no header injection).
 */
size_t sg_dp_http_302(char *buf, size_t cap, const char *location, size_t loc_max);

/**
 * "HTTP/1.1 429 Too Many Requests", with Retry-After: @p retry_after_s when
 * not 0, into @p buf.
 * @return bytes written, or 0 when @p cap is too small.
 */
size_t sg_dp_http_429(char *buf, size_t cap, uint32_t retry_after_s);

#endif /* SG_DP_SESSION_HTTPANS_H */
