/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP answers of a refused session (httpans.h). */
#include <stdio.h>
#include <string.h>

#include "session/httpans.h"

/* Status line, one optional header line @p hdr (with its CRLF), a text body. */
static size_t
http_answer(char *buf, size_t cap, const char *status, const char *hdr, const char *body)
{
	int n = snprintf(buf, cap,
			 "HTTP/1.1 %s\r\n%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s",
			 status, hdr, strlen(body), body);

	return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}

size_t
sg_dp_http_403(char *buf, size_t cap)
{
	return http_answer(buf, cap, "403 Forbidden", "", "forbidden\n");
}

size_t
sg_dp_http_302(char *buf, size_t cap, const char *location, size_t loc_max)
{
	char hdr[320];
	size_t i;
	int n;

	for (i = 0; i < loc_max && location[i] != 0; i++)
		if ((unsigned char)location[i] < 0x21 || (unsigned char)location[i] > 0x7e)
			return 0;
	if (i == 0 || i == loc_max)
		return 0;
	n = snprintf(hdr, sizeof(hdr), "Location: %.*s\r\n", (int)i, location);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return 0;
	return http_answer(buf, cap, "302 Found", hdr, "login required\n");
}

size_t
sg_dp_http_429(char *buf, size_t cap, uint32_t retry_after_s)
{
	char hdr[32] = "";

	if (retry_after_s != 0)
		snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", (unsigned int)retry_after_s);
	return http_answer(buf, cap, "429 Too Many Requests", hdr, "too many sessions\n");
}
