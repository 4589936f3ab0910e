/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "log.h"

int sg_ha_log_level = LOG_INFO;

void
sg_ha_log(int level, const char *fmt, ...)
{
	static const char *const names[] = {"emerg",   "alert",	 "crit", "err",
					    "warning", "notice", "info", "debug"};
	struct timespec ts;
	char line[1024];
	va_list ap;

	if (level > sg_ha_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%lld.%03ld sg-hostagent %s: %s\n", (long long)ts.tv_sec,
		ts.tv_nsec / 1000000, names[level & 7], line);
}
