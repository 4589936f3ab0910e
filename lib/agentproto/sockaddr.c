/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The boundary between the protocol's addresses (wire family 4 / 6,
 * include/sessiongate/sg_wire.h) and the socket API (AF_INET / AF_INET6):
 * the one place where one is converted to the other.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "sessiongate/sg_agent_proto.h"

int
sg_agent_addr_from_af(struct sg_agent_addr *a, int af, const void *bytes)
{
	memset(a, 0, sizeof(*a));
	if (af == AF_INET)
		a->family = SG_WIRE_FAMILY_V4;
	else if (af == AF_INET6)
		a->family = SG_WIRE_FAMILY_V6;
	else
		return -EAFNOSUPPORT;
	memcpy(a->bytes, bytes, SG_WIRE_FAMILY_LEN(a->family));
	return 0;
}

int
sg_agent_addr_af(const struct sg_agent_addr *a)
{
	return a->family == SG_WIRE_FAMILY_V4	? AF_INET
	       : a->family == SG_WIRE_FAMILY_V6 ? AF_INET6
						: AF_UNSPEC;
}

int
sg_agent_addr_to_sockaddr(const struct sg_agent_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == SG_WIRE_FAMILY_V4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->bytes, 4);
		return (int)sizeof(*s4);
	}
	if (a->family == SG_WIRE_FAMILY_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		return (int)sizeof(*s6);
	}
	return -EAFNOSUPPORT;
}
