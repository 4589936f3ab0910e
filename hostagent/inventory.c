/* SPDX-License-Identifier: BSD-3-Clause */
/* The pushed inventory (inventory.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "clock.h"
#include "inventory.h"
#include "log.h"
#include "readiness.h"
#include "text.h"

bool
sg_ha_inv_is_pushed(struct sg_ha_vms *vms, const char *name)
{
	struct sg_ha_vm *vm = sg_ha_vm_find(vms, name);

	return vm && vm->pushed;
}

static bool
name_ok(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static void
cfg_addr(const struct sg_agent_addr *a, struct sg_cfg_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == SG_WIRE_FAMILY_V4) {
		out->family = AF_INET;
		out->prefixlen = 32;
		memcpy(&out->v4, a->bytes, 4);
	} else if (a->family == SG_WIRE_FAMILY_V6) {
		out->family = AF_INET6;
		out->prefixlen = 128;
		memcpy(out->v6, a->bytes, 16);
	}
}

/* The definition @p m asks for, checked. @return 0 or -EINVAL with @p text filled. */
static int
parse_define(const struct sg_ha_vms *vms, const struct sg_agent_msg *m, struct sg_ha_vm_cfg *c,
	     char *text, size_t len)
{
	const uint32_t need = 1u << SG_AGENT_ATTR_VM_NAME | 1u << SG_AGENT_ATTR_TEMPLATE |
			      1u << SG_AGENT_ATTR_ADDR | 1u << SG_AGENT_ATTR_PORT |
			      1u << SG_AGENT_ATTR_PROTO;

	if ((m->present & need) != need) {
		sg_ha_textf(text, len, "VM_DEFINE needs VM_NAME, TEMPLATE, ADDR, PORT, PROTO");
		return -EINVAL;
	}
	memset(c, 0, sizeof(*c));
	if (!name_ok(m->vm_name) || strlen(m->vm_name) >= SG_CFG_NAME_MAX) {
		sg_ha_textf(text, len, "VM_NAME: 1..63 of [A-Za-z0-9_.-]");
		return -EINVAL;
	}
	if (sg_ha_config_template(vms->cfg, m->template_name) == NULL) {
		sg_ha_textf(text, len, "VM %s: no template named \"%.63s\" on host %s", m->vm_name,
			    m->template_name, vms->cfg->host);
		return -EINVAL;
	}
	if ((m->proto != 6 && m->proto != 17) || m->port == 0 || m->addr.family == 0) {
		sg_ha_textf(text, len,
			    "VM %s: PROTO must be 6 or 17, PORT 1..65535, ADDR an "
			    "address",
			    m->vm_name);
		return -EINVAL;
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_FLAGS) && (m->vm_flags & ~SG_AGENT_VMF_ALL)) {
		sg_ha_textf(text, len, "VM %s: unknown FLAGS 0x%x", m->vm_name,
			    m->vm_flags & ~SG_AGENT_VMF_ALL);
		return -EINVAL;
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP) &&
	    (m->vip.family != m->addr.family ||
	     (SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP_PORT) && m->vip_port == 0))) {
		sg_ha_textf(text, len, "VM %s: VIP must be of ADDR's family, VIP_PORT 1..65535",
			    m->vm_name);
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "%s", m->vm_name);
	snprintf(c->template_name, sizeof(c->template_name), "%s", m->template_name);
	cfg_addr(&m->addr, &c->addr);
	c->port = m->port;
	c->proto = m->proto;
	c->probe = SG_AGENT_HAS(m, SG_AGENT_ATTR_FLAGS) && (m->vm_flags & SG_AGENT_VMF_PROBE);
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP)) {
		cfg_addr(&m->vip, &c->vip);
		c->vip_port = SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP_PORT) ? m->vip_port : m->port;
	}
	return 0;
}

