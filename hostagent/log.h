/* SPDX-License-Identifier: BSD-3-Clause */
/* sg-hostagent logging: one line per event to stderr, syslog levels. */
#ifndef SG_HA_LOG_H
#define SG_HA_LOG_H

#include <syslog.h>

/** Lines above this level are dropped (LOG_INFO by default, LOG_DEBUG with -v). */
extern int sg_ha_log_level;

void sg_ha_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SG_HA_LOG_H */
