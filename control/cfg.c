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
		if (cfg->vms[i].host >= cfg->n_hosts || cfg->vms[i].pool >= cfg->n_pools) {
			snprintf(err, errlen, "VM %s: host or pool out of range", cfg->vms[i].name);
			return -EINVAL;
		}
	}
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
