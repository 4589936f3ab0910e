/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Replace a file atomically: readers see the old content or the new one,
 * never a part (BIRD's configuration, sg-routed's status file).
 */
#ifndef SG_RT_ATOMIC_H
#define SG_RT_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

/**
 * Write @p len bytes of @p data to "<path>.<pid>.tmp", fsync it, give it @p mode
 * and rename it over @p path. @return 0, or -errno of the failed step
 * (-ENAMETOOLONG for a path too long for the temporary name).
 */
int sg_rt_file_replace(const char *path, const char *data, size_t len, mode_t mode);

#endif /* SG_RT_ATOMIC_H */
