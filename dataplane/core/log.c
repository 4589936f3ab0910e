/* SPDX-License-Identifier: BSD-3-Clause */
/* The data plane's log type, registered once for the library and the program. */
#include "core/log.h"

/* Named for --log-level (e.g. --log-level=sessiongate.dataplane:debug). */
RTE_LOG_REGISTER(sg_dp_logtype, sessiongate.dataplane, INFO);
