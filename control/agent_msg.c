/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What an authenticated agent reports (agent_msg.h): VM_STATE events and
 * RESULT answers, turned into VM-state events and request completions on
 * the service bus.
 */
#include <stdio.h>
#include <syslog.h>

#include "agent_msg.h"
#include "bus.h"
#include "vm.h"

static unsigned int
map_state(uint8_t s)
{
	switch (s) {
	case SG_AGENT_VM_UNDEFINED:
	case SG_AGENT_VM_SHUTOFF:
		return SG_CTL_VM_STOPPED;
	case SG_AGENT_VM_BOOTING:
		return SG_CTL_VM_STARTING;
	case SG_AGENT_VM_RUNNING:
		return SG_CTL_VM_RUNNING;
	case SG_AGENT_VM_STOPPING:
		return SG_CTL_VM_STOPPING;
	case SG_AGENT_VM_CRASHED:
		return SG_CTL_VM_FAILED;
	case SG_AGENT_VM_APP_DOWN:
		return SG_CTL_VM_APP_DOWN;
	default: /* unknown, paused */
		return SG_CTL_VM_UNKNOWN;
	}
}

static struct sg_ctl_vm *
host_vm(const struct sg_ctl_agent_deps *d, struct sg_ctl_host *h, const char *name)
{
	struct sg_ctl_vm *vm = sg_ctl_vm_by_name(d->inv, name);

	return vm != NULL && vm->host == h ? vm : NULL;
}

void
sg_ctl_agent_vm_state(const struct sg_ctl_agent_deps *d, struct sg_ctl_host *h,
		      const struct sg_agent_msg *m)
{
	struct sg_ctl_event ev = {.type = SG_CTL_EV_VM_STATE};

	if (!SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_NAME) || !SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_STATE))
		return;
	ev.vm = host_vm(d, h, m->vm_name);
	if (ev.vm == NULL) {
		syslog(LOG_DEBUG, "agent %s: VM %s is not ours; ignored", h->cfg->name, m->vm_name);
		return;
	}
	ev.state = map_state(m->vm_state);
	ev.why = SG_AGENT_HAS(m, SG_AGENT_ATTR_TEXT) ? m->text : "reported by its agent";
	sg_ctl_bus_publish(d->bus, &ev);
}

void
sg_ctl_agent_result(const struct sg_ctl_agent_deps *d, struct sg_ctl_host *h,
		    const struct sg_agent_msg *m)
{
	struct sg_ctl_provider *p = sg_ctl_bus_provider(d->bus, h->provider);
	struct sg_ctl_event ev = {.type = SG_CTL_EV_VM_STATE};
	struct sg_ctl_req r;
	unsigned int i;
	char why[SG_AGENT_TEXT_MAX + 32];

	for (i = 0; i < p->n_inflight; i++)
		if ((uint32_t)p->inflight[i].req_id == m->seq)
			break;
	if (i == p->n_inflight)
		return; /* answer to a request that timed out, or a PING */
	r = p->inflight[i];
	sg_ctl_bus_done(d->bus, h->provider, r.req_id);
	if (m->status == SG_AGENT_OK) {
		if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_STATE)) {
			ev.vm = r.vm;
			ev.state = map_state(m->vm_state);
			ev.why = "answer of its agent";
			sg_ctl_bus_publish(d->bus, &ev);
		}
		return;
	}
	snprintf(why, sizeof(why), "%s%s%s", sg_agent_status_name(m->status),
		 SG_AGENT_HAS(m, SG_AGENT_ATTR_TEXT) ? ": " : "",
		 SG_AGENT_HAS(m, SG_AGENT_ATTR_TEXT) ? m->text : "");
	ev.vm = r.vm;
	ev.why = why;
	if (r.op == SG_CTL_REQ_VM_START) {
		ev.state = SG_CTL_VM_FAILED;
		sg_ctl_bus_publish(d->bus, &ev);
	} else {
		syslog(LOG_WARNING, "agent %s: stop of %s failed: %s", h->cfg->name,
		       r.vm->cfg->name, why);
		r.vm->state = SG_CTL_VM_UNKNOWN;
	}
}
