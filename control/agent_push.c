/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What sg-control sends on an agent link (agent_conn.h), and the inventory
 * it pushes (doc/control.md "Pushed VMs, save and resume"): after AUTH_OK,
 * a VM_DEFINE for every VM of that host with a template, then INVENTORY
 * {GENERATION, COUNT}; one VM_DEFINE when a VM is added at run time, a
 * VM_UNDEFINE when it is removed. Everything goes through the link's one
 * send path, bounded by AGENT_OUT_MAX bytes queued. A VM_DEFINE the agent
 * refuses fails that VM (agent_msg.c).
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "agent_conn.h"
#include "agent_msg.h"

/* Send @p m; tagged once the link is up. */
int
sg_ctl_agent_conn_send(struct sg_ctl_agent_conn *a, const struct sg_agent_msg *m)
{
	uint8_t buf[SG_AGENT_FRAME_MAX];
	int n;

	if (evbuffer_get_length(bufferevent_get_output(a->bev)) > AGENT_OUT_MAX) {
		a->srv->d.st->out_full++;
		return -ENOBUFS; /* before the tag: its sequence stays whole */
	}
	n = sg_agent_msg_encode(m, buf, SG_AGENT_MSG_MAX);
	if (n >= 0 && a->state == CONN_UP)
		n = sg_agent_msg_seal(a->ks, true, a->tx_seq++, buf, (size_t)n, sizeof(buf));
	if (n < 0)
		return n;
	return bufferevent_write(a->bev, buf, (size_t)n) == 0 ? 0 : -EIO;
}

/* VM_DEFINE of @p vm on up link @p a. @return 0 or <0 (not sent). */
static int
push_define(struct sg_ctl_agent_conn *a, const struct sg_ctl_vm *vm)
{
	struct sg_ctl_agent_srv *s = a->srv;
	unsigned int slot = (unsigned int)(vm - s->d.inv->vms);
	uint32_t seq;
	struct sg_agent_msg m;
	int rc;

	s->push_ctr = (s->push_ctr + 1) & ((1u << (29 - SEQ_SLOT_BITS)) - 1);
	seq = SEQ_DEFINE | (s->push_ctr << SEQ_SLOT_BITS) | slot;
	sg_ctl_agent_define_msg(vm, seq, &m);
	rc = sg_ctl_agent_conn_send(a, &m);
	if (rc < 0) {
		syslog(LOG_WARNING, "agent %s: VM_DEFINE %s not sent: %s", a->host->cfg->name,
		       vm->cfg->name, strerror(-rc));
		return rc;
	}
	s->def_seq[slot] = seq;
	s->d.st->pushed++;
	return 0;
}

/* After AUTH_OK: every VM of the host with a template, then INVENTORY. */
void
sg_ctl_agent_push_inventory(struct sg_ctl_agent_conn *a)
{
	struct sg_ctl_agent_srv *s = a->srv;
	struct sg_agent_msg m;
	unsigned int i, n = 0;

	for (i = 0; i < s->d.cfg->n_vms; i++) {
		const struct sg_ctl_vm *vm = &s->d.inv->vms[i];

		if (SG_CTL_SLOT_FREE(&s->d.cfg->vms[i]) || vm->host != a->host ||
		    vm->cfg->template_name[0] == '\0')
			continue;
		if (push_define(a, vm) == 0)
			n++;
	}
	sg_agent_msg_init(&m, SG_AGENT_MSG_INVENTORY, SEQ_OTHER | ++a->seq);
	m.generation = ++s->generation;
	m.count = n;
	m.present |= (1u << SG_AGENT_ATTR_GENERATION) | (1u << SG_AGENT_ATTR_COUNT);
	if (sg_ctl_agent_conn_send(a, &m) == 0)
		syslog(LOG_INFO, "agent %s: pushed %u VMs (generation %llu)", a->host->cfg->name, n,
		       (unsigned long long)m.generation);
}

/* A RESULT to a VM_DEFINE (@p m's seq has SEQ_DEFINE). */
void
sg_ctl_agent_define_result(struct sg_ctl_agent_conn *a, const struct sg_agent_msg *m)
{
	struct sg_ctl_agent_srv *s = a->srv;
	unsigned int slot = m->seq & ((1u << SEQ_SLOT_BITS) - 1);
	struct sg_ctl_vm *vm;

	if (slot >= s->d.cfg->n_vms || s->def_seq[slot] != m->seq ||
	    s->d.inv->vms[slot].host != a->host) {
		s->d.st->ignored++; /* superseded by a later push, or not ours */
		return;
	}
	s->def_seq[slot] = 0;
	vm = &s->d.inv->vms[slot];
	if (m->status != SG_AGENT_OK)
		sg_ctl_agent_define_failed(&s->d, vm, m);
}

void
sg_ctl_agent_push_vm(struct sg_ctl_agent_srv *s, const struct sg_ctl_vm *vm)
{
	struct sg_ctl_agent_conn *a = vm->host != NULL ? vm->host->agent : NULL;

	if (s == NULL || a == NULL || a->state != CONN_UP || vm->cfg->template_name[0] == '\0')
		return; /* the agent gets it with the whole push at its next AUTH_OK */
	push_define(a, vm);
}

void
sg_ctl_agent_forget_vm(struct sg_ctl_agent_srv *s, const struct sg_ctl_host *h, const char *name)
{
	struct sg_ctl_agent_conn *a = h != NULL ? h->agent : NULL;
	struct sg_agent_msg m;

	if (s == NULL || a == NULL || a->state != CONN_UP)
		return; /* its next push (AUTH_OK, INVENTORY) leaves it out */
	sg_agent_msg_init(&m, SG_AGENT_MSG_VM_UNDEFINE, SEQ_OTHER | ++a->seq);
	sg_agent_msg_set_str(&m, SG_AGENT_ATTR_VM_NAME, name);
	if (sg_ctl_agent_conn_send(a, &m) == 0)
		s->d.st->forgotten++;
}
