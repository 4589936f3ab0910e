/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The data plane's registered log type (log.c) and its logging macro. Never
 * used on the worker path.
 */
#ifndef SG_DP_CORE_LOG_H
#define SG_DP_CORE_LOG_H

#include <rte_log.h>

/** Log type of sg-dataplane, "sessiongate.dataplane", level INFO by default. */
extern int sg_dp_logtype;

#define SG_DP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, sg_dp_logtype, "sg-dataplane: " fmt "\n", ##__VA_ARGS__)

#endif /* SG_DP_CORE_LOG_H */
