/* SPDX-License-Identifier: BSD-3-Clause */
/* The data plane's log type, registered once for the library and the program. */
#include "core/log.h"

RTE_LOG_REGISTER_DEFAULT(sg_dp_logtype, INFO);
