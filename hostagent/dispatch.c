/* SPDX-License-Identifier: BSD-3-Clause */
/* The agent's side of the protocol above the link (dispatch.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "dispatch.h"
#include "inventory.h"
#include "log.h"

void
sg_ha_dispatch_init(struct sg_ha_dispatch *d, struct sg_ha_link *links, unsigned int n_links,
		    struct sg_ha_vms *vms, struct sg_ha_flows *flows)
{
	unsigned int i;

	d->link = &links[0];
	d->links = links;
	d->n_links = n_links;
	for (i = 0; i < SG_HA_CONTROLS_MAX; i++)
		d->ports[i] = (struct sg_ha_dispatch_port){d, i};
	memset(d->tags, 0, sizeof(d->tags));
	d->next_token = 0;
	d->tags_lost = 0;
	d->vms = vms;
	d->flows = flows;
	d->generation = 0;
}

/* Every link (VM states, inventory). */
static void
send_all(struct sg_ha_dispatch *d, const struct sg_agent_msg *m)
{
	unsigned int i;

	for (i = 0; i < d->n_links; i++)
		sg_ha_link_send(&d->links[i], m);
}

/* RESULT for @p seq on link @p link. */
static void
reply_to(struct sg_ha_dispatch *d, unsigned int link, uint32_t seq, uint16_t status,
	 const char *text, const struct sg_ha_vm *vm)
{
	struct sg_agent_msg m;

	sg_agent_msg_init(&m, SG_AGENT_MSG_RESULT, seq);
	m.status = status;
	m.present |= 1u << SG_AGENT_ATTR_STATUS;
	if (text && text[0])
		sg_agent_msg_set_str(&m, SG_AGENT_ATTR_TEXT, text);
	if (vm)
		sg_ha_vm_fill(vm, &m);
	if (status != SG_AGENT_OK)
		sg_ha_log(LOG_NOTICE, "command seq %u%s%s: %s: %s", seq, vm ? " vm " : "",
			  vm ? vm->cfg->name : "", sg_agent_status_name(status), text ? text : "");
	sg_ha_link_send(&d->links[link], &m);
}

/* The VM manager's answer to the command of token @p seq (one link: its sequence number). */
static void
reply(void *ctx, uint32_t seq, uint16_t status, const char *text, const struct sg_ha_vm *vm)
{
	struct sg_ha_dispatch *d = ctx;
	struct sg_ha_dispatch_tag *t = &d->tags[seq % SG_HA_DISPATCH_TAGS];

	if (d->n_links == 1) {
		reply_to(d, 0, seq, status, text, vm);
		return;
	}
	if (!t->used || t->token != seq) {
		d->tags_lost++;
		return;
	}
	t->used = false;
	reply_to(d, t->link, t->seq, status, text, vm);
}

static void
vm_state_msg(const struct sg_ha_vm *vm, struct sg_agent_msg *m)
{
	sg_agent_msg_init(m, SG_AGENT_MSG_VM_STATE, 0);
	sg_ha_vm_fill(vm, m);
	if (vm->why[0] != '\0') /* why it is in that state: sg-control shows it (sgctl vms) */
		sg_agent_msg_set_str(m, SG_AGENT_ATTR_TEXT, vm->why);
}

static void
vm_state(void *ctx, const struct sg_ha_vm *vm)
{
	struct sg_ha_dispatch *d = ctx;
	struct sg_agent_msg m;

	vm_state_msg(vm, &m);
	send_all(d, &m);
}

/* Every VM's state then SYNC on link @p l, once it is up (after auth). */
static void
inventory_link(struct sg_ha_dispatch *d, struct sg_ha_link *l)
{
	struct sg_agent_msg m;

	if (l->state != SG_HA_LINK_UP)
		return; /* sent after authentication */
	for (unsigned int i = 0; i < d->vms->n_vms; i++) {
		vm_state_msg(&d->vms->vms[i], &m);
		sg_ha_link_send(l, &m);
	}
	sg_agent_msg_init(&m, SG_AGENT_MSG_SYNC, 0);
	m.generation = ++d->generation;
	m.count = d->vms->n_vms;
	m.present |= 1u << SG_AGENT_ATTR_GENERATION | 1u << SG_AGENT_ATTR_COUNT;
	sg_ha_link_send(l, &m);
}