/* The datapath entry of @p c (VIP -> VM), when it has a VIP and the datapath is on. */
static int
vip_set(struct sg_ha_flows *flows, const struct sg_ha_vm_cfg *c, bool add)
{
	struct sg_ha_ep vip, ep;

	if (flows->dp == NULL || c->vip.family == 0)
		return 0;
	sg_ha_addr_cfg_to_ep(&c->vip, c->vip_port, c->proto, &vip);
	if (!add)
		return sg_ha_dp_vip_del(flows->dp, &vip);
	sg_ha_addr_cfg_to_ep(&c->addr, c->port, c->proto, &ep);
	return sg_ha_dp_vip_add(flows->dp, &vip, &ep, 0);
}

static bool
running(const struct sg_ha_vm *vm)
{
	return vm->lv_state == VIR_DOMAIN_RUNNING || vm->lv_state == VIR_DOMAIN_BLOCKED ||
	       vm->lv_state == VIR_DOMAIN_PAUSED || vm->lv_state == VIR_DOMAIN_SHUTDOWN;
}

static bool
addr_eq(const struct sg_cfg_addr *a, const struct sg_cfg_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4 == b->v4;
	return a->family != AF_INET6 || memcmp(a->v6, b->v6, 16) == 0;
}

/* Same addresses, ports and protocol (the datapath entry and the reports). */
static bool
dp_eq(const struct sg_ha_vm_cfg *a, const struct sg_ha_vm_cfg *b)
{
	return addr_eq(&a->addr, &b->addr) && a->port == b->port && a->proto == b->proto &&
	       addr_eq(&a->vip, &b->vip) && a->vip_port == b->vip_port;
}

/* A known pushed VM defined again: unchanged, or changed now / at its next start. */
static uint16_t
change(struct sg_ha_vms *vms, struct sg_ha_flows *flows, struct sg_ha_vm *vm,
       const struct sg_ha_vm_cfg *c, char *text, size_t len)
{
	struct sg_ha_vm_cfg *cur = &vms->pcfg[vm->cfg - vms->pcfg];
	const struct sg_ha_vm_cfg *was = vm->has_next ? vm->next : cur;

	vm->push_epoch = vms->push_epoch;
	if (dp_eq(was, c) && was->probe == c->probe &&
	    strcmp(was->template_name, c->template_name) == 0) {
		sg_ha_textf(text, len, "unchanged");
		return SG_AGENT_OK;
	}
	if (!dp_eq(was, c)) {
		vip_set(flows, was, false);
		if (vip_set(flows, c, true))
			sg_ha_log(LOG_ERR, "vm %s: cannot install its VIP", c->name);
	}
	if (vms->lv.up)
		sg_ha_vm_refresh(vms, vm, "redefined");
	if (running(vm)) {
		*vm->next = *c;
		vm->has_next = true;
		sg_ha_textf(text, len, "changed: takes effect at its next start (running now)");
	} else {
		*cur = *c;
		vm->has_next = false;
		vm->redefine = vm->lv_state != -1;
		sg_ha_addr_from_cfg(&cur->addr, &vm->addr);
		sg_ha_textf(text, len, "changed: %s",
			    vm->redefine ? "re-defined at its next start"
					 : "defined at its next start");
	}
	sg_ha_log(LOG_INFO, "vm %s: %s", c->name, text);
	return SG_AGENT_OK;
}

/* A new pushed VM in a free slot. */
static uint16_t
add(struct sg_ha_vms *vms, struct sg_ha_flows *flows, const struct sg_ha_vm_cfg *c,
    struct sg_ha_vm **out, char *text, size_t len)
{
	unsigned int k = 0;
	struct sg_ha_vm *vm;
	int rc;

