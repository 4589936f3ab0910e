/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * agent_msg.c: the reports of an authenticated host agent (agent.c hands
 * them over once their tag is checked).
 */
#ifndef SG_CTL_AGENT_MSG_H
#define SG_CTL_AGENT_MSG_H

#include "agent.h"

#include "sessiongate/sg_agent_proto.h"

/** A VM_STATE of host @p h's agent: a VM-state event for a VM of that host. */
void sg_ctl_agent_vm_state(const struct sg_ctl_agent_deps *d, struct sg_ctl_host *h,
			   const struct sg_agent_msg *m);

/** A RESULT of host @p h's agent: completes the request it answers (seq). */
void sg_ctl_agent_result(const struct sg_ctl_agent_deps *d, struct sg_ctl_host *h,
			 const struct sg_agent_msg *m);

/**
 * Fill @p m with the VM_DEFINE of pushed @p vm (name, template, address,
 * port, protocol, FLAGS probe) under request id @p seq.
 */
void sg_ctl_agent_define_msg(const struct sg_ctl_vm *vm, uint32_t seq, struct sg_agent_msg *m);

/**
 * The agent refused @p vm's VM_DEFINE (RESULT @p m with an error): the VM
 * fails, its why the agent's text, counted in push_failures.
 */
void sg_ctl_agent_define_failed(const struct sg_ctl_agent_deps *d, struct sg_ctl_vm *vm,
				const struct sg_agent_msg *m);

#endif /* SG_CTL_AGENT_MSG_H */
