/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Domain XML template substitution, without libvirt (unit-tested): the
 * built-in variables @NAME@ @UUID@ @DISK@ @ADDR@ @MAC@ and the template's
 * vars (@K@). A token @[A-Z][A-Z0-9_]{0,30}@ that names none of them is an
 * error; any other '@' is copied as is. Values are never re-scanned.
 */
#ifndef SG_HA_TPLRENDER_H
#define SG_HA_TPLRENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "ha_config.h"

#define SG_HA_MAC_LEN 18 /**< "52:54:00:xx:xx:xx" incl. NUL */

/** The values of one define. */
struct sg_ha_tpl_subst {
	const char *name;
	const char *uuid; /**< "" when none */
	const char *disk; /**< "" when none */
	const char *addr; /**< "" when none (a template using @ADDR@ is then refused) */
	char mac[SG_HA_MAC_LEN];
	const struct sg_ha_template_cfg *t; /**< vars; NULL = none */
};

/**
 * The MAC of VM @p name: 52:54:00 and the low 3 bytes of the 32-bit FNV-1a
 * hash of the name, lower-case hex (stable across restarts and hosts).
 */
void sg_ha_tpl_mac(const char *name, char out[SG_HA_MAC_LEN]);

/** True when @p v is printable ASCII without XML's special characters <>&'". */
bool sg_ha_tpl_value_ok(const char *v);

/** True when @p k is a variable name: [A-Z][A-Z0-9_]{0,30}. */
bool sg_ha_tpl_key_ok(const char *k);

/** True when @p k is a built-in variable (NAME, UUID, DISK, ADDR, MAC). */
bool sg_ha_tpl_key_builtin(const char *k);

/**
 * Substitute @p s into template @p tpl (@p n bytes) giving @p out (@p cap
 * bytes, NUL-terminated).
 * @return the output length, or -EINVAL (unknown variable, a value with an
 *   XML special character, @ADDR@ without an address) / -E2BIG (output over
 *   @p cap) with @p err filled (names the variable and its line).
 */
long sg_ha_tpl_render(const char *tpl, size_t n, const struct sg_ha_tpl_subst *s, char *out,
		      size_t cap, char *err, size_t errlen);

#endif /* SG_HA_TPLRENDER_H */
