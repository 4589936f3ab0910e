/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Admission of agent links (agent_gate.h): a connection is accepted only
 * from a configured host's agent source address, a HELLO may name only a
 * host whose source address it comes from, and each host has its own key.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "agent_gate.h"

/* The address bytes of @p sa in the wire's form (IPv4-mapped IPv6 as IPv4). */
static int
sa_addr(const struct sockaddr *sa, uint8_t *family, uint8_t addr[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET) {
		*family = SG_WIRE_FAMILY_V4;
		memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	*family = SG_WIRE_FAMILY_V6;
	if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = SG_WIRE_FAMILY_V4;
	}
	return 0;
}

bool
sg_ctl_agent_same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	uint8_t fa, fb, xa[16], xb[16];

	return sa_addr(a, &fa, xa) == 0 && sa_addr(b, &fb, xb) == 0 && fa == fb &&
	       memcmp(xa, xb, 16) == 0;
}

bool
sg_ctl_agent_host_allows(const struct sg_ctl_host_cfg *hc, const struct sockaddr *sa)
{
	uint8_t fam, addr[16];
	size_t n;

	if (sa_addr(sa, &fam, addr) < 0)
		return false;
	n = fam == SG_WIRE_FAMILY_V4 ? 4 : 16;
	if (hc->agent_family != 0)
		return fam == hc->agent_family && memcmp(addr, hc->agent_addr, n) == 0;
	return fam == hc->family && memcmp(addr, hc->addr, n) == 0;
}

bool
sg_ctl_agent_src_known(const struct sg_ctl_cfg *cfg, const struct sockaddr *sa)
{
	unsigned int i;

	for (i = 0; i < cfg->n_hosts; i++)
		if (!SG_CTL_SLOT_FREE(&cfg->hosts[i]) &&
		    sg_ctl_agent_host_allows(&cfg->hosts[i], sa))
			return true;
	return false;
}

int
sg_ctl_agent_host_key(const struct sg_ctl_cfg *cfg, const char *host, uint8_t key[SG_AGENT_KEY_MAX],
		      size_t *len)
{
	char path[SG_CTL_PATH_MAX + SG_CTL_NAME_MAX + 8];

	*len = 0;
	if (cfg->agent_key_dir[0] == '\0')
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s.key", cfg->agent_key_dir, host);
	return sg_agent_key_load(path, key, len);
}

void
sg_ctl_agent_peer_name(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		port = ntohs(in6->sin6_port);
	}
	snprintf(buf, len, "%s:%u", ip, port);
}