	while (k < SG_HA_VMS_MAX && vms->pcfg[k].name[0])
		k++;
	if (vms->n_vms >= SG_HA_VMS_MAX || k == SG_HA_VMS_MAX) {
		sg_ha_textf(text, len, "host %s holds %u VMs already", vms->cfg->host,
			    SG_HA_VMS_MAX);
		return SG_AGENT_E_FULL;
	}
	rc = vip_set(flows, c, true);
	if (rc) {
		sg_ha_textf(text, len, "VM %s: cannot install its VIP: %s", c->name, strerror(-rc));
		return rc == -ENOSPC ? SG_AGENT_E_FULL : SG_AGENT_E_INTERNAL;
	}
	vms->pcfg[k] = *c;
	vm = &vms->vms[vms->n_vms++];
	memset(vm, 0, sizeof(*vm));
	vm->cfg = &vms->pcfg[k];
	vm->next = &vms->pnext[k];
	vm->pushed = true;
	vm->push_epoch = vms->push_epoch;
	vm->probe_fd = -1;
	vm->lv_state = VIR_DOMAIN_NOSTATE;
	vm->state = SG_AGENT_VM_UNKNOWN;
	sg_ha_addr_from_cfg(&vm->cfg->addr, &vm->addr);
	if (vms->lv.up) {
		sg_ha_vm_refresh(vms, vm, "pushed");
		/* Found running (an agent restart): no simulated boot again, no restart. */
		if (vm->running_since > vms->cfg->boot_delay_ms)
			vm->running_since -= vms->cfg->boot_delay_ms;
		sg_ha_vm_check_ready(vms, vm, sg_ha_now_ms());
		/* A domain left by an earlier run: define it from the template at its next start.
		 */
		vm->redefine = vm->lv_state != -1 && !running(vm);
	}
	if (vm->state == SG_AGENT_VM_UNKNOWN)
		vms->ops.state(vms->ctx, vm); /* reported like a YAML VM, libvirt or not */
	sg_ha_log(LOG_INFO, "vm %s: pushed (template %s), %s", c->name, c->template_name,
		  sg_agent_vm_state_name(vm->state));
	sg_ha_textf(text, len, "defined");
	*out = vm;
	return SG_AGENT_OK;
}

uint16_t
sg_ha_inv_define(struct sg_ha_vms *vms, struct sg_ha_flows *flows, const struct sg_agent_msg *m,
		 struct sg_ha_vm **out, char *text, size_t len)
{
	struct sg_ha_vm_cfg c;
	struct sg_ha_vm *vm;
	uint16_t st;

	*out = NULL;
	if (parse_define(vms, m, &c, text, len)) {
		vms->ctr.vm_define_errors++;
		return SG_AGENT_E_BAD_REQUEST;
	}
	vm = sg_ha_vm_find(vms, c.name);
	if (vm && !vm->pushed) {
		vms->ctr.vm_define_errors++;
		sg_ha_textf(text, len, "VM %s is in the agent's own YAML (%.128s)", c.name,
			    vms->cfg->path);
		return SG_AGENT_E_BAD_REQUEST;
	}
	if (vm) {
		*out = vm;
		st = change(vms, flows, vm, &c, text, len);
	} else {
		st = add(vms, flows, &c, out, text, len);
	}
	if (st == SG_AGENT_OK)
		vms->ctr.vm_defines++;
	else
		vms->ctr.vm_define_errors++;
	return st;
}

/* Take @p vm out of libvirt: destroy, drop its image, undefine. @return 0 or -1 (@p text). */
static int
lv_remove(struct sg_ha_vms *vms, struct sg_ha_vm *vm, char *text, size_t len)
{
	virDomainPtr dom;
	int rc = 0;

	if (!vms->lv.up) {
		sg_ha_textf(text, len, "libvirt not connected; retry");
		return -1;
	}
	dom = sg_ha_lv_lookup(&vms->lv, vm->cfg);
	if (dom == NULL)
		return 0; /* not defined */
	if (virDomainIsActive(dom) == 1)
		rc = virDomainDestroy(dom);
	if (rc == 0 && virDomainHasManagedSaveImage(dom, 0) > 0)
		rc = virDomainManagedSaveRemove(dom, 0);
	if (rc == 0)
		rc = virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
	if (rc < 0)
		sg_ha_textf(text, len, "undefine %s: %s", vm->cfg->name, sg_ha_lv_error());
	virDomainFree(dom);
	return rc < 0 ? -1 : 0;
}

