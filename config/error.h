/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * error.c: the error record and the bounded string copy of libsgcfg (not
 * installed). sg_cfg_error_set() and sg_cfg_error_format() are public
 * (sg_cfg_doc.h, sg_cfg.h).
 */
#ifndef SG_CFG_ERROR_H
#define SG_CFG_ERROR_H

#include <stddef.h>

#include "sg_cfg.h"

/** Copy @p src into @p dst (size @p dstlen), truncating; always NUL-terminates. */
void sg_cfg_strlcpy(char *dst, const char *src, size_t dstlen);

/** Fill @p err (may be NULL) from explicit parts; @p line 0 = no place. */
void sg_cfg_error_at(struct sg_cfg_error *err, const char *file, unsigned int line,
		     unsigned int column, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif /* SG_CFG_ERROR_H */
