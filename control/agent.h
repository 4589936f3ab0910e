/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * agent.c: the host-agent endpoint (include/sessiongate/sg_agent_proto.h).
 */
#ifndef SG_CTL_AGENT_H
#define SG_CTL_AGENT_H

#include "model.h"

struct sg_ctl;

int sg_ctl_agent_listen(struct sg_ctl *c);
void sg_ctl_agent_close(struct sg_ctl *c);

#endif /* SG_CTL_AGENT_H */
