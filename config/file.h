/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * file.c: reading a configuration file whole (not installed).
 * sg_cfg_doc_load() is public (sg_cfg_doc.h).
 */
#ifndef SG_CFG_FILE_H
#define SG_CFG_FILE_H

#include <stddef.h>

#include "sg_cfg.h"

/**
 * Read a whole regular file of at most SG_CFG_FILE_MAX bytes into a new
 * NUL-terminated buffer (free()). 0 or -errno with @p err filled.
 */
int sg_cfg_read_file(const char *path, char **buf, size_t *len, struct sg_cfg_error *err);

#endif /* SG_CFG_FILE_H */