/* After a libvirt reconnect: every link. */
static void
inventory(void *ctx)
{
	struct sg_ha_dispatch *d = ctx;

	for (unsigned int i = 0; i < d->n_links; i++)
		inventory_link(d, &d->links[i]);
}

/* A link authenticated: its inventory. */
static void
link_up(void *ctx)
{
	struct sg_ha_dispatch_port *p = ctx;

	inventory_link(p->d, &p->d->links[p->idx]);
}

static void
counter_add(struct sg_agent_msg *m, const char *prefix, const char *name, uint64_t v)
{
	snprintf(m->counters[m->n_counters].name, SG_AGENT_COUNTER_NAME_MAX, "%s%s", prefix, name);
	m->counters[m->n_counters++].value = v;
}

static void
counters_reply(struct sg_ha_dispatch *d, unsigned int link, uint32_t seq)
{
	const struct sg_ha_lv_counters *lc = &d->vms->lv.ctr;
	struct sg_agent_msg m;
	uint64_t dp[SG_HA_CTR_MAX];

	sg_agent_msg_init(&m, SG_AGENT_MSG_RESULT, seq);
	m.present |= 1u << SG_AGENT_ATTR_STATUS;
	counter_add(&m, "", "lv_events", lc->events);
	counter_add(&m, "", "lv_events_lost", lc->events_lost);
	counter_add(&m, "", "lv_connects", lc->connects);
	counter_add(&m, "", "resyncs", d->vms->ctr.resyncs);
	counter_add(&m, "", "resync_repairs", d->vms->ctr.resync_repairs);
	counter_add(&m, "", "app_checks", d->vms->ctr.app_checks);
	counter_add(&m, "", "app_check_failures", d->vms->ctr.app_check_failures);
	counter_add(&m, "", "app_downs", d->vms->ctr.app_downs);
	counter_add(&m, "", "saves", d->vms->ctr.saves);
	counter_add(&m, "", "save_failures", d->vms->ctr.save_failures);
	counter_add(&m, "", "resumes", d->vms->ctr.resumes);
	counter_add(&m, "", "resume_fallbacks", d->vms->ctr.resume_fallbacks);
	counter_add(&m, "", "boots", d->vms->ctr.boots);
	counter_add(&m, "", "crashes", d->vms->ctr.crashes);
	counter_add(&m, "", "vm_defines", d->vms->ctr.vm_defines);
	counter_add(&m, "", "link_connects", d->link->ctr.connects);
	counter_add(&m, "", "queue_drops", d->link->ctr.queue_drops);
	if (d->flows->dp && sg_ha_dp_counters(d->flows->dp, dp) == 0)
		for (unsigned int i = 0; i < SG_HA_CTR_MAX && m.n_counters < SG_AGENT_COUNTERS_MAX;
		     i++)
			counter_add(&m, "bpf_", sg_ha_dp_ctr_name(i), dp[i]);
	sg_ha_link_send(&d->links[link], &m);
}

static uint16_t
flow_add_status(int rc)
{
	switch (rc) {
	case 0:
		return SG_AGENT_OK;
	case -ENOSPC:
		return SG_AGENT_E_FULL;
	case -ENOENT:
		return SG_AGENT_E_NO_SUCH_VM;
	case -EOPNOTSUPP:
		return SG_AGENT_E_UNAVAILABLE;
	default:
		return SG_AGENT_E_BAD_REQUEST;
	}
}

