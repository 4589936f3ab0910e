/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounded message texts (RESULT.TEXT, admin answers). */
#ifndef SG_HA_TEXT_H
#define SG_HA_TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/** vsnprintf into @p dst; long texts (libvirt's messages) are cut, on purpose. */
static inline void __attribute__((format(printf, 3, 4)))
sg_ha_textf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

#endif /* SG_HA_TEXT_H */