/* Report @p vm undefined, answer what waits on it, and forget it. */
static void
forget(struct sg_ha_vms *vms, struct sg_ha_flows *flows, struct sg_ha_vm *vm, const char *why)
{
	unsigned int k = (unsigned int)(vm->cfg - vms->pcfg);
	struct sg_ha_vm *last = &vms->vms[vms->n_vms - 1];

	sg_ha_vm_pending_fail(vms, vm, SG_AGENT_E_NO_SUCH_VM, "VM undefined");
	vm->state = SG_AGENT_VM_UNDEFINED;
	vm->addr.family = 0;
	snprintf(vm->why, sizeof(vm->why), "%s", why);
	vms->ops.state(vms->ctx, vm);
	sg_ha_ready_probe_close(vm);
	vip_set(flows, vm->cfg, false);
	if (vm->has_next)
		vip_set(flows, vm->next, false);
	sg_ha_log(LOG_INFO, "vm %s: forgotten (%s)", vm->cfg->name, why);
	memset(&vms->pcfg[k], 0, sizeof(vms->pcfg[k]));
	if (vm != last)
		*vm = *last;
	vms->n_vms--;
	vms->ctr.vm_undefines++;
}

uint16_t
sg_ha_inv_undefine(struct sg_ha_vms *vms, struct sg_ha_flows *flows, const struct sg_agent_msg *m,
		   char *text, size_t len)
{
	struct sg_ha_vm *vm;

	if (!SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_NAME)) {
		sg_ha_textf(text, len, "VM_UNDEFINE needs VM_NAME");
		return SG_AGENT_E_BAD_REQUEST;
	}
	vm = sg_ha_vm_find(vms, m->vm_name);
	if (vm == NULL) {
		sg_ha_textf(text, len, "no VM %s on host %s", m->vm_name, vms->cfg->host);
		return SG_AGENT_E_NO_SUCH_VM;
	}
	if (!vm->pushed) {
		sg_ha_textf(text, len, "VM %s is in the agent's own YAML (%.128s)", m->vm_name,
			    vms->cfg->path);
		return SG_AGENT_E_BAD_REQUEST;
	}
	if (lv_remove(vms, vm, text, len))
		return vms->lv.up ? SG_AGENT_E_LIBVIRT : SG_AGENT_E_UNAVAILABLE;
	forget(vms, flows, vm, "undefined by sg-control");
	sg_ha_textf(text, len, "undefined");
	return SG_AGENT_OK;
}

uint16_t
sg_ha_inv_close(struct sg_ha_vms *vms, struct sg_ha_flows *flows, const struct sg_agent_msg *m,
		char *text, size_t len)
{
	unsigned int kept = 0, gone = 0, failed = 0;
	char err[SG_AGENT_TEXT_MAX];

	if (!SG_AGENT_HAS(m, SG_AGENT_ATTR_GENERATION) || !SG_AGENT_HAS(m, SG_AGENT_ATTR_COUNT)) {
		sg_ha_textf(text, len, "INVENTORY needs GENERATION and COUNT");
		return SG_AGENT_E_BAD_REQUEST;
	}
	for (unsigned int i = 0; i < vms->n_vms;) {
		struct sg_ha_vm *vm = &vms->vms[i];

		if (!vm->pushed || vm->push_epoch == vms->push_epoch) {
			kept += vm->pushed;
			i++;
			continue;
		}
		if (lv_remove(vms, vm, err, sizeof(err))) {
			sg_ha_log(LOG_ERR, "vm %s: not in inventory %llu, but %s", vm->cfg->name,
				  (unsigned long long)m->generation, err);
			failed++; /* its epoch stays old: tried again at the next INVENTORY */
			i++;
			continue;
		}
		forget(vms, flows, vm, "not in sg-control's inventory");
		gone++; /* the last VM moved into slot i: look at it again */
	}
	vms->push_epoch++;
	sg_ha_textf(text, len, "inventory %llu: %u pushed VMs (%u announced), %u forgotten%s",
		    (unsigned long long)m->generation, kept, m->count, gone,
		    failed ? ", some not removable from libvirt yet (retried next INVENTORY)" : "");
	sg_ha_log(kept == m->count ? LOG_INFO : LOG_WARNING, "%s", text);
	return SG_AGENT_OK;
}
