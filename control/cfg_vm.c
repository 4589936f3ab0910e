/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The keys of a VM and a pool that real guests brought (issue 15;
 * doc/configuration.md "sg-control: VMs pushed to their agents"):
 *
 *   pools: [{name: p, idle_action: save, vms: [
 *       {name: vm1, host: h1, address: 198.18.5.10,
 *        template: guest, port: 80, protocol: tcp, probe: true}]}]
 *
 * template: the host agent's template (its YAML templates[].name) that
 * defines the domain: sg-control pushes the VM to its agent (VM_DEFINE).
 * port / protocol: the VM's service (default 80, tcp); probe: the agent
 * probes ADDR:PORT before it reports the VM running (default true with a
 * template). idle_action: what an idle VM gets, stop (default) or save.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"

#include "sg_cfg_doc.h"

/* "base.key"; a path cut short only shortens an error message */
static const char *
sub(char *buf, size_t len, const char *base, const char *key)
{
	if (snprintf(buf, len, "%s.%s", base, key) >= (int)len)
		buf[len - 1] = '\0';
	return buf;
}

void
sg_ctl_cfg_vm_defaults(struct sg_ctl_vm_cfg *vc)
{
	vc->template_name[0] = '\0';
	vc->port = 80;
	vc->proto = 6;
	vc->probe = false;
}

int
sg_ctl_cfg_vm_keys(const struct sg_cfg_doc *doc, const struct sg_cfg_node *v, const char *base,
		   struct sg_ctl_vm_cfg *vc, struct sg_cfg_error *err)
{
	static const char *const protos[] = {"tcp", "udp", NULL};
	const struct sg_cfg_node *x;
	char path[200];
	unsigned int e;
	uint64_t u;
	int rc;

	sg_ctl_cfg_vm_defaults(vc);
	x = sg_cfg_node_get(v, "template");
	if (x != NULL) {
		rc = sg_cfg_node_name(doc, x, sub(path, sizeof(path), base, "template"),
				      vc->template_name, err);
		if (rc != 0)
			return rc;
		vc->probe = true;
	}
	x = sg_cfg_node_get(v, "port");
	if (x != NULL) {
		rc = sg_cfg_node_uint(doc, x, sub(path, sizeof(path), base, "port"), 1, 65535, &u,
				      err);
		if (rc != 0)
			return rc;
		vc->port = (uint16_t)u;
	}
	x = sg_cfg_node_get(v, "protocol");
	if (x != NULL) {
		rc = sg_cfg_node_enum(doc, x, sub(path, sizeof(path), base, "protocol"), protos, &e,
				      err);
		if (rc != 0)
			return rc;
		vc->proto = e == 0 ? 6 : 17;
	}
	x = sg_cfg_node_get(v, "probe");
	if (x != NULL) {
		rc = sg_cfg_node_bool(doc, x, sub(path, sizeof(path), base, "probe"), &vc->probe,
				      err);
		if (rc != 0)
			return rc;
		if (vc->probe && vc->template_name[0] == '\0') {
			sg_cfg_error_set(err, doc, x, path,
					 "probe needs a template (the agent's own VMs are "
					 "probed as its YAML says)");
			return -EINVAL;
		}
	}
	return 0;
}

int
sg_ctl_cfg_pool_idle_action(const struct sg_cfg_doc *doc, const struct sg_cfg_node *pn,
			    const char *base, struct sg_ctl_pool_cfg *pc, struct sg_cfg_error *err)
{
	static const char *const actions[] = {"stop", "save", NULL};
	const struct sg_cfg_node *x = sg_cfg_node_get(pn, "idle_action");
	char path[200];
	unsigned int e;
	int rc;

	pc->idle_action = SG_CTL_IDLE_STOP;
	if (x == NULL)
		return 0;
	rc = sg_cfg_node_enum(doc, x, sub(path, sizeof(path), base, "idle_action"), actions, &e,
			      err);
	if (rc == 0)
		pc->idle_action = e == 0 ? SG_CTL_IDLE_STOP : SG_CTL_IDLE_SAVE;
	return rc;
}
