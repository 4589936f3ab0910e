/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * addr.c: IPv4/IPv6 addresses and prefixes of the configuration (not
 * installed). sg_cfg_addr_format() is public (sg_cfg.h).
 */
#ifndef SG_CFG_ADDR_H
#define SG_CFG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_cfg.h"

/**
 * Parse an IPv4/IPv6 address with an optional "/prefix" (only when
 * @p allow_prefix). On failure returns -EINVAL and writes a short reason into
 * @p why (e.g. "prefix length 33 is over 32").
 */
int sg_cfg_addr_parse(const char *s, bool allow_prefix, struct sg_cfg_addr *out, char *why,
		      size_t whylen);

/** True when @p a and @p b are the same address (family, bytes; prefix ignored). */
bool sg_cfg_addr_equal(const struct sg_cfg_addr *a, const struct sg_cfg_addr *b);

/** True when @p addr lies inside the subnet net/net->prefixlen (same family). */
bool sg_cfg_addr_in_subnet(const struct sg_cfg_addr *net, const struct sg_cfg_addr *addr);

/**
 * NULL when @p a is usable as a unicast host address, else a reason
 * ("is the unspecified address", "is multicast", ...).
 */
const char *sg_cfg_addr_not_unicast(const struct sg_cfg_addr *a);

/** "IPv4" or "IPv6" for messages. */
const char *sg_cfg_addr_family_name(uint8_t family);

#endif /* SG_CFG_ADDR_H */
