/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What an authenticated agent reports (agent_msg.h): VM_STATE events and
 * RESULT answers, turned into VM-state events and request completions on
 * the service bus.
 */
#include <stdio.h>
#include <string.h>
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
	case SG_AGENT_VM_SAVED: /* stopped, with vm->saved (note_report) */
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

/*
 * What a report says besides the state: a managed-save image (SAVED), and how
 * the VM reached RUNNING (START_KIND, LIBVIRT_MS, READY_MS). Kept in the VM
 * before its state event, so that vm.c counts the save or the resume.
 */
static void
note_report(struct sg_ctl_vm *vm, const struct sg_agent_msg *m)
{
	switch (m->vm_state) {
	case SG_AGENT_VM_SAVED:
		vm->saved = true;
		break;
	case SG_AGENT_VM_UNKNOWN:
	case SG_AGENT_VM_PAUSED:
	case SG_AGENT_VM_STOPPING:
		break; /* says nothing of an image */
	default:       /* running, booting, shut off, crashed: no image (or it was used) */
		vm->saved = false;
		break;
	}
	if (m->vm_state != SG_AGENT_VM_RUNNING || !SG_AGENT_HAS(m, SG_AGENT_ATTR_START_KIND))
		return;
	vm->start_kind =
		m->start_kind <= SG_AGENT_START_KIND_MAX ? m->start_kind : SG_AGENT_START_NONE;
	vm->start_libvirt_ms = SG_AGENT_HAS(m, SG_AGENT_ATTR_LIBVIRT_MS) ? m->libvirt_ms : 0;
	vm->start_ready_ms = SG_AGENT_HAS(m, SG_AGENT_ATTR_READY_MS) ? m->ready_ms : 0;
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
		d->st->ignored++;
		syslog(LOG_DEBUG, "agent %s: VM %s is not ours; ignored", h->cfg->name, m->vm_name);
		return;
	}
	note_report(ev.vm, m);
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
	if (i == p->n_inflight) {
		d->st->ignored++; /* answer to a request that timed out, or forged */
		return;
	}
	r = p->inflight[i];
	sg_ctl_bus_done(d->bus, h->provider, r.req_id);
	if (m->status == SG_AGENT_OK) {
		if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_STATE)) {
			ev.vm = r.vm;
			note_report(ev.vm, m);
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
		syslog(LOG_WARNING, "agent %s: %s of %s failed: %s", h->cfg->name,
		       r.op == SG_CTL_REQ_VM_SAVE ? "save" : "stop", r.vm->cfg->name, why);
		r.vm->state = SG_CTL_VM_UNKNOWN;
	}
}

void
sg_ctl_agent_define_msg(const struct sg_ctl_vm *vm, uint32_t seq, struct sg_agent_msg *m)
{
	const struct sg_ctl_vm_cfg *vc = vm->cfg;

	sg_agent_msg_init(m, SG_AGENT_MSG_VM_DEFINE, seq);
	sg_agent_msg_set_str(m, SG_AGENT_ATTR_VM_NAME, vc->name);
	sg_agent_msg_set_str(m, SG_AGENT_ATTR_TEMPLATE, vc->template_name);
	m->addr.family = vc->family;
	memcpy(m->addr.bytes, vc->addr, sizeof(m->addr.bytes));
	m->port = vc->port;
	m->proto = vc->proto;
	m->vm_flags = vc->probe ? SG_AGENT_VMF_PROBE : 0;
	m->present |= (1u << SG_AGENT_ATTR_ADDR) | (1u << SG_AGENT_ATTR_PORT) |
		      (1u << SG_AGENT_ATTR_PROTO) | (1u << SG_AGENT_ATTR_FLAGS);
}

void
sg_ctl_agent_define_failed(const struct sg_ctl_agent_deps *d, struct sg_ctl_vm *vm,
			   const struct sg_agent_msg *m)
{
	struct sg_ctl_event ev = {.type = SG_CTL_EV_VM_STATE, .state = SG_CTL_VM_FAILED, .vm = vm};
	char why[SG_AGENT_TEXT_MAX + 48];

	d->st->push_failures++;
	snprintf(why, sizeof(why), "VM_DEFINE refused: %s%s%s", sg_agent_status_name(m->status),
		 SG_AGENT_HAS(m, SG_AGENT_ATTR_TEXT) ? ": " : "",
		 SG_AGENT_HAS(m, SG_AGENT_ATTR_TEXT) ? m->text : "");
	syslog(LOG_WARNING, "agent %s: %s: %s", vm->host->cfg->name, vm->cfg->name, why);
	ev.why = why;
	sg_ctl_bus_publish(d->bus, &ev);
}
