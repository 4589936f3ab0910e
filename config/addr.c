/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4/IPv6 addresses and prefixes of the configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"

int
sg_cfg_addr_parse(const char *s, bool allow_prefix, struct sg_cfg_addr *out, char *why,
		  size_t whylen)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct sg_cfg_addr a;
	unsigned int maxlen, plen = 0;

	memset(&a, 0, sizeof(a));
	if (alen == 0 || alen >= INET6_ADDRSTRLEN) {
		snprintf(why, whylen, "not an address");
		return -EINVAL;
	}
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (strchr(text, ':') != NULL) {
		if (inet_pton(AF_INET6, text, a.v6) != 1) {
			snprintf(why, whylen, "not a valid IPv6 address");
			return -EINVAL;
		}
		a.family = AF_INET6;
		maxlen = 128;
	} else {
		if (inet_pton(AF_INET, text, &a.v4) != 1) {
			snprintf(why, whylen, "not a valid IPv4 address (a.b.c.d)");
			return -EINVAL;
		}
		a.family = AF_INET;
		maxlen = 32;
	}
	a.prefixlen = (uint8_t)maxlen;
	if (slash != NULL) {
		const char *p = slash + 1;

		if (!allow_prefix) {
			snprintf(why, whylen, "a prefix length is not allowed here");
			return -EINVAL;
		}
		if (*p == '\0' || strlen(p) > 3 || (p[0] == '0' && p[1] != '\0')) {
			snprintf(why, whylen, "the prefix length must be a number 0..%u", maxlen);
			return -EINVAL;
		}
		for (; *p != '\0'; p++) {
			if (*p < '0' || *p > '9') {
				snprintf(why, whylen, "the prefix length must be a number 0..%u",
					 maxlen);
				return -EINVAL;
			}
			plen = plen * 10 + (unsigned int)(*p - '0');
		}
		if (plen > maxlen) {
			snprintf(why, whylen, "prefix length %u is over %u", plen, maxlen);
			return -EINVAL;
		}
		a.prefixlen = (uint8_t)plen;
	}
	*out = a;
	return 0;
}

char *
sg_cfg_addr_format(const struct sg_cfg_addr *a, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return buf;
	if (a == NULL || (a->family != AF_INET && a->family != AF_INET6)) {
		snprintf(buf, len, "none");
		return buf;
	}
	if (inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 : (const void *)a->v6,
		      text, sizeof(text)) == NULL) {
		snprintf(buf, len, "invalid");
		return buf;
	}
	if (a->prefixlen != (a->family == AF_INET ? 32 : 128))
		snprintf(buf, len, "%s/%u", text, a->prefixlen);
	else
		snprintf(buf, len, "%s", text);
	return buf;
}

bool
sg_cfg_addr_equal(const struct sg_cfg_addr *a, const struct sg_cfg_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	if (a->family == AF_INET6)
		return memcmp(a->v6, b->v6, 16) == 0;
	return true;
}

bool
sg_cfg_addr_in_subnet(const struct sg_cfg_addr *net, const struct sg_cfg_addr *addr)
{
	unsigned int i, bits = net->prefixlen;

	if (net->family != addr->family)
		return false;
	if (net->family == AF_INET) {
		uint32_t mask = bits ? htonl(~0u << (32 - bits)) : 0;

		return (net->v4 & mask) == (addr->v4 & mask);
	}
	for (i = 0; i < 16 && bits > 0; i++) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		if ((net->v6[i] & mask) != (addr->v6[i] & mask))
			return false;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return true;
}

const char *
sg_cfg_addr_not_unicast(const struct sg_cfg_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == AF_INET) {
		uint32_t h = ntohl(a->v4);

		if (h == 0)
			return "is the unspecified address";
		if (h == 0xffffffffu)
			return "is the broadcast address";
		if ((h >> 28) == 0xe)
			return "is a multicast address";
		if ((h >> 24) == 127)
			return "is a loopback address";
		if ((h >> 24) == 0)
			return "is in 0.0.0.0/8 (this network)";
		return NULL;
	}
	if (a->family == AF_INET6) {
		if (memcmp(a->v6, zero, 16) == 0)
			return "is the unspecified address";
		if (memcmp(a->v6, zero, 15) == 0 && a->v6[15] == 1)
			return "is the loopback address";
		if (a->v6[0] == 0xff)
			return "is a multicast address";
		return NULL;
	}
	return "is not set";
}

const char *
sg_cfg_addr_family_name(uint8_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}
