/* SPDX-License-Identifier: BSD-3-Clause */
/* Where a token sits in each kind of L7 key (sessiongate/sg_token.h). */
#include <string.h>

#include "sessiongate/sg_msg.h"
#include "sg_token_lib.h"

/* The bytes after the first @p sep (and the spaces after it), to the end. */
static const char *
after(const uint8_t *key, uint16_t klen, uint8_t sep, size_t *len)
{
	const uint8_t *p = memchr(key, sep, klen);
	size_t i;

	if (p == NULL)
		return NULL;
	i = (size_t)(p - key) + 1;
	while (i < klen && key[i] == ' ')
		i++;
	*len = klen - i;
	return *len > 0 ? (const char *)key + i : NULL;
}

/* From @p start up to the first byte of @p stops (or the end). */
static const char *
span(const uint8_t *key, uint16_t klen, size_t start, const char *stops, size_t *len)
{
	size_t i;

	for (i = start; i < klen && (key[i] == '\0' || strchr(stops, key[i]) == NULL); i++)
		;
	*len = i - start;
	return *len > 0 ? (const char *)key + start : NULL;
}

/* The value after "@p name=" when @p key starts with it (RDP cookies). */
static const char *
named(const uint8_t *key, uint16_t klen, const char *name, size_t *len)
{
	size_t n = strlen(name);

	if (klen <= n || memcmp(key, name, n) != 0)
		return NULL;
	*len = klen - n;
	return (const char *)key + n;
}

const char *
sg_token_find(unsigned int key_type, const uint8_t *key, uint16_t key_len, size_t *len)
{
	const char *t;

	if (key == NULL || len == NULL || key_len == 0 || key_len > SG_MSG_KEY_MAX)
		return NULL;
	switch (key_type) {
	case SG_MSG_L7_HTTP_COOKIE:
		return after(key, key_len, '=', len);
	case SG_MSG_L7_HTTP_HEADER:
		return after(key, key_len, ':', len);
	case SG_MSG_L7_HTTP_HOST:
	case SG_MSG_L7_TLS_SNI:
		return span(key, key_len, 0, ".:", len);
	case SG_MSG_L7_HTTP_PATH:
		return key[0] == '/' ? span(key, key_len, 1, "/?#", len) : NULL;
	case SG_MSG_L7_RDP_COOKIE: /* "mstshash=<token>" or the routing token "msts=<token>" */
		t = named(key, key_len, "mstshash=", len);
		return t != NULL ? t : named(key, key_len, "msts=", len);
	default:
		return NULL;
	}
}
