/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration's defaults and the cross-checks of a loaded (or
 * hand-built) configuration; cfg_yaml.c reads the file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"

void
sg_ctl_cfg_defaults(struct sg_ctl_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->shm_name, sizeof(cfg->shm_name), "/sessiongate");
	snprintf(cfg->admin_socket, sizeof(cfg->admin_socket), "/run/sessiongate/control.sock");
	snprintf(cfg->db_dir, sizeof(cfg->db_dir), "/var/lib/sessiongate/control");
	cfg->db_map_mb = 256;
	cfg->queue_timeout_ms = 30000;
	cfg->vm_start_timeout_ms = 120000;
	cfg->install_timeout_ms = 10000;
	cfg->ring_poll_us = 200;
	cfg->dp_dead_ms = 3000;
	cfg->usage.max_mb = 64; /* usage.path: <db_dir>/usage.jsonl once the file is read */
	cfg->usage.keep = 8;
}

/*
 * A nat or dsr application's VMs are of its VIP's family (the data plane
 * translates none into the other: it would fail every install), and a dsr
 * one's VMs sit on hosts whose address is of their family (the hand-off
 * tunnels IPv4-in-IPv4 or IPv6-in-IPv6 to hosts[].address). A redirect
 * sends the client to the VM itself: any family.
 */
static int
check_families(const struct sg_ctl_cfg *cfg, unsigned int i, char *err, size_t errlen)
{
	const struct sg_ctl_app_cfg *a = &cfg->apps[i];
	unsigned int j;

	if (a->mode == SG_MSG_INSTALL_REDIRECT)
		return 0;
	for (j = 0; j < cfg->n_vms; j++) {
		const struct sg_ctl_vm_cfg *v = &cfg->vms[j];
		const struct sg_ctl_host_cfg *h = &cfg->hosts[v->host];

		if (SG_CTL_SLOT_FREE(v) || v->retiring || v->pool != a->pool)
			continue;
		if (v->family != a->family) {
			snprintf(
				err, errlen,
				"applications[%u] '%s': VM %s of its pool is IPv%u, the VIP IPv%u: "
				"a nat or dsr application's VMs are of its VIP's family",
				i, a->name, v->name, v->family, a->family);
			return -EINVAL;
		}
		if (a->mode == SG_MSG_INSTALL_DSR && h->family != v->family) {
			snprintf(err, errlen,
				 "applications[%u] '%s' (dsr): VM %s is IPv%u but its host %s's "
				 "address is IPv%u: the hand-off tunnels to the host in the VM's "
				 "family (give the host that address, and agent_address the one "
				 "its agent connects from)",
				 i, a->name, v->name, v->family, h->name, h->family);
			return -EINVAL;
		}
	}
	return 0;
}

int
sg_ctl_cfg_check(const struct sg_ctl_cfg *cfg, char *err, size_t errlen)
{
	unsigned int i;

	if (cfg->n_pools > 64) {
		snprintf(err, errlen, "pools: at most 64");
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_apps; i++) {
		if (SG_CTL_SLOT_FREE(&cfg->apps[i]))
			continue;
		if (cfg->apps[i].pool >= cfg->n_pools) {
			snprintf(err, errlen, "applications[%u]: pool out of range", i);
			return -EINVAL;
		}
		if (cfg->apps[i].auth.mode == SG_CTL_AUTH_TOKEN && cfg->apps[i].auth.n_keys == 0) {
			snprintf(err, errlen, "applications[%u].auth: mode token without keys", i);
			return -EINVAL;
		}
		if (cfg->apps[i].auth.on_fail == SG_CTL_AUTH_FAIL_LOGIN &&
		    cfg->apps[i].auth.login_url[0] == '\0') {
			snprintf(err, errlen,
				 "applications[%u].auth: on_fail login without login_url", i);
			return -EINVAL;
		}
	}
	for (i = 0; i < cfg->n_vms; i++) {
		if (SG_CTL_SLOT_FREE(&cfg->vms[i]))
			continue;
		if (cfg->vms[i].host >= cfg->n_hosts || cfg->vms[i].pool >= cfg->n_pools) {
			snprintf(err, errlen, "VM %s: host or pool out of range", cfg->vms[i].name);
			return -EINVAL;
		}
	}
	for (i = 0; i < cfg->n_apps; i++)
		if (!SG_CTL_SLOT_FREE(&cfg->apps[i]) && !cfg->apps[i].retiring &&
		    check_families(cfg, i, err, errlen) != 0)
			return -EINVAL;
	if (cfg->metrics_listen[0] != '\0' && strncmp(cfg->metrics_listen, "127.", 4) != 0 &&
	    strncmp(cfg->metrics_listen, "198.18.", 7) != 0 &&
	    strncmp(cfg->metrics_listen, "198.19.", 7) != 0 &&
	    strncmp(cfg->metrics_listen, "[::1]", 5) != 0) {
		snprintf(err, errlen,
			 "control.metrics_listen: '%s': bind a loopback (127.0.0.1:PORT) or a "
			 "test address (198.18.0.0/15)",
			 cfg->metrics_listen);
		return -EINVAL;
	}
	return 0;
}
