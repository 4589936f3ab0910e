/* SPDX-License-Identifier: BSD-3-Clause */
/* The flows of the host datapath (flow.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "flow.h"
#include "log.h"

static const struct sg_ha_vm_cfg *
vm_cfg(const struct sg_ha_config *cfg, const char *name)
{
	for (unsigned int i = 0; i < cfg->n_vms; i++)
		if (strcmp(cfg->vms[i].name, name) == 0)
			return &cfg->vms[i];
	return NULL;
}

int
sg_ha_flow_add(struct sg_ha_flows *f, const struct sg_agent_msg *m, char *err, size_t errlen)
{
	const uint32_t need = 1u << SG_AGENT_ATTR_VIP | 1u << SG_AGENT_ATTR_VIP_PORT |
			      1u << SG_AGENT_ATTR_PROTO | 1u << SG_AGENT_ATTR_ADDR |
			      1u << SG_AGENT_ATTR_PORT;
	struct sg_ha_ep vip, vm;
	uint32_t ifindex = 0;
	int rc;

	if (f->dp == NULL) {
		snprintf(err, errlen, "datapath not enabled on host %s", f->cfg->host);
		return -EOPNOTSUPP;
	}
	if ((m->present & need) != need || (m->proto != 6 && m->proto != 17) ||
	    m->vip.family != m->addr.family || m->vip_port == 0 || m->port == 0) {
		snprintf(err, errlen,
			 "FLOW_ADD needs VIP, VIP_PORT, PROTO (6/17), ADDR, PORT of "
			 "one family");
		return -EINVAL;
	}
	if (SG_AGENT_HAS(m, SG_AGENT_ATTR_VM_NAME)) {
		const struct sg_ha_vm_cfg *v = vm_cfg(f->cfg, m->vm_name);

		if (v == NULL) {
			snprintf(err, errlen, "no VM %s on host %s", m->vm_name, f->cfg->host);
			return -ENOENT;
		}
		ifindex = v->ifindex;
	}
	sg_ha_addr_to_ep(&m->vip, m->vip_port, m->proto, &vip);
	sg_ha_addr_to_ep(&m->addr, m->port, m->proto, &vm);
	rc = sg_ha_dp_vip_add(f->dp, &vip, &vm, ifindex);
	if (rc)
		snprintf(err, errlen, "cannot install flow: %s", strerror(-rc));
	return rc;
}

int
sg_ha_flow_del(struct sg_ha_flows *f, const struct sg_agent_msg *m)
{
	struct sg_ha_ep vip;

	if (f->dp == NULL || !SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP) ||
	    !SG_AGENT_HAS(m, SG_AGENT_ATTR_VIP_PORT) || !SG_AGENT_HAS(m, SG_AGENT_ATTR_PROTO))
		return -EINVAL;
	sg_ha_addr_to_ep(&m->vip, m->vip_port, m->proto, &vip);
	return sg_ha_dp_vip_del(f->dp, &vip);
}

void
sg_ha_flow_init(struct sg_ha_flows *f, const struct sg_ha_config *cfg)
{
	f->cfg = cfg;
	f->dp = NULL;
}

int
sg_ha_flow_start(struct sg_ha_flows *f)
{
	const struct sg_ha_config *cfg = f->cfg;
	struct sg_ha_bpf_cfg bcfg = {.gue_port = htons(cfg->gue_port)};
	int rc;

	if (cfg->host4.family)
		bcfg.host4 = cfg->host4.v4;
	if (cfg->host6.family)
		memcpy(bcfg.host6, cfg->host6.v6, 16);
	rc = sg_ha_dp_open(cfg->pin_dir, cfg->uplink, &bcfg, &f->dp);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < cfg->n_vms; i++) {
		const struct sg_ha_vm_cfg *v = &cfg->vms[i];
		struct sg_ha_ep vip, vm;

		if (!v->vip.family)
			continue;
		sg_ha_addr_cfg_to_ep(&v->vip, v->vip_port, v->proto, &vip);
		sg_ha_addr_cfg_to_ep(&v->addr, v->port, v->proto, &vm);
		rc = sg_ha_dp_vip_add(f->dp, &vip, &vm, v->ifindex);
		if (rc) {
			sg_ha_log(LOG_ERR, "datapath: vm %s: cannot install its VIP: %s", v->name,
				  strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void
sg_ha_flow_detach(struct sg_ha_flows *f)
{
	if (f->dp == NULL)
		return;
	sg_ha_dp_detach(f->dp);
	sg_ha_dp_close(f->dp);
	f->dp = NULL;
}

void
sg_ha_flow_close(struct sg_ha_flows *f)
{
	sg_ha_dp_close(f->dp);
	f->dp = NULL;
}
