/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Addresses and flow keys as the data plane holds them, and the one
 * conversion between its address family (AF_INET / AF_INET6) and the wire
 * encoding of include/sessiongate/sg_wire.h.
 */
#ifndef SG_DP_CORE_ADDR_H
#define SG_DP_CORE_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
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

/**
 * Write @p k's last 8-byte word (ports in network order, protocol, family,
 * zero padding) with one store. sg_dp_flow_sig() reads the key 8 bytes at a
 * time: a word read whole from smaller stores still in flight cannot be
 * forwarded from them and waits for them to reach the cache (a
 * store-forwarding stall; the parse's field-by-field key cost ~13 % of the
 * burst's samples at 1M NAT flows).
 */
static inline void
sg_dp_key_put_tail(struct sg_dp_flow_key *k, uint16_t sport, uint16_t dport, uint8_t proto,
		   uint8_t family)
{
	uint64_t w;

	RTE_BUILD_BUG_ON(offsetof(struct sg_dp_flow_key, dport) !=
			 offsetof(struct sg_dp_flow_key, sport) + 2);
	RTE_BUILD_BUG_ON(offsetof(struct sg_dp_flow_key, proto) !=
			 offsetof(struct sg_dp_flow_key, sport) + 4);
	RTE_BUILD_BUG_ON(offsetof(struct sg_dp_flow_key, family) !=
			 offsetof(struct sg_dp_flow_key, sport) + 5);
	RTE_BUILD_BUG_ON(offsetof(struct sg_dp_flow_key, sport) != 32 || sizeof(*k) != 40);
#if RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN
	w = sport | (uint32_t)dport << 16 | (uint64_t)proto << 32 | (uint64_t)family << 40;
#else
	w = (uint64_t)sport << 48 | (uint64_t)dport << 32 | (uint64_t)proto << 24 |
	    (uint64_t)family << 16;
#endif
	memcpy(&k->sport, &w, 8);
}

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
