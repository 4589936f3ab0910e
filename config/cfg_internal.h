/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal helpers of libsgcfg shared between its files (not installed).
 */
#ifndef SG_CFG_INTERNAL_H
#define SG_CFG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_cfg.h"

/*
 * Parse an IPv4/IPv6 address with an optional "/prefix" (only when
 * allow_prefix). On failure returns -EINVAL and writes a short reason into
 * why (e.g. "prefix length 33 is over 32").
 */
int sg_cfg_addr_parse(const char *s, bool allow_prefix, struct sg_cfg_addr *out, char *why,
		      size_t whylen);

/* True when a and b are the same address (family, bytes; prefix ignored). */
bool sg_cfg_addr_equal(const struct sg_cfg_addr *a, const struct sg_cfg_addr *b);

/* True when addr lies inside the subnet net/net->prefixlen (same family). */
bool sg_cfg_addr_in_subnet(const struct sg_cfg_addr *net, const struct sg_cfg_addr *addr);

/*
 * NULL when a is usable as a unicast host address, else a reason
 * ("is the unspecified address", "is multicast", ...).
 */
const char *sg_cfg_addr_not_unicast(const struct sg_cfg_addr *a);

/* Copy src into dst (size dstlen), truncating; always NUL-terminates. */
void sg_cfg_strlcpy(char *dst, const char *src, size_t dstlen);

/* Fill err (may be NULL) from explicit parts; line 0 = no place. */
void sg_cfg_error_at(struct sg_cfg_error *err, const char *file, unsigned int line,
		     unsigned int column, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/*
 * Read a whole regular file of at most SG_CFG_FILE_MAX bytes into a new
 * NUL-terminated buffer (free()). 0 or -errno with err filled.
 */
int sg_cfg_read_file(const char *path, char **buf, size_t *len, struct sg_cfg_error *err);

struct sg_cfg_doc;
struct sg_cfg_node;

/*
 * cfg_brokered.c: appliance.control (into ap->control, defaults when n is
 * NULL) and a VS's "brokered" map (into s->brokered; defaults when absent;
 * an error when present on a VS of another mode). 0 or -EINVAL with err.
 */
int sg_cfg_parse_control(const struct sg_cfg_doc *doc, const struct sg_cfg_node *n,
			 struct sg_cfg_appliance *ap, struct sg_cfg_error *err);
int sg_cfg_parse_brokered(const struct sg_cfg_doc *doc, const struct sg_cfg_node *vs,
			  const char *prefix, struct sg_cfg_vs *s, struct sg_cfg_error *err);

#endif /* SG_CFG_INTERNAL_H */
