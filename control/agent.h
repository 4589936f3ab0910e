/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * agent.c: the host-agent endpoint (include/sessiongate/sg_agent_proto.h).
 */
#ifndef SG_CTL_AGENT_H
#define SG_CTL_AGENT_H

#include "model.h"

struct event_base;
struct sg_ctl_bus;
struct sg_ctl_agent_srv;

/** What the agent endpoint works with, given by the wiring. */
struct sg_ctl_agent_deps {
	const struct sg_ctl_cfg *cfg; /**< agent_listen, agent_key_dir, hosts */
	struct event_base *base;
	struct sg_ctl_clock *clk;      /**< refreshed when a message arrives */
	struct sg_ctl_bus *bus;	       /**< VM-manager providers, VM state events */
	struct sg_ctl_inv *inv;	       /**< hosts and VMs by name */
	struct sg_ctl_agent_stats *st; /**< the defences' counters */
	void (*step_end)(void *ctx);   /**< after each event: commit */
	void *ctx;
};

/** Listen on cfg->agent_listen; *@p out is set (close it) even on error. */
int sg_ctl_agent_listen(struct sg_ctl_agent_srv **out, const struct sg_ctl_agent_deps *deps);
/**
 * Push @p vm's definition (VM_DEFINE) to its host's agent, when that agent
 * is connected and the VM has a template (cfg->template_name); a VM without
 * one is the agent's own. Called when a VM is added or changed at run time;
 * on each agent's AUTH_OK the whole pushed inventory goes (VM_DEFINE x n,
 * INVENTORY).
 */
void sg_ctl_agent_push_vm(struct sg_ctl_agent_srv *s, const struct sg_ctl_vm *vm);
/** Tell host @p h's agent to forget pushed VM @p name (VM_UNDEFINE). */
void sg_ctl_agent_forget_vm(struct sg_ctl_agent_srv *s, const struct sg_ctl_host *h,
			    const char *name);
/** Close every connection and the listener, and free @p s (NULL: nothing). */
void sg_ctl_agent_close(struct sg_ctl_agent_srv *s);
/** Host @p h was removed (inventory.c): its agent link, if any, is closed. */
void sg_ctl_agent_drop_host(struct sg_ctl_agent_srv *s, struct sg_ctl_host *h);

#endif /* SG_CTL_AGENT_H */
