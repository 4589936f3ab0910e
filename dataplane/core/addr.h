/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Addresses and flow keys as the data plane holds them, and the one
 * conversion between its address family (AF_INET / AF_INET6) and the wire
 * encoding of include/sessiongate/sg_wire.h.
 */
#ifndef SG_DP_CORE_ADDR_H
#define SG_DP_CORE_ADDR_H

#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_common.h>

#include "sessiongate/sg_wire.h"

/** An address of either family: IPv4 in a[0..3], the rest zero. */
struct sg_dp_ip {
	uint8_t family;
	uint8_t a[16];
};

/**
 * Flow (and VS / address) key: the 5-tuple in network order. IPv4
 * addresses occupy the first four bytes, the rest is zero. 40 bytes.
 */
struct sg_dp_flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport; /**< network order */
	uint16_t dport; /**< network order */
	uint8_t proto;
	uint8_t family;
	uint8_t pad[2];
} __rte_aligned(8); /* hashed 8 bytes at a time */

/** Bytes of an address of data-plane family @p family (AF_INET: 4, else 16). */
static inline unsigned int
sg_dp_addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static inline void
sg_dp_ip_set(struct sg_dp_ip *ip, uint8_t family, const uint8_t *a)
{
	ip->family = family;
	memset(ip->a, 0, sizeof(ip->a));
	memcpy(ip->a, a, sg_dp_addr_len(family));
}

/** Wire encoding (SG_WIRE_FAMILY_V4 / _V6) of data-plane family @p family. */
static inline uint8_t
sg_dp_family_to_wire(uint8_t family)
{
	return family == AF_INET ? SG_WIRE_FAMILY_V4 : SG_WIRE_FAMILY_V6;
}

/** Data-plane family of wire family @p wire: AF_INET, AF_INET6, or 0 if neither. */
static inline uint8_t
sg_dp_family_from_wire(uint8_t wire)
{
	return wire == SG_WIRE_FAMILY_V4 ? AF_INET : wire == SG_WIRE_FAMILY_V6 ? AF_INET6 : 0;
}

#endif /* SG_DP_CORE_ADDR_H */