/* A VM command from link @p link: with several links, its answer's route is kept in a tag. */
static void
vm_command(struct sg_ha_dispatch *d, unsigned int link, const struct sg_agent_msg *m)
{
	static struct sg_agent_msg copy; /* one command at a time (the event loop's thread) */
	struct sg_ha_dispatch_tag *t;

	if (d->n_links > 1) {
		copy = *m;
		copy.seq = ++d->next_token;
		t = &d->tags[copy.seq % SG_HA_DISPATCH_TAGS];
		if (t->used)
			d->tags_lost++; /* given up: that request times out at its sg-control */
		*t = (struct sg_ha_dispatch_tag){copy.seq, m->seq, link, true};
		m = &copy;
	}
	if (m->type == SG_AGENT_MSG_ENSURE_RUNNING)
		sg_ha_cmd_ensure_running(d->vms, m);
	else if (m->type == SG_AGENT_MSG_STOP)
		sg_ha_cmd_stop(d->vms, m);
	else if (m->type == SG_AGENT_MSG_SAVE)
		sg_ha_cmd_save(d->vms, m);
	else
		sg_ha_cmd_status(d->vms, m);
}

/* VM_DEFINE, VM_UNDEFINE, INVENTORY: answered at once. */
static void
inventory_command(struct sg_ha_dispatch *d, unsigned int link, const struct sg_agent_msg *m)
{
	char text[SG_AGENT_TEXT_MAX] = "";
	struct sg_ha_vm *vm = NULL;
	uint16_t st;

	if (m->type == SG_AGENT_MSG_VM_DEFINE)
		st = sg_ha_inv_define(d->vms, d->flows, m, &vm, text, sizeof(text));
	else if (m->type == SG_AGENT_MSG_VM_UNDEFINE)
		st = sg_ha_inv_undefine(d->vms, d->flows, m, text, sizeof(text));
	else
		st = sg_ha_inv_close(d->vms, d->flows, m, text, sizeof(text));
	reply_to(d, link, m->seq, st, text, vm);
}

/* FLOW_ADD: a pushed VM has no device of the YAML (routed: ifindex 0). */
static int
flow_add(struct sg_ha_dispatch *d, const struct sg_agent_msg *m, char *err, size_t errlen)
{
	struct sg_agent_msg copy;

	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_NAME) && sg_ha_inv_is_pushed(d->vms, m->vm_name)) {
		copy = *m;
		copy.present &= ~(1u << SG_AGENT_ATTR_VM_NAME);
		return sg_ha_flow_add(d->flows, &copy, err, errlen);
	}
	return sg_ha_flow_add(d->flows, m, err, errlen);
}

static void
message(void *ctx, const struct sg_agent_msg *m)
{
	struct sg_ha_dispatch_port *p = ctx;
	struct sg_ha_dispatch *d = p->d;
	char err[SG_AGENT_TEXT_MAX] = "";
	int rc;

	switch (m->type) {
	case SG_AGENT_MSG_ENSURE_RUNNING:
	case SG_AGENT_MSG_STOP:
	case SG_AGENT_MSG_STATUS:
	case SG_AGENT_MSG_SAVE:
		vm_command(d, p->idx, m);
		break;
	case SG_AGENT_MSG_VM_DEFINE:
	case SG_AGENT_MSG_VM_UNDEFINE:
	case SG_AGENT_MSG_INVENTORY:
		inventory_command(d, p->idx, m);
		break;
	case SG_AGENT_MSG_FLOW_ADD:
		rc = flow_add(d, m, err, sizeof(err));
		reply_to(d, p->idx, m->seq, flow_add_status(rc), err, NULL);
		break;
	case SG_AGENT_MSG_FLOW_DEL:
		rc = sg_ha_flow_del(d->flows, m);
		reply_to(d, p->idx, m->seq, rc == 0 ? SG_AGENT_OK : SG_AGENT_E_BAD_REQUEST,
			 rc == 0 ? "" : "no such flow", NULL);
		break;
	case SG_AGENT_MSG_COUNTERS:
		counters_reply(d, p->idx, m->seq);
		break;
	default:
		reply_to(d, p->idx, m->seq, SG_AGENT_E_BAD_REQUEST, "unexpected message type",
			 NULL);
		break;
	}
}

const struct sg_ha_link_ops sg_ha_dispatch_link_ops = {
	.up = link_up,
	.message = message,
};

const struct sg_ha_vm_ops sg_ha_dispatch_vm_ops = {
	.state = vm_state,
	.reply = reply,
	.inventory = inventory,
};
